"""Export a training checkpoint (or a voice, to re-export it) as a compact torch voice: EMA weights only,
optionally fp16."""

from __future__ import annotations

import os
from pathlib import Path

import torch

from fmtts.checkpoint import INFERENCE_KEYS, CheckpointError, inference_state, save_checkpoint


def export_voice(
    checkpoint: str | Path,
    output: str | Path,
    dtype: str = "fp16",
    vocoder: str | None = None,
    calibrate_on: str | Path | None = None,
) -> Path:
    """``vocoder``: the name or path of the vocoder this voice is meant for (``TTS.load`` uses it).
    ``calibrate_on``: a prepared folder of the voice's training data (``fmtts prepare``), whose train split
    sets the voice's duration scale so that it speaks as long as those recordings."""
    from fmtts.torch_backend import load_voice_checkpoint

    ckpt = load_voice_checkpoint(checkpoint)
    state = dict(inference_state(ckpt))
    if calibrate_on is not None:
        state["duration_scale"] = torch.tensor(duration_scale_on(ckpt, state, Path(calibrate_on)))
    cast = torch.float16 if dtype == "fp16" else torch.float32
    # mel statistics buffers stay fp32: they set the output scale and cost nothing.
    weights = {
        k: (v.to(cast) if v.is_floating_point() and v.dim() > 0 else v.clone()) for k, v in state.items()
    }
    payload = {k: ckpt[k] for k in INFERENCE_KEYS if k in ckpt}
    payload["model"] = weights
    payload["weights_dtype"] = dtype
    if vocoder:
        payload["vocoder"] = _vocoder_reference(vocoder, Path(output))
    elif payload.get("vocoder"):  # re-exporting a voice: its vocoder file, seen from the new folder
        inherited = Path(checkpoint).parent / str(payload["vocoder"])
        if not Path(str(payload["vocoder"])).is_absolute() and inherited.is_file():
            payload["vocoder"] = _vocoder_reference(str(inherited), Path(output))
    return save_checkpoint(payload, output)


def _vocoder_reference(vocoder: str, output: Path) -> str:
    """A vocoder name as it is, a vocoder file as its path from the voice's folder (``TTS.load`` looks
    beside the voice, so the two move together); anything else is an error now, not at the first load."""
    from fmtts.vocoder import VOCODER_NAMES

    if vocoder.lower() in VOCODER_NAMES:
        return vocoder
    path = Path(vocoder).expanduser()
    if not path.is_file():
        raise CheckpointError(f"vocoder {vocoder!r}: neither a vocoder name {VOCODER_NAMES} nor a file")
    try:
        return os.path.relpath(path.resolve(), output.resolve().parent)
    except ValueError:  # another drive (Windows)
        return str(path.resolve())


def duration_scale_on(ckpt: dict, state: dict, prepared: Path) -> float:
    """:func:`fmtts.models.duration.calibrate_duration_scale` of this checkpoint's weights over the train
    split of ``prepared``."""
    from tqdm import tqdm

    from fmtts.config import Config
    from fmtts.data.cache import FeatureCache
    from fmtts.data.dataset import CachedDataset, collate
    from fmtts.models.duration import calibrate_duration_scale
    from fmtts.models.tts import FlowTTS

    cache_dir = prepared / "cache" / "train" if (prepared / "cache" / "train").is_dir() else prepared
    cache = FeatureCache(cache_dir)
    if cache.meta["text"] != ckpt["text"]:
        raise CheckpointError(f"{prepared} was prepared with another text frontend than this voice")
    model = FlowTTS(Config.from_dict(ckpt["config"]).model, len(ckpt["text"]["symbols"]["symbols"]))
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    model.duration_scale.fill_(1.0)
    ds = CachedDataset(cache)

    def batches():
        starts = range(0, len(ds), 16)
        # minutes on a CPU for a few thousand clips: a bar on a terminal (tqdm stays quiet elsewhere)
        for s in tqdm(starts, desc="measuring the voice's pace", unit="batch", disable=None):
            b = collate([ds[i] for i in range(s, min(len(ds), s + 16))])
            yield b["tokens"], b["token_lengths"], b["mels"], b["mel_lengths"]

    with torch.inference_mode():
        return calibrate_duration_scale(model, batches())
