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
    "fps": ("frame per second", "frames per second"),
    # money written as a code after the amount (USD, EUR, GBP and JPY are CURRENCY_CODES)
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

# A number and unit between one of these and a noun is an adjective and keeps the unit singular ("a 10mm
# wrench" -> "a ten millimeter wrench", "the 100m dash"); a hyphen ("a 5-km run") always does.
# "that" is left out: it is more often a conjunction ("I know that 5 km seems far").
ATTRIBUTIVE_DETERMINERS = frozenset("a an the this my your his her its our their".split())
# ... unless the word after the unit is one of these: "the 5 kg of flour", "a 10 km or more", "the 2 m left".
NOT_MODIFIED_NOUNS = frozenset(
    """
    a about above after again ago ahead along also an and apart are as at away back be been before behind
    below between but by can could did do does down each earlier east every for from further had has have
    he her here him his i if in into is it its just later left less many more most much my no north nor
    not now of off on once only or our out over per remaining she short should since so some south still
    than that the their them then there these they this those through to too under until up upward very
    was we were west what when where which while who whose will with would yet you your
    today tonight tomorrow yesterday soon already enough next first last instead anyway either each
    might must shall may went came took got made ran won lost sold bought paid kept held said gave fell
    grew became brought stood sat felt thought seemed
    """.split()
)
# Words ending in "ly" that are nouns or adjectives, not adverbs: "a $10 monthly fee", "a 12V supply".
LY_MODIFIERS = frozenset(
    """
    daily weekly monthly yearly hourly nightly quarterly early family supply assembly rally jelly belly
    ally bully lily holy
    """.split()
)

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
# ISO codes before or after an amount that are read like their symbol ("USD 5.50" -> "$5.50")
CURRENCY_CODES: dict[str, str] = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}
# Dollars of other countries: "US$5" -> "five US dollars", "A$20" -> "twenty Australian dollars"
DOLLAR_COUNTRIES: dict[str, str] = {
    "US": "US", "C": "Canadian", "CA": "Canadian", "A": "Australian", "AU": "Australian",
    "NZ": "New Zealand", "HK": "Hong Kong", "S": "Singapore",
}  # fmt: skip
CURRENCY_MAGNITUDES: dict[str, str] = MAGNITUDES | {
    "K": "thousand", "m": "million", "b": "billion", "B": "billion", "T": "trillion",
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

# Video line counts written "1080p", "720p": read like a model number ("ten eighty p").
VIDEO_LINES = frozenset({240, 360, 480, 576, 720, 1080, 1440, 2160, 4320})

# Model numbers are said in pairs after these names ("Boeing 747" -> "seven forty-seven", "Porsche 911"
# -> "nine eleven", "RTX 4090" -> "forty ninety") and before these words ("the 737 MAX").
MODEL_NAMES = frozenset("Boeing Airbus Xbox Porsche Cessna Embraer Learjet RTX GTX RX Radeon".split())
# Only names: "jets", "airliners" and "aircraft" follow counts as often ("320 jets").
MODEL_SUFFIXES = frozenset("MAX Dreamliner Dreamliners".split())

# A bare number after these is a code and read digit by digit ("PIN 4321", "zip code 90210"). A bare
# "code" is too often program text ("The code is 3000 lines long"): only "zip code", "area code" ... count.
DIGIT_CUES = frozenset("PIN passcode OTP zip ZIP postcode zipcode".split()) | frozenset(
    f"{kind} code"
    for kind in (
        "zip ZIP area postal security access verification confirmation promo coupon door PIN enter Enter "
        "use Use"
    ).split()
)
# A three-digit status after these is read in pairs ("HTTP 404" -> "four oh four", "error 503").
STATUS_CUES = frozenset("HTTP http error Error status Status".split())

# Hashtag-looking words that are code, not tags: "#define" keeps its old reading ("define").
NOT_HASHTAGS = frozenset("define include ifdef ifndef endif pragma undef elif".split())

# "John 3:16" -> "John three sixteen": chapter and verse after the name of a book of the Bible.
BIBLE_BOOKS = frozenset(
    """
    Genesis Exodus Leviticus Numbers Deuteronomy Joshua Judges Ruth Samuel Kings Chronicles Ezra Nehemiah
    Esther Job Psalm Psalms Proverbs Ecclesiastes Isaiah Jeremiah Lamentations Ezekiel Daniel Hosea Joel
    Amos Obadiah Jonah Micah Nahum Habakkuk Zephaniah Haggai Zechariah Malachi Matthew Mark Luke John Acts
    Romans Corinthians Galatians Ephesians Philippians Colossians Thessalonians Timothy Titus Philemon
    Hebrews James Peter Jude Revelation
    """.split()
)

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
# Dates
# --------------------------------------------------------------------------------------------------------

# A bare "12/31" (month/day, no year) is a date after these words or a weekday; otherwise a fraction.
DATE_CUES = frozenset(
    """
    until till thru due starting starts begins opens closes effective dated ends ending expires expiring
    expiry deadline
    """.split()
)
# Prepositions are weaker cues: "by 12/31" is a date, but "by 1/3" or "since 1/5" read as fractions when
# the second number is a usual denominator (see normalizer._month_day).
WEAK_DATE_CUES = frozenset("on by from through since before after".split())
# After these a two-digit "09/26" is a card's month and year ("September twenty twenty-six").
CARD_EXPIRY_CUES = frozenset("exp expires expiry expiration thru".split())

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
# What a reference abbreviation is read with: a number or a roman numeral, not "I" ("No. I think ...").
ROMAN_AHEAD = r"(?:\d|[IVXLC]{2,}\b|[VX]\b)"
# These are read even without their period ("Fig 3", "Eq 2").
REFERENCES_WITHOUT_PERIOD = frozenset({"Fig", "fig", "Figs", "Eq", "Eqs", "Eqn", "Apt"})

# Replaced verbatim (case-sensitive) before the other rules (URLs and e-mail addresses go first), because
# the symbols inside them would otherwise be read one by one.
LITERALS: dict[str, str] = {
    "w/o": "without", "w/": "with", "c/o": "care of", "a.k.a.": "also known as", "A.K.A.": "also known as",
    "Ph.D.": "PhD", "AT&T": "A-T and T", "C#": "C sharp", "F#": "F sharp", "C++": "C plus plus",
    "int'l": "international", "Int'l": "International", "24/7": "twenty-four seven", "9/11": "nine eleven",
    "50/50": "fifty-fifty", "20/20": "twenty-twenty", "911": "nine one one", "401(k)": "four oh one K",
    "403(b)": "four oh three B",
}  # fmt: skip

# --------------------------------------------------------------------------------------------------------
# Roman numerals
# --------------------------------------------------------------------------------------------------------

# Read as a cardinal after these words: "World War II", "Chapter IV", "Super Bowl LVII".
ROMAN_CARDINAL_CONTEXT = frozenset(
    """
    war chapter part book volume act scene episode phase stage type class level section article title
    appendix bowl series mark mk apollo gemini olympiad psalm canto round grade category unit lesson
    amendment division league tier artemis
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
