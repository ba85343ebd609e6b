"""The text frontend as one object: normalisation -> eSpeak NG phonemes -> symbol ids, with the symbol
table and settings that a checkpoint stores.

>>> tp = TextProcessor()
>>> ids = tp.text_to_ids("Hello world.")
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fmtts.text.errors import TextError
from fmtts.text.phonemizer import Phonemizer
from fmtts.text.symbols import PUNCTUATION, SymbolTable
from fmtts.user_warnings import warn_caller


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

    def phonemize(self, texts: Sequence[str], normalized: bool = False) -> list[str]:
        """eSpeak NG phonemes; ``normalized``: the texts are already spoken words (SSML ``say-as``,
        ``fmtts normalize`` output), so the normaliser is skipped."""
        return self.phonemizer.phonemize(list(texts), normalize=self.normalize and not normalized)

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

    def batch_text_to_ids(self, texts: Sequence[str], normalized: bool = False) -> list[list[int]]:
        """Like :meth:`text_to_ids` for many texts, phonemized in one backend call."""
        for i, t in enumerate(texts):
            self._check_text(t, i)
        phonemes = self.phonemize(texts, normalized=normalized)
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
