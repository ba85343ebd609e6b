"""What ``--data`` may name for a training run, turned into the prepared folder the trainer reads.

Under torchrun only rank 0 prepares; the other ranks wait until the folder holds what their own
inputs would give (the report of the same preparation, or the digest of the same pack).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from fmtts.config import Config
from fmtts.paths import file_sha1
from fmtts.text import TextProcessor
from fmtts.training.common import TrainingError


def is_rank_zero() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def _holds(path: Path, content: str | None) -> bool:
    if content is None:
        return path.is_file()
    try:
        return path.read_text(encoding="utf-8") == content
    except OSError:
        return False


def wait_for(path: Path, timeout: float = 3600.0, content: str | None = None) -> None:
    """Ranks > 0 wait (polling) for rank 0 to write ``path`` (holding ``content``, when given)."""
    deadline = time.monotonic() + timeout
    while not _holds(path, content):
        if time.monotonic() > deadline:
            raise TrainingError(f"timed out waiting for {path} (written by rank 0)")
        time.sleep(1)


def resolve_training_data(
    cfg: Config,
    data: str | Path,
    prepared: str | Path,
    text: TextProcessor | None = None,
    progress: bool = True,
) -> Path:
    """``data``: a prepared folder (``fmtts prepare``), a packed cache file (``fmtts pack``, unpacked into
    ``prepared``) or an LJSpeech-format folder (prepared into ``prepared`` with ``text``, default the
    standard frontend with the config's blanks; fine-tuning passes the voice's own; ``progress``: a bar
    while it prepares). Returns the prepared folder."""
    data, prepared = Path(data), Path(prepared)
    if data.is_file():
        return _unpacked(data, prepared)
    if (data / "metadata.csv").is_file():
        from fmtts.data.prepare import prepare_dataset, wait_for_preparation

        tp = text or TextProcessor(intersperse_blank=cfg.data.intersperse_blank)
        if is_rank_zero():
            prepare_dataset(data, prepared, cfg.data, tp, progress=progress)
        else:  # not the report alone: an older preparation's stays until rank 0 removes it
            wait_for_preparation(data, prepared, cfg.data, tp)
        return prepared
    return data


def _unpacked(pack: Path, prepared: Path) -> Path:
    """The packed cache ``pack`` unpacked into ``prepared``: reused when it was unpacked from this very
    file (its digest is stamped beside the caches), unpacked again when the pack changed."""
    from fmtts.data.portable import unpack_caches

    if (prepared / "prepare_report.json").is_file():
        raise TrainingError(
            f"{prepared} holds data prepared from recordings; unpack {pack} into another folder (--prepared)"
        )
    stamp, content = prepared / "cache" / "unpacked_from.sha1", file_sha1(pack).hexdigest()
    if is_rank_zero() and not _holds(stamp, content):
        shutil.rmtree(prepared / "cache", ignore_errors=True)  # another pack's splits must not linger
        unpack_caches(pack, prepared)
        tmp = stamp.with_name(stamp.name + ".tmp")
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(stamp)
    wait_for(stamp, content=content)
    return prepared
