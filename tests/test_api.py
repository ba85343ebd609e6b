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
    # two sentences: synthesised separately, joined with a 0.15 s pause (whole frames: audio = mel × hop)
    two = voice.synthesize("Hello there. Good morning to you.", steps=2, seed=1)
    pause = round(0.15 * SR / HOP) * HOP
    assert len(two.audio) == sum(d for _, d in two.durations) * HOP + pause == two.mel.shape[1] * HOP
    with pytest.raises(TextError, match="empty"):
        voice.synthesize("   ")


def test_universal_vocoder_short_sentence(trained_run: Path) -> None:
    tts = TTS.load(trained_run, device="cpu", vocoder="universal")
    res = tts.synthesize("Hi.", steps=2, seed=0)
    assert res.sample_rate == SR and res.audio.dtype == np.float32
    assert np.isfinite(res.audio).all() and 0 < np.abs(res.audio).max() <= 1.0
    assert len(res.audio) == res.mel.shape[1] * HOP
    assert res.timings["vocoder_seconds"] > 0


def test_ssml_breaks_rates_and_phonemes_shape_the_audio(voice: TTS) -> None:
    plain = voice.synthesize("Good morning. See you soon.", steps=2, seed=3)
    marked = voice.synthesize(
        '<speak>Good morning. <break time="700ms"/> See you soon.</speak>', steps=2, seed=3
    )
    # the explicit break replaces the default 0.15 s gap between the two sentences
    gap = round(0.7 * SR / HOP) - round(0.15 * SR / HOP)
    assert marked.mel.shape[1] == plain.mel.shape[1] + gap
    assert len(marked.audio) == marked.mel.shape[1] * HOP
    slow = voice.synthesize('<speak><prosody rate="x-slow">Good morning.</prosody></speak>', steps=2, seed=3)
    normal = voice.synthesize("Good morning.", steps=2, seed=3)
    assert slow.mel.shape[1] > 1.3 * normal.mel.shape[1]
    # inline IPA and SSML <phoneme> give the same symbols as the phonemes they name
    ipa = voice.text.phonemize(["tomato"])[0]
    inline = voice.synthesize(f"[[{ipa}]]", steps=2, seed=3)
    tagged = voice.synthesize(
        f'<speak><phoneme alphabet="ipa" ph="{ipa}">x</phoneme></speak>', steps=2, seed=3
    )
    word = voice.synthesize("tomato", steps=2, seed=3)
    assert (
        [s for s, _ in inline.durations] == [s for s, _ in tagged.durations] == [s for s, _ in word.durations]
    )
    assert voice.synthesize("<speak>plain</speak>", ssml=False, steps=1).durations != word.durations


def test_malformed_ssml_is_a_clear_error(voice: TTS) -> None:
    from fmtts.text.ssml import SSMLError

    with pytest.raises(SSMLError, match="line 1"):
        voice.synthesize("<speak>Hello <break time='1s'></speak>")


def test_importing_the_api_loads_no_training_corpus_or_preparation_code() -> None:
    """Imports run one way: inference (fmtts.api) never pulls in training, corpus building, dataset
    preparation, evaluation or the server."""
    import subprocess
    import sys

    code = (
        "import sys, fmtts.api\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('fmtts.training', 'fmtts.corpus', "
        "'fmtts.data.prepare', 'fmtts.data.audio_cache', 'fmtts.evaluate', 'fmtts.server', 'fmtts.cli')))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"fmtts.api imported {out.stdout.strip()}"


def test_a_vocoder_for_another_mel_is_refused_on_every_call(trained_run: Path) -> None:
    """A vocoder that reads another mel than the voice's (here: another f_max, same tensor shapes) would
    speak garbled audio without error: refused, and again on the next call (not cached after the first
    failure). Griffin-Lim, which inverts any mel, is built for the voice's own."""
    import dataclasses

    from fmtts.api import SynthesisError

    tts = TTS.load(trained_run, device="cpu", vocoder="universal")
    tts.mel_config = dataclasses.replace(tts.mel_config, f_max=7000.0)
    for _ in range(2):
        with pytest.raises(SynthesisError, match="f_max"):
            tts.synthesize("Hi.", steps=2, seed=0)
    gl = TTS.load(trained_run, device="cpu", vocoder="griffinlim")
    gl.mel_config = dataclasses.replace(gl.mel_config, f_max=7000.0)
    assert gl.vocoder.mel_config == gl.mel_config
    assert np.isfinite(gl.synthesize("Hi.", steps=2, seed=0).audio).all()
    plain = TTS.load(trained_run, device="cpu", vocoder="griffinlim")
    assert plain.vocoder.mel_config == plain.mel_config != gl.mel_config  # one Griffin-Lim per mel
    quiet = TTS.load(trained_run, device="cpu", vocoder="griffinlim", denoise=0.5)
    quiet.mel_config = gl.mel_config
    assert quiet.vocoder.mel_config == gl.mel_config and quiet.vocoder.strength == 0.5  # denoise kept


def test_non_finite_mels_and_out_of_range_options_are_clear_errors(trained_run: Path, monkeypatch) -> None:
    from fmtts.api import SynthesisError
    from fmtts.sampling import SamplerConfig

    tts = TTS.load(trained_run, device="cpu", vocoder="griffinlim")
    real = tts.acoustic.to_mel

    def broken(*args, **kwargs):
        mel = real(*args, **kwargs)
        mel[..., 1] = float("nan")  # as a damaged voice file would give
        return mel

    monkeypatch.setattr(tts.acoustic, "to_mel", broken)
    with pytest.raises(SynthesisError, match="non-finite"):
        tts.synthesize("Hi.", steps=2, seed=0)
    with pytest.raises(SynthesisError, match="non-finite"):
        list(tts.stream("Hi.", steps=2, seed=0))
    for bad in ({"length_scale": 11.0}, {"temperature": 1e30}, {"length_scale": 0.0}):
        with pytest.raises(ValueError, match=next(iter(bad))):
            SamplerConfig(**bad)
    assert SamplerConfig(length_scale=4.0).at_rate(5.0).length_scale == 10.0
