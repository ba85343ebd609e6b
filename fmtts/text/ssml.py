"""An SSML subset, and Piper-style inline phonemes, turned into segments the synthesiser acts on.

>>> segments = parse_ssml('<speak>Hi <break time="300ms"/><prosody rate="slow">there</prosody></speak>')
>>> [type(s).__name__ for s in segments]
['TextSegment', 'PauseSegment', 'TextSegment']
>>> segments[1], segments[2].rate
(PauseSegment(seconds=0.3), 1.25)
>>> parse_ssml("Say [[ həlˈoʊ ]] now")[1]
PhonemeSegment(phonemes='həlˈoʊ', rate=1.0)

Supported: ``<speak>`` (the root; a text that starts with ``<speak`` is SSML, anything else plain text),
``<break time="500ms|1s" strength="...">``, ``<prosody rate="...">``, ``<say-as interpret-as="characters|
spell-out|cardinal|ordinal|digits|date|time|telephone" format="mdy|dmy|ymd|...">``, ``<sub alias="...">``,
``<phoneme alphabet="ipa" ph="...">``, ``<p>``, ``<s>``, nested. Other tags are ignored, their text kept,
with one :class:`SSMLWarning` per parse naming them. Malformed input raises :class:`SSMLError` with the
line and (1-based) column.

Rates are *length scales* (the factor applied to durations, > 1 is slower), so that they multiply the
synthesiser's own length scale: "slow" = 1.25, "80%" (of normal speed) = 1.25, "+25%" = 0.8. Nested
``<prosody>`` rates multiply.

Inside ``[[ ... ]]`` and ``ph="..."`` a space is a word boundary, as in Piper and in eSpeak's output:
``[[ həlˈoʊ wˈɜːld ]]``.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from dataclasses import dataclass, field

from fmtts.text import TextError
from fmtts.text.normalizer import (
    date_to_words,
    decimal_to_words,
    digits_to_words,
    normalize_text,
    number_to_words,
    ordinal_to_words,
    spell_out,
    telephone_to_words,
    year_to_words,
)
from fmtts.user_warnings import warn_caller

__all__ = [
    "TextSegment",
    "PauseSegment",
    "PhonemeSegment",
    "Segment",
    "SSMLError",
    "SSMLWarning",
    "is_ssml",
    "parse_ssml",
    "split_inline_phonemes",
    "parse_rate",
    "parse_break_time",
    "BREAK_STRENGTHS",
    "RATE_NAMES",
    "SENTENCE_PAUSE",
    "PARAGRAPH_PAUSE",
]


@dataclass(frozen=True)
class TextSegment:
    """Words to speak. ``normalized``: already spoken words (phonemize without normalising again);
    False for raw text that still needs :func:`~fmtts.text.normalizer.normalize_text`."""

    text: str
    rate: float = 1.0
    normalized: bool = True


@dataclass(frozen=True)
class PauseSegment:
    """Silence, in seconds."""

    seconds: float


@dataclass(frozen=True)
class PhonemeSegment:
    """IPA phonemes to speak as they are (a space is a word boundary)."""

    phonemes: str
    rate: float = 1.0


Segment = TextSegment | PauseSegment | PhonemeSegment


class SSMLError(TextError):
    """Malformed or unsupported SSML; ``line`` and ``column`` (1-based) locate it."""

    def __init__(self, reason: str, line: int, column: int) -> None:
        super().__init__(f"SSML error at line {line}, column {column}: {reason}")
        self.reason = reason
        self.line = line
        self.column = column


class SSMLWarning(UserWarning):
    """SSML that was parsed but partly ignored (unknown tags, unsupported attribute values)."""


# <break strength> in seconds
BREAK_STRENGTHS: dict[str, float] = {
    "none": 0.0, "x-weak": 0.1, "weak": 0.25, "medium": 0.5, "strong": 0.75, "x-strong": 1.25,
}  # fmt: skip
# <prosody rate> names as length scales (1 / speaking-rate factor)
RATE_NAMES: dict[str, float] = {
    "x-slow": 1.6, "slow": 1.25, "medium": 1.0, "default": 1.0, "fast": 0.8, "x-fast": 0.625,
}  # fmt: skip
SENTENCE_PAUSE = 0.3  # seconds around an <s>
PARAGRAPH_PAUSE = 0.6  # seconds around a <p>
_MAX_BREAK = 60.0
_MAX_BREAKS_TOTAL = 600.0  # one document's breaks together: silence is audio in memory too
_MIN_SPEED, _MAX_SPEED = 0.2, 5.0  # speaking-rate factors a <prosody rate> may ask for

_TIME_RE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(ms|s)\s*")
_RATE_NUMBER_RE = re.compile(r"\s*([+-])?(\d+(?:\.\d*)?|\.\d+)\s*(%)?\s*")
_SPACE_BEFORE_PUNCT_RE = re.compile(r"\s+([,.!?;:])")
_SPEAK_RE = re.compile(r"<speak(?=[\s>/])")
_INLINE_PHONEMES_RE = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
# what may come before the root: a byte-order mark, an XML declaration, a DOCTYPE (rejected later), comments
_PROLOG_RE = re.compile(
    r"\A\ufeff?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!DOCTYPE[^>]*>\s*)?(?:<!--.*?-->\s*)*", re.DOTALL
)


def parse_break_time(value: str) -> float:
    """ "500ms" -> 0.5, "1.5s" -> 1.5. Raises ValueError for anything else."""
    m = _TIME_RE.fullmatch(value)
    if not m:
        raise ValueError(f"break time {value!r} is not a number followed by 's' or 'ms'")
    seconds = float(m.group(1)) / (1000.0 if m.group(2) == "ms" else 1.0)
    if seconds > _MAX_BREAK:
        raise ValueError(f"break time {value!r} is longer than {_MAX_BREAK:g} s")
    return seconds


def parse_rate(value: str) -> float:
    """A ``<prosody rate>`` value as a length scale: "slow" -> 1.25, "80%" -> 1.25, "+25%" -> 0.8,
    "-20%" -> 1.25, "1.25" (a speaking-rate factor) -> 0.8. Raises ValueError."""
    name = value.strip().lower()
    if name in RATE_NAMES:
        return RATE_NAMES[name]
    m = _RATE_NUMBER_RE.fullmatch(value)
    if not m:
        raise ValueError(f"rate {value!r} is not one of {', '.join(RATE_NAMES)}, a percentage or a number")
    sign, number, percent = m.groups()
    amount = float(number)
    if sign:  # relative change: "+20%" or "+0.2"
        change = amount / 100.0 if percent else amount
        speed = 1.0 + change if sign == "+" else 1.0 - change
    else:
        speed = amount / 100.0 if percent else amount
    if not _MIN_SPEED <= speed <= _MAX_SPEED:
        allowed = f"{_MIN_SPEED:g} to {_MAX_SPEED:g}"
        raise ValueError(f"rate {value!r} asks for {speed:g} times the normal speed (allowed: {allowed})")
    return 1.0 / speed


def is_ssml(text: str) -> bool:
    """True when ``text`` (after an optional XML declaration and comments) starts with a ``<speak`` tag."""
    return _SPEAK_RE.match(text, _PROLOG_RE.match(text).end()) is not None  # type: ignore[union-attr]


def split_inline_phonemes(text: str, rate: float = 1.0) -> list[TextSegment | PhonemeSegment]:
    """Piper-style ``[[ phonemes ]]`` in plain text: "Say [[ həlˈoʊ ]]!" -> raw text "Say ", IPA
    "həlˈoʊ", raw text "!". Text segments are raw (``normalized=False``), whitespace kept; empty ones and
    empty ``[[ ]]`` are dropped."""
    out: list[TextSegment | PhonemeSegment] = []
    pos = 0
    for m in _INLINE_PHONEMES_RE.finditer(text):
        if m.start() > pos:
            out.append(TextSegment(text[pos : m.start()], rate, normalized=False))
        phonemes = " ".join(m.group(1).split())
        if phonemes:
            out.append(PhonemeSegment(phonemes, rate))
        pos = m.end()
    if pos < len(text):
        out.append(TextSegment(text[pos:], rate, normalized=False))
    return [s for s in out if not isinstance(s, TextSegment) or s.text.strip()]


def parse_ssml(text: str, *, normalize: bool = True) -> list[Segment]:
    """SSML (when ``text`` starts with ``<speak``) or plain text with ``[[ inline phonemes ]]`` -> segments.

    With ``normalize`` (the default) text segments hold normalised spoken words (``normalized=True``);
    without it, plain text stays raw (``normalized=False``) while ``<say-as>`` output is still words.
    Adjacent text with the same rate is one segment; adjacent pauses are merged. Raises
    :class:`SSMLError`; warns once (:class:`SSMLWarning`) about ignored markup.
    """
    builder = _Builder(normalize)
    if not is_ssml(text):
        builder.add_text(text, 1.0)
        return builder.finish()
    _SSMLParser(builder).parse(text)
    return builder.finish()


# --------------------------------------------------------------------------------------------------------
# Segment building
# --------------------------------------------------------------------------------------------------------


@dataclass
class _Piece:
    text: str
    words: bool  # already spoken words (from <say-as>); False: raw text


@dataclass
class _Builder:
    normalize: bool
    segments: list[Segment] = field(default_factory=list)
    structural: list[bool] = field(default_factory=list)  # per segment: a <p>/<s> pause
    pieces: list[_Piece] = field(default_factory=list)
    rate: float = 1.0

    def _start_run(self, rate: float) -> None:
        if self.pieces and rate != self.rate:
            self.flush()
        self.rate = rate

    def add_text(self, raw: str, rate: float) -> None:
        self._start_run(rate)
        if self.pieces and not self.pieces[-1].words:
            self.pieces[-1].text += raw  # "un<emphasis>believ</emphasis>able" stays one word
        else:
            self.pieces.append(_Piece(raw, words=False))

    def add_words(self, words: str, rate: float) -> None:
        self._start_run(rate)
        self.pieces.append(_Piece(f" {words} ", words=True))

    def add_phonemes(self, phonemes: str, rate: float) -> None:
        self.flush()
        phonemes = " ".join(phonemes.split())
        if phonemes:
            self._append(PhonemeSegment(phonemes, rate))

    def add_pause(self, seconds: float, structural: bool = False) -> None:
        self.flush()
        if seconds <= 0:
            return
        if self.segments and isinstance(self.segments[-1], PauseSegment):
            previous = self.segments[-1].seconds
            # breaks add up; a sentence or paragraph boundary only makes sure there is that much silence
            merged = max(previous, seconds) if structural else min(previous + seconds, _MAX_BREAK)
            self.segments[-1] = PauseSegment(round(merged, 6))
            self.structural[-1] = self.structural[-1] and structural
        else:
            self._append(PauseSegment(seconds), structural)

    def _append(self, segment: Segment, structural: bool = False) -> None:
        self.segments.append(segment)
        self.structural.append(structural)

    def _words(self, pieces: list[_Piece]) -> str:
        parts = []
        for piece in pieces:
            if piece.words or not self.normalize:
                parts.append(piece.text)
            else:  # keep the edges' spaces: "I have " + "five" + " cats"
                body = normalize_text(piece.text)
                lead = " " if piece.text[:1].isspace() else ""
                trail = " " if piece.text[-1:].isspace() else ""
                parts.append(f"{lead}{body}{trail}" if body else lead or trail)
        return _SPACE_BEFORE_PUNCT_RE.sub(r"\1", " ".join("".join(parts).split()))

    def flush(self) -> None:
        pieces, self.pieces = self.pieces, []
        run: list[_Piece] = []
        for piece in pieces:
            if piece.words:
                run.append(piece)
                continue
            for part in split_inline_phonemes(piece.text):
                if isinstance(part, PhonemeSegment):
                    self._emit_text(run)
                    run = []
                    self._append(PhonemeSegment(part.phonemes, self.rate))
                else:
                    run.append(_Piece(part.text, words=False))
        self._emit_text(run)

    def _emit_text(self, run: list[_Piece]) -> None:
        words = self._words(run)
        if words:
            normalized = self.normalize or all(p.words for p in run)
            self._append(TextSegment(words, self.rate, normalized))

    def finish(self) -> list[Segment]:
        self.flush()
        segments, structural = self.segments, self.structural
        while segments and structural[-1]:  # a paragraph's closing pause at the very end
            segments.pop()
            structural.pop()
        start = 0
        while start < len(segments) and structural[start]:
            start += 1
        return segments[start:]


# --------------------------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------------------------

_KNOWN = frozenset({"speak", "break", "prosody", "say-as", "sub", "phoneme", "p", "s"})
_TEXT_ONLY = frozenset({"say-as", "sub", "phoneme"})  # their content is text, no markup
_SPELL = frozenset({"characters", "spell-out", "verbatim"})
_DATE_FORMATS = frozenset({"mdy", "dmy", "ymd", "md", "dm", "ym", "my", "y"})
_NUMBER_RE = re.compile(r"(-)?(\d+)(?:\.(\d+))?")
_ORDINAL_RE = re.compile(r"(\d+)(?:st|nd|rd|th)?", re.IGNORECASE)


@dataclass
class _Open:
    """An open element: its name, where it started, and what it needs at its end."""

    name: str
    line: int
    column: int
    attrs: dict[str, str]
    rate: float
    text: list[str] = field(default_factory=list)  # content of a text-only element


class _SSMLParser:
    def __init__(self, builder: _Builder) -> None:
        self.builder = builder
        self.break_total = 0.0  # seconds of <break> so far
        self.stack: list[_Open] = []
        self.ignored: dict[str, None] = {}  # ordered set of what the warning will name
        self.parser = xml.parsers.expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._data
        self.parser.StartDoctypeDeclHandler = self._doctype

    # -- helpers ------------------------------------------------------------------------------------
    def _position(self) -> tuple[int, int]:
        return self.parser.CurrentLineNumber, self.parser.CurrentColumnNumber + 1

    def _error(self, reason: str, where: _Open | None = None) -> SSMLError:
        line, column = (where.line, where.column) if where is not None else self._position()
        return SSMLError(reason, line, column)

    @property
    def rate(self) -> float:
        return self.stack[-1].rate if self.stack else 1.0

    # -- expat callbacks ----------------------------------------------------------------------------
    def _doctype(self, *_args: object) -> None:
        raise self._error("a DOCTYPE is not allowed in SSML")

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        name = tag.rsplit(":", 1)[-1]  # "ssml:break" -> "break"
        if self.stack and self.stack[-1].name in _TEXT_ONLY:
            raise self._error(f"<{self.stack[-1].name}> may contain only text, found <{name}>")
        line, column = self._position()
        rate = self.rate
        if name == "prosody":
            # nested rates multiply, within the range one <prosody rate> may ask for
            rate = min(max(rate * self._rate(attrs), 1.0 / _MAX_SPEED), 1.0 / _MIN_SPEED)
            for other in sorted(set(attrs) - {"rate"}):
                self.ignored[f'<prosody {other}="...">'] = None
        elif name not in _KNOWN:
            self.ignored[f"<{name}>"] = None
        element = _Open(name, line, column, attrs, rate)
        self.stack.append(element)
        if name == "break":
            seconds = self._break_seconds(attrs)
            self.break_total += seconds
            if self.break_total > _MAX_BREAKS_TOTAL:
                raise self._error(f"the breaks add up to more than {_MAX_BREAKS_TOTAL:g} s")
            self.builder.add_pause(seconds)
        elif name == "p":
            self.builder.add_pause(PARAGRAPH_PAUSE, structural=True)
        elif name == "s":
            self.builder.add_pause(SENTENCE_PAUSE, structural=True)
        elif name == "sub" and "alias" not in attrs:
            raise self._error("<sub> needs an alias attribute")
        elif name == "phoneme" and "ph" not in attrs:
            raise self._error("<phoneme> needs a ph attribute")
        elif name == "say-as" and "interpret-as" not in attrs:
            raise self._error("<say-as> needs an interpret-as attribute")

    def _end(self, _tag: str) -> None:
        element = self.stack.pop()
        name = element.name
        if name == "p":
            self.builder.add_pause(PARAGRAPH_PAUSE, structural=True)
        elif name == "s":
            self.builder.add_pause(SENTENCE_PAUSE, structural=True)
        elif name == "sub":
            self.builder.add_text(f" {element.attrs['alias']} ", element.rate)
        elif name == "phoneme":
            self._phoneme(element)
        elif name == "say-as":
            self._say_as(element)

    def _data(self, data: str) -> None:
        if self.stack and self.stack[-1].name in _TEXT_ONLY:
            self.stack[-1].text.append(data)
        elif self.stack and self.stack[-1].name == "break":
            return  # <break> is empty; anything inside it is not spoken
        elif self.stack:
            self.builder.add_text(data, self.rate)

    # -- attributes ---------------------------------------------------------------------------------
    def _rate(self, attrs: dict[str, str]) -> float:
        if "rate" not in attrs:
            return 1.0
        try:
            return parse_rate(attrs["rate"])
        except ValueError as e:
            raise self._error(f"<prosody>: {e}") from None

    def _break_seconds(self, attrs: dict[str, str]) -> float:
        if "time" in attrs:  # the time wins over a strength (SSML 1.1)
            try:
                return parse_break_time(attrs["time"])
            except ValueError as e:
                raise self._error(f"<break>: {e}") from None
        strength = attrs.get("strength", "medium")
        if strength not in BREAK_STRENGTHS:
            raise self._error(f"<break>: strength {strength!r} is not one of {', '.join(BREAK_STRENGTHS)}")
        return BREAK_STRENGTHS[strength]

    # -- text-only elements -------------------------------------------------------------------------
    def _phoneme(self, element: _Open) -> None:
        alphabet = element.attrs.get("alphabet", "ipa").lower()
        if alphabet != "ipa":
            self.ignored[f'<phoneme alphabet="{alphabet}">'] = None
            self.builder.add_text("".join(element.text), element.rate)  # speak the written word
            return
        self.builder.add_phonemes(element.attrs["ph"], element.rate)

    def _say_as(self, element: _Open) -> None:
        kind = element.attrs["interpret-as"].lower()
        content = " ".join("".join(element.text).split())
        if not content:
            return
        try:
            words = self._interpret(kind, content, element.attrs.get("format"))
        except ValueError as e:
            raise self._error(f'<say-as interpret-as="{kind}">: {e}', element) from None
        if words is None:
            self.ignored[f'<say-as interpret-as="{kind}">'] = None
            self.builder.add_text(f" {content} ", element.rate)
        else:
            self.builder.add_words(words, element.rate)

    @staticmethod
    def _interpret(kind: str, content: str, date_format: str | None) -> str | None:
        """Words for ``content`` read as ``kind``; None for an unsupported kind. Raises ValueError."""
        if kind in _SPELL:
            return spell_out(content)
        if kind in ("cardinal", "number"):
            m = _NUMBER_RE.fullmatch(content.replace(",", ""))
            if not m:
                raise ValueError(f"{content!r} is not a number")
            sign, whole, frac = m.groups()
            words = decimal_to_words(whole, frac) if frac else number_to_words(int(whole))
            return ("minus " if sign else "") + words
        if kind == "ordinal":
            m = _ORDINAL_RE.fullmatch(content.replace(",", ""))
            if not m:
                raise ValueError(f"{content!r} is not an ordinal number")
            return ordinal_to_words(int(m.group(1)))
        if kind == "digits":
            if not any(c.isdigit() for c in content):
                raise ValueError(f"{content!r} has no digits")
            return digits_to_words(content)
        if kind == "telephone":
            if not any(c.isdigit() for c in content):
                raise ValueError(f"{content!r} has no digits")
            return telephone_to_words(content)
        if kind == "date":
            return _date_words(content, date_format)
        if kind == "time":
            return normalize_text(content)
        return None

    # -- entry point --------------------------------------------------------------------------------
    def parse(self, text: str) -> None:
        try:
            self.parser.Parse(text, True)
        except xml.parsers.expat.ExpatError as e:
            reason = xml.parsers.expat.ErrorString(e.code)
            if "not well-formed" in reason and "&" in text:
                reason += " (write & as &amp; and < as &lt; in SSML text)"
            raise SSMLError(reason, e.lineno, e.offset + 1) from None
        if self.ignored:
            warn_caller("SSML: ignored unsupported markup " + ", ".join(self.ignored), SSMLWarning)


def _date_words(content: str, date_format: str | None) -> str:
    """ "03/04/2021" (format "mdy", the default for three numbers) -> "March fourth, twenty twenty-one"."""
    fields = re.findall(r"\d+", content)
    if date_format is None:
        if len(fields) == 3 and len(fields[0]) == 4:
            date_format = "ymd"
        else:
            date_format = {3: "mdy", 2: "md", 1: "y"}.get(len(fields), "")
    date_format = date_format.lower()
    if date_format not in _DATE_FORMATS:
        raise ValueError(f"format {date_format!r} is not one of {', '.join(sorted(_DATE_FORMATS))}")
    if len(fields) != len(date_format):
        raise ValueError(f"{content!r} does not have {len(date_format)} numbers for format {date_format!r}")
    values = dict(zip(date_format, (int(f) for f in fields), strict=True))
    if date_format == "y":
        return year_to_words(values["y"]) if values["y"] >= 100 else number_to_words(values["y"])
    return date_to_words(values.get("y"), values["m"], values.get("d"), day_first=date_format.startswith("d"))
