"""Symbols and formulas: "&", "+", "=", "±", "x < 5", "2^10", "3 * 4", "10 / 2".

Symbols are read where they stand, after numbers, URLs and e-mail addresses have been expanded (those
read their own symbols). "<", ">" and "~" are read only between spaces or before a number; elsewhere they
are markup or arrows. "*" is "times" only between numbers or in a formula (a text with "="): "5 stars *
terms apply" keeps its footnote mark.
"""

from __future__ import annotations

import re

from fmtts.text.normalizer.context import Rule, alternation

SYMBOLS: dict[str, str] = {
    "&": "and", "+": "plus", "@": "at", "=": "equals", "%": "percent", "±": "plus or minus",
    "×": "times", "÷": "divided by", "≈": "approximately", "≠": "is not equal to",
    "≤": "is less than or equal to", "≥": "is greater than or equal to", "§": "section",
}  # fmt: skip
COMPARISONS: dict[str, str] = {"<": "less than", ">": "greater than", "~": "about"}

POWER = Rule(
    re.compile(r"\^\s?(\d+)"),
    lambda m: {"2": " squared", "3": " cubed"}.get(m.group(1), f" to the power of {m.group(1)}"),
)
_TIMES_SIGN_RE = re.compile(r"(?<=\d)\s*\*\s*(?=\d)|(?<=\w) \* (?=\w)")
_NUMBER_TIMES_SIGN_RE = re.compile(r"(?<=\d)\s*\*\s*(?=\d)")


def times_sign(text: str) -> str:
    """ "3 * 4" -> "3 times 4"; "a * b" too in a formula."""
    return (_TIMES_SIGN_RE if "=" in text else _NUMBER_TIMES_SIGN_RE).sub(" times ", text)


DIVIDED = Rule(re.compile(r"(?<=\d) [/÷] (?=\d)"), " divided by ")
COMPARISON = Rule(
    re.compile(r"(?:(?<=\s)|^)([<>~])(?=\s|[$£€¥]?\d)"), lambda m: COMPARISONS[m.group(1)] + " "
)
SYMBOL = Rule(re.compile(r"\s*(" + alternation(SYMBOLS) + r")\s*"), lambda m: f" {SYMBOLS[m.group(1)]} ")
