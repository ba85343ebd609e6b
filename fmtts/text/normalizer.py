"""English text normalisation: turn written text into words that eSpeak reads the way a person would.

eSpeak has its own number and abbreviation rules, but they are inconsistent (years, currency, times,
dates, units, roman numerals and some acronyms are read digit-wise, letter-wise or as "roman two"), so
everything that has a spoken form is expanded here first. The output keeps sentence punctuation
(``, . ! ? ; :``) and quotes so the phonemizer can preserve pauses. The rules are regular expressions over
the word tables in :mod:`fmtts.text.normalizer_tables`, applied in a fixed order (:func:`normalize_text`).

Design choices (documented because they are judgement calls):

* Accented Latin-1 letters (é, ü, ñ, ç ...) are *kept*: eSpeak's English rules know many loanwords and
  stripping the accent changes the word ("résumé" -> "resume", "cliché", "Beyoncé" all get worse).
  Letters from the Latin Extended blocks (ł, ő, ş, ř ...) are reduced to ASCII via NFKD, which eSpeak
  reads at least as well. Compatibility characters (ligatures, full-width digits) go through NFKC.
  Letters of other scripts (Greek, Cyrillic, CJK ...) are dropped: eSpeak en-us would spell them out as
  "chinese letter" / Greek letter names, which is worse than silence for an English voice.
* Emoji and other symbols without a spoken form are dropped, so emoji-only text normalises to "".
* ``St.`` is "Saint" when the next word is capitalised ("St. Louis"), otherwise "Street" ("Main St.").
  "Main St. Then ..." is therefore read "Main Saint Then": an accepted error of this simple rule. A
  compass point after a street type is read ("Ave NW" -> "Avenue Northwest"), but a single letter before
  a capitalised word is an initial ("Dr. N. Patel", "St. N. Church"), and "Dr"/"St" count as streets only
  after a capitalised name ("Elm Dr N").
* Abbreviations that can end a sentence (etc., Jr., Street, Co., Ltd. ...) keep their period when they
  are last in the text or followed by a capitalised word, so the sentence end is not lost.
* Four-digit numbers 1100-2099 are read as years unless a unit/currency word follows ("2048 bytes").
* Hour 0 in a time reads "twelve" ("00:30" -> "twelve thirty"); a full hour after 12 reads "hundred"
  ("18:00" -> "eighteen hundred").
* Letters that are spelled are written joined by hyphens ("N-Y-C", "a-m"), which eSpeak reads as letter
  names with acronym stress. A spelled "A" at the end is written "eh": eSpeak reads a lone or final "A"
  in the middle of a phrase as the article "uh" (so "a m" became "a-m"; "p m" is read right as it is).
* All-caps tokens eSpeak already spells (FBI, HTML) or reads as words (NASA, shouted STOP) are left to
  it; the ones it would misread are spelled (see ``normalizer_tables``: "NIH", "VIP", "OTC").
* Numeric dates are month first ("03/04/2021" -> "March fourth") unless the first number cannot be a
  month or the separator is a dot (European "17.05.2024"); those read "the seventeenth of May".
* Telephone numbers are read digit by digit in their groups, with "zero" (like :func:`digits_to_words`)
  and a comma between groups; a US toll-free "800" reads "eight hundred".
* URLs drop their scheme ("https://" is not said) and read "dot", "slash"; "www" is spelled.
* Roman numerals are read only in context: a cardinal after words like "War", "Chapter", "Part", "Bowl"
  or after another capitalised word ("Rocky IV" -> "Rocky four"); "the fourteenth" after a regnal given
  name ("Louis XIV", "Henry Ford II"). The pronoun "I" stays, except after a capitalised context word
  ("World War I") or a regnal name when nothing but punctuation, "of" or "'s" follows ("Charles I of
  England"). "IV" on its own is spelled ("an I-V drip"); other free-standing numerals of I, V and X
  become cardinals, because eSpeak would say "roman two".
* A number and unit between a determiner ("a", "the", "my" ...) and a noun is an adjective and keeps
  the unit singular: "a 10mm wrench" -> "a ten millimeter wrench", "a $5 bill" -> "a five dollar bill",
  "a 3/4-inch screw" -> "a three-quarter-inch screw"; a hyphen ("a 5-km run") always makes one. Without
  a determiner the plural stays ("16GB RAM"): no part-of-speech tagger tells "60 W bulbs" from "ran 5 km
  yesterday". The next word must look like a noun: not a function word, time adverb ("today"), "-ly"
  adverb, contraction or common past tense, and after "the", "my" ... not a word ending in "-s"/"-ed",
  which is more often a verb ("the $5 covers lunch", so "the 10mm screws" keeps its plural). "that" is
  no determiner here ("I know that 5 km seems far"). A double quote after a number is an inch mark unless
  it closes an open quotation (quotes straight after digits open none: 'a 55" TV and a "big" 65" TV') or
  a pronoun or speech verb follows ('I turned 25" she said').
* Extensions up to three digits are cardinals ("ext. 12" -> "extension twelve"); codes after "PIN",
  "zip code", "area code" (not a bare "code": "The code is 3000 lines") and numbers of five or more digits
  after "#"/"No." (not after the word "number") are read digit by digit; model numbers after names like
  "Boeing", "Xbox", before "MAX" or inside "A320", "F-150" are read in pairs ("seven forty-seven", "F one
  fifty"); "320 jets" is a count.
* "12/31" without a year is a date after a cue word ("due", "ends", a weekday) or when the second number
  is an unusual denominator (13-31 but 16, 20, 25; not "1/24 scale", "1/30" shutter speeds). A
  preposition ("by", "on", "since") is a cue only when the number does not read as a common fraction ("by
  12/31" but "by 1/3"), and never before "of" or a measure word ("by 1/2 cup"); "from 10/15 to 10/20" are
  both dates. After "exp", "expiry", "valid thru" (or "expires" with a leading zero) "09/26" is a card's
  month and year. "n/5", "n/20" and "n/50" are scores ("four out of five") unless "of" follows, "3/1" is
  odds ("three to one"), "60/40" a split ("sixty-forty"); "Step 3 / 5" reads "three of five".
* "#tag" reads "hashtag tag" (camel case split), but "#A12" is a label; "180C" is a temperature only a
  few words after words like "bake" in the same clause, not after "room", "flat", "seat" ... and not
  before a noun ("Add 1 C sugar").
* A bare decade ("80s") reads "eighties" and other plural numbers "fives", "hundreds" ("in 5s and 10s",
  "100s of people"); seconds are recognised only as "10 s" or "10 sec".
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterable

from fmtts.text.normalizer_tables import (
    ACRONYM_READINGS,
    AMBIGUOUS_UNITS,
    AMBIGUOUS_WEEKDAYS,
    ATTRIBUTIVE_DETERMINERS,
    BIBLE_BOOKS,
    CARD_EXPIRY_CUES,
    CODAS,
    COMPARISONS,
    COMPASS_POINTS,
    CURRENCY_CODES,
    CURRENCY_MAGNITUDES,
    DATE_CUES,
    DIGIT_CUES,
    DOLLAR_COUNTRIES,
    FINALS,
    LITERALS,
    LY_MODIFIERS,
    MAGNITUDES,
    MEASURE_NOUNS,
    MODEL_NAMES,
    MODEL_SUFFIXES,
    MONTH_ABBREVIATIONS,
    MONTHS,
    NOT_HASHTAGS,
    NOT_MODIFIED_NOUNS,
    NOT_REGNAL,
    NOT_TEMPERATURE_AFTER,
    ONSETS,
    PER_UNITS,
    REFERENCES,
    REFERENCES_WITHOUT_PERIOD,
    REGNAL_NAMES,
    ROMAN_AHEAD,
    ROMAN_CARDINAL_CONTEXT,
    SPELLED_ACRONYMS,
    SPELLED_TLDS,
    STATUS_CUES,
    STREET_TYPES,
    SYMBOLS,
    TEMPERATURE_CUES,
    TITLES,
    UNITS,
    URL_TLDS,
    US_STATES,
    VIDEO_LINES,
    WEAK_DATE_CUES,
    WEEKDAY_ABBREVIATIONS,
    WORD_ACRONYMS,
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

Repl = Callable[[re.Match[str]], str]


def _alternation(words: Iterable[str]) -> str:
    """Regex alternation of literal words, longest first so that "km/h" wins over "km"."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


# --------------------------------------------------------------------------------------------------------
# Number to words
# --------------------------------------------------------------------------------------------------------

_ONES = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
]  # fmt: skip
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = [
    "", "thousand", "million", "billion", "trillion", "quadrillion", "quintillion", "sextillion",
    "septillion", "octillion", "nonillion", "decillion",
]  # fmt: skip
_ORDINAL_IRREGULAR = {
    "zero": "zeroth", "one": "first", "two": "second", "three": "third", "five": "fifth",
    "eight": "eighth", "nine": "ninth", "twelve": "twelfth",
}  # fmt: skip


def _under_100(n: int) -> str:
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


def _under_1000(n: int) -> str:
    hundreds, rest = divmod(n, 100)
    parts = []
    if hundreds:
        parts.append(f"{_ONES[hundreds]} hundred")
    if rest:
        parts.append(_under_100(rest))
    return " ".join(parts)


def digits_to_words(digits: str) -> str:
    """Read a digit string one digit at a time: "007" -> "zero zero seven"."""
    return " ".join(_ONES[int(d)] for d in digits if d.isdigit())


def number_to_words(n: int) -> str:
    """Cardinal in American English without "and": 123 -> "one hundred twenty-three".

    Handles negatives and everything below 10**36 (decillions); larger magnitudes are read digit-wise.
    """
    if n < 0:
        return "minus " + number_to_words(-n)
    if n == 0:
        return "zero"
    if n >= 1000 ** len(_SCALES):
        return digits_to_words(str(n))
    groups: list[str] = []
    scale = 0
    while n:
        n, group = divmod(n, 1000)
        if group:
            groups.append(_under_1000(group) + (f" {_SCALES[scale]}" if scale else ""))
        scale += 1
    return " ".join(reversed(groups))


