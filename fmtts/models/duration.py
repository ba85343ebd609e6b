"""Durations: the predictor of per-token log-durations, and their conversion to whole frames."""

from __future__ import annotations

import torch
from torch import nn

from fmtts.config import DurationConfig
from fmtts.models.layers import ChannelLayerNorm, Dropout


class DurationPredictor(nn.Module):
    """Predicts log-durations from the (detached) encoder output."""

    def __init__(self, in_channels: int, cfg: DurationConfig):
        super().__init__()
        k = cfg.kernel_size
        self.conv1 = nn.Conv1d(in_channels, cfg.channels, k, padding=k // 2)
        self.norm1 = ChannelLayerNorm(cfg.channels)
        self.conv2 = nn.Conv1d(cfg.channels, cfg.channels, k, padding=k // 2)
        self.norm2 = ChannelLayerNorm(cfg.channels)
        self.proj = nn.Conv1d(cfg.channels, 1, 1)
        self.dropout = Dropout(cfg.dropout)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """x (B, C, T), mask (B, 1, T) → log-durations (B, 1, T)."""
        h = self.dropout(self.norm1(torch.relu(self.conv1(x * mask))))
        h = self.dropout(self.norm2(torch.relu(self.conv2(h * mask))))
        return self.proj(h * mask) * mask


def frames_from_log_durations(
    logw: torch.Tensor, mask: torch.Tensor, length_scale: float = 1.0
) -> torch.Tensor:
    """(B, T_x) predicted log-durations → integer frames per token.

    Every token keeps at least one frame (as in training, where monotonic alignment gives each token one
    or more), and the frames beyond that first one are rounded with the remainder carried from token to
    token: round(running total) − round(previous running total). So the total stays within half a frame
    of the predicted one. Rounding every token up on its own (ceil) adds about half a frame per token,
    blanks included, and made voices drawl."""
    extra = (torch.exp(logw.float()) * length_scale - 1.0).clamp_min(0) * mask
    total = torch.round(torch.cumsum(extra, dim=1))
    extra_frames = torch.diff(total, dim=1, prepend=torch.zeros_like(total[:, :1]))
    return ((1 + extra_frames.clamp_min(0)) * mask).long()


@torch.no_grad()
def calibrate_duration_scale(model, batches) -> float:
    """The factor that makes ``model`` speak as long as its training data: total frames that monotonic
    alignment assigns to the recorded mels / total frames the duration predictor gives the same texts
    (at length scale 1, before calibration). ``batches`` yields (tokens, token_lengths, mels,
    mel_lengths) tensors; ``model`` is a :class:`~fmtts.models.tts.FlowTTS`."""
    model.eval()
    aligned = predicted = 0.0
    for tokens, token_lengths, mels, mel_lengths in batches:
        aligned += float(model.align(tokens, token_lengths, mels, mel_lengths).sum())
        _, hidden, x_mask = model.encoder(tokens, token_lengths, None)
        logw = model.duration_predictor(hidden, x_mask)
        predicted += float(frames_from_log_durations(logw[:, 0], x_mask[:, 0]).sum())
    if predicted <= 0:
        raise ValueError("no tokens to calibrate durations on")
    return aligned / predicted
