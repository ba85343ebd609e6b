"""What ``--data`` may name for a training run, turned into the prepared folder the trainer reads.

Under torchrun only rank 0 prepares; the other ranks wait for its finished marker file.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from fmtts.config import Config
from fmtts.training.common import TrainingError


def is_rank_zero() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def wait_for(path: Path, timeout: float = 3600.0) -> None:
    """Ranks > 0 wait (polling) for rank 0 to write ``path``."""
    deadline = time.monotonic() + timeout
    while not path.is_file():
        if time.monotonic() > deadline:
            raise TrainingError(f"timed out waiting for {path} (written by rank 0)")
        time.sleep(1)


def resolve_training_data(cfg: Config, data: str | Path, prepared: str | Path) -> Path:
    """``data``: a prepared folder (``fmtts prepare``), a packed cache file (``fmtts pack``, unpacked into
    ``prepared``) or an LJSpeech-format folder (prepared into ``prepared``). Returns the prepared folder."""
    data, prepared = Path(data), Path(prepared)
    if data.is_file():
        from fmtts.data.portable import unpack_caches

        marker = prepared / "cache" / "train" / "meta.json"
        if is_rank_zero() and not marker.is_file():
            unpack_caches(data, prepared)
        wait_for(marker)
        return prepared
    if (data / "metadata.csv").is_file():
        from fmtts.data.prepare import prepare_dataset
        from fmtts.text import TextProcessor

        if is_rank_zero():
            tp = TextProcessor(intersperse_blank=cfg.data.intersperse_blank)
            prepare_dataset(data, prepared, cfg.data, tp)
        wait_for(prepared / "prepare_report.json")
        return prepared
    return data
