"""The C allocator's handling of large, short-lived buffers (glibc; elsewhere these are no-ops).

Inference and training allocate tensors of ever-changing sizes (one sentence after another, one batch
after another). glibc serves each large one with a fresh ``mmap`` whose pages the kernel must zero on
first touch and unmaps it on free, so the same memory is faulted in again at every call: on a small VM
this system time dominated a training step (measured: a batch of 8 through the U-Net 2.1 s with the
default thresholds, 0.13 s with them raised). :func:`keep_freed_memory_for_reuse` keeps large blocks in
the heap for reuse; :func:`release_freed_host_memory` hands freed memory back where memory must stay
flat (after each sentence of a long stream).
"""

from __future__ import annotations

import functools

M_TRIM_THRESHOLD = -1  # mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3


@functools.lru_cache(maxsize=1)
def _libc():
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        libc = ctypes.CDLL(name)
        libc.malloc_trim.argtypes, libc.malloc_trim.restype = [ctypes.c_size_t], ctypes.c_int
        libc.mallopt.argtypes, libc.mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    except (OSError, AttributeError):  # no C library to load, or not glibc (musl, macOS)
        return None
    return libc


def release_freed_host_memory() -> bool:
    """Give memory that the process has freed back to the operating system; True if some was returned.

    Why: glibc keeps much of the memory freed by buffers of changing sizes in its heaps, so a long
    stream's resident memory would grow with the text although nothing is held. Trimming after each
    sentence keeps it flat (BENCHMARKS.md, streaming)."""
    libc = _libc()
    return bool(libc.malloc_trim(0)) if libc is not None else False


@functools.lru_cache(maxsize=1)
def keep_freed_memory_for_reuse() -> bool:
    """Serve large allocations from the heap and keep freed memory there (up to 1 GiB before trimming by
    itself), so that the next buffer of a similar size reuses already-mapped pages. Once per process;
    True where it took effect."""
    libc = _libc()
    if libc is None:
        return False
    ok = libc.mallopt(M_MMAP_THRESHOLD, 32 << 20) == 1  # glibc caps the threshold at 32 MiB
    return ok and libc.mallopt(M_TRIM_THRESHOLD, 1 << 30) == 1
