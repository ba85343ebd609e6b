"""Dates and years: "03/04/2021", "2024-05-17", "Jan. 5th", "5 January", "Mon.", "12/31", "1980s", "'99".

* Numeric dates are month first ("03/04/2021" -> "March fourth") unless the first number cannot be a
  month or the separator is a dot (European "17.05.2024"); those read "the seventeenth of May".
* "12/31" without a year is a date after a cue word ("due", "ends", a weekday) or when the second number
  is an unusual denominator (13-31 but 16, 20, 25; not "1/24 scale", "1/30" shutter speeds). A
  preposition ("by", "on", "since") is a cue only when the number does not read as a common fraction ("by
  12/31" but "by 1/3"), and never before "of" or a measure word ("by 1/2 cup"); "from 10/15 to 10/20" are
  both dates. After "exp", "expiry", "valid thru" (or "expires" with a leading zero) "09/26" is a card's
  month and year. Other "n/d" are fractions, scores or odds (:mod:`.numbers`).
* Four-digit numbers 1100-2099 are read as years by the number rule (:mod:`.numbers`); a bare decade
  ("80s") reads "eighties".
"""

from __future__ import annotations

import math
import re

from fmtts.text.normalizer.abbreviations import sentence_period
from fmtts.text.normalizer.context import PREVIOUS_WORDS_RE, Rule, alternation, next_word
from fmtts.text.normalizer.units import MEASURE_NOUNS
from fmtts.text.normalizer.verbalize import (
    number_to_words,
    ordinal_to_words,
    plural,
    two_digit_year,
    year_to_words,
)

MONTHS = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
]  # fmt: skip
MONTH_ABBREVIATIONS: dict[str, str] = {
    "Jan": "January", "Feb": "February", "Mar": "March", "Apr": "April", "Jun": "June", "Jul": "July",
    "Aug": "August", "Sep": "September", "Sept": "September", "Oct": "October", "Nov": "November",
    "Dec": "December",
}  # fmt: skip
# "Sat." and "Sun." are words too ("the Sun."): they expand only before a comma, a digit or a month.
WEEKDAY_ABBREVIATIONS: dict[str, str] = {
    "Mon": "Monday", "Tue": "Tuesday", "Tues": "Tuesday", "Wed": "Wednesday", "Thu": "Thursday",
    "Thur": "Thursday", "Thurs": "Thursday", "Fri": "Friday", "Sat": "Saturday", "Sun": "Sunday",
}  # fmt: skip
AMBIGUOUS_WEEKDAYS = frozenset({"Sat", "Sun"})

# A bare "12/31" (month/day, no year) is a date after these words or a weekday; otherwise a fraction.
DATE_CUES = frozenset(
    """
    until till thru due starting starts begins opens closes effective dated ends ending expires expiring
    expiry deadline
    """.split()
)
# Prepositions are weaker cues: "by 12/31" is a date, but "by 1/3" or "since 1/5" read as fractions when
# the second number is a usual denominator (see _is_month_day).
WEAK_DATE_CUES = frozenset("on by from through since before after".split())
# After these a two-digit "09/26" is a card's month and year ("September twenty twenty-six").
CARD_EXPIRY_CUES = frozenset("exp expires expiry expiration thru".split())


