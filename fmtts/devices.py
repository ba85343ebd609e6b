"""Small device helpers shared by synthesis, evaluation and copy synthesis."""

from __future__ import annotations

import functools

import torch


def synchronize(device: torch.device | str) -> None:
    """Wait for queued CUDA work, so wall-clock timings measure the work itself (no-op on CPU)."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)


@functools.lru_cache(maxsize=8)
def cpu_has_native_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool | None:
    """Whether this x86 CPU computes bf16 natively (AVX-512 BF16 or AMX). None where it cannot be told:
    no /proc/cpuinfo (not Linux) or no x86 ``flags`` line in it."""
    try:
        with open(cpuinfo, encoding="utf-8", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        return None
    return None
