"""Text frontend: normalisation -> eSpeak NG phonemes -> symbol ids.

>>> tp = TextProcessor()
>>> ids = tp.text_to_ids("Hello world.")
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from fmtts.text.normalizer import (
    decimal_to_words,
    digits_to_words,
    normalize_text,
    number_to_words,
    ordinal_to_words,
    year_to_words,
)
from fmtts.text.phonemizer import PUNCTUATION_MARKS, Phonemizer
from fmtts.text.symbols import PAD, PUNCTUATION, SymbolTable, UnknownSymbolWarning, default_symbols
from fmtts.user_warnings import warn_caller

__all__ = [
    "TextError",
    "TextProcessor",
    "split_sentences",
    "normalize_text",
    "number_to_words",
    "ordinal_to_words",
    "year_to_words",
    "decimal_to_words",
    "digits_to_words",
    "Phonemizer",
    "PUNCTUATION_MARKS",
    "SymbolTable",
    "UnknownSymbolWarning",
    "default_symbols",
    "PAD",
    "PUNCTUATION",
]


class TextError(ValueError):
    """Text that cannot be turned into speakable symbols (empty, emoji-only, ...)."""


class TextProcessor:
    """Normaliser + :class:`Phonemizer` + :class:`SymbolTable`, the one object models and datasets use.

    ``intersperse_blank`` defaults to True to match ``DataConfig.intersperse_blank``.
    """

    def __init__(
        self,
        phonemizer: Phonemizer | None = None,
        symbols: SymbolTable | None = None,
        intersperse_blank: bool = True,
        normalize: bool = True,
    ) -> None:
        self.phonemizer = phonemizer if phonemizer is not None else Phonemizer()
        self.symbols = symbols if symbols is not None else SymbolTable()
        self.intersperse_blank = intersperse_blank
        self.normalize = normalize
        # ids that carry no sound: a text made only of these is rejected
        self._silent_ids = frozenset(i for i, s in enumerate(self.symbols.symbols) if s in PUNCTUATION) | {
            self.symbols.pad_id,
            self.symbols.blank_id,
        }

    @property
    def n_symbols(self) -> int:
        """Embedding table size for the text encoder."""
        return len(self.symbols)

    def phonemize(self, texts: Sequence[str]) -> list[str]:
        return self.phonemizer.phonemize(list(texts), normalize=self.normalize)

    def phonemes_to_ids(self, phonemes: str, text: str | None = None) -> list[int]:
        """Encode an already phonemized string; ``text`` is only used in the error message."""
        ids = self.symbols.encode(phonemes, intersperse_blank=self.intersperse_blank)
        if not any(i not in self._silent_ids for i in ids):
            shown = text if text is not None else phonemes
            raise TextError(f"text {shown!r} yields no speakable known symbols (phonemes: {phonemes!r})")
        return ids

    @staticmethod
    def _check_text(text: str, index: int | None = None) -> None:
        if not isinstance(text, str):
            raise TypeError(f"expected str, got {type(text).__name__}")
        if not text.strip():
            where = f" at index {index}" if index is not None else ""
            raise TextError(f"empty text{where}: {text!r}")

    def text_to_ids(self, text: str) -> list[int]:
        """Raw text -> symbol ids (interspersed with blanks if configured). Raises :class:`TextError`."""
        self._check_text(text)
        return self.phonemes_to_ids(self.phonemize([text])[0], text)

    def batch_text_to_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Like :meth:`text_to_ids` for many texts, phonemized in one backend call."""
        for i, t in enumerate(texts):
            self._check_text(t, i)
        phonemes = self.phonemize(texts)
        out = []
        for i, (t, p) in enumerate(zip(texts, phonemes, strict=True)):
            try:
                out.append(self.phonemes_to_ids(p, t))
            except TextError as e:
                raise TextError(f"index {i}: {e}") from None
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe; includes the eSpeak version so a checkpoint can detect a phoneme drift."""
        return {
            "phonemizer": self.phonemizer.to_dict(),
            "symbols": self.symbols.to_dict(),
            "intersperse_blank": self.intersperse_blank,
            "normalize": self.normalize,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], check_backend_version: bool = True) -> TextProcessor:
        """Rebuild from :meth:`to_dict`; warns if the loaded eSpeak differs from the stored version."""
        ph_d = d.get("phonemizer", {})
        tp = cls(
            phonemizer=Phonemizer.from_dict(ph_d),
            symbols=SymbolTable.from_dict(d["symbols"]),
            intersperse_blank=bool(d.get("intersperse_blank", True)),
            normalize=bool(d.get("normalize", True)),
        )
        stored = ph_d.get("backend_version")
        if check_backend_version and stored and stored != tp.phonemizer.backend_version:
            warn_caller(
                f"checkpoint was made with eSpeak NG {stored}, now using {tp.phonemizer.backend_version}: "
                "phonemes may differ from training"
            )
        return tp

    def __repr__(self) -> str:
        return (
            f"TextProcessor({self.phonemizer!r}, n_symbols={len(self.symbols)}, "
            f"intersperse_blank={self.intersperse_blank}, normalize={self.normalize})"
        )


# --------------------------------------------------------------------------------------------------------
# Sentence splitting for long-text synthesis
# --------------------------------------------------------------------------------------------------------

# A "." after these does not end a sentence.
_NON_TERMINAL = frozenset(
    """Mr Mrs Ms Dr Prof St No Gen Capt Lt Col Sgt Rev Hon Gov Sen Rep Mt Ft Pres vs e.g i.e cf
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec""".split()
)
_SENTENCE_END_RE = re.compile(r"[.!?;…]+[\"'”’)\]]*(?=\s|$)")
_CLAUSE_SPLIT_RE = re.compile(r"(?<=[,:—–])\s+")
_PARAGRAPH_RE = re.compile(r"\n\s*\n")


def _is_abbreviation(before: str) -> bool:
    token = before.split()[-1] if before.split() else ""
    token = token.lstrip("\"'“‘([")
    return (
        token in _NON_TERMINAL
        or re.fullmatch(r"[A-Z]", token) is not None  # initial: "J. Smith"
        or re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", token) is not None  # "U.S", "e.g"
    )


def _sentences(paragraph: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END_RE.finditer(paragraph):
        if m.group().rstrip("\"'”’)]") == "." and _is_abbreviation(paragraph[start : m.start()]):
            continue
        out.append(paragraph[start : m.end()].strip())
        start = m.end()
    out.append(paragraph[start:].strip())
    return [s for s in out if s]


def _pack(pieces: Sequence[str], max_chars: int) -> list[str]:
    """Greedily join consecutive pieces with spaces while the result fits in ``max_chars``."""
    out: list[str] = []
    for piece in pieces:
        if out and len(out[-1]) + 1 + len(piece) <= max_chars:
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def split_sentences(text: str, max_chars: int = 200) -> list[str]:
    """Split long text into chunks for synthesis, each at most ``max_chars`` characters.

    Splits at sentence ends (``. ! ? ;`` and ellipses; not after "Mr.", "e.g.", initials ...) and at
    blank lines. Each sentence is its own chunk; a sentence longer than ``max_chars`` is split at clause
    punctuation (``, : —``), clauses being re-joined greedily, and a clause still too long is split between
    words. Words are never cut, so a single word longer than ``max_chars`` becomes its own (long) chunk.
    Whitespace is collapsed; ``" ".join(chunks).split() == text.split()``.
    """
    if max_chars < 1:
        raise ValueError(f"max_chars must be >= 1, got {max_chars}")
    chunks: list[str] = []
    for paragraph in _PARAGRAPH_RE.split(text):
        paragraph = " ".join(paragraph.split())
        for sentence in _sentences(paragraph):
            if len(sentence) <= max_chars:
                chunks.append(sentence)
                continue
            for clause in _pack(_CLAUSE_SPLIT_RE.split(sentence), max_chars):
                if len(clause) <= max_chars:
                    chunks.append(clause)
                else:
                    chunks.extend(_pack(clause.split(), max_chars))
    return _merge_unspeakable(chunks)


def _merge_unspeakable(chunks: list[str]) -> list[str]:
    """A chunk with no letter or digit (a spaced ellipsis ". . .", a stray quote) cannot be spoken on
    its own: attach it to the previous chunk (or the next one, at the start)."""
    out: list[str] = []
    pending = ""
    for chunk in chunks:
        if not any(c.isalnum() for c in chunk):
            if out:
                out[-1] = f"{out[-1]} {chunk}"
            else:
                pending = f"{pending} {chunk}".strip()
            continue
        out.append(f"{pending} {chunk}".strip() if pending else chunk)
        pending = ""
    if pending:
        out.append(pending)  # nothing speakable at all: let the caller's empty-text check report it
    return out