def date_to_words(year: int | None, month: int, day: int | None = None, *, day_first: bool = False) -> str:
    """Spoken date: (2021, 3, 4) -> "March fourth, twenty twenty-one"; with ``day_first`` "the fourth of
    March, twenty twenty-one". ``day`` or ``year`` may be None; a year below 100 reads as two digits."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12, got {month}")
    if day is not None and not 1 <= day <= 31:
        raise ValueError(f"day must be 1-31, got {day}")
    name = MONTHS[month - 1]
    if day is None:
        words = name
    elif day_first:
        words = f"the {ordinal_to_words(day)} of {name}"
    else:
        words = f"{name} {ordinal_to_words(day)}"
    if year is not None:
        year_words = two_digit_year(f"{year:02d}") if 0 <= year < 100 else year_to_words(year)
        words += (", " if day is not None else " ") + year_words
    return words


def _month_name(name: str) -> str:
    return MONTH_ABBREVIATIONS.get(name, name)


# --------------------------------------------------------------------------------------------------------
# Numeric dates (before the abbreviations and ranges, which would split them)
# --------------------------------------------------------------------------------------------------------


def _iso_date(m: re.Match[str]) -> str:
    year, _sep, month, day = m.groups()
    if not (1 <= int(month) <= 12 and 1 <= int(day) <= 31):
        return m.group(0)
    return date_to_words(int(year), int(month), int(day))


def _numeric_date(m: re.Match[str]) -> str:
    first, sep, second, year = m.groups()
    a, b = int(first), int(second)
    if sep != "/" and len(year) == 2:
        return m.group(0)  # "1.2.34", "3-4-21": more likely versions or ranges than dates
    day_first = sep == "." or a > 12
    month, day = (b, a) if day_first else (a, b)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m.group(0)
    year_words = two_digit_year(year) if len(year) == 2 else year_to_words(int(year))
    return date_to_words(None, month, day, day_first=day_first) + ", " + year_words


ISO_DATE = Rule(re.compile(r"(?<![\w.-])(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?![\w-]|[./]\d)"), _iso_date)
NUMERIC_DATE = Rule(
    re.compile(r"(?<![\w./-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\w/-]|\.\d)"), _numeric_date
)

# --------------------------------------------------------------------------------------------------------
# Month and weekday abbreviations (with the other abbreviations)
# --------------------------------------------------------------------------------------------------------

MONTH_ABBREVIATION = Rule(
    re.compile(r"(?<![\w.])(" + alternation(MONTH_ABBREVIATIONS) + r")\."),
    lambda m: _month_name(m.group(1)) + sentence_period(m.string, m.end()),
)
_MONTH_ALT = alternation([*MONTHS, *MONTH_ABBREVIATIONS])
_WEEKDAY_ALT = alternation(WEEKDAY_ABBREVIATIONS)
WEEKDAY_RANGE = Rule(  # "Mon-Fri"
    re.compile(r"\b(" + _WEEKDAY_ALT + r")\.?-(" + _WEEKDAY_ALT + r")\b\.?"),
    lambda m: f"{WEEKDAY_ABBREVIATIONS[m.group(1)]} to {WEEKDAY_ABBREVIATIONS[m.group(2)]}",
)


def _weekday(m: re.Match[str]) -> str:
    abbr = m.group(1)
    dotted = m.group(0).endswith(".")
    if abbr in AMBIGUOUS_WEEKDAYS and m.group(2) is None:
        return m.group(0)  # "the Sun."
    if not dotted and m.group(2) is None:
        return m.group(0)  # "Wed," without a date after it
    return WEEKDAY_ABBREVIATIONS[abbr] + (sentence_period(m.string, m.end()) if dotted else "")


WEEKDAY = Rule(
    re.compile(
        r"(?<![\w.])(" + _WEEKDAY_ALT + r")(?:\.|(?=,))"
        r"(?=(,?\s*(?:\d|" + _MONTH_ALT + r"))?)"  # group 2: a date follows
    ),
    _weekday,
)

# --------------------------------------------------------------------------------------------------------
# Written dates: "January 5", "5th of May"
# --------------------------------------------------------------------------------------------------------

_MONTH_NAME_ALT = "|".join(sorted(set(MONTH_ABBREVIATIONS) | set(MONTHS), key=len, reverse=True))


def _date(m: re.Match[str]) -> str:
    month, day, year = m.group(1), int(m.group(2)), m.group(3)
    if not 1 <= day <= 31:
        return m.group(0)
    words = f"{_month_name(month)} {ordinal_to_words(day)}"
    return words + (f", {year}" if year else "")  # "January 5 1990" gets the comma it is read with


def _day_month(m: re.Match[str]) -> str:
    day, month, year = int(m.group(1)), m.group(2), m.group(3)
    if not 1 <= day <= 31:
        return m.group(0)
    preceding = m.string[max(0, m.start() - 5) : m.start()]
    article = "" if re.search(r"\bthe\s+$", preceding, re.IGNORECASE) else "the "
    words = f"{article}{ordinal_to_words(day)} of {_month_name(month)}"
    return words + (f", {year}" if year else "")


# "January 5" / "Jan 5th, 1999" -> "January fifth"; the day must not be part of a longer number ("May 2020")
DATE = Rule(
    re.compile(
        r"\b(" + _MONTH_NAME_ALT + r")\.? (\d{1,2})(?:st|nd|rd|th)?\b(?![.,]\d)(?:,? (\d{4})\b(?![.,]\d))?"
    ),
    _date,
)
# "5 January 1990", "the 5th of May"
DAY_MONTH = Rule(
    re.compile(
        r"(?<![\w.,])(\d{1,2})(?:st|nd|rd|th)?(?: of)? (" + _MONTH_NAME_ALT + r")\b\.?"
        r"(?:,? (\d{4})\b(?![.,]\d))?"
    ),
    _day_month,
)

# --------------------------------------------------------------------------------------------------------
# "12/31" without a year
# --------------------------------------------------------------------------------------------------------

_FULL_WEEKDAYS = frozenset(WEEKDAY_ABBREVIATIONS.values()) | frozenset(WEEKDAY_ABBREVIATIONS)
_SCORE_WORDS = frozenset("score scored scores got get gets grade graded rated rating marks points".split())
_USUAL_DENOMINATORS = frozenset({2, 3, 4, 5, 6, 8, 16, 32, 64})
_DATE_BEFORE_RE = re.compile(r"(?<![\w./-])(1[0-2]|0?[1-9])/(\d{1,2}) (?:to|and|through|thru|until|till) $")


def _is_month_day(text: str, start: int, end: int, month: int, day: int) -> bool:
    """Whether the "12/31" at text[start:end] is a month and day (see the module docstring)."""
    if not 1 <= day <= 31 or re.search(r"\d $", text[:start]):
        return False  # no such day, or the fraction of "2 3/16"
    following = next_word(text, end)
    if following in ("of", "scale") or following in MEASURE_NOUNS:
        return False  # "2/3 of the votes", "a 1/24 scale model", "by 1/2 cup"
    before = PREVIOUS_WORDS_RE.search(text, max(0, start - 30), start)
    previous = [w for w in (before.groups() if before else ()) if w]  # "due 3/4", "the deadline is 5/1"
    if any(w.lower() in DATE_CUES or w in _FULL_WEEKDAYS for w in previous):
        return True
    earlier = _DATE_BEFORE_RE.search(text, max(0, start - 16), start)
    if earlier and _is_month_day(
        text,
        earlier.start(),
        earlier.start() + len(earlier.group().split()[0]),
        int(earlier.group(1)),
        int(earlier.group(2)),
    ):
        return True  # "from 10/15 to 10/20"
    fraction_like = month < day and day in _USUAL_DENOMINATORS and math.gcd(month, day) == 1
    if previous and previous[-1].lower() in WEAK_DATE_CUES and not fraction_like:
        return True  # "by 12/31", "on 3/15", but "by 1/3", "since 1/5"
    if any(w.lower() in _SCORE_WORDS for w in previous):
        return False  # "The score was 12/15"
    # the second number cannot be a usual denominator: "12/31"; "1/24", "1/30" are fractions and speeds
    return month > 1 and 13 <= day <= 31 and day not in (16, 20, 25)


def _card_expiry(text: str, start: int, first: str, second: str) -> bool:
    """ "Expires 09/26", "Valid thru 12/25": a card's month and two-digit year."""
    if len(first) != 2 or len(second) != 2:
        return False
    before = PREVIOUS_WORDS_RE.search(text, max(0, start - 30), start)
    prev2, prev = (before.group(1) or "", before.group(2).lower()) if before else ("", "")
    if prev == "thru" or prev == "through":
        return prev2.lower() in ("valid", "good")
    if prev in ("expires", "expiring"):
        return first.startswith("0")  # "expires 12/25" is more likely Christmas
    return prev in CARD_EXPIRY_CUES


