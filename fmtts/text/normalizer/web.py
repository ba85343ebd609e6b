"""The web: URLs, e-mail addresses, hashtags and dot-names (".env"), read before anything splits them.

* URLs drop their scheme ("https://" is not said) and read "dot", "slash"; "www" is spelled. Without a
  scheme or "www", a dotted name is an address only when its last part is a known top-level domain
  ("Node.js", "e.g" are not).
* "#tag" reads "hashtag tag" (camel case split), but "#A12" is a label.
"""

from __future__ import annotations

import re

from fmtts.text.normalizer.context import Rule
from fmtts.text.normalizer.verbalize import digits_to_words, paired_number, spell_letters

# Top-level domains that are spelled ("dot I-O"); the others are read as words ("dot com").
SPELLED_TLDS = frozenset("ai au ca cn de eu fr in io jp ly nl nz ru se tv uk us fm gg".split())
URL_TLDS = frozenset(
    """
    com org net edu gov mil int io ai co uk us ca de fr jp cn ru au nl nz se eu in info biz app dev me tv
    ly gg xyz online site tech fm
    """.split()
)
# Hashtag-looking words that are code, not tags: "#define" keeps its old reading ("define").
NOT_HASHTAGS = frozenset("define include ifdef ifndef endif pragma undef elif".split())

_URL_CHARS = {
    ".": "dot", "/": "slash", "-": "dash", "_": "underscore", "?": "question mark", "=": "equals",
    "&": "and", "#": "hash", "%": "percent", "~": "tilde", "+": "plus", ":": "colon", "@": "at",
}  # fmt: skip
_URL_CHAR_RE = re.compile("[" + re.escape("".join(_URL_CHARS)) + "]")
_TRAILING_PUNCT_RE = re.compile(r"[.,;:!?)\]\"']+$")


def _url_text(part: str) -> str:
    """Symbols inside a URL or address read as words: "a_b-c" -> "a underscore b dash c"."""
    return _URL_CHAR_RE.sub(lambda m: f" {_URL_CHARS[m.group()]} ", part)


def _host_words(host: str) -> str:
    labels = host.split(".")
    words = [_url_text(label) for label in labels[:-1]]
    tld = labels[-1]
    words.append(spell_letters(tld) if tld.lower() in SPELLED_TLDS else tld)
    return " dot ".join(words)


def _url(m: re.Match[str]) -> str:
    tld = m.group("tld")
    if not (m.group("scheme") or m.group("www")) and tld and tld.lower() not in URL_TLDS:
        return m.group(0)  # "Node.js", "e.g": not an address
    rest = m.group("rest") or ""
    trailing = _TRAILING_PUNCT_RE.search(rest)
    tail = trailing.group() if trailing else ""
    rest = rest[: len(rest) - len(tail)]
    words = "double-u double-u double-u dot " if m.group("www") else ""
    words += _host_words(m.group("host"))
    port = m.group("port")
    if port:  # "localhost:8080" -> "localhost colon eighty eighty"; other ports digit by digit
        words += " colon " + (paired_number(port) if len(port) == 4 else digits_to_words(port))
    words += _url_text(rest)
    return f" {words} {tail}"


URL = Rule(
    re.compile(
        r"(?<![\w@./])(?P<scheme>(?:https?|ftp)://)?(?P<www>www\.)?"
        r"(?P<host>localhost|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?P<tld>[A-Za-z]{2,}))(?![\w-])"
        r"(?::(?P<port>\d{1,5})\b)?(?P<rest>/[^\s]*)?"
    ),
    _url,
)
EMAIL = Rule(
    re.compile(r"(?<![\w.+-])([\w.+-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?![\w-])"),
    lambda m: f" {_url_text(m.group(1))} at {_host_words(m.group(2))} ",
)

_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])|_")


def _hashtag(m: re.Match[str]) -> str:
    """ "#ThrowbackThursday" -> "hashtag Throwback Thursday"."""
    if m.group(1) in NOT_HASHTAGS:
        return m.group(1)
    if re.fullmatch(r"[A-Z]{1,2}\d+", m.group(1)):
        return m.group(0)  # a label, not a tag: "Item #A12", "Unit #C3"
    return " hashtag " + _CAMEL_RE.sub(" ", m.group(1)) + " "


HASHTAG = Rule(re.compile(r"(?<![\w&#])#([A-Za-z][A-Za-z0-9_]*)"), _hashtag)
DOTFILE = Rule(re.compile(r"(?<![\w.])(?<!\. \. )\.(?=[A-Za-z]{2,}\b(?!\.\w))"), "dot ")  # ".env", ".NET"
