"""Audio frontend: loading, resampling and the HiFi-GAN V1 log-mel spectrogram.

The mel definition matches the reference HiFi-GAN (jik876) ``mel_spectrogram`` exactly, because the
pretrained vocoders were trained on it: reflect padding of (n_fft - hop) / 2 on both sides,
``center=False``, a periodic Hann window, magnitude ``sqrt(re^2 + im^2 + 1e-9)``, a Slaney-normalised
mel basis and ``log(clamp(x, 1e-5))``.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fmtts.errors import FmttsError


class AudioError(FmttsError, ValueError):
    """An audio file could not be read or is unusable."""


@dataclass(frozen=True)
class MelConfig:
    """Everything that defines the mel features a model was trained on (stored in checkpoints)."""

    sample_rate: int = 22050
    n_fft: int = 1024
    hop_length: int = 256
    win_length: int = 1024
    n_mels: int = 80
    f_min: float = 0.0
    f_max: float | None = 8000.0
    center: bool = False
    log_clamp: float = 1e-5
    magnitude_eps: float = 1e-9

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> MelConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def frames_for(self, n_samples: int) -> int:
        """Number of mel frames produced for ``n_samples`` of audio."""
        if self.center:
            return n_samples // self.hop_length + 1
        pad = (self.n_fft - self.hop_length) // 2
        return (n_samples + 2 * pad - self.n_fft) // self.hop_length + 1


def mel_differences(a: MelConfig, b: MelConfig) -> dict[str, tuple]:
    """The fields in which two mel configs define different features, as {field: (a's, b's)}: a vocoder
    fed another mel than it was trained on speaks garbled or at the wrong length, with no error.
    ``magnitude_eps`` (a guard against log of zero) is left out."""
    da, db = a.to_dict(), b.to_dict()
    return {k: (da[k], db[k]) for k in da if k != "magnitude_eps" and da[k] != db[k]}


def load_audio(path: str | Path, sample_rate: int, *, peak: float = 0.999) -> np.ndarray:
    """Read any file soundfile understands, mix to mono, resample to ``sample_rate``.

    Returns float32 samples in [-peak, peak]: a clip whose peak exceeds 1 is scaled down rather than
    clipped, so no information is lost.
    """
    import soundfile as sf

    path = Path(path)
    if not path.is_file():
        raise AudioError(f"audio file not found: {path}")
    try:
        data, sr = sf.read(str(path), dtype="float32", always_2d=True)
    except Exception as exc:  # soundfile raises its own LibsndfileError / RuntimeError types
        raise AudioError(f"cannot read audio file {path}: {exc}") from exc
    if data.size == 0:
        raise AudioError(f"audio file is empty: {path}")
    wav = data.mean(axis=1) if data.shape[1] > 1 else data[:, 0]
    if sr != sample_rate:
        wav = resample(wav, sr, sample_rate)
    wav = np.ascontiguousarray(wav, dtype=np.float32)
    if not np.isfinite(wav).all():
        raise AudioError(f"audio file contains NaN/inf samples: {path}")
    top = float(np.abs(wav).max())
    if top > peak:
        wav *= peak / top
    return wav


def resample(wav: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """High-quality resampling through soxr (what librosa uses by default)."""
    if orig_sr == target_sr:
        return wav
    import soxr

    return soxr.resample(wav, orig_sr, target_sr, quality="HQ").astype(np.float32)


# output suffix -> (soundfile container, subtype)
AUDIO_FORMATS: dict[str, tuple[str, str | None]] = {
    ".wav": ("WAV", "PCM_16"),
    ".flac": ("FLAC", "PCM_16"),
    ".mp3": ("MP3", None),
    ".ogg": ("OGG", "VORBIS"),
}


def check_output_path(path: str | Path) -> Path:
    """An audio output path :func:`save_audio` can write, checked before any (long) synthesis: a known
    suffix, and not a folder. Raises :class:`AudioError`."""
    import soundfile as sf

    path = Path(path)
    if path.suffix.lower() not in AUDIO_FORMATS:
        raise AudioError(f"{path}: the output must end in one of {', '.join(AUDIO_FORMATS)}")
    if AUDIO_FORMATS[path.suffix.lower()][0] not in sf.available_formats():
        raise AudioError(f"{path}: this libsndfile cannot write {path.suffix} files; use .wav or .flac")
    if path.is_dir():
        raise AudioError(f"{path} is a folder; give a file name")
    return path


def save_audio(path: str | Path, wav: np.ndarray, sample_rate: int) -> None:
    """Write mono audio (16-bit PCM WAV or FLAC; MP3 or Ogg Vorbis, by the suffix), creating parent
    folders. Written to a temporary file first, so an interrupted write never leaves a truncated file."""
    import soundfile as sf

    path = check_output_path(path)
    container, subtype = AUDIO_FORMATS[path.suffix.lower()]
    path.parent.mkdir(parents=True, exist_ok=True)
    wav = np.clip(np.asarray(wav, dtype=np.float32), -1.0, 1.0)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        sf.write(str(tmp), wav, sample_rate, format=container, subtype=subtype)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _hz_to_mel(f: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above (librosa's default, htk=False)."""
    f = np.asarray(f, dtype=np.float64)
    f_sp, min_log_hz, logstep = 200.0 / 3, 1000.0, np.log(6.4) / 27.0
    log_part = min_log_hz / f_sp + np.log(np.maximum(f, 1e-10) / min_log_hz) / logstep
    return np.where(f >= min_log_hz, log_part, f / f_sp)


