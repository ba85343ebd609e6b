"""Units and measures: "5 kg", "a 10mm wrench", "3 mg/kg", "180 °C", "5'11\"", "55\" TV", "50%", "10k", "3x".

* A number and unit between a determiner ("a", "the", "my" ...) and a noun is an adjective and keeps
  the unit singular: "a 10mm wrench" -> "a ten millimeter wrench", "a 3/4-inch screw" -> "a
  three-quarter-inch screw"; a hyphen ("a 5-km run") always makes one. Without a determiner the plural
  stays ("16GB RAM"); :func:`~.context.attributive` has the details.
* A double quote after a number is an inch mark unless it closes an open quotation (quotes straight after
  digits open none: 'a 55" TV and a "big" 65" TV') or a pronoun or speech verb follows ('I turned 25" she
  said').
* "180C" is a temperature only a few words after words like "bake" in the same clause, not after "room",
  "flat", "seat" ... and not before a noun ("Add 1 C sugar").
* Seconds are recognised only as "10 s" or "10 sec" ("5s" is a plural or a decade).
"""

from __future__ import annotations

import re

from fmtts.text.normalizer.abbreviations import sentence_period
from fmtts.text.normalizer.context import (
    FOLLOWING_WORD_RE,
    INT,
    NOT_MODIFIED_NOUNS,
    Rule,
    alternation,
    attributive,
    next_word,
)
from fmtts.text.normalizer.verbalize import (
    amount_words,
    fraction_adjective,
    fraction_of,
    mixed_fraction_words,
    number_to_words,
)

# Units: symbol -> (singular, plural). Matched case-sensitively after a number ("5 kg", "1.5kg", "a 5-km
# run"). Symbols that are also words or letters are deliberately absent: "t", "A", "B" ("$5B" is
# billions), "K" ("4K video"); "s" counts only after a space ("9.58 s", not "the 1990s").
# American spelling (the default voice is en-us): "meter", "liter".
UNITS: dict[str, tuple[str, str]] = {
    # length
    "nm": ("nanometer", "nanometers"),
    "μm": ("micrometer", "micrometers"),
    "mm": ("millimeter", "millimeters"),
    "cm": ("centimeter", "centimeters"),
    "m": ("meter", "meters"),
    "km": ("kilometer", "kilometers"),
    "in": ("inch", "inches"),
    "ft": ("foot", "feet"),
    "yd": ("yard", "yards"),
    "mi": ("mile", "miles"),
    # area
    "sq ft": ("square foot", "square feet"),
    "sq mi": ("square mile", "square miles"),
    "sq km": ("square kilometer", "square kilometers"),
    # mass
    "μg": ("microgram", "micrograms"),
    "mg": ("milligram", "milligrams"),
    "g": ("gram", "grams"),
    "kg": ("kilogram", "kilograms"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    # volume
    "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"),
    "l": ("liter", "liters"),
    "L": ("liter", "liters"),
    "fl oz": ("fluid ounce", "fluid ounces"),
    "gal": ("gallon", "gallons"),
    "tsp": ("teaspoon", "teaspoons"),
    "tbsp": ("tablespoon", "tablespoons"),
    # time
    "ns": ("nanosecond", "nanoseconds"),
    "μs": ("microsecond", "microseconds"),
    "ms": ("millisecond", "milliseconds"),
    "s": ("second", "seconds"),  # only with a space: "9.58 s"
    "sec": ("second", "seconds"),
    "secs": ("second", "seconds"),
    "min": ("minute", "minutes"),
    "mins": ("minute", "minutes"),
    "h": ("hour", "hours"),
    "hr": ("hour", "hours"),
    "hrs": ("hour", "hours"),
    "wk": ("week", "weeks"),
    "wks": ("week", "weeks"),
    "yr": ("year", "years"),
    "yrs": ("year", "years"),
    # speed
    "mph": ("mile per hour", "miles per hour"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "kph": ("kilometer per hour", "kilometers per hour"),
    "m/s": ("meter per second", "meters per second"),
    # temperature and angle
    "°C": ("degree Celsius", "degrees Celsius"),
    "°F": ("degree Fahrenheit", "degrees Fahrenheit"),
    "°": ("degree", "degrees"),
    # data
    "KB": ("kilobyte", "kilobytes"),
    "kB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"),
    "GB": ("gigabyte", "gigabytes"),
    "TB": ("terabyte", "terabytes"),
    "PB": ("petabyte", "petabytes"),
    "kbps": ("kilobit per second", "kilobits per second"),
    "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"),
    # frequency
    "Hz": ("hertz", "hertz"),
    "kHz": ("kilohertz", "kilohertz"),
    "MHz": ("megahertz", "megahertz"),
    "GHz": ("gigahertz", "gigahertz"),
    # electricity, power, energy, sound
    "mA": ("milliamp", "milliamps"),
    "mAh": ("milliamp hour", "milliamp hours"),
    "V": ("volt", "volts"),
    "kV": ("kilovolt", "kilovolts"),
    "W": ("watt", "watts"),
    "kW": ("kilowatt", "kilowatts"),
    "MW": ("megawatt", "megawatts"),
    "kWh": ("kilowatt hour", "kilowatt hours"),
    "kcal": ("kilocalorie", "kilocalories"),
    "kJ": ("kilojoule", "kilojoules"),
    "dB": ("decibel", "decibels"),
    "px": ("pixel", "pixels"),
    "MP": ("megapixel", "megapixels"),
    "pts": ("point", "points"),
    "fps": ("frame per second", "frames per second"),
    # money written as a code after the amount (USD, EUR, GBP and JPY are money.CURRENCY_CODES)
    "CAD": ("Canadian dollar", "Canadian dollars"),
    "AUD": ("Australian dollar", "Australian dollars"),
    "CHF": ("Swiss franc", "Swiss francs"),
    "INR": ("rupee", "rupees"),
    "CNY": ("yuan", "yuan"),
    "¢": ("cent", "cents"),
}

