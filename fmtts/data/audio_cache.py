"""Audio-only caches for vocoder training, and the random segments drawn from them.

A cache folder holds one split: ``audio.npy`` (every clip's 16-bit samples, concatenated),
``offsets.npy`` (clip ``i`` is ``audio[offsets[i]:offsets[i + 1]]``) and ``meta.json`` (ids, sample
rate, how it was made). numpy alone reads it, memory-mapped, so a training machine needs no audio stack.

The split is copied from a prepared folder of the acoustic model (``--split-from``), so the vocoder never
trains on the clips that model is tested on; without one it is the dataset's own ``filelists/`` or a
seeded permutation.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fmtts.data.prepare import SPLITS, DatasetError, _given_splits, read_metadata, split_indices

log = logging.getLogger(__name__)
CACHE_VERSION = 1


class AudioCache:
    """One split's clips, memory-mapped."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        meta_path = self.folder / "meta.json"
        if not meta_path.is_file():
            raise DatasetError(f"{self.folder} is not an audio cache (no meta.json); prepare it first")
        self.meta = json.loads(meta_path.read_text())
        self.ids: list[str] = self.meta["ids"]
        self.sample_rate = int(self.meta["sample_rate"])
        self.audio = np.load(self.folder / "audio.npy", mmap_mode="r")
        self.offsets = np.load(self.folder / "offsets.npy")
        if len(self.offsets) != len(self.ids) + 1 or int(self.offsets[-1]) != len(self.audio):
            raise DatasetError(f"{self.folder}: offsets do not match the audio (damaged cache?)")

    def __len__(self) -> int:
        return len(self.ids)

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def clip(self, i: int) -> np.ndarray:
        """float32 samples of clip ``i`` in [-1, 1)."""
        a, b = int(self.offsets[i]), int(self.offsets[i + 1])
        return np.asarray(self.audio[a:b], dtype=np.float32) / 32768.0

    @property
    def hours(self) -> float:
        return len(self.audio) / self.sample_rate / 3600


def _write_split(folder: Path, clips: list[np.ndarray], ids: list[str], sample_rate: int, info: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    offsets = np.zeros(len(clips) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(c) for c in clips])
    audio = np.concatenate(clips) if clips else np.zeros(0, dtype=np.int16)
    np.save(folder / "audio.npy", audio)
    np.save(folder / "offsets.npy", offsets)
    meta = {"version": CACHE_VERSION, "ids": ids, "sample_rate": sample_rate, **info}
    tmp = folder / "meta.json.tmp"
    tmp.write_text(json.dumps(meta, indent=1))
    tmp.replace(folder / "meta.json")  # written last: a folder with meta.json is complete


