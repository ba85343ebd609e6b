"""Every voice that ships inside the package: it loads by name, its vocoder ships beside it, it speaks,
and the second voice (heart, female) is not the first (joe, male) under another name."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from fmtts import TTS
from fmtts.api import DEFAULT_VOICE, embedded_voices, resolve_voice
from fmtts.runtime.voice_file import VoiceFile
from fmtts.vocoder.weights import embedded_vocoders

SENTENCE = "She sells sea shells by the sea shore, then walks home."


@pytest.fixture(scope="module")
def voices() -> dict[str, TTS]:
    return {name: TTS.load(name, device="cpu") for name in embedded_voices()}


def median_f0(audio: np.ndarray, sample_rate: int) -> float:
    """Median fundamental frequency (Hz) of the voiced frames: the autocorrelation peak between 60 and 400 Hz
    of each 40 ms frame loud enough to be speech and periodic enough to be voiced."""
    frame, hop = int(0.04 * sample_rate), int(0.01 * sample_rate)
    lo, hi = sample_rate // 400, sample_rate // 60
    loudness = np.sqrt(np.mean(audio**2))
    f0 = []
    for start in range(0, len(audio) - frame, hop):
        x = audio[start : start + frame] - audio[start : start + frame].mean()
        if np.sqrt(np.mean(x**2)) < 0.5 * loudness:
            continue
        ac = np.correlate(x, x, mode="full")[frame - 1 :]
        lag = lo + int(np.argmax(ac[lo:hi]))
        if ac[lag] > 0.5 * ac[0]:
            f0.append(sample_rate / lag)
    assert len(f0) > 20, "too few voiced frames to tell a pitch"
    return float(np.median(f0))


def test_the_default_voice_and_heart_ship() -> None:
    names = embedded_voices()
    assert DEFAULT_VOICE == "joe" and {"joe", "heart"} <= set(names)
    for name in names:
        assert resolve_voice(name).stat().st_size <= 12 * 1024 * 1024, name


def test_the_embedded_voices_are_stored_deflated() -> None:
    """Every graph inside a shipped voice is compressed (what the voice file writer does since the install
    size counts): a voice packed before that, or copied in stored, fails here."""
    import zipfile

    for name in embedded_voices():
        with zipfile.ZipFile(resolve_voice(name)) as z:
            for info in z.infolist():
                assert info.compress_type == zipfile.ZIP_DEFLATED, (name, info.filename)
                assert info.compress_size < info.file_size, (name, info.filename)


def test_each_voice_names_a_vocoder_that_ships() -> None:
    for name in embedded_voices():
        vocoder = VoiceFile.read(resolve_voice(name)).manifest["vocoder"]
        assert vocoder in embedded_vocoders(), f"{name} names {vocoder!r}, which does not ship"


def test_each_voice_speaks_and_heart_is_the_higher_voice(voices: dict[str, TTS]) -> None:
    f0 = {}
    for name, tts in voices.items():
        out = tts.synthesize(SENTENCE, seed=0)
        assert out.sample_rate == 22050 and np.isfinite(out.audio).all()
        assert 2.0 < out.seconds < 7.0, (name, out.seconds)
        assert 0.05 < float(np.abs(out.audio).max()) < 0.999, name
        f0[name] = median_f0(out.audio, out.sample_rate)
    assert f0["joe"] < 150 and f0["heart"] > 160, f0  # a male and a female voice


def test_heart_from_the_command_line(tmp_path) -> None:
    from fmtts.cli import main

    out = tmp_path / "heart.wav"
    assert main(["synthesize", SENTENCE, str(out), "--voice", "heart", "--seed", "1"]) == 0
    audio, rate = sf.read(out, dtype="float32")
    assert rate == 22050 and median_f0(audio, rate) > 160


def test_the_server_serves_every_embedded_voice_default_first() -> None:
    from fmtts.cli.serve import voice_sources

    sources = voice_sources(None, None)
    assert sources[0] == DEFAULT_VOICE and set(sources) == set(embedded_voices())
