"""Checkpoint files: atomic writes, safe loading, and clear errors for wrong or damaged files.

A checkpoint is a plain dict of tensors, numbers, strings, lists and dicts, so it loads with
``torch.load(weights_only=True)``: no pickled classes, no code execution. It describes itself: the
config dataclasses (as dicts), the symbol table, the mel config and statistics, and the fmtts version.
"""

from __future__ import annotations

import os
import pickle
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch

from fmtts.errors import FmttsError

FORMAT = "fmtts-checkpoint"
FORMAT_VERSION = 1


class CheckpointError(FmttsError, RuntimeError):
    """A checkpoint file is missing, damaged, or not an fmtts checkpoint."""


class UnsafeCheckpointError(CheckpointError):
    """A torch file holding pickled objects that the weights-only loader refuses (it could run code)."""


def save_checkpoint(payload: dict[str, Any], path: str | Path) -> Path:
    """Write ``payload`` to ``path`` atomically: a crash mid-write never leaves a half file behind."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    payload = dict(payload, format=FORMAT, format_version=FORMAT_VERSION)
    try:
        torch.save(payload, tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


REQUIRED_KEYS = {
    "acoustic": ("config", "model", "text", "mel_config", "mel_stats"),
    "vocoder": ("generator_config", "generator", "mel_config"),
}
KIND_NAMES = {"acoustic": "an fmtts voice (acoustic model)", "vocoder": "an fmtts vocoder"}


def load_checkpoint(
    path: str | Path, map_location: str | torch.device = "cpu", kind: str | None = "acoustic"
) -> dict[str, Any]:
    """Load and check an fmtts checkpoint of ``kind`` ("acoustic": a voice or training checkpoint of the
    acoustic model; "vocoder": a vocoder training checkpoint or exported generator; None: any fmtts
    checkpoint, its contents unchecked)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    if path.stat().st_size == 0:
        raise CheckpointError(f"checkpoint is empty: {path}")
    ckpt = read_torch_file(path, map_location)
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        raise CheckpointError(f"{path} is a torch file but not an fmtts checkpoint (no '{FORMAT}' marker)")
    if int(ckpt.get("format_version", 0)) > FORMAT_VERSION:
        raise CheckpointError(
            f"{path} was written by a newer fmtts (format {ckpt['format_version']}); upgrade fmtts to load it"
        )
    found = ckpt.get("kind", "acoustic")  # files from before vocoders existed carry no kind
    if kind is None:
        return ckpt
    if found != kind:
        raise CheckpointError(f"{path} is {KIND_NAMES.get(found, found)}, not {KIND_NAMES[kind]}")
    for key in REQUIRED_KEYS[kind]:
        if key not in ckpt:
            raise CheckpointError(f"{path} lacks '{key}': not a complete fmtts checkpoint")
    return ckpt


ZIP_MAGIC = b"PK\x03\x04"  # how every file torch.save has written since torch 1.6 begins


def read_torch_file(path: str | Path, map_location: str | torch.device = "cpu") -> Any:
    """``torch.load(weights_only=True)`` with fmtts's own errors: :class:`UnsafeCheckpointError` for
    pickled objects beyond tensors and plain data, :class:`CheckpointError` for anything else that is not
    a readable torch file (see :func:`_refused`). The contents are not checked."""
    path = Path(path)
    try:
        with warnings.catch_warnings():
            # torch warns about the pickle protocol of files it did not write, just before refusing them
            warnings.filterwarnings("ignore", message="Detected pickle protocol", category=UserWarning)
            return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as exc:  # zip, pickle, EOF, runtime errors: whatever the damage, one clear message
        raise _refused(path, exc) from exc


def _refused(path: Path, exc: Exception) -> CheckpointError:
    """The error for a file ``torch.load(weights_only=True)`` refused, in fmtts's own words. torch's
    messages on this path end with the advice to re-run with ``weights_only=False`` (which would run any
    code a malicious file carries), so none of them is passed on whole: at most the first line of a
    message that does not give that advice."""
    try:
        with open(path, "rb") as f:
            head = f.read(len(ZIP_MAGIC))
    except OSError as unreadable:  # the file itself cannot be read (permissions, I/O)
        return CheckpointError(f"cannot read {path}: {unreadable.strerror or _first_line(unreadable)}")
    is_zip = head == ZIP_MAGIC and zipfile.is_zipfile(path)
    # The weights-only unpickler refused the pickle: it names a class outside the allowlist ("Unsupported
    # global", "Unsupported class" before torch 2.4), or, in a torch archive, uses opcodes torch.save
    # does not write by default, which a crafted file can use to the same end.
    if isinstance(exc, pickle.UnpicklingError) and (
        is_zip or re.search(r"Unsupported (global|class)", str(exc))
    ):
        return UnsafeCheckpointError(
            f"{path} holds pickled data beyond tensors and plain data, which could run code when "
            "loaded; fmtts refuses to load it. Use checkpoints written by fmtts (fmtts export / "
            "export-vocoder) from a source you trust."
        )
    if head != ZIP_MAGIC:
        return CheckpointError(
            f"{path} is not a torch checkpoint (another kind of file, or truncated or corrupt): fmtts "
            "checkpoints are zip archives as torch.save writes them, and this file does not start as one"
        )
    if not is_zip:
        return CheckpointError(
            f"{path} is a truncated or corrupt torch checkpoint: it starts as a zip archive but its "
            "directory is missing or damaged (an interrupted download or copy?); fetch or export it again"
        )
    reason = _first_line(exc)
    shown = "" if "weights_only" in reason else f": {reason[:200]}"
    return CheckpointError(
        f"{path} is a zip archive but not a readable torch checkpoint (truncated or corrupt, or a zip of "
        f"something else){shown}"
    )


def _first_line(exc: BaseException) -> str:
    """The first line of an exception's message, or its type name when the message is empty (EOFError())."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


_STEP_FILE = re.compile(r"^step_(\d+)\.pt$")


def list_checkpoints(folder: str | Path) -> list[Path]:
    """Step checkpoints in ``folder``, oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _STEP_FILE.match(p.name))]
    return [p for _, p in sorted(found)]


def prune_checkpoints(folder: str | Path, keep: int) -> None:
    for p in list_checkpoints(folder)[:-keep] if keep > 0 else []:
        p.unlink(missing_ok=True)


# what a voice keeps of a training checkpoint besides its weights (``distill``: how it was distilled)
INFERENCE_KEYS = (
    "fmtts_version",
    "config",
    "text",
    "mel_config",
    "mel_stats",
    "step",
    "vocoder",
    "speakers",
    "default_steps",
    "distill",
)


def inference_state(ckpt: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The weights to speak with: the EMA weights when the checkpoint has them, else the raw weights."""
    return ckpt.get("ema") or ckpt["model"]
