"""Telephone numbers and postal addresses: "+1 (555) 123-4567", "ext. 12", "CA 95014", "SW1A 2AA", "Ave NW".

* Telephone numbers are read digit by digit in their groups, with "zero" (like :func:`digits_to_words`)
  and a comma between groups; a US toll-free "800" reads "eight hundred". "555-1234" is a number only
  after a word like "call"; otherwise it is a range.
* Extensions up to three digits are cardinals ("ext. 12" -> "extension twelve").
* A compass point after a street type is read ("Ave NW" -> "Avenue Northwest"), but a single letter before
  a capitalised word is an initial ("Dr. N. Patel", "St. N. Church"), and "Dr"/"St" count as streets only
  after a capitalised name ("Elm Dr N").
"""

from __future__ import annotations

import re

from fmtts.text.normalizer.abbreviations import sentence_period
from fmtts.text.normalizer.context import Rule, alternation
from fmtts.text.normalizer.verbalize import digits_to_words, number_to_words, spell_out

# US state codes: before a ZIP code they are read as the name ("Cupertino, CA 95014").
US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "D-C", "FL": "Florida",
    "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri",
    "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey",
    "NM": "New Mexico", "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio",
    "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
    "PR": "Puerto Rico",
}  # fmt: skip

# Compass points in street addresses: "W 42nd St", "Pennsylvania Ave NW".
COMPASS_POINTS: dict[str, str] = {
    "N": "North", "S": "South", "E": "East", "W": "West", "NE": "Northeast", "NW": "Northwest",
    "SE": "Southeast", "SW": "Southwest",
}  # fmt: skip
STREET_TYPES: dict[str, str] = {
    "St": "Street", "Ave": "Avenue", "Blvd": "Boulevard", "Rd": "Road", "Dr": "Drive", "Pl": "Place",
    "Ct": "Court", "Street": "Street", "Avenue": "Avenue", "Boulevard": "Boulevard", "Road": "Road",
    "Drive": "Drive", "Place": "Place", "Court": "Court", "Way": "Way",
}  # fmt: skip

# --------------------------------------------------------------------------------------------------------
# Telephone numbers
# --------------------------------------------------------------------------------------------------------


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


def _extension_words(digits: str) -> str:
    """An extension up to three digits is a cardinal ("ext. 12" -> "twelve"), a longer one is spelled."""
    if len(digits) <= 3 and not (len(digits) > 1 and digits.startswith("0")):
        return number_to_words(int(digits))
    return digits_to_words(digits)


def _phone(m: re.Match[str]) -> str:
    number = m.group(0)[: m.start("ext") - m.start()] if m.group("ext") else m.group(0)
    words = telephone_to_words(number)
    if m.group("ext"):
        words += f", extension {_extension_words(m.group('ext'))}"
    return words


def _trunk_phone(m: re.Match[str]) -> str:
    number = m.group(0)[: m.start("ext") - m.start()] if m.group("ext") else m.group(0)
    if not 10 <= sum(c.isdigit() for c in number) <= 11:
        return m.group(0)  # too short or long for a national number
    return _phone(m)


def _vanity_phone(m: re.Match[str]) -> str:
    prefix = "one, " if m.group(0).startswith("1-") else ""
    return f"{prefix}{_phone_group(m.group(1), True)}, {m.group(2).replace('-', ' ')}"


# "555-1234" is a telephone number only after one of these words; otherwise it is a range ("500-1000")
_PHONE_CUE_RE = re.compile(r"\b(?:call|phone|tel|telephone|dial|fax|text|mobile|cell|number)\b", re.I)


def _local_phone(m: re.Match[str]) -> str:
    if not _PHONE_CUE_RE.search(m.string[max(0, m.start() - 30) : m.start()]):
        return m.group(0)
    return _phone(m)


