"""English text normalisation: turn written text into words that eSpeak reads the way a person would.

eSpeak has its own number and abbreviation rules, but they are inconsistent (years, currency, times,
dates, units, roman numerals and some acronyms are read digit-wise, letter-wise or as "roman two"), so
everything that has a spoken form is expanded here first. The rules are regular expressions over word
tables, one module per topic; :mod:`.pipeline` runs them in a fixed, documented order.

==================  ======================================================================================
``pipeline``        :func:`normalize_text` and the order of the steps
``verbalize``       numbers and letters as words (cardinals, ordinals, years, fractions, spelling)
``cleanup``         Unicode folding, unspeakable characters, final tidy-up
``web``             URLs, e-mail addresses, hashtags
``addresses``       telephone numbers, ZIP codes, postcodes, compass points
``abbreviations``   titles, "etc.", "St.", "e.g.", references ("Fig. 3"), literals ("w/o", "24/7")
``roman``           roman numerals in context
``dates``           numeric and written dates, month and weekday names, "12/31", decades
``times``           times of day
``money``           currencies
``units``           units of measure, temperatures, feet and inches, percent, magnitudes ("10k")
``identifiers``     numbers that name: model numbers, codes, versions, "John 3:16", "A4"
``numbers``         plain numbers and years, ordinals, ranges, ratios, fractions, scores
``symbols``         symbols and formulas
``acronyms``        all-caps tokens: left to eSpeak, spelled or read as fixed
``context``         what the rules share: the ``Rule`` type, the words around a match
==================  ======================================================================================

Each topic module's docstring states its judgement calls (why "St." is "Saint" before a capital, when
"12/31" is a date). The table of cases in ``tests/text/test_normalizer.py`` is the specification.
"""

from __future__ import annotations

from fmtts.text.normalizer.addresses import telephone_to_words
from fmtts.text.normalizer.dates import date_to_words
from fmtts.text.normalizer.pipeline import normalize_text
from fmtts.text.normalizer.verbalize import (
    decimal_to_words,
    digits_to_words,
    fraction_to_words,
    number_to_words,
    ordinal_to_words,
    spell_out,
    year_to_words,
)

__all__ = [
    "normalize_text",
    "number_to_words",
    "ordinal_to_words",
    "year_to_words",
    "decimal_to_words",
    "digits_to_words",
    "fraction_to_words",
    "date_to_words",
    "telephone_to_words",
    "spell_out",
]
