"""Where fmtts finds the files it ships (``fmtts/assets/``: voices and vocoders) and keeps the files it
derives on a user's machine (joined Whisper weights, exported vocoders), and the content digest that keys
them. Torch-free: the runtime reads these paths."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

# Weights shipped in the package: voices (<name>.fmtts, or <name>.pt) and vocoders (<name>.onnx, or <name>.pt)
ASSETS_DIR = Path(__file__).resolve().parent / "assets"
VOICES_DIR = ASSETS_DIR / "voices"
VOCODERS_DIR = ASSETS_DIR / "vocoders"


def user_cache_dir(name: str) -> Path:
    """``$FMTTS_CACHE/<name>``, else ``$XDG_CACHE_HOME/fmtts/<name>``, else ``~/.cache/fmtts/<name>``."""
    root = os.environ.get("FMTTS_CACHE")
    if root:
        return Path(root).expanduser() / name
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "fmtts" / name


def file_sha1(path: str | Path) -> hashlib._Hash:
    """SHA-1 of a file's content, read in blocks (callers may update it further before ``hexdigest()``)."""
    digest = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest
