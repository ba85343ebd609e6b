"""Plain numbers, ordinals, ranges, ratios, fractions and scores: "1,250", "2048", "3rd", "5-10", "16:9",
"1 1/2", "3/4", "17/20", ".5".

* Four-digit numbers 1100-2099 are read as years unless a unit/currency word follows ("2048 bytes"); a
  number before "AD"/"BC" is a year too ("1066 AD" -> "ten sixty-six").
* A number with a leading zero is read digit by digit ("007"); a digit run too long for a cardinal (see
  :data:`~.verbalize.MAX_CARDINAL_DIGITS`) is read digit by digit wherever it stands.
* A hyphen between two number-ish tokens is a range or a score ("1990-1995", "10am-2pm", "won 3-2");
  after "between" it reads "and".
* "n/5", "n/20" and "n/50" are scores ("four out of five") unless "of" follows, "3/1" is odds ("three to
  one"), "60/40" a split ("sixty-forty"); "Step 3 / 5" reads "three of five". Other "n/d" are fractions,
  unless :mod:`.dates` took them for a date.
"""

from __future__ import annotations

import re

from fmtts.text.normalizer.context import INT, Rule, after_article, alternation, attributive, next_word
from fmtts.text.normalizer.units import MEASURE_NOUNS, UNIT_WORDS
from fmtts.text.normalizer.verbalize import (
    MAX_CARDINAL_DIGITS,
    decimal_to_words,
    digits_to_words,
    fraction_adjective,
    fraction_of,
    fraction_to_words,
    mixed_fraction_words,
    number_to_words,
    ordinal_to_words,
    year_to_words,
)

# "n/20" is a score ("17/20 on the test") unless "of" follows; 10 and 100 always are (fraction_to_words)
SCORE_DENOMINATORS = frozenset({5, 20, 50})
_ERAS = frozenset({"ad", "bc", "ce", "bce"})

# a digit run too long for a cardinal (and for Python's int()) is read digit by digit, whatever it is
LONG_DIGITS = Rule(
    re.compile(rf"(?<![\d.])\d{{{MAX_CARDINAL_DIGITS + 1},}}"),  # not a fraction's
    lambda m: f" {digits_to_words(m.group())} ",
)

# --------------------------------------------------------------------------------------------------------
# Scores by position (early, while "/" still stands apart)
# --------------------------------------------------------------------------------------------------------


def _position_score(m: re.Match[str]) -> str:
    cue, n, d = m.groups()
    if not 0 < float(n) <= int(d) or next_word(m.string, m.end()) in MEASURE_NOUNS:
        return m.group(0)  # "Step 3/4 cup"
    out_of = cue.lower().startswith(("rat", "score"))
    return f"{cue}{n} {'out of' if out_of else 'of'} {d}"


# "Step 3 / 5", "page 12/40" -> "3 of 5", "Rating: 4 / 5" -> "4 out of 5"
POSITION_SCORE = Rule(
    re.compile(
        r"\b((?:(?:step|rating|rated|page|score|question|part|round|level|stage|slide|episode|day|week)s?)"
        r"(?::? #?|: ?))(\d{1,3}(?:\.\d)?) ?/ ?(\d{1,3})(?![\w/]|[.,]\d)",
        re.IGNORECASE,
    ),
    _position_score,
)

# --------------------------------------------------------------------------------------------------------
# Ranges and ratios
# --------------------------------------------------------------------------------------------------------

TO_HYPHEN = Rule(re.compile(r"(?<=\d)-to-(?=\d)"), " to ")  # "a 9-to-5 job"


def _range(m: re.Match[str]) -> str:
    right = re.match(r"[\d,.]+", m.string[m.end() :])
    if right and right.group() == m.group(1):
        return m.group(0)  # "a 50-50 chance": "fifty-fifty"
    between = re.search(r"\bbetween\s+$", m.string[max(0, m.start() - 10) : m.start()], re.IGNORECASE)
    return m.group(1) + (" and " if between else " to ")  # "between 5 and 10", "from 5 to 10"


RANGE = Rule(
    re.compile(
        r"(?<![\w.,/:])(\d[\d,]*(?:\.\d+)?(?::[0-5]\d)?(?:\s?(?:[ap]\.m\.|%|[A-Za-z°]{1,3}))?)-(?=[$£€¥]?\d)"
    ),
    _range,
)
# what is left of "16:9" after the times: a ratio
RATIO = Rule(re.compile(r"(?<![\w:.])(\d+):(\d+)(?![\w:]|\.\d)"), r"\1 to \2")

