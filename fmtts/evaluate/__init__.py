"""Evaluation of fmtts voices: ASR intelligibility (Whisper / PocketSphinx), MCD-DTW, log-mel L1, speed,
DNSMOS, HNR and speaker similarity (Resemblyzer).

    fmtts evaluate --checkpoint voice.pt --data prepared/ --out eval/ --steps 2,4,10 --limit 50

See :mod:`fmtts.evaluate.runner` for what each column means and :mod:`fmtts.evaluate.metrics` for
the metric definitions.
"""

from fmtts.evaluate.asr import ASRError, PocketSphinxASR, WhisperASR, load_asr, prepare_whisper_model
from fmtts.evaluate.metrics import (
    ErrorCounts,
    cer,
    char_counts,
    clipping_fraction,
    dtw,
    edit_counts,
    frames_per_phoneme,
    logmel_l1,
    longest_internal_silence,
    mcd,
    mel_cepstrum,
    normalize_for_wer,
    wer,
    word_counts,
)
from fmtts.evaluate.runner import EvaluationError, main_evaluate, read_test_items

__all__ = [
    "ASRError",
    "ErrorCounts",
    "EvaluationError",
    "PocketSphinxASR",
    "WhisperASR",
    "cer",
    "char_counts",
    "clipping_fraction",
    "dtw",
    "edit_counts",
    "frames_per_phoneme",
    "load_asr",
    "logmel_l1",
    "longest_internal_silence",
    "main_evaluate",
    "mcd",
    "mel_cepstrum",
    "normalize_for_wer",
    "prepare_whisper_model",
    "read_test_items",
    "wer",
    "word_counts",
]