def _ordinalize_word(word: str) -> str:
    if word in _ORDINAL_IRREGULAR:
        return _ORDINAL_IRREGULAR[word]
    if word.endswith("y"):
        return word[:-1] + "ieth"
    return word + "th"


def ordinal_to_words(n: int) -> str:
    """1 -> "first", 22 -> "twenty-second", 103 -> "one hundred third"."""
    words = number_to_words(n)
    # only the last word (or the part after the last hyphen) changes
    match = re.search(r"[a-z]+$", words)
    assert match is not None
    return words[: match.start()] + _ordinalize_word(match.group())


def year_to_words(year: int) -> str:
    """Read a year the way it is spoken: 1999 -> "nineteen ninety-nine", 2005 -> "two thousand five",
    2010 -> "twenty ten", 1900 -> "nineteen hundred", 1905 -> "nineteen oh five"."""
    if not 1000 <= year <= 9999:
        return number_to_words(year)
    if 2000 <= year <= 2009:
        return number_to_words(year)
    high, low = divmod(year, 100)
    if low == 0:
        if high % 10 == 0:  # 1000, 3000: "one thousand"
            return number_to_words(year)
        return f"{number_to_words(high)} hundred"
    if low < 10:
        return f"{number_to_words(high)} oh {_ONES[low]}"
    return f"{number_to_words(high)} {_under_100(low)}"


def _paired_number(digits: str) -> str:
    """A model number read in pairs: "747" -> "seven forty-seven", "305" -> "three oh five", "4090" ->
    "forty ninety"; round hundreds stay cardinals ("300" -> "three hundred")."""
    if len(digits) == 4 and digits[0] != "0":
        return year_to_words(int(digits))
    if len(digits) == 3 and digits[0] != "0" and digits[1:] != "00":
        tail = int(digits[1:])
        return f"{_ONES[int(digits[0])]} " + (f"oh {_ONES[tail]}" if tail < 10 else _under_100(tail))
    return number_to_words(int(digits))


def _two_digit_year(yy: str) -> str:
    """'99 -> "ninety-nine", '05 -> "oh five", '00 -> "two thousand"."""
    n = int(yy)
    if n == 0:
        return "two thousand"
    return f"oh {_ONES[n]}" if n < 10 else _under_100(n)


def decimal_to_words(int_part: str, frac_part: str) -> str:
    """ "3", "14" -> "three point one four"; an empty integer part reads "point five"."""
    head = number_to_words(int(int_part)) + " " if int_part else ""
    return f"{head}point {digits_to_words(frac_part)}"


def _plural(words: str) -> str:
    if words.endswith("y"):
        return words[:-1] + "ies"
    if words.endswith("x") or words.endswith("s"):
        return words + "es"
    return words + "s"


def _article(word: str) -> str:
    """ "a" or "an" before ``word`` (by its first letter; "hour" is the one silent h that matters here)."""
    return "an" if word[:1] in "aeio" or word.startswith("hour") else "a"


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


def _mixed_fraction_words(whole: int, n: int, d: int) -> str:
    """1 1/2 -> "one and a half", 2 3/4 -> "two and three quarters"."""
    if n == 1 and 2 <= d <= 1000:
        part = _denominator(d, False)
        return f"{number_to_words(whole)} and {_article(part)} {part}"
    return f"{number_to_words(whole)} and {fraction_to_words(n, d)}"


def _fraction_of(n: int, d: int, noun: str) -> str:
    """1/2 cup -> "half a cup", 1/4 mile -> "a quarter of a mile", 3/4 inch -> "three quarters of an inch"."""
    if n == 1 and d == 2:
        return f"half {_article(noun)} {noun}"
    if n == 1 and 2 < d <= 1000:
        part = _denominator(d, False)
        return f"{_article(part)} {part} of {_article(noun)} {noun}"
    return f"{fraction_to_words(n, d)} of {_article(noun)} {noun}"


def _fraction_adjective(n: int, d: int) -> str:
    """The fraction as a modifier: 1/2 -> "half", 3/4 -> "three-quarter", 3/8 -> "three-eighths"."""
    if d == 2 and n == 1:
        return "half"
    if d == 4:
        return "quarter" if n == 1 else f"{number_to_words(n)}-quarter"
    return fraction_to_words(n, d).replace(" ", "-")


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
        year_words = _two_digit_year(f"{year:02d}") if 0 <= year < 100 else year_to_words(year)
        words += (", " if day is not None else " ") + year_words
    return words


_LETTERS_OR_DIGITS_RE = re.compile(r"[A-Za-z]+|\d+")


def _spell_letters(letters: str) -> str:
    """ "NYC" -> "N-Y-C"; a final A is written "eh" (see the module docstring)."""
    spelled = "-".join(letters.upper())
    return spelled[:-1] + "eh" if spelled.endswith("A") else spelled


def spell_out(text: str) -> str:
    """Letters as letter names and digits one by one: "ABC123" -> "A-B-C one two three"."""
    parts = []
    for run in _LETTERS_OR_DIGITS_RE.findall(text):
        parts.append(digits_to_words(run) if run[0].isdigit() else _spell_letters(run))
    return " ".join(parts)


def _phone_group(group: str, area_code: bool) -> str:
    if area_code and group == "800":  # toll-free numbers are said "one eight hundred ..."
        return "eight hundred"
    return digits_to_words(group)


def telephone_to_words(number: str) -> str:
    """ "+1 (555) 123-4567" -> "plus one, five five five, one two three, four five six seven".

    Groups come from the separators; an unseparated 7, 10 or 11 (leading 1) digit number is grouped the
    North American way."""
    groups = re.findall(r"\d+", number)
    if len(groups) == 1:
        g = groups[0]
        if len(g) == 11 and g[0] == "1":
            groups = [g[0], g[1:4], g[4:7], g[7:]]
        elif len(g) == 10:
            groups = [g[:3], g[3:6], g[6:]]
        elif len(g) == 7:
            groups = [g[:3], g[3:]]
    us_country_code = bool(groups) and groups[0] == "1" and len(groups) > 1
    words = [_phone_group(g, i == int(us_country_code)) for i, g in enumerate(groups)]
    head = "plus " if number.lstrip().startswith("+") and words else ""
    return head + ", ".join(words)


# --------------------------------------------------------------------------------------------------------
# Unicode cleanup
# --------------------------------------------------------------------------------------------------------

_PRE_NFKC = {
    # mapped before NFKC because NFKC would turn them into something unhelpful ("1⁄2", "TM", " ́"); the
    # space keeps "1½" apart as "1 1/2"
    "½": " 1/2", "⅓": " 1/3", "⅔": " 2/3", "¼": " 1/4", "¾": " 3/4", "⅕": " 1/5", "⅛": " 1/8",
    "⅜": " 3/8", "⅝": " 5/8", "⅞": " 7/8", "²": " squared", "³": " cubed",
    "¹": "", "⁰": "", "⁴": "", "⁵": "", "⁶": "", "⁷": "", "⁸": "", "⁹": "",  # footnote marks
    "º": "°", "\u2044": "/",
    "™": "", "®": "", "©": "",
    "´": "'", "`": "'", "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u02bc": "'", "\u2039": '"', "\u203a": '"',
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "«": '"', "»": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2212": "-", "\u00ad": "",
    "\u2026": "...",
    "ß": "ss", "ẞ": "SS", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h", "Ħ": "H",
    "¡": "", "¿": "",
}  # fmt: skip
_PRE_NFKC_TABLE = str.maketrans(_PRE_NFKC)
_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\ufe0e\ufe0f]")
# an en dash after a number-ish token and before a number is a range: 1990–1995, 9am–5pm, $10–$20
_EN_DASH_RANGE_RE = re.compile(r"(?:(?<=\d)|(?<=%)|(?<=[ap]m))\s*\u2013\s*(?=[$£€¥]?\d)")
_SPACED_HYPHEN_NUMBERS_RE = re.compile(r"(?<=\d) - (?=\d)")
_DASH_RE = re.compile(r"\s*[\u2013\u2014\u2015]+\s*|\s+-{1,3}\s+|(?<=\w)--+(?=\w)")


def _fold_letter(ch: str) -> str:
    """Latin Extended letters -> ASCII base letter; Latin-1 accented letters are kept (see module doc)."""
    code = ord(ch)
    if 0x0100 <= code <= 0x024F or 0x1E00 <= code <= 0x1EFF:
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if base.isascii():
            return base
    return ch


def _clean_unicode(text: str) -> str:
    text = text.translate(_PRE_NFKC_TABLE)
    text = _ZERO_WIDTH_RE.sub("", text)
    text = unicodedata.normalize("NFKC", text)  # ligatures, full-width forms, NBSP and odd spaces
    text = _EN_DASH_RANGE_RE.sub(" to ", text)
    # "5 - 3" is a subtraction in a formula, a range otherwise
    text = _SPACED_HYPHEN_NUMBERS_RE.sub(" minus " if "=" in text else " to ", text)
    text = _DASH_RE.sub(", ", text)  # a dash is a pause
    if text.isascii():
        return text
    return "".join(_fold_letter(c) if not c.isascii() and c.isalpha() else c for c in text)


_ASCII_DROP = str.maketrans({c: " " for c in "*_~^|\\<>`#/"})
_BRACKETS_RE = re.compile(r"\s*[()\[\]{}]+\s*")
_KEEP_NON_ASCII = set("$£€¥")


def _keep_char(ch: str) -> bool:
    if ch.isascii():
        return ch.isprintable() or ch in "\n\t "
    if ch in _KEEP_NON_ASCII:
        return True
    if ch.isalpha():
        return unicodedata.name(ch, "").startswith("LATIN")
    return False


_ASCII_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _drop_unspeakable(text: str) -> str:
    if text.isascii():
        text = _ASCII_CONTROL_RE.sub(" ", text)
    else:
        text = "".join(c if _keep_char(c) else " " for c in text)
    text = text.translate(_ASCII_DROP)
    return _BRACKETS_RE.sub(", ", text)  # parentheticals are read with pauses