# --------------------------------------------------------------------------------------------------------
# Fractions
# --------------------------------------------------------------------------------------------------------


def _mixed_fraction(m: re.Match[str]) -> str:
    whole, n, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not 0 < n < d:
        return m.group(0)
    return mixed_fraction_words(whole, n, d)


MIXED_FRACTION = Rule(re.compile(r"(?<![\w.,/])(\d+) (\d+)/(\d+)(?![\w/]|\.\d)"), _mixed_fraction)


def _fraction(m: re.Match[str]) -> str:
    n, d, sep, noun = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    # "a 3/4-inch screw" -> "a three-quarter-inch screw", "a 1/2 cup of milk" -> "a half cup of milk"
    start, end = m.start(), m.end()
    adjective = sep == "-" or after_article(m.string, start) or attributive(m.string, start, end)
    if noun and adjective:
        return f"{fraction_adjective(n, d)}{sep}{noun}"
    if noun:
        return fraction_of(n, d, noun)
    following = next_word(m.string, m.end())
    if d == 1:
        return f"{number_to_words(n)} to one"  # odds: "3/1"
    if n + d == 100 and n % 5 == 0:
        return f"{number_to_words(n)}-{number_to_words(d)}"  # a split: "60/40" -> "sixty-forty"
    if d in SCORE_DENOMINATORS and 1 < n <= d and following != "of":
        return f"{number_to_words(n)} out of {number_to_words(d)}"  # "17/20 on the test", "4/5 stars"
    if attributive(m.string, m.start(), m.end()) and after_article(m.string, m.start()):
        return fraction_adjective(n, d)  # "a 2/3 majority" -> "a two-thirds majority"
    return fraction_to_words(n, d)


# "3/4", "1/2 cup", "a 3/4-inch screw"
FRACTION = Rule(
    re.compile(
        r"(?<![\w.,/])(\d+)/(\d+)(?![\w/]|\.\d)(?:([ -])(" + alternation(MEASURE_NOUNS) + r")\b(?!s))?"
    ),
    _fraction,
)

# --------------------------------------------------------------------------------------------------------
# Ordinals and plain numbers (last: whatever digits are left)
# --------------------------------------------------------------------------------------------------------

ORDINAL = Rule(
    re.compile(r"(?<![\w.])" + INT + r"(st|nd|rd|th|ST|ND|RD|TH)\b"),
    lambda m: ordinal_to_words(int(m.group(1).replace(",", ""))),
)
LETTER_DIGIT_HYPHEN = Rule(re.compile(r"(?<=[A-Za-z])-(?=\d)|(?<=\d)-(?=[A-Z]\b)"), " ")  # COVID-19, 3-D
LEADING_POINT = Rule(  # ".5" -> "point five"
    re.compile(r"(?<![\w.,])(-)?\.(\d+)(?![\w]|\.\d)"),
    lambda m: ("minus " if m.group(1) else "") + decimal_to_words("", m.group(2)),
)


def _number(m: re.Match[str]) -> str:
    sign, int_part, frac = m.groups()
    minus = "minus " if sign else ""
    digits = int_part.replace(",", "")
    if len(digits) > MAX_CARDINAL_DIGITS:  # past decillions (and Python's int() limit): digit by digit
        return minus + digits_to_words(digits) + ("" if not frac else " point " + digits_to_words(frac))
    if frac:
        return minus + decimal_to_words(str(int(digits)), frac)
    if "," in int_part:
        return minus + number_to_words(int(digits))
    value = int(int_part)
    following = next_word(m.string, m.end())
    if not sign and len(int_part) == 4 and 1100 <= value <= 2099 and following not in UNIT_WORDS:
        return year_to_words(value)
    if not sign and following in _ERAS:  # "1066 AD" -> "ten sixty-six"
        return year_to_words(value)
    if len(int_part) > 1 and int_part.startswith("0"):
        return minus + digits_to_words(int_part)
    return minus + number_to_words(value)


NUMBER = Rule(re.compile(r"(?<![\w.,])(-)?" + INT + r"(?:\.(\d+))?(?![\w]|[.,]\d)"), _number)
