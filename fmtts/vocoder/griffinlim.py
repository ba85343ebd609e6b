"""Griffin-Lim vocoder: needs no weights, sounds phasey. A fallback and a test double.

The mel is inverted to a linear magnitude with the pseudo-inverse of the mel basis (negatives clamped
to zero), then the phase is estimated with the "fast" Griffin-Lim of Perraudin et al. (2013), i.e. with
momentum. The STFT matches the mel frontend exactly (``center=False`` on a signal reflect-padded by
``(n_fft - hop) / 2``), so T frames give exactly ``T * hop`` samples, like HiFi-GAN.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from fmtts.audio import MelConfig, mel_basis_numpy
from fmtts.vocoder.hifigan import VocoderError, check_mel


class GriffinLim:
    """``vocoder(mel) -> audio`` with the same interface as :class:`fmtts.vocoder.hifigan.HiFiGAN`."""

    def __init__(
        self,
        mel_config: MelConfig | None = None,
        n_iter: int = 32,
        momentum: float = 0.99,
        device: str | torch.device = "cpu",
        seed: int = 0,
    ):
        cfg = mel_config or MelConfig()
        if cfg.center:
            raise VocoderError("GriffinLim supports the HiFi-GAN mel definition (center=False) only")
        if not 0.0 <= momentum < 1.0:
            raise VocoderError(f"Griffin-Lim momentum must be in [0, 1), got {momentum}")
        self.mel_config = cfg
        self.n_iter = int(n_iter)
        self.momentum = float(momentum)
        self.seed = seed
        self.device = torch.device(device)
        self.sample_rate = cfg.sample_rate
        self.hop_length = cfg.hop_length
        self.n_mels = cfg.n_mels
        self.name = f"Griffin-Lim ({self.n_iter} iterations, momentum {self.momentum}; no weights)"
        basis = torch.from_numpy(mel_basis_numpy(cfg)).double()
        self.inverse_basis = torch.linalg.pinv(basis).float().to(self.device)  # (n_freq, n_mels)
        self.window = torch.hann_window(cfg.win_length, device=self.device)
        if cfg.win_length < cfg.n_fft:  # torch.stft centres a short window inside n_fft
            left = (cfg.n_fft - cfg.win_length) // 2
            self.window = F.pad(self.window, (left, cfg.n_fft - cfg.win_length - left))

    def mel_to_magnitude(self, mel: torch.Tensor) -> torch.Tensor:
        """(B, n_mels, T) log-mel → (B, n_fft // 2 + 1, T) non-negative linear magnitude."""
        return torch.matmul(self.inverse_basis, torch.exp(mel)).clamp_min(0.0)

    def _stft(self, x: torch.Tensor) -> torch.Tensor:
        cfg = self.mel_config
        return torch.stft(x, cfg.n_fft, cfg.hop_length, window=self.window, center=False, return_complex=True)

    def _istft(self, spec: torch.Tensor, length: int) -> torch.Tensor:
        """Least-squares inverse of :meth:`_stft` (windowed overlap-add, divided by the summed squared
        window). Written out because ``torch.istft(center=False)`` rejects a Hann window whose first
        sample is zero; the affected edge samples lie in the padding that is cropped afterwards."""
        cfg = self.mel_config
        frames = torch.fft.irfft(spec, n=cfg.n_fft, dim=1) * self.window[:, None]  # (B, n_fft, T)
        n_frames = frames.shape[-1]
        fold = dict(output_size=(1, length), kernel_size=(1, cfg.n_fft), stride=(1, cfg.hop_length))
        audio = F.fold(frames, **fold).reshape(frames.shape[0], length)
        env = self.window.pow(2)[None, :, None].expand(1, cfg.n_fft, n_frames)
        envelope = F.fold(env, **fold).reshape(1, length)
        return audio / envelope.clamp_min(1e-8)

    def __call__(self, mel: torch.Tensor) -> torch.Tensor:
        mel, squeeze = check_mel(mel, self.n_mels)
        cfg = self.mel_config
        n_frames = mel.shape[-1]
        if n_frames == 0:
            out = torch.zeros(mel.shape[0], 0, device=self.device)
            return out.squeeze(0) if squeeze else out
        pad = (cfg.n_fft - cfg.hop_length) // 2
        padded_len = (n_frames - 1) * cfg.hop_length + cfg.n_fft
        with torch.inference_mode():
            magnitude = self.mel_to_magnitude(mel.to(self.device, torch.float32))
            gen = torch.Generator(device="cpu").manual_seed(self.seed)
            phase = torch.rand(magnitude.shape, generator=gen).to(self.device) * (2 * torch.pi)
            angles = torch.polar(torch.ones_like(magnitude), phase)
            previous = torch.zeros_like(angles)
            accel = self.momentum / (1.0 + self.momentum)
            for _ in range(self.n_iter):
                audio = self._istft(magnitude * angles, padded_len)
                rebuilt = self._stft(audio)
                angles = rebuilt - accel * previous
                angles = angles / angles.abs().clamp_min(1e-16)
                previous = rebuilt
            audio = self._istft(magnitude * angles, padded_len)
            audio = audio[:, pad : pad + n_frames * cfg.hop_length].clamp(-1.0, 1.0)
        return audio.squeeze(0) if squeeze else audio

    def __repr__(self) -> str:
        return f"GriffinLim(n_iter={self.n_iter}, momentum={self.momentum}, device={self.device})"
