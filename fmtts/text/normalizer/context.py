"""What the rules share: the :class:`Rule` type, regex helpers and the readers of the words around a match.

A rule's reading often depends on its neighbours ("a 10mm wrench" keeps the unit singular, "by 12/31" is
a date): the helpers here look at the text before or after a match, so every topic asks the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import NamedTuple

Repl = Callable[[re.Match[str]], str]


class Rule(NamedTuple):
    """One step of the pipeline: every match of ``pattern`` is replaced by ``repl`` (a function of the match
    or a ``re.sub`` template). Called on a text, it returns the text with the rule applied."""

    pattern: re.Pattern[str]
    repl: Repl | str

    def __call__(self, text: str) -> str:
        return self.pattern.sub(self.repl, text)


def alternation(words: Iterable[str]) -> str:
    """Regex alternation of literal words, longest first so that "km/h" wins over "km"."""
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


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

INT = r"(\d{1,3}(?:,\d{3})+|\d+)"  # a whole number with or without thousands separators: 1,000,000 or 1000000

PREVIOUS_WORD_RE = re.compile(r"(?<![\w'])([A-Za-z]+)\s+$")
# the two words before a position (the first may be missing): "Henry Ford| II", "due| 3/4"
PREVIOUS_WORDS_RE = re.compile(r"(?:([A-Za-z]+)\.?\s+)?([A-Za-z]+)\.?\s+$")
FOLLOWING_WORD_RE = re.compile(r" ([A-Za-z][A-Za-z'-]*)")


def next_word(text: str, end: int) -> str:
    """The word (or "%") after ``end``, lower case; "" if none."""
    match = re.match(r"\s*([A-Za-z%]+)", text[end:])
    return match.group(1).lower() if match else ""


def after_article(text: str, start: int) -> bool:
    """Whether "a" or "an" comes right before ``start``."""
    before = PREVIOUS_WORD_RE.search(text, max(0, start - 5), start)
    return bool(before) and before.group(1).lower() in ("a", "an")


def attributive(text: str, start: int, end: int) -> bool:
    """Whether the quantity at text[start:end] modifies the word after it: "a 10mm wrench" (then its unit
    stays singular). It must come after a determiner ("a", "the", "my") and before a word that is not a
    function word; lower case or an acronym ("a 512GB SSD").

    No part-of-speech tagger tells "60 W bulbs" from "ran 5 km yesterday", so without a determiner the
    plural stays ("16GB RAM"). The next word must look like a noun: not a function word, time adverb
    ("today"), "-ly" adverb, contraction or common past tense, and after "the", "my" ... not a word ending
    in "-s"/"-ed", which is more often a verb ("the $5 covers lunch", so "the 10mm screws" keeps its
    plural)."""
    before = PREVIOUS_WORD_RE.search(text, max(0, start - 12), start)
    if not before or before.group(1).lower() not in ATTRIBUTIVE_DETERMINERS:
        return False
    after = FOLLOWING_WORD_RE.match(text, end)
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
