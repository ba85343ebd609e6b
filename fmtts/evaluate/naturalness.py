"""Reference-free naturalness judges: DNSMOS (P.808 MOS and P.835 SIG/BAK/OVRL, the ONNX models that the
``speechmos`` wheel ships) and Praat's harmonics-to-noise ratio (``praat-parselmouth``), which shows the
harmonic smearing of an under-trained vocoder that DNSMOS barely sees.

Both are proxies, useful side by side on the same sentences, not a listening test.
"""

from __future__ import annotations

import logging

import numpy as np

from fmtts.audio import resample

log = logging.getLogger(__name__)
DNSMOS_RATE = 16000


def dnsmos_available() -> bool:
    try:
        import onnxruntime  # noqa: F401
        import speechmos  # noqa: F401
    except ImportError:
        return False
    return True


def dnsmos(wav: np.ndarray, sample_rate: int) -> dict[str, float]:
    """{"p808_mos", "sig_mos", "bak_mos", "ovrl_mos"} of one utterance (resampled to 16 kHz)."""
    from speechmos import dnsmos as model

    x = resample(np.asarray(wav, dtype=np.float32), sample_rate, DNSMOS_RATE)
    peak = float(np.abs(x).max()) if x.size else 0.0
    if peak > 1.0:
        x = x / peak
    scores = model.run(x, DNSMOS_RATE)
    return {k: float(scores[k]) for k in ("p808_mos", "sig_mos", "bak_mos", "ovrl_mos")}


def hnr_available() -> bool:
    try:
        import parselmouth  # noqa: F401
    except ImportError:
        return False
    return True


def harmonics_to_noise_db(wav: np.ndarray, sample_rate: int) -> float | None:
    """Mean harmonics-to-noise ratio (dB) over voiced frames (Praat's cross-correlation method); None when
    no frame is voiced."""
    import parselmouth

    sound = parselmouth.Sound(np.asarray(wav, dtype=np.float64), sampling_frequency=sample_rate)
    values = sound.to_harmonicity_cc(time_step=0.01, minimum_pitch=75).values.ravel()
    voiced = values[values > -199]  # Praat marks unvoiced frames with -200
    return float(voiced.mean()) if voiced.size else None


def naturalness_scores(wav: np.ndarray, sample_rate: int, *, use_dnsmos: bool, use_hnr: bool) -> dict:
    """The per-utterance scores that are switched on (keys ``p808_mos`` … ``ovrl_mos``, ``hnr_db``)."""
    out: dict[str, float | None] = {}
    if use_dnsmos:
        out.update(dnsmos(wav, sample_rate))
    if use_hnr:
        out["hnr_db"] = harmonics_to_noise_db(wav, sample_rate)
    return out