def _month_day(m: re.Match[str]) -> str:
    month, day = int(m.group(1)), int(m.group(2))
    if _card_expiry(m.string, m.start(), m.group(1), m.group(2)):
        return date_to_words(2000 + day, month)
    if not _is_month_day(m.string, m.start(), m.end(), month, day):
        return m.group(0)
    return date_to_words(None, month, day)


MONTH_DAY = Rule(re.compile(r"(?<![\w./-])(1[0-2]|0?[1-9])/(\d{1,2})(?![\w/]|[.,]\d)"), _month_day)

# --------------------------------------------------------------------------------------------------------
# Seasons, decades and years written short
# --------------------------------------------------------------------------------------------------------


def _season(m: re.Match[str]) -> str:
    if (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        return m.group(0)
    return f"{m.group(1)}-{m.group(2)}"


# "the 2020/21 season" reads like "2020-21"
SEASON = Rule(re.compile(r"(?<![\w/.])((?:1[89]|20)\d\d)/(\d\d)(?![\w/]|\.\d)"), _season)
# "the 1980s" -> "the nineteen eighties"
DECADE = Rule(
    re.compile(r"(?<![\w.])(1[1-9]\d0|20\d0)'?s\b"), lambda m: plural(year_to_words(int(m.group(1))))
)
# "the 90s", "'90s", "mid-80s", "80s music"
SHORT_DECADE = Rule(
    re.compile(r"(?:(?<![\w.])'|(?<![\w.']))([2-9]0)'?s\b"),
    lambda m: plural(number_to_words(int(m.group(1)))),
)
# a year written with an apostrophe: "Class of '99", "back in '05"
SHORT_YEAR = Rule(re.compile(r"(?<![\w'])'(\d\d)(?![\w']|[.,]\d)"), lambda m: two_digit_year(m.group(1)))
