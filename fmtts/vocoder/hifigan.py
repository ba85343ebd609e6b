"""HiFi-GAN generator (Kong et al., 2020) with module names that match the reference (jik876) checkpoints.

The reference code wraps every convolution in weight normalisation, so its checkpoints store
``<layer>.weight_g`` and ``<layer>.weight_v`` instead of ``<layer>.weight``. Here the layers are plain
convolutions and :func:`fold_weight_norm_state_dict` turns the pair into the effective weight
``g * v / ||v||`` (norm over every dimension except 0) while loading, which is exactly what
``remove_weight_norm`` does after loading in the reference code.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from fmtts.audio import MelConfig
from fmtts.errors import FmttsError


class VocoderError(FmttsError, RuntimeError):
    """A vocoder could not be located, loaded or run."""


LRELU_SLOPE = 0.1


@dataclass(frozen=True)
class HiFiGANConfig:
    """Generator architecture plus the audio parameters the weights were trained with."""

    resblock: int = 1
    upsample_rates: tuple[int, ...] = (8, 8, 2, 2)
    upsample_kernel_sizes: tuple[int, ...] = (16, 16, 4, 4)
    upsample_initial_channel: int = 512
    resblock_kernel_sizes: tuple[int, ...] = (3, 7, 11)
    resblock_dilation_sizes: tuple[tuple[int, ...], ...] = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
    num_mels: int = 80
    sampling_rate: int = 22050
    hop_size: int = 256
    n_fft: int = 1024
    win_size: int = 1024
    fmin: float = 0.0
    fmax: float | None = 8000.0
    extra: Mapping[str, object] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __post_init__(self) -> None:
        if self.resblock not in (1, 2):
            raise VocoderError(f"HiFi-GAN resblock type must be 1 or 2, got {self.resblock!r}")
        if len(self.upsample_rates) != len(self.upsample_kernel_sizes):
            raise VocoderError(
                "upsample_rates and upsample_kernel_sizes differ in length: "
                f"{list(self.upsample_rates)} vs {list(self.upsample_kernel_sizes)}"
            )
        if len(self.resblock_kernel_sizes) != len(self.resblock_dilation_sizes):
            raise VocoderError(
                "resblock_kernel_sizes and resblock_dilation_sizes differ in length: "
                f"{list(self.resblock_kernel_sizes)} vs {[list(d) for d in self.resblock_dilation_sizes]}"
            )
        if math.prod(self.upsample_rates) != self.hop_size:
            raise VocoderError(
                f"product of upsample_rates {list(self.upsample_rates)} = {math.prod(self.upsample_rates)} "
                f"does not equal hop_size {self.hop_size}"
            )

    def mel_config(self) -> MelConfig:
        """The mel definition these weights expect (HiFi-GAN's own ``mel_spectrogram``)."""
        return MelConfig(
            sample_rate=self.sampling_rate,
            n_fft=self.n_fft,
            hop_length=self.hop_size,
            win_length=self.win_size,
            n_mels=self.num_mels,
            f_min=float(self.fmin),
            f_max=None if self.fmax is None else float(self.fmax),
        )

    def to_dict(self) -> dict[str, object]:
        """The architecture and audio keys as a jik876 ``config.json`` has them (``extra`` left out), plain
        JSON types: :meth:`from_dict` reads it back."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "extra"}
        return json.loads(json.dumps(d))

    @classmethod
    def from_dict(cls, d: Mapping[str, object]) -> HiFiGANConfig:
        """Build from a jik876 ``config.json`` dict (training-only keys are kept in ``extra``)."""
        names = {f.name for f in dataclasses.fields(cls)} - {"extra"}
        kwargs: dict[str, object] = {}
        for key, value in d.items():
            if key not in names:
                continue
            if key == "resblock":
                value = int(value)  # stored as the string "1" or "2"
            elif key == "resblock_dilation_sizes":
                value = tuple(tuple(int(x) for x in ds) for ds in value)  # type: ignore[union-attr]
            elif key in ("upsample_rates", "upsample_kernel_sizes", "resblock_kernel_sizes"):
                value = tuple(int(x) for x in value)  # type: ignore[union-attr]
            kwargs[key] = value
        extra = {k: v for k, v in d.items() if k not in names}
        try:
            return cls(**kwargs, extra=extra)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise VocoderError(f"invalid HiFi-GAN config: {exc}") from exc

    @classmethod
    def from_json(cls, path: str | Path) -> HiFiGANConfig:
        path = Path(path)
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise VocoderError(f"cannot read HiFi-GAN config {path}: {exc}") from exc
        if not isinstance(d, dict):
            raise VocoderError(f"HiFi-GAN config {path} is not a JSON object")
        return cls.from_dict(d)


# The three generator sizes published with the reference implementation.
V1 = HiFiGANConfig()
V2 = HiFiGANConfig(upsample_initial_channel=128)
V3 = HiFiGANConfig(
    resblock=2,
    upsample_rates=(8, 8, 4),
    upsample_kernel_sizes=(16, 16, 8),
    upsample_initial_channel=256,
    resblock_kernel_sizes=(3, 5, 7),
    resblock_dilation_sizes=((1, 2), (2, 6), (3, 12)),
)
PRESETS: dict[str, HiFiGANConfig] = {"v1": V1, "v2": V2, "v3": V3}


def _same_padding(kernel_size: int, dilation: int = 1) -> int:
    return dilation * (kernel_size - 1) // 2


class ResBlock1(nn.Module):
    """Pairs of (dilated conv, plain conv), each pair wrapped in a residual connection."""

    def __init__(self, channels: int, kernel_size: int, dilations: Sequence[int]):
        super().__init__()
        self.convs1 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, dilation=d, padding=_same_padding(kernel_size, d))
            for d in dilations
        )
        self.convs2 = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, padding=_same_padding(kernel_size)) for _ in dilations
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for dilated, plain in zip(self.convs1, self.convs2, strict=True):
            h = dilated(F.leaky_relu(x, LRELU_SLOPE))
            h = plain(F.leaky_relu(h, LRELU_SLOPE))
            x = x + h
        return x


class ResBlock2(nn.Module):
    """Single dilated convs, each with its own residual connection (the light V3 block)."""

    def __init__(self, channels: int, kernel_size: int, dilations: Sequence[int]):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, dilation=d, padding=_same_padding(kernel_size, d))
            for d in dilations
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for conv in self.convs:
            x = x + conv(F.leaky_relu(x, LRELU_SLOPE))
        return x


class HiFiGANGenerator(nn.Module):
    """Mel (B, num_mels, T) → waveform (B, 1, T * hop) in [-1, 1] (tanh output)."""

    def __init__(self, cfg: HiFiGANConfig = V1):
        super().__init__()
        self.cfg = cfg
        ch = cfg.upsample_initial_channel
        self.num_kernels = len(cfg.resblock_kernel_sizes)
        self.conv_pre = nn.Conv1d(cfg.num_mels, ch, 7, padding=3)
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        block = ResBlock1 if cfg.resblock == 1 else ResBlock2
        for i, (rate, kernel) in enumerate(zip(cfg.upsample_rates, cfg.upsample_kernel_sizes, strict=True)):
            c_in, c_out = ch >> i, ch >> (i + 1)
            self.ups.append(
                nn.ConvTranspose1d(c_in, c_out, kernel, stride=rate, padding=(kernel - rate) // 2)
            )
            for k, dils in zip(cfg.resblock_kernel_sizes, cfg.resblock_dilation_sizes, strict=True):
                self.resblocks.append(block(c_out, k, dils))
        self.conv_post = nn.Conv1d(ch >> len(cfg.upsample_rates), 1, 7, padding=3)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = self.conv_pre(mel)
        for i, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, LRELU_SLOPE))
            blocks = self.resblocks[i * self.num_kernels : (i + 1) * self.num_kernels]
            acc = blocks[0](x)
            for b in blocks[1:]:
                acc = acc + b(x)
            x = acc / self.num_kernels
        # The reference uses leaky_relu's default slope (0.01) here, not LRELU_SLOPE.
        x = self.conv_post(F.leaky_relu(x, 0.01))
        return torch.tanh(x)


def fold_weight_norm(weight_g: torch.Tensor, weight_v: torch.Tensor) -> torch.Tensor:
    """Effective weight of a weight-normalised layer (``dim=0``): ``g * v / ||v||``, where the norm runs
    over every dimension except the first."""
    v = weight_v.float()
    dims = tuple(range(1, v.dim()))
    norm = v.pow(2).sum(dim=dims, keepdim=True).sqrt()
    return (weight_g.float() * v / norm).to(weight_v.dtype)


def fold_weight_norm_state_dict(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Replace every ``X.weight_g`` / ``X.weight_v`` pair by ``X.weight``; other entries pass through.
    Entries that already hold a plain ``X.weight`` (weight norm removed before saving) are kept."""
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        if key.endswith(".weight_g"):
            stem = key[: -len("_g")]
            v = state.get(stem + "_v")
            if v is None:
                raise VocoderError(f"checkpoint has {key} but no matching {stem}_v")
            out[stem] = fold_weight_norm(value, v)
        elif key.endswith(".weight_v"):
            if key[: -len("_v")] + "_g" not in state:
                raise VocoderError(f"checkpoint has {key} but no matching {key[:-2]}_g")
        else:
            out[key] = value
    return out


def load_generator_state(model: HiFiGANGenerator, state: Mapping[str, torch.Tensor], source: str) -> None:
    """Load a (possibly weight-normalised) generator state dict, with a clear error on any mismatch."""
    folded = fold_weight_norm_state_dict(state)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(folded))
    unexpected = sorted(set(folded) - set(expected))
    mismatched = [
        f"{k}: checkpoint {tuple(folded[k].shape)} vs model {tuple(expected[k].shape)}"
        for k in expected
        if k in folded and tuple(folded[k].shape) != tuple(expected[k].shape)
    ]
    if missing or unexpected or mismatched:
        parts = []
        if mismatched:
            parts.append(f"{len(mismatched)} shape mismatch(es): " + "; ".join(mismatched[:5]))
        if missing:
            parts.append(f"{len(missing)} missing key(s): " + ", ".join(missing[:8]))
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected key(s): " + ", ".join(unexpected[:8]))
        raise VocoderError(
            f"generator weights in {source} do not fit the HiFi-GAN config "
            f"(upsample_initial_channel={model.cfg.upsample_initial_channel}, resblock={model.cfg.resblock}, "
            f"upsample_rates={list(model.cfg.upsample_rates)}): "
            + " | ".join(parts)
            + ". Put the checkpoint's config.json next to it (V1 is assumed without one)."
        )
    model.load_state_dict({k: v.float() for k, v in folded.items()}, strict=True)


