"""Training loop: single process or DDP under torchrun, resumable, with EMA, AMP and TensorBoard.

Determinism: the batch order is a pure function of (seed, epoch) and every RNG state is saved in the
checkpoint, so a run stopped at step N and resumed reproduces the uninterrupted run on CPU bit for bit.
"""

from __future__ import annotations

import contextlib
import logging
import math
import random
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist

from fmtts.config import Config, TrainConfig
from fmtts.data.cache import FeatureCache
from fmtts.data.dataset import BucketBatchSampler, CachedDataset, collate
from fmtts.training.common import (
    StopControl,
    TrainingError,
    progress_bar,
    refuse_existing_run,
    setup_runtime,
)
from fmtts.training.state import CheckpointState, build_model
from fmtts.training.validation import Validation

log = logging.getLogger(__name__)


class EMA:
    """Exponential moving average of parameters and floating-point buffers (integer buffers are copied)."""

    def __init__(self, model: torch.nn.Module, decay: float):
        self.decay = decay
        self.state = {k: v.detach().clone() for k, v in model.state_dict().items()}

    @torch.no_grad()
    def update(self, model: torch.nn.Module, decay: float | None = None) -> None:
        d = self.decay if decay is None else decay
        current = model.state_dict()
        floats = [k for k, v in current.items() if v.dtype.is_floating_point]
        # One multi-tensor lerp (e += (1 - d)·(v - e)) instead of two kernels per tensor.
        torch._foreach_lerp_([self.state[k] for k in floats], [current[k].detach() for k in floats], 1.0 - d)
        for k, v in current.items():
            if not v.dtype.is_floating_point:
                self.state[k].copy_(v)


class EpochBatches(torch.utils.data.Dataset):
    """The collated batches of one epoch's batch list, by position (what DataLoader workers fetch)."""

    def __init__(self, dataset: CachedDataset, batches: list[list[int]]):
        self.dataset = dataset
        self.batches = batches

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, j: int) -> dict[str, torch.Tensor]:
        return collate([self.dataset[i] for i in self.batches[j]])


def build_optimizer(model: torch.nn.Module, t: TrainConfig) -> torch.optim.Optimizer:
    """AdamW, fused into one kernel over all parameters where torch has one for their device (CPU and
    CUDA): the per-parameter loop cost ~8 % of a training step on the CPU. Moments are stored alike
    either way; resuming keeps this optimizer's kernel choice (`_with_kernel_choice`)."""
    params = list(model.parameters())
    fused = bool(params) and all(p.device.type in ("cpu", "cuda") and p.is_floating_point() for p in params)
    return torch.optim.AdamW(params, lr=t.lr, betas=tuple(t.betas), weight_decay=t.weight_decay, fused=fused)


def lr_lambda(cfg: Config):
    t = cfg.train

    def f(step: int) -> float:
        warm = min(1.0, (step + 1) / max(1, t.warmup_steps))
        if t.lr_decay == "cosine" and step > t.warmup_steps:
            frac = (step - t.warmup_steps) / max(1, t.max_steps - t.warmup_steps)
            return warm * 0.5 * (1.0 + math.cos(math.pi * min(1.0, frac)))
        return warm

    return f


