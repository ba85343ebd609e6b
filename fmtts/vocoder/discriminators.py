"""Discriminators for vocoder training: multi-period (waveform folded by a period) and multi-resolution
(log-magnitude spectrograms at several FFT sizes). Both are slimmer than HiFi-GAN's: on a CPU the
discriminators cost more than the generator, and their width mostly buys late-training polish.

Each discriminator returns its score map and the feature maps of every layer (for feature matching).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import weight_norm


@dataclass
class DiscriminatorConfig:
    periods: list[int] = field(default_factory=lambda: [2, 3, 5, 7, 11])
    period_channels: list[int] = field(default_factory=lambda: [16, 32, 64, 128])
    resolutions: list[int] = field(default_factory=lambda: [512, 1024, 2048])  # FFT sizes, hop = n / 4
    resolution_channels: int = 16

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


Scores = list[torch.Tensor]
Features = list[list[torch.Tensor]]


def _conv_stack(
    convs: nn.ModuleList, out: nn.Module, x: torch.Tensor
) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """Leaky-ReLU conv layers then the score layer: (flattened scores, every layer's activations)."""
    feats = []
    for conv in convs:
        x = F.leaky_relu(conv(x), 0.1)
        feats.append(x)
    x = out(x)
    feats.append(x)
    return x.flatten(1), feats


class PeriodDiscriminator(nn.Module):
    def __init__(self, period: int, channels: list[int]):
        super().__init__()
        self.period = period
        chans = [1, *channels]
        self.convs = nn.ModuleList(
            weight_norm(nn.Conv2d(cin, cout, (5, 1), (3, 1), padding=(2, 0)))
            for cin, cout in zip(chans[:-1], chans[1:], strict=True)
        )
        self.convs.append(weight_norm(nn.Conv2d(chans[-1], chans[-1], (5, 1), 1, padding=(2, 0))))
        self.out = weight_norm(nn.Conv2d(chans[-1], 1, (3, 1), 1, padding=(1, 0)))

    def forward(self, wav: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:  # (B, T)
        b, t = wav.shape
        if t % self.period:
            wav = F.pad(wav, (0, self.period - t % self.period), mode="reflect")
        x = wav.view(b, 1, -1, self.period)
        return _conv_stack(self.convs, self.out, x)


class ResolutionDiscriminator(nn.Module):
    def __init__(self, n_fft: int, channels: int):
        super().__init__()
        self.n_fft = n_fft
        self.hop = n_fft // 4
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        c = channels
        self.convs = nn.ModuleList(
            [
                # strided in frequency from the first layer: full-resolution layers cost the most
                weight_norm(nn.Conv2d(1, c, (3, 9), stride=(1, 2), padding=(1, 4))),
                weight_norm(nn.Conv2d(c, c, (3, 9), stride=(1, 2), padding=(1, 4))),
                weight_norm(nn.Conv2d(c, c, (3, 9), stride=(1, 2), padding=(1, 4))),
                weight_norm(nn.Conv2d(c, c, (3, 9), stride=(1, 2), padding=(1, 4))),
                weight_norm(nn.Conv2d(c, c, (3, 3), padding=(1, 1))),
            ]
        )
        self.out = weight_norm(nn.Conv2d(c, 1, (3, 3), padding=(1, 1)))

    def forward(self, wav: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        spec = torch.stft(
            wav.float(), self.n_fft, self.hop, window=self.window, center=True, return_complex=True
        )
        # (B, 1, frames, bins): time along the first axis, frequency strided down by the convs
        x = torch.log(spec.abs().clamp(min=1e-5)).transpose(1, 2).unsqueeze(1)
        return _conv_stack(self.convs, self.out, x)


class Discriminators(nn.Module):
    """All sub-discriminators of a recipe, applied to the same waveform batch."""

    def __init__(self, cfg: DiscriminatorConfig | None = None):
        super().__init__()
        cfg = cfg or DiscriminatorConfig()
        self.subs = nn.ModuleList(
            [PeriodDiscriminator(p, cfg.period_channels) for p in cfg.periods]
            + [ResolutionDiscriminator(n, cfg.resolution_channels) for n in cfg.resolutions]
        )

    def forward(self, wav: torch.Tensor) -> tuple[Scores, Features]:
        scores, feats = [], []
        for d in self.subs:
            s, f = d(wav)
            scores.append(s)
            feats.append(f)
        return scores, feats
