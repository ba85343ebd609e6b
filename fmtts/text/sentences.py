"""Sentence splitting for long-text synthesis: chunks that end at sentence or clause boundaries, never
inside a word."""

from __future__ import annotations

import re
from collections.abc import Sequence

from fmtts.text.normalizer_tables import FINALS, LITERALS, REFERENCES, ROMAN_AHEAD, TITLES

# A "." after these does not end a sentence.
_NON_TERMINAL = frozenset(
    """Mr Mrs Ms Dr Prof St No Gen Capt Lt Col Sgt Rev Hon Gov Sen Rep Mt Ft Pres vs e.g i.e cf
    Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec""".split()
)
_NUMBER_NEXT_RE = re.compile(r"\s*" + ROMAN_AHEAD)  # as the normalizer reads "Fig. 3", "Vol. IV"
_CAPITAL_NEXT_RE = re.compile(r"\s+[\"'“‘(\[]?[A-Z]")
_SENTENCE_END_RE = re.compile(r"[.!?;…]+[\"'”’)\]]*(?=\s|$)")
_CLAUSE_SPLIT_RE = re.compile(r"(?<=[,:—–])\s+")
_PARAGRAPH_RE = re.compile(r"\n\s*\n")


def _is_abbreviation(before: str, after: str) -> bool:
    """Whether the "." between ``before`` and ``after`` ends an abbreviation inside a sentence, by the
    normalizer's own abbreviation tables, so that it reads the abbreviation with what follows."""
    token = before.split()[-1] if before.split() else ""
    token = token.lstrip("\"'“‘([")
    return (
        token in _NON_TERMINAL
        or token in TITLES
        or token + "." in LITERALS  # "Ph.D."
        or (token in REFERENCES and _NUMBER_NEXT_RE.match(after) is not None)  # "Fig. 3", "Vol. IV"
        # "etc. and", "Smith Jr. said"; before a capital these may end the sentence
        or (token in FINALS and bool(after.strip()) and _CAPITAL_NEXT_RE.match(after) is None)
        or re.fullmatch(r"[A-Z]", token) is not None  # initial: "J. Smith"
        or re.fullmatch(r"(?:[A-Za-z]\.)+[A-Za-z]", token) is not None  # "U.S", "e.g"
    )


def _sentences(paragraph: str) -> list[str]:
    out: list[str] = []
    start = 0
    for m in _SENTENCE_END_RE.finditer(paragraph):
        if m.group().rstrip("\"'”’)]") == "." and _is_abbreviation(
            paragraph[start : m.start()], paragraph[m.end() :]
        ):
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


def split_first_clause(sentence: str, max_chars: int, min_chars: int = 12) -> tuple[str, str] | None:
    """Split ``sentence`` after its leading clauses (at ``, : —``) that fit in ``max_chars``: (head, rest),
    or None when the sentence already fits, when its first clause alone is longer than ``max_chars``
    (words are not split) or when either side would be shorter than ``min_chars``. For starting a stream
    early: the head is synthesized on its own, so the first audio waits for less text."""
    if len(sentence) <= max_chars:
        return None
    clauses = _CLAUSE_SPLIT_RE.split(sentence)
    if len(clauses) < 2 or len(clauses[0]) > max_chars:
        return None
    head = _pack(clauses, max_chars)[0]
    rest = sentence[len(head) :].strip()
    if len(head) < min_chars or len(rest) < min_chars or not any(c.isalnum() for c in rest):
        return None
    return head, rest


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
