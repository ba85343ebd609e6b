"""What every fmtts trainer shares besides the loop itself (:mod:`.loop`): torchrun/DDP setup, devices,
RNG state for exact resume, the AdamW optimizer and its state loading, stopping on signals and time
limits, progress bars and TensorBoard images."""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch
import torch.distributed as dist

from fmtts.checkpoint import CheckpointError, list_checkpoints, load_checkpoint
from fmtts.devices import DeviceError, pick_device
from fmtts.errors import FmttsError
from fmtts.memory import keep_freed_memory_for_reuse

log = logging.getLogger(__name__)


class TrainingError(FmttsError, RuntimeError):
    pass


# train.* fields that steer a run without changing what it learns: a resumed run may change them (more
# threads or loader workers on another machine, checkpoints more often)
RUN_CONTROL_KEYS = (
    "threads",
    "num_workers",
    "log_every",
    "checkpoint_every",
    "keep_checkpoints",
    "max_bad_steps",
)


def learning_part(config: dict[str, Any], also: tuple[str, ...] = ()) -> dict[str, Any]:
    """A saved run config without its :data:`RUN_CONTROL_KEYS` (and ``also``): what must match to resume."""
    skip = RUN_CONTROL_KEYS + also
    return {**config, "train": {k: v for k, v in config.get("train", {}).items() if k not in skip}}


def refuse_existing_run(out: Path) -> None:
    """A new run must not start in a folder that holds another run's checkpoints: pruning would delete
    the new run's lower-numbered checkpoints as soon as they are written, and later ones overwrite the old."""
    found = list_checkpoints(out / "checkpoints")
    if found:
        raise TrainingError(
            f"{out} already holds a run (newest checkpoint {found[-1].name}): pass --resume to continue "
            "it, or choose another --out"
        )


def _record_step(line: str) -> float:
    """A JSON-lines record's step; a line cut short by a crash counts as past any step (dropped)."""
    try:
        return float(json.loads(line).get("step", 0))
    except (ValueError, AttributeError):
        return float("inf")


def drop_records_after(path: Path, step: int) -> None:
    """Remove the lines of a JSON-lines log whose ``step`` is past ``step``: a run resumed from an older
    checkpoint writes them again."""
    if not path.is_file():
        return
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if _record_step(line) <= step]
    if len(kept) < len(lines):
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text("".join(kept), encoding="utf-8")
        tmp.replace(path)


@dataclass
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def init_distributed(device: str) -> DistInfo:
    """Join the torchrun process group when launched by torchrun (WORLD_SIZE > 1)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    backend = "nccl" if device.startswith("cuda") else "gloo"
    if not dist.is_initialized():
        dist.init_process_group(backend=backend)
    return DistInfo(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def setup_runtime(device: str, threads: int | None) -> tuple[DistInfo, torch.device]:
    """Join the process group (under torchrun), pick this rank's device, and set CPU threads; large
    freed buffers stay in the heap for the next step (fmtts.memory: without it, a CPU step can take
    many times longer)."""
    keep_freed_memory_for_reuse()
    dist_info = init_distributed(
        device if device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    )
    dev = resolve_device(device, dist_info)
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    if threads and dev.type == "cpu":
        torch.set_num_threads(threads)
    return dist_info, dev


def resolve_device(device: str, dist_info: DistInfo) -> torch.device:
    """``--device`` checked to exist here; a bare ``cuda`` under torchrun means this rank's GPU."""
    try:
        dev = pick_device(device)
    except DeviceError as exc:
        raise TrainingError(f"--device: {exc}") from exc
    if dev.type == "cuda" and dev.index is None:
        dev = torch.device("cuda", dist_info.local_rank)
    return dev


class OptimizerSettings(Protocol):
    lr: float
    betas: list[float]
    weight_decay: float


def build_optimizer(model: torch.nn.Module, t: OptimizerSettings) -> torch.optim.Optimizer:
    """AdamW, fused into one kernel over all parameters where torch has one for their device (CPU and
    CUDA): the per-parameter loop cost ~8 % of a training step on the CPU. Moments are stored alike
    either way; resuming keeps this optimizer's kernel choice (:func:`with_kernel_choice`). Frozen
    parameters (``requires_grad`` off) are left out."""
    params = [p for p in model.parameters() if p.requires_grad]
    fused = bool(params) and all(p.device.type in ("cpu", "cuda") and p.is_floating_point() for p in params)
    return torch.optim.AdamW(params, lr=t.lr, betas=tuple(t.betas), weight_decay=t.weight_decay, fused=fused)


