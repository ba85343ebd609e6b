"""Numbers and letters as words: cardinals, ordinals, years, decimals, fractions, digit and letter spelling.

These are the readings the rules build on, also used by SSML ``<say-as>``. Cardinals and ordinals come
from ``num2words``; years, decimals, fractions and the paired readings of model numbers are ours, because
``num2words`` reads them differently (see each function).
"""

from __future__ import annotations

import re

from num2words import num2words

DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# Below 10**36 (decillions) a number has a cardinal reading; longer digit runs are read digit by digit.
MAX_CARDINAL_DIGITS = 36
_CARDINAL_LIMIT = 10**MAX_CARDINAL_DIGITS


def _american(words: str) -> str:
    """num2words writes British English ("one hundred and one", "one thousand, two hundred"); the voice
    speaks American English, which says neither the "and" nor the pauses of the commas."""
    return words.replace(",", "").replace(" and ", " ")


def digits_to_words(digits: str) -> str:
    """Read a digit string one digit at a time: "007" -> "zero zero seven"."""
    return " ".join(DIGIT_NAMES[int(d)] for d in digits if d.isdigit())


def number_to_words(n: int) -> str:
    """Cardinal in American English without "and": 123 -> "one hundred twenty-three".

    Handles negatives and everything below 10**36 (decillions); larger magnitudes are read digit-wise.
    """
    if n < 0:
        return "minus " + number_to_words(-n)
    if n >= _CARDINAL_LIMIT:
        return digits_to_words(str(n))
    return _american(num2words(n))


def ordinal_to_words(n: int) -> str:
    """1 -> "first", 22 -> "twenty-second", 103 -> "one hundred third"."""
    if n < 0:  # num2words has no negative ordinals; "minus third" is what a reader makes of "-3rd"
        return "minus " + ordinal_to_words(-n)
    if n >= _CARDINAL_LIMIT:
        digits = str(n)
        return f"{digits_to_words(digits[:-1])} {ordinal_to_words(int(digits[-1]))}"
    return _american(num2words(n, to="ordinal"))


def year_to_words(year: int) -> str:
    """Read a year the way it is spoken: 1999 -> "nineteen ninety-nine", 2005 -> "two thousand five",
    2010 -> "twenty ten", 1900 -> "nineteen hundred", 1905 -> "nineteen oh five".

    Not ``num2words(to="year")``: it writes "nineteen oh-five", reads 1001-1009 and 3001-3009 as "one
    thousand one" where we say "ten oh one" as in "1066 AD", and reads numbers below 1000 as years ("one
    oh-one" for 101), where a cardinal is meant."""
    if not 1000 <= year <= 9999 or 2000 <= year <= 2009:
        return number_to_words(year)
    high, low = divmod(year, 100)
    if low == 0:
        if high % 10 == 0:  # 1000, 3000: "one thousand"
            return number_to_words(year)
        return f"{number_to_words(high)} hundred"
    if low < 10:
        return f"{number_to_words(high)} oh {DIGIT_NAMES[low]}"
    return f"{number_to_words(high)} {number_to_words(low)}"


def paired_number(digits: str) -> str:
    """A model number read in pairs: "747" -> "seven forty-seven", "305" -> "three oh five", "4090" ->
    "forty ninety"; round hundreds stay cardinals ("300" -> "three hundred")."""
    if len(digits) == 4 and digits[0] != "0":
        return year_to_words(int(digits))
    if len(digits) == 3 and digits[0] != "0" and digits[1:] != "00":
        tail = int(digits[1:])
        pair = f"oh {DIGIT_NAMES[tail]}" if tail < 10 else number_to_words(tail)
        return f"{DIGIT_NAMES[int(digits[0])]} {pair}"
    return number_to_words(int(digits))


def two_digit_year(yy: str) -> str:
    """'99 -> "ninety-nine", '05 -> "oh five", '00 -> "two thousand"."""
    n = int(yy)
    if n == 0:
        return "two thousand"
    return f"oh {DIGIT_NAMES[n]}" if n < 10 else number_to_words(n)


def decimal_to_words(int_part: str, frac_part: str) -> str:
    """ "3", "14" -> "three point one four"; an empty integer part reads "point five".

    From the digit strings, not ``num2words`` of a float: "2.50" keeps its "zero" and "0.1" stays exact."""
    head = number_to_words(int(int_part)) + " " if int_part else ""
    return f"{head}point {digits_to_words(frac_part)}"