def read_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, torch.Tensor]:
    """Read a jik876 generator checkpoint ``{'generator': state_dict}`` safely (``weights_only``)."""
    path = Path(path)
    if not path.exists():
        raise VocoderError(f"vocoder checkpoint not found: {path}")
    if not path.is_file():
        raise VocoderError(f"vocoder checkpoint is not a file: {path}")
    try:
        ckpt = torch.load(str(path), map_location=map_location, weights_only=True)
    except Exception as exc:  # UnpicklingError, EOFError, RuntimeError (zip), ValueError, ...
        size = path.stat().st_size
        raise VocoderError(
            f"cannot read vocoder checkpoint {path} ({size} bytes): it is not a valid PyTorch checkpoint, or "
            f"it is truncated/corrupt ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
        ) from exc
    if not isinstance(ckpt, dict):
        raise VocoderError(f"vocoder checkpoint {path} holds a {type(ckpt).__name__}, expected a dict")
    if "generator" not in ckpt:
        keys = ", ".join(sorted(map(str, ckpt))[:10]) or "(none)"
        raise VocoderError(
            f"vocoder checkpoint {path} has no 'generator' entry (top-level keys: {keys}); "
            "expected a HiFi-GAN generator checkpoint as saved by the reference training code"
        )
    state = ckpt["generator"]
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise VocoderError(f"'generator' entry of {path} is not a state dict of tensors")
    return state


