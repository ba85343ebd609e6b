"""Times of day: "3:15 pm", "10:00", "18:00", "8.30pm", "9 a.m.".

* Hour 0 reads "twelve" ("00:30" -> "twelve thirty"); a full hour after 12 reads "hundred" ("18:00" ->
  "eighteen hundred"), before it "o'clock".
* "am" is written "a-m" (letters joined by hyphens, see :func:`~.verbalize.spell_letters`): eSpeak reads
  "a m" as "uh em"; "p m" is read right as it is.
"""

from __future__ import annotations

import re

from fmtts.text.normalizer.abbreviations import sentence_period
from fmtts.text.normalizer.context import Rule
from fmtts.text.normalizer.verbalize import DIGIT_NAMES, number_to_words


def _ampm(letter: str, period: str | None, m: re.Match[str]) -> str:
    words = " a-m" if letter.lower() == "a" else " p m"
    return words + (sentence_period(m.string, m.end()) if period else "")


def _time(m: re.Match[str]) -> str:
    hour, minute, second, ampm, _m, period = m.groups()
    h, mi = int(hour), int(minute)
    words = "twelve" if h == 0 else number_to_words(h)
    if mi == 0:
        words += "" if ampm else (" hundred" if h > 12 else " o'clock")
    elif mi < 10:
        words += f" oh {DIGIT_NAMES[mi]}"
    else:
        words += f" {number_to_words(mi)}"
    if second and int(second):
        s = int(second)
        words += f" and {number_to_words(s)} second{'s' if s != 1 else ''}"
    if ampm:
        words += _ampm(ampm, period, m)
    return words


# "8.30pm" is a time: rewritten "8:30pm" for the time rule
DOTTED_TIME = Rule(re.compile(r"(?<![\w.:])(1[0-2]|0?[1-9])\.([0-5]\d)(?=\s?[AaPp]\.?\s?[Mm]\b)"), r"\1:\2")
TIME = Rule(
    re.compile(
        r"(?<![\w:.])([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(?![\d:])(?:\s?([AaPp])\.?\s?([Mm])\b(\.)?)?"
    ),
    _time,
)
HOUR_AMPM = Rule(  # "9 a.m.", "5pm"
    re.compile(r"(?<![\w:.])(1[0-2]|0?[1-9])\s?([AaPp])\.?\s?[Mm]\b(\.)?"),
    lambda m: number_to_words(int(m.group(1))) + _ampm(m.group(2), m.group(3), m),
)