_EXTENSION = r"(?:\s*,?\s*(?:ext\.?|x|extension)\s*(?P<ext>\d{1,5}))?"
PHONE = Rule(
    re.compile(
        r"(?<![\w+.-])(?:(?:\+\d{1,3}|1)[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[.-])\d{3}[.-]\d{4}(?![\w-]|[.-]\d)"
        + _EXTENSION
    ),
    _phone,
)
INTERNATIONAL_PHONE = Rule(
    re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s.-]\(?\d{1,5}\)?){2,5}(?![\w-]|[.-]\d)" + _EXTENSION), _phone
)
LOCAL_PHONE = Rule(re.compile(r"(?<![\w.+-])\d{3}-\d{4}(?![\w-]|[.-]\d)" + _EXTENSION), _local_phone)
# national numbers with a trunk zero, in spaced groups: "020 7946 0958", "0800 123 4567", "07700 900123"
TRUNK_PHONE = Rule(
    re.compile(r"(?<![\w+.,-])0\d{2,4}(?: \d{3,6}){1,2}(?![\w-]|[.,]\d)" + _EXTENSION), _trunk_phone
)
# "1-800-FLOWERS": the letters are said as the word
VANITY_PHONE = Rule(
    re.compile(r"(?<![\w+-])(?:1-)?(8[0-9]{2})-([A-Z]{3,}(?:-[A-Z]{2,})*)(?![\w-])"), _vanity_phone
)

# --------------------------------------------------------------------------------------------------------
# Postal addresses
# --------------------------------------------------------------------------------------------------------


def _zip(m: re.Match[str]) -> str:
    words = f"{US_STATES[m.group(1)]} {digits_to_words(m.group(2))}"
    return words + (f", {digits_to_words(m.group(3))}" if m.group(3) else "")


# "Cupertino, CA 95014": the state's name and the ZIP code digit by digit
ZIP = Rule(re.compile(r"(?<=, )(" + alternation(US_STATES) + r") (\d{5})(?:-(\d{4}))?(?![\w-])"), _zip)
# British postcodes: "SW1A 2AA", "M1 1AE" are spelled
# (the last two letters are never C, I, K, M, O or V, so "A1 2PM" is no postcode)
POSTCODE = Rule(
    re.compile(r"(?<![\w.-])([A-Z]{1,2}\d[A-Z\d]?) (\d[ABD-HJLNP-UW-Z]{2})(?![\w-])"),
    lambda m: f"{spell_out(m.group(1))}, {spell_out(m.group(2))}",
)
# "W 42nd St" -> "West 42nd St"
COMPASS_BEFORE = Rule(
    re.compile(r"(?<![\w.])([NSEW])\.? (?=\d+(?:st|nd|rd|th)\b)"), lambda m: COMPASS_POINTS[m.group(1)] + " "
)
# "Dr" and "St" are a title and "Saint" more often than a street: a street only after a capitalised name
_STREET_NAME_BEFORE_RE = re.compile(r"(?<![\w.])(?:[A-Z][a-z]+|\d+(?:st|nd|rd|th))\s+$")


def _compass_after(m: re.Match[str]) -> str:
    street, _dot, point, point_dot = m.groups()
    rest = m.string[m.end() :]
    if len(point) == 1 and re.match(r"\s+[A-Z]", rest):
        return m.group(0)  # an initial: "Dr. N. Patel", "Dr S Gupta", "St. N. Church"
    if street in ("Dr", "St") and not _STREET_NAME_BEFORE_RE.search(m.string, 0, m.start()):
        return m.group(0)  # "Call Dr. N, the nurse": a title without a street name before it
    period = sentence_period(m.string, m.end()) if point_dot else ""
    return f"{STREET_TYPES[street]} {COMPASS_POINTS[point]}{period}"  # "Ave NW" -> "Avenue Northwest"


_STREET_ALT = alternation(STREET_TYPES)
_COMPASS_ALT = alternation(COMPASS_POINTS)
COMPASS_AFTER = Rule(
    re.compile(r"\b(" + _STREET_ALT + r")(\.?) (" + _COMPASS_ALT + r")(\.)?(?![\w'-]|\.\w)"), _compass_after
)
