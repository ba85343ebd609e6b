"""Small device helpers shared by synthesis, evaluation and copy synthesis."""

from __future__ import annotations

import torch


def synchronize(device: torch.device | str) -> None:
    """Wait for queued CUDA work, so wall-clock timings measure the work itself (no-op on CPU)."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
