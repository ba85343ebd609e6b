"""Numbers that name something rather than count: model numbers, codes, versions, "John 3:16", "A4".

* Model numbers after names like "Boeing", "Xbox", before "MAX" or inside "A320", "F-150" are read in
  pairs ("seven forty-seven", "F one fifty"); "320 jets" is a count.
* Codes after "PIN", "zip code", "area code" (not a bare "code": "The code is 3000 lines") are read digit
  by digit; so are groups of three or more hyphenated numbers ("part 12-345-67").
* "1.2.3" is a version ("one point two point three"), four numbers up to 255 an IP address.
* Numbers with letters attached are plurals ("in 5s and 10s", "100s of people", "the 49ers") or read run
  by run ("Q4", "A4" -> "eh four").
"""

from __future__ import annotations

import re

from fmtts.text.normalizer.context import Rule, alternation, next_word
from fmtts.text.normalizer.units import UNIT_WORDS
from fmtts.text.normalizer.verbalize import (
    LETTERS_OR_DIGITS_RE,
    digits_to_words,
    number_to_words,
    paired_number,
    plural,
)

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

# Video line counts written "1080p", "720p": read like a model number ("ten eighty p").
VIDEO_LINES = frozenset({240, 360, 480, 576, 720, 1080, 1440, 2160, 4320})

# --------------------------------------------------------------------------------------------------------
# Model numbers (early: "Porsche 911" is no emergency number)
# --------------------------------------------------------------------------------------------------------

MODEL_NAME = Rule(
    re.compile(r"(?<![\w.])(" + alternation(MODEL_NAMES) + r") (\d{3,4})(?![\w]|[.,]\d)"),
    lambda m: f"{m.group(1)} {paired_number(m.group(2))}",
)
MODEL_SUFFIX = Rule(
    re.compile(r"(?<![\w.,$£€¥])(\d{3})(?= (?:" + alternation(MODEL_SUFFIXES) + r")\b)"),
    lambda m: paired_number(m.group(1)),
)
# three digits after a letter and a hyphen are a model number: "F-150" -> "F one fifty", "Blink-182"
LETTER_HYPHEN_MODEL = Rule(
    re.compile(r"(?<=[A-Za-z])-(\d{3})(?![\w-]|[.,]\d)"), lambda m: " " + paired_number(m.group(1))
)


def _resolution(m: re.Match[str]) -> str:
    if int(m.group(1)) not in VIDEO_LINES:
        return m.group(0)
    return f"{paired_number(m.group(1))} {m.group(2)}"


RESOLUTION = Rule(re.compile(r"(?<![\w.])(\d{3,4})([pi])\b"), _resolution)

# --------------------------------------------------------------------------------------------------------
# Codes and references
# --------------------------------------------------------------------------------------------------------

STATUS_CUE = Rule(
    re.compile(r"\b(" + alternation(STATUS_CUES) + r")((?: code)? )(\d{3})(?![\w]|[.,]\d)"),
    lambda m: m.group(1) + m.group(2) + paired_number(m.group(3)),
)
SCRIPTURE = Rule(
    re.compile(  # not "Mark 5:30 pm"
        r"\b(" + alternation(BIBLE_BOOKS) + r") (\d{1,3}):(\d{1,3})\b(?![.,:]\d|\s?[AaPp]\.?[Mm]\b)"
    ),
    lambda m: " ".join([m.group(1), *(number_to_words(int(g)) for g in m.groups()[1:])]),
)


def _digit_cue(m: re.Match[str]) -> str:
    following = next_word(m.string, m.end())
    plural_noun = len(following) > 3 and following.endswith("s") and following[-2] not in "su"
    if following in UNIT_WORDS or plural_noun:
        return m.group(0)  # a count: "the zip code has 400 entries"
    return m.group(1) + m.group(2) + digits_to_words(m.group(3))


DIGIT_CUE = Rule(
    re.compile(
        r"\b(" + alternation(DIGIT_CUES) + r")\b((?:\s+(?:number|is|was))*\s*:?\s*)(\d{3,10})(?![\w]|[.,]\d)"
    ),
    _digit_cue,
)

_DATE_SHAPED_RE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|\d{1,2}-\d{1,2}-(?:\d{2}|\d{4})")


def _digit_groups(m: re.Match[str]) -> str:
    if _DATE_SHAPED_RE.fullmatch(m.group(0)):
        return m.group(0)  # an impossible date ("2024-13-45") is left to the range rule
    groups = m.group(0).split("-")
    if all(len(g) > 1 and g[0] != "0" and g.endswith("0") for g in groups):
        return ", ".join(number_to_words(int(g)) for g in groups)  # round numbers: "a 100-200-300 ladder"
    return ", ".join(digits_to_words(group) for group in groups)


# three or more hyphenated groups of digits are a code, read in groups: "part 12-345-67"
DIGIT_GROUPS = Rule(re.compile(r"(?<![\w.,/:-])\d+(?:-\d+){2,}(?![\w-]|[.,]\d)"), _digit_groups)

# --------------------------------------------------------------------------------------------------------
# Letters and digits together, versions
# --------------------------------------------------------------------------------------------------------


def _alnum(m: re.Match[str]) -> str:
    token = m.group(0)
    if re.fullmatch(r"0x[0-9A-Fa-f]+", token):
        return token
    if re.fullmatch(r"\d+s", token):  # "in 5s and 10s", "100s of people"
        words = number_to_words(int(token[:-1]))
        return plural(words[4:] if re.fullmatch(r"one [a-z]+", words) else words)
    if re.fullmatch(r"\d+ers", token):  # "the 49ers" -> "forty-niners", "76ers" -> "seventy-sixers"
        words = number_to_words(int(token[:-3]))
        return words + ("rs" if words.endswith("e") else "ers")
    # a lone capital A before a number would be read as the article: "A4" -> "eh four"
    runs = ["eh" if run == "A" else run for run in LETTERS_OR_DIGITS_RE.findall(token)]
    # three digits after letters are a model number, said in pairs: "A320" -> "eh three twenty"
    for i in range(1, len(runs)):
        if len(runs[i]) == 3 and runs[i].isdigit() and not runs[i - 1].isdigit():
            runs[i] = paired_number(runs[i])
    return " ".join(runs)


ALNUM = Rule(re.compile(r"(?<![\w'])(?<!\d\.)(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]+(?![\w'])"), _alnum)


def _version(m: re.Match[str]) -> str:
    parts = m.group(0).split(".")
    if len(parts) == 4 and all(int(p) <= 255 for p in parts):  # an IPv4 address
        return " dot ".join(digits_to_words(p) for p in parts)
    return " point ".join(number_to_words(int(p)) for p in parts)


VERSION = Rule(re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?![\w]|\.\d)"), _version)
