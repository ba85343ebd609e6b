"""Where fmtts keeps files it derives on a user's machine (joined Whisper weights, exported vocoders)."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir(name: str) -> Path:
    """``$FMTTS_CACHE/<name>``, else ``$XDG_CACHE_HOME/fmtts/<name>``, else ``~/.cache/fmtts/<name>``."""
    root = os.environ.get("FMTTS_CACHE")
    if root:
        return Path(root).expanduser() / name
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "fmtts" / name
