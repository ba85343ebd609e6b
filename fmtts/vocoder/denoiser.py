"""Bias denoiser: subtracts the vocoder's own "silence" spectrum from its output.

A neural vocoder fed an all-silent mel still emits a faint stationary hum/hiss (its bias). Its STFT
magnitude, averaged over time, is the bias spectrum; ``denoise(audio, strength)`` subtracts
``strength * bias`` from the magnitude of ``audio`` (floored at zero) and re-synthesises with the
original phase. Off by default (strength 0 returns the input untouched).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from fmtts.audio import MelConfig


class Denoiser:
    def __init__(
        self,
        vocoder: Callable[[torch.Tensor], torch.Tensor],
        mel_config: MelConfig | None = None,
        n_frames: int = 88,
        device: str | torch.device = "cpu",
    ):
        cfg = mel_config or MelConfig()
        self.n_fft = cfg.n_fft
        self.hop_length = cfg.hop_length
        self.win_length = cfg.win_length
        self.device = torch.device(device)
        self.window = torch.hann_window(self.win_length, device=self.device)
        silent = torch.full((1, cfg.n_mels, n_frames), float(torch.log(torch.tensor(cfg.log_clamp))))
        with torch.inference_mode():
            bias_audio = vocoder(silent).reshape(1, -1).to(self.device, torch.float32)
            mag = self._stft(bias_audio).abs()
        self.bias = mag.mean(dim=-1, keepdim=True).clone()  # (1, n_fft // 2 + 1, 1)

    def _stft(self, audio: torch.Tensor) -> torch.Tensor:
        return torch.stft(
            audio,
            self.n_fft,
            self.hop_length,
            self.win_length,
            window=self.window,
            center=True,
            pad_mode="reflect",
            return_complex=True,
        )

    def __call__(self, audio: torch.Tensor, strength: float = 0.0) -> torch.Tensor:
        return self.denoise(audio, strength)

    def denoise(self, audio: torch.Tensor, strength: float = 0.0) -> torch.Tensor:
        """(T,) or (B, T) audio → same shape, with ``strength * bias`` removed from its magnitude."""
        if strength == 0.0 or audio.shape[-1] == 0:
            return audio
        if strength < 0.0:
            raise ValueError(f"denoiser strength must be >= 0, got {strength}")
        squeeze = audio.dim() == 1
        x = audio.reshape(1, -1) if squeeze else audio
        x = x.to(self.device, torch.float32)
        length = x.shape[-1]
        if length <= self.n_fft // 2:  # too short for a reflect-padded STFT; nothing sensible to do
            return audio
        with torch.inference_mode():
            spec = self._stft(x)
            mag = (spec.abs() - strength * self.bias).clamp_min(0.0)
            spec = torch.polar(mag, spec.angle())
            out = torch.istft(
                spec,
                self.n_fft,
                self.hop_length,
                self.win_length,
                window=self.window,
                center=True,
                length=length,
            ).clamp(-1.0, 1.0)
        return out.reshape(-1) if squeeze else out
