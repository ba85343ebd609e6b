"""Small device helpers shared by synthesis, evaluation and copy synthesis."""

from __future__ import annotations

import functools

import torch

from fmtts.errors import FmttsError
from fmtts.memory import release_freed_host_memory  # noqa: F401  (where callers found it)


class DeviceError(FmttsError, ValueError):
    """A device name that is malformed or names hardware this machine does not have."""


def pick_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"``: the GPU when CUDA is present, else the CPU; any other name is checked to exist here,
    so a missing GPU is a clear error before any model is loaded."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        d = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise DeviceError(f"unknown device {device!r}: use auto, cpu, cuda, cuda:N or mps") from exc
    if d.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {device} requested but CUDA is not available")
        if d.index is not None and d.index >= torch.cuda.device_count():
            count = torch.cuda.device_count()
            raise DeviceError(f"device {device} requested but only {count} GPU(s) are visible")
    elif d.type == "mps":
        if not torch.backends.mps.is_available():
            raise DeviceError(f"device {device} requested but Apple's MPS is not available")
    elif d.type != "cpu":
        raise DeviceError(f"device {device} is not supported: use auto, cpu, cuda, cuda:N or mps")
    return d


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
