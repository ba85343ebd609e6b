"""Export a training checkpoint as a compact inference voice: EMA weights only, optionally fp16."""

from __future__ import annotations

from pathlib import Path

import torch

from fmtts.checkpoint import inference_state, load_checkpoint, save_checkpoint

INFERENCE_KEYS = ("fmtts_version", "config", "text", "mel_config", "mel_stats", "step", "vocoder")


def export_voice(
    checkpoint: str | Path, output: str | Path, dtype: str = "fp16", vocoder: str | None = None
) -> Path:
    """``vocoder``: the name or path of the vocoder this voice is meant for (``TTS.load`` uses it)."""
    ckpt = load_checkpoint(checkpoint)
    state = inference_state(ckpt)
    cast = torch.float16 if dtype == "fp16" else torch.float32
    # mel statistics buffers stay fp32: they set the output scale and cost nothing.
    weights = {
        k: (v.to(cast) if v.is_floating_point() and v.dim() > 0 else v.clone()) for k, v in state.items()
    }
    payload = {k: ckpt[k] for k in INFERENCE_KEYS if k in ckpt}
    payload["model"] = weights
    payload["weights_dtype"] = dtype
    if vocoder:
        payload["vocoder"] = vocoder
    return save_checkpoint(payload, output)
