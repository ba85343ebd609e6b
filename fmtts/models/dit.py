"""Estimator (b): a diffusion transformer (DiT) over mel frames.

[x_t, μ] are grouped ``patch_size`` frames per token, embedded, given convolutional positions, and
processed by transformer blocks whose LayerNorms are modulated by the time embedding (adaLN-Zero: each
block starts as the identity). Attention uses rotary positions and a key-padding mask.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from fmtts.config import DecoderConfig
from fmtts.models.layers import (
    FeedForward,
    MultiHeadAttention,
    StepSizeEmbedding,
    TimestepEmbedding,
    mish,
)


class ConvPositions(nn.Module):
    """Two depthwise-grouped convolutions with a residual: relative position information."""

    def __init__(self, dim: int, kernel_size: int, groups: int = 16):
        super().__init__()
        self.conv1 = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2, groups=groups)
        self.conv2 = nn.Conv1d(dim, dim, kernel_size, padding=kernel_size // 2, groups=groups)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, T, C), mask (B, T) bool."""
        m = mask.unsqueeze(1).to(x.dtype)
        h = mish(self.conv1(x.transpose(1, 2) * m))
        h = mish(self.conv2(h * m))
        return x + (h * m).transpose(1, 2)


def _modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1 + scale.unsqueeze(1)) + shift.unsqueeze(1)


class DiTBlock(nn.Module):
    def __init__(self, dim: int, cfg: DecoderConfig):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.attn = MultiHeadAttention(dim, cfg.heads, cfg.head_dim, dropout=cfg.dropout)
        self.norm2 = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.ffn = FeedForward(dim, dim * cfg.ffn_mult, cfg.dropout)
        self.modulation = nn.Linear(dim, 6 * dim)
        nn.init.zeros_(self.modulation.weight)
        nn.init.zeros_(self.modulation.bias)

    def forward(self, x: torch.Tensor, mask: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        shift1, scale1, gate1, shift2, scale2, gate2 = self.modulation(F.silu(cond)).chunk(6, dim=-1)
        x = x + gate1.unsqueeze(1) * self.attn(_modulate(self.norm1(x), shift1, scale1), mask)
        x = x + gate2.unsqueeze(1) * self.ffn(_modulate(self.norm2(x), shift2, scale2))
        return x


class DiTEstimator(nn.Module):
    def __init__(
        self, n_feats: int, cfg: DecoderConfig, speaker_dim: int = 0, step_conditioned: bool = False
    ):
        super().__init__()
        dim, p = cfg.dit_dim, cfg.patch_size
        self.patch = p
        self.n_feats = n_feats
        self.in_proj = nn.Linear(2 * n_feats * p, dim)
        self.positions = ConvPositions(dim, cfg.conv_pos_kernel)
        self.time_embed = TimestepEmbedding(dim)
        self.step_embed = StepSizeEmbedding(dim) if step_conditioned else None
        self.speaker_proj = nn.Linear(speaker_dim, dim) if speaker_dim else None
        self.blocks = nn.ModuleList(DiTBlock(dim, cfg) for _ in range(cfg.dit_layers))
        self.final_norm = nn.LayerNorm(dim, elementwise_affine=False, eps=1e-6)
        self.final_mod = nn.Linear(dim, 2 * dim)
        self.out = nn.Linear(dim, n_feats * p)
        for layer in (self.final_mod, self.out):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor,
        mu: torch.Tensor,
        t: torch.Tensor,
        speaker: torch.Tensor | None = None,
        step: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x, mu: (B, F, T); mask: (B, 1, T) float; t: (B,); step: (B,) step size (step-conditioned
        estimators only) → velocity (B, F, T)."""
        b, f, t_len = x.shape
        p = self.patch
        pad = (-t_len) % p
        if pad:
            x, mu, mask = (F.pad(a, (0, pad)) for a in (x, mu, mask))
        n_tok = x.shape[-1] // p
        h = torch.cat([x, mu], dim=1) * mask  # (B, 2F, T)
        h = h.view(b, 2 * f, n_tok, p).permute(0, 2, 3, 1).reshape(b, n_tok, p * 2 * f)
        tok_mask = mask[:, 0].view(b, n_tok, p).amax(-1) > 0  # (B, N) a token is valid if any frame is
        h = self.positions(self.in_proj(h), tok_mask)
        cond = self.time_embed(t)
        if self.step_embed is not None:
            cond = cond + self.step_embed(step if step is not None else torch.zeros_like(t))
        if self.speaker_proj is not None and speaker is not None:
            cond = cond + self.speaker_proj(speaker)
        for block in self.blocks:
            h = block(h, tok_mask, cond)
        shift, scale = self.final_mod(F.silu(cond)).chunk(2, dim=-1)
        out = self.out(_modulate(self.final_norm(h), shift, scale))  # (B, N, p*F)
        out = out.view(b, n_tok, p, f).permute(0, 3, 1, 2).reshape(b, f, n_tok * p) * mask
        return out[..., :t_len] if pad else out