class Trainer(CheckpointState, Validation):
    """The acoustic model's training loop; checkpoints and resume in :mod:`.state`, validation in
    :mod:`.validation`."""

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
        self._setup_runtime(device, max_steps, max_minutes, progress)
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
    def _setup_runtime(self, device: str, max_steps: int | None, max_minutes: float | None, progress: bool):
        """Process group, device, threads, limits."""
        self.dist, self.device = setup_runtime(device, self.cfg.train.threads)
        self.max_steps = max_steps if max_steps is not None else self.cfg.train.max_steps
        self.max_seconds = None if max_minutes is None else 60.0 * max_minutes
        self.progress = progress and self.dist.main

    def _open_data(self, data_dir: Path) -> None:
        """The prepared feature caches and the batch order over them."""
        cache_root = data_dir / "cache" if (data_dir / "cache" / "train").is_dir() else data_dir
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
        """The data's speaker names (empty for one speaker), which must be as many as the model has."""
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
        return list(names) if n_data > 1 else []

    def _build_model(self, init_from: str | Path | None) -> None:
        """Seeded model, EMA, optimizer, schedule and (fp16 on CUDA) gradient scaler."""
        t = self.cfg.train
        torch.manual_seed(t.seed + self.dist.rank)
        np.random.seed(t.seed + self.dist.rank)
        random.seed(t.seed + self.dist.rank)
        self.model = build_model(self.cfg, self.meta).to(self.device)
        if init_from is not None:
            self._init_weights(init_from)
        self.ema = EMA(self.model, t.ema_decay)
        self.optimizer = build_optimizer(self.model, t)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lr_lambda(self.cfg))
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(t.precision)
        use_scaler = self.amp_dtype == torch.float16 and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=use_scaler)

    def _wrap_model(self) -> None:
        """DDP across ranks, torch.compile when the recipe asks: what the loop calls."""
        self.ddp_model: torch.nn.Module = self.model
        if self.dist.world_size > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.ddp_model = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        self.forward = torch.compile(self.ddp_model) if self.cfg.train.compile else self.ddp_model

    def _open_writer(self, tensorboard: bool):
        if not (tensorboard and self.dist.main):
            return None
        from torch.utils.tensorboard import SummaryWriter

        return SummaryWriter(str(self.out / "tensorboard"))

    # ------------------------------------------------------------------------------------------ loop
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

    def _autocast(self):
        if self.amp_dtype is None or self.device.type != "cuda":
            return contextlib.nullcontext()
        return torch.autocast("cuda", dtype=self.amp_dtype)

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
        finite = torch.isfinite(loss)
        if self.dist.world_size > 1:  # every rank skips together, or DDP would wait forever
            flag = finite.float().to(self.device)
            dist.all_reduce(flag, op=dist.ReduceOp.MIN)
            finite = flag > 0
        if not bool(finite):
            return out, loss, None, f"non-finite loss ({loss.item()})"
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.train.grad_clip)
        if not torch.isfinite(grad_norm):
            self.optimizer.zero_grad(set_to_none=True)
            self.scaler.update()
            return out, loss, grad_norm, "non-finite gradient norm"
        return out, loss, grad_norm, None

    def train(self) -> dict[str, float]:
        """Train until ``max_steps``, ``max_minutes`` of wall time or SIGINT/SIGTERM; always ends with a
        checkpoint."""
        with StopControl(self.dist, self.device, self.max_seconds) as stop:
            return self._train(stop)

    def _train(self, stop: StopControl) -> dict[str, float]:
        t = self.cfg.train
        self.model.train()
        bar = progress_bar(self.max_steps, self.step, self.progress)
        bad = 0
        last: dict[str, float] = {}
        tick = time.perf_counter()
        tick_step = self.step
        batches = self._batches()
        while self.step < self.max_steps:
            reason = stop.reason()
            if reason:
                log.info("stopping at step %d (%s)", self.step, reason)
                self.save()
                break
            batch = {k: v.to(self.device, non_blocking=True) for k, v in next(batches).items()}
            out, loss, grad_norm, problem = self._forward_backward(batch)
            if problem is not None:
                bad += 1
                warnings.warn(f"step {self.step}: {problem}, step skipped", stacklevel=1)
                if bad >= t.max_bad_steps:
                    path = self.save()
                    raise TrainingError(
                        f"{bad} steps in a row skipped at step {self.step} (last: {problem}); stopped. "
                        f"Last good weights saved to {path}. Lower the learning rate or check the data."
                    )
                continue
            bad = 0
            self.scaler.step(self.optimizer)
            self.scaler.update()
            self.scheduler.step()
            self.step += 1
            decay = 0.0 if self.step <= t.ema_start else min(t.ema_decay, (1 + self.step) / (10 + self.step))
            self.ema.update(self.model, decay)

            last = {
                "loss": loss.item(),
                "duration": out["duration"].item(),
                "prior": out["prior"].item(),
                "flow": out["flow"].item(),
                "grad_norm": grad_norm.item(),
            }
            bar.update(1)
            if self.step % t.log_every == 0 or self.step == self.max_steps:
                now = time.perf_counter()
                sps = (self.step - tick_step) / max(now - tick, 1e-9)
                tick, tick_step = now, self.step
                bar.set_postfix(
                    loss=f"{last['loss']:.3f}", flow=f"{last['flow']:.3f}", dur=f"{last['duration']:.3f}"
                )
                if self.writer is not None:
                    for k, v in last.items():
                        self.writer.add_scalar(f"train/{k}", v, self.step)
                    self.writer.add_scalar("train/lr", self.scheduler.get_last_lr()[0], self.step)
                    self.writer.add_scalar("train/steps_per_s", sps, self.step)
                if self.dist.main and not self.progress:
                    log.info(
                        "step %d loss %.4f (dur %.4f prior %.4f flow %.4f) %.2f steps/s",
                        self.step,
                        last["loss"],
                        last["duration"],
                        last["prior"],
                        last["flow"],
                        sps,
                    )
            if self.step % t.checkpoint_every == 0 or self.step == self.max_steps:
                self.save()
            if self.val_cache is not None and t.val_every and self.step % t.val_every == 0 and self.dist.main:
                self.validate(out["attn"][0], int(batch["token_lengths"][0]), int(batch["mel_lengths"][0]))
                self.model.train()
        bar.close()
        if self.writer is not None:
            self.writer.flush()
        return last

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.dist.world_size > 1 and dist.is_initialized():
            dist.destroy_process_group()