def amount_words(int_part: str, frac: str | None) -> str:
    """An amount as written ("1,250", "3" and "14"): "one thousand two hundred fifty", "three point one
    four"; an empty integer part is zero."""
    n = int(int_part.replace(",", "")) if int_part else 0
    return decimal_to_words(str(n), frac) if frac else number_to_words(n)


def plural(words: str) -> str:
    """ "twenty" -> "twenties", "six" -> "sixes", "hundred" -> "hundreds"."""
    if words.endswith("y"):
        return words[:-1] + "ies"
    if words.endswith("x") or words.endswith("s"):
        return words + "es"
    return words + "s"


def article(word: str) -> str:
    """ "a" or "an" before ``word`` (by its first letter; "hour" is the one silent h that matters here)."""
    return "an" if word[:1] in "aeio" or word.startswith("hour") else "a"


# --------------------------------------------------------------------------------------------------------
# Fractions (ours: num2words has no fractions)
# --------------------------------------------------------------------------------------------------------


def _denominator(d: int, plural: bool) -> str:
    if d == 2:
        return "halves" if plural else "half"
    if d == 4:
        return "quarters" if plural else "quarter"
    word = ordinal_to_words(d)
    return word + "s" if plural else word


def fraction_to_words(numerator: int, denominator: int) -> str:
    """3/4 -> "three quarters", 1/2 -> "one half", 5/8 -> "five eighths".

    Scores out of 10 or 100 and n/n read "out of" ("8/10" -> "eight out of ten"), and denominators below 2
    or above 1000 read "over"."""
    n, d = numerator, denominator
    if (d in (10, 100) and n > 1) or (n == d and d > 1):
        return f"{number_to_words(n)} out of {number_to_words(d)}"
    if d < 2 or d > 1000:
        return f"{number_to_words(n)} over {number_to_words(d)}"
    return f"{number_to_words(n)} {_denominator(d, n != 1)}"


def mixed_fraction_words(whole: int, n: int, d: int) -> str:
    """1 1/2 -> "one and a half", 2 3/4 -> "two and three quarters"."""
    if n == 1 and 2 <= d <= 1000:
        part = _denominator(d, False)
        return f"{number_to_words(whole)} and {article(part)} {part}"
    return f"{number_to_words(whole)} and {fraction_to_words(n, d)}"


def fraction_of(n: int, d: int, noun: str) -> str:
    """1/2 cup -> "half a cup", 1/4 mile -> "a quarter of a mile", 3/4 inch -> "three quarters of an inch"."""
    if n == 1 and d == 2:
        return f"half {article(noun)} {noun}"
    if n == 1 and 2 < d <= 1000:
        part = _denominator(d, False)
        return f"{article(part)} {part} of {article(noun)} {noun}"
    return f"{fraction_to_words(n, d)} of {article(noun)} {noun}"


def fraction_adjective(n: int, d: int) -> str:
    """The fraction as a modifier: 1/2 -> "half", 3/4 -> "three-quarter", 3/8 -> "three-eighths"."""
    if d == 2 and n == 1:
        return "half"
    if d == 4:
        return "quarter" if n == 1 else f"{number_to_words(n)}-quarter"
    return fraction_to_words(n, d).replace(" ", "-")


# --------------------------------------------------------------------------------------------------------
# Letters
# --------------------------------------------------------------------------------------------------------

LETTERS_OR_DIGITS_RE = re.compile(r"[A-Za-z]+|\d+")


def spell_letters(letters: str) -> str:
    """ "NYC" -> "N-Y-C": letters joined by hyphens, which eSpeak reads as letter names with acronym stress.

    A final A is written "eh": eSpeak reads a lone or final "A" in the middle of a phrase as the article
    "uh" ("p m" is read right as it is)."""
    spelled = "-".join(letters.upper())
    return spelled[:-1] + "eh" if spelled.endswith("A") else spelled


def spell_out(text: str) -> str:
    """Letters as letter names and digits one by one: "ABC123" -> "A-B-C one two three"."""
    parts = []
    for run in LETTERS_OR_DIGITS_RE.findall(text):
        parts.append(digits_to_words(run) if run[0].isdigit() else spell_letters(run))
    return " ".join(parts)
