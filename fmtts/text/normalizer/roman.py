"""Roman numerals, read only in context: "World War II", "Chapter IV", "Louis XIV", "Rocky IV".

* A cardinal after words like "War", "Chapter", "Part", "Bowl" or after another capitalised word ("Rocky
  IV" -> "Rocky four"); "the fourteenth" after a regnal given name ("Louis XIV", "Henry Ford II").
* The pronoun "I" stays, except after a capitalised context word ("World War I") or a regnal name when
  nothing but punctuation, "of" or "'s" follows ("Charles I of England").
* "IV" on its own is spelled later by the acronym rule ("an I-V drip"); other free-standing numerals of
  I, V and X become cardinals, because eSpeak would say "roman two".
"""

from __future__ import annotations

import re

from fmtts.text.normalizer.context import PREVIOUS_WORDS_RE, Rule
from fmtts.text.normalizer.verbalize import number_to_words, ordinal_to_words

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

_VALID_ROMAN_RE = re.compile(r"M{0,3}(CM|CD|D?C{0,3})(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100, "D": 500, "M": 1000}
# after these, "I" is a numeral ("Charles I of England", "Elizabeth I's reign", "World War I.")
_NUMERAL_I_FOLLOWS_RE = re.compile(r"(?:'s\b|\s*(?:$|[,.;:!?)\"]|\s(?:of|and)\b))")
# the free-standing numerals that are more often something else: "an IV drip", "the VI editor", "XX"
_ROMAN_LOOKALIKES = frozenset({"IV", "VI", "XX", "XXX"})


def _roman_value(token: str) -> int | None:
    if not _VALID_ROMAN_RE.fullmatch(token) or not set(token) & set("IVX"):
        return None  # "DC", "CD", "MM" and "L" are never read as numbers
    total = 0
    for ch, nxt in zip(token, token[1:] + " ", strict=True):
        value = _ROMAN_VALUES[ch]
        total += -value if nxt != " " and _ROMAN_VALUES[nxt] > value else value
    return total


def _roman(m: re.Match[str]) -> str:
    token = m.group(1)
    value = _roman_value(token)
    if value is None:
        return token
    only_ivx = set(token) <= set("IVX")
    words = PREVIOUS_WORDS_RE.search(m.string[: m.start()])
    prev2, prev = (words.group(1) or "", words.group(2)) if words else ("", "")
    if prev.lower() in ROMAN_CARDINAL_CONTEXT and (token != "I" or prev[0].isupper()):
        return number_to_words(value)
    if not only_ivx or f"{prev} {token}" in NOT_REGNAL:
        return token
    if (prev in REGNAL_NAMES or (prev.istitle() and prev2 in REGNAL_NAMES)) and value <= 39:
        if token == "I" and not _NUMERAL_I_FOLLOWS_RE.match(m.string, m.end()):
            return token  # "When Peter I saw ...": the pronoun
        return "the " + ordinal_to_words(value)
    if len(token) < 2:
        return token  # "Malcolm X", "Plan V", the pronoun "I"
    if prev.istitle():
        return number_to_words(value)  # "Rocky IV", "Final Fantasy VII"
    if token in _ROMAN_LOOKALIKES:
        return token
    return number_to_words(value)


ROMAN = Rule(re.compile(r"(?<![\w'-])([IVXLCDM]+)(?=(?:'s)?(?![\w'-]))"), _roman)
