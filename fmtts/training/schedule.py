"""A recipe's training schedule scaled to the number of data-parallel GPUs (DDP world size).

A recipe's ``train`` section is written for one GPU. Under DDP every rank takes a batch of
``train.batch_size``, so N GPUs take N times the data per optimizer step. Kept as it is, the schedule
then costs N times the compute for no time saved. :func:`scaled_schedule` keeps the per-GPU batch (so
each GPU stays as busy as in the one-GPU run and a step takes about as long) and divides every count of
steps by N, so that the run sees the same number of clips in about 1/N of the time:

- ``max_steps``, ``warmup_steps``, ``ema_start``, ``val_every``, ``checkpoint_every`` and ``log_every``
  are divided by N (rounded up): the same clips seen, the same warm-up length in clips, as many
  validations and checkpoints;
- ``lr`` is multiplied by √N, the square-root rule for Adam-type optimizers with an N-times larger
  batch (linear scaling is the rule for SGD, and is known to be unstable for Adam at large factors);
- ``ema_decay`` d becomes d^N: the EMA then averages over the same number of clips as before.

The alternative, a fixed global batch (each GPU takes batch/N), keeps the optimisation identical but
gives small per-GPU batches that leave a GPU mostly idle, so it saves much less than N-fold time.

``python -m fmtts.training.schedule --config RECIPE [--set K=V ...] --world-size N`` prints the
overrides as ``--set`` / ``KEY=VALUE`` lines (egs/ljspeech/run.sh passes them to ``fmtts train``).
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from fmtts.config import TrainConfig

STEP_COUNTS = ("max_steps", "warmup_steps", "ema_start", "val_every", "checkpoint_every", "log_every")


def scaled_schedule(train: TrainConfig, world_size: int) -> dict[str, Any]:
    """The ``train.*`` values that change for ``world_size`` GPUs (empty for one); see the module doc."""
    if world_size < 1:
        raise ValueError(f"world size must be at least 1, got {world_size}")
    if world_size == 1:
        return {}
    out: dict[str, Any] = {}
    for key in STEP_COUNTS:
        value = int(getattr(train, key))
        if value > 0:  # 0 means "never" (val_every) or "from the start" (ema_start, warmup)
            out[key] = max(1, math.ceil(value / world_size))
    out["lr"] = float(train.lr) * math.sqrt(world_size)
    out["ema_decay"] = float(train.ema_decay) ** world_size
    return out


def overrides(train: TrainConfig, world_size: int) -> list[str]:
    """:func:`scaled_schedule` as ``train.KEY=VALUE`` config overrides."""
    return [f"train.{k}={v!r}" for k, v in scaled_schedule(train, world_size).items()]


def main(argv: list[str] | None = None) -> int:
    from fmtts.config import load_config

    ap = argparse.ArgumentParser(
        prog="python -m fmtts.training.schedule",
        description="Print the --set overrides that scale a recipe's schedule to N data-parallel GPUs",
    )
    ap.add_argument("--config", required=True, help="recipe name or YAML/JSON path")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config value")
    ap.add_argument("--world-size", type=int, required=True, help="number of GPUs (DDP ranks)")
    args = ap.parse_args(argv)
    if args.world_size < 1:
        ap.error("--world-size must be at least 1")
    train = load_config(args.config, args.set).train
    for item in overrides(train, args.world_size):
        print("--set")
        print(item)
    if args.world_size > 1:
        before = {k: getattr(train, k) for k in scaled_schedule(train, args.world_size)}
        print(
            f"schedule for {args.world_size} GPUs (per-GPU batch {train.batch_size}, global "
            f"{train.batch_size * args.world_size}): "
            + ", ".join(
                f"{k} {before[k]:g} -> {v:g}" for k, v in scaled_schedule(train, args.world_size).items()
            ),
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
