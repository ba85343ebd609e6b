"""Text encoder: symbols → hidden states and the mel-space prior μ."""

from __future__ import annotations

import math

import torch
from torch import nn

from fmtts.config import EncoderConfig
from fmtts.models.layers import ChannelLayerNorm, ConvFeedForward, Dropout, MultiHeadAttention
from fmtts.models.masks import sequence_mask


class ConvPrenet(nn.Module):
    """A residual stack of conv → LayerNorm → ReLU → dropout, zero-initialised output projection."""

    def __init__(self, channels: int, layers: int, kernel_size: int, dropout: float):
        super().__init__()
        self.convs = nn.ModuleList(
            nn.Conv1d(channels, channels, kernel_size, padding=kernel_size // 2) for _ in range(layers)
        )
        self.norms = nn.ModuleList(ChannelLayerNorm(channels) for _ in range(layers))
        self.dropout = Dropout(dropout)
        self.proj = nn.Conv1d(channels, channels, 1)
        nn.init.zeros_(self.proj.weight)
        nn.init.zeros_(self.proj.bias)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x: (B, C, T); mask: (B, 1, T) float."""
        h = x
        for conv, norm in zip(self.convs, self.norms, strict=True):
            h = self.dropout(torch.relu(norm(conv(h * mask))))
        return (x + self.proj(h)) * mask


class EncoderLayer(nn.Module):
    """Pre-norm transformer layer: rotary self-attention and a conv feed-forward."""

    def __init__(self, cfg: EncoderConfig):
        super().__init__()
        self.norm1 = nn.LayerNorm(cfg.channels)
        self.attn = MultiHeadAttention(cfg.channels, cfg.heads, dropout=cfg.dropout)
        self.norm2 = nn.LayerNorm(cfg.channels)
        self.ffn = ConvFeedForward(cfg.channels, cfg.ffn_channels, cfg.kernel_size, cfg.dropout)
        self.dropout = Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x: (B, T, C); mask: (B, T) bool."""
        x = x + self.dropout(self.attn(self.norm1(x), mask))
        x = x + self.dropout(self.ffn(self.norm2(x), mask))
        return x


class TextEncoder(nn.Module):
    def __init__(self, n_vocab: int, n_feats: int, cfg: EncoderConfig, speaker_dim: int = 0):
        super().__init__()
        self.cfg = cfg
        self.embedding = nn.Embedding(n_vocab, cfg.channels)
        nn.init.normal_(self.embedding.weight, 0.0, cfg.channels**-0.5)
        self.prenet = ConvPrenet(cfg.channels, cfg.prenet_layers, 5, 0.5) if cfg.prenet_layers else None
        self.speaker_proj = nn.Linear(speaker_dim, cfg.channels) if speaker_dim else None
        self.layers = nn.ModuleList(EncoderLayer(cfg) for _ in range(cfg.layers))
        self.norm = nn.LayerNorm(cfg.channels)
        self.proj_mu = nn.Conv1d(cfg.channels, n_feats, 1)

    def forward(
        self, tokens: torch.Tensor, lengths: torch.Tensor, speaker: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """tokens (B, T) → (mu (B, n_feats, T), hidden (B, C, T), mask (B, 1, T) float)."""
        mask_b = sequence_mask(lengths, tokens.shape[1])
        mask = mask_b.unsqueeze(1).to(self.embedding.weight.dtype)
        x = self.embedding(tokens) * math.sqrt(self.cfg.channels)  # (B, T, C)
        x = x.transpose(1, 2)
        if self.prenet is not None:
            x = self.prenet(x, mask)
        x = x.transpose(1, 2)
        if self.speaker_proj is not None and speaker is not None:
            x = x + self.speaker_proj(speaker).unsqueeze(1)
        for layer in self.layers:
            x = layer(x, mask_b)
        h = (self.norm(x).transpose(1, 2)) * mask
        mu = self.proj_mu(h) * mask
        return mu, h, mask
