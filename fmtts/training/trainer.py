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
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from fmtts import __version__
from fmtts.checkpoint import (
    inference_state,
    list_checkpoints,
    load_checkpoint,
    prune_checkpoints,
    save_checkpoint,
)
from fmtts.config import Config, TrainConfig
from fmtts.data.cache import FeatureCache
from fmtts.data.dataset import BucketBatchSampler, CachedDataset, collate
from fmtts.models.tts import FlowTTS
from fmtts.sampling import SamplerConfig
from fmtts.training.common import (
    TrainingError,
    _NoBar,
    _progress_bar,
    _with_kernel_choice,
    init_distributed,
    mel_image,
    newest_readable_checkpoint,
    resolve_device,
    rng_state,
    set_rng_state,
)

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


def build_model(cfg: Config, meta: dict) -> FlowTTS:
    n_vocab = len(meta["text"]["symbols"]["symbols"])
    stats = meta["mel_stats"]
    return FlowTTS(cfg.model, n_vocab, stats["mean"], stats["std"])


class Trainer:
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
        self.dist = init_distributed(
            device if device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
        )
        self.device = resolve_device(device, self.dist)
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        if cfg.train.threads and self.device.type == "cpu":
            torch.set_num_threads(cfg.train.threads)
        self.max_steps = max_steps if max_steps is not None else cfg.train.max_steps
        self.max_seconds = None if max_minutes is None else 60.0 * max_minutes
        self.progress = progress and self.dist.main
        data_dir = Path(data_dir)
        cache_root = data_dir / "cache" if (data_dir / "cache" / "train").is_dir() else data_dir
        self.train_cache = FeatureCache(cache_root / "train")
        self.val_cache = (
            FeatureCache(cache_root / "val") if (cache_root / "val" / "meta.json").is_file() else None
        )
        self.meta = self.train_cache.meta
        if cfg.data.use_durations and self.train_cache.durations is None:
            raise TrainingError(
                f"data.use_durations is set but {cache_root / 'train'} holds no durations "
                "(prepare a dataset with a durations/ folder)"
            )

        torch.manual_seed(cfg.train.seed + self.dist.rank)
        np.random.seed(cfg.train.seed + self.dist.rank)
        random.seed(cfg.train.seed + self.dist.rank)
        self.model = build_model(cfg, self.meta).to(self.device)
        if init_from is not None:
            self._init_weights(init_from)
        self.ema = EMA(self.model, cfg.train.ema_decay)
        t = cfg.train
        self.optimizer = build_optimizer(self.model, t)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, lr_lambda(cfg))
        self.step = 0
        self.epoch = 0
        self.batch_in_epoch = 0
        if resume:
            self._resume()
        self.ddp_model: torch.nn.Module = self.model
        if self.dist.world_size > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.ddp_model = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        self.forward = torch.compile(self.ddp_model) if t.compile else self.ddp_model
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(t.precision)
        use_scaler = self.amp_dtype == torch.float16 and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=use_scaler)
        if getattr(self, "_scaler_state", None):
            self.scaler.load_state_dict(self._scaler_state)
        self.sampler = BucketBatchSampler(
            self.train_cache.mel_lengths,
            t.batch_size,
            seed=t.seed,
            bucket_size=t.bucket_size,
            rank=self.dist.rank,
            world_size=self.dist.world_size,
        )
        self.writer = None
        if tensorboard and self.dist.main:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(str(self.out / "tensorboard"))
        self.vocoder_name = vocoder
        self._vocoder = None

    # ------------------------------------------------------------------------------------------ state
    def _init_weights(self, path: str | Path) -> None:
        """Fine-tuning: take model weights (EMA if present) from another checkpoint; fresh optimizer."""
        ckpt = load_checkpoint(path)
        if ckpt["text"] != self.meta["text"]:
            raise TrainingError(
                f"{path} was trained with another symbol table than this data; cannot fine-tune"
            )
        state = inference_state(ckpt)
        missing, unexpected = self.model.load_state_dict(state, strict=False)
        if missing or unexpected:
            raise TrainingError(
                f"{path} does not fit this model config: missing {missing[:5]}, unexpected {unexpected[:5]}"
            )
        # Keep this dataset's statistics.
        self.model.mel_mean.fill_(self.meta["mel_stats"]["mean"])
        self.model.mel_std.fill_(self.meta["mel_stats"]["std"])

    def _resume(self) -> None:
        ckpts = list_checkpoints(self.out / "checkpoints")
        if not ckpts:
            log.warning("--resume: no checkpoint in %s, starting from scratch", self.out / "checkpoints")
            return
        path, ckpt = newest_readable_checkpoint(ckpts)
        if ckpt["config"] != self.cfg.to_dict():
            raise TrainingError(
                f"{path} was written with another config; resume with the same recipe "
                "(or start a new run directory)"
            )
        self.model.load_state_dict(ckpt["model"])
        self.ema.state = {k: v.to(self.device) for k, v in ckpt["ema"].items()}
        self.optimizer.load_state_dict(_with_kernel_choice(ckpt["optimizer"], self.optimizer))
        self.scheduler.load_state_dict(ckpt["scheduler"])
        self._scaler_state = ckpt.get("scaler")  # applied once the scaler exists
        self.step, self.epoch, self.batch_in_epoch = ckpt["step"], ckpt["epoch"], ckpt["batch_in_epoch"]
        rng = ckpt["rng"]
        set_rng_state(rng[self.dist.rank] if isinstance(rng, list) and self.dist.rank < len(rng) else rng[0])
        if self.dist.main:
            log.info("resumed from %s at step %d", path, self.step)

    def payload(
        self, with_training_state: bool = True, rng: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The checkpoint dict. Under DDP, gathering the RNG states is a collective: pass ``rng`` when only
        rank 0 builds the payload."""
        p = {
            "fmtts_version": __version__,
            "config": self.cfg.to_dict(),
            "text": self.meta["text"],
            "mel_config": self.meta["mel_config"],
            "mel_stats": self.meta["mel_stats"],
            "model": self.model.state_dict(),
            "ema": self.ema.state,
            "step": self.step,
        }
        if with_training_state:
            p.update(
                optimizer=self.optimizer.state_dict(),
                scheduler=self.scheduler.state_dict(),
                scaler=self.scaler.state_dict(),
                epoch=self.epoch,
                batch_in_epoch=self.batch_in_epoch,
                rng=rng if rng is not None else self._gather_rng(),
            )
        return p

    def _gather_rng(self) -> list[dict[str, Any]]:
        mine = rng_state()
        if self.dist.world_size == 1:
            return [mine]
        states: list[Any] = [None] * self.dist.world_size
        dist.all_gather_object(states, mine)
        return states

    def save(self) -> Path | None:
        rng = self._gather_rng() if self.dist.world_size > 1 else None
        if not self.dist.main:
            return None
        p = self.payload(rng=rng)  # not payload(): gathering again on rank 0 alone would desync the ranks
        path = save_checkpoint(p, self.out / "checkpoints" / f"step_{self.step:08d}.pt")
        prune_checkpoints(self.out / "checkpoints", self.cfg.train.keep_checkpoints)
        return path

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

    def _time_is_up(self, started: float) -> bool:
        """Rank 0's clock decides, so every DDP rank stops after the same step."""
        up = time.perf_counter() - started > self.max_seconds
        if self.dist.world_size > 1:
            flag = torch.tensor([1.0 if up else 0.0], device=self.device)
            dist.broadcast(flag, 0)
            up = bool(flag.item() > 0)
        return up

    def _autocast(self):
        if self.amp_dtype is None or self.device.type != "cuda":
            return contextlib.nullcontext()
        return torch.autocast("cuda", dtype=self.amp_dtype)

    def train(self) -> dict[str, float]:
        """Train until ``max_steps`` (or ``max_minutes`` of wall time); always ends with a checkpoint."""
        t = self.cfg.train
        self.model.train()
        bar = _progress_bar(self.max_steps, self.step, self.progress)
        started = time.perf_counter()
        bad = 0
        last: dict[str, float] = {}
        tick = time.perf_counter()
        tick_step = self.step
        batches = self._batches()
        while self.step < self.max_steps:
            if self.max_seconds is not None and self._time_is_up(started):
                log.info("time limit reached at step %d", self.step)
                self.save()
                break
            batch = {k: v.to(self.device, non_blocking=True) for k, v in next(batches).items()}
            with self._autocast():
                out = self.forward(
                    batch["tokens"],
                    batch["token_lengths"],
                    batch["mels"],
                    batch["mel_lengths"],
                    durations=batch.get("durations"),
                )
            loss = out["duration"] + out["prior"] + out["flow"]
            self.optimizer.zero_grad(set_to_none=True)
            finite = torch.isfinite(loss)
            if self.dist.world_size > 1:
                flag = finite.float().to(self.device)
                dist.all_reduce(flag, op=dist.ReduceOp.MIN)
                finite = flag > 0
            if not bool(finite):
                bad += 1
                warnings.warn(
                    f"step {self.step}: non-finite loss ({loss.item()}), step skipped", stacklevel=1
                )
                if bad >= t.max_bad_steps:
                    path = self.save()
                    raise TrainingError(
                        f"{bad} non-finite losses in a row at step {self.step}; stopped. Last good "
                        f"weights saved to {path}. Lower the learning rate or check the data."
                    )
                continue
            self.scaler.scale(loss).backward()
            self.scaler.unscale_(self.optimizer)
            grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), t.grad_clip)
            if not torch.isfinite(grad_norm):
                bad += 1
                self.optimizer.zero_grad(set_to_none=True)
                self.scaler.update()
                warnings.warn(f"step {self.step}: non-finite gradient norm, step skipped", stacklevel=1)
                if bad >= t.max_bad_steps:
                    path = self.save()
                    raise TrainingError(
                        f"{bad} non-finite gradients in a row at step {self.step}; stopped. "
                        f"Last good weights saved to {path}."
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
                if self.dist.main and isinstance(bar, _NoBar):
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

    # ------------------------------------------------------------------------------------------ validation
    def _get_vocoder(self):
        if self._vocoder is None and self.vocoder_name:
            from fmtts.vocoder import load_vocoder

            name = self.vocoder_name
            try:
                self._vocoder = load_vocoder("universal" if name == "auto" else name, device=str(self.device))
            except Exception as exc:  # no weights installed: fall back to Griffin-Lim for listening
                log.warning("validation vocoder unavailable (%s); using Griffin-Lim", exc)
                self._vocoder = load_vocoder("griffinlim", device=str(self.device))
        return self._vocoder

    @torch.no_grad()
    def validate(
        self, train_attn: torch.Tensor | None = None, t_x: int = 0, t_y: int = 0
    ) -> dict[str, float]:
        """Validation losses (teacher-forced, EMA weights) and a few synthesised utterances to TensorBoard."""
        assert self.val_cache is not None
        model = build_model(self.cfg, self.meta).to(self.device)
        model.load_state_dict(self.ema.state)
        model.eval()
        ds = CachedDataset(self.val_cache)
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):  # leaves the training RNG streams untouched
            torch.manual_seed(0)
            return self._validate(model, ds, train_attn, t_x, t_y)

    def _validate(self, model, ds, train_attn, t_x: int, t_y: int) -> dict[str, float]:
        totals: dict[str, float] = {"duration": 0.0, "prior": 0.0, "flow": 0.0}
        n = 0
        for start in range(0, min(len(ds), 64), self.cfg.train.batch_size):
            batch = collate(
                [ds[i] for i in range(start, min(len(ds), start + self.cfg.train.batch_size, 64))]
            )
            batch = {k: v.to(self.device) for k, v in batch.items()}
            out = model(batch["tokens"], batch["token_lengths"], batch["mels"], batch["mel_lengths"])
            for k in totals:
                totals[k] += float(out[k]) * len(batch["index"])
            n += len(batch["index"])
        result = {k: v / max(n, 1) for k, v in totals.items()}
        if self.writer is not None:
            for k, v in result.items():
                self.writer.add_scalar(f"val/{k}", v, self.step)
            if train_attn is not None:
                a = train_attn[:t_x, :t_y].float().cpu().numpy()[::-1]
                self.writer.add_image("train/alignment", np.stack([a, a, a]), self.step)
            vocoder = self._get_vocoder()
            for i in range(min(self.cfg.train.val_utterances, len(ds))):
                item = collate([ds[i]])
                g = torch.Generator(device=self.device).manual_seed(i)
                syn = model.synthesize(
                    item["tokens"].to(self.device),
                    item["token_lengths"].to(self.device),
                    sampler=SamplerConfig(steps=self.cfg.train.synth_steps),
                    generator=g,
                )
                mel = syn.mel[0, :, : int(syn.mel_lengths[0])].float().cpu()
                self.writer.add_image(f"val/mel_{i}", mel_image(mel.numpy()), self.step)
                if self.step == self.cfg.train.val_every:
                    self.writer.add_image(
                        f"val/mel_{i}_target", mel_image(item["mels"][0].numpy()), self.step
                    )
                if vocoder is not None:
                    wav = vocoder(mel.to(self.device)).flatten().float().cpu()
                    self.writer.add_audio(f"val/audio_{i}", wav, self.step, sample_rate=vocoder.sample_rate)
        return result

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.dist.world_size > 1 and dist.is_initialized():
            dist.destroy_process_group()