# Single-letter units are also initials and compass points ("500 W Main St"): they count as units only
# when no capitalised word follows.
AMBIGUOUS_UNITS = frozenset({"m", "g", "l", "L", "h", "s", "V", "W"})

# Measure words spelled out in full. With a plain fraction they read "half a cup", "a quarter of a mile".
MEASURE_NOUNS = frozenset(
    """
    cup teaspoon tablespoon pint quart gallon liter ounce pound gram kilogram inch foot yard mile meter
    kilometer centimeter millimeter second minute hour day week month year dozen glass slice page
    """.split()
) | frozenset(singular for singular, _plural in UNITS.values())

# A four-digit number followed by one of these is a quantity, not a year ("2048 bytes"), and a code cue
# followed by one counts ("the zip code has 400 entries").
UNIT_WORDS = frozenset(
    """
    dollar dollars euro euros pound pounds cent cents pence penny yen percent people persons men women
    children students times items units copies words pages points votes miles mile meters metres meter
    km kg g mg lb lbs kilometers kilometres kilograms grams feet foot ft inches inch yards tons tonnes
    bytes kb mb gb tb kilobytes megabytes gigabytes hz khz mhz ghz w kw watts volts calories kcal
    degrees seconds minutes hours days weeks months years pixels rpm
    """.split()
) | frozenset(plural.split()[0] for _singular, plural in UNITS.values())

# "per hour" after an amount: "$20/hr", "3 mg/kg", "60 beats/min".
PER_UNITS: dict[str, str] = {
    "h": "hour", "hr": "hour", "hour": "hour", "d": "day", "day": "day", "wk": "week", "week": "week",
    "mo": "month", "month": "month", "yr": "year", "year": "year", "min": "minute", "s": "second",
    "sec": "second", "kg": "kilogram", "lb": "pound", "g": "gram", "km": "kilometer", "mi": "mile",
    "m": "meter", "person": "person", "night": "night", "unit": "unit", "item": "item",
}  # fmt: skip

# Magnitude suffixes written straight after a number: "10k steps", "5M users", "2.5bn". Upper-case "K"
# is left alone ("4K", "a 5K run" are said "four K", "five K") and lower-case "m" is metres, except after
# a currency symbol, where more letters count (money.CURRENCY_MAGNITUDES: "$5m", "$50K", "$1.2B").
MAGNITUDES: dict[str, str] = {
    "k": "thousand", "M": "million", "mn": "million", "bn": "billion", "tn": "trillion",
}  # fmt: skip

