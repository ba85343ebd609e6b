"""Small device helpers shared by synthesis, evaluation and copy synthesis."""

from __future__ import annotations

import functools

import torch

from fmtts.errors import FmttsError


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


@functools.lru_cache(maxsize=1)
def _glibc_malloc_trim():
    """glibc's ``malloc_trim`` via ctypes, or None where the C library is not glibc."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):  # no C library to load, or one without malloc_trim (musl, macOS)
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


def release_freed_host_memory() -> bool:
    """Give memory that the process has freed back to the operating system; True if some was returned
    (glibc only: elsewhere a no-op that returns False).

    Why: CPU inference on inputs of ever-changing length (one sentence after another) frees and
    reallocates tensors of new sizes, and glibc keeps much of the freed memory in its heaps instead
    of returning it, so a long stream's resident memory grows with the text although nothing is
    held. Trimming after each sentence keeps it flat (BENCHMARKS.md, streaming)."""
    trim = _glibc_malloc_trim()
    return bool(trim(0)) if trim is not None else False