# --------------------------------------------------------------------------------------------------------
# Literals, e-mail addresses, URLs
# --------------------------------------------------------------------------------------------------------


def _literal_pattern(literal: str) -> str:
    head = r"(?<![\w/])" if literal[0].isalnum() else ""
    tail = r"(?!\w)" if literal[-1].isalnum() else ""
    return head + re.escape(literal) + tail


_LITERAL_RE = re.compile("|".join(_literal_pattern(k) for k in sorted(LITERALS, key=len, reverse=True)))

_URL_CHARS = {
    ".": "dot", "/": "slash", "-": "dash", "_": "underscore", "?": "question mark", "=": "equals",
    "&": "and", "#": "hash", "%": "percent", "~": "tilde", "+": "plus", ":": "colon", "@": "at",
}  # fmt: skip
_URL_CHAR_RE = re.compile("[" + re.escape("".join(_URL_CHARS)) + "]")
_URL_RE = re.compile(
    r"(?<![\w@./])(?P<scheme>(?:https?|ftp)://)?(?P<www>www\.)?"
    r"(?P<host>localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?P<tld>[A-Za-z]{2,}))(?![\w-])"
    r"(?::(?P<port>\d{1,5})\b)?(?P<rest>/[^\s]*)?"
)
_URL_TLD_SET = frozenset(URL_TLDS)
_EMAIL_RE = re.compile(r"(?<![\w.+-])([\w.+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?![\w-])")
_TRAILING_PUNCT_RE = re.compile(r"[.,;:!?)\]\"']+$")


def _url_text(part: str) -> str:
    """Symbols inside a URL or address read as words: "a_b-c" -> "a underscore b dash c"."""
    return _URL_CHAR_RE.sub(lambda m: f" {_URL_CHARS[m.group()]} ", part)


def _host_words(host: str) -> str:
    labels = host.split(".")
    words = [_url_text(label) for label in labels[:-1]]
    tld = labels[-1]
    words.append(_spell_letters(tld) if tld.lower() in SPELLED_TLDS else tld)
    return " dot ".join(words)


def _url(m: re.Match[str]) -> str:
    tld = m.group("tld")
    if not (m.group("scheme") or m.group("www")) and tld and tld.lower() not in _URL_TLD_SET:
        return m.group(0)  # "Node.js", "e.g": not an address
    rest = m.group("rest") or ""
    trailing = _TRAILING_PUNCT_RE.search(rest)
    tail = trailing.group() if trailing else ""
    rest = rest[: len(rest) - len(tail)]
    words = "double-u double-u double-u dot " if m.group("www") else ""
    words += _host_words(m.group("host"))
    port = m.group("port")
    if port:  # "localhost:8080" -> "localhost colon eighty eighty"; other ports digit by digit
        words += " colon " + (_paired_number(port) if len(port) == 4 else digits_to_words(port))
    words += _url_text(rest)
    return f" {words} {tail}"


def _email(m: re.Match[str]) -> str:
    return f" {_url_text(m.group(1))} at {_host_words(m.group(2))} "


# --------------------------------------------------------------------------------------------------------
# Hashtags, model numbers, formulas (before the literals: "Porsche 911" is no emergency number)
# --------------------------------------------------------------------------------------------------------

_DOTFILE_RE = re.compile(r"(?<![\w.])(?<!\. \. )\.(?=[A-Za-z]{2,}\b(?!\.\w))")  # ".env", ".NET": "dot env"
_HASHTAG_RE = re.compile(r"(?<![\w&#])#([A-Za-z][A-Za-z0-9_]*)")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])|_")
_MODEL_NAME_RE = re.compile(r"(?<![\w.])(" + _alternation(MODEL_NAMES) + r") (\d{3,4})(?![\w]|[.,]\d)")
_MODEL_SUFFIX_RE = re.compile(r"(?<![\w.,$£€¥])(\d{3})(?= (?:" + _alternation(MODEL_SUFFIXES) + r")\b)")
_POWER_RE = re.compile(r"\^\s?(\d+)")
_TIMES_SIGN_RE = re.compile(r"(?<=\d)\s*\*\s*(?=\d)|(?<=\w) \* (?=\w)")
_NUMBER_TIMES_SIGN_RE = re.compile(r"(?<=\d)\s*\*\s*(?=\d)")
_DIVIDED_RE = re.compile(r"(?<=\d) [/÷] (?=\d)")
# "Step 3 / 5", "page 12/40" -> "3 of 5", "Rating: 4 / 5" -> "4 out of 5"; "*" is "times" only between
# numbers or in a formula ("5 stars * terms apply")
_POSITION_SCORE_RE = re.compile(
    r"\b((?:(?:step|rating|rated|page|score|question|part|round|level|stage|slide|episode|day|week)s?)"
    r"(?::? #?|: ?))(\d{1,3}(?:\.\d)?) ?/ ?(\d{1,3})(?![\w/]|[.,]\d)",
    re.IGNORECASE,
)


def _hashtag(m: re.Match[str]) -> str:
    """ "#ThrowbackThursday" -> "hashtag Throwback Thursday"."""
    if m.group(1) in NOT_HASHTAGS:
        return m.group(1)
    if re.fullmatch(r"[A-Z]{1,2}\d+", m.group(1)):
        return m.group(0)  # a label, not a tag: "Item #A12", "Unit #C3"
    return " hashtag " + _CAMEL_RE.sub(" ", m.group(1)) + " "


def _position_score(m: re.Match[str]) -> str:
    cue, n, d = m.groups()
    if not 0 < float(n) <= int(d) or _next_word(m.string, m.end()) in MEASURE_NOUNS:
        return m.group(0)  # "Step 3/4 cup"
    out_of = cue.lower().startswith(("rat", "score"))
    return f"{cue}{n} {'out of' if out_of else 'of'} {d}"


def _power(m: re.Match[str]) -> str:
    exponent = m.group(1)
    return {"2": " squared", "3": " cubed"}.get(exponent, f" to the power of {exponent}")


def _formulas_and_models(text: str) -> str:
    text = _HASHTAG_RE.sub(_hashtag, text)
    text = _DOTFILE_RE.sub("dot ", text)
    text = _MODEL_NAME_RE.sub(lambda m: f"{m.group(1)} {_paired_number(m.group(2))}", text)
    text = _MODEL_SUFFIX_RE.sub(lambda m: _paired_number(m.group(1)), text)
    text = _POWER_RE.sub(_power, text)
    text = _TIMES_SIGN_RE.sub(" times ", text) if "=" in text else _NUMBER_TIMES_SIGN_RE.sub(" times ", text)
    text = _POSITION_SCORE_RE.sub(_position_score, text)
    return _DIVIDED_RE.sub(" divided by ", text)


# --------------------------------------------------------------------------------------------------------
# Telephone numbers and numeric dates (before abbreviations and ranges, which would split them)
# --------------------------------------------------------------------------------------------------------

_EXTENSION = r"(?:\s*,?\s*(?:ext\.?|x|extension)\s*(?P<ext>\d{1,5}))?"
_PHONE_RE = re.compile(
    r"(?<![\w+.-])(?:(?:\+\d{1,3}|1)[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[.-])\d{3}[.-]\d{4}(?![\w-]|[.-]\d)"
    + _EXTENSION
)
_INTERNATIONAL_PHONE_RE = re.compile(
    r"(?<![\w+])\+\d{1,3}(?:[\s.-]\(?\d{1,5}\)?){2,5}(?![\w-]|[.-]\d)" + _EXTENSION
)
# national numbers with a trunk zero, in spaced groups: "020 7946 0958", "0800 123 4567", "07700 900123"
_TRUNK_PHONE_RE = re.compile(r"(?<![\w+.,-])0\d{2,4}(?: \d{3,6}){1,2}(?![\w-]|[.,]\d)" + _EXTENSION)
# "1-800-FLOWERS": the letters are said as the word
_VANITY_PHONE_RE = re.compile(r"(?<![\w+-])(?:1-)?(8[0-9]{2})-([A-Z]{3,}(?:-[A-Z]{2,})*)(?![\w-])")
_LOCAL_PHONE_RE = re.compile(r"(?<![\w.+-])\d{3}-\d{4}(?![\w-]|[.-]\d)" + _EXTENSION)
# "555-1234" is a telephone number only after one of these words; otherwise it is a range ("500-1000")
_PHONE_CUE_RE = re.compile(r"\b(?:call|phone|tel|telephone|dial|fax|text|mobile|cell|number)\b", re.I)


def _phone(m: re.Match[str]) -> str:
    number = m.group(0)[: m.start("ext") - m.start()] if m.group("ext") else m.group(0)
    words = telephone_to_words(number)
    if m.group("ext"):
        words += f", extension {_extension_words(m.group('ext'))}"
    return words


def _extension_words(digits: str) -> str:
    """An extension up to three digits is a cardinal ("ext. 12" -> "twelve"), a longer one is spelled."""
    if len(digits) <= 3 and not (len(digits) > 1 and digits.startswith("0")):
        return number_to_words(int(digits))
    return digits_to_words(digits)


def _trunk_phone(m: re.Match[str]) -> str:
    number = m.group(0)[: m.start("ext") - m.start()] if m.group("ext") else m.group(0)
    if not 10 <= sum(c.isdigit() for c in number) <= 11:
        return m.group(0)  # too short or long for a national number
    return _phone(m)


def _vanity_phone(m: re.Match[str]) -> str:
    prefix = "one, " if m.group(0).startswith("1-") else ""
    return f"{prefix}{_phone_group(m.group(1), True)}, {m.group(2).replace('-', ' ')}"


def _local_phone(m: re.Match[str]) -> str:
    if not _PHONE_CUE_RE.search(m.string[max(0, m.start() - 30) : m.start()]):
        return m.group(0)
    return _phone(m)


