"""Copy synthesis: wav → mel → vocoder → wav. Checks a vocoder (and the mel frontend) end to end."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from fmtts.audio import AudioError, MelConfig, check_output_path, load_audio, save_audio
from fmtts.devices import pick_device, synchronize
from fmtts.mel import mel_spectrogram


def vocode_file(
    in_path: str | Path,
    out_path: str | Path,
    vocoder: str = "universal",
    device: str = "auto",
    denoise: float = 0.0,
) -> dict[str, object]:
    """Re-synthesise ``in_path`` through ``vocoder`` (a name or checkpoint path, see
    :func:`fmtts.vocoder.load_vocoder`) and write ``out_path``.

    Returns ``{"in_path", "out_path", "vocoder", "sample_rate", "frames", "audio_seconds",
    "load_seconds", "mel_seconds", "vocoder_seconds", "rtf"}``; ``rtf`` is vocoder time divided by audio
    duration (mel extraction and file I/O excluded; model loading is reported separately).
    """
    from fmtts.vocoder.loading import load_vocoder

    check_output_path(out_path)
    t0 = time.perf_counter()
    device = pick_device(device)
    voc = load_vocoder(vocoder, device=device, denoise=denoise)
    load_s = time.perf_counter() - t0
    mel_cfg: MelConfig = getattr(voc, "mel_config", None) or MelConfig(sample_rate=voc.sample_rate)
    wav = load_audio(in_path, mel_cfg.sample_rate)
    if len(wav) < mel_cfg.n_fft:  # the mel's reflect padding needs a clip longer than its padding
        raise AudioError(
            f"{in_path} is {len(wav)} samples long; copy synthesis needs at least {mel_cfg.n_fft}"
        )
    t1 = time.perf_counter()
    mel = mel_spectrogram(wav, mel_cfg, device=device)
    mel_s = time.perf_counter() - t1
    synchronize(mel.device)
    t2 = time.perf_counter()
    audio = voc(mel)
    synchronize(audio.device)
    voc_s = time.perf_counter() - t2
    out = audio.detach().float().cpu().numpy().astype(np.float32)
    save_audio(out_path, out, voc.sample_rate)
    seconds = len(out) / voc.sample_rate
    return {
        "in_path": str(in_path),
        "out_path": str(out_path),
        "vocoder": voc.name,
        "sample_rate": voc.sample_rate,
        "frames": int(mel.shape[-1]),
        "audio_seconds": seconds,
        "load_seconds": load_s,
        "mel_seconds": mel_s,
        "vocoder_seconds": voc_s,
        "rtf": voc_s / seconds if seconds > 0 else float("nan"),
    }
