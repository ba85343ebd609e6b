"""Building blocks shared by the encoder and the estimators (all channel-last unless named otherwise)."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def mish(x: torch.Tensor) -> torch.Tensor:
    """Mish, x·tanh(softplus(x)). In an ONNX export it is written as x·n/(n + 2) with n = eˣ(eˣ + 2), the
    same function with one Exp: the exporter's own form runs ONNX Runtime's Softplus, a slow scalar loop
    that took over a quarter of the U-Net estimator's time on a CPU."""
    if torch.onnx.is_in_onnx_export():
        e = torch.exp(x.clamp(max=20.0))  # past 20, n/(n + 2) is 1 in fp32: mish(x) = x
        n = e * (e + 2.0)
        return x * n / (n + 2.0)
    return F.mish(x)


class RotaryEmbedding(nn.Module):
    """Rotary position embedding (RoPE) on the first ``dim`` channels of each head.

    cos/sin tables are cached per (length, device, dtype, inference mode): the ODE sampler calls every
    attention layer once per step with the same length. Tables made under inference mode are kept apart,
    so they never reach a later training graph.
    """

    def __init__(self, dim: int, base: float = 10_000.0):
        super().__init__()
        if dim % 2:
            raise ValueError("rotary dim must be even")
        self.dim = dim
        inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2).float() / dim))
        self.register_buffer("inv_freq", inv_freq, persistent=False)
        self._tables: dict[tuple, tuple[torch.Tensor, torch.Tensor]] = {}

    def tables(
        self, length: int, device: torch.device, dtype: torch.dtype
    ) -> tuple[torch.Tensor, torch.Tensor]:
        key = (length, str(device), dtype, torch.is_inference_mode_enabled())
        hit = self._tables.get(key)
        if hit is None:
            with torch.no_grad():
                pos = torch.arange(length, device=device, dtype=torch.float32)
                freqs = torch.outer(pos, self.inv_freq.to(device).float())  # (T, dim/2)
                emb = torch.cat([freqs, freqs], dim=-1)
                hit = (emb.cos().to(dtype), emb.sin().to(dtype))
            if len(self._tables) >= 16:  # training sees many lengths: keep the cache small
                self._tables.clear()
            self._tables[key] = hit
        return hit

    def apply(self, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        """x: (B, H, T, head_dim)."""
        rot, rest = x[..., : self.dim], x[..., self.dim :]
        half = self.dim // 2
        rotated = torch.cat([-rot[..., half:], rot[..., :half]], dim=-1)
        return torch.cat([rot * cos + rotated * sin, rest], dim=-1)


class MultiHeadAttention(nn.Module):
    """Self-attention with optional rotary positions and a key-padding mask, via SDPA."""

    def __init__(
        self, dim: int, heads: int, head_dim: int | None = None, dropout: float = 0.0, rotary: bool = True
    ):
        super().__init__()
        self.heads = heads
        self.head_dim = head_dim or dim // heads
        inner = self.heads * self.head_dim
        self.qkv = nn.Linear(dim, 3 * inner)
        self.out = nn.Linear(inner, dim)
        self.dropout = dropout
        self.rope = RotaryEmbedding(self.head_dim // 2 * 2 if self.head_dim >= 2 else 2) if rotary else None

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """x: (B, T, C); mask: (B, T) bool, True = valid."""
        b, t, _ = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, self.head_dim).permute(2, 0, 3, 1, 4)
        if self.rope is not None:
            cos, sin = self.rope.tables(t, x.device, q.dtype)
            q, k = self.rope.apply(q, cos, sin), self.rope.apply(k, cos, sin)
        attn_mask = None if mask is None else mask[:, None, None, :]
        y = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attn_mask, dropout_p=self.dropout if self.training else 0.0
        )
        return self.out(y.transpose(1, 2).reshape(b, t, -1))


