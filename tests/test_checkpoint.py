"""Checkpoint files: damaged, foreign and unsafe files give clear errors; writes are atomic."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from fmtts.api import TTS
from fmtts.checkpoint import CheckpointError, UnsafeCheckpointError, load_checkpoint, save_checkpoint
from fmtts.errors import FmttsError

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
        with pytest.raises(FmttsError):  # a user error (a missing file is the API's VoiceNotFound)
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


def _pickles_a_disallowed_global(path: Path, zipped: bool) -> Path:
    """A torch file whose pickle names a class outside the weights-only allowlist (zip or legacy format)."""
    torch.save(
        {"weights": torch.zeros(2), "cls": zipfile.ZipFile}, path, _use_new_zipfile_serialization=zipped
    )
    return path


def test_refused_files_get_fmtts_words_not_torchs_unsafe_advice(trained_run: Path, tmp_path: Path) -> None:
    """torch's weights-only errors advise re-running with weights_only=False (which runs whatever code a
    file carries); a safe loader must say what is wrong instead."""
    rng = np.random.default_rng(0)
    random_bytes = tmp_path / "random.pt"
    random_bytes.write_bytes(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())
    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(trained_run.read_bytes()[:5000])
    other_zip = tmp_path / "photos.zip"
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("holiday.txt", "not a checkpoint")
    plain_pickle = tmp_path / "state.pkl"
    plain_pickle.write_bytes(pickle.dumps({"weights": [1.0, 2.0]}, protocol=4))
    newest_protocol = tmp_path / "protocol5.pt"  # opcodes the weights-only unpickler stops at first
    torch.save({"cls": zipfile.ZipFile}, newest_protocol, pickle_protocol=pickle.HIGHEST_PROTOCOL)
    cases = {
        random_bytes: (CheckpointError, "not a torch checkpoint"),
        truncated: (CheckpointError, "truncated or corrupt torch checkpoint"),
        other_zip: (CheckpointError, "zip archive but not a readable torch checkpoint"),
        plain_pickle: (CheckpointError, "not a torch checkpoint"),
        newest_protocol: (UnsafeCheckpointError, "refuses to load"),
        _pickles_a_disallowed_global(tmp_path / "unsafe.pt", True): (
            UnsafeCheckpointError,
            "refuses to load",
        ),
        _pickles_a_disallowed_global(tmp_path / "unsafe_legacy.pt", False): (
            UnsafeCheckpointError,
            "refuses",
        ),
    }
    for path, (kind, message) in cases.items():
        with pytest.raises(kind, match=message) as err:
            load_checkpoint(path)
        text = str(err.value)
        assert "weights_only" not in text and "will likely succeed" not in text, text
        assert str(path) in text and "\n" not in text


def test_cli_random_bytes_as_checkpoint_is_one_clear_line(tmp_path: Path, capsys) -> None:
    from fmtts.cli import main

    bad = tmp_path / "voice.pt"
    bad.write_bytes(np.random.default_rng(1).integers(0, 256, 2048, dtype=np.uint8).tobytes())
    code = main(
        ["synthesize", "Hello.", str(tmp_path / "out.wav"), "--checkpoint", str(bad), "--device", "cpu"]
    )
    err = capsys.readouterr().err
    assert code == 2 and "not a torch checkpoint" in err
    assert "weights_only" not in err and "Traceback" not in err
    assert not (tmp_path / "out.wav").exists()
