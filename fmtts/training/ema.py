"""The exponential moving average of a model's weights that validation and exported voices use."""

from __future__ import annotations

import torch


def warmed_decay(step: int, decay: float) -> float:
    """The EMA's decay at a step (1-based), rising to ``decay``: early averages follow the weights instead of
    holding on to where training started (at 0.998 the start would weigh 1/e after 500 steps)."""
    return min(decay, (1 + step) / (10 + step))


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
