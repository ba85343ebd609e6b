"""Scores for synthetic speech: ASR error rates, mel-cepstral distortion, log-mel L1 and listen-like checks.

Definitions (judgement calls, written down so numbers from different runs mean the same thing):

* **WER / CER text normalisation** (:func:`normalize_for_wer`), applied identically to reference and
  hypothesis: :func:`fmtts.text.normalizer.normalize_text` (numbers, currency, abbreviations → words, so
  "$3" and "three dollars" agree), lowercase, dotted acronyms joined ("u.s." → "us"), apostrophes
  removed ("it's" → "its"), every other non-alphanumeric character (hyphens, punctuation, quotes) made a
  space, whitespace collapsed.
* **WER** = (S + D + I) / N words, from a Levenshtein alignment with unit costs. Corpus scores sum the
  counts over utterances before dividing (long utterances weigh more). With an empty reference the
  rate is the number of errors (0 when the hypothesis is empty too). **CER** is the same over the
  characters of the normalised string, spaces included.
* **MCD** (:func:`mcd`): mel-cepstra are the orthonormal DCT-II of each log-mel frame (natural log of
  the mel magnitude, as fmtts computes it); coefficients c1..c13 are kept (c0, the frame energy, is
  dropped). Per frame pair, ``10 / ln 10 * sqrt(2 * sum_d (c_d - c'_d)^2)`` dB; the score is the mean
  over the pairs of the DTW path that minimises the summed Euclidean cepstral distance (steps (1,0),
  (0,1), (1,1), each pair counted once). All frames are used, silences included.
* **log-mel L1** (:func:`logmel_l1`): mean absolute difference of log-mels over the first
  ``min(T_a, T_b)`` frames. It is only meaningful when both mels share a time axis, so the evaluation
  runner synthesises with the recording's own durations (found by aligning the recording to the text
  with the model's aligner) for this score; with unequal lengths it silently truncates.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# --------------------------------------------------------------------------------------------------------
# Text normalisation and error rates
# --------------------------------------------------------------------------------------------------------

_ACRONYM_RE = re.compile(r"\b(?:[a-z]\.){2,}")
_APOSTROPHE_RE = re.compile(r"['’‘`´]")
_NON_WORD_RE = re.compile(r"[\W_]+")


def normalize_for_wer(text: str) -> str:
    """Canonical word string for scoring (see module docstring)."""
    from fmtts.text.normalizer import normalize_text

    s = normalize_text(text).lower()
    s = _ACRONYM_RE.sub(lambda m: m.group(0).replace(".", ""), s)
    s = _APOSTROPHE_RE.sub("", s)
    s = _NON_WORD_RE.sub(" ", s)
    return " ".join(s.split())


@dataclass
class ErrorCounts:
    """Levenshtein alignment counts; add them up over a corpus with ``+``."""

    substitutions: int = 0
    deletions: int = 0
    insertions: int = 0
    hits: int = 0

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def ref_length(self) -> int:
        return self.substitutions + self.deletions + self.hits

    @property
    def rate(self) -> float:
        n = self.ref_length
        return self.errors / n if n else float(self.errors)

    def __add__(self, other: ErrorCounts) -> ErrorCounts:
        return ErrorCounts(
            self.substitutions + other.substitutions,
            self.deletions + other.deletions,
            self.insertions + other.insertions,
            self.hits + other.hits,
        )

    def to_dict(self) -> dict:
        return {
            "substitutions": self.substitutions,
            "deletions": self.deletions,
            "insertions": self.insertions,
            "hits": self.hits,
            "ref_length": self.ref_length,
            "rate": self.rate,
        }


def edit_counts(ref: Sequence, hyp: Sequence) -> ErrorCounts:
    """Minimum-edit (Levenshtein) alignment of ``hyp`` against ``ref``, any sequences of hashable
    tokens, with its substitution/deletion/insertion/hit counts (rapidfuzz's opcodes, the alignment jiwer
    itself uses)."""
    from rapidfuzz.distance import Levenshtein

    out = ErrorCounts()
    for op in Levenshtein.opcodes(list(ref), list(hyp)):
        a, b = op.src_end - op.src_start, op.dest_end - op.dest_start
        if op.tag == "equal":
            out.hits += a
        elif op.tag == "replace":
            out.substitutions += a
        elif op.tag == "delete":
            out.deletions += a
        else:
            out.insertions += b
    return out


def _jiwer_counts(ref: str, hyp: str, characters: bool) -> ErrorCounts:
    import jiwer

    if not ref:  # jiwer refuses empty references: every hypothesis token is then an insertion
        return ErrorCounts(insertions=len(hyp) if characters else len(hyp.split()))
    out = (jiwer.process_characters if characters else jiwer.process_words)(ref, hyp)
    return ErrorCounts(out.substitutions, out.deletions, out.insertions, out.hits)


def word_counts(ref: str, hyp: str, normalize: bool = True) -> ErrorCounts:
    if normalize:
        ref, hyp = normalize_for_wer(ref), normalize_for_wer(hyp)
    return _jiwer_counts(" ".join(ref.split()), " ".join(hyp.split()), characters=False)


def char_counts(ref: str, hyp: str, normalize: bool = True) -> ErrorCounts:
    if normalize:
        ref, hyp = normalize_for_wer(ref), normalize_for_wer(hyp)
    else:
        ref, hyp = " ".join(ref.split()), " ".join(hyp.split())
    return _jiwer_counts(ref, hyp, characters=True)


def wer(ref: str, hyp: str, normalize: bool = True) -> float:
    """Word error rate of one pair (see :class:`ErrorCounts` for the empty-reference rule)."""
    return word_counts(ref, hyp, normalize).rate


def cer(ref: str, hyp: str, normalize: bool = True) -> float:
    """Character error rate of one pair, over the normalised strings (spaces count as characters)."""
    return char_counts(ref, hyp, normalize).rate


# --------------------------------------------------------------------------------------------------------
# Mel-cepstral distortion with DTW, log-mel L1
# --------------------------------------------------------------------------------------------------------

MCD_CONSTANT = 10.0 / math.log(10.0) * math.sqrt(2.0)


def mel_cepstrum(logmel: np.ndarray, n_coeffs: int = 13) -> np.ndarray:
    """(n_mels, T) natural-log mel → (T, n_coeffs) cepstra c1..c_n (orthonormal DCT-II, c0 dropped)."""
    from scipy.fft import dct

    logmel = np.asarray(logmel, dtype=np.float64)
    if logmel.ndim != 2:
        raise ValueError(f"expected a (n_mels, frames) log-mel, got shape {logmel.shape}")
    if not 1 <= n_coeffs < logmel.shape[0]:
        raise ValueError(f"n_coeffs must be in [1, {logmel.shape[0] - 1}], got {n_coeffs}")
    c = dct(logmel, type=2, norm="ortho", axis=0)
    return np.ascontiguousarray(c[1 : n_coeffs + 1].T)


def dtw(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Dynamic time warping over a (T_a, T_b) local-cost matrix.

    Returns (indices into a, indices into b, total cost) of the monotonic path from (0, 0) to
    (T_a-1, T_b-1) with steps (1,0), (0,1), (1,1) that minimises the summed cost."""
    cost = np.ascontiguousarray(cost, dtype=np.float64)
    if cost.ndim != 2 or cost.shape[0] == 0 or cost.shape[1] == 0:
        raise ValueError(f"DTW needs a non-empty 2-D cost matrix, got shape {cost.shape}")
    from librosa.sequence import dtw as librosa_dtw

    acc, path = librosa_dtw(C=cost, backtrack=True)
    path = path[::-1]  # librosa returns the path from the end
    return np.ascontiguousarray(path[:, 0]), np.ascontiguousarray(path[:, 1]), float(acc[-1, -1])


