"""Word tables for :mod:`fmtts.text.normalizer`: units, abbreviations, names, acronyms, symbols.

Kept apart from the rules so that adding a unit or an abbreviation never means touching a regex.
American spelling throughout (the default voice is en-us): "meter", "liter".
"""

from __future__ import annotations

# --------------------------------------------------------------------------------------------------------
# Units: symbol -> (singular, plural). Matched case-sensitively after a number ("5 kg", "1.5kg", "a 5-km
# run"). Symbols that are also words or letters are deliberately absent: "s" (the 1990 s), "t", "A", "B"
# ("$5B" is billions), "K" ("4K video").
# --------------------------------------------------------------------------------------------------------

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
    # money written as a code after the amount
    "USD": ("dollar", "dollars"),
    "EUR": ("euro", "euros"),
    "GBP": ("pound", "pounds"),
    "JPY": ("yen", "yen"),
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

# "per hour" after an amount: "$20/hr", "3 mg/kg", "60 beats/min".
PER_UNITS: dict[str, str] = {
    "h": "hour", "hr": "hour", "hour": "hour", "d": "day", "day": "day", "wk": "week", "week": "week",
    "mo": "month", "month": "month", "yr": "year", "year": "year", "min": "minute", "s": "second",
    "sec": "second", "kg": "kilogram", "lb": "pound", "g": "gram", "km": "kilometer", "mi": "mile",
    "m": "meter", "person": "person", "night": "night", "unit": "unit", "item": "item",
}  # fmt: skip

# Magnitude suffixes written straight after a number: "10k steps", "5M users", "2.5bn". Upper-case "K"
# is left alone ("4K", "a 5K run" are said "four K", "five K") and lower-case "m" is metres, except after
# a currency symbol, where more letters count ("$5m", "$50K", "$1.2B").
MAGNITUDES: dict[str, str] = {
    "k": "thousand", "M": "million", "mn": "million", "bn": "billion", "tn": "trillion",
}  # fmt: skip
CURRENCY_MAGNITUDES: dict[str, str] = MAGNITUDES | {
    "K": "thousand", "m": "million", "b": "billion", "B": "billion", "T": "trillion",
}  # fmt: skip

# --------------------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------------------

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

# --------------------------------------------------------------------------------------------------------
# Abbreviations
# --------------------------------------------------------------------------------------------------------

# Titles only occur before a name: the period is always consumed.
TITLES: dict[str, str] = {
    "Mr": "Mister", "Mrs": "Missus", "Ms": "Miz", "Dr": "Doctor", "Prof": "Professor", "Gen": "General",
    "Capt": "Captain", "Lt": "Lieutenant", "Col": "Colonel", "Sgt": "Sergeant", "Rev": "Reverend",
    "Hon": "Honorable", "Gov": "Governor", "Sen": "Senator", "Rep": "Representative", "Mt": "Mount",
    "Ft": "Fort", "Pres": "President", "vs": "versus", "cf": "compare", "viz": "namely",
    "Tel": "telephone", "tel": "telephone",
}  # fmt: skip

# May end a sentence: the period is kept when it looks like a sentence end.
FINALS: dict[str, str] = {
    "Jr": "Junior", "Sr": "Senior", "etc": "et cetera", "Etc": "et cetera", "Co": "Company",
    "Ltd": "Limited", "Inc": "Incorporated", "Corp": "Corporation", "Bros": "Brothers", "Ave": "Avenue",
    "Blvd": "Boulevard", "Rd": "Road", "Dept": "Department", "dept": "department",
    "approx": "approximately", "incl": "including", "excl": "excluding", "esp": "especially",
    "govt": "government", "misc": "miscellaneous", "avg": "average", "max": "maximum",
}  # fmt: skip

# Only before a number or a roman numeral ("Fig. 3", "pp. 10-12", "Vol. IV"); "No" and "p" are words
# or initials elsewhere.
REFERENCES: dict[str, str] = {
    "Fig": "figure", "fig": "figure", "Figs": "figures", "figs": "figures", "Eq": "equation",
    "eq": "equation", "Eqs": "equations", "Eqn": "equation", "No": "number", "no": "number",
    "Nos": "numbers", "nos": "numbers", "Sec": "section", "sec": "section", "Ch": "chapter",
    "ch": "chapter", "Chap": "chapter", "Vol": "volume", "vol": "volume", "Vols": "volumes", "p": "page",
    "pp": "pages", "Art": "article", "Tab": "table", "Thm": "theorem", "Ex": "example", "Ref": "reference",
    "Para": "paragraph", "para": "paragraph", "ext": "extension", "Ext": "extension", "Apt": "apartment",
    "Rm": "room", "ca": "circa",
}  # fmt: skip
# These are read even without their period ("Fig 3", "Eq 2").
REFERENCES_WITHOUT_PERIOD = frozenset({"Fig", "fig", "Figs", "Eq", "Eqs", "Eqn"})

# Replaced verbatim (case-sensitive) before the other rules (URLs and e-mail addresses go first), because
# the symbols inside them would otherwise be read one by one.
LITERALS: dict[str, str] = {
    "w/o": "without", "w/": "with", "c/o": "care of", "a.k.a.": "also known as", "A.K.A.": "also known as",
    "Ph.D.": "PhD", "AT&T": "A-T and T", "C#": "C sharp", "F#": "F sharp", "C++": "C plus plus",
    "int'l": "international", "Int'l": "International", "24/7": "twenty-four seven", "9/11": "nine eleven",
    "50/50": "fifty-fifty", "20/20": "twenty-twenty", "911": "nine one one",
}  # fmt: skip

# --------------------------------------------------------------------------------------------------------
# Roman numerals
# --------------------------------------------------------------------------------------------------------

