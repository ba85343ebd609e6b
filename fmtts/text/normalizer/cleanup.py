"""Characters: Unicode folded to what the rules and eSpeak read (first), what cannot be spoken dropped and
punctuation tidied (last).

* Accented Latin-1 letters (é, ü, ñ, ç ...) are *kept*: eSpeak's English rules know many loanwords and
  stripping the accent changes the word ("résumé" -> "resume", "cliché", "Beyoncé" all get worse).
  Letters from the Latin Extended blocks (ł, ő, ş, ř ...) are reduced to ASCII via NFKD, which eSpeak
  reads at least as well. Compatibility characters (ligatures, full-width digits) go through NFKC.
  Letters of other scripts (Greek, Cyrillic, CJK ...) are dropped: eSpeak en-us would spell them out as
  "chinese letter" / Greek letter names, which is worse than silence for an English voice.
* Emoji and other symbols without a spoken form are dropped, so emoji-only text normalises to "".
* The output keeps sentence punctuation (``, . ! ? ; :``) and quotes so the phonemizer can preserve pauses;
  dashes and brackets become commas (pauses).
"""

from __future__ import annotations

import re
import unicodedata

_PRE_NFKC = {
    # mapped before NFKC because NFKC would turn them into something unhelpful ("1⁄2", "TM", " ́"); the
    # space keeps "1½" apart as "1 1/2"
    "½": " 1/2", "⅓": " 1/3", "⅔": " 2/3", "¼": " 1/4", "¾": " 3/4", "⅕": " 1/5", "⅛": " 1/8",
    "⅜": " 3/8", "⅝": " 5/8", "⅞": " 7/8", "²": " squared", "³": " cubed",
    "¹": "", "⁰": "", "⁴": "", "⁵": "", "⁶": "", "⁷": "", "⁸": "", "⁹": "",  # footnote marks
    "º": "°", "\u2044": "/",
    "™": "", "®": "", "©": "",
    "´": "'", "`": "'", "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u02bc": "'", "\u2039": '"', "\u203a": '"',
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "«": '"', "»": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2212": "-", "\u00ad": "",
    "\u2026": "...",
    "ß": "ss", "ẞ": "SS", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "ħ": "h", "Ħ": "H",
    "¡": "", "¿": "",
}  # fmt: skip
_PRE_NFKC_TABLE = str.maketrans(_PRE_NFKC)
_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\ufe0e\ufe0f]")
# an en dash after a number-ish token and before a number is a range: 1990–1995, 9am–5pm, $10–$20
_EN_DASH_RANGE_RE = re.compile(r"(?:(?<=\d)|(?<=%)|(?<=[ap]m))\s*\u2013\s*(?=[$£€¥]?\d)")
_SPACED_HYPHEN_NUMBERS_RE = re.compile(r"(?<=\d) - (?=\d)")
_DASH_RE = re.compile(r"\s*[\u2013\u2014\u2015]+\s*|\s+-{1,3}\s+|(?<=\w)--+(?=\w)")
SPACES_RE = re.compile(r"\s+")


def _fold_letter(ch: str) -> str:
    """Latin Extended letters -> ASCII base letter; Latin-1 accented letters are kept (see module doc)."""
    code = ord(ch)
    if 0x0100 <= code <= 0x024F or 0x1E00 <= code <= 0x1EFF:
        base = "".join(c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c))
        if base.isascii():
            return base
    return ch


def clean_unicode(text: str) -> str:
    """Fractions, quotes, dashes and compatibility characters to the ASCII the rules read."""
    text = text.translate(_PRE_NFKC_TABLE)
    text = _ZERO_WIDTH_RE.sub("", text)
    text = unicodedata.normalize("NFKC", text)  # ligatures, full-width forms, NBSP and odd spaces
    text = _EN_DASH_RANGE_RE.sub(" to ", text)
    # "5 - 3" is a subtraction in a formula, a range otherwise
    text = _SPACED_HYPHEN_NUMBERS_RE.sub(" minus " if "=" in text else " to ", text)
    text = _DASH_RE.sub(", ", text)  # a dash is a pause
    if text.isascii():
        return text
    return "".join(_fold_letter(c) if not c.isascii() and c.isalpha() else c for c in text)


_ASCII_DROP = str.maketrans({c: " " for c in "*_~^|\\<>`#/"})
_BRACKETS_RE = re.compile(r"\s*[()\[\]{}]+\s*")
_KEEP_NON_ASCII = set("$£€¥")
_ASCII_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _keep_char(ch: str) -> bool:
    if ch.isascii():
        return ch.isprintable() or ch in "\n\t "
    if ch in _KEEP_NON_ASCII:
        return True
    if ch.isalpha():
        return unicodedata.name(ch, "").startswith("LATIN")
    return False


def drop_unspeakable(text: str) -> str:
    """Symbols, emoji, other scripts and control characters out; brackets become pauses."""
    if text.isascii():
        text = _ASCII_CONTROL_RE.sub(" ", text)
    else:
        text = "".join(c if _keep_char(c) else " " for c in text)
    text = text.translate(_ASCII_DROP)
    return _BRACKETS_RE.sub(", ", text)  # parentheticals are read with pauses


_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+([,.!?;:])")
_COMMA_RUN_RE = re.compile(r",(?:\s*,)+")
_COMMA_BEFORE_STOP_RE = re.compile(r",\s*([.!?;:])")
_LEADING_JUNK_RE = re.compile(r"^[\s,;:]+")
_TRAILING_COMMA_RE = re.compile(r"[\s,]+$")


def tidy(text: str) -> str:
    """One space between words, none before punctuation, no doubled or stray commas."""
    text = SPACES_RE.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT_RE.sub(r"\1", text)
    text = _COMMA_RUN_RE.sub(",", text)
    text = _COMMA_BEFORE_STOP_RE.sub(r"\1", text)
    text = _LEADING_JUNK_RE.sub("", text)
    text = _TRAILING_COMMA_RE.sub("", text)
    return text.strip()
