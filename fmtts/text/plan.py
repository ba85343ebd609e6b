"""Text (plain, with Piper-style ``[[ phonemes ]]``, or SSML) → what the synthesiser speaks, in order:
chunks of symbol ids at a speaking rate, and explicit pauses.

Long text is split at sentence boundaries (never inside a word) so that no chunk is longer than
``max_chars``; text and inline phonemes that follow each other without a pause become one chunk, so they
are spoken as one phrase.
"""

from __future__ import annotations

from dataclasses import dataclass

from fmtts.text.errors import NothingToSpeak, TextError
from fmtts.text.processor import TextProcessor
from fmtts.text.sentences import split_sentences
from fmtts.text.ssml import (
    PauseSegment,
    PhonemeSegment,
    TextSegment,
    is_ssml,
    parse_ssml,
    split_inline_phonemes,
)
from fmtts.user_warnings import warn_caller


@dataclass
class SpeechChunk:
    ids: list[int]
    text: str  # what it says, for results and error messages
    rate: float = 1.0  # length-scale factor (> 1 slower)


@dataclass
class Pause:
    seconds: float


Plan = list[SpeechChunk | Pause]


def plan_speech(
    text: str, processor: TextProcessor, *, ssml: bool | None = None, max_chars: int = 300
) -> Plan:
    """``ssml``: True parses ``text`` as SSML, None detects it (text starting with ``<speak``), False
    reads it as plain text (``[[ ... ]]`` still gives inline IPA). Raises :class:`TextError` (SSML
    errors name the line and column) when nothing speakable remains."""
    if not isinstance(text, str) or not text.strip():
        raise TextError(f"empty text: {text!r}")
    use_ssml = is_ssml(text) if ssml is None else ssml
    segments = parse_ssml(text) if use_ssml else split_inline_phonemes(text)
    plan: Plan = []
    run: list[TextSegment | PhonemeSegment] = []
    for seg in [*segments, None]:
        if isinstance(seg, TextSegment | PhonemeSegment) and (not run or run[-1].rate == seg.rate):
            run.append(seg)
            continue
        if run:
            plan.extend(_speak(run, processor, max_chars))
        run = [seg] if isinstance(seg, TextSegment | PhonemeSegment) else []
        if isinstance(seg, PauseSegment) and seg.seconds > 0:
            plan.append(Pause(seg.seconds))
    if not any(isinstance(p, SpeechChunk) for p in plan):
        raise NothingToSpeak(f"text {text!r} has nothing to speak")
    return plan


def _speak(run: list[TextSegment | PhonemeSegment], tp: TextProcessor, max_chars: int) -> list[SpeechChunk]:
    rate = run[0].rate
    texts = [s for s in run if isinstance(s, TextSegment)]
    if len(texts) == len(run) and len({s.normalized for s in texts if _speakable(s.text)}) <= 1:
        return _text_chunks(" ".join(s.text.strip() for s in texts), texts[0].normalized, tp, rate, max_chars)
    length = sum(len(s.text) if isinstance(s, TextSegment) else len(s.phonemes) for s in run)
    if length > max_chars:  # too long for one phrase: text by sentences, each phoneme run on its own
        out: list[SpeechChunk] = []
        for s in run:
            if isinstance(s, PhonemeSegment):
                out.append(SpeechChunk(tp.phonemes_to_ids(s.phonemes), f"[[{s.phonemes}]]", rate))
            else:
                out.extend(_text_chunks(s.text, s.normalized, tp, rate, max_chars))
        return out
    # text around inline phonemes: one phoneme string, spoken as one phrase; punctuation between or after
    # them (a final "?") stays, since it shapes the intonation
    parts: list[str] = []
    shown: list[str] = []
    for s in run:
        if isinstance(s, PhonemeSegment):
            parts.append(s.phonemes.strip())
            shown.append(f"[[{s.phonemes}]]")
        elif _speakable(s.text):
            parts.append(tp.phonemize([s.text], normalized=s.normalized)[0].strip())
            shown.append(s.text.strip())
        elif s.text.strip() and parts:
            parts[-1] += s.text.strip()
            shown[-1] += s.text.strip()
    if not parts:
        return []
    said = " ".join(shown)
    return [SpeechChunk(tp.phonemes_to_ids(" ".join(parts), said), said, rate)]


def _text_chunks(
    text: str, normalized: bool, tp: TextProcessor, rate: float, max_chars: int
) -> list[SpeechChunk]:
    chunks = [c for c in split_sentences(text, max_chars=max_chars) if _speakable(c)]
    if not chunks:
        return []
    out, dropped = [], []
    for chunk, phonemes in zip(chunks, tp.phonemize(chunks, normalized=normalized), strict=True):
        try:
            out.append(SpeechChunk(tp.phonemes_to_ids(phonemes, chunk), chunk, rate))
        except TextError:  # a sentence in another script or of emoji: left out, as such words are
            dropped.append(chunk)
    if dropped:
        warn_caller(f"left out {len(dropped)} sentence(s) this voice cannot say, e.g. {dropped[0]!r}")
    return out


def _speakable(text: str) -> bool:
    return any(c.isalnum() for c in text)
