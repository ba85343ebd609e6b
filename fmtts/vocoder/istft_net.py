"""fmtts's own vocoder: ConvNeXt blocks at the mel frame rate and an inverse-STFT head.

All the network's work happens at the frame rate (one vector per 256 samples) instead of at the sample
rate, which is where HiFi-GAN spends most of its time. The last layer predicts, for every frame, a
log-magnitude and a phase for each STFT bin; a fixed inverse DFT and overlap-add turn them into samples.

The head uses "same" framing: frame ``t`` is centred on sample ``t * hop + hop / 2``, which is where the
HiFi-GAN log-mel (reflect padding of ``(n_fft - hop) / 2``, ``center=False``) centres its frame ``t``,
so ``T`` mel frames give exactly ``T * hop`` samples aligned with the audio they came from.

The inverse DFT is a transposed convolution with a fixed cosine/sine kernel (window included), not
``torch.fft.irfft``: it exports to ONNX, runs on every backend, and on short CPU kernels costs about the
same as an FFT followed by a separate overlap-add.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ISTFTNetConfig:
    """The generator's shape (stored in every checkpoint and exported vocoder file)."""

    n_mels: int = 80
    dim: int = 384
    ffn_dim: int = 1152
    blocks: int = 8
    kernel_size: int = 7
    n_fft: int = 1024
    hop_length: int = 256
    # exp() of a raw network output overflows early in training; magnitudes past this are clipped
    max_log_magnitude: float = math.log(100.0)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> ISTFTNetConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown vocoder generator keys {sorted(unknown)}")
        return cls(**d)


class ConvNeXtBlock(nn.Module):
    """Depthwise conv → LayerNorm → pointwise MLP, with a learned per-channel residual scale."""

    def __init__(self, dim: int, ffn_dim: int, kernel_size: int, layer_scale: float):
        super().__init__()
        self.dwconv = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2, groups=dim)
        self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.pw1 = nn.Linear(dim, ffn_dim)
        self.pw2 = nn.Linear(ffn_dim, dim)
        self.gamma = nn.Parameter(torch.full((dim,), layer_scale))

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, T)
        y = self.dwconv(x).transpose(1, 2)
        y = self.pw2(F.gelu(self.pw1(self.norm(y))))
        return x + (self.gamma * y).transpose(1, 2)


def inverse_dft_kernel(n_fft: int) -> torch.Tensor:
    """(2 * (n_fft // 2 + 1), 1, n_fft): real then imaginary rows of the one-sided inverse DFT, each
    multiplied by the periodic Hann synthesis window."""
    bins = n_fft // 2 + 1
    k = torch.arange(bins, dtype=torch.float64)[:, None]
    n = torch.arange(n_fft, dtype=torch.float64)[None, :]
    angle = 2 * math.pi * k * n / n_fft
    weight = torch.full((bins, 1), 2.0, dtype=torch.float64)
    weight[0] = 1.0
    weight[-1] = 1.0  # DC and Nyquist appear once in a real signal's spectrum; the rest twice
    window = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)[None, :]
    re = weight * torch.cos(angle) * window / n_fft
    im = -weight * torch.sin(angle) * window / n_fft
    return torch.cat([re, im]).unsqueeze(1).float()


class ISTFTHead(nn.Module):
    """Per-frame log-magnitude and phase → waveform, by inverse DFT and windowed overlap-add."""

    def __init__(self, dim: int, n_fft: int, hop_length: int, max_log_magnitude: float):
        super().__init__()
        if n_fft % hop_length or (n_fft - hop_length) % 2:
            raise ValueError(f"n_fft {n_fft} must be a multiple of hop {hop_length} with an even difference")
        self.n_fft = n_fft
        self.hop = hop_length
        self.bins = n_fft // 2 + 1
        self.max_log_magnitude = max_log_magnitude
        self.proj = nn.Linear(dim, 2 * self.bins)
        self.register_buffer("kernel", inverse_dft_kernel(n_fft), persistent=False)
        window = torch.hann_window(n_fft, periodic=True)
        self.register_buffer("window_sq", (window**2).view(1, 1, -1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, T) → (B, T * hop)
        log_mag, phase = self.proj(x.transpose(1, 2)).transpose(1, 2).float().chunk(2, dim=1)
        # The synthesis runs in fp32 even under autocast: phase and magnitude need the precision, and
        # CPU transposed convolutions have no fast bf16 kernel.
        with torch.autocast(x.device.type, enabled=False):
            mag = torch.exp(log_mag.clamp(max=self.max_log_magnitude))
            spec = torch.cat([mag * torch.cos(phase), mag * torch.sin(phase)], dim=1)
            frames = x.shape[-1]
            wav = F.conv_transpose1d(spec, self.kernel, stride=self.hop)
            ones = torch.ones(1, 1, frames, dtype=wav.dtype, device=wav.device)
            envelope = F.conv_transpose1d(ones, self.window_sq, stride=self.hop)
        pad = (self.n_fft - self.hop) // 2
        wav = wav[..., pad : pad + frames * self.hop] / envelope[..., pad : pad + frames * self.hop]
        return wav.squeeze(1)


class ISTFTNet(nn.Module):
    """(B, n_mels, T) HiFi-GAN log-mel → (B, T * hop) waveform."""

    def __init__(self, cfg: ISTFTNetConfig | None = None):
        super().__init__()
        self.cfg = cfg = cfg or ISTFTNetConfig()
        self.embed = nn.Conv1d(cfg.n_mels, cfg.dim, cfg.kernel_size, padding=cfg.kernel_size // 2)
        self.norm = nn.LayerNorm(cfg.dim, eps=1e-6)
        scale = 1.0 / cfg.blocks
        self.blocks = nn.ModuleList(
            ConvNeXtBlock(cfg.dim, cfg.ffn_dim, cfg.kernel_size, scale) for _ in range(cfg.blocks)
        )
        self.final_norm = nn.LayerNorm(cfg.dim, eps=1e-6)
        self.head = ISTFTHead(cfg.dim, cfg.n_fft, cfg.hop_length, cfg.max_log_magnitude)
        self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Conv1d | nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)

    def forward(self, mel: torch.Tensor) -> torch.Tensor:
        x = self.embed(mel)
        x = self.norm(x.transpose(1, 2)).transpose(1, 2)
        for block in self.blocks:
            x = block(x)
        x = self.final_norm(x.transpose(1, 2)).transpose(1, 2)
        return self.head(x)
