"""Checkpoint files: atomic writes, safe loading, and clear errors for wrong or damaged files.

A checkpoint is a plain dict of tensors, numbers, strings, lists and dicts, so it loads with
``torch.load(weights_only=True)``: no pickled classes, no code execution. It describes itself: the
config dataclasses (as dicts), the symbol table, the mel config and statistics, and the fmtts version.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path
from typing import Any

import torch

FORMAT = "fmtts-checkpoint"
FORMAT_VERSION = 1


class CheckpointError(RuntimeError):
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
    try:
        ckpt = torch.load(path, map_location=map_location, weights_only=True)
    except (zipfile.BadZipFile, EOFError, RuntimeError, ValueError, OSError) as exc:
        raise CheckpointError(
            f"{path} is not a readable torch checkpoint (truncated or corrupt?): {_first_line(exc)}"
        ) from exc
    except Exception as exc:  # pickle.UnpicklingError for non-torch files or unsafe content
        if not zipfile.is_zipfile(path):  # torch has written zip archives since 1.6: some other file
            raise CheckpointError(
                f"{path} is not a torch checkpoint (wrong kind of file, or damaged): {_first_line(exc)}"
            ) from exc
        # torch's own message advises loading with weights_only=False: a safe loader never does
        raise UnsafeCheckpointError(
            f"{path} holds pickled objects beyond tensors and plain data, which could run code when "
            "loaded; fmtts refuses to load it. Use checkpoints written by fmtts (fmtts export / "
            "export-vocoder) from a source you trust."
        ) from exc
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


def inference_state(ckpt: dict[str, Any]) -> dict[str, torch.Tensor]:
    """The weights to speak with: the EMA weights when the checkpoint has them, else the raw weights."""
    return ckpt.get("ema") or ckpt["model"]
