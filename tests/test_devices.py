"""Host-memory trimming (fmtts.devices.release_freed_host_memory), used after each streamed sentence."""

from __future__ import annotations

import os

import pytest

from fmtts.devices import _glibc_malloc_trim, release_freed_host_memory


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_freed_heap_memory_goes_back_to_the_system():
    if _glibc_malloc_trim() is None:
        pytest.skip("the C library is not glibc")
    blocks = [bytearray(64 * 1024) for _ in range(2000)]  # ~125 MiB of heap (below glibc's mmap size)
    last = blocks[-1]  # pins the heap's top: free() alone cannot shrink it
    del blocks[:-1]
    before = rss_mb()
    assert release_freed_host_memory() is True
    assert before - rss_mb() > 60
    assert len(last) == 64 * 1024
