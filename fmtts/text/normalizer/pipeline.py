"""The order in which the rules run (:func:`normalize_text`).

Order is most of the design: a rule sees the text as the rules before it left it. Things whose symbols
would be read one by one go first (URLs, e-mail addresses, model numbers, literals such as "24/7"), then
digit shapes that a range or an abbreviation would split (telephone numbers, numeric dates), then
abbreviations, then numbers from the most specific reading (currency, times, dates, units) to the least
(a plain cardinal), and last the symbols and letters left over. Each step's note says what it must come
before or after, where that is known to matter.

To add a rule: write it in its topic module as a :class:`~.context.Rule` and list it here, at the first
place where what it reads is still in the text and before the steps that would read it some other way;
then add cases to ``tests/text/test_normalizer.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from fmtts.text.normalizer import (
    abbreviations,
    acronyms,
    addresses,
    cleanup,
    dates,
    identifiers,
    money,
    numbers,
    roman,
    symbols,
    times,
    units,
    web,
)
from fmtts.text.normalizer.context import Rule

Step = Callable[[str], str]

# Whole tokens first, before any rule splits them at their symbols.
_WHOLE_TOKENS: list[Step] = [
    cleanup.clean_unicode,  # quotes, dashes, fractions and full-width forms to what the rules read
    Rule(cleanup.SPACES_RE, " "),
    numbers.LONG_DIGITS,  # too long for any other reading (and for int())
    web.EMAIL,  # before URL, which would read "john.me" of "john.me@example.com" as a host
    web.URL,
    web.HASHTAG,
    web.DOTFILE,
    identifiers.MODEL_NAME,  # before the literals: "Porsche 911" is no emergency number
    identifiers.MODEL_SUFFIX,
    symbols.POWER,
    symbols.times_sign,
    numbers.POSITION_SCORE,  # "Step 3 / 5", before "/" between numbers reads "divided by"
    symbols.DIVIDED,
    abbreviations.LITERAL,  # "24/7", "w/o", "C++": verbatim, before their symbols are read
    addresses.ZIP,
    addresses.POSTCODE,
    addresses.COMPASS_BEFORE,
    addresses.COMPASS_AFTER,  # before the abbreviations read "Dr", "St" as titles
]

# Digit shapes that the abbreviations and ranges would split; run only when the text has digits.
_DIGIT_SHAPES: list[Step] = [
    addresses.PHONE,
    addresses.INTERNATIONAL_PHONE,
    addresses.LOCAL_PHONE,
    addresses.TRUNK_PHONE,
    addresses.VANITY_PHONE,
    dates.ISO_DATE,
    dates.NUMERIC_DATE,
]

# Abbreviations, roman numerals and comparisons: words around the numbers, read before the numbers.
_WORDS: list[Step] = [
    abbreviations.LONG_NUMBER_SIGN,  # "#12345" digit by digit, before "#" becomes "number"
    abbreviations.REFERENCE,  # "Fig. 3", "No. 5"
    abbreviations.NUMBER_SIGN,
    abbreviations.EG,
    abbreviations.IE,
    abbreviations.ET_AL,
    dates.MONTH_ABBREVIATION,
    dates.WEEKDAY_RANGE,  # "Mon.-Fri.", before the single weekdays take "Mon."
    dates.WEEKDAY,
    abbreviations.SAINT_OR_STREET,
    abbreviations.SAINT,
    abbreviations.STREET,
    abbreviations.TITLE,
    abbreviations.TITLE_WITHOUT_PERIOD,
    abbreviations.FINAL,
    abbreviations.LEGAL_V,
    abbreviations.VS,
    roman.ROMAN,  # after the references: "Vol. IV" reads "volume four"
    symbols.COMPARISON,  # "<5 ms" before the numbers read the "5"
]

# Numbers, most specific reading first; run only when the text has digits.
_NUMBERS: list[Step] = [
    dates.SEASON,  # "2020/21" -> "2020-21", then a range
    numbers.TO_HYPHEN,  # "9-to-5", before the range reads the hyphen
    identifiers.STATUS_CUE,  # "HTTP 404"
    identifiers.SCRIPTURE,  # "John 3:16", before the colon is read as a time or a ratio
    identifiers.DIGIT_CUE,  # "PIN 4321"
    identifiers.DIGIT_GROUPS,  # "12-345-67", before the range reads its hyphens
    numbers.RANGE,  # "5-10" -> "5 to 10": the numbers on both sides are then read on their own
    money.CURRENCY_CODE,  # "USD 5" -> "$5", before the symbol rule
    money.CURRENCY_PREFIX,
    money.CURRENCY_SUFFIX,
    times.DOTTED_TIME,  # "8.30pm" -> "8:30pm"
    times.TIME,
    times.HOUR_AMPM,  # "9 a.m."
    numbers.RATIO,  # a colon the times left: "16:9"
    units.FEET_INCHES,  # 5'11"
    units.INCH_MARK,  # '1/4"' -> "1/4 inch", read by the fraction rule
    dates.DAY_MONTH,
    dates.DATE,
    units.BARE_TEMPERATURE,  # "180C" -> "180°C" for the unit rule
    units.DEGREES_LETTER,
    units.HOURS_MINUTES,  # "2h 30m" -> "2 h 30 min" for the unit rule
    identifiers.RESOLUTION,  # "1080p"
    units.UNIT,
    units.PERCENT,
    units.PER,  # "/kg" after a unit the unit rule spelled out: "milligrams/kg"
    units.MAGNITUDE,  # "10k"
    units.DIMENSIONS,  # "3 x 5"
    units.UNIT_BY,  # "inches x 5"
    units.TIMES,  # "10x"
    dates.MONTH_DAY,  # "12/31", before the fractions
    numbers.MIXED_FRACTION,  # "1 1/2", before the plain fraction
    numbers.FRACTION,
    numbers.ORDINAL,
    dates.DECADE,
    dates.SHORT_DECADE,
    dates.SHORT_YEAR,
    identifiers.LETTER_HYPHEN_MODEL,  # "F-150", before the letter-digit hyphen becomes a space
    numbers.LETTER_DIGIT_HYPHEN,
    identifiers.ALNUM,  # "Q4", "5s", "49ers"
    identifiers.VERSION,  # "1.2.3", "192.168.0.1"
    numbers.LEADING_POINT,
    numbers.NUMBER,  # whatever digits are left
]

# Symbols and letters left over, and the final tidy-up.
_LAST: list[Step] = [
    units.DEGREES,
    symbols.SYMBOL,
    acronyms.DOTTED,  # "U.S." -> "US", then read as an acronym
    acronyms.ACRONYM,
    cleanup.drop_unspeakable,
    cleanup.tidy,
]

_DIGIT_RE = re.compile(r"\d")


def _run(steps: Iterable[Step], text: str) -> str:
    for step in steps:
        text = step(text)
    return text


def normalize_text(text: str) -> str:
    """Normalise English text for phonemization: written text -> the words a person would say.

    >>> normalize_text("Dr. Smith paid $3.50 on Jan 1st, 1999 at 3:15 pm.")[:62]
    'Doctor Smith paid three dollars and fifty cents on January fir'
    >>> normalize_text("It's 50% off at 10:00.")
    "It's fifty percent off at ten o'clock."
    >>> normalize_text("Louis XIV weighed 70 kg on 2024-05-17.")
    'Louis the fourteenth weighed seventy kilograms on May seventeenth, twenty twenty-four.'
    """
    text = _run(_WHOLE_TOKENS, text)
    has_digits = _DIGIT_RE.search(text) is not None  # number rules that read no digits run only with digits
    if has_digits:
        text = _run(_DIGIT_SHAPES, text)
    text = _run(_WORDS, text)
    if has_digits:
        text = _run(_NUMBERS, text)
    return _run(_LAST, text)
