"""Phoneme symbol inventory: one symbol per Unicode codepoint, pad ``"_"`` at id 0.

The default inventory is deliberately generous (whole IPA Extensions and Spacing Modifier Letters blocks,
combining diacritics, IPA letters from other blocks) so that any eSpeak output, including rare phonemes
from loanwords, has an id. Checkpoints store :meth:`SymbolTable.to_dict`, so the default may grow later
without breaking old models.
"""

from __future__ import annotations

import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fmtts.user_warnings import warn_caller

__all__ = ["SymbolTable", "UnknownSymbolWarning", "default_symbols", "PAD", "PUNCTUATION"]

PAD = "_"
PUNCTUATION = ';:,.!?¡¿—…"«»“” '


def _block(first: int, last: int) -> list[str]:
    return [chr(c) for c in range(first, last + 1)]


def default_symbols() -> list[str]:
    """pad, punctuation + space, ASCII letters, then IPA (en-us eSpeak output is a small subset)."""
    ipa_extra = list("æçðøħŋœθβχᵻᵿⱱǀǁǂǃ↑↓↗↘‿")
    candidates = (
        [PAD]
        + list(PUNCTUATION)
        + list(string.ascii_letters)
        + _block(0x0250, 0x02AF)  # IPA Extensions: ɐ ɑ ɒ ɔ ə ɚ ɛ ɜ ɝ ɡ ɪ ɫ ɬ ɹ ɾ ʃ ʊ ʌ ʒ ʔ ʤ ʧ ...
        + _block(0x02B0, 0x02FF)  # Spacing Modifier Letters: ʰ ʲ ˈ ˌ ː ˑ ...
        + _block(0x0300, 0x036F)  # Combining Diacritical Marks: nasal ̃, syllabic ̩, tie ͡ ...
        + ipa_extra
    )
    return list(dict.fromkeys(candidates))  # unique, order kept


class UnknownSymbolWarning(UserWarning):
    """Characters not in the symbol table were dropped while encoding."""


@dataclass
class SymbolTable:
    """Symbol <-> id mapping.

    ``pad`` is always id 0 (inserted if missing). ``blank`` is the symbol interspersed between phonemes
    when ``encode(..., intersperse_blank=True)``; when it is ``None`` the pad id is used, as in
    Glow-TTS/Matcha-TTS. A ``blank`` that is not in ``symbols`` is appended.
    """

    symbols: list[str] = field(default_factory=default_symbols)
    pad: str = PAD
    blank: str | None = None
    _ids: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        symbols = list(self.symbols)
        if any(not isinstance(s, str) or len(s) != 1 for s in symbols):
            bad = [s for s in symbols if not isinstance(s, str) or len(s) != 1]
            raise ValueError(f"every symbol must be a single unicode codepoint, got {bad[:10]!r}")
        if len(set(symbols)) != len(symbols):
            dupes = sorted({s for s in symbols if symbols.count(s) > 1})
            raise ValueError(f"duplicate symbols: {dupes!r}")
        if self.pad not in symbols:
            symbols.insert(0, self.pad)
        elif symbols[0] != self.pad:
            raise ValueError(f"pad {self.pad!r} must be the first symbol (id 0)")
        if self.blank is not None and self.blank not in symbols:
            symbols.append(self.blank)
        self.symbols = symbols
        self._ids = {s: i for i, s in enumerate(symbols)}

    # -- ids ---------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.symbols)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._ids

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def blank_id(self) -> int:
        """Id interspersed between phonemes: the blank symbol's id, or the pad id when there is none."""
        return self._ids[self.blank] if self.blank is not None else self.pad_id

    def encode(self, phonemes: str, intersperse_blank: bool = False) -> list[int]:
        """Map each codepoint to its id.

        Unknown codepoints (and the pad/blank symbols themselves, which are reserved) are dropped with a
        single :class:`UnknownSymbolWarning` naming all of them. With ``intersperse_blank`` the result is
        ``[b, x1, b, x2, ..., xn, b]`` (length ``2n + 1``; ``[]`` stays ``[]``).
        """
        reserved = {self.pad, self.blank}
        ids: list[int] = []
        unknown: dict[str, None] = {}
        for ch in phonemes:
            i = self._ids.get(ch)
            if i is None or ch in reserved:
                unknown[ch] = None
            else:
                ids.append(i)
        if unknown:
            names = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in unknown)
            warn_caller(
                f"dropped {len(unknown)} unknown symbol(s) while encoding {phonemes!r}: {names}",
                UnknownSymbolWarning,
            )
        if intersperse_blank and ids:
            b = self.blank_id
            out = [b] * (2 * len(ids) + 1)
            out[1::2] = ids
            return out
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """Ids back to a phoneme string; pad and blank ids are skipped."""
        skip = {self.pad_id, self.blank_id}
        return "".join(self.symbols[i] for i in (int(i) for i in ids) if i not in skip)

    # -- (de)serialisation --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """JSON-safe description, enough to rebuild the exact same ids."""
        return {"symbols": list(self.symbols), "pad": self.pad, "blank": self.blank}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SymbolTable:
        symbols: Sequence[str] = d["symbols"]
        return cls(symbols=list(symbols), pad=d.get("pad", PAD), blank=d.get("blank"))
