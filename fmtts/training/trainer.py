"""The acoustic model's trainer: single process or DDP under torchrun, resumable, with EMA, AMP and
TensorBoard (the loop around its steps is :mod:`.loop`'s).

Determinism: the batch order is a pure function of (seed, epoch) and every RNG state is saved in the
checkpoint, so a run stopped at step N and resumed reproduces the uninterrupted run on CPU bit for bit.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch

from fmtts.config import Config, TrainConfig
from fmtts.data.cache import FeatureCache, prepared_cache_root
from fmtts.data.dataset import BucketBatchSampler, CachedDataset, collate
from fmtts.training.common import TrainingError, build_optimizer, refuse_existing_run
from fmtts.training.ema import EMA, warmed_decay
from fmtts.training.loop import Skipped, StepResult, TrainingLoop
from fmtts.training.lr_schedule import warmup_only, warmup_then_cosine
from fmtts.training.state import CheckpointState, build_model
from fmtts.training.validation import Validation


class EpochBatches(torch.utils.data.Dataset):
    """The collated batches of one epoch's batch list, by position (what DataLoader workers fetch)."""

    def __init__(self, dataset: CachedDataset, batches: list[list[int]]):
        self.dataset = dataset
        self.batches = batches

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, j: int) -> dict[str, torch.Tensor]:
        return collate([self.dataset[i] for i in self.batches[j]])