# "Cupertino, CA 95014": the state's name and the ZIP code digit by digit
_ZIP_RE = re.compile(r"(?<=, )(" + _alternation(US_STATES) + r") (\d{5})(?:-(\d{4}))?(?![\w-])")
# British postcodes: "SW1A 2AA", "M1 1AE" are spelled
# (the last two letters are never C, I, K, M, O or V, so "A1 2PM" is no postcode)
_POSTCODE_RE = re.compile(r"(?<![\w.-])([A-Z]{1,2}\d[A-Z\d]?) (\d[ABD-HJLNP-UW-Z]{2})(?![\w-])")
# compass points in addresses: "W 42nd St", "Pennsylvania Ave NW"
_COMPASS_BEFORE_RE = re.compile(r"(?<![\w.])([NSEW])\.? (?=\d+(?:st|nd|rd|th)\b)")
_COMPASS_AFTER_RE = re.compile(
    r"\b("
    + _alternation(STREET_TYPES)
    + r")(\.?) ("
    + _alternation(COMPASS_POINTS)
    + r")(\.)?(?![\w'-]|\.\w)"
)
# "Dr" and "St" are a title and "Saint" more often than a street: a street only after a capitalised name
_STREET_NAME_BEFORE_RE = re.compile(r"(?<![\w.])(?:[A-Z][a-z]+|\d+(?:st|nd|rd|th))\s+$")


def _zip(m: re.Match[str]) -> str:
    words = f"{US_STATES[m.group(1)]} {digits_to_words(m.group(2))}"
    return words + (f", {digits_to_words(m.group(3))}" if m.group(3) else "")


def _compass_after(m: re.Match[str]) -> str:
    street, _dot, point, point_dot = m.groups()
    rest = m.string[m.end() :]
    if len(point) == 1 and re.match(r"\s+[A-Z]", rest):
        return m.group(0)  # an initial: "Dr. N. Patel", "Dr S Gupta", "St. N. Church"
    if street in ("Dr", "St") and not _STREET_NAME_BEFORE_RE.search(m.string, 0, m.start()):
        return m.group(0)  # "Call Dr. N, the nurse": a title without a street name before it
    period = _sentence_period(m.string, m.end()) if point_dot else ""
    return f"{STREET_TYPES[street]} {COMPASS_POINTS[point]}{period}"  # "Ave NW" -> "Avenue Northwest"


def _addresses(text: str) -> str:
    text = _ZIP_RE.sub(_zip, text)
    text = _POSTCODE_RE.sub(lambda m: f"{spell_out(m.group(1))}, {spell_out(m.group(2))}", text)
    text = _COMPASS_BEFORE_RE.sub(lambda m: COMPASS_POINTS[m.group(1)] + " ", text)
    return _COMPASS_AFTER_RE.sub(_compass_after, text)


_ISO_DATE_RE = re.compile(r"(?<![\w.-])(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?![\w-]|[./]\d)")
_NUMERIC_DATE_RE = re.compile(r"(?<![\w./-])(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?![\w/-]|\.\d)")


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
    year_words = _two_digit_year(year) if len(year) == 2 else year_to_words(int(year))
    return date_to_words(None, month, day, day_first=day_first) + ", " + year_words


# --------------------------------------------------------------------------------------------------------
# Abbreviations
# --------------------------------------------------------------------------------------------------------

_FINALS_ALT = _alternation(FINALS)


def _sentence_period(text: str, end: int) -> str:
    """ "." if an abbreviation ending at ``end`` probably also ended the sentence."""
    rest = text[end:]
    if not rest.strip():
        return "."
    if re.match(r"\s+[\"']?[A-Z]", rest) and not re.match(r"\s+(?:" + _FINALS_ALT + r")\.", rest):
        return "."  # but not inside a chain of abbreviations: "Acme Co. Ltd."
    return ""


_TITLE_RE = re.compile(r"(?<![\w.])(" + _alternation(TITLES) + r")\.(?=\s)")
_TITLE_NODOT_RE = re.compile(r"(?<![\w.])(Mrs|Mr|Ms|Dr)(?=\s+[A-Z])")
_FINAL_RE = re.compile(r"(?<![\w.])(" + _FINALS_ALT + r")\.")
_VS_RE = re.compile(r"(?<![\w.])vs(?=\s)")
_LEGAL_V_RE = re.compile(r"\b([A-Z][a-z]+) v\.? (?=[A-Z])")  # Roe v. Wade
_ST_RE = re.compile(r"(?<![\w.])St\.")
_ST_NODOT_RE = re.compile(r"(?<![\w.])St(?=\s+[A-Z])")
_ST_END_RE = re.compile(r"(?<![\w.])St(?=\s*(?:$|[,;:!?]))")
_EG_RE = re.compile(r"(?<![\w.])e\.\s?g\.", re.IGNORECASE)
_IE_RE = re.compile(r"(?<![\w.])i\.\s?e\.", re.IGNORECASE)
_ET_AL_RE = re.compile(r"(?<![\w.])et al\.")
_REFERENCE_RE = re.compile(
    r"(?<![\w.])(?:(" + _alternation(REFERENCES) + r")\.|(" + _alternation(REFERENCES_WITHOUT_PERIOD) + r"))"
    r"\s*(?=" + ROMAN_AHEAD + ")"
)
_NUMBER_SIGN_RE = re.compile(r"#\s*(?=\d)")
# a long number after "#" or "No." is an identifier, read digit by digit: "Order #12345"
_LONG_NUMBER_SIGN_RE = re.compile(r"(?<![\w&#])(?:#\s*|(?<![\w.])[Nn]o\.\s*)(\d{5,})(?![\w]|[.,]\d)")
_MONTH_ABBR_RE = re.compile(r"(?<![\w.])(" + _alternation(MONTH_ABBREVIATIONS) + r")\.")
_MONTH_ALT = _alternation([*MONTHS, *MONTH_ABBREVIATIONS])
_WEEKDAY_ALT = _alternation(WEEKDAY_ABBREVIATIONS)
_WEEKDAY_RE = re.compile(
    r"(?<![\w.])(" + _WEEKDAY_ALT + r")(?:\.|(?=,))"
    r"(?=(,?\s*(?:\d|" + _MONTH_ALT + r"))?)"  # group 2: a date follows
)


_WEEKDAY_RANGE_RE = re.compile(r"\b(" + _WEEKDAY_ALT + r")\.?-(" + _WEEKDAY_ALT + r")\b\.?")  # Mon-Fri


def _weekday_name(abbreviation: str) -> str:
    return WEEKDAY_ABBREVIATIONS[abbreviation]


def _weekday(m: re.Match[str]) -> str:
    abbr = m.group(1)
    dotted = m.group(0).endswith(".")
    if abbr in AMBIGUOUS_WEEKDAYS and m.group(2) is None:
        return m.group(0)  # "the Sun."
    if not dotted and m.group(2) is None:
        return m.group(0)  # "Wed," without a date after it
    return WEEKDAY_ABBREVIATIONS[abbr] + (_sentence_period(m.string, m.end()) if dotted else "")


def _reference(m: re.Match[str]) -> str:
    return REFERENCES.get(m.group(1) or m.group(2), "") + " "


def _expand_abbreviations(text: str) -> str:
    text = _LONG_NUMBER_SIGN_RE.sub(lambda m: "number " + digits_to_words(m.group(1)), text)
    text = _REFERENCE_RE.sub(_reference, text)
    text = _NUMBER_SIGN_RE.sub("number ", text)
    text = _EG_RE.sub("for example", text)
    text = _IE_RE.sub("that is", text)
    text = _ET_AL_RE.sub(lambda m: "et al" + _sentence_period(m.string, m.end()), text)
    text = _MONTH_ABBR_RE.sub(lambda m: _month_name(m.group(1)) + _sentence_period(m.string, m.end()), text)
    text = _WEEKDAY_RANGE_RE.sub(
        lambda m: f"{_weekday_name(m.group(1))} to {_weekday_name(m.group(2))}", text
    )
    text = _WEEKDAY_RE.sub(_weekday, text)

    def saint_or_street(m: re.Match[str]) -> str:
        if re.match(r"\s+[A-Z]", m.string[m.end() :]):
            return "Saint"
        return "Street" + _sentence_period(m.string, m.end())

    text = _ST_RE.sub(saint_or_street, text)
    text = _ST_NODOT_RE.sub("Saint", text)
    text = _ST_END_RE.sub("Street", text)
    text = _TITLE_RE.sub(lambda m: TITLES[m.group(1)], text)
    text = _TITLE_NODOT_RE.sub(lambda m: TITLES[m.group(1)], text)
    text = _FINAL_RE.sub(lambda m: FINALS[m.group(1)] + _sentence_period(m.string, m.end()), text)
    text = _LEGAL_V_RE.sub(r"\1 versus ", text)
    return _VS_RE.sub("versus", text)


# --------------------------------------------------------------------------------------------------------
# Roman numerals
# --------------------------------------------------------------------------------------------------------

_ROMAN_TOKEN_RE = re.compile(r"(?<![\w'-])([IVXLCDM]+)(?=(?:'s)?(?![\w'-]))")
_VALID_ROMAN_RE = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
_PREVIOUS_WORDS_RE = re.compile(r"(?:([A-Za-z]+)\.?\s+)?([A-Za-z]+)\.?\s+$")
# after these, "I" is a numeral ("Charles I of England", "Elizabeth I's reign", "World War I.")
_NUMERAL_I_FOLLOWS_RE = re.compile(r"(?:'s\b|\s*(?:$|[,.;:!?)\"]|\s(?:of|and)\b))")
# the free-standing numerals that are more often something else: "an IV drip", "the VI editor", "XX"
_ROMAN_LOOKALIKES = frozenset({"IV", "VI", "XX", "XXX"})


def _roman_value(token: str) -> int | None:
    if not _VALID_ROMAN_RE.fullmatch(token) or not set(token) & set("IVX"):
        return None  # "DC", "CD", "MM" and "L" are never read as numbers
    total = 0
    for ch, nxt in zip(token, token[1:] + " ", strict=True):
        value = _ROMAN_VALUES[ch]
        total += -value if nxt != " " and _ROMAN_VALUES[nxt] > value else value
    return total


