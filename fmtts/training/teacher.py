"""A teacher vocoder's output for every training clip, cached beside the audio cache it was made from.

Distillation targets: the teacher (e.g. the universal HiFi-GAN V1) turns each clip's mel into a waveform
that is a deterministic function of that mel, so a student can regress its phase directly, which real
recordings (whose phase the mel does not determine) do not allow. The cache has the audio cache's
layout and offsets (each clip padded with zeros to the recording's length), so one segment index
addresses both. Building it is resumable: clips are written into a preallocated file and the count
done is recorded every few clips; ``meta.json`` is written last.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import torch

from fmtts.audio import MelConfig
from fmtts.data.audio_cache import CACHE_VERSION, AudioCache
from fmtts.data.prepare import DatasetError
from fmtts.mel import MelSpectrogram

log = logging.getLogger(__name__)
_SAVE_EVERY = 25  # clips between progress records


def teacher_folder(cache_dir: str | Path, teacher: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in Path(teacher).stem)
    return Path(cache_dir) / f"teacher_{safe}"


def build_teacher_cache(
    cache: AudioCache,
    teacher: str,
    out: str | Path,
    mel_config: MelConfig,
    device: torch.device,
    progress: bool = True,
) -> AudioCache:
    """``out`` ← ``teacher``'s copy synthesis of every clip of ``cache`` (reused when complete and made
    from the same cache with the same teacher)."""
    from tqdm import tqdm

    from fmtts.vocoder import load_vocoder

    out = Path(out)
    settings = {"teacher": teacher, "source": str(cache.folder.resolve()), "source_ids": len(cache)}
    meta_path = out / "meta.json"
    if meta_path.is_file():
        if json.loads(meta_path.read_text()).get("settings") == settings:
            return _checked(AudioCache(out), cache)
        log.warning("%s was made from another cache or teacher: rebuilding it", out)
        meta_path.unlink()
    out.mkdir(parents=True, exist_ok=True)
    vocoder = load_vocoder(teacher, device=device, mel_config=mel_config)
    if vocoder.mel_config != mel_config:
        raise DatasetError(f"teacher {teacher!r} takes another mel than the recipe's data.mel")
    mel = MelSpectrogram(mel_config).to(device)
    progress_path = out / "progress.json"
    audio_path = out / "audio.npy"
    done = 0
    if audio_path.is_file() and progress_path.is_file():
        state = json.loads(progress_path.read_text())
        if state.get("settings") == settings:
            done = int(state["done"])
    if done == 0:
        audio = np.lib.format.open_memmap(audio_path, mode="w+", dtype=np.int16, shape=cache.audio.shape)
    else:
        audio = np.load(audio_path, mmap_mode="r+")
        log.info("teacher cache: continuing at clip %d of %d", done, len(cache))
    bar = tqdm(total=len(cache), initial=done, desc=f"teacher {teacher}", unit="clip", disable=not progress)
    for i in range(done, len(cache)):
        wav = torch.from_numpy(cache.clip(i)).to(device)
        fake = vocoder(mel(wav)).float().cpu().numpy()
        a, b = int(cache.offsets[i]), int(cache.offsets[i + 1])
        n = min(len(fake), b - a)
        audio[a : a + n] = np.clip(np.round(fake[:n] * 32767.0), -32768, 32767).astype(np.int16)
        audio[a + n : b] = 0
        bar.update(1)
        if not progress and (i + 1) % 200 == 0:
            log.info("teacher %s: %d of %d clips", teacher, i + 1, len(cache))
        if (i + 1) % _SAVE_EVERY == 0 or i + 1 == len(cache):
            audio.flush()
            tmp = progress_path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"settings": settings, "done": i + 1}))
            tmp.replace(progress_path)
    bar.close()
    del audio
    np.save(out / "offsets.npy", cache.offsets)
    meta = {"version": CACHE_VERSION, "ids": cache.ids, "sample_rate": cache.sample_rate}
    meta["settings"] = settings
    tmp = meta_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(meta, indent=1))
    tmp.replace(meta_path)
    progress_path.unlink(missing_ok=True)
    return _checked(AudioCache(out), cache)


def _checked(teacher: AudioCache, cache: AudioCache) -> AudioCache:
    if teacher.ids != cache.ids or not np.array_equal(teacher.offsets, cache.offsets):
        raise DatasetError(f"{teacher.folder} does not match the clips of {cache.folder}")
    return teacher
