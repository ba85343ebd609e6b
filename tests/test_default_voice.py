"""Smoke tests of the embedded default voice: it loads with no argument and speaks a sentence."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import soundfile as sf

from fmtts import TTS
from fmtts.api import VOICES_DIR, VoiceNotFound, resolve_voice
from fmtts.devices import cpu_has_native_bf16

SENTENCE = "The quick brown fox jumps over the lazy dog."


@pytest.fixture(scope="module")
def tts() -> TTS:
    return TTS.load(device="cpu", vocoder="universal")


@pytest.fixture(scope="module")
def torch_tts() -> TTS:
    """The same voice file on the torch backend (bf16 autocast, the model's parts)."""
    return TTS.load(device="cpu", backend="torch", vocoder="griffinlim")


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
    with pytest.raises(VoiceNotFound, match="no voice named 'no-such-voice'; embedded voices: .*joe"):
        TTS.load("no-such-voice")
    with pytest.raises(VoiceNotFound, match="not found"):
        TTS.load("no/such/voice.fmtts")


def test_bf16_synthesis_stays_close_to_fp32(torch_tts: TTS) -> None:
    """bf16 autocast only changes rounding: durations within one frame of fp32's at every token (the carried
    rounding may move a frame across a token boundary), mels within a small fraction of their range."""
    a = torch_tts.synthesize("Hello there, how are you?", seed=5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        b = torch_tts.synthesize("Hello there, how are you?", seed=5, precision="bf16")
    emulated = [w for w in caught if "emulated" in str(w.message)]
    # warned exactly when this CPU lacks native bf16 (AVX-512 BF16 / AMX)
    assert bool(emulated) == (cpu_has_native_bf16() is False)
    assert all(w.filename == __file__ for w in emulated), "attributed to the caller, not to fmtts or torch"
    running = [np.cumsum([d for _, d in r.durations]) for r in (a, b)]
    assert np.abs(running[0] - running[1]).max() <= 1
    n = min(a.mel.shape[1], b.mel.shape[1])
    diff = np.abs(a.mel[:, :n] - b.mel[:, :n])
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
    from fmtts.api import SynthesisError

    with pytest.raises(SynthesisError, match="precision"):
        tts.synthesize("Hello.", precision="int4")


def test_rounding_carries_the_remainder() -> None:
    import torch

    from fmtts.models.duration import frames_from_log_durations

    real = torch.tensor([[1.4, 0.4, 1.4, 3.6, 1.2, 5.0]])
    mask = torch.tensor([[1.0, 1, 1, 1, 1, 0]])
    frames = frames_from_log_durations(torch.log(real), mask)
    # one frame each, then the extras 0.4 0 0.4 2.6 0.2 carried: running totals 0.4 0.4 0.8 3.4 3.6
    # round to 0 0 1 3 4, so the tokens get 0 0 1 2 1 extra frames
    assert frames.tolist() == [[1, 1, 2, 3, 2, 0]]
    extra = (real - 1).clamp_min(0) * mask
    assert int(frames.sum()) == 5 + round(float(extra.sum()))
    slow = frames_from_log_durations(torch.log(real), mask, length_scale=2.0)
    assert int(slow.sum()) == 5 + round(float(((2 * real - 1).clamp_min(0) * mask).sum()))


def test_default_voice_speaks_at_its_corpus_pace(torch_tts: TTS) -> None:
    """Total predicted speaking time of the default voice against its corpus's source voice (piper joe) on
    sentences neither saw; with every token rounded up (the old rule) the voice was ~18 % slower."""
    import torch

    pytest.importorskip("piper")
    from piper import PiperVoice

    from fmtts.corpus.build import PROMPTS_FILE, joe_voice_paths, plan_clips, read_prompts
    from fmtts.models.duration import frames_from_log_durations

    texts = [c.text for c in plan_clips(read_prompts(PROMPTS_FILE), seed=1234)[-12:]]
    voice = PiperVoice.load(*joe_voice_paths())
    piper_s = sum(len(c.audio_float_array) for t in texts for c in voice.synthesize(t)) / 22050
    frames = {1.0: 0, 1.25: 0}
    ceil_frames = 0
    with torch.inference_mode():
        for t in texts:
            ids = torch.tensor([torch_tts.text.text_to_ids(t)])
            model = torch_tts.model
            _, hidden, x_mask = model.encoder(ids, torch.tensor([ids.shape[1]]), None)
            logw = model.duration_predictor(hidden, x_mask)
            calibrated = float(model.duration_scale)  # measured on the voice's training data
            for scale in frames:
                frames[scale] += int(
                    frames_from_log_durations(logw[:, 0], x_mask[:, 0], scale * calibrated).sum()
                )
            ceil_frames += int((torch.ceil(torch.exp(logw)) * x_mask).sum())
    seconds = {k: v * 256 / 22050 for k, v in frames.items()}
    assert abs(seconds[1.0] / piper_s - 1) < 0.05, (seconds, piper_s)
    assert ceil_frames * 256 / 22050 / piper_s > 1.12  # the old rule is what this test would catch
    assert seconds[1.25] / seconds[1.0] == pytest.approx(1.25, rel=0.02)


def test_embedded_vocoder_speaks_the_default_voice(tts: TTS, tmp_path) -> None:
    """fmtts's own vocoder, shipped in the package, by name: right length, bounded audio, and a log-mel of
    its output close to the mel it was given (measured on this sentence: 0.15 for the shipped weights,
    0.17, 0.16, 0.17 and 0.32 for the ones shipped before, HiFi-GAN V1 0.24, an untrained generator ~1.9)."""
    import torch

    from fmtts.audio import MelConfig
    from fmtts.cli import main
    from fmtts.mel import mel_spectrogram
    from fmtts.vocoder import EMBEDDED_VOCODERS, ISTFTVocoder, load_vocoder

    assert "fmtts-joe" in EMBEDDED_VOCODERS
    assert EMBEDDED_VOCODERS["fmtts-joe"].stat().st_size <= 20 * 1024 * 1024
    voc = load_vocoder("fmtts-joe")
    assert isinstance(voc, ISTFTVocoder)
    mel = torch.from_numpy(tts.synthesize(SENTENCE, seed=0).mel)
    audio = voc(mel)
    assert audio.shape == (mel.shape[-1] * 256,) and bool(torch.isfinite(audio).all())
    assert 0.05 < float(audio.abs().max()) <= 1.0
    again = mel_spectrogram(audio, MelConfig())
    assert float((again - mel).abs().mean()) < 0.45
    out = tmp_path / "ours.wav"
    assert main(["synthesize", SENTENCE, str(out), "--vocoder", "fmtts-joe", "--seed", "1"]) == 0
    wav, sr = sf.read(str(out))
    assert sr == 22050 and len(wav) % 256 == 0 and len(wav) > 22050


def test_default_voice_runs_on_the_runtime_and_on_torch_alike() -> None:
    """As a user gets it: the default voice on ONNX Runtime with the shipped ONNX vocoder, nothing
    exported at run time; the same voice file and vocoder file on torch give the same audio."""
    from fmtts.runtime.vocoder import OnnxVocoderFile
    from fmtts.vocoder import ISTFTVocoder

    runtime = TTS.load(device="cpu")
    assert runtime.backend == "onnx" and isinstance(runtime.vocoder, OnnxVocoderFile)
    on_torch = TTS.load(device="cpu", backend="torch", vocoder_backend="torch")
    assert on_torch.backend == "torch" and isinstance(on_torch.vocoder.torch_vocoder, ISTFTVocoder)
    a = runtime.synthesize(SENTENCE, seed=2)
    b = on_torch.synthesize(SENTENCE, seed=2)
    assert a.durations == b.durations
    # measured here: log-mel max 3e-3 (mean ~1e-4) apart after 2 steps; float rounding of two runtimes
    assert float(np.abs(a.mel - b.mel).max()) < 1e-2 and float(np.abs(a.mel - b.mel).mean()) < 1e-3
    assert float(np.abs(a.audio - b.audio).max()) < 2e-2
