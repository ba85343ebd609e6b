"""fmtts's own vocoder: ConvNeXt blocks at the mel frame rate and an inverse-STFT head.

All the network's work happens at the frame rate (one vector per 256 samples) instead of at the sample
rate, which is where HiFi-GAN spends most of its time. The last layer predicts, for every frame, a
log-magnitude and a phase for each STFT bin; a fixed inverse DFT and overlap-add turn them into samples.

The head uses "same" framing: frame ``t`` is centred on sample ``t * hop + hop / 2``, which is where the
HiFi-GAN log-mel (reflect padding of ``(n_fft - hop) / 2``, ``center=False``) centres its frame ``t``,
so ``T`` mel frames give exactly ``T * hop`` samples aligned with the audio they came from.

In torch the inverse DFT is a transposed convolution with a fixed cosine/sine kernel (window included),
not ``torch.fft.irfft``: it runs on every backend, under autocast, and costs about the same as an FFT
followed by a separate overlap-add. In an ONNX export it is :func:`factored_inverse_dft`, the same numbers
from two stages of small matrix products (a Cooley-Tukey split of the n_fft points), computed from a few
constants the graph derives itself: about a fifth of the dense kernel's multiplications, where the dense
form was the largest single cost of a narrow generator on ONNX Runtime.
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


def _split(n: int) -> tuple[int, int]:
    """n = n1 · n2 with n1 the largest divisor of n not above √n."""
    n1 = max(d for d in range(1, math.isqrt(n) + 1) if n % d == 0)
    return n1, n // n1


def factored_inverse_dft(spec: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    """``F.conv_transpose1d(spec, inverse_dft_kernel(n_fft), stride=hop)`` computed as a two-stage
    inverse DFT of the Hermitian spectrum followed by an overlap-add: (B, 2 bins, T) → (B, 1, (T - 1)·hop
    + n_fft). Its constants come from ``arange`` (float64 cos and sin), so an exported graph holds no
    weight-sized tensor for them and ONNX Runtime folds them when it loads the graph.

    With n = n1 + N1·n2 and k = N2·k1 + k2 (n_fft = N1·N2), x[n] = Σ_k2 e^(2πi k2 n2 / N2) ·
    e^(2πi k2 n1 / n_fft) · Σ_k1 X[k] e^(2πi k1 n1 / N1): an N1-point stage, a twiddle, an N2-point stage
    of which only the real part is needed."""
    b, _, frames = spec.shape
    bins = n_fft // 2 + 1
    n1s, n2s = _split(n_fft)

    def angles(rows: int, cols: int, period: int) -> torch.Tensor:
        r = torch.arange(rows, dtype=torch.float64, device=spec.device)
        c = torch.arange(cols, dtype=torch.float64, device=spec.device)
        return r[:, None] * c[None, :] * (2 * math.pi / period)

    a1 = angles(n1s, n1s, n1s)  # (n1, k1)
    c1, s1 = torch.cos(a1), torch.sin(a1)
    stage1 = torch.cat([torch.cat([c1, -s1], 1), torch.cat([s1, c1], 1)], 0).float()  # [Xr; Xi] → [Yr; Yi]
    tw = angles(n1s, n2s, n_fft)  # (n1, k2)
    tw_cos, tw_sin = torch.cos(tw).float(), torch.sin(tw).float()
    a3 = angles(n2s, n2s, n2s)  # (k2, n2)
    stage3 = torch.cat([torch.cos(a3), -torch.sin(a3)], 0).float()  # [Zr, Zi] → Re x
    n = torch.arange(n_fft, dtype=torch.float64, device=spec.device)
    window = ((0.5 - 0.5 * torch.cos(n * (2 * math.pi / n_fft))) / n_fft).float()  # periodic Hann, 1/N
    window = window.reshape(n2s, n1s).transpose(0, 1)  # (n1, n2), as the output is laid out

    s = spec.transpose(1, 2)  # (B, T, 2 bins)
    re, im = s[..., :bins], s[..., bins:]
    re = torch.cat([re, re[..., 1:-1].flip(-1)], -1)  # the Hermitian spectrum: X[n_fft - k] = conj X[k]
    im = torch.cat([im, -im[..., 1:-1].flip(-1)], -1)
    x = torch.cat([re.reshape(b, frames, n1s, n2s), im.reshape(b, frames, n1s, n2s)], 2)
    y = torch.matmul(stage1, x)  # (B, T, 2 n1, k2)
    yr, yi = y[:, :, :n1s], y[:, :, n1s:]
    z = torch.cat([yr * tw_cos - yi * tw_sin, yr * tw_sin + yi * tw_cos], -1)  # (B, T, n1, 2 k2)
    out = torch.matmul(z, stage3) * window  # (B, T, n1, n2): windowed frame samples
    parts = n_fft // hop
    chunks = out.transpose(2, 3).reshape(b, frames, parts, hop)  # frame t's samples, hop by hop
    wav = sum(F.pad(chunks[:, :, j], (0, 0, j, parts - 1 - j)) for j in range(parts))  # overlap-add
    return wav.reshape(b, 1, -1)


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
            if torch.onnx.is_in_onnx_export():
                wav = factored_inverse_dft(spec, self.n_fft, self.hop)
            else:
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