# Read as a cardinal after these words: "World War II", "Chapter IV", "Super Bowl LVII".
ROMAN_CARDINAL_CONTEXT = frozenset(
    """
    war chapter part book volume act scene episode phase stage type class level section article title
    appendix bowl series mark mk apollo gemini olympiad psalm canto round grade category unit lesson
    amendment division league tier
    """.split()
)

# Read as "the fourteenth" after these given names (monarchs, popes): "Louis XIV", "Elizabeth II".
# A surname after one of them works too ("Henry Ford II"); after other capitalised words a numeral is a
# cardinal ("Rocky IV", "Final Fantasy VII").
REGNAL_NAMES = frozenset(
    """
    Alexander Alfonso Amenhotep Andrew Anne Basil Benedict Boniface Carlos Casimir Catherine Charles
    Christian Clement Constantine David Duncan Edmund Edward Elizabeth Eric Erik Ferdinand Francis
    Frederick Friedrich George Gregory Gustav Gustavus Haakon Harald Henry Hussein Innocent Isabella Ivan
    James Jean John Joseph Juan Julius Justinian Karl Kenneth Leo Leopold Louis Ludwig Magnus Malcolm
    Manuel Margaret Martin Mary Matthias Maximilian Mehmed Michael Murad Napoleon Nicholas Olaf Otto Paul
    Pedro Peter Philip Pius Ptolemy Rama Ramesses Richard Robert Rudolf Selim Sixtus Stephen Suleiman
    Thutmose Urban Victor Wilhelm William Luther
    """.split()
)
# Names that are followed by a letter rather than a numeral.
NOT_REGNAL = frozenset({"Malcolm X"})

# --------------------------------------------------------------------------------------------------------
# Acronyms (all-caps tokens of 2-5 letters)
#
# eSpeak spells an all-caps token itself when it starts with letters that cannot start an English syllable
# (FBI, HTML, NBA), with natural acronym stress, so those are left alone. A token that starts like a word
# is read as one at the end of a phrase ("the NIH," -> "nih", "the IQ" -> "ick"): the normaliser spells
# those that are not pronounceable (OTC, UCSB, NIH) and those listed in SPELLED_ACRONYMS.
# --------------------------------------------------------------------------------------------------------

# Pronounceable-looking acronyms that people spell.
SPELLED_ACRONYMS = frozenset(
    """
    AD AI AKA AOL API AR CE DIY DOA DOD EA EEG EOD EOF EPA EST ETA FYI ICU IDE IOU IP IPA IPO IRA IRS IV
    LED MIT NYSE NYU RAF SEC SEO SOS UAE UFO UI UPS URI URL UX VIP XX XXX YMCA
    """.split()
)

# Read as words even though the pronounceability test might disagree (it is consulted first).
WORD_ACRONYMS = frozenset(
    """
    NASA NATO UNESCO SCUBA LASER RADAR SONAR UNICEF NAFTA OPEC FIFA AIDS COVID IKEA CUDA JSON JPEG MPEG
    GIF PIN RAM SIM ZIP RAID LAN WAN WIFI ASCII BIOS OLED CERN SARS NOAA OSHA HIPAA GUI AJAX FEMA DARPA
    NIST ANSI ASAP YOLO NIMBY POTUS SWAT TASER AWOL EFTA ASEAN ANZAC IMAX SIMD AHH ARGH UGH HMM
    """.split()
)

# Fixed readings.
ACRONYM_READINGS: dict[str, str] = {
    "NCAA": "N-C-double-A", "NAACP": "N-double-A-C-P", "AAA": "triple-A", "IEEE": "I-triple-E",
    "WWI": "World War one", "WWII": "World War two",
}  # fmt: skip

# English syllable onsets, for the pronounceability test (upper case).
ONSETS = """
    B BL BR C CH CHR CL CR D DR DW F FL FR G GL GN GR H J K KL KN KR L M N P PH PHR PL PR PS QU R RH S SC
    SCH SCR SH SHR SK SL SM SN SP SPH SPL SPR SQU ST STR SW T TH THR TR TW V W WH WR Y Z
""".split()
CODAS = """
    B BS CH CK CKS CT D DS F FF FS FT G GH GS GHT K KS L LD LF LK LL LM LP LS LT M MB MP MPS MS N NCH ND NDS
    NG NGS NK NKS NS NT NTH NTS P PS PT R RB RCH RD RF RG RK RM RN RP RS RST RT RTH S SH SK SP SS ST T TCH
    TH TS W WN X Z
""".split()

# Top-level domains that are spelled ("dot I-O"); the others are read as words ("dot com").
SPELLED_TLDS = frozenset("ai au ca cn de eu fr in io jp ly nl nz ru se tv uk us fm gg".split())
URL_TLDS = """
    com org net edu gov mil int io ai co uk us ca de fr jp cn ru au nl nz se eu in info biz app dev me tv
    ly gg xyz online site tech fm
""".split()

# --------------------------------------------------------------------------------------------------------
# Symbols, read where they stand (after numbers, URLs and e-mail addresses have been expanded)
# --------------------------------------------------------------------------------------------------------

SYMBOLS: dict[str, str] = {
    "&": "and", "+": "plus", "@": "at", "=": "equals", "%": "percent", "±": "plus or minus",
    "×": "times", "÷": "divided by", "≈": "approximately", "≠": "is not equal to",
    "≤": "is less than or equal to", "≥": "is greater than or equal to", "§": "section",
}  # fmt: skip
# Only read between spaces or before a number ("x < 5", "<5 ms"); elsewhere they are markup or arrows.
COMPARISONS: dict[str, str] = {"<": "less than", ">": "greater than", "~": "about"}