def _roman(m: re.Match[str]) -> str:
    token = m.group(1)
    value = _roman_value(token)
    if value is None:
        return token
    only_ivx = set(token) <= set("IVX")
    words = _PREVIOUS_WORDS_RE.search(m.string[: m.start()])
    prev2, prev = (words.group(1) or "", words.group(2)) if words else ("", "")
    if prev.lower() in ROMAN_CARDINAL_CONTEXT and (token != "I" or prev[0].isupper()):
        return number_to_words(value)
    if not only_ivx or f"{prev} {token}" in NOT_REGNAL:
        return token
    if (prev in REGNAL_NAMES or (prev.istitle() and prev2 in REGNAL_NAMES)) and value <= 39:
        if token == "I" and not _NUMERAL_I_FOLLOWS_RE.match(m.string, m.end()):
            return token  # "When Peter I saw ...": the pronoun
        return "the " + ordinal_to_words(value)
    if len(token) < 2:
        return token  # "Malcolm X", "Plan V", the pronoun "I"
    if prev.istitle():
        return number_to_words(value)  # "Rocky IV", "Final Fantasy VII"
    if token in _ROMAN_LOOKALIKES:
        return token
    return number_to_words(value)


# --------------------------------------------------------------------------------------------------------
# Numbers, currency, times, dates, units
# --------------------------------------------------------------------------------------------------------

