"""Vocoders on ONNX Runtime: an ``.onnx`` file with its mel settings inside (``fmtts export-vocoder
VOC.onnx``; the embedded ones are ``fmtts/assets/vocoders/<name>.onnx``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from fmtts.audio import MelConfig
from fmtts.errors import FmttsError
from fmtts.runtime.sessions import make_session

METADATA_KEY = "fmtts_vocoder"


class RuntimeVocoderError(FmttsError, ValueError):
    """A vocoder the runtime cannot load or run."""


class OnnxVocoderFile:
    """Log-mel (B, n_mels, T) or (n_mels, T) numpy → audio (B, T·hop) float32 in [-1, 1]."""

    def __init__(self, path: str | Path, threads: int | None = None):
        self.path = Path(path)
        if not self.path.is_file():
            raise RuntimeVocoderError(f"vocoder file not found: {self.path}")
        try:
            self.session = make_session(str(self.path), threads)
        except Exception as exc:  # onnxruntime's own exception types
            raise RuntimeVocoderError(f"{self.path}: not a vocoder ONNX Runtime can load: {exc}") from exc
        meta = self.session.get_modelmeta().custom_metadata_map.get(METADATA_KEY)
        if not meta:
            raise RuntimeVocoderError(
                f"{self.path}: an ONNX file without fmtts vocoder metadata (export it with "
                "`fmtts export-vocoder VOCODER OUT.onnx`)"
            )
        try:
            info = json.loads(meta)
            self.mel_config = MelConfig.from_dict(info["mel_config"])
        except (ValueError, KeyError, TypeError) as exc:
            raise RuntimeVocoderError(f"{self.path}: damaged vocoder metadata ({exc})") from exc
        self.name = str(info.get("name", self.path.stem))
        self.sample_rate = self.mel_config.sample_rate
        self.hop_length = self.mel_config.hop_length
        self.n_mels = self.mel_config.n_mels
        self._input = self.session.get_inputs()[0].name

    def __call__(self, mel: np.ndarray) -> np.ndarray:
        x = np.asarray(mel, dtype=np.float32)
        squeeze = x.ndim == 2
        if squeeze:
            x = x[None]
        if x.ndim != 3 or x.shape[1] != self.n_mels:
            raise RuntimeVocoderError(f"expected a (B, {self.n_mels}, T) log-mel, got shape {x.shape}")
        if x.shape[-1] == 0:
            audio = np.zeros((x.shape[0], 0), dtype=np.float32)
        else:
            out = self.session.run(None, {self._input: np.ascontiguousarray(x)})[0]
            audio = np.clip(out.reshape(x.shape[0], -1), -1.0, 1.0).astype(np.float32, copy=False)
        return audio[0] if squeeze else audio

    def __repr__(self) -> str:
        return f"OnnxVocoderFile(name={self.name!r}, path={str(self.path)!r})"