class HiFiGAN:
    """A loaded HiFi-GAN ready for inference: ``vocoder(mel) -> audio``.

    ``mel`` is (num_mels, T) or (B, num_mels, T) log-mel (:func:`fmtts.mel.mel_spectrogram` with
    :attr:`mel_config`); the result is (T * hop,) or (B, T * hop) float32 audio in [-1, 1] on the
    vocoder's device.
    """

    def __init__(
        self,
        generator: HiFiGANGenerator,
        name: str,
        device: str | torch.device = "cpu",
    ):
        self.device = torch.device(device)
        self.generator = generator.to(self.device).eval()
        for p in self.generator.parameters():
            p.requires_grad_(False)
        self.cfg = generator.cfg
        self.name = name
        self.sample_rate = self.cfg.sampling_rate
        self.hop_length = self.cfg.hop_size
        self.n_mels = self.cfg.num_mels
        self.mel_config = self.cfg.mel_config()
        self.source: Path | None = None  # an .onnx vocoder file it was rebuilt from (keys its ONNX export)

    @classmethod
    def from_checkpoint(
        cls,
        path: str | Path,
        cfg: HiFiGANConfig | None = None,
        device: str | torch.device = "cpu",
        name: str | None = None,
    ) -> HiFiGAN:
        """Load ``path`` (jik876 format). Without ``cfg`` a ``config.json`` beside it is used, else V1."""
        path = Path(path)
        if cfg is None:
            cfg_path = path.with_name("config.json")
            cfg = HiFiGANConfig.from_json(cfg_path) if cfg_path.is_file() else V1
        state = read_checkpoint(path, map_location="cpu")
        generator = HiFiGANGenerator(cfg)
        load_generator_state(generator, state, str(path))
        return cls(generator, name=name or f"HiFi-GAN ({path})", device=device)

    def __call__(self, mel: torch.Tensor) -> torch.Tensor:
        mel, squeeze = check_mel(mel, self.n_mels)
        if mel.shape[-1] == 0:
            out = torch.zeros(mel.shape[0], 0, device=self.device)
            return out.squeeze(0) if squeeze else out
        with torch.inference_mode():
            audio = self.generator(mel.to(self.device, torch.float32)).squeeze(1)
            audio = audio.clamp(-1.0, 1.0)
        return audio.squeeze(0) if squeeze else audio

    def __repr__(self) -> str:
        return f"HiFiGAN(name={self.name!r}, device={self.device}, sample_rate={self.sample_rate})"


def check_mel(mel: torch.Tensor, n_mels: int) -> tuple[torch.Tensor, bool]:
    """Validate a (n_mels, T) / (B, n_mels, T) mel; returns it batched and whether to un-batch after."""
    if not isinstance(mel, torch.Tensor):
        raise VocoderError(f"mel must be a torch.Tensor, got {type(mel).__name__}")
    squeeze = mel.dim() == 2
    if squeeze:
        mel = mel.unsqueeze(0)
    if mel.dim() != 3 or mel.shape[1] != n_mels:
        raise VocoderError(
            f"mel must be shaped ({n_mels}, frames) or (batch, {n_mels}, frames), got {tuple(mel.shape)}"
        )
    return mel, squeeze
