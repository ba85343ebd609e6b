"""The trained ISTFTNet as a :class:`~fmtts.vocoder.Vocoder`: loading (training checkpoints or exported
generator files), export, and bf16 inference on CPUs that compute bf16 natively."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import torch

from fmtts import __version__
from fmtts.audio import MelConfig
from fmtts.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from fmtts.devices import cpu_has_native_bf16
from fmtts.user_warnings import warn_caller
from fmtts.vocoder.hifigan import VocoderError, check_mel
from fmtts.vocoder.istft_net import ISTFTNet, ISTFTNetConfig
from fmtts.vocoder.onnx_file import is_onnx_file, read_onnx_vocoder
from fmtts.vocoder.weights import resolve_vocoder_file

KIND = "vocoder"
PRECISIONS = ("auto", "fp32", "bf16")


def load_vocoder_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """A vocoder training checkpoint, exported generator file, or ``.onnx`` vocoder file (the generator
    rebuilt from its metadata and weights), checked for what it must hold; the name of an embedded
    vocoder (``fmtts-joe``) stands for its file."""
    path = resolve_vocoder_file(path)
    if not is_onnx_file(path):
        return load_checkpoint(path, map_location=map_location, kind=KIND)
    try:
        ckpt = read_onnx_vocoder(path)
    except VocoderError as exc:
        raise CheckpointError(str(exc)) from exc
    if ckpt["generator_kind"] != "istftnet":
        raise CheckpointError(f"{path} holds a {ckpt['generator_kind']} generator, not an fmtts ISTFTNet")
    ckpt["generator"] = {k: v.to(map_location) for k, v in ckpt["generator"].items()}
    return ckpt


def export_vocoder(
    checkpoint: str | Path, output: str | Path, dtype: str = "fp16", discriminators: bool = False
) -> Path:
    """Training checkpoint → the generator alone (no optimizer state), a file to ship; with
    ``discriminators`` the discriminators' weights come along, a warm start for ``--init-from`` that is
    a fraction of a full checkpoint's size (what fits through a small transfer to a GPU machine)."""
    ckpt = load_vocoder_checkpoint(checkpoint)
    cast = {"fp16": torch.float16, "fp32": torch.float32}[dtype]

    def converted(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {k: v.to(cast) if v.is_floating_point() else v for k, v in state.items()}

    state = converted(ckpt["generator"])
    payload = {
        "kind": KIND,
        "fmtts_version": __version__,
        "generator_config": ckpt["generator_config"],
        "mel_config": ckpt["mel_config"],
        "generator": state,
        "step": ckpt.get("step", 0),
        "recipe_name": (ckpt.get("recipe") or {}).get("name", ckpt.get("recipe_name", "")),
    }
    if discriminators:
        if "discriminators" not in ckpt:
            raise CheckpointError(f"{checkpoint} holds no discriminators (an exported generator file?)")
        payload["discriminators"] = converted(ckpt["discriminators"])
    return save_checkpoint(payload, output)


class ISTFTVocoder:
    """(n_mels, T) or (B, n_mels, T) log-mel → (T * hop,) or (B, T * hop) audio in [-1, 1].

    ``precision``: "fp32", "bf16" (autocast), or "auto": bf16 on CUDA, fp32 on CPUs. On AVX-512-BF16 CPUs
    bf16 measured from no faster to 2.4× faster than fp32 for this network, with the same DNSMOS
    (BENCHMARKS.md), and emulated bf16 is much slower, so CPUs take bf16 only when asked."""

    def __init__(
        self,
        generator: ISTFTNet,
        mel_config: MelConfig,
        *,
        name: str,
        device: str | torch.device = "cpu",
        precision: str = "auto",
        source: Path | None = None,
    ):
        if precision not in PRECISIONS:
            raise VocoderError(f"vocoder precision must be one of {PRECISIONS}, got {precision!r}")
        self.device = torch.device(device)
        self.generator = generator.to(self.device).eval()
        self.mel_config = mel_config
        self.sample_rate = mel_config.sample_rate
        self.hop_length = mel_config.hop_length
        self.n_mels = generator.cfg.n_mels
        self.name = name
        self.source = source  # the file the weights came from (keys the ONNX export cache)
        if precision == "auto":
            precision = "bf16" if self.device.type == "cuda" else "fp32"
        if precision == "bf16" and self.device.type == "cpu" and cpu_has_native_bf16() is False:
            warn_caller("bf16 on a CPU without AVX-512 BF16 or AMX is emulated and slower than fp32")
        self.precision = precision

    @classmethod
    def from_file(
        cls,
        path: str | Path,
        device: str | torch.device = "cpu",
        precision: str = "auto",
        name: str | None = None,
    ) -> ISTFTVocoder:
        path = resolve_vocoder_file(path)
        try:
            ckpt = load_vocoder_checkpoint(path)
        except CheckpointError as exc:
            raise VocoderError(str(exc)) from exc
        return cls.from_checkpoint(ckpt, path, device=device, precision=precision, name=name)

    @classmethod
    def from_checkpoint(
        cls,
        ckpt: dict[str, Any],
        path: str | Path,
        device: str | torch.device = "cpu",
        precision: str = "auto",
        name: str | None = None,
    ) -> ISTFTVocoder:
        """From what :func:`load_vocoder_checkpoint` returned for ``path``."""
        try:
            cfg = ISTFTNetConfig.from_dict(ckpt["generator_config"])
            generator = ISTFTNet(cfg)
            generator.load_state_dict({k: v.float() for k, v in ckpt["generator"].items()})
        except (ValueError, TypeError, RuntimeError) as exc:
            raise VocoderError(
                f"{path}: the generator weights do not fit its config: {str(exc)[:300]}"
            ) from exc
        mel_config = MelConfig.from_dict(ckpt["mel_config"])
        step = f", step {ckpt['step']}" if "step" in ckpt else ""
        label = name or f"fmtts ISTFTNet ({path}{step})"
        return cls(generator, mel_config, name=label, device=device, precision=precision, source=Path(path))

    def _autocast(self):
        if self.precision != "bf16":
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=torch.bfloat16)

    def __call__(self, mel: torch.Tensor) -> torch.Tensor:
        mel, squeeze = check_mel(mel, self.n_mels)
        if mel.shape[-1] == 0:
            out = torch.zeros(mel.shape[0], 0, device=self.device)
            return out.squeeze(0) if squeeze else out
        with torch.inference_mode(), self._autocast():
            audio = self.generator(mel.to(self.device, torch.float32)).float().clamp(-1.0, 1.0)
        return audio.squeeze(0) if squeeze else audio

    def __repr__(self) -> str:
        return f"ISTFTVocoder(name={self.name!r}, device={self.device}, precision={self.precision})"
