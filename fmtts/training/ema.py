"""The exponential moving average of a model's weights that validation and exported voices use."""

from __future__ import annotations

import torch


def warmed_decay(step: int, decay: float) -> float:
    """The acoustic trainer's EMA decay at a step (1-based): ``(1 + step) / (10 + step)`` up to ``decay``,
    so early averages follow the weights instead of holding on to where training started (it reaches
    0.999 only after about 9,000 steps: a run of tens of thousands)."""
    return min(decay, (1 + step) / (10 + step))


def running_mean_decay(step: int, decay: float) -> float:
    """The decay at a step (1-based) that makes the average the plain mean of the weights so far (the
    start's included) until that mean spans the ``1 / (1 - decay)`` steps the EMA weighs, then ``decay``:
    for runs of a few thousand steps, where :func:`warmed_decay` would never reach ``decay``."""
    return min(decay, step / (step + 1))


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
