"""Torch dataset over a feature cache, padding collate, and a length-bucketed (distributed) batch sampler."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from fmtts.data.cache import FeatureCache
from fmtts.data.padding import pad_mels, pad_tokens


class CachedDataset(Dataset):
    """Items of a feature cache; those of a multi-speaker cache also carry their speaker index."""

    def __init__(self, cache: FeatureCache, use_durations: bool = False):
        self.cache = cache
        self.use_durations = use_durations and cache.durations is not None
        self.with_speakers = cache.n_speakers > 1

    def __len__(self) -> int:
        return len(self.cache)

    def __getitem__(self, i: int) -> dict:
        tokens, mel, durs = self.cache.get(i)
        item = {"tokens": torch.from_numpy(tokens), "mel": torch.from_numpy(mel), "index": i}
        if self.use_durations:
            item["durations"] = torch.from_numpy(durs)
        if self.with_speakers:
            item["speaker"] = self.cache.speaker(i)
        return item


def collate(items: list[dict]) -> dict[str, torch.Tensor]:
    """Padded batch: tokens, token_lengths, mels, mel_lengths, index; durations and speakers (B,) where
    the items have them."""
    tokens, token_lengths = pad_tokens([it["tokens"] for it in items])
    mels, mel_lengths = pad_mels([it["mel"] for it in items])
    batch = {
        "tokens": tokens,
        "token_lengths": token_lengths,
        "mels": mels,
        "mel_lengths": mel_lengths,
        "index": torch.tensor([it["index"] for it in items]),
    }
    if "durations" in items[0]:
        batch["durations"] = pad_tokens([it["durations"] for it in items])[0]
    if "speaker" in items[0]:
        batch["speakers"] = torch.tensor([it["speaker"] for it in items], dtype=torch.long)
    return batch


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of similar length (less padding), in a random order that is a pure function of
    (seed, epoch): so a resumed run, and every DDP rank, sees exactly the batches it would have seen.

    Each epoch: shuffle indices, cut into windows of ``bucket_size`` batches, sort each window by
    length, cut into batches, shuffle the batches. With ``world_size`` > 1 every rank takes every
    world_size-th batch (the batch count is rounded down so ranks stay in step).
    """

    def __init__(
        self,
        lengths: np.ndarray,
        batch_size: int,
        seed: int = 0,
        bucket_size: int = 32,
        rank: int = 0,
        world_size: int = 1,
        shuffle: bool = True,
    ):
        if batch_size < 1:
            raise ValueError("batch_size must be ≥ 1")
        self.lengths = np.asarray(lengths)
        self.batch_size = batch_size
        self.seed = seed
        self.bucket_size = bucket_size
        self.rank = rank
        self.world_size = world_size
        self.shuffle = shuffle
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def batches(self, epoch: int) -> list[list[int]]:
        n = len(self.lengths)
        rng = np.random.default_rng([self.seed, epoch])
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        window = self.batch_size * self.bucket_size
        batches: list[list[int]] = []
        for start in range(0, n, window):
            chunk = order[start : start + window]
            chunk = chunk[np.argsort(self.lengths[chunk], kind="stable")]
            batches.extend(
                chunk[i : i + self.batch_size].tolist() for i in range(0, len(chunk), self.batch_size)
            )
        if self.shuffle:
            perm = rng.permutation(len(batches))
            batches = [batches[i] for i in perm]
        per_rank = len(batches) // self.world_size
        if per_rank == 0:
            raise ValueError(f"{n} utterances make fewer batches than the {self.world_size} ranks")
        return batches[self.rank : per_rank * self.world_size : self.world_size]

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches(self.epoch))

    def __len__(self) -> int:
        return len(self.batches(self.epoch))