# Words before a bare "180C" that make it a temperature ("Bake at 180C", "highs of 30C"): they must be
# among the few words before it, in the same clause.
TEMPERATURE_CUES = frozenset(
    """
    bake baked baking oven preheat preheated heat heated roast cook temperature temperatures temp temps
    thermostat fridge freezer high highs low lows warm cool cold hot weather degrees
    """.split()
)
# ... but not straight after these: "room 4C", "flat 2F", "seat 12C" are numbers of places.
NOT_TEMPERATURE_AFTER = frozenset(
    """
    room rm flat apt apartment unit gate row seat suite floor level block building bay platform stand
    box locker cabin deck grade class ward bed lot
    """.split()
)

# --------------------------------------------------------------------------------------------------------
# Feet and inches
# --------------------------------------------------------------------------------------------------------


def _feet_inches(m: re.Match[str]) -> str:
    feet, inches = int(m.group(1)), m.group(2)
    if attributive(m.string, m.start(), m.end()):  # "a 6' pole", "a 6'2" man" -> "a six foot two man"
        return f"{number_to_words(feet)} foot" + (f" {number_to_words(int(inches))}" if inches else "")
    words = f"{number_to_words(feet)} {'foot' if feet == 1 else 'feet'}"
    if inches:
        words += f" {number_to_words(int(inches))} {'inch' if inches == '1' else 'inches'}"
    return words


# 5'11", 6' (feet and inches); not "the 1990's"
FEET_INCHES = Rule(re.compile(r"(?<![\w.'])(\d{1,2})'(?:\s?(\d{1,2})(?:\"|''))?(?![\w'])"), _feet_inches)

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
    if _quotation_open(m.string, m.start()) or next_word(m.string, m.end()) in _SPEECH_WORDS:
        return m.group(0)  # the closing quote of 'he said "take 2"', of 'I turned 25" she said'
    whole, fraction, number = m.groups()
    if fraction and not whole:
        return f"{fraction} inch"  # read by the fraction rule: "a quarter inch bead", "a quarter of an inch"
    after = FOLLOWING_WORD_RE.match(m.string, m.end())
    # an acronym after the mark is what it measures: 'a "big" 65" TV'
    acronym = bool(after) and len(after.group(1)) > 1 and after.group(1).isupper() and after.group(1) != "OK"
    singular = number == "1" or acronym or attributive(m.string, m.start(), m.end())
    return f"{whole or ''}{fraction or number} {'inch' if singular else 'inches'}"


# a double quote straight after a number is an inch mark when no quotation is open before it: 6.7", 1/4"
INCH_MARK = Rule(re.compile(r"(?<![\w.'/])(?:(\d+ )?(\d+/\d+)|(\d+(?:\.\d+)?))\"(?![\w\"])"), _inch_mark)

# --------------------------------------------------------------------------------------------------------
# Temperatures
# --------------------------------------------------------------------------------------------------------

_TEMPERATURE_CUE_RE = re.compile(r"[A-Za-z]+")
_TEMPERATURE_FOLLOWS = frozenset(
    "today tonight tomorrow yesterday overnight outside inside degrees please".split()
)


def _bare_temperature(m: re.Match[str]) -> str:
    clause = re.split(r"[.!?;]\s", m.string[max(0, m.start() - 60) : m.start()])[-1]
    words = [w.lower() for w in _TEMPERATURE_CUE_RE.findall(clause)][-4:]  # "bake it at 180C"
    if not any(w in TEMPERATURE_CUES for w in words) or (words and words[-1] in NOT_TEMPERATURE_AFTER):
        return m.group(0)  # "Apt 5C", "grade 3F", "cold in room 4C"
    after = FOLLOWING_WORD_RE.match(m.string, m.end())
    if after and after.group(1).islower():
        following = after.group(1)
        if following not in NOT_MODIFIED_NOUNS and following not in _TEMPERATURE_FOLLOWS:
            return m.group(0)  # "Add 1 C sugar": a cup
    return f"{m.group(1)}°{m.group(2)}"


