"""Log-mel features in torch: the features the models train on and the vocoders read (training and the
torch backend only; the runtime receives mels from the acoustic model and never computes them)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from fmtts.audio import MelConfig, mel_basis_numpy


class MelSpectrogram(torch.nn.Module):
    """Batched log-mel on any device; the mel basis and window are buffers, so ``.to(device)``
    moves them once and every later call reuses them."""

    def __init__(self, cfg: MelConfig | None = None, mel_basis: torch.Tensor | None = None):
        super().__init__()
        self.cfg = cfg or MelConfig()
        basis = mel_basis if mel_basis is not None else torch.from_numpy(mel_basis_numpy(self.cfg))
        self.register_buffer("mel_basis", basis.float(), persistent=False)
        self.register_buffer("window", torch.hann_window(self.cfg.win_length), persistent=False)

    @torch.no_grad()
    def forward(self, wav: torch.Tensor) -> torch.Tensor:
        """(T,) or (B, T) float audio → (n_mels, frames) or (B, n_mels, frames) log-mel."""
        cfg = self.cfg
        squeeze = wav.dim() == 1
        if squeeze:
            wav = wav.unsqueeze(0)
        wav = wav.to(self.window.device, torch.float32)
        if not cfg.center:
            pad = (cfg.n_fft - cfg.hop_length) // 2
            wav = F.pad(wav.unsqueeze(1), (pad, pad), mode="reflect").squeeze(1)
        mel = self.unpadded(wav)
        return mel.squeeze(0) if squeeze else mel

    @torch.no_grad()
    def unpadded(self, wav: torch.Tensor) -> torch.Tensor:
        """(B, T) audio that already carries its context (the ``(n_fft - hop) / 2`` samples on each side
        that :meth:`forward` would add by reflection) → (B, n_mels, frames). A segment cut with its real
        neighbours gives exactly the frames of the full utterance's mel."""
        cfg = self.cfg
        wav = wav.to(self.window.device, torch.float32)
        spec = torch.stft(
            wav,
            cfg.n_fft,
            hop_length=cfg.hop_length,
            win_length=cfg.win_length,
            window=self.window,
            center=cfg.center,
            pad_mode="reflect",
            normalized=False,
            onesided=True,
            return_complex=True,
        )
        mag = torch.sqrt(spec.real.pow(2) + spec.imag.pow(2) + cfg.magnitude_eps)
        mel = torch.matmul(self.mel_basis, mag)
        return torch.log(torch.clamp(mel, min=cfg.log_clamp))


_MEL_CACHE: dict[tuple[MelConfig, str], MelSpectrogram] = {}


def mel_spectrogram(
    wav: np.ndarray | torch.Tensor, cfg: MelConfig | None = None, device: str | torch.device = "cpu"
) -> torch.Tensor:
    """Functional form of :class:`MelSpectrogram`, with the module cached per (config, device)."""
    cfg = cfg or MelConfig()
    key = (cfg, str(torch.device(device)))
    module = _MEL_CACHE.get(key)
    if module is None:
        module = MelSpectrogram(cfg).to(device)
        _MEL_CACHE[key] = module
    if isinstance(wav, np.ndarray):
        wav = torch.from_numpy(np.ascontiguousarray(wav, dtype=np.float32))
    return module(wav)
