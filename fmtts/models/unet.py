"""Estimator (a): a 1-D U-Net over mel frames with transformer blocks at every level.

Input channels are [x_t, μ] (plus a broadcast speaker embedding); the time embedding enters every
ResNet block. Sequences are padded to a multiple of 2^(levels-1) inside ``forward`` and cropped back,
so callers may pass any length.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from fmtts.config import ConfigError, DecoderConfig
from fmtts.models.layers import (
    FeedForward,
    MaskedGroupNorm,
    MultiHeadAttention,
    StepSizeEmbedding,
    TimestepEmbedding,
    mish,
)


def _masked(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """x·mask; mask None means every frame is valid (no product with a mask of ones)."""
    return x if mask is None else x * mask


class ResBlock1D(nn.Module):
    def __init__(self, c_in: int, c_out: int, time_dim: int, groups: int = 8):
        super().__init__()
        self.conv1 = nn.Conv1d(c_in, c_out, 3, padding=1)
        self.norm1 = MaskedGroupNorm(groups, c_out)
        self.time = nn.Linear(time_dim, c_out)
        self.conv2 = nn.Conv1d(c_out, c_out, 3, padding=1)
        self.norm2 = MaskedGroupNorm(groups, c_out)
        self.skip = nn.Conv1d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, temb: torch.Tensor) -> torch.Tensor:
        x = _masked(x, mask)
        h = mish(self.norm1(self.conv1(x), mask))
        h = h + self.time(temb).unsqueeze(-1)
        h = mish(self.norm2(self.conv2(_masked(h, mask)), mask))
        return _masked(h + self.skip(x), mask)


class TransformerBlock(nn.Module):
    """Pre-norm self-attention + feed-forward on a (B, C, T) tensor."""

    def __init__(self, dim: int, cfg: DecoderConfig):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = MultiHeadAttention(dim, cfg.heads, cfg.head_dim, dropout=cfg.dropout)
        self.norm2 = nn.LayerNorm(dim)
        self.ffn = FeedForward(dim, dim * cfg.ffn_mult, cfg.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        h = x.transpose(1, 2)
        h = h + self.attn(self.norm1(h), None if mask is None else mask[:, 0].bool())
        h = h + self.ffn(self.norm2(h))
        return _masked(h.transpose(1, 2), mask)


class Level(nn.Module):
    def __init__(self, c_in: int, c_out: int, time_dim: int, cfg: DecoderConfig, n_transformers: int):
        super().__init__()
        self.res = nn.ModuleList(
            ResBlock1D(c_in if i == 0 else c_out, c_out, time_dim) for i in range(max(1, cfg.res_blocks))
        )
        self.transformers = nn.ModuleList(TransformerBlock(c_out, cfg) for _ in range(n_transformers))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, temb: torch.Tensor) -> torch.Tensor:
        for block in self.res:
            x = block(x, mask, temb)
        for block in self.transformers:
            x = block(x, mask)
        return x


class UNetEstimator(nn.Module):
    def __init__(
        self, n_feats: int, cfg: DecoderConfig, speaker_dim: int = 0, step_conditioned: bool = False
    ):
        super().__init__()
        ch = list(cfg.channels)
        per_level = cfg.level_transformers
        if per_level is None:
            per_level = [cfg.transformer_blocks] * len(ch)
        if len(per_level) != len(ch) or min(per_level) < 0:
            raise ConfigError(
                f"decoder.level_transformers needs {len(ch)} non-negative counts (one per channel entry), "
                f"got {cfg.level_transformers}"
            )
        time_dim = ch[0] * 4
        self.n_down = len(ch) - 1
        self.time_embed = TimestepEmbedding(time_dim)
        self.step_embed = StepSizeEmbedding(time_dim) if step_conditioned else None
        in_ch = 2 * n_feats + speaker_dim
        self.down = nn.ModuleList()
        self.downsample = nn.ModuleList()
        c_prev = in_ch
        for i, c in enumerate(ch):
            self.down.append(Level(c_prev, c, time_dim, cfg, per_level[i]))
            last = i == len(ch) - 1
            self.downsample.append(nn.Identity() if last else nn.Conv1d(c, c, 3, stride=2, padding=1))
            c_prev = c
        self.mid = nn.ModuleList(
            Level(ch[-1], ch[-1], time_dim, cfg, cfg.transformer_blocks) for _ in range(cfg.mid_blocks)
        )
        self.up = nn.ModuleList()
        self.upsample = nn.ModuleList()
        rev = ch[::-1]
        for i, c in enumerate(rev):
            skip = c
            c_out = rev[i + 1] if i + 1 < len(rev) else ch[0]
            self.up.append(Level(c_prev + skip, c_out, time_dim, cfg, per_level[len(ch) - 1 - i]))
            last = i == len(rev) - 1
            self.upsample.append(
                nn.Identity() if last else nn.ConvTranspose1d(c_out, c_out, 4, stride=2, padding=1)
            )
            c_prev = c_out
        self.final_norm = MaskedGroupNorm(8, ch[0])
        self.final = nn.Conv1d(ch[0], n_feats, 1)
        nn.init.zeros_(self.final.weight)
        nn.init.zeros_(self.final.bias)

    def forward(
        self,
        x: torch.Tensor,
        mask: torch.Tensor,
        mu: torch.Tensor,
        t: torch.Tensor,
        speaker: torch.Tensor | None = None,
        step: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """x, mu: (B, F, T); mask: (B, 1, T) float; t: (B,); speaker: (B, S); step: (B,) step size (only
        for a step-conditioned estimator; 0 = the instantaneous velocity) → velocity (B, F, T)."""
        t_len = x.shape[-1]
        mult = 2**self.n_down
        pad = (-t_len) % mult
        if pad:
            x, mu, mask = (F.pad(a, (0, pad)) for a in (x, mu, mask))
        h = torch.cat([x, mu], dim=1)
        if speaker is not None:
            h = torch.cat([h, speaker.unsqueeze(-1).expand(-1, -1, h.shape[-1])], dim=1)
        temb = self.time_embed(t)
        if self.step_embed is not None:
            temb = temb + self.step_embed(step if step is not None else torch.zeros_like(t))
        # On the CPU an all-valid batch that needs no padding (one utterance whose length is a multiple of
        # 2^(levels-1), or training windows cut from long utterances) skips every product with the mask.
        # Not on a GPU (the check would cost a sync) nor under autocast (the fp32 mask products keep the
        # residual stream in fp32 there).
        dense = (
            not pad
            and mask.device.type == "cpu"
            and not torch.is_autocast_enabled("cpu")
            and bool(mask.all())
        )
        masks: list[torch.Tensor | None] = [None if dense else mask]
        skips = []
        for level, down in zip(self.down, self.downsample, strict=True):
            h = level(h, masks[-1], temb)
            skips.append(h)
            if not isinstance(down, nn.Identity):
                h = down(_masked(h, masks[-1]))
                masks.append(None if dense else masks[-1][:, :, ::2])
        for level in self.mid:
            h = level(h, masks[-1], temb)
        for level, up in zip(self.up, self.upsample, strict=True):
            h = level(torch.cat([h, skips.pop()], dim=1), masks[-1], temb)
            if not isinstance(up, nn.Identity):
                masks.pop()
                h = _masked(up(h), masks[-1])
        m = masks[0]
        out = _masked(self.final(_masked(mish(self.final_norm(_masked(h, m), m)), m)), m)
        return out[..., :t_len] if pad else out
