"""The acoustic trainer's checkpoints: what they hold, writing them, resuming and fine-tuning from them.

A mixin of :class:`fmtts.training.trainer.Trainer`: it uses the trainer's model, EMA, optimizer,
scheduler, scaler, counters and process group.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch.distributed as dist

from fmtts import __version__
from fmtts.checkpoint import (
    inference_state,
    list_checkpoints,
    load_checkpoint,
    prune_checkpoints,
    save_checkpoint,
)
from fmtts.config import Config
from fmtts.models.tts import FlowTTS
from fmtts.training.common import (
    TrainingError,
    _with_kernel_choice,
    learning_part,
    newest_readable_checkpoint,
    rng_state,
    set_rng_state,
)

log = logging.getLogger(__name__)


def build_model(cfg: Config, meta: dict) -> FlowTTS:
    n_vocab = len(meta["text"]["symbols"]["symbols"])
    stats = meta["mel_stats"]
    return FlowTTS(cfg.model, n_vocab, stats["mean"], stats["std"])


class CheckpointState:
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
        # Keep this dataset's statistics; the source voice's pace calibration is not this voice's.
        self.model.mel_mean.fill_(self.meta["mel_stats"]["mean"])
        self.model.mel_std.fill_(self.meta["mel_stats"]["std"])
        self.model.duration_scale.fill_(1.0)

    def _resume(self) -> None:
        ckpts = list_checkpoints(self.out / "checkpoints")
        if not ckpts:
            log.warning("--resume: no checkpoint in %s, starting from scratch", self.out / "checkpoints")
            return
        path, ckpt = newest_readable_checkpoint(ckpts)
        if learning_part(ckpt["config"]) != learning_part(self.cfg.to_dict()):
            raise TrainingError(
                f"{path} was written with another config; resume with the same recipe "
                "(or start a new run directory)"
            )
        self.model.load_state_dict(ckpt["model"])
        self.ema.state = {k: v.to(self.device) for k, v in ckpt["ema"].items()}
        self.optimizer.load_state_dict(_with_kernel_choice(ckpt["optimizer"], self.optimizer))
        self.scheduler.load_state_dict(ckpt["scheduler"])
        if ckpt.get("scaler"):
            self.scaler.load_state_dict(ckpt["scaler"])
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
