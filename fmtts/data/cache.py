"""Feature cache: phoneme ids and log-mels of one split, in plain ``.npy`` files plus JSON.

Layout of a cache folder::

    tokens.npy          int16, all utterances' token ids concatenated
    token_offsets.npy   int64, N+1 offsets into tokens
    mels.npy            float16, (total_frames, n_mels), all mels concatenated along time
    mel_offsets.npy     int64, N+1 offsets into mels
    durations.npy       optional int32 per-token frame counts (external alignments), same offsets as tokens
    meta.json           utterance ids and texts, symbol table, mel config, mel statistics; for a
                        multi-speaker dataset also ``speakers`` (the names, speaker k the k-th) and
                        ``speaker_ids`` (each utterance's speaker index)

Only numpy (or torch) is needed to read it, so a cache built here trains on a GPU machine that has
neither librosa nor eSpeak. Arrays are memory-mapped: a big cache costs no RAM until it is read.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fmtts.errors import FmttsError


class CacheError(FmttsError, RuntimeError):
    pass


@dataclass
class CacheWriter:
    """Accumulates utterances and writes the cache atomically (into a temp folder, then renamed)."""

    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    tokens: list[np.ndarray] = field(default_factory=list)
    mels: list[np.ndarray] = field(default_factory=list)
    durations: list[np.ndarray | None] = field(default_factory=list)
    speakers: list[int] = field(default_factory=list)  # speaker index per utterance (multi-speaker data)

    def add(
        self,
        utt_id: str,
        text: str,
        tokens: list[int] | np.ndarray,
        mel: np.ndarray,
        durations: np.ndarray | None = None,
        speaker: int | None = None,
    ) -> None:
        """``mel`` is (n_mels, frames) like the model uses; stored time-major. ``speaker``: the speaker's
        index in the dataset's ``speakers`` (given for every utterance of a multi-speaker cache, or none)."""
        if self.ids and (speaker is None) != (not self.speakers):
            raise CacheError(f"{utt_id}: a cache's utterances either all have a speaker index or none")
        if speaker is not None:
            self.speakers.append(int(speaker))
        self.ids.append(utt_id)
        self.texts.append(text)
        self.tokens.append(np.asarray(tokens, dtype=np.int16))
        self.mels.append(np.asarray(mel, dtype=np.float16).T)
        self.durations.append(None if durations is None else np.asarray(durations, dtype=np.int32))

    def write(self, folder: str | Path, meta: dict) -> None:
        folder = Path(folder)
        if not self.ids:
            raise CacheError(f"refusing to write an empty cache to {folder}")
        tmp = folder.with_name(folder.name + ".tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        tok_off = np.cumsum([0] + [len(t) for t in self.tokens]).astype(np.int64)
        mel_off = np.cumsum([0] + [len(m) for m in self.mels]).astype(np.int64)
        np.save(tmp / "tokens.npy", np.concatenate(self.tokens))
        np.save(tmp / "token_offsets.npy", tok_off)
        np.save(tmp / "mels.npy", np.concatenate(self.mels))
        np.save(tmp / "mel_offsets.npy", mel_off)
        if all(d is not None for d in self.durations):
            np.save(tmp / "durations.npy", np.concatenate(self.durations))
        meta = dict(meta, ids=self.ids, texts=self.texts)
        meta.pop("speaker_ids", None)  # another cache's, when its meta is passed on
        if self.speakers:
            names = meta.get("speakers", [])
            if max(self.speakers) >= len(names):
                top = max(self.speakers)
                raise CacheError(f"speaker index {top}, but the meta names {len(names)} speakers")
            meta["speaker_ids"] = self.speakers
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False))
        if folder.exists():
            import shutil

            shutil.rmtree(folder)
        os.replace(tmp, folder)


def prepared_cache_root(data: Path) -> Path:
    """The folder holding a prepared folder's ``train``/``val`` caches: ``data/cache`` as ``fmtts prepare``
    writes it, or ``data`` itself when given that folder."""
    return data / "cache" if (data / "cache" / "train").is_dir() else data


class FeatureCache:
    """Read side of the cache: random access to (tokens, mel, durations) by index."""

    def __init__(self, folder: str | Path, mmap: bool = True):
        self.folder = Path(folder)
        self._mmap = mmap
        meta_path = self.folder / "meta.json"
        if not meta_path.is_file():
            raise CacheError(
                f"no feature cache at {self.folder} (meta.json missing); run the prepare stage first"
            )
        self.meta = json.loads(meta_path.read_text())
        mode = "r" if mmap else None
        self.tokens = np.load(self.folder / "tokens.npy", mmap_mode=mode)
        self.token_offsets = np.load(self.folder / "token_offsets.npy")
        self.mels = np.load(self.folder / "mels.npy", mmap_mode=mode)
        self.mel_offsets = np.load(self.folder / "mel_offsets.npy")
        dpath = self.folder / "durations.npy"
        self.durations = np.load(dpath, mmap_mode=mode) if dpath.is_file() else None
        self.ids: list[str] = self.meta["ids"]
        self.texts: list[str] = self.meta["texts"]
        self.speakers: list[str] = list(self.meta.get("speakers", []))
        ids = self.meta.get("speaker_ids")
        self.speaker_ids = np.zeros(len(self.ids), np.int64) if ids is None else np.asarray(ids, np.int64)
        if len(self.speaker_ids) != len(self.ids):
            n = len(self.speaker_ids)
            raise CacheError(f"{meta_path}: {n} speaker ids for {len(self.ids)} utterances")

    def __len__(self) -> int:
        return len(self.ids)

    def __reduce__(self):
        # Sent to spawned DataLoader workers: reopen the files there instead of pickling whole arrays.
        return type(self), (self.folder, self._mmap)

    @property
    def n_speakers(self) -> int:
        """Speakers the data names (1 for a dataset without a speaker column)."""
        return max(1, len(self.speakers))

    def speaker(self, i: int) -> int:
        """Utterance ``i``'s speaker index (0 in a one-speaker cache)."""
        return int(self.speaker_ids[i])

    @property
    def mel_lengths(self) -> np.ndarray:
        return np.diff(self.mel_offsets)

    def get(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(tokens int64 (T_x,), mel float32 (n_mels, T_y), durations int64 (T_x,) or None)."""
        a, b = self.token_offsets[i], self.token_offsets[i + 1]
        tokens = np.asarray(self.tokens[a:b], dtype=np.int64)
        durs = None if self.durations is None else np.asarray(self.durations[a:b], dtype=np.int64)
        c, d = self.mel_offsets[i], self.mel_offsets[i + 1]
        mel = np.asarray(self.mels[c:d], dtype=np.float32).T
        return tokens, np.ascontiguousarray(mel), durs

    @property
    def hours(self) -> float:
        mc = self.meta["mel_config"]
        return float(self.mel_offsets[-1]) * mc["hop_length"] / mc["sample_rate"] / 3600.0