_INT = r"(\d{1,3}(?:,\d{3})+|\d+)"  # 1,000,000 or 1000000
_CURRENCIES = {
    # symbol: (singular, plural, sub-unit singular, sub-unit plural)
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", None, None),
}
_SPACED_MAGNITUDES = _alternation(
    ["thousand", "million", "billion", "trillion"] + [m for m in CURRENCY_MAGNITUDES if len(m) > 1]
)
_LETTER_MAGNITUDES = _alternation(m for m in CURRENCY_MAGNITUDES if len(m) == 1)
_DOLLAR_COUNTRY_ALT = _alternation(DOLLAR_COUNTRIES)
_CURRENCY_PREFIX_RE = re.compile(
    r"(?<![\w.])(-)?(?:(" + _DOLLAR_COUNTRY_ALT + r")(?=\$))?([$£€¥])\s?(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d+))?"
    # a spelled or two-letter magnitude may stand apart ("$3 bn"), a single letter must not ("$5 T-shirts")
    r"(?:\s?(" + _SPACED_MAGNITUDES + r")|(" + _LETTER_MAGNITUDES + r"))?\b"
)
# "USD 5.50", "5.50 EUR" -> "$5.50", "€5.50" (then read with their cents)
_AMOUNT = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_CURRENCY_CODE_ALT = _alternation(CURRENCY_CODES)
# the other codes ("CAD 20") are units and go after the amount
_CODE_UNITS_ALT = _alternation(u for u in UNITS if len(u) == 3 and u.isupper() and u.isalpha())
_CURRENCY_CODE_RE = re.compile(
    r"(?<![\w.,])(?:(" + _CURRENCY_CODE_ALT + "|" + _CODE_UNITS_ALT + r") ?" + _AMOUNT + r"(?![\w]|[.,]\d)"
    r"|" + _AMOUNT + r" ?(" + _CURRENCY_CODE_ALT + r")(?!\w))"
)
_CURRENCY_SUFFIX_RE = re.compile(r"(?<![\w.])(-)?" + _INT + r"(?:\.(\d+))?\s?([$£€¥])(?!\w)")
# a hyphen between two number-ish tokens is a range or a score: "1990-1995", "10am-2pm", "won 3-2"
_RANGE_RE = re.compile(
    r"(?<![\w.,/:])(\d[\d,]*(?:\.\d+)?(?::[0-5]\d)?(?:\s?(?:[ap]\.m\.|%|[A-Za-z°]{1,3}))?)-(?=[$£€¥]?\d)"
)
_TIME_RE = re.compile(
    r"(?<![\w:.])([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(?![\d:])(?:\s?([AaPp])\.?\s?([Mm])\b(\.)?)?"
)
# what is left of "16:9" after the times: a ratio
_RATIO_RE = re.compile(r"(?<![\w:.])(\d+):(\d+)(?![\w:]|\.\d)")
# 5'11", 6' (feet and inches); not "the 1990's"
_FEET_INCHES_RE = re.compile(r"(?<![\w.'])(\d{1,2})'(?:\s?(\d{1,2})(?:\"|''))?(?![\w'])")
# a double quote straight after a number is an inch mark when no quotation is open before it: 6.7", 1/4"
_INCH_MARK_RE = re.compile(r"(?<![\w.'/])(?:(\d+ )?(\d+/\d+)|(\d+(?:\.\d+)?))\"(?![\w\"])")
_HOUR_AMPM_RE = re.compile(r"(?<![\w:.])(1[0-2]|0?[1-9])\s?([AaPp])\.?\s?[Mm]\b(\.)?")
_PERCENT_RE = re.compile(r"(?<![\w.])(-)?" + _INT + r"(?:\.(\d+))?\s?%")
_ORDINAL_RE = re.compile(r"(?<![\w.])" + _INT + r"(st|nd|rd|th|ST|ND|RD|TH)\b")
_DECADE_RE = re.compile(r"(?<![\w.])(1[1-9]\d0|20\d0)'?s\b")
# "the 90s", "'90s", "mid-80s", "80s music"
_SHORT_DECADE_RE = re.compile(r"(?:(?<![\w.])'|(?<![\w.']))([2-9]0)'?s\b")
_LEADING_POINT_RE = re.compile(r"(?<![\w.,])(-)?\.(\d+)(?![\w]|\.\d)")
_NUMBER_RE = re.compile(r"(?<![\w.,])(-)?" + _INT + r"(?:\.(\d+))?(?![\w]|[.,]\d)")
_MONTH_NAMES = sorted(set(MONTH_ABBREVIATIONS) | set(MONTHS), key=len, reverse=True)
_MONTH_NAME_ALT = "|".join(_MONTH_NAMES)
# "January 5" / "Jan 5th, 1999" -> "January fifth"; the day must not be part of a longer number ("May 2020")
_DATE_RE = re.compile(
    r"\b(" + _MONTH_NAME_ALT + r")\.? (\d{1,2})(?:st|nd|rd|th)?\b(?![.,]\d)(?:,? (\d{4})\b(?![.,]\d))?"
)
# "5 January 1990", "the 5th of May"
_DAY_MONTH_RE = re.compile(
    r"(?<![\w.,])(\d{1,2})(?:st|nd|rd|th)?(?: of)? (" + _MONTH_NAME_ALT + r")\b\.?(?:,? (\d{4})\b(?![.,]\d))?"
)
_DEGREES_RE = re.compile(r"\s?°\s?([CF])\b|\s?°")
# "180C" is a temperature after words like "bake" or "highs"; "degrees F" always is
_BARE_TEMPERATURE_RE = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?) ?([CF])(?![\w'-])")
_DEGREES_LETTER_RE = re.compile(r"\b(degrees?) ([CF])(?![\w'-])")
_TEMPERATURE_CUE_RE = re.compile(r"[A-Za-z]+")
_RESOLUTION_RE = re.compile(r"(?<![\w.])(\d{3,4})([pi])\b")
# "8.30pm" is a time; "2h 30m" and "1h30" are hours and minutes
_DOTTED_TIME_RE = re.compile(r"(?<![\w.:])(1[0-2]|0?[1-9])\.([0-5]\d)(?=\s?[AaPp]\.?\s?[Mm]\b)")
_HOURS_MINUTES_RE = re.compile(r"(?<![\w.])(\d+) ?h ?(\d{1,2})(?: ?m(?:in)?\b|(?![\w.]))")
# "the 2020/21 season" reads like "2020-21"
_SEASON_RE = re.compile(r"(?<![\w/.])((?:1[89]|20)\d\d)/(\d\d)(?![\w/]|\.\d)")
_TO_HYPHEN_RE = re.compile(r"(?<=\d)-to-(?=\d)")  # "a 9-to-5 job"
# a year written with an apostrophe: "Class of '99", "back in '05"
_SHORT_YEAR_RE = re.compile(r"(?<![\w'])'(\d\d)(?![\w']|[.,]\d)")
# "12/31" without a year: a date after a cue word or when the second number cannot be a usual denominator
_MONTH_DAY_RE = re.compile(r"(?<![\w./-])(1[0-2]|0?[1-9])/(\d{1,2})(?![\w/]|[.,]\d)")
_DIGIT_CUE_RE = re.compile(
    r"\b(" + _alternation(DIGIT_CUES) + r")\b((?:\s+(?:number|is|was))*\s*:?\s*)(\d{3,10})(?![\w]|[.,]\d)"
)
_STATUS_CUE_RE = re.compile(r"\b(" + _alternation(STATUS_CUES) + r")((?: code)? )(\d{3})(?![\w]|[.,]\d)")
_SCRIPTURE_RE = re.compile(  # not "Mark 5:30 pm"
    r"\b(" + _alternation(BIBLE_BOOKS) + r") (\d{1,3}):(\d{1,3})\b(?![.,:]\d|\s?[AaPp]\.?[Mm]\b)"
)
# "n/20" is a score ("17/20 on the test") unless "of" follows; 10 and 100 always are (fraction_to_words)
SCORE_DENOMINATORS = frozenset({5, 20, 50})
_FULL_WEEKDAYS = frozenset(WEEKDAY_ABBREVIATIONS.values()) | frozenset(WEEKDAY_ABBREVIATIONS)

# A unit after a number: "5 kg", "1.5kg", "-3 °C", "1/2 kg", "1 1/2 mi", "a 5-km run".
_QUANTITY = (
    r"(?P<sign>-)?(?:(?P<whole>\d+)\s(?=\d+/\d))?(?P<int>\d{1,3}(?:,\d{3})+|\d+)"
    r"(?:\.(?P<frac>\d+)|/(?P<den>\d+))?"
)
_UNIT_RE = re.compile(
    r"(?<![\w.,/])" + _QUANTITY + r"(?P<sep>\s?|-)(?P<unit>" + _alternation(UNITS) + r")(?P<dot>\.)?(?![\w°])"
)
_PER_RE = re.compile(r"(?<=[a-z])/(" + _alternation(PER_UNITS) + r")\b")
_MAGNITUDE_RE = re.compile(r"(?<![\w.,])(\d+(?:\.\d+)?)(" + _alternation(MAGNITUDES) + r")\b")
_DIMENSIONS_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?[x×]\s?(?=\d)")
# "3 in. x 5 in." once the first unit is words: "three inches by 5 in."
_UNIT_BY_RE = re.compile(r"\b(" + _alternation({p for _s, p in UNITS.values()}) + r")\.? [x×] (?=\w)")
_TIMES_RE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?[xX×](?!\w)")
_MIXED_FRACTION_RE = re.compile(r"(?<![\w.,/])(\d+) (\d+)/(\d+)(?![\w/]|\.\d)")
_FRACTION_RE = re.compile(
    r"(?<![\w.,/])(\d+)/(\d+)(?![\w/]|\.\d)(?:([ -])(" + _alternation(MEASURE_NOUNS) + r")\b(?!s))?"
)
_LETTER_DIGIT_HYPHEN_RE = re.compile(r"(?<=[A-Za-z])-(?=\d)|(?<=\d)-(?=[A-Z]\b)")  # COVID-19, 3-D
# three digits after a letter and a hyphen are a model number: "F-150" -> "F one fifty", "Blink-182"
_LETTER_HYPHEN_MODEL_RE = re.compile(r"(?<=[A-Za-z])-(\d{3})(?![\w-]|[.,]\d)")
# three or more hyphenated groups of digits are a code, read in groups: "part 12-345-67"
_DIGIT_GROUPS_RE = re.compile(r"(?<![\w.,/:-])\d+(?:-\d+){2,}(?![\w-]|[.,]\d)")
_DATE_SHAPED_RE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-(?:\d{2}|\d{4})")
_ALNUM_RE = re.compile(r"(?<![\w'])(?<!\d\.)(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]+(?![\w'])")
_VERSION_RE = re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?![\w]|\.\d)")

_ERAS = frozenset({"ad", "bc", "ce", "bce"})
# A four-digit number followed by one of these is a quantity, not a year.
_UNIT_WORDS = frozenset(
    """
    dollar dollars euro euros pound pounds cent cents pence penny yen percent people persons men women
    children students times items units copies words pages points votes miles mile meters metres meter
    km kg g mg lb lbs kilometers kilometres kilograms grams feet foot ft inches inch yards tons tonnes
    bytes kb mb gb tb kilobytes megabytes gigabytes hz khz mhz ghz w kw watts volts calories kcal
    degrees seconds minutes hours days weeks months years pixels rpm
    """.split()
) | frozenset(plural.split()[0] for _singular, plural in UNITS.values())


def _amount_words(int_part: str, frac: str | None) -> str:
    n = int(int_part.replace(",", "")) if int_part else 0
    return decimal_to_words(str(n), frac) if frac else number_to_words(n)


def _currency_words(
    sign: str | None, symbol: str, int_part: str, frac: str | None, scale: str | None, country: str = ""
) -> str:
    unit, units, sub, subs = _CURRENCIES[symbol]
    if country:  # "US$5" -> "five US dollars"
        unit, units = f"{DOLLAR_COUNTRIES[country]} {unit}", f"{DOLLAR_COUNTRIES[country]} {units}"
    minus = "minus " if sign else ""
    if scale:  # $2.5 million, $5M -> two point five million dollars
        return f"{minus}{_amount_words(int_part, frac)} {CURRENCY_MAGNITUDES.get(scale, scale)} {units}"
    whole = int(int_part.replace(",", "")) if int_part else 0
    if frac and (sub is None or len(frac) > 2):
        return f"{minus}{_amount_words(int_part, frac)} {units}"
    cents = int(frac.ljust(2, "0")) if frac else 0
    parts = []
    if whole or not cents:
        parts.append(f"{number_to_words(whole)} {unit if whole == 1 else units}")
    if cents:
        parts.append(f"{number_to_words(cents)} {sub if cents == 1 else subs}")
    return minus + " and ".join(parts)


def _currency_prefix(m: re.Match[str]) -> str:
    sign, country, symbol, int_part, frac, scale_word, scale_abbreviation = m.groups()
    if not int_part and not frac:
        return m.group(0)
    words = _currency_words(sign, symbol, int_part, frac, scale_word or scale_abbreviation, country or "")
    if " and " not in words and _attributive(m.string, m.start(), m.end()):
        # "a $5 bill" -> "a five dollar bill", "a $2 million deal" -> "a two million dollar deal"
        unit, units, sub, subs = _CURRENCIES[symbol]
        for singular, plural in ((unit, units), (sub, subs)):
            if plural and words.endswith(" " + plural):
                return words[: -len(plural)] + singular
    return words


def _currency_code(m: re.Match[str]) -> str:
    code, amount = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
    return CURRENCY_CODES[code] + amount if code in CURRENCY_CODES else f"{amount} {code}"


def _currency_suffix(m: re.Match[str]) -> str:
    sign, int_part, frac, symbol = m.groups()
    return _currency_words(sign, symbol, int_part, frac, None)


def _ampm(letter: str, period: str | None, m: re.Match[str]) -> str:
    # "a m" would be read "uh em" (see the module docstring on spelled letters)
    words = " a-m" if letter.lower() == "a" else " p m"
    return words + (_sentence_period(m.string, m.end()) if period else "")


def _time(m: re.Match[str]) -> str:
    hour, minute, second, ampm, _m, period = m.groups()
    h, mi = int(hour), int(minute)
    words = "twelve" if h == 0 else number_to_words(h)
    if mi == 0:
        words += "" if ampm else (" hundred" if h > 12 else " o'clock")
    elif mi < 10:
        words += f" oh {_ONES[mi]}"
    else:
        words += f" {_under_100(mi)}"
    if second and int(second):
        s = int(second)
        words += f" and {number_to_words(s)} second{'s' if s != 1 else ''}"
    if ampm:
        words += _ampm(ampm, period, m)
    return words


def _feet_inches(m: re.Match[str]) -> str:
    feet, inches = int(m.group(1)), m.group(2)
    if _attributive(m.string, m.start(), m.end()):  # "a 6' pole", "a 6'2" man" -> "a six foot two man"
        return f"{number_to_words(feet)} foot" + (f" {number_to_words(int(inches))}" if inches else "")
    words = f"{number_to_words(feet)} {'foot' if feet == 1 else 'feet'}"
    if inches:
        words += f" {number_to_words(int(inches))} {'inch' if inches == '1' else 'inches'}"
    return words


_SPEECH_WORDS = frozenset(
    """
    i you he she it we they said says say asked asks replied replies told tells added adds shouted
    whispered wrote writes explained
    """.split()
)


def _quotation_open(text: str, end: int) -> bool:
    """Whether a quotation is open at ``end``: a double quote straight after a digit counts as an inch
    mark unless it closes an open quotation, so 'A 55" TV and a "big" 65" TV' has none open."""
    open_ = False
    for i in range(end):
        if text[i] == '"' and (open_ or not (i and text[i - 1].isdigit())):
            open_ = not open_
    return open_


def _inch_mark(m: re.Match[str]) -> str:
    if _quotation_open(m.string, m.start()) or _next_word(m.string, m.end()) in _SPEECH_WORDS:
        return m.group(0)  # the closing quote of 'he said "take 2"', of 'I turned 25" she said'
    whole, fraction, number = m.groups()
    if fraction and not whole:
        return f"{fraction} inch"  # read by the fraction rule: "a quarter inch bead", "a quarter of an inch"
    after = _FOLLOWING_WORD_RE.match(m.string, m.end())
    # an acronym after the mark is what it measures: 'a "big" 65" TV'
    acronym = bool(after) and len(after.group(1)) > 1 and after.group(1).isupper() and after.group(1) != "OK"
    singular = number == "1" or acronym or _attributive(m.string, m.start(), m.end())
    return f"{whole or ''}{fraction or number} {'inch' if singular else 'inches'}"


def _hour_ampm(m: re.Match[str]) -> str:
    hour, ampm, period = m.groups()
    return number_to_words(int(hour)) + _ampm(ampm, period, m)


def _percent(m: re.Match[str]) -> str:
    sign, int_part, frac = m.groups()
    return ("minus " if sign else "") + _amount_words(int_part, frac) + " percent"


def _ordinal(m: re.Match[str]) -> str:
    return ordinal_to_words(int(m.group(1).replace(",", "")))


def _decade(m: re.Match[str]) -> str:
    return _plural(year_to_words(int(m.group(1))))


def _short_decade(m: re.Match[str]) -> str:
    return _plural(number_to_words(int(m.group(1))))


def _leading_point(m: re.Match[str]) -> str:
    return ("minus " if m.group(1) else "") + decimal_to_words("", m.group(2))


_PREVIOUS_WORD_RE = re.compile(r"(?<![\w'])([A-Za-z]+)\s+$")
_FOLLOWING_WORD_RE = re.compile(r" ([A-Za-z][A-Za-z'-]*)")


def _attributive(text: str, start: int, end: int) -> bool:
    """Whether the quantity at text[start:end] modifies the word after it: "a 10mm wrench" (then its unit
    stays singular). It must come after a determiner ("a", "the", "my") and before a word that is not a
    function word; lower case or an acronym ("a 512GB SSD")."""
    before = _PREVIOUS_WORD_RE.search(text, max(0, start - 12), start)
    if not before or before.group(1).lower() not in ATTRIBUTIVE_DETERMINERS:
        return False
    after = _FOLLOWING_WORD_RE.match(text, end)
    if not after:
        return False
    word = after.group(1)
    lower = word.lower()
    if lower in NOT_MODIFIED_NOUNS or len(word) < 2 or "'" in word:
        return False  # "the 5 kg of flour", "my 2 GB isn't enough"
    if word.isupper():
        return True  # "a 512GB SSD"
    if not word.islower() or (lower.endswith("ly") and lower not in LY_MODIFIERS):
        return False  # "spend the $20 wisely"
    if before.group(1).lower() in ("a", "an") or "-" in word:
        return True  # nothing but a modifier comes between "a" and a plural amount: "a 5 km walked trail"
    # after "the", "my": "the $5 covers lunch", "the 10 km seemed easy" are verbs
    if lower in ("cost", "cut", "hit", "meant", "spent", "bet", "lasted"):
        return False  # "the $50 cost me a lot"
    return not re.search(r"(?:[^su]s|ed)$", lower) or lower in ("shed", "sled")


def _next_word(text: str, end: int) -> str:
    match = re.match(r"\s*([A-Za-z%]+)", text[end:])
    return match.group(1).lower() if match else ""


_MAX_CARDINAL_DIGITS = 36  # number_to_words reads below 10**36 (decillions) as a cardinal
_LONG_DIGITS_RE = re.compile(rf"(?<![\d.])\d{{{_MAX_CARDINAL_DIGITS + 1},}}")  # not a fraction's


def _number(m: re.Match[str]) -> str:
    sign, int_part, frac = m.groups()
    minus = "minus " if sign else ""
    digits = int_part.replace(",", "")
    if len(digits) > _MAX_CARDINAL_DIGITS:  # past decillions (and Python's int() limit): digit by digit
        return minus + digits_to_words(digits) + ("" if not frac else " point " + digits_to_words(frac))
    if frac:
        return minus + decimal_to_words(str(int(digits)), frac)
    if "," in int_part:
        return minus + number_to_words(int(digits))
    value = int(int_part)
    next_word = _next_word(m.string, m.end())
    if not sign and len(int_part) == 4 and 1100 <= value <= 2099 and next_word not in _UNIT_WORDS:
        return year_to_words(value)
    if not sign and next_word in _ERAS:  # "1066 AD" -> "ten sixty-six"
        return year_to_words(value)
    if len(int_part) > 1 and int_part.startswith("0"):
        return minus + digits_to_words(int_part)
    return minus + number_to_words(value)


def _month_name(name: str) -> str:
    return MONTH_ABBREVIATIONS.get(name, name)


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


def _degrees(m: re.Match[str]) -> str:
    unit = m.group(1)
    return " degrees" + {"C": " Celsius", "F": " Fahrenheit", None: ""}[unit] + " "


_TEMPERATURE_FOLLOWS = frozenset(
    "today tonight tomorrow yesterday overnight outside inside degrees please".split()
)


def _bare_temperature(m: re.Match[str]) -> str:
    clause = re.split(r"[.!?;]\s", m.string[max(0, m.start() - 60) : m.start()])[-1]
    words = [w.lower() for w in _TEMPERATURE_CUE_RE.findall(clause)][-4:]  # "bake it at 180C"
    if not any(w in TEMPERATURE_CUES for w in words) or (words and words[-1] in NOT_TEMPERATURE_AFTER):
        return m.group(0)  # "Apt 5C", "grade 3F", "cold in room 4C"
    after = _FOLLOWING_WORD_RE.match(m.string, m.end())
    if after and after.group(1).islower():
        following = after.group(1)
        if following not in NOT_MODIFIED_NOUNS and following not in _TEMPERATURE_FOLLOWS:
            return m.group(0)  # "Add 1 C sugar": a cup
    return f"{m.group(1)}°{m.group(2)}"


def _resolution(m: re.Match[str]) -> str:
    if int(m.group(1)) not in VIDEO_LINES:
        return m.group(0)
    return f"{_paired_number(m.group(1))} {m.group(2)}"


def _season(m: re.Match[str]) -> str:
    if (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        return m.group(0)
    return f"{m.group(1)}-{m.group(2)}"


def _digit_groups(m: re.Match[str]) -> str:
    if _DATE_SHAPED_RE.fullmatch(m.group(0)):
        return m.group(0)  # an impossible date ("2024-13-45") is left to the range rule
    groups = m.group(0).split("-")
    if all(len(g) > 1 and g[0] != "0" and g.endswith("0") for g in groups):
        return ", ".join(number_to_words(int(g)) for g in groups)  # round numbers: "a 100-200-300 ladder"
    return ", ".join(digits_to_words(group) for group in groups)


def _digit_cue(m: re.Match[str]) -> str:
    following = _next_word(m.string, m.end())
    if following in _UNIT_WORDS or (
        len(following) > 3 and following.endswith("s") and following[-2] not in "su"
    ):
        return m.group(0)  # a count: "the zip code has 400 entries"
    return m.group(1) + m.group(2) + digits_to_words(m.group(3))


_SCORE_WORDS = frozenset("score scored scores got get gets grade graded rated rating marks points".split())
_USUAL_DENOMINATORS = frozenset({2, 3, 4, 5, 6, 8, 16, 32, 64})
_DATE_BEFORE_RE = re.compile(r"(?<![\w./-])(1[0-2]|0?[1-9])/(\d{1,2}) (?:to|and|through|thru|until|till) $")


def _is_month_day(text: str, start: int, end: int, month: int, day: int) -> bool:
    """Whether the "12/31" at text[start:end] is a month and day (see the module docstring)."""
    if not 1 <= day <= 31 or re.search(r"\d $", text[:start]):
        return False  # no such day, or the fraction of "2 3/16"
    following = _next_word(text, end)
    if following in ("of", "scale") or following in MEASURE_NOUNS:
        return False  # "2/3 of the votes", "a 1/24 scale model", "by 1/2 cup"
    before = _PREVIOUS_WORDS_RE.search(text, max(0, start - 30), start)
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
    before = _PREVIOUS_WORDS_RE.search(text, max(0, start - 30), start)
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


def _unit(m: re.Match[str]) -> str:
    unit, sep = m.group("unit"), m.group("sep")
    rest = m.string[m.end() :]
    if unit in AMBIGUOUS_UNITS and re.match(r"\s+[A-Z]", rest):
        return m.group(0)  # "500 W Main St"
    if unit == "in" and not (m.group("dot") or re.match(r"\s*(?:$|[,;:)]|[x×]\s*\d)", rest)):
        return m.group(0)  # "5 in the morning": the preposition
    if unit == "s" and sep != " " and not m.group("frac"):
        return m.group(0)  # "5s" is a plural or a decade, "5 s" and "9.58s" seconds
    singular, plural = UNITS[unit]
    sign = "minus " if m.group("sign") else ""
    whole, int_part, frac, den = m.group("whole"), m.group("int"), m.group("frac"), m.group("den")
    period = _sentence_period(m.string, m.end()) if m.group("dot") else ""
    adjective = sep == "-" or _attributive(m.string, m.start(), m.end())
    if den and not whole:
        if adjective:  # "a 1/4-in. bit" -> "a quarter-inch bit"
            return f"{sign}{_fraction_adjective(int(int_part), int(den))}-{singular}{period}"
        return sign + _fraction_of(int(int_part), int(den), singular) + period
    if den:
        amount = _mixed_fraction_words(int(whole), int(int_part), int(den))
    else:
        amount = _amount_words(int_part, frac)
    if sep == "-":  # adjectival: "a five-kilometer run"
        return f"{sign}{amount}-{singular.replace(' ', '-')}{period}"
    one = (amount == "one" and not den) or adjective  # "a 10mm wrench" -> "a ten millimeter wrench"
    return f"{sign}{amount} {singular if one else plural}{period}"


def _range(m: re.Match[str]) -> str:
    right = re.match(r"[\d,.]+", m.string[m.end() :])
    if right and right.group() == m.group(1):
        return m.group(0)  # "a 50-50 chance": "fifty-fifty"
    between = re.search(r"\bbetween\s+$", m.string[max(0, m.start() - 10) : m.start()], re.IGNORECASE)
    return m.group(1) + (" and " if between else " to ")  # "between 5 and 10", "from 5 to 10"


def _magnitude(m: re.Match[str]) -> str:
    return f"{m.group(1)} {MAGNITUDES[m.group(2)]}"


def _dimensions(m: re.Match[str]) -> str:
    if m.group(1) == "0":
        return m.group(0)  # hexadecimal "0x1F"
    return m.group(1) + (" times " if "=" in m.string else " by ")


def _mixed_fraction(m: re.Match[str]) -> str:
    whole, n, d = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not 0 < n < d:
        return m.group(0)
    return _mixed_fraction_words(whole, n, d)


def _after_article(text: str, start: int) -> bool:
    before = _PREVIOUS_WORD_RE.search(text, max(0, start - 5), start)
    return bool(before) and before.group(1).lower() in ("a", "an")


def _fraction(m: re.Match[str]) -> str:
    n, d, sep, noun = int(m.group(1)), int(m.group(2)), m.group(3), m.group(4)
    # "a 3/4-inch screw" -> "a three-quarter-inch screw", "a 1/2 cup of milk" -> "a half cup of milk"
    start, end = m.start(), m.end()
    adjective = sep == "-" or _after_article(m.string, start) or _attributive(m.string, start, end)
    if noun and adjective:
        return f"{_fraction_adjective(n, d)}{sep}{noun}"
    if noun:
        return _fraction_of(n, d, noun)
    following = _next_word(m.string, m.end())
    if d == 1:
        return f"{number_to_words(n)} to one"  # odds: "3/1"
    if n + d == 100 and n % 5 == 0:
        return f"{number_to_words(n)}-{number_to_words(d)}"  # a split: "60/40" -> "sixty-forty"
    if d in SCORE_DENOMINATORS and 1 < n <= d and following != "of":
        return f"{number_to_words(n)} out of {number_to_words(d)}"  # "17/20 on the test", "4/5 stars"
    if _attributive(m.string, m.start(), m.end()) and _after_article(m.string, m.start()):
        return _fraction_adjective(n, d)  # "a 2/3 majority" -> "a two-thirds majority"
    return fraction_to_words(n, d)


def _alnum(m: re.Match[str]) -> str:
    token = m.group(0)
    if re.fullmatch(r"0x[0-9A-Fa-f]+", token):
        return token
    if re.fullmatch(r"\d+s", token):  # "in 5s and 10s", "100s of people"
        words = number_to_words(int(token[:-1]))
        return _plural(words[4:] if re.fullmatch(r"one [a-z]+", words) else words)
    if re.fullmatch(r"\d+ers", token):  # "the 49ers" -> "forty-niners", "76ers" -> "seventy-sixers"
        words = number_to_words(int(token[:-3]))
        return words + ("rs" if words.endswith("e") else "ers")
    # a lone capital A before a number would be read as the article: "A4" -> "eh four"
    runs = ["eh" if run == "A" else run for run in _LETTERS_OR_DIGITS_RE.findall(token)]
    # three digits after letters are a model number, said in pairs: "A320" -> "eh three twenty"
    for i in range(1, len(runs)):
        if len(runs[i]) == 3 and runs[i].isdigit() and not runs[i - 1].isdigit():
            runs[i] = _paired_number(runs[i])
    return " ".join(runs)


def _version(m: re.Match[str]) -> str:
    parts = m.group(0).split(".")
    if len(parts) == 4 and all(int(p) <= 255 for p in parts):  # an IPv4 address
        return " dot ".join(digits_to_words(p) for p in parts)
    return " point ".join(number_to_words(int(p)) for p in parts)


# Ordered: each step relies on the previous ones having removed their patterns.
_NUMBER_STEPS: list[tuple[re.Pattern[str], Repl | str]] = [
    (_SEASON_RE, _season),
    (_TO_HYPHEN_RE, " to "),
    (_STATUS_CUE_RE, lambda m: m.group(1) + m.group(2) + _paired_number(m.group(3))),
    (_SCRIPTURE_RE, lambda m: " ".join([m.group(1), *(number_to_words(int(g)) for g in m.groups()[1:])])),
    (_DIGIT_CUE_RE, _digit_cue),
    (_DIGIT_GROUPS_RE, _digit_groups),
    (_RANGE_RE, _range),
    (_CURRENCY_CODE_RE, _currency_code),
    (_CURRENCY_PREFIX_RE, _currency_prefix),
    (_CURRENCY_SUFFIX_RE, _currency_suffix),
    (_DOTTED_TIME_RE, r"\1:\2"),
    (_TIME_RE, _time),
    (_HOUR_AMPM_RE, _hour_ampm),
    (_RATIO_RE, r"\1 to \2"),
    (_FEET_INCHES_RE, _feet_inches),
    (_INCH_MARK_RE, _inch_mark),
    (_DAY_MONTH_RE, _day_month),
    (_DATE_RE, _date),
    (_BARE_TEMPERATURE_RE, _bare_temperature),
    (_DEGREES_LETTER_RE, lambda m: f"{m.group(1)} {'Celsius' if m.group(2) == 'C' else 'Fahrenheit'}"),
    (_HOURS_MINUTES_RE, r"\1 h \2 min"),
    (_RESOLUTION_RE, _resolution),
    (_UNIT_RE, _unit),
    (_PERCENT_RE, _percent),
    (_PER_RE, lambda m: " per " + PER_UNITS[m.group(1)]),
    (_MAGNITUDE_RE, _magnitude),
    (_DIMENSIONS_RE, _dimensions),
    (_UNIT_BY_RE, r"\1 by "),
    (_TIMES_RE, r"\1 times"),
    (_MONTH_DAY_RE, _month_day),
    (_MIXED_FRACTION_RE, _mixed_fraction),
    (_FRACTION_RE, _fraction),
    (_ORDINAL_RE, _ordinal),
    (_DECADE_RE, _decade),
    (_SHORT_DECADE_RE, _short_decade),
    (_SHORT_YEAR_RE, lambda m: _two_digit_year(m.group(1))),
    (_LETTER_HYPHEN_MODEL_RE, lambda m: " " + _paired_number(m.group(1))),
    (_LETTER_DIGIT_HYPHEN_RE, " "),
    (_ALNUM_RE, _alnum),
    (_VERSION_RE, _version),
    (_LEADING_POINT_RE, _leading_point),
    (_NUMBER_RE, _number),
]

# --------------------------------------------------------------------------------------------------------
# Symbols and acronyms
# --------------------------------------------------------------------------------------------------------

_COMPARISON_RE = re.compile(r"(?:(?<=\s)|^)([<>~])(?=\s|[$£€¥]?\d)")
_SYMBOL_RE = re.compile(r"\s*(" + _alternation(SYMBOLS) + r")\s*")

_ONSET_RE = "(?:" + _alternation(ONSETS) + ")"
_CODA_RE = "(?:" + _alternation(CODAS) + ")"
_NUCLEUS_RE = "(?:[AEIOU]+Y?|Y)"
_PRONOUNCEABLE_RE = re.compile(f"(?:{_ONSET_RE}?{_NUCLEUS_RE}{_CODA_RE}?)+")
# roughly when eSpeak tries a token as a word: a vowel first, or a consonant (cluster) and then a vowel
_WORD_START_RE = re.compile(f"(?:{_ONSET_RE}|[B-DF-HJ-NP-TV-Z])?{_NUCLEUS_RE}")
_ACRONYM_RE = re.compile(r"(?<![\w'])([A-Z]{2,5})(s|'s)?(?![\w'])")
_DOTTED_RE = re.compile(r"(?<![\w.])((?:[A-Z]\.){2,})")


def _acronym(m: re.Match[str]) -> str:
    letters, suffix = m.group(1), m.group(2) or ""
    if letters in ACRONYM_READINGS:
        return ACRONYM_READINGS[letters] + ("'s" if suffix else "")
    if letters in WORD_ACRONYMS:
        return m.group(0)
    spell = (
        letters in SPELLED_ACRONYMS
        or suffix == "s"  # eSpeak drops or misreads the plural: "TVs" -> "T V", "ICUs" -> "icus"
        or (not _PRONOUNCEABLE_RE.fullmatch(letters) and _WORD_START_RE.match(letters))
    )
    if not spell:
        return m.group(0)
    if suffix:
        return "-".join(letters) + "'s"  # "E-P-A's": before "'s" the A is read as a letter
    return _spell_letters(letters)


def _dotted(m: re.Match[str]) -> str:
    """ "U.S." -> "US", which the acronym rule then reads (eSpeak spells "US" itself)."""
    letters = m.group(1).replace(".", "")
    # "U.S. Army": a capital after the last dot is no evidence of a sentence end here
    return letters + ("." if not m.string[m.end() :].strip() else "")


# --------------------------------------------------------------------------------------------------------
# Punctuation / whitespace cleanup
# --------------------------------------------------------------------------------------------------------

_SPACES_RE = re.compile(r"\s+")
_DIGIT_RE = re.compile(r"\d")
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+([,.!?;:])")
_COMMA_RUN_RE = re.compile(r",(?:\s*,)+")
_COMMA_BEFORE_STOP_RE = re.compile(r",\s*([.!?;:])")
_LEADING_JUNK_RE = re.compile(r"^[\s,;:]+")
_TRAILING_COMMA_RE = re.compile(r"[\s,]+$")


def _tidy(text: str) -> str:
    text = _SPACES_RE.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", text)
    text = _COMMA_RUN_RE.sub(",", text)
    text = _COMMA_BEFORE_STOP_RE.sub(r"\1", text)
    text = _LEADING_JUNK_RE.sub("", text)
    text = _TRAILING_COMMA_RE.sub("", text)
    return text.strip()


def normalize_text(text: str) -> str:
    """Normalise English text for phonemization (see the module docstring for the rules).

    >>> normalize_text("Dr. Smith paid $3.50 on Jan 1st, 1999 at 3:15 pm.")[:62]
    'Doctor Smith paid three dollars and fifty cents on January fir'
    >>> normalize_text("It's 50% off at 10:00.")
    "It's fifty percent off at ten o'clock."
    >>> normalize_text("Louis XIV weighed 70 kg on 2024-05-17.")
    'Louis the fourteenth weighed seventy kilograms on May seventeenth, twenty twenty-four.'
    """
    text = _clean_unicode(text)
    text = _SPACES_RE.sub(" ", text)
    # a digit run too long for a cardinal (and for Python's int()) is read digit by digit, whatever it is
    text = _LONG_DIGITS_RE.sub(lambda m: f" {digits_to_words(m.group())} ", text)
    text = _EMAIL_RE.sub(_email, text)
    text = _URL_RE.sub(_url, text)
    text = _formulas_and_models(text)
    text = _LITERAL_RE.sub(lambda m: LITERALS[m.group()], text)
    text = _addresses(text)
    has_digits = _DIGIT_RE.search(text) is not None
    if has_digits:
        for pattern in (_PHONE_RE, _INTERNATIONAL_PHONE_RE):
            text = pattern.sub(_phone, text)
        text = _LOCAL_PHONE_RE.sub(_local_phone, text)
        text = _TRUNK_PHONE_RE.sub(_trunk_phone, text)
        text = _VANITY_PHONE_RE.sub(_vanity_phone, text)
        text = _ISO_DATE_RE.sub(_iso_date, text)
        text = _NUMERIC_DATE_RE.sub(_numeric_date, text)
    text = _expand_abbreviations(text)
    text = _ROMAN_TOKEN_RE.sub(_roman, text)
    text = _COMPARISON_RE.sub(lambda m: COMPARISONS[m.group(1)] + " ", text)
    if has_digits:
        for pattern, repl in _NUMBER_STEPS:
            text = pattern.sub(repl, text)
    text = _DEGREES_RE.sub(_degrees, text)
    text = _SYMBOL_RE.sub(lambda m: f" {SYMBOLS[m.group(1)]} ", text)
    text = _DOTTED_RE.sub(_dotted, text)
    text = _ACRONYM_RE.sub(_acronym, text)
    text = _drop_unspeakable(text)
    return _tidy(text)
