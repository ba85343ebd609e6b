"""Vocoder training losses: multi-resolution log-mel L1 (what is heard), a compressed-spectrum distance
to a teacher's output (distillation), hinge adversarial losses and discriminator feature matching."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from fmtts.audio import mel_filterbank


class MultiResolutionMelLoss(nn.Module):
    """Mean L1 distance between log-mels of two waveforms at several (n_fft, n_mels) resolutions,
    full band (the HiFi-GAN input mel stops at 8 kHz; the loss must also see what lies above)."""

    def __init__(self, sample_rate: int, resolutions: list[tuple[int, int]]):
        super().__init__()
        self.resolutions = [(int(n), int(m)) for n, m in resolutions]
        for n_fft, n_mels in self.resolutions:
            basis = torch.from_numpy(mel_filterbank(sample_rate, n_fft, n_mels))
            self.register_buffer(f"basis_{n_fft}", basis, persistent=False)
            self.register_buffer(f"window_{n_fft}", torch.hann_window(n_fft), persistent=False)

    def log_mel(self, wav: torch.Tensor, n_fft: int) -> torch.Tensor:
        window = getattr(self, f"window_{n_fft}")
        spec = torch.stft(wav.float(), n_fft, n_fft // 4, window=window, center=True, return_complex=True)
        mag = torch.sqrt(spec.real.pow(2) + spec.imag.pow(2) + 1e-9)
        return torch.log(torch.matmul(getattr(self, f"basis_{n_fft}"), mag).clamp(min=1e-5))

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        total = fake.new_zeros((), dtype=torch.float32)
        for n_fft, _ in self.resolutions:
            total = total + F.l1_loss(self.log_mel(fake, n_fft), self.log_mel(real, n_fft))
        return total / len(self.resolutions)


class CompressedSpectrumLoss(nn.Module):
    """Distance between a waveform and a deterministic target (a teacher vocoder's output) in the
    power-law compressed STFT, ``|S|^c`` and ``|S|^c e^{i phase}``, at several resolutions. The complex
    term supervises phase directly (no wrapping: it compares points in the plane), the magnitude term
    keeps the energy of noisy bands whose exact phase cannot be matched; compression lets quiet
    harmonics count beside loud ones."""

    def __init__(self, resolutions: list[tuple[int, int]], power: float = 0.3):
        super().__init__()
        self.resolutions = [(int(n), int(h)) for n, h in resolutions]
        self.power = float(power)
        for n_fft, _ in self.resolutions:
            self.register_buffer(f"window_{n_fft}", torch.hann_window(n_fft), persistent=False)

    def forward(self, fake: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        total = fake.new_zeros((), dtype=torch.float32)
        for n_fft, hop in self.resolutions:
            window = getattr(self, f"window_{n_fft}")
            terms = []
            for wav in (fake, target):
                spec = torch.stft(wav.float(), n_fft, hop, window=window, center=True, return_complex=True)
                mag = torch.sqrt(spec.real.pow(2) + spec.imag.pow(2) + 1e-9)
                scale = mag.pow(self.power - 1.0)  # |S|^c e^{i phase} = S * |S|^(c - 1)
                terms.append((mag * scale, spec.real * scale, spec.imag * scale))
            (mf, rf, if_), (mt, rt, it) = terms
            magnitude = F.mse_loss(mf, mt)
            complex_ = F.mse_loss(rf, rt) + F.mse_loss(if_, it)
            total = total + magnitude + complex_
        return total / len(self.resolutions)


def discriminator_loss(real_scores: list[torch.Tensor], fake_scores: list[torch.Tensor]) -> torch.Tensor:
    """Hinge loss, averaged over sub-discriminators."""
    total = sum(
        F.relu(1 - r.float()).mean() + F.relu(1 + f.float()).mean()
        for r, f in zip(real_scores, fake_scores, strict=True)
    )
    return total / len(real_scores)


def generator_adversarial_loss(fake_scores: list[torch.Tensor]) -> torch.Tensor:
    return sum(F.relu(1 - f.float()).mean() for f in fake_scores) / len(fake_scores)


def feature_matching_loss(
    real_feats: list[list[torch.Tensor]], fake_feats: list[list[torch.Tensor]]
) -> torch.Tensor:
    """Mean L1 between the discriminators' layer activations on real and generated audio; each
    layer's distance is divided by the real activations' mean magnitude so that every layer counts."""
    terms = []
    for rs, fs in zip(real_feats, fake_feats, strict=True):
        for r, f in zip(rs, fs, strict=True):
            r = r.detach().float()
            terms.append(F.l1_loss(f.float(), r) / (r.abs().mean() + 1e-4))
    return torch.stack(terms).mean()
