"""Smoke tests of the embedded default voice: it loads with no argument and speaks a sentence."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from fmtts import TTS
from fmtts.api import VOICES_DIR, resolve_voice
from fmtts.checkpoint import CheckpointError
from fmtts.devices import cpu_has_native_bf16

SENTENCE = "The quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="module")
def tts() -> TTS:
    return TTS.load(device="cpu", vocoder="universal")


def test_default_voice_is_embedded_and_small() -> None:
    path = resolve_voice(None)
    assert path.parent == VOICES_DIR
    assert path.stat().st_size <= 25 * 1024 * 1024


def test_default_voice_speaks_a_plausible_sentence(tts: TTS) -> None:
    out = tts.synthesize(SENTENCE, seed=0)
    assert out.sample_rate == 22050
    assert out.audio.dtype == np.float32
    # 9 words: natural speech takes ~2-4.5 s; allow a wide but meaningful window.
    assert 1.5 < out.seconds < 6.0, out.seconds
    peak = float(np.abs(out.audio).max())
    assert 0.05 < peak < 0.999, f"silent or clipped: peak {peak}"
    rms = float(np.sqrt(np.mean(out.audio**2)))
    assert rms > 0.01, f"nearly silent: rms {rms}"
    assert np.isfinite(out.mel).all()
    assert out.mel.shape == (80, len(out.audio) // 256)
    # Durations are given for every input symbol and add up to the mel length.
    assert sum(d for _, d in out.durations) == out.mel.shape[1]
    assert out.timings["acoustic_seconds"] > 0 and out.timings["vocoder_seconds"] > 0
    assert "embedded default voice" in tts.source


def test_default_voice_round_trips_and_is_seeded(tts: TTS) -> None:
    again = TTS.load(device="cpu", vocoder="universal")
    a = tts.synthesize("Hello there.", seed=3)
    b = again.synthesize("Hello there.", seed=3)
    np.testing.assert_array_equal(a.mel, b.mel)
    assert a.text == "Hello there."


def test_unknown_voice_name_is_a_clear_error() -> None:
    with pytest.raises(CheckpointError, match="no voice named"):
        TTS.load("no-such-voice")


def test_bf16_synthesis_stays_close_to_fp32(tts: TTS) -> None:
    """bf16 autocast only changes rounding: same durations, mels within a small fraction of their range."""
    a = tts.synthesize("Hello there, how are you?", seed=5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        b = tts.synthesize("Hello there, how are you?", seed=5, precision="bf16")
    emulated = [w for w in caught if "emulated" in str(w.message)]
    # warned exactly when this CPU lacks native bf16 (AVX-512 BF16 / AMX)
    assert bool(emulated) == (cpu_has_native_bf16() is False)
    assert all(w.filename == __file__ for w in emulated), "attributed to the caller, not to fmtts or torch"
    assert [d for _, d in a.durations] == [d for _, d in b.durations]
    diff = np.abs(a.mel - b.mel)
    # log-mels span ~10 units; measured mean difference ≈ 0.008 (max 0.1) on this voice
    assert float(diff.mean()) < 0.1, float(diff.mean())


def test_cpu_bf16_detection_reads_the_flags(tmp_path) -> None:
    with_bf16 = tmp_path / "a"
    with_bf16.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16\n")
    without = tmp_path / "b"
    without.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f\n")
    assert cpu_has_native_bf16(str(with_bf16)) is True
    assert cpu_has_native_bf16(str(without)) is False
    assert cpu_has_native_bf16(str(tmp_path / "missing")) is None


def test_bad_precision_is_a_clear_error(tts: TTS) -> None:
    from fmtts.errors import SynthesisError

    with pytest.raises(SynthesisError, match="precision"):
        tts.synthesize("Hello.", precision="int4")
