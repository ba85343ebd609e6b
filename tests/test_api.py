"""The Python API on a tiny trained voice: synthesis, options, the universal vocoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import HOP, SR, TEXT

from fmtts.api import TTS
from fmtts.text import TextError

pytestmark = pytest.mark.usefixtures("torch_single_thread")


def test_api_synthesize(voice: TTS) -> None:
    res = voice.synthesize(TEXT, steps=3, seed=1)
    assert res.sample_rate == SR and res.audio.dtype == np.float32 and res.audio.ndim == 1
    assert np.isfinite(res.audio).all() and np.abs(res.audio).max() <= 1.0
    frames = res.mel.shape[1]
    assert res.mel.shape == (80, frames) and res.mel.dtype == np.float32
    assert len(res.audio) == frames * HOP
    assert sum(d for _, d in res.durations) == frames
    ids = voice.text.text_to_ids(TEXT)
    assert [s for s, _ in res.durations] == [voice.text.symbols.symbols[i] for i in ids]
    assert all(d >= 1 for _, d in res.durations)
    assert 0.2 < res.seconds < 30
    again = voice.synthesize(TEXT, steps=3, seed=1)
    assert np.array_equal(again.audio, res.audio), "same seed, same audio"
    # two sentences: synthesised separately, joined with a 0.15 s pause
    two = voice.synthesize("Hello there. Good morning to you.", steps=2, seed=1)
    pause = int(0.15 * SR)
    assert len(two.audio) == sum(d for _, d in two.durations) * HOP + pause
    with pytest.raises(TextError, match="empty"):
        voice.synthesize("   ")


def test_universal_vocoder_short_sentence(trained_run: Path) -> None:
    tts = TTS.load(trained_run, device="cpu", vocoder="universal")
    res = tts.synthesize("Hi.", steps=2, seed=0)
    assert res.sample_rate == SR and res.audio.dtype == np.float32
    assert np.isfinite(res.audio).all() and 0 < np.abs(res.audio).max() <= 1.0
    assert len(res.audio) == res.mel.shape[1] * HOP
    assert res.timings["vocoder_seconds"] > 0
