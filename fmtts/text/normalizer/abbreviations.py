"""Abbreviations and fixed expressions: titles, "etc.", "St.", "e.g.", "Fig. 3", "#5", "w/o", "24/7".

* Abbreviations that can end a sentence (etc., Jr., Co., Ltd. ...) keep their period when they are last in
  the text or followed by a capitalised word, so the sentence end is not lost (:func:`sentence_period`,
  which the other topics use for "a.m.", "in." and "Ave NW." too).
* ``St.`` is "Saint" when the next word is capitalised ("St. Louis"), otherwise "Street" ("Main St.").
  "Main St. Then ..." is therefore read "Main Saint Then": an accepted error of this simple rule.
* Numbers of five or more digits after "#"/"No." (not after the word "number") are read digit by digit.

Month and weekday abbreviations are in :mod:`.dates`; the sentence splitter
(:mod:`fmtts.text.sentences`) reads the tables here, so that it does not end a sentence at "Dr." or
"Fig.".
"""

from __future__ import annotations

import re

from fmtts.text.normalizer.context import Rule, alternation
from fmtts.text.normalizer.verbalize import digits_to_words

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

_FINALS_ALT = alternation(FINALS)


def sentence_period(text: str, end: int) -> str:
    """ "." if an abbreviation ending at ``end`` probably also ended the sentence."""
    rest = text[end:]
    if not rest.strip():
        return "."
    if re.match(r"\s+[\"']?[A-Z]", rest) and not re.match(r"\s+(?:" + _FINALS_ALT + r")\.", rest):
        return "."  # but not inside a chain of abbreviations: "Acme Co. Ltd."
    return ""


def _literal_pattern(literal: str) -> str:
    head = r"(?<![\w/])" if literal[0].isalnum() else ""
    tail = r"(?!\w)" if literal[-1].isalnum() else ""
    return head + re.escape(literal) + tail


LITERAL = Rule(
    re.compile("|".join(_literal_pattern(k) for k in sorted(LITERALS, key=len, reverse=True))),
    lambda m: LITERALS[m.group()],
)

# a long number after "#" or "No." is an identifier, read digit by digit: "Order #12345"
LONG_NUMBER_SIGN = Rule(
    re.compile(r"(?<![\w&#])(?:#\s*|(?<![\w.])[Nn]o\.\s*)(\d{5,})(?![\w]|[.,]\d)"),
    lambda m: "number " + digits_to_words(m.group(1)),
)


def _reference(m: re.Match[str]) -> str:
    return REFERENCES.get(m.group(1) or m.group(2), "") + " "


_REFERENCES_ALT = alternation(REFERENCES)
_WITHOUT_PERIOD_ALT = alternation(REFERENCES_WITHOUT_PERIOD)
REFERENCE = Rule(
    re.compile(
        r"(?<![\w.])(?:(" + _REFERENCES_ALT + r")\.|(" + _WITHOUT_PERIOD_ALT + r"))\s*(?=" + ROMAN_AHEAD + ")"
    ),
    _reference,
)
NUMBER_SIGN = Rule(re.compile(r"#\s*(?=\d)"), "number ")
EG = Rule(re.compile(r"(?<![\w.])e\.\s?g\.", re.IGNORECASE), "for example")
IE = Rule(re.compile(r"(?<![\w.])i\.\s?e\.", re.IGNORECASE), "that is")
ET_AL = Rule(re.compile(r"(?<![\w.])et al\."), lambda m: "et al" + sentence_period(m.string, m.end()))


def _saint_or_street(m: re.Match[str]) -> str:
    if re.match(r"\s+[A-Z]", m.string[m.end() :]):
        return "Saint"
    return "Street" + sentence_period(m.string, m.end())


SAINT_OR_STREET = Rule(re.compile(r"(?<![\w.])St\."), _saint_or_street)
SAINT = Rule(re.compile(r"(?<![\w.])St(?=\s+[A-Z])"), "Saint")  # "St Louis"
STREET = Rule(re.compile(r"(?<![\w.])St(?=\s*(?:$|[,;:!?]))"), "Street")  # "on Main St, then"
TITLE = Rule(re.compile(r"(?<![\w.])(" + alternation(TITLES) + r")\.(?=\s)"), lambda m: TITLES[m.group(1)])
TITLE_WITHOUT_PERIOD = Rule(re.compile(r"(?<![\w.])(Mrs|Mr|Ms|Dr)(?=\s+[A-Z])"), lambda m: TITLES[m.group(1)])
FINAL = Rule(
    re.compile(r"(?<![\w.])(" + _FINALS_ALT + r")\."),
    lambda m: FINALS[m.group(1)] + sentence_period(m.string, m.end()),
)
LEGAL_V = Rule(re.compile(r"\b([A-Z][a-z]+) v\.? (?=[A-Z])"), r"\1 versus ")  # Roe v. Wade
VS = Rule(re.compile(r"(?<![\w.])vs(?=\s)"), "versus")
