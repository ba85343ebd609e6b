"""The text frontend's error (its own module so every text module can raise it without import cycles)."""

from __future__ import annotations

from fmtts.errors import FmttsError


class TextError(FmttsError, ValueError):
    """Text that cannot be turned into speakable symbols (empty, emoji-only, ...)."""


class NothingToSpeak(TextError):
    """Text with no sentence this voice can say (only punctuation, emoji, another script)."""