def _pairwise_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.sqrt(np.maximum(sq, 0.0))


def mcd(mel_ref: np.ndarray, mel_test: np.ndarray, n_coeffs: int = 13, use_dtw: bool = True) -> float:
    """Mel-cepstral distortion in dB between two (n_mels, T) log-mels of any lengths (see module
    docstring). ``use_dtw=False`` compares frame by frame over the shorter length."""
    ca, cb = mel_cepstrum(mel_ref, n_coeffs), mel_cepstrum(mel_test, n_coeffs)
    if len(ca) == 0 or len(cb) == 0:
        raise ValueError("MCD needs at least one frame in each mel")
    if use_dtw:
        ia, ib, _ = dtw(_pairwise_distance(ca, cb))
        per_frame = np.sqrt(((ca[ia] - cb[ib]) ** 2).sum(1))  # exact on the path (0 for identical)
    else:
        t = min(len(ca), len(cb))
        per_frame = np.sqrt(((ca[:t] - cb[:t]) ** 2).sum(1))
    return float(MCD_CONSTANT * per_frame.mean())


def logmel_l1(mel_ref: np.ndarray, mel_test: np.ndarray) -> float:
    """Mean |log-mel difference| over the first min(T_ref, T_test) frames."""
    a, b = np.asarray(mel_ref, np.float64), np.asarray(mel_test, np.float64)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"mels have different numbers of bands: {a.shape[0]} vs {b.shape[0]}")
    t = min(a.shape[1], b.shape[1])
    if t == 0:
        raise ValueError("log-mel L1 needs at least one frame in each mel")
    return float(np.abs(a[:, :t] - b[:, :t]).mean())


