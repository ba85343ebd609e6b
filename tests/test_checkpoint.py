"""Checkpoint files: damaged, foreign and unsafe files give clear errors; writes are atomic."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from fmtts.api import TTS
from fmtts.checkpoint import CheckpointError, load_checkpoint, save_checkpoint

pytestmark = pytest.mark.usefixtures("torch_single_thread")


def test_damaged_and_foreign_files_give_checkpoint_errors(trained_run: Path, tmp_path: Path) -> None:
    data = trained_run.read_bytes()
    cases = {
        "truncated.pt": (data[: len(data) // 2], "truncated or corrupt"),
        "cut_in_pickle.pt": (b"\x80\x02}", "truncated or corrupt"),
        "notes.txt": (b"hello, this is not a checkpoint\n", "not a torch checkpoint"),
        "empty.pt": (b"", "empty"),
    }
    for name, (content, _) in cases.items():
        (tmp_path / name).write_bytes(content)
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    cases["foreign.pt"] = (None, "not an fmtts checkpoint")
    torch.save({"format": "fmtts-checkpoint", "format_version": 99}, tmp_path / "future.pt")
    cases["future.pt"] = (None, "newer fmtts")
    torch.save({"format": "fmtts-checkpoint", "format_version": 1, "config": {}}, tmp_path / "partial.pt")
    cases["partial.pt"] = (None, "lacks 'model'")
    torch.save(Path("x"), tmp_path / "pickled_object.pt")  # arbitrary pickled classes are refused
    cases["pickled_object.pt"] = (None, "refuses to load it")
    cases["missing.pt"] = (None, "not found")
    for name, (_, message) in cases.items():
        with pytest.raises(CheckpointError, match=message) as err:
            load_checkpoint(tmp_path / name)
        assert name in str(err.value)
        with pytest.raises(CheckpointError):
            TTS.load(tmp_path / name, device="cpu", vocoder="griffinlim")


def test_save_checkpoint_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ckpt" / "step_00000001.pt"
    save_checkpoint({"value": torch.arange(4)}, path)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name], "temporary file left behind"
    first = torch.load(path, weights_only=True)
    assert first["format"] == "fmtts-checkpoint" and torch.equal(first["value"], torch.arange(4))

    real_save = torch.save

    def crash_mid_write(obj, f, *args, **kwargs):
        Path(f).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash_mid_write)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint({"value": torch.arange(9)}, path)
    monkeypatch.setattr(torch, "save", real_save)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name], "temporary file left behind"
    assert torch.equal(torch.load(path, weights_only=True)["value"], torch.arange(4)), "old file damaged"
