"""Streaming synthesis: audio comes out piece by piece, as soon as each piece is ready (the pieces of a
stream; the stream itself is :meth:`fmtts.pipeline.Pipeline.stream`).

>>> for piece in tts.stream("Hello there. How are you?", seed=1):
...     play(piece.audio)                      # float32, piece.sample_rate Hz

The text is planned lazily (plain text sentence by sentence; SSML and text with ``[[ phonemes ]]`` are
parsed whole first, which is cheap next to synthesis), each chunk goes through the acoustic model on its
own (batch of one), and the vocoder runs on overlapping mel windows: ``window`` frames at a time with
``context`` frames of mel on each side, of which only the centre is kept, consecutive centres
cross-faded over ``crossfade`` samples. The stream's first chunk starts with a ``first_window``-frame
window, doubling up to ``window``, so that the first audio waits for little vocoding. Memory and time to
first audio therefore do not grow with the length of the text.

How it compares with :meth:`fmtts.api.TTS.synthesize` for the same options:

- Pauses are the same: an SSML ``<break>`` where the plan has one, ``pause`` seconds between chunks that
  follow each other directly (rounded to whole mel frames, like ``Pipeline._join``).
- Noise: each speech chunk's noise depends only on the seed and its place in the text
  (:func:`fmtts.pipeline.chunk_noise`), so every chunk gets exactly ``synthesize``'s mel.
- Vocoding in windows: a convolutional vocoder (HiFi-GAN, fmtts's ISTFTNet) with enough context gives the
  same audio as vocoding the whole mel, to float rounding (tests/test_streaming.py measures the bound);
  Griffin-Lim estimates phase per window, so only the spectrum matches.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from fmtts.text.errors import NothingToSpeak
from fmtts.text.plan import plan_speech
from fmtts.text.sentences import split_first_clause, split_sentences
from fmtts.text.ssml import is_ssml

# Mel frames vocoded at a time (~3 s at 22050 Hz, hop 256): the larger the window, the less vocoder time
# goes to the context frames on its sides (BENCHMARKS.md, streaming).
DEFAULT_WINDOW = 256
DEFAULT_FIRST_WINDOW = 16  # the stream's first window; windows then double up to DEFAULT_WINDOW
DEFAULT_CONTEXT = 16  # mel frames of context on each side of a window
DEFAULT_CROSSFADE = 512  # samples cross-faded at each join between windows


@dataclass
class StreamChunk:
    """One piece of a stream. Joined in order, the pieces are the whole utterance."""

    audio: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int
    offset: float  # seconds of audio before this piece in the stream
    elapsed: float  # seconds from the stream() call until this piece was ready
    index: int  # the part of the speech plan it belongs to (0, 1, ...: speech chunks and pauses)
    text: str  # the sentence (chunk) this piece is part of; "" for silence
    # (symbol, start, end) in seconds from the start of the stream, on the first piece of each
    # sentence (known once the acoustic model has run); [] on the other pieces
    phonemes: list[tuple[str, float, float]] = field(default_factory=list)
    last: bool = False  # the last piece of its sentence (or the silence piece itself)

    @property
    def seconds(self) -> float:
        return len(self.audio) / self.sample_rate

    def pcm16(self) -> bytes:
        """The audio as 16-bit little-endian mono PCM."""
        return to_pcm16(self.audio)


def to_pcm16(audio: np.ndarray) -> bytes:
    scaled = np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0) * 32767.0
    return np.round(scaled).astype("<i2").tobytes()


def iter_plan(
    text: str,
    processor,
    *,
    ssml: bool | None = None,
    max_chars: int = 300,
    first_chunk_chars: int | None = None,
):
    """The parts of :func:`fmtts.text.plan.plan_speech`'s plan, in order, computed lazily for plain text
    (one sentence chunk phonemized at a time). SSML and text with inline ``[[ phonemes ]]`` are planned
    whole (their segments can span sentences). ``first_chunk_chars``: a first sentence longer than this
    is spoken as two chunks, split after its leading clauses (:func:`split_first_clause`), as
    :meth:`fmtts.api.TTS.synthesize` splits any sentence longer than ``max_chars``. Raises
    :class:`~fmtts.text.TextError` like plan_speech, possibly only when the offending chunk is reached."""
    use_ssml = is_ssml(text) if ssml is None and isinstance(text, str) else bool(ssml)
    if use_ssml or not isinstance(text, str) or "[[" in text or not text.strip():
        yield from plan_speech(text, processor, ssml=ssml, max_chars=max_chars)
        return
    spoken = False
    for piece in split_sentences(text.strip(), max_chars=max_chars):
        if not any(c.isalnum() for c in piece):
            continue
        split = None if spoken or not first_chunk_chars else split_first_clause(piece, first_chunk_chars)
        for part in split or (piece,):
            try:
                parts = plan_speech(part, processor, ssml=False, max_chars=max_chars)
            except NothingToSpeak:  # another script, emoji: left out, as plan_speech leaves such sentences
                continue
            spoken = True
            yield from parts
    if not spoken:  # the same error plan_speech gives
        yield from plan_speech(text, processor, ssml=False, max_chars=max_chars)


def window_bounds(n: int, window: int, first_window: int | None = None) -> list[tuple[int, int]]:
    """(start, end) frames of the windows that cover ``n`` frames: ``first_window`` frames first, then
    each window twice the previous one up to ``window`` (small first pieces start the audio early; the
    larger later ones cost less context overhead)."""
    size = window if first_window is None else max(1, min(first_window, window))
    bounds, s = [], 0
    while s < n:
        e = min(s + size, n)
        bounds.append((s, e))
        s, size = e, min(2 * size, window)
    return bounds


def vocode_windows(
    vocoder,
    mel: np.ndarray,
    hop: int,
    window: int = DEFAULT_WINDOW,
    context: int = DEFAULT_CONTEXT,
    crossfade: int = DEFAULT_CROSSFADE,
    first_window: int | None = DEFAULT_FIRST_WINDOW,
) -> Iterator[tuple[np.ndarray, bool]]:
    """Vocode a (n_mels, T) mel in windows (:func:`window_bounds`) with ``context`` frames on each side,
    keeping only the centre; neighbouring centres overlap by ``crossfade`` samples (a linear cross-fade
    centred on the join; shorter beside a window shorter than that, or than ``context`` allows). The
    pieces, joined, are ``T * hop`` samples. A mel that fits in the first window plus its context is
    vocoded in one go. Yields (audio, is the last piece)."""
    n = int(mel.shape[-1])
    bounds = window_bounds(n, window, first_window)
    if n <= bounds[0][1] + context:
        yield _vocode(vocoder, mel), True
        return
    # Half the cross-fade at each join, at most half of either window beside it (a short last window,
    # a small hop) so that the fades of a window's two joins never overlap.
    halves = [
        min(crossfade // 2, context * hop, (e0 - s0) * hop // 2, (e1 - s1) * hop // 2)
        for (s0, e0), (s1, e1) in zip(bounds, bounds[1:], strict=False)
    ]
    tail = None
    for i, (s, e) in enumerate(bounds):
        before, after = (halves[i - 1] if i else 0), (halves[i] if e < n else 0)
        a, b = max(0, s - context), min(n, e + context)
        audio = _vocode(vocoder, mel[:, a:b])
        piece = audio[s * hop - before - a * hop : e * hop + after - a * hop].copy()
        if tail is not None and before:
            fade_in = (np.arange(2 * before, dtype=np.float32) + 0.5) / (2 * before)
            piece[: 2 * before] = tail * (1.0 - fade_in) + piece[: 2 * before] * fade_in
        if after:
            tail = piece[-2 * after :].copy()
            piece = piece[: -2 * after]
        yield piece, e == n


def _vocode(vocoder, mel: np.ndarray) -> np.ndarray:
    audio = vocoder(np.ascontiguousarray(mel[None], dtype=np.float32))
    return np.ascontiguousarray(np.asarray(audio).reshape(-1), dtype=np.float32)
