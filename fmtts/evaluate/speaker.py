"""Speaker similarity: does the output sound like the speaker of the reference recordings?

Resemblyzer's GE2E speaker encoder (its weights ship inside the ``resemblyzer`` wheel) embeds each
utterance (resampled to 16 kHz with soxr, then Resemblyzer's own volume normalisation and long-silence
trimming) as a unit vector. The reference is the mean embedding of the reference recordings, renormalised;
an utterance's score is the cosine similarity of its embedding to that mean (1 = the same voice as the
references' average; different speakers of the same sex and accent typically land around 0.6–0.8, of the
other sex lower still).

Resemblyzer's VAD dependency ``webrtcvad`` imports ``pkg_resources``: install ``setuptools<81`` beside it.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from fmtts.audio import resample

log = logging.getLogger(__name__)
ENCODER_RATE = 16000  # what Resemblyzer's encoder and VAD read
MAX_REFERENCES = 100  # a reference folder larger than this is sampled evenly (sorted file names)
REFERENCE_SUFFIXES = (".wav", ".flac")


def _import_resemblyzer():
    with warnings.catch_warnings():  # webrtcvad imports the deprecated pkg_resources
        warnings.simplefilter("ignore")
        import resemblyzer

    return resemblyzer


def speaker_similarity_available() -> bool:
    try:
        _import_resemblyzer()
    except ImportError:
        return False
    return True


def reference_files(folder: str | Path, limit: int = MAX_REFERENCES) -> list[Path]:
    """The audio files under ``folder`` (recursively, sorted), at most ``limit`` of them spread evenly."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"speaker reference folder not found: {folder}")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in REFERENCE_SUFFIXES and p.is_file())
    if len(files) > limit:
        files = [files[round(i * (len(files) - 1) / (limit - 1))] for i in range(limit)]
    return files


class SpeakerSimilarity:
    """Cosine similarity of an utterance's speaker embedding to the mean embedding of references."""

    def __init__(self, references: Sequence[np.ndarray], sample_rate: int, *, description: str = "") -> None:
        resemblyzer = _import_resemblyzer()
        self._preprocess = resemblyzer.preprocess_wav
        self.encoder = resemblyzer.VoiceEncoder(device="cpu", verbose=False)
        embeddings = [e for e in (self.embed(w, sample_rate) for w in references) if e is not None]
        if not embeddings:
            raise ValueError("no reference recording has enough speech for a speaker embedding")
        mean = np.mean(embeddings, axis=0)
        self.reference = mean / np.linalg.norm(mean)
        self.n_references = len(embeddings)
        self.description = description

    def embed(self, wav: np.ndarray, sample_rate: int) -> np.ndarray | None:
        """The unit-length GE2E embedding of one utterance; None when too little speech is left."""
        x = resample(np.asarray(wav, dtype=np.float32), sample_rate, ENCODER_RATE)
        if x.size == 0 or float(np.sqrt(np.mean(np.square(x)))) < 1e-5:  # silence: nothing to normalise
            return None
        x = self._preprocess(x)  # at 16 kHz already: volume normalisation and long-silence trimming only
        if x.size < ENCODER_RATE // 10:
            return None
        return np.asarray(self.encoder.embed_utterance(x), dtype=np.float64)

    def __call__(self, wav: np.ndarray, sample_rate: int) -> float | None:
        e = self.embed(wav, sample_rate)
        return None if e is None else float(np.dot(e, self.reference) / np.linalg.norm(e))

    @classmethod
    def from_folder(cls, folder: str | Path, sample_rate: int = ENCODER_RATE) -> SpeakerSimilarity:
        """References: the audio files of a folder (see :func:`reference_files`)."""
        from fmtts.audio import load_audio

        files = reference_files(folder)
        if not files:
            raise FileNotFoundError(f"no .wav or .flac files under {folder}")
        wavs = [load_audio(f, sample_rate) for f in files]
        return cls(wavs, sample_rate, description=f"{len(files)} recordings under {folder}")
