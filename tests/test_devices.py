"""Device choice (fmtts.devices.pick_device) and host-memory trimming (release_freed_host_memory, used after
each streamed sentence)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile as sf
import torch

from fmtts.cli import main
from fmtts.devices import DeviceError, pick_device, release_freed_host_memory
from fmtts.memory import _libc


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux /proc")
def test_freed_heap_memory_goes_back_to_the_system():
    if _libc() is None:
        pytest.skip("the C library is not glibc")
    blocks = [bytearray(64 * 1024) for _ in range(2000)]  # ~125 MiB of heap (below glibc's mmap size)
    last = blocks[-1]  # pins the heap's top: free() alone cannot shrink it
    del blocks[:-1]
    before = rss_mb()
    assert release_freed_host_memory() is True
    assert before - rss_mb() > 60
    assert len(last) == 64 * 1024


def test_auto_picks_the_gpu_only_when_there_is_one():
    assert pick_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device(torch.device("cpu")) == torch.device("cpu")


@pytest.mark.parametrize("name", ["gpu", "cdua:0", "", "meta", "cuda:99"])
def test_a_device_that_is_not_here_is_a_clear_error(name: str):
    with pytest.raises(DeviceError, match="device|CUDA|GPU"):
        pick_device(name)


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_commands_name_a_missing_gpu_before_loading_anything(tmp_path, capsys):
    wav = tmp_path / "in.wav"
    sf.write(wav, np.zeros(22050, dtype=np.float32), 22050)
    out = tmp_path / "out.wav"
    assert main(["vocode", str(wav), str(out), "--vocoder", "griffinlim", "--device", "cuda"]) == 2
    assert "CUDA is not available" in capsys.readouterr().err
    assert not out.exists()
    assert main(["synthesize", "Hello.", str(out), "--device", "cuda:1"]) == 2
    assert "CUDA is not available" in capsys.readouterr().err
    assert not out.exists()


def test_vocode_runs_on_the_automatic_device(tmp_path, capsys):
    wav = tmp_path / "in.wav"
    t = np.arange(22050) / 22050
    sf.write(wav, (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32), 22050)
    out = tmp_path / "out.wav"
    assert main(["vocode", str(wav), str(out), "--vocoder", "griffinlim"]) == 0, capsys.readouterr().err
    assert sf.info(str(out)).samplerate == 22050


def test_training_names_a_bad_device_as_a_training_error():
    from fmtts.training.common import DistInfo, TrainingError, resolve_device

    assert resolve_device("cpu", DistInfo()) == torch.device("cpu")
    with pytest.raises(TrainingError, match="--device: unknown device 'gpu'"):
        resolve_device("gpu", DistInfo())
    if not torch.cuda.is_available():
        with pytest.raises(TrainingError, match="CUDA is not available"):
            resolve_device("cuda", DistInfo(local_rank=1))
