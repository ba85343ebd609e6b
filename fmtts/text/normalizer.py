"""English text normalisation: turn written text into words that eSpeak reads the way a person would.

eSpeak has its own number and abbreviation rules, but they are inconsistent (years, currency, times and
ordinals are read digit-wise or literally), so everything that has a spoken form is expanded here first.
The output keeps sentence punctuation (``, . ! ? ; :``) and quotes so the phonemizer can preserve pauses.

Design choices (documented because they are judgement calls):

* Accented Latin-1 letters (é, ü, ñ, ç ...) are *kept*: eSpeak's English rules know many loanwords and
  stripping the accent changes the word ("résumé" -> "resume", "cliché", "Beyoncé" all get worse).
  Letters from the Latin Extended blocks (ł, ő, ş, ř ...) are reduced to ASCII via NFKD, which eSpeak
  reads at least as well. Compatibility characters (ligatures, full-width digits, superscripts) go
  through NFKC. Letters of other scripts (Greek, Cyrillic, CJK ...) are dropped: eSpeak en-us would spell
  them out as "chinese letter" / Greek letter names, which is worse than silence for an English voice.
* Emoji and other symbols without a spoken form are dropped, so emoji-only text normalises to "".
* ``St.`` is "Saint" when the next word is capitalised ("St. Louis"), otherwise "Street" ("Main St.").
  "Main St. Then ..." is therefore read "Main Saint Then": an accepted error of this simple rule.
* Abbreviations that can end a sentence (etc., Jr., Street, Co., Ltd. ...) keep their period when they
  are last in the text or followed by a capitalised word, so the sentence end is not lost.
* Four-digit numbers 1100-2099 are read as years unless a unit/currency word follows ("2048 bytes").
* Hour 0 in a time reads "twelve" ("00:30" -> "twelve thirty").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

__all__ = [
    "normalize_text",
    "number_to_words",
    "ordinal_to_words",
    "year_to_words",
    "decimal_to_words",
    "digits_to_words",
]

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


# --------------------------------------------------------------------------------------------------------
# Unicode cleanup
# --------------------------------------------------------------------------------------------------------

_PRE_NFKC = {
    # mapped before NFKC because NFKC would turn them into something unhelpful ("1⁄2", "TM", " ́")
    "½": " one half ", "⅓": " one third ", "⅔": " two thirds ", "¼": " one quarter ", "¾": " three quarters ",
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
_EN_DASH_RANGE_RE = re.compile(r"(?<=\d)\s*\u2013\s*(?=\d)")
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
    text = _EN_DASH_RANGE_RE.sub(" to ", text)  # 1990–1995
    text = _DASH_RE.sub(", ", text)  # a dash is a pause
    if text.isascii():
        return text
    return "".join(_fold_letter(c) if not c.isascii() and c.isalpha() else c for c in text)


_ASCII_DROP = str.maketrans({c: " " for c in "*_~^|\\<>`"})
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
# Abbreviations
# --------------------------------------------------------------------------------------------------------


def _sentence_period(text: str, end: int) -> str:
    """ "." if an abbreviation ending at ``end`` probably also ended the sentence."""
    rest = text[end:]
    if not rest.strip():
        return "."
    if re.match(r"\s+[\"']?[A-Z]", rest) and not re.match(r"\s+(?:" + _FINALS_ALT + r")\.", rest):
        return "."  # but not inside a chain of abbreviations: "Acme Co. Ltd."
    return ""


# Titles only occur before a name: the period is always consumed.
_TITLES = {
    "Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Dr": "Doctor", "Prof": "Professor", "Gen": "General",
    "Capt": "Captain", "Lt": "Lieutenant", "Col": "Colonel", "Sgt": "Sergeant", "Rev": "Reverend",
    "Hon": "Honorable", "Gov": "Governor", "Sen": "Senator", "Rep": "Representative", "Mt": "Mount",
    "Ft": "Fort", "Pres": "President", "vs": "versus",
}  # fmt: skip
# May end a sentence: the period is kept when it looks like a sentence end.
_FINALS = {
    "Jr": "Junior", "Sr": "Senior", "etc": "et cetera", "Etc": "et cetera", "Co": "Company",
    "Ltd": "Limited", "Inc": "Incorporated", "Corp": "Corporation", "Bros": "Brothers", "Ave": "Avenue",
    "Blvd": "Boulevard", "Rd": "Road", "Dept": "Department", "dept": "department",
    "approx": "approximately",
}  # fmt: skip

_FINALS_ALT = "|".join(sorted(_FINALS, key=len, reverse=True))
_TITLE_RE = re.compile(r"(?<![\w.])(" + "|".join(sorted(_TITLES, key=len, reverse=True)) + r")\.(?=\s)")
_TITLE_NODOT_RE = re.compile(r"(?<![\w.])(Mrs|Mr|Ms|Dr)(?=\s+[A-Z])")
_FINAL_RE = re.compile(r"(?<![\w.])(" + _FINALS_ALT + r")\.")
_VS_RE = re.compile(r"(?<![\w.])vs(?=\s)")
_ST_RE = re.compile(r"(?<![\w.])St\.")
_ST_NODOT_RE = re.compile(r"(?<![\w.])St(?=\s+[A-Z])")
_EG_RE = re.compile(r"(?<![\w.])e\.\s?g\.", re.IGNORECASE)
_IE_RE = re.compile(r"(?<![\w.])i\.\s?e\.", re.IGNORECASE)
_NO_RE = re.compile(r"(?<![\w.])[Nn]o\.\s*(?=\d)")
_NUMBER_SIGN_RE = re.compile(r"#\s*(?=\d)")


def _expand_abbreviations(text: str) -> str:
    text = _NO_RE.sub("number ", text)
    text = _NUMBER_SIGN_RE.sub("number ", text)
    text = _EG_RE.sub("for example", text)
    text = _IE_RE.sub("that is", text)

    def saint_or_street(m: re.Match[str]) -> str:
        if re.match(r"\s+[A-Z]", m.string[m.end() :]):
            return "Saint"
        return "Street" + _sentence_period(m.string, m.end())

    text = _ST_RE.sub(saint_or_street, text)
    text = _ST_NODOT_RE.sub("Saint", text)
    text = _TITLE_RE.sub(lambda m: _TITLES[m.group(1)], text)
    text = _TITLE_NODOT_RE.sub(lambda m: _TITLES[m.group(1)], text)
    text = _FINAL_RE.sub(lambda m: _FINALS[m.group(1)] + _sentence_period(m.string, m.end()), text)
    return _VS_RE.sub("versus", text)


# --------------------------------------------------------------------------------------------------------
# Numbers, currency, times
# --------------------------------------------------------------------------------------------------------

_INT = r"(\d{1,3}(?:,\d{3})+|\d+)"  # 1,000,000 or 1000000
_CURRENCIES = {
    # symbol: (singular, plural, sub-unit singular, sub-unit plural)
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", None, None),
}
_CURRENCY_PREFIX_RE = re.compile(
    r"(?<![\w.])(-)?([$£€¥])\s?(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d+))?(?:\s(thousand|million|billion|trillion)\b)?"
)
_CURRENCY_SUFFIX_RE = re.compile(r"(?<![\w.])(-)?" + _INT + r"(?:\.(\d+))?\s?([$£€¥])(?!\w)")
_TIME_RE = re.compile(
    r"(?<![\w:.])([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?(?![\d:])(?:\s?([AaPp])\.?\s?([Mm])\b(\.)?)?"
)
_HOUR_AMPM_RE = re.compile(r"(?<![\w:.])(1[0-2]|0?[1-9])\s?([AaPp])\.?\s?[Mm]\b(\.)?")
_PERCENT_RE = re.compile(r"(?<![\w.])(-)?" + _INT + r"(?:\.(\d+))?\s?%")
_ORDINAL_RE = re.compile(r"(?<![\w.])" + _INT + r"(st|nd|rd|th|ST|ND|RD|TH)\b")
_DECADE_RE = re.compile(r"(?<![\w.])(1[1-9]\d0|20\d0)s\b")
# "the 90s", "'90s"; a bare "30s" is too often seconds to expand without context
_SHORT_DECADE_RE = re.compile(
    r"(?:(?<![\w.])'|\b(?:the|early|late|mid|his|her|their|my|your|our)[ -]'?)([2-9]0)s\b"
)
_LEADING_POINT_RE = re.compile(r"(?<![\w.,])(-)?\.(\d+)(?![\w]|\.\d)")
_NUMBER_RE = re.compile(r"(?<![\w.,])(-)?" + _INT + r"(?:\.(\d+))?(?![\w]|[.,]\d)")
_MONTHS = {
    "Jan": "January", "Feb": "February", "Mar": "March", "Apr": "April", "Jun": "June", "Jul": "July",
    "Aug": "August", "Sep": "September", "Sept": "September", "Oct": "October", "Nov": "November",
    "Dec": "December",
}  # fmt: skip
_MONTH_NAMES = sorted(set(_MONTHS) | set(_MONTHS.values()) | {"May"}, key=len, reverse=True)
# "January 5" / "Jan. 5th" -> "January fifth"; the day must not be part of a longer number ("May 2020")
_DATE_RE = re.compile(r"\b(" + "|".join(_MONTH_NAMES) + r")\.? (\d{1,2})(?:st|nd|rd|th)?\b(?![.,]\d)")
_DEGREES_RE = re.compile(r"\s?°\s?([CF])\b|\s?°")

# A four-digit number followed by one of these is a quantity, not a year.
_UNIT_WORDS = frozenset(
    """
    dollar dollars euro euros pound pounds cent cents pence penny yen percent people persons men women
    children students times items units copies words pages points votes miles mile meters metres meter
    km kg g mg lb lbs kilometers kilometres kilograms grams feet foot ft inches inch yards tons tonnes
    bytes kb mb gb tb kilobytes megabytes gigabytes hz khz mhz ghz w kw watts volts calories kcal
    degrees seconds minutes hours days weeks months years pixels rpm
    """.split()
)


def _amount_words(int_part: str, frac: str | None) -> str:
    n = int(int_part.replace(",", "")) if int_part else 0
    return decimal_to_words(str(n), frac) if frac else number_to_words(n)


def _currency_words(sign: str | None, symbol: str, int_part: str, frac: str | None, scale: str | None) -> str:
    unit, units, sub, subs = _CURRENCIES[symbol]
    minus = "minus " if sign else ""
    if scale:  # $2.5 million -> two point five million dollars
        return f"{minus}{_amount_words(int_part, frac)} {scale} {units}"
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
    sign, symbol, int_part, frac, scale = m.groups()
    if not int_part and not frac:
        return m.group(0)
    return _currency_words(sign, symbol, int_part, frac, scale)


def _currency_suffix(m: re.Match[str]) -> str:
    sign, int_part, frac, symbol = m.groups()
    return _currency_words(sign, symbol, int_part, frac, None)


def _ampm(letter: str, period: str | None, m: re.Match[str]) -> str:
    words = " a m" if letter.lower() == "a" else " p m"
    return words + (_sentence_period(m.string, m.end()) if period else "")


def _time(m: re.Match[str]) -> str:
    hour, minute, second, ampm, _m, period = m.groups()
    h, mi = int(hour), int(minute)
    words = "twelve" if h == 0 else number_to_words(h)
    if mi == 0:
        words += "" if ampm else " o'clock"
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
    prefix = m.group(0)[: m.start(1) - m.start()].rstrip("'")
    return prefix + _plural(number_to_words(int(m.group(1))))


def _leading_point(m: re.Match[str]) -> str:
    return ("minus " if m.group(1) else "") + decimal_to_words("", m.group(2))


def _next_word(text: str, end: int) -> str:
    match = re.match(r"\s*([A-Za-z%]+)", text[end:])
    return match.group(1).lower() if match else ""


def _number(m: re.Match[str]) -> str:
    sign, int_part, frac = m.groups()
    minus = "minus " if sign else ""
    if frac:
        return minus + decimal_to_words(str(int(int_part.replace(",", ""))), frac)
    if "," in int_part:
        return minus + number_to_words(int(int_part.replace(",", "")))
    value = int(int_part)
    if (
        not sign
        and len(int_part) == 4
        and 1100 <= value <= 2099
        and _next_word(m.string, m.end()) not in _UNIT_WORDS
    ):
        return year_to_words(value)
    if len(int_part) > 1 and int_part.startswith("0"):
        return minus + digits_to_words(int_part)
    return minus + number_to_words(value)


def _date(m: re.Match[str]) -> str:
    month, day = m.group(1), int(m.group(2))
    if not 1 <= day <= 31:
        return m.group(0)
    return f"{_MONTHS.get(month, month)} {ordinal_to_words(day)}"


def _degrees(m: re.Match[str]) -> str:
    unit = m.group(1)
    return " degrees" + {"C": " Celsius", "F": " Fahrenheit", None: ""}[unit] + " "


_EMAIL_RE = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")


def _email(m: re.Match[str]) -> str:
    return m.group(0).replace("@", " at ").replace(".", " dot ")


_SYMBOLS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\s*&\s*"), " and "),
    (re.compile(r"\s*\+\s*"), " plus "),
    (re.compile(r"\s*@\s*"), " at "),
    (re.compile(r"\s+=\s+"), " equals "),
]

# Ordered: each step relies on the previous ones having removed their patterns.
_NUMBER_STEPS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (_CURRENCY_PREFIX_RE, _currency_prefix),
    (_CURRENCY_SUFFIX_RE, _currency_suffix),
    (_TIME_RE, _time),
    (_HOUR_AMPM_RE, _hour_ampm),
    (_PERCENT_RE, _percent),
    (_DATE_RE, _date),
    (_ORDINAL_RE, _ordinal),
    (_DECADE_RE, _decade),
    (_SHORT_DECADE_RE, _short_decade),
    (_LEADING_POINT_RE, _leading_point),
    (_NUMBER_RE, _number),
]

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
    """Normalise English text for phonemization (see module docstring for the rules).

    >>> normalize_text("Dr. Smith paid $3.50 on Jan 1st, 1999 at 3:15 pm.")[:62]
    'Doctor Smith paid three dollars and fifty cents on January fir'
    >>> normalize_text("It's 50% off at 10:00.")
    "It's fifty percent off at ten o'clock."
    """
    text = _clean_unicode(text)
    text = _SPACES_RE.sub(" ", text)
    text = _EMAIL_RE.sub(_email, text)
    text = _expand_abbreviations(text)
    text = _DEGREES_RE.sub(_degrees, text)
    if _DIGIT_RE.search(text):
        for pattern, repl in _NUMBER_STEPS:
            text = pattern.sub(repl, text)
    for pattern, words in _SYMBOLS:
        text = pattern.sub(words, text)
    text = _drop_unspeakable(text)
    return _tidy(text)
