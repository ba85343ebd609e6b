"""Money: "$3.50", "US$5", "€2.5M", "5 €", "USD 5.50", "20 CAD", "a $5 bill".

Amounts read with their sub-unit ("three dollars and fifty cents"); with a magnitude or more than two
decimals the whole amount is one number ("two point five million dollars"). Between a determiner and a
noun the currency stays singular ("a $5 bill" -> "a five dollar bill").
"""

from __future__ import annotations

import re

from fmtts.text.normalizer.context import INT, Rule, alternation, attributive
from fmtts.text.normalizer.units import MAGNITUDES, UNITS
from fmtts.text.normalizer.verbalize import amount_words, number_to_words

_CURRENCIES = {
    # symbol: (singular, plural, sub-unit singular, sub-unit plural)
    "$": ("dollar", "dollars", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "€": ("euro", "euros", "cent", "cents"),
    "¥": ("yen", "yen", None, None),
}
# ISO codes before or after an amount that are read like their symbol ("USD 5.50" -> "$5.50")
CURRENCY_CODES: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
# Dollars of other countries: "US$5" -> "five US dollars", "A$20" -> "twenty Australian dollars"
DOLLAR_COUNTRIES: dict[str, str] = {
    "US": "US", "C": "Canadian", "CA": "Canadian", "A": "Australian", "AU": "Australian",
    "NZ": "New Zealand", "HK": "Hong Kong", "S": "Singapore",
}  # fmt: skip
# After a currency symbol more letters are magnitudes than after a plain number: "$5m", "$50K", "$1.2B"
CURRENCY_MAGNITUDES: dict[str, str] = MAGNITUDES | {
    "K": "thousand", "m": "million", "b": "billion", "B": "billion", "T": "trillion",
}  # fmt: skip


def _currency_words(
    sign: str | None, symbol: str, int_part: str, frac: str | None, scale: str | None, country: str = ""
) -> str:
    unit, units, sub, subs = _CURRENCIES[symbol]
    if country:  # "US$5" -> "five US dollars"
        unit, units = f"{DOLLAR_COUNTRIES[country]} {unit}", f"{DOLLAR_COUNTRIES[country]} {units}"
    minus = "minus " if sign else ""
    if scale:  # $2.5 million, $5M -> two point five million dollars
        return f"{minus}{amount_words(int_part, frac)} {CURRENCY_MAGNITUDES.get(scale, scale)} {units}"
    whole = int(int_part.replace(",", "")) if int_part else 0
    if frac and (sub is None or len(frac) > 2):
        return f"{minus}{amount_words(int_part, frac)} {units}"
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
    if " and " not in words and attributive(m.string, m.start(), m.end()):
        # "a $5 bill" -> "a five dollar bill", "a $2 million deal" -> "a two million dollar deal"
        unit, units, sub, subs = _CURRENCIES[symbol]
        for singular, plural in ((unit, units), (sub, subs)):
            if plural and words.endswith(" " + plural):
                return words[: -len(plural)] + singular
    return words


def _currency_code(m: re.Match[str]) -> str:
    code, amount = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
    return CURRENCY_CODES[code] + amount if code in CURRENCY_CODES else f"{amount} {code}"


_SPACED_MAGNITUDES = alternation(
    ["thousand", "million", "billion", "trillion"] + [m for m in CURRENCY_MAGNITUDES if len(m) > 1]
)
_LETTER_MAGNITUDES = alternation(m for m in CURRENCY_MAGNITUDES if len(m) == 1)
_AMOUNT = r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
_CURRENCY_CODE_ALT = alternation(CURRENCY_CODES)
# the other codes ("CAD 20") are units and go after the amount
_CODE_UNITS_ALT = alternation(u for u in UNITS if len(u) == 3 and u.isupper() and u.isalpha())

# "USD 5.50", "5.50 EUR" -> "$5.50", "€5.50" (then read with their cents); "CAD 20" -> "20 CAD"
_CODE_BEFORE = r"(" + _CURRENCY_CODE_ALT + "|" + _CODE_UNITS_ALT + r") ?" + _AMOUNT + r"(?![\w]|[.,]\d)"
_CODE_AFTER = _AMOUNT + r" ?(" + _CURRENCY_CODE_ALT + r")(?!\w)"
CURRENCY_CODE = Rule(re.compile(r"(?<![\w.,])(?:" + _CODE_BEFORE + "|" + _CODE_AFTER + ")"), _currency_code)

_DOLLAR_COUNTRY_ALT = alternation(DOLLAR_COUNTRIES)
_SYMBOL_AMOUNT = r"(?:(" + _DOLLAR_COUNTRY_ALT + r")(?=\$))?([$£€¥])\s?(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d+))?"
# a spelled or two-letter magnitude may stand apart ("$3 bn"), a single letter must not ("$5 T-shirts")
_SCALE = r"(?:\s?(" + _SPACED_MAGNITUDES + r")|(" + _LETTER_MAGNITUDES + r"))?"
CURRENCY_PREFIX = Rule(re.compile(r"(?<![\w.])(-)?" + _SYMBOL_AMOUNT + _SCALE + r"\b"), _currency_prefix)
CURRENCY_SUFFIX = Rule(
    re.compile(r"(?<![\w.])(-)?" + INT + r"(?:\.(\d+))?\s?([$£€¥])(?!\w)"),
    lambda m: _currency_words(m.group(1), m.group(4), m.group(2), m.group(3), None),
)
