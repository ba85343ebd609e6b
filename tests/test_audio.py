"""The mel frontend against an independent numpy/librosa computation, plus audio loading."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf

from fmtts.audio import AudioError, MelConfig, RunningMelStats, load_audio
from fmtts.mel import mel_spectrogram


def reference_log_mel(wav: np.ndarray, cfg: MelConfig) -> np.ndarray:
    """HiFi-GAN's mel written out in numpy: reflect pad, framed rfft with a periodic Hann window,
    sqrt(re^2 + im^2 + eps), Slaney mel filters, log of the clamped result."""
    pad = (cfg.n_fft - cfg.hop_length) // 2
    x = np.pad(wav.astype(np.float64), (pad, pad), mode="reflect")
    n = np.arange(cfg.win_length)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * n / cfg.win_length)  # periodic Hann
    n_frames = 1 + (len(x) - cfg.n_fft) // cfg.hop_length
    spec = np.empty((cfg.n_fft // 2 + 1, n_frames), dtype=np.complex128)
    for t in range(n_frames):
        frame = x[t * cfg.hop_length : t * cfg.hop_length + cfg.n_fft]
        spec[:, t] = np.fft.rfft(frame * window)
    mag = np.sqrt(spec.real**2 + spec.imag**2 + cfg.magnitude_eps)
    basis = librosa.filters.mel(
        sr=cfg.sample_rate, n_fft=cfg.n_fft, n_mels=cfg.n_mels, fmin=cfg.f_min, fmax=cfg.f_max, norm="slaney"
    )
    return np.log(np.maximum(basis @ mag, cfg.log_clamp))


def test_mel_matches_numpy_reference_on_random_audio() -> None:
    rng = np.random.default_rng(0)
    wav = (0.3 * rng.standard_normal(22050)).astype(np.float32)
    wav[5000:9000] = 0.0  # exercise the log clamp too
    cfg = MelConfig()
    ours = mel_spectrogram(wav, cfg).numpy()
    ref = reference_log_mel(wav, cfg)
    assert ours.shape == ref.shape == (80, cfg.frames_for(len(wav)))
    assert np.abs(ours - ref).max() < 1e-4


def test_mel_matches_numpy_reference_on_speech(espeak_speech: tuple[np.ndarray, int]) -> None:
    wav, sr = espeak_speech
    cfg = MelConfig()
    assert sr == cfg.sample_rate
    ours = mel_spectrogram(wav, cfg).numpy()
    ref = reference_log_mel(wav, cfg)
    assert ours.shape == ref.shape
    err = np.abs(ours - ref)
    # The definition is identical (in float64 the two agree to ~1e-13), but our frontend runs in float32:
    # a bin ~80 dB below its frame's peak carries a float32 rounding error of ~1e-4 relative to its own
    # value, which the log turns into ~1e-4 absolute. So: 1e-4 wherever the bin is within 60 dB of its
    # frame's peak, and a looser bound for the very quiet bins. A definition bug is off by >> 1e-2.
    strong = ref >= ref.max(axis=0, keepdims=True) - np.log(1e3)
    print(
        f"speech mel max abs error vs numpy reference: {err[strong].max():.2e} (within 60 dB of frame peak), "
        f"{err.max():.2e} (all bins)"
    )
    assert err[strong].max() < 1e-4
    assert err.max() < 5e-4


def test_mel_batch_equals_single() -> None:
    rng = np.random.default_rng(1)
    wavs = (0.2 * rng.standard_normal((2, 8000))).astype(np.float32)
    batch = mel_spectrogram(wavs).numpy()
    for i in range(2):
        assert np.abs(batch[i] - mel_spectrogram(wavs[i]).numpy()).max() < 1e-5


@pytest.mark.parametrize("center", [False, True])
def test_frames_for_matches_actual_frame_count(center: bool) -> None:
    cfg = dataclasses.replace(MelConfig(), center=center)
    for n in (1024, 1025, 5000, 22050, 22050 + 255, 22050 + 256):
        mel = mel_spectrogram(np.zeros(n, dtype=np.float32), cfg)
        assert mel.shape[-1] == cfg.frames_for(n), n


def test_load_audio_mixes_stereo_to_mono(tmp_path: Path) -> None:
    sr = 22050
    t = np.arange(sr // 2) / sr
    left = 0.5 * np.sin(2 * np.pi * 220 * t)
    right = 0.3 * np.sin(2 * np.pi * 330 * t)
    path = tmp_path / "stereo.wav"
    sf.write(path, np.stack([left, right], axis=1), sr, subtype="FLOAT")
    wav = load_audio(path, sr)
    assert wav.dtype == np.float32 and wav.ndim == 1 and len(wav) == len(t)
    np.testing.assert_allclose(wav, (left + right) / 2, atol=1e-6)


def test_load_audio_resamples_16k_to_22050(tmp_path: Path) -> None:
    sr_in, sr_out, freq = 16000, 22050, 440.0
    t = np.arange(sr_in * 2) / sr_in
    path = tmp_path / "16k.wav"
    sf.write(path, 0.5 * np.sin(2 * np.pi * freq * t), sr_in, subtype="PCM_16")
    wav = load_audio(path, sr_out)
    assert abs(len(wav) - len(t) * sr_out / sr_in) <= 1
    spectrum = np.abs(np.fft.rfft(wav * np.hanning(len(wav))))
    peak_hz = np.argmax(spectrum) * sr_out / len(wav)
    assert abs(peak_hz - freq) < 2.0  # pitch preserved: the rate really changed, not just the label


def test_load_audio_rejects_text_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("this is not audio\n" * 20)
    with pytest.raises(AudioError, match="cannot read audio file") as info:
        load_audio(path, 22050)
    assert "notes.wav" in str(info.value)


def test_load_audio_missing_file(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="not found"):
        load_audio(tmp_path / "missing.wav", 22050)


def test_running_mel_stats_equal_numpy() -> None:
    rng = np.random.default_rng(2)
    arrays = [rng.normal(-5.0 + i, 1.0 + 0.5 * i, size=(80, 10 + 37 * i)) for i in range(5)]
    stats = RunningMelStats()
    for a in arrays:
        stats.update(a)
    stats.update(np.empty((80, 0)))  # empty input is a no-op
    result = stats.result()
    everything = np.concatenate([a.ravel() for a in arrays])
    assert result.mean == pytest.approx(everything.mean(), rel=1e-12)
    assert result.std == pytest.approx(everything.std(ddof=1), rel=1e-10)
