"""Text frontend: normalisation -> eSpeak NG phonemes -> symbol ids.

``processor.py`` holds :class:`TextProcessor` (the whole frontend, as checkpoints store it),
``normalizer.py`` written text -> spoken words, ``phonemizer.py`` eSpeak NG, ``symbols.py`` the symbol
table, ``sentences.py`` long-text splitting.
"""

from __future__ import annotations

from fmtts.text.errors import TextError
from fmtts.text.normalizer import (
    decimal_to_words,
    digits_to_words,
    normalize_text,
    number_to_words,
    ordinal_to_words,
    year_to_words,
)
from fmtts.text.phonemizer import PUNCTUATION_MARKS, Phonemizer
from fmtts.text.processor import TextProcessor
from fmtts.text.sentences import split_sentences
from fmtts.text.symbols import PAD, PUNCTUATION, SymbolTable, UnknownSymbolWarning, default_symbols

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
