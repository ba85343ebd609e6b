"""The abbreviation tables that :mod:`fmtts.text.sentences` shares with the normaliser.

The normaliser's word tables live with their rules, one topic per module in :mod:`fmtts.text.normalizer`;
these names are kept here for the sentence splitter, which must not end a sentence at an abbreviation the
normaliser reads with the next word ("Dr. Smith", "Fig. 3").
"""

from __future__ import annotations

from fmtts.text.normalizer.abbreviations import FINALS, LITERALS, REFERENCES, ROMAN_AHEAD, TITLES

__all__ = ["FINALS", "LITERALS", "REFERENCES", "ROMAN_AHEAD", "TITLES"]
