"""Learning-rate schedules: factors of the recipe's ``lr`` by optimizer step, for ``LambdaLR``.

Every schedule starts with the same linear warm-up. The two cosine decays differ in where the cosine
starts, and the trainers keep the one they were written with (a resumed run must continue on exactly the
same learning rates):

- :func:`warmup_then_cosine` (the acoustic model): the cosine starts when the warm-up ends and reaches 0
  at ``max_steps``;
- :func:`cosine_from_start` (the vocoder with floor 0.05, few-step distillation with floor 0): the cosine
  runs over the whole run from step 0, the warm-up ramp multiplied onto its first steps, and ends at
  ``floor``.

The schedules are closures, not callable objects: ``LambdaLR.state_dict`` would store an object's
attributes in every checkpoint.
"""

from __future__ import annotations

import math
from collections.abc import Callable

LRFactor = Callable[[int], float]


def linear_warmup(step: int, warmup_steps: int) -> float:
    """1/W, 2/W, ... up to 1 over the first ``warmup_steps`` W steps (1 from the start when W is 0)."""
    return min(1.0, (step + 1) / max(1, warmup_steps))


def warmup_only(warmup_steps: int) -> LRFactor:
    """Linear warm-up, then the recipe's learning rate unchanged."""

    def factor(step: int) -> float:
        return linear_warmup(step, warmup_steps)

    return factor


def warmup_then_cosine(warmup_steps: int, max_steps: int) -> LRFactor:
    """Linear warm-up, then a half cosine from 1 at the end of the warm-up to 0 at ``max_steps``."""

    def factor(step: int) -> float:
        warm = linear_warmup(step, warmup_steps)
        if step > warmup_steps:
            frac = (step - warmup_steps) / max(1, max_steps - warmup_steps)
            return warm * 0.5 * (1.0 + math.cos(math.pi * min(1.0, frac)))
        return warm

    return factor


def cosine_from_start(warmup_steps: int, max_steps: int, floor: float) -> LRFactor:
    """A half cosine from 1 at step 0 to ``floor`` at ``max_steps``, times the linear warm-up."""

    def factor(step: int) -> float:
        warm = linear_warmup(step, warmup_steps)
        frac = min(1.0, step / max(1, max_steps))
        return warm * (floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * frac)))

    return factor