# --------------------------------------------------------------------------------------------------------
# Listen-like checks
# --------------------------------------------------------------------------------------------------------


def clipping_fraction(wav: np.ndarray, threshold: float = 0.999) -> float:
    """Fraction of samples with |x| > threshold."""
    wav = np.asarray(wav)
    return float((np.abs(wav) > threshold).mean()) if wav.size else 0.0


def frame_energy_db(
    wav: np.ndarray, sample_rate: int, frame_s: float = 0.025, hop_s: float = 0.010
) -> np.ndarray:
    """RMS level of each frame in dBFS (floored at -120)."""
    wav = np.asarray(wav, dtype=np.float64)
    frame, hop = max(1, int(frame_s * sample_rate)), max(1, int(hop_s * sample_rate))
    if wav.size < frame:
        wav = np.pad(wav, (0, frame - wav.size))
    n = 1 + (wav.size - frame) // hop
    idx = np.arange(frame)[None, :] + hop * np.arange(n)[:, None]
    rms = np.sqrt((wav[idx] ** 2).mean(1))
    return 20.0 * np.log10(np.maximum(rms, 1e-6))


def longest_internal_silence(
    wav: np.ndarray, sample_rate: int, threshold_db: float = -40.0, hop_s: float = 0.010
) -> float:
    """Seconds of the longest run of quiet frames between the first and the last voiced frame.

    A frame is voiced when its RMS level is within ``threshold_db`` of the loudest frame (and above
    -70 dBFS); leading and trailing silence do not count. 0.0 for audio with fewer than two voiced
    frames."""
    db = frame_energy_db(wav, sample_rate, hop_s=hop_s)
    voiced = (db > db.max() + threshold_db) & (db > -70.0)
    where = np.flatnonzero(voiced)
    if where.size < 2:
        return 0.0
    gaps = np.diff(where) - 1
    return float(gaps.max() * hop_s) if gaps.size else 0.0


def is_phoneme_symbol(symbol: str) -> bool:
    """True for IPA/ASCII letters; False for pad/blank, punctuation, spaces, stress and length marks
    (modifier letters such as ˈ ˌ ː ʰ) and combining diacritics."""
    return len(symbol) == 1 and unicodedata.category(symbol) in ("Ll", "Lu", "Lo") and symbol != "_"


def count_phonemes(symbols: Sequence[str]) -> int:
    return sum(is_phoneme_symbol(s) for s in symbols)


def frames_per_phoneme(n_frames: int, symbols: Sequence[str]) -> float:
    """Speaking-rate proxy: mel frames divided by the number of phoneme symbols (nan without any)."""
    n = count_phonemes(symbols)
    return n_frames / n if n else float("nan")