# "180C" is a temperature after words like "bake" or "highs" (then the unit rule reads "180°C")
BARE_TEMPERATURE = Rule(re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?) ?([CF])(?![\w'-])"), _bare_temperature)
# "degrees F" always is
DEGREES_LETTER = Rule(
    re.compile(r"\b(degrees?) ([CF])(?![\w'-])"),
    lambda m: f"{m.group(1)} {'Celsius' if m.group(2) == 'C' else 'Fahrenheit'}",
)


def _degrees(m: re.Match[str]) -> str:
    unit = m.group(1)
    return " degrees" + {"C": " Celsius", "F": " Fahrenheit", None: ""}[unit] + " "


# a degree sign the unit rule did not read (no number before it): "°C", "a few °"
DEGREES = Rule(re.compile(r"\s?°\s?([CF])\b|\s?°"), _degrees)

# --------------------------------------------------------------------------------------------------------
# A number and its unit
# --------------------------------------------------------------------------------------------------------

# "2h 30m" and "1h30" are hours and minutes: rewritten for the unit rule
HOURS_MINUTES = Rule(re.compile(r"(?<![\w.])(\d+) ?h ?(\d{1,2})(?: ?m(?:in)?\b|(?![\w.]))"), r"\1 h \2 min")


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
    period = sentence_period(m.string, m.end()) if m.group("dot") else ""
    adjective = sep == "-" or attributive(m.string, m.start(), m.end())
    if den and not whole:
        if adjective:  # "a 1/4-in. bit" -> "a quarter-inch bit"
            return f"{sign}{fraction_adjective(int(int_part), int(den))}-{singular}{period}"
        return sign + fraction_of(int(int_part), int(den), singular) + period
    if den:
        amount = mixed_fraction_words(int(whole), int(int_part), int(den))
    else:
        amount = amount_words(int_part, frac)
    if sep == "-":  # adjectival: "a five-kilometer run"
        return f"{sign}{amount}-{singular.replace(' ', '-')}{period}"
    one = (amount == "one" and not den) or adjective  # "a 10mm wrench" -> "a ten millimeter wrench"
    return f"{sign}{amount} {singular if one else plural}{period}"


# A unit after a number: "5 kg", "1.5kg", "-3 °C", "1/2 kg", "1 1/2 mi", "a 5-km run".
_QUANTITY = (
    r"(?P<sign>-)?(?:(?P<whole>\d+)\s(?=\d+/\d))?(?P<int>\d{1,3}(?:,\d{3})+|\d+)"
    r"(?:\.(?P<frac>\d+)|/(?P<den>\d+))?"
)
_UNITS_ALT = alternation(UNITS)
UNIT = Rule(
    re.compile(
        r"(?<![\w.,/])" + _QUANTITY + r"(?P<sep>\s?|-)(?P<unit>" + _UNITS_ALT + r")(?P<dot>\.)?(?![\w°])"
    ),
    _unit,
)
PERCENT = Rule(
    re.compile(r"(?<![\w.])(-)?" + INT + r"(?:\.(\d+))?\s?%"),
    lambda m: ("minus " if m.group(1) else "") + amount_words(m.group(2), m.group(3)) + " percent",
)
PER = Rule(  # "3 mg/kg" once the unit rule has read "milligrams/kg"
    re.compile(r"(?<=[a-z])/(" + alternation(PER_UNITS) + r")\b"), lambda m: " per " + PER_UNITS[m.group(1)]
)
MAGNITUDE = Rule(
    re.compile(r"(?<![\w.,])(\d+(?:\.\d+)?)(" + alternation(MAGNITUDES) + r")\b"),
    lambda m: f"{m.group(1)} {MAGNITUDES[m.group(2)]}",
)


def _dimensions(m: re.Match[str]) -> str:
    if m.group(1) == "0":
        return m.group(0)  # hexadecimal "0x1F"
    return m.group(1) + (" times " if "=" in m.string else " by ")


DIMENSIONS = Rule(re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?[x×]\s?(?=\d)"), _dimensions)  # "3 x 5"
# "3 in. x 5 in." once the first unit is words: "three inches by 5 in."
_PLURAL_UNITS_ALT = alternation({plural for _singular, plural in UNITS.values()})
UNIT_BY = Rule(re.compile(r"\b(" + _PLURAL_UNITS_ALT + r")\.? [x×] (?=\w)"), r"\1 by ")
TIMES = Rule(re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s?[xX×](?!\w)"), r"\1 times")  # "10x faster"