def build_audio_cache(
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    sample_rate: int,
    min_seconds: float,
    max_seconds: float,
    val_fraction: float,
    test_fraction: float,
    split_seed: int,
    split_from: str | Path | None = None,
    progress: bool = True,
) -> dict[str, AudioCache]:
    """LJSpeech-format folder → ``out_dir/{train,val,test}`` audio caches (reused when made with the same
    settings). Unreadable, silent-length or out-of-range clips are skipped and reported.

    The split: ``split_from`` (a folder made by ``fmtts prepare``, whose ``filelists/`` it copies, so the
    vocoder never trains on the acoustic model's test clips), else the dataset's own ``filelists/``,
    else the seeded permutation with these fractions."""
    from tqdm import tqdm

    from fmtts.audio import AudioError, load_audio

    out = Path(out_dir)
    settings = {
        "data": str(Path(data_dir).resolve()),
        "sample_rate": sample_rate,
        "min_seconds": min_seconds,
        "max_seconds": max_seconds,
        "val_fraction": val_fraction,
        "test_fraction": test_fraction,
        "split_seed": split_seed,
        "split_from": str(Path(split_from).resolve()) if split_from else None,
    }
    if all((out / s / "meta.json").is_file() for s in SPLITS):
        if all(json.loads((out / s / "meta.json").read_text()).get("settings") == settings for s in SPLITS):
            log.info("reusing audio cache in %s", out)
            return {s: AudioCache(out / s) for s in SPLITS}
        log.warning("%s holds an audio cache made with other settings: rebuilding it", out)
    for split in SPLITS:  # a rebuild starts by removing the completion markers other ranks wait for
        (out / split / "meta.json").unlink(missing_ok=True)
    utts, skipped = read_metadata(data_dir)
    texts = {u.utt_id: u.text for u in utts}
    kept, clips = [], []
    for u in tqdm(utts, desc="audio cache", unit="clip", disable=not progress):
        try:
            wav = load_audio(u.wav, sample_rate)
        except AudioError as exc:
            skipped.append({"id": u.utt_id, "reason": str(exc)})
            continue
        seconds = len(wav) / sample_rate
        if not (min_seconds <= seconds <= max_seconds):
            skipped.append({"id": u.utt_id, "reason": f"duration {seconds:.2f}s outside range"})
            continue
        kept.append(u.utt_id)
        clips.append(np.clip(np.round(wav * 32767.0), -32768, 32767).astype(np.int16))
    if len(kept) < 3:
        raise DatasetError(f"only {len(kept)} usable clips in {data_dir}: need at least 3")
    if split_from is not None:
        parts = _given_splits(Path(split_from), kept)
        if parts is None:
            raise DatasetError(
                f"--split-from {split_from} has no filelists/train.txt (not a prepared folder?)"
            )
    else:
        parts = _given_splits(Path(data_dir), kept) or split_indices(
            len(kept), val_fraction, test_fraction, split_seed
        )
    for split in SPLITS:
        idx = [int(i) for i in parts[split]]
        info = {"settings": settings, "skipped": skipped if split == "train" else []}
        _write_split(out / split, [clips[i] for i in idx], [kept[i] for i in idx], sample_rate, info)
        # id|text lines: `fmtts evaluate --data DATA --filelist OUT/filelists/test.txt` scores held-out clips
        (out / "filelists").mkdir(parents=True, exist_ok=True)
        lines = "".join(f"{kept[i]}|{texts[kept[i]]}\n" for i in idx)
        (out / "filelists" / f"{split}.txt").write_text(lines, encoding="utf-8")
    if skipped:
        log.warning("audio cache: skipped %d clips (see %s)", len(skipped), out / "train" / "meta.json")
    return {s: AudioCache(out / s) for s in SPLITS}


@dataclass
class SegmentBatch:
    context: np.ndarray  # (B, (frames - 1) * hop + n_fft): the target plus the mel's context on each side
    audio: np.ndarray  # (B, frames * hop): what the vocoder must produce from the mel of ``context``
    teacher: np.ndarray | None = None  # (B, frames * hop): a teacher vocoder's output there, if given


class SegmentSampler:
    """Random fixed-length segments, drawn as a pure function of (seed, rank, step): a resumed run sees
    the same batches as an uninterrupted one without any sampler state in the checkpoint. ``teacher``:
    a cache with the same clips and offsets (:mod:`fmtts.training.teacher`), cut at the same places."""

    def __init__(
        self,
        cache: AudioCache,
        frames: int,
        hop: int,
        n_fft: int,
        seed: int,
        rank: int = 0,
        teacher: AudioCache | None = None,
    ):
        self.cache = cache
        self.teacher = teacher
        self.frames = frames
        self.hop = hop
        self.pad = (n_fft - hop) // 2
        self.seed = seed
        self.rank = rank
        lengths = cache.lengths().astype(np.float64)
        self.weights = lengths / lengths.sum()  # every second of audio equally likely

    def batch(self, step: int, batch_size: int, attempt: int = 0) -> SegmentBatch:
        """``attempt``: 0 for a step's first try; a step skipped for a non-finite loss is retried with
        1, 2, ... on other segments (still a pure function of the arguments, so resume stays exact)."""
        key = [self.seed, self.rank, step] + ([attempt] if attempt else [])
        rng = np.random.default_rng(key)
        picks = rng.choice(len(self.cache), size=batch_size, p=self.weights)
        seg = self.frames * self.hop
        contexts, targets, taught = [], [], []
        for i in picks:
            clip = self.cache.clip(int(i))
            if len(clip) < seg:
                clip = np.pad(clip, (0, seg - len(clip)))
            padded = np.pad(clip, (self.pad, self.pad), mode="reflect")  # as the HiFi-GAN mel pads
            start = int(rng.integers(0, len(clip) // self.hop - self.frames + 1)) * self.hop
            targets.append(clip[start : start + seg])
            contexts.append(padded[start : start + seg + 2 * self.pad])
            if self.teacher is not None:
                t = self.teacher.clip(int(i))
                taught.append(np.pad(t, (0, max(0, seg - len(t))))[start : start + seg])
        return SegmentBatch(np.stack(contexts), np.stack(targets), np.stack(taught) if taught else None)