class Dropout(nn.Module):
    """``nn.Dropout`` with a cheaper random mask on the CPU.

    torch's CPU dropout draws one Bernoulli sample per element from the Mersenne Twister, single-threaded:
    about a tenth of a training step here. This draws 16 random bits per element, four elements per 64-bit
    draw, and keeps an element when its bits clear a threshold. The rate is ``p`` rounded to 1/65,536 and
    the kept values are scaled by the inverse of that exact keep rate, so the expectation is unchanged.
    It follows torch's global RNG (seeding and resumed RNG states apply). Elsewhere it is ``F.dropout``.
    """

    def __init__(self, p: float = 0.0):
        super().__init__()
        if not 0.0 <= p < 1.0 or round(p * 65536) >= 65536:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p
        self._threshold = int(round(p * 65536)) - 32768  # int16 bits ≥ threshold → keep
        self._scale = 65536 / (65536 - (self._threshold + 32768)) if p else 1.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0.0:
            return x
        if x.device.type != "cpu":
            return F.dropout(x, self.p, training=True)
        n = x.numel()
        bits = torch.randint(-(2**63), 2**63 - 1, ((n + 3) // 4,), dtype=torch.int64)
        keep = bits.view(torch.int16)[:n].view(x.shape) >= self._threshold
        # One select: multiplying by the bool mask would cast it to a float temporary in the forward and
        # again in the backward pass. Autograd keeps only the 1-byte mask; the scale stays exact (fp32).
        return torch.where(keep, x * self._scale, 0.0)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class FeedForward(nn.Module):
    def __init__(self, dim: int, hidden: int, dropout: float = 0.0):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dim, hidden), nn.GELU(approximate="tanh"), Dropout(dropout), nn.Linear(hidden, dim)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class ConvFeedForward(nn.Module):
    """Position-wise FFN with a convolution in front (local context), masked so padding stays zero.

    The weights are ``nn.Conv1d`` parameters, but the forward pass runs on time-major input as one matrix
    product over unfolded windows: on the CPU that is the same arithmetic with a cheaper backward pass than
    oneDNN's convolution at these short lengths (the whole FFN trains ~1.2x faster), and it needs no
    transposes around the encoder's (B, T, C) layout.
    """

    def __init__(self, dim: int, hidden: int, kernel_size: int, dropout: float = 0.0):
        super().__init__()
        if kernel_size % 2 == 0:
            raise ValueError(f"the feed-forward kernel size must be odd (centred windows), got {kernel_size}")
        self.conv1 = nn.Conv1d(dim, hidden, kernel_size, padding=kernel_size // 2)
        self.conv2 = nn.Conv1d(hidden, dim, 1)
        self.dropout = Dropout(dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x: (B, T, C); mask: (B, T) bool."""
        k = self.conv1.kernel_size[0]
        m = mask.unsqueeze(2).to(x.dtype)
        if torch.onnx.is_in_onnx_export():  # the same arithmetic as one Conv node (no Pad/unfold in ONNX)
            h = F.conv1d((x * m).transpose(1, 2), self.conv1.weight, self.conv1.bias, padding=k // 2)
            h = F.gelu(h.transpose(1, 2), approximate="tanh")
            return F.linear(h * m, self.conv2.weight[..., 0], self.conv2.bias) * m
        windows = F.pad(x * m, (0, 0, k // 2, (k - 1) // 2)).unfold(1, k, 1)  # (B, T, C, k)
        w1 = self.conv1.weight.reshape(self.conv1.out_channels, -1)  # (H, C·k), same (c, j) order
        h = F.linear(windows.reshape(*x.shape[:2], -1), w1, self.conv1.bias)
        h = self.dropout(F.gelu(h, approximate="tanh"))
        return F.linear(h * m, self.conv2.weight[..., 0], self.conv2.bias) * m


class TimestepEmbedding(nn.Module):
    """Sinusoidal embedding of t ∈ [0, 1] followed by an MLP."""

    def __init__(self, dim: int, freq_dim: int = 256, scale: float = 1000.0):
        super().__init__()
        self.freq_dim = freq_dim
        self.scale = scale
        self.mlp = nn.Sequential(nn.Linear(freq_dim, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        half = self.freq_dim // 2
        freqs = torch.exp(
            -math.log(10_000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half
        )
        args = (t.float() * self.scale).unsqueeze(-1) * freqs
        emb = torch.cat([args.sin(), args.cos()], dim=-1)
        return self.mlp(emb.to(self.mlp[0].weight.dtype))


class StepSizeEmbedding(TimestepEmbedding):
    """Embedding of the step size d of a shortcut (distilled) estimator, added to the time embedding. Its
    last layer starts at zero, so adding it to a trained estimator leaves that estimator's output as it
    was until distillation trains it."""

    def __init__(self, dim: int, freq_dim: int = 256, scale: float = 1000.0):
        super().__init__(dim, freq_dim, scale)
        nn.init.zeros_(self.mlp[-1].weight)
        nn.init.zeros_(self.mlp[-1].bias)


class ChannelLayerNorm(nn.Module):
    """LayerNorm over the channel axis of a (B, C, T) tensor."""

    def __init__(self, channels: int, eps: float = 1e-5):
        super().__init__()
        self.norm = nn.LayerNorm(channels, eps=eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(x.transpose(1, 2)).transpose(1, 2)


class MaskedGroupNorm(nn.GroupNorm):
    """GroupNorm over the valid frames of a padded (B, C, T) batch.

    Plain GroupNorm takes its statistics over every frame, padding included, so an utterance batched
    with a longer one is normalised differently from the same utterance alone, and its mel changes.
    Here padded frames are left out of the statistics, so each utterance's output is the same at any
    batch size; its padded frames come out as zeros (computed in fp32: a frame far from the statistics
    could overflow fp16). Same parameters and state dict as ``nn.GroupNorm``; without a mask it is plain
    GroupNorm."""

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if mask is None:
            return super().forward(x)
        b, c, t = x.shape
        xg = x.float().reshape(b, self.num_groups, -1, t)
        m = mask.float().reshape(b, 1, 1, t)
        count = (m.sum(dim=-1, keepdim=True) * xg.shape[2]).clamp_min(1.0)
        mean = (xg * m).sum(dim=(2, 3), keepdim=True) / count
        centred = xg - mean
        var = (centred.square() * m).sum(dim=(2, 3), keepdim=True) / count
        y = (centred * torch.rsqrt(var + self.eps)).reshape(b, c, t)
        if self.affine:
            y = y * self.weight.float()[:, None] + self.bias.float()[:, None]
        return (y * mask).to(x.dtype)