def with_kernel_choice(saved: dict, optimizer: torch.optim.Optimizer) -> dict:
    """A saved optimizer state with the running optimizer's fused/foreach flags: load_state_dict would
    otherwise restore the flags of the run that wrote it (a checkpoint from before fused AdamW would
    silently switch it off)."""
    groups = [
        {**g, **{k: cur[k] for k in ("fused", "foreach") if k in cur}}
        for g, cur in zip(saved["param_groups"], optimizer.param_groups, strict=False)
    ]
    return {**saved, "param_groups": groups}


def rng_state() -> dict[str, Any]:
    np_state = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": [
            np_state[0],
            torch.from_numpy(np_state[1].astype(np.int64)),
            *[float(x) for x in np_state[2:]],
        ],
        "python": [list(x) if isinstance(x, tuple) else x for x in random.getstate()],
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state()  # this process's device only (DDP: one GPU per rank)
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"].cpu())
    n = state["numpy"]
    np.random.set_state((n[0], n[1].cpu().numpy().astype(np.uint32), int(n[2]), int(n[3]), float(n[4])))
    p = state["python"]
    random.setstate((p[0], tuple(p[1]), p[2]))
    if "cuda" in state and torch.cuda.is_available() and isinstance(state["cuda"], torch.Tensor):
        torch.cuda.set_rng_state(state["cuda"].cpu())


def mel_image(mel: np.ndarray) -> np.ndarray:
    """(F, T) array → (3, F, T) RGB in [0, 1], low frequencies at the bottom (a cheap magma-like map)."""
    x = mel[::-1]
    lo, hi = np.percentile(x, 1), np.percentile(x, 99.5)
    x = np.clip((x - lo) / max(hi - lo, 1e-6), 0, 1)
    return np.stack(
        [np.clip(1.6 * x, 0, 1), np.clip(1.6 * x - 0.6, 0, 1), np.clip(0.5 + 1.5 * (x - 0.6), 0, 1) * x]
    )


class _SilentBar:
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


def progress_bar(total: int, initial: int, enabled: bool, desc: str = "train"):
    """A tqdm bar (a silent one when ``enabled`` is false: the loop then logs lines instead)."""
    try:
        from tqdm import tqdm
    except ImportError:  # GPU images may lack tqdm; a run with --no-progress must not need it
        if enabled:
            raise
        tqdm = _SilentBar

    return tqdm(total=total, initial=initial, desc=desc, dynamic_ncols=True, disable=not enabled)


def newest_readable_checkpoint(
    checkpoints: list[Path], load: Callable[[Path], dict[str, Any]] = load_checkpoint
) -> tuple[Path, dict[str, Any]]:
    """The newest of ``checkpoints`` (oldest first) that loads: a crash or a full disk can leave the last
    one damaged while the one before it is intact, and resuming from that one loses only a few steps."""
    for path in reversed(checkpoints):
        try:
            return path, load(path)
        except CheckpointError as exc:
            # renamed, so it is neither "the newest" again nor counted when old checkpoints are pruned
            aside = path.with_name(path.name + ".damaged")
            try:
                path.replace(aside)
            except FileNotFoundError:  # another rank of the same run set it aside first
                pass
            log.warning(
                "cannot resume from %s (%s); set it aside as %s and trying the previous checkpoint",
                path,
                exc,
                aside.name,
            )
    raise TrainingError(f"no readable checkpoint among {[p.name for p in checkpoints]}")


class StopControl:
    """When a training loop should stop early: SIGINT/SIGTERM (caught while the loop runs, so the loop
    can end with a checkpoint instead of dying mid-step) or a wall-clock limit. Rank 0 decides and
    broadcasts, so every DDP rank stops after the same step."""

    def __init__(self, dist_info: DistInfo, device: torch.device, max_seconds: float | None = None):
        self.dist = dist_info
        self.device = device
        self.max_seconds = max_seconds
        self.signal: int | None = None
        self._started = time.perf_counter()
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopControl:
        self._started = time.perf_counter()
        self._previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc: object) -> None:
        for s, handler in self._previous.items():
            signal.signal(s, handler)

    def _on_signal(self, signum: int, frame: object) -> None:
        self.signal = signum

    def reason(self) -> str | None:
        """Why to stop now ("signal 15", "time limit", ...), or None to go on."""
        reason = None
        if self.signal is not None:
            reason = f"signal {self.signal}"
        elif self.max_seconds is not None and time.perf_counter() - self._started > self.max_seconds:
            reason = "time limit"
        if self.dist.world_size > 1:  # only rank 0's clock and signals count: all ranks stop together
            flag = torch.tensor([1.0 if reason and self.dist.main else 0.0], device=self.device)
            dist.broadcast(flag, 0)
            reason = (reason or "stopped by rank 0") if flag.item() > 0 else None
        return reason