def _mel_to_hz(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float64)
    f_sp, min_log_hz, logstep = 200.0 / 3, 1000.0, np.log(6.4) / 27.0
    min_log_mel = min_log_hz / f_sp
    return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)


def mel_filterbank(
    sample_rate: int, n_fft: int, n_mels: int, f_min: float = 0.0, f_max: float | None = None
) -> np.ndarray:
    """(n_mels, n_fft // 2 + 1) Slaney-normalised triangular filters on the Slaney mel scale: the same
    matrix as ``librosa.filters.mel`` (tested), computed with numpy alone so that training machines
    without librosa build identical features."""
    f_max = sample_rate / 2 if f_max is None else f_max
    fft_freqs = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    mel_freqs = _mel_to_hz(np.linspace(_hz_to_mel(f_min), _hz_to_mel(f_max), n_mels + 2))
    widths = np.diff(mel_freqs)
    ramps = mel_freqs[:, None] - fft_freqs[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0, np.minimum(rising, falling))
    weights *= (2.0 / (mel_freqs[2 : n_mels + 2] - mel_freqs[:n_mels]))[:, None]
    return weights.astype(np.float32)


def mel_basis_numpy(cfg: MelConfig) -> np.ndarray:
    return mel_filterbank(cfg.sample_rate, cfg.n_fft, cfg.n_mels, cfg.f_min, cfg.f_max)


@dataclass
class MelStats:
    """Global mean and standard deviation of log-mel values over a dataset."""

    mean: float
    std: float

    def to_dict(self) -> dict:
        return {"mean": float(self.mean), "std": float(self.std)}

    @classmethod
    def from_dict(cls, d: dict) -> MelStats:
        return cls(mean=float(d["mean"]), std=float(d["std"]))


class RunningMelStats:
    """Streaming mean/std (Chan's parallel update in float64), so any dataset size fits in memory."""

    def __init__(self) -> None:
        self.count = 0
        self.mean = 0.0
        self.m2 = 0.0

    def update(self, mel: np.ndarray) -> None:  # or a CPU torch tensor
        x = np.asarray(mel, dtype=np.float64).ravel()
        if x.size == 0:
            return
        n_b = x.size
        mean_b = float(x.mean())
        m2_b = float(((x - mean_b) ** 2).sum())
        n = self.count + n_b
        delta = mean_b - self.mean
        self.mean += delta * n_b / n
        self.m2 += m2_b + delta * delta * self.count * n_b / n
        self.count = n

    def result(self) -> MelStats:
        if self.count < 2:
            raise ValueError("need at least two mel values to compute statistics")
        return MelStats(mean=self.mean, std=math.sqrt(self.m2 / (self.count - 1)))