class Trainer(CheckpointState, Validation, TrainingLoop):
    """The acoustic model's training step; the loop in :mod:`.loop`, what checkpoints hold in
    :mod:`.state`, validation in :mod:`.validation`."""

    def __init__(
        self,
        cfg: Config,
        data_dir: str | Path,
        out_dir: str | Path,
        *,
        device: str = "auto",
        resume: bool = False,
        init_from: str | Path | None = None,
        max_steps: int | None = None,
        max_minutes: float | None = None,
        progress: bool = True,
        tensorboard: bool = True,
        vocoder: str | None = "auto",
    ):
        self.cfg = cfg
        self.out = Path(out_dir)
        if not resume:
            refuse_existing_run(self.out)
        t = cfg.train
        self._setup_runtime(
            device, t.threads, t.max_steps if max_steps is None else max_steps, max_minutes, progress
        )
        self._open_data(Path(data_dir))
        self._build_model(init_from)
        self.step = self.epoch = self.batch_in_epoch = 0
        if resume:
            self._resume()
        self._wrap_model()
        self.writer = self._open_writer(tensorboard)
        self.vocoder_name = vocoder
        self._vocoder = None

    # ------------------------------------------------------------------------------------------ setup
    def _open_data(self, data_dir: Path) -> None:
        """The prepared feature caches and the batch order over them."""
        cache_root = prepared_cache_root(data_dir)
        self.train_cache = FeatureCache(cache_root / "train")
        self.val_cache = (
            FeatureCache(cache_root / "val") if (cache_root / "val" / "meta.json").is_file() else None
        )
        self.meta = self.train_cache.meta
        self.speakers = self._check_speakers(cache_root)
        if self.cfg.data.use_durations and self.train_cache.durations is None:
            raise TrainingError(
                f"data.use_durations is set but {cache_root / 'train'} holds no durations "
                "(prepare a dataset with a durations/ folder)"
            )
        t = self.cfg.train
        self.sampler = BucketBatchSampler(
            self.train_cache.mel_lengths,
            t.batch_size,
            seed=t.seed,
            bucket_size=t.bucket_size,
            rank=self.dist.rank,
            world_size=self.dist.world_size,
        )

    def _check_speakers(self, cache_root: Path) -> list[str]:
        """The data's speaker names (empty for one speaker, unless the model keeps a speaker table for
        it), which must be as many as the model has."""
        names = self.train_cache.speakers
        n_model, n_data = self.cfg.model.n_speakers, self.train_cache.n_speakers
        if n_model != n_data:
            said = f"{n_data} speakers ({', '.join(names)})" if n_data > 1 else "one speaker"
            raise TrainingError(
                f"model.n_speakers is {n_model} but the data in {cache_root} has {said}: train it with "
                f"--set model.n_speakers={n_data} (or a recipe made for it)"
            )
        if self.val_cache is not None and self.val_cache.speakers != names:
            raise TrainingError(f"the val and train caches in {cache_root} name other speakers")
        return list(names) if n_data > 1 or self.cfg.model.speaker_table else []

    def _build_model(self, init_from: str | Path | None) -> None:
        """Seeded model, EMA, optimizer, schedule and (fp16 on CUDA) gradient scaler."""
        t = self.cfg.train
        torch.manual_seed(t.seed + self.dist.rank)
        np.random.seed(t.seed + self.dist.rank)
        random.seed(t.seed + self.dist.rank)
        self.model = build_model(self.cfg, self.meta).to(self.device)
        if init_from is not None:
            self._init_weights(init_from)
        self.model.freeze_except(t.trainable)
        if not any(p.requires_grad for p in self.model.parameters()):
            raise TrainingError(f"train.trainable {t.trainable}: this model has none of those parts")
        self.ema = EMA(self.model, t.ema_decay)
        self.optimizer = build_optimizer(self.model, t)
        schedule = (
            warmup_then_cosine(t.warmup_steps, t.max_steps)
            if t.lr_decay == "cosine"
            else warmup_only(t.warmup_steps)
        )
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, schedule)
        self._use_precision(t.precision)
        self.scaler = self._grad_scaler()

    def _wrap_model(self) -> None:
        """DDP across ranks, torch.compile when the recipe asks: what the loop calls."""
        self.ddp_model = self._data_parallel(self.model)
        self.forward = torch.compile(self.ddp_model) if self.cfg.train.compile else self.ddp_model

    # ------------------------------------------------------------------------------------------ step
    def _batches(self):
        workers = self.cfg.train.num_workers
        while True:
            self.sampler.set_epoch(self.epoch)
            batches = self.sampler.batches(self.epoch)
            ds = CachedDataset(self.train_cache, use_durations=self.cfg.data.use_durations)
            rest = EpochBatches(ds, batches[self.batch_in_epoch :])
            if workers > 0:
                # Same batches in the same order, collated ahead in worker processes. The loader's own
                # generator (seeded per run, epoch and rank) keeps its seed draw off the global RNG, so
                # resumed runs stay identical.
                seed = (self.cfg.train.seed * 1_000_003 + self.epoch) * 1009 + self.dist.rank
                loader = torch.utils.data.DataLoader(
                    rest,
                    batch_size=None,
                    num_workers=workers,
                    pin_memory=self.device.type == "cuda",
                    generator=torch.Generator().manual_seed(seed),
                )
            else:
                loader = (rest[j] for j in range(len(rest)))
            for batch in loader:
                self.batch_in_epoch += 1
                yield batch
            self.epoch += 1
            self.batch_in_epoch = 0

    def _forward_backward(self, batch: dict[str, torch.Tensor]):
        """Losses and gradients of one batch: (out, loss, grad_norm, None), or a description of why the
        step must be skipped (a non-finite loss on any rank, or a non-finite gradient norm) in place of
        None, with the gradients cleared."""
        with self._autocast():
            out = self.forward(
                batch["tokens"],
                batch["token_lengths"],
                batch["mels"],
                batch["mel_lengths"],
                speakers=batch.get("speakers"),
                durations=batch.get("durations"),
            )
        loss = out["duration"] + out["prior"] + out["flow"]
        self.optimizer.zero_grad(set_to_none=True)
        if not self._all_finite(loss):
            return out, loss, None, f"non-finite loss ({loss.item()})"
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.train.grad_clip)
        if not torch.isfinite(grad_norm):
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.update()
            return out, loss, grad_norm, "non-finite gradient norm"
        return out, loss, grad_norm, None

    def _take_step(self) -> StepResult:
        batch = {k: v.to(self.device, non_blocking=True) for k, v in next(self._batch_iter).items()}
        out, loss, grad_norm, problem = self._forward_backward(batch)
        if problem is not None:
            return Skipped(problem)
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        t, step = self.cfg.train, self.step + 1
        decay = 0.0 if step <= t.ema_start else warmed_decay(step, t.ema_decay)
        self.ema.update(self.model, decay)
        attn = out["attn"][0].detach().clone()  # not a view: the batch's buffers go with the step
        self._alignment = (attn, batch["token_lengths"][0], batch["mel_lengths"][0])
        return {
            "loss": loss.item(),
            "duration": out["duration"].item(),
            "prior": out["prior"].item(),
            "flow": out["flow"].item(),
            "grad_norm": grad_norm.item(),
        }

    def train(self) -> dict[str, float]:
        """Train until ``max_steps``, ``max_minutes`` of wall time or SIGINT/SIGTERM; always ends with a
        checkpoint."""
        self.model.train()
        self._batch_iter = self._batches()
        try:
            return self.run_loop()
        finally:
            self._batch_iter.close()

    # ------------------------------------------------------------------------------------------ hooks
    @property
    def run_settings(self) -> TrainConfig:
        return self.cfg.train

    def _learning_rate(self) -> float:
        return self.scheduler.get_last_lr()[0]

    def _postfix(self, values: dict[str, float]) -> dict[str, str]:
        return {
            "loss": f"{values['loss']:.3f}",
            "flow": f"{values['flow']:.3f}",
            "dur": f"{values['duration']:.3f}",
        }

    def _log_line(self, values: dict[str, float], steps_per_s: float) -> str:
        v = values
        return (
            f"step {self.step} loss {v['loss']:.4f} (dur {v['duration']:.4f} prior {v['prior']:.4f} "
            f"flow {v['flow']:.4f}) {steps_per_s:.2f} steps/s"
        )

    def _validate_in_loop(self) -> None:
        if self.val_cache is None:
            return
        attn, t_x, t_y = self._alignment
        self.validate(attn, int(t_x), int(t_y))
        self.model.train()
