"""The runtime voice file (``.fmtts``): what a voice is to an install without torch.

A zip archive (deflated: int8 weights still shrink by a tenth; loading measured no slower) holding

    voice.json       the manifest: format and version, the text frontend (normaliser, phonemizer, symbol
                     table), the mel settings and statistics, the duration scale, the step counts the
                     decoder was distilled for, the vocoder the voice was made for, speakers, provenance
    encoder.onnx     tokens → μ (normalised), log-durations, token mask (and the speaker embedding)
    estimator.onnx   the decoder's vector field: (x, mask, μ, t[, step][, speaker]) → velocity

``fmtts export`` writes it from a training checkpoint (that needs torch); :class:`VoiceFile` only reads
the manifest and hands the graphs' bytes to ONNX Runtime.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fmtts.errors import FmttsError

FORMAT = "fmtts-voice"
FORMAT_VERSION = 1
SUFFIX = ".fmtts"
GRAPHS = ("encoder.onnx", "estimator.onnx")


class VoiceFileError(FmttsError, ValueError):
    """A voice file is missing, damaged, or of a format or version this fmtts cannot run."""


@dataclass
class VoiceFile:
    path: Path
    manifest: dict[str, Any]
    graphs: dict[str, bytes] = field(repr=False)

    @property
    def shortcut_steps(self) -> list[int]:
        return list(self.manifest.get("shortcut_steps", []))

    @property
    def default_steps(self) -> int:
        """The step count synthesis uses when the caller does not say (chosen by measurement at export)."""
        from fmtts.sampling import default_steps_for

        return default_steps_for(self.manifest.get("default_steps"), self.shortcut_steps)

    @property
    def speakers(self) -> list[str]:
        return list(self.manifest.get("speakers", []))

    @classmethod
    def read(cls, path: str | Path) -> VoiceFile:
        p = Path(path)
        if not p.is_file():
            raise VoiceFileError(f"voice file not found: {p}")
        try:
            with zipfile.ZipFile(p) as z:
                names = set(z.namelist())
                if "voice.json" not in names:
                    raise VoiceFileError(f"{p}: not an fmtts voice file (no voice.json inside)")
                manifest = json.loads(z.read("voice.json").decode("utf-8"))
                _check_manifest(p, manifest)
                missing = [g for g in GRAPHS if g not in names]
                if missing:
                    raise VoiceFileError(f"{p}: damaged voice file, missing {missing}")
                graphs = {g: z.read(g) for g in GRAPHS}
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, KeyError) as exc:
            raise VoiceFileError(f"{p}: not a readable fmtts voice file ({exc})") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise VoiceFileError(f"{p}: damaged voice manifest ({exc})") from exc
        return cls(p, manifest, graphs)

    def write(self, path: str | Path | None = None) -> Path:
        """Write atomically (a temporary file beside, then a rename)."""
        out = Path(path or self.path)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
        manifest = {"format": FORMAT, "format_version": FORMAT_VERSION, **self.manifest}
        try:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
                z.writestr("voice.json", json.dumps(manifest, indent=1, sort_keys=True))
                for name in GRAPHS:
                    z.writestr(name, self.graphs[name])
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
        return out


def _check_manifest(path: Path, manifest: Any) -> None:
    if not isinstance(manifest, dict):
        raise VoiceFileError(f"{path}: damaged voice manifest (a {type(manifest).__name__}, not an object)")
    if manifest.get("format") != FORMAT:
        raise VoiceFileError(f"{path}: not an fmtts voice file (format {manifest.get('format')!r})")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise VoiceFileError(
            f"{path}: voice file format version {version!r}; this fmtts reads up to {FORMAT_VERSION} "
            "(upgrade fmtts)"
        )
    needed = ("text", "mel_config", "mel_stats", "n_feats", "duration_scale")
    missing = [k for k in needed if k not in manifest]
    if missing:
        raise VoiceFileError(f"{path}: voice manifest lacks {missing}")
