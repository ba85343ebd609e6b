"""Speaker similarity: does the output sound like the speaker of the reference recordings?

Resemblyzer's GE2E speaker encoder (its weights ship inside the ``resemblyzer`` wheel) embeds each
utterance (resampled to 16 kHz with soxr, levelled to one loudness, then Resemblyzer's long-silence
trimming) as a unit vector. The levelling is ours: Resemblyzer's encoder reads power (not log) mel
frames and its own normalisation only ever raises the level, so the same recording scored 0.94 against
its references at full scale and 0.86 at a fifth of it; levelling both ways makes loudness not count.

The reference is the mean embedding of the reference recordings, renormalised; an utterance's score is
the cosine similarity of its embedding to that mean (1 = the same voice as the references' average;
different speakers of the same sex and accent typically land around 0.6–0.8, of the other sex lower
still). Where the references are of several named speakers, each speaker has a mean of
their own, and an utterance is scored against its speaker's.

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
LEVEL_DBFS = -30.0  # every utterance's RMS before embedding (Resemblyzer's own target)
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


def _unit_mean(embeddings: Sequence[np.ndarray]) -> np.ndarray:
    mean = np.mean(embeddings, axis=0)
    return mean / np.linalg.norm(mean)


class SpeakerSimilarity:
    """Cosine similarity of an utterance's speaker embedding to the mean embedding of references.

    ``speakers`` (one name or None per reference) names who speaks each reference: with two or more
    speakers among them, each gets a mean embedding of their own (:attr:`by_speaker`), which an utterance
    is compared to when called with that speaker. One speaker or none: one mean over all references."""

    def __init__(
        self,
        references: Sequence[np.ndarray],
        sample_rate: int,
        *,
        description: str = "",
        speakers: Sequence[str | None] | None = None,
    ) -> None:
        resemblyzer = _import_resemblyzer()
        self._preprocess = resemblyzer.preprocess_wav
        self.encoder = resemblyzer.VoiceEncoder(device="cpu", verbose=False)
        if speakers is None:
            speakers = [None] * len(references)
        if len(speakers) != len(references):
            raise ValueError(f"{len(speakers)} speaker names for {len(references)} references")
        embedded = [(self.embed(w, sample_rate), s) for w, s in zip(references, speakers, strict=True)]
        kept = [(e, s) for e, s in embedded if e is not None]
        if not kept:
            raise ValueError("no reference recording has enough speech for a speaker embedding")
        self.reference = _unit_mean([e for e, _ in kept])
        self.n_references = len(kept)
        self.description = description
        self.by_speaker: dict[str | None, np.ndarray] = {}
        if len(set(speakers)) > 1:
            groups: dict[str | None, list[np.ndarray]] = {}
            for e, s in kept:
                groups.setdefault(s, []).append(e)
            self.by_speaker = {s: _unit_mean(es) for s, es in groups.items()}
            for s in dict.fromkeys(speakers):
                if s not in groups:
                    log.warning("speaker %s: no reference recording has enough speech: not scored", s)

    def embed(self, wav: np.ndarray, sample_rate: int) -> np.ndarray | None:
        """The unit-length GE2E embedding of one utterance; None when too little speech is left."""
        x = resample(np.asarray(wav, dtype=np.float32), sample_rate, ENCODER_RATE)
        rms = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0
        if rms < 1e-5:  # silence: nothing to level
            return None
        x = x * np.float32(10.0 ** (LEVEL_DBFS / 20.0) / rms)  # up or down to LEVEL_DBFS
        x = self._preprocess(x)  # at 16 kHz and at its target level already: long-silence trimming only
        if x.size < ENCODER_RATE // 10:
            return None
        return np.asarray(self.encoder.embed_utterance(x), dtype=np.float64)

    def __call__(self, wav: np.ndarray, sample_rate: int, speaker: str | None = None) -> float | None:
        """The similarity to the references' mean, or to ``speaker``'s where each speaker has their own
        (then None for a speaker without references); None when the utterance has too little speech."""
        reference = self.reference
        if self.by_speaker:
            reference = self.by_speaker.get(speaker)
            if reference is None:
                return None
        e = self.embed(wav, sample_rate)
        return None if e is None else float(np.dot(e, reference) / np.linalg.norm(e))

    @classmethod
    def from_folder(cls, folder: str | Path, sample_rate: int = ENCODER_RATE) -> SpeakerSimilarity:
        """References: the audio files of a folder (see :func:`reference_files`)."""
        from fmtts.audio import load_audio

        files = reference_files(folder)
        if not files:
            raise FileNotFoundError(f"no .wav or .flac files under {folder}")
        wavs = [load_audio(f, sample_rate) for f in files]
        return cls(wavs, sample_rate, description=f"{len(files)} recordings under {folder}")
