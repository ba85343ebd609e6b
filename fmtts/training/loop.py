"""The training loop that every fmtts trainer runs: the acoustic model (:mod:`.trainer`), the vocoder
(:mod:`.vocoder_trainer`) and few-step distillation (:mod:`.distill`).

:class:`TrainingLoop` owns what a run does around its steps: stopping on SIGINT/SIGTERM, ``max_steps`` or
``max_minutes`` (under DDP every rank after the same step); counting steps skipped for a non-finite loss
or gradient and giving up after ``max_bad_steps`` of them in a row; the progress bar; logging every
``log_every`` steps (TensorBoard, log lines); atomic checkpoints every ``checkpoint_every`` steps and at
the step the run ends; validation every ``val_every`` steps; resuming from the newest readable checkpoint.
A trainer supplies one optimizer step (:meth:`TrainingLoop._take_step`), what its checkpoints hold
(``payload`` and ``_restore``) and its validation (``_validate_in_loop``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol

import torch
import torch.distributed as dist

from fmtts.checkpoint import list_checkpoints, load_checkpoint, prune_checkpoints, save_checkpoint
from fmtts.training.common import (
    DistInfo,
    StopControl,
    TrainingError,
    drop_records_after,
    newest_readable_checkpoint,
    progress_bar,
    rng_state,
    set_rng_state,
    setup_runtime,
)

VALIDATION_RECORDS = "validation.jsonl"  # one JSON line per validation, in the run folder
AMP_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


class RunSettings(Protocol):
    """How a run is steered: fields that acoustic and vocoder ``train`` sections and distillation
    settings all have (which of them a resumed run may change is each trainer's resume check)."""

    log_every: int
    checkpoint_every: int
    keep_checkpoints: int
    val_every: int  # 0: never
    max_bad_steps: int


@dataclass(frozen=True)
class Skipped:
    """A step that changed nothing (a non-finite loss or gradient; under DDP on every rank alike)."""

    reason: str


StepResult = dict[str, float] | Skipped


class TrainingLoop(ABC):
    """The loop and its checkpoints; a trainer subclasses it and sets the attributes below in its
    constructor (:meth:`_setup_runtime` sets the run's process group, device and limits)."""

    run_name: ClassVar[str] = "train"  # the progress bar's label and the TensorBoard section
    # log the mean of each value over the steps since the last log line, not the last step's value
    log_mean_since_last: ClassVar[bool] = False

    out: Path
    dist: DistInfo
    device: torch.device
    step: int
    max_steps: int
    max_seconds: float | None
    progress: bool
    writer: Any = None  # a TensorBoard SummaryWriter on rank 0, or None
    amp_dtype: torch.dtype | None = None
    attempt: int = 0  # tries at the current step that were skipped so far
    last_checkpoint: Path | None = None
    _saved_step: int | None = None  # the step of the newest checkpoint on disk, when this run knows it

    # ------------------------------------------------------------------------------ what a trainer supplies
    @property
    @abstractmethod
    def run_settings(self) -> RunSettings: ...

    @abstractmethod
    def _take_step(self) -> StepResult:
        """One optimizer step: the values to log (losses, gradient norms), or :class:`Skipped`."""

    @abstractmethod
    def payload(self, *, rng: list[dict[str, Any]]) -> dict[str, Any]:
        """The checkpoint dict; ``rng`` holds every rank's RNG state."""

    @abstractmethod
    def _restore(self, path: Path, ckpt: dict[str, Any]) -> None:
        """Continue the run of checkpoint ``ckpt`` (read from ``path``): weights, optimizer, counters, RNG
        state; a checkpoint written with other learning settings is refused."""

    @abstractmethod
    def _validate_in_loop(self) -> None:
        """Validate at the current step (rank 0 only), leaving the model ready to train on."""

    @abstractmethod
    def _learning_rate(self) -> float:
        """The learning rate of the next step, for the logs."""

    def _read_checkpoint(self, path: Path) -> dict[str, Any]:
        return load_checkpoint(path)

    def _postfix(self, values: dict[str, float]) -> dict[str, str]:
        """What the progress bar shows beside the step count."""
        return {k: f"{v:.3f}" for k, v in values.items()}

    def _log_line(self, values: dict[str, float], steps_per_s: float) -> str:
        """The log line of a logging step when there is no progress bar."""
        shown = " ".join(f"{k} {v:.4f}" for k, v in values.items())
        return f"step {self.step} {shown} {steps_per_s:.2f} steps/s"

    # ------------------------------------------------------------------------------------------ setup
    @property
    def _logger(self) -> logging.Logger:
        """The trainer's own module's logger, so that its log lines keep their source's name."""
        return logging.getLogger(type(self).__module__)

    def _setup_runtime(
        self, device: str, threads: int | None, max_steps: int, max_minutes: float | None, progress: bool
    ) -> None:
        """Process group (under torchrun), device, CPU threads, limits."""
        self.dist, self.device = setup_runtime(device, threads)
        self.max_steps = max_steps
        self.max_seconds = None if max_minutes is None else 60.0 * max_minutes
        self.progress = progress and self.dist.main

    def _open_writer(self, tensorboard: bool) -> Any:
        """TensorBoard's writer for ``out/tensorboard`` on rank 0, when asked for."""
        if not (tensorboard and self.dist.main):
            return None
        from torch.utils.tensorboard import SummaryWriter

        return SummaryWriter(str(self.out / "tensorboard"))

    def _use_precision(self, precision: str) -> None:
        """Autocast to ``precision`` ("fp32", "bf16" or "fp16") on CUDA; other devices train in fp32."""
        self.amp_dtype = AMP_DTYPES.get(precision)

    def _grad_scaler(self) -> torch.amp.GradScaler:
        """A loss scaler, enabled for fp16 on CUDA only."""
        return torch.amp.GradScaler(
            "cuda", enabled=self.amp_dtype == torch.float16 and self.device.type == "cuda"
        )

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None or self.device.type != "cuda":
            return contextlib.nullcontext()
        return torch.autocast("cuda", dtype=self.amp_dtype)

    def _data_parallel(self, module: torch.nn.Module) -> torch.nn.Module:
        """``module`` wrapped for DDP when there are several ranks, else itself."""
        if self.dist.world_size == 1:
            return module
        ids = [self.device.index] if self.device.type == "cuda" else None
        return torch.nn.parallel.DistributedDataParallel(module, device_ids=ids)

    def _all_finite(self, value: torch.Tensor) -> bool:
        """Whether ``value`` is finite on every rank: one rank skipping a step alone would stall DDP."""
        finite = torch.isfinite(value).float().reshape(1).to(self.device)
        if self.dist.world_size > 1:
            dist.all_reduce(finite, op=dist.ReduceOp.MIN)
        return bool(finite.item() > 0)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        if self.dist.world_size > 1 and dist.is_initialized():
            dist.destroy_process_group()

    # ------------------------------------------------------------------------------------------ loop
    def run_loop(self) -> dict[str, float]:
        """Take steps until ``max_steps``, the time limit or a stop signal; the run always ends with a
        checkpoint of the step it stopped at. Returns the last step's values."""
        settings = self.run_settings
        bar = progress_bar(self.max_steps, self.step, self.progress, desc=self.run_name)
        last: dict[str, float] = {}
        since_log: list[dict[str, float]] = []
        tick, tick_step = time.perf_counter(), self.step
        self.attempt = 0
        with StopControl(self.dist, self.device, self.max_seconds) as stop:
            while self.step < self.max_steps:
                reason = stop.reason()
                if reason:
                    self._logger.info("stopping at step %d (%s)", self.step, reason)
                    break
                result = self._take_step()
                if isinstance(result, Skipped):
                    self._count_skipped(result.reason, settings.max_bad_steps)
                    continue
                self.attempt = 0
                self.step += 1
                last = result
                if self.log_mean_since_last:
                    since_log.append(result)
                bar.update(1)
                at_end = self.step == self.max_steps
                if self.step % settings.log_every == 0 or at_end:
                    now = time.perf_counter()
                    steps_per_s = (self.step - tick_step) / max(now - tick, 1e-9)
                    tick, tick_step = now, self.step
                    self._log(_mean(since_log) if since_log else result, steps_per_s, bar)
                    since_log = []
                if self.step % settings.checkpoint_every == 0 or at_end:
                    self._checkpoint()
                if settings.val_every and self.step % settings.val_every == 0 and self.dist.main:
                    # validation must not move the training RNG streams: checkpoints hold their state
                    # from before it, and a resumed run must go on as the uninterrupted one does
                    with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
                        self._validate_in_loop()
            if self._saved_step != self.step:
                self._checkpoint()
        bar.close()
        if self.writer is not None:
            self.writer.flush()
        return last

    def _count_skipped(self, reason: str, max_bad_steps: int) -> None:
        self.attempt += 1
        warnings.warn(f"step {self.step}: {reason}, step skipped", stacklevel=1)
        if self.attempt >= max_bad_steps:
            path = self._checkpoint()
            raise TrainingError(
                f"{self.attempt} steps in a row skipped at step {self.step} (last: {reason}); stopped. "
                f"Last good weights saved to {path}. Lower the learning rate or check the data."
            )

    def _log(self, values: dict[str, float], steps_per_s: float, bar: Any) -> None:
        bar.set_postfix(**self._postfix(values))
        if self.writer is not None:
            for k, v in values.items():
                self.writer.add_scalar(f"{self.run_name}/{k}", v, self.step)
            self.writer.add_scalar(f"{self.run_name}/lr", self._learning_rate(), self.step)
            self.writer.add_scalar(f"{self.run_name}/steps_per_s", steps_per_s, self.step)
        if self.dist.main and not self.progress:
            self._logger.info("%s", self._log_line(values, steps_per_s))

    def _append_record(self, values: dict[str, Any]) -> None:
        """A line of ``out/validation.jsonl`` for the current step (a resumed run drops the lines past its
        checkpoint and writes them again)."""
        self.out.mkdir(parents=True, exist_ok=True)
        with open(self.out / VALIDATION_RECORDS, "a", encoding="utf-8") as f:
            f.write(json.dumps({"step": self.step, **values}) + "\n")

    # ------------------------------------------------------------------------------------------ checkpoints
    def _checkpoint(self) -> Path | None:
        path = self.save()
        self._saved_step = self.step
        self.last_checkpoint = path
        return path

    def save(self) -> Path | None:
        """Write the checkpoint of the current step (atomically) and prune the oldest; its path on rank 0,
        None on the others. Under DDP every rank must call it: it gathers their RNG states."""
        rng = self._gather_rng()
        if not self.dist.main:
            return None
        folder = self.out / "checkpoints"
        # the states gathered above: gathering again on rank 0 alone would desync the ranks
        path = save_checkpoint(self.payload(rng=rng), folder / f"step_{self.step:08d}.pt")
        prune_checkpoints(folder, self.run_settings.keep_checkpoints)
        return path

    def _gather_rng(self) -> list[dict[str, Any]]:
        """Every rank's RNG state, by rank."""
        mine = rng_state()
        if self.dist.world_size == 1:
            return [mine]
        states: list[Any] = [None] * self.dist.world_size
        dist.all_gather_object(states, mine)
        return states

    def _restore_rng(self, rng: Any) -> None:
        """This rank's RNG state from a checkpoint's (rank 0's when the run that wrote it had fewer ranks)."""
        set_rng_state(rng[self.dist.rank] if isinstance(rng, list) and self.dist.rank < len(rng) else rng[0])

    def _resume(self) -> None:
        """Continue from the newest readable checkpoint in ``out/checkpoints``; start afresh if none."""
        folder = self.out / "checkpoints"
        found = list_checkpoints(folder)
        if not found:
            self._logger.warning("--resume: no checkpoint in %s, starting from scratch", folder)
            return
        path, ckpt = newest_readable_checkpoint(found, self._read_checkpoint)
        self._restore(path, ckpt)
        self._saved_step, self.last_checkpoint = self.step, path
        if self.dist.main:
            drop_records_after(self.out / VALIDATION_RECORDS, self.step)
            self._logger.info("resumed from %s at step %d", path, self.step)


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    """Each key's mean over the rows that have it."""
    keys = dict.fromkeys(k for row in rows for k in row)
    return {k: sum(vals) / len(vals) for k in keys if (vals := [row[k] for row in rows if k in row])}
