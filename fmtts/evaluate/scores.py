"""One row of the results table: per-utterance scores accumulated, then summarised."""

from __future__ import annotations

import resource
import sys
from dataclasses import dataclass, field

import numpy as np

from fmtts.evaluate.items import Reference
from fmtts.evaluate.metrics import (
    ErrorCounts,
    char_counts,
    clipping_fraction,
    longest_internal_silence,
    word_counts,
)

# the optional per-utterance judges (each a column only when some row has it): DNSMOS, HNR, speaker similarity
NATURALNESS_KEYS = ("p808_mos", "sig_mos", "bak_mos", "ovrl_mos", "hnr_db", "speaker_sim")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


@dataclass
class RowScores:
    """Accumulates per-utterance scores for one row of the results table."""

    name: str
    kind: str  # "recordings" | "copy-synthesis" | "model"
    settings: dict = field(default_factory=dict)
    words: ErrorCounts = field(default_factory=ErrorCounts)
    chars: ErrorCounts = field(default_factory=ErrorCounts)
    utterances: list[dict] = field(default_factory=list)
    acoustic_seconds: float = 0.0
    vocoder_seconds: float = 0.0
    audio_seconds: float = 0.0
    clipped: int = 0
    samples: int = 0
    peak_rss_mb: float | None = None
    cuda_peak_mb: float | None = None

    def add(
        self, ref: Reference, hyp: str, audio: np.ndarray, sample_rate: int, frames: int, **extra
    ) -> dict:
        w, c = word_counts(ref.item.text, hyp), char_counts(ref.item.text, hyp)
        self.words += w
        self.chars += c
        self.clipped += int(round(clipping_fraction(audio) * audio.size))
        self.samples += int(audio.size)
        n_ph = ref.n_phonemes
        u = {
            "id": ref.item.utt_id,
            "hyp": hyp,
            "wer": w.rate,
            "cer": c.rate,
            "frames": int(frames),
            "frames_per_phoneme": frames / n_ph if n_ph else None,
            "longest_silence_s": longest_internal_silence(audio, sample_rate),
            **extra,
        }
        self.utterances.append(u)
        return u

    def summary(self, fpp_range: tuple[float, float] | None, rec_wer: float | None) -> dict:
        def mean(key: str) -> float | None:
            vals = [u[key] for u in self.utterances if u.get(key) is not None and np.isfinite(u[key])]
            return float(np.mean(vals)) if vals else None

        fpp = [u["frames_per_phoneme"] for u in self.utterances if u.get("frames_per_phoneme") is not None]
        outside = None
        if fpp and fpp_range is not None:
            lo, hi = fpp_range
            outside = 100.0 * float(np.mean([(x < lo) or (x > hi) for x in fpp]))
        silences = [u["longest_silence_s"] for u in self.utterances]
        wer = self.words.rate
        ratio = None if rec_wer is None or rec_wer == 0 else wer / rec_wer

        def rtf(seconds: float) -> float | None:
            return seconds / self.audio_seconds if self.audio_seconds > 0 and seconds > 0 else None

        return {
            "name": self.name,
            "kind": self.kind,
            **self.settings,
            "n": len(self.utterances),
            "wer": wer,
            "cer": self.chars.rate,
            "wer_ratio": ratio,
            "word_errors": self.words.to_dict(),
            "char_errors": self.chars.to_dict(),
            "mcd_dtw_db": mean("mcd_dtw_db"),
            **{k: mean(k) for k in NATURALNESS_KEYS},
            "logmel_l1": mean("logmel_l1"),
            "length_ratio": mean("length_ratio"),
            "rtf_acoustic": rtf(self.acoustic_seconds),
            "rtf_vocoder": rtf(self.vocoder_seconds),
            "audio_seconds": self.audio_seconds,
            "clipping_fraction": self.clipped / self.samples if self.samples else 0.0,
            "longest_silence_s": max(silences) if silences else None,
            "mean_longest_silence_s": float(np.mean(silences)) if silences else None,
            "frames_per_phoneme": float(np.mean(fpp)) if fpp else None,
            "frames_per_phoneme_outside_pct": outside,
            "peak_rss_mb": self.peak_rss_mb,
            "cuda_peak_mb": self.cuda_peak_mb,
            "utterances": self.utterances,
        }
