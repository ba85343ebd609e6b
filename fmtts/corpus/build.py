"""Render a prompt list into an LJSpeech-format corpus with one of the source voices of
:mod:`fmtts.corpus.sources` (default: piper's CC0 ``joe``; or hibari's Apache-2.0 ``heart``).

Output folder::

    wavs/<id>.wav            the corpus rate (default 22,050 Hz), 16-bit mono
    metadata.csv             id|text|normalized text   (LJSpeech layout)
    alignments/<id>.json     sources that report them (joe): phonemes, phoneme ids, samples per phoneme id
    corpus.json              how it was made (source voice and licence, prompts file, seed, hours, counts)

Clip ids are ``<source>_<prompt index>``. Selection is deterministic: prompts are shuffled with ``seed``
and taken in that order until the running total of audio reaches ``hours``. Rendering is resumable:
clips whose files exist at the corpus rate are skipped, so an interrupted build continues where it
stopped. Audio at another rate than the corpus's is resampled (soxr), then each clip's peak is set to
``volume``. Sources that take a seed (heart) use the prompt index, so a clip is the same audio in every
build.
"""

from __future__ import annotations

import json
import os
import random
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fmtts.corpus.sources import CorpusError, CorpusSource, get_source, joe_voice_paths

__all__ = [
    "PROMPTS_FILE",
    "Clip",
    "CorpusError",
    "build_corpus",
    "joe_voice_paths",
    "plan_clips",
    "read_prompts",
]

PROMPTS_FILE = Path(__file__).resolve().parent / "prompts.txt"  # package data: works from any install
DEFAULT_SAMPLE_RATE = 22050


@dataclass
class Clip:
    clip_id: str
    text: str
    index: int  # the prompt's line number among the non-empty lines (0-based); a seedable source's seed


def read_prompts(path: str | Path) -> list[str]:
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"prompt file not found: {path}")
    prompts = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not prompts:
        raise CorpusError(f"prompt file has no prompts: {path}")
    return prompts


def plan_clips(prompts: list[str], seed: int, limit: int | None = None, prefix: str = "joe") -> list[Clip]:
    """Every prompt in the seeded order the builder takes them in (the first ``limit`` with a limit)."""
    order = list(range(len(prompts)))
    random.Random(seed).shuffle(order)
    if limit is not None:
        order = order[:limit]
    return [Clip(f"{prefix}_{i:05d}", prompts[i], i) for i in order]


# ----------------------------------------------------------------------------------------------------
# Worker side: one loaded voice per process.

_RENDERER = None


def _init_worker(source: CorpusSource, threads: int) -> None:
    global _RENDERER
    _RENDERER = source.open(threads)


def _render(args: tuple[str, int, str, str, float, int]) -> tuple[str, float]:
    """Render one clip; returns (clip id, seconds). Files are written atomically (tmp + rename)."""
    import soundfile as sf

    from fmtts.audio import resample

    clip_id, index, text, out_dir, volume, sample_rate = args
    out = Path(out_dir)
    rendering = _RENDERER.render(text, seed=index, volume=volume)
    if rendering.audio.size == 0:
        return clip_id, 0.0
    audio = resample(rendering.audio, rendering.sample_rate, sample_rate)
    peak = float(np.abs(audio).max())
    if peak > 0:  # every clip's peak at ``volume`` (piper's already is: it levels each sentence so)
        audio = np.clip(audio * np.float32(volume / peak), -1.0, 1.0)
    wav_tmp = out / "wavs" / f"{clip_id}.tmp.wav"
    sf.write(str(wav_tmp), audio, sample_rate, subtype="PCM_16")
    if rendering.alignment is not None:
        ali_tmp = out / "alignments" / f"{clip_id}.json.tmp"
        ali_tmp.write_text(json.dumps(rendering.alignment, ensure_ascii=False))
        os.replace(ali_tmp, out / "alignments" / f"{clip_id}.json")
    os.replace(wav_tmp, out / "wavs" / f"{clip_id}.wav")  # last: a wav on disk means the clip is done
    return clip_id, len(audio) / sample_rate


def _clip_seconds(out: Path, clip_id: str, source: CorpusSource, sample_rate: int) -> float | None:
    """Seconds of a clip already rendered at the corpus rate (with its alignment if the source writes
    them), else None."""
    import soundfile as sf

    wav = out / "wavs" / f"{clip_id}.wav"
    if not wav.is_file():
        return None
    if source.writes_alignments and not (out / "alignments" / f"{clip_id}.json").is_file():
        return None
    try:
        info = sf.info(str(wav))
    except Exception:
        return None
    return info.duration if info.samplerate == sample_rate else None


def _check_previous(out: Path, source: CorpusSource, sample_rate: int) -> None:
    """A finished corpus in ``out`` from another voice or rate is not silently mixed with this one."""
    path = out / "corpus.json"
    if not path.is_file():
        return
    try:
        prev = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    prev_source = (prev.get("source") or {}).get("name", "joe")  # corpora before sources were joe's
    if prev_source != source.name or prev.get("sample_rate", DEFAULT_SAMPLE_RATE) != sample_rate:
        raise CorpusError(
            f"{out} holds a {prev_source} corpus at {prev.get('sample_rate')} Hz; render the "
            f"{source.name} corpus at {sample_rate} Hz into another folder"
        )


def build_corpus(
    out_dir: str | Path,
    *,
    source: str | CorpusSource = "joe",
    hours: float = 3.0,
    prompts_file: str | Path = PROMPTS_FILE,
    limit: int | None = None,
    seed: int = 1234,
    workers: int = 2,
    volume: float = 0.9,
    sample_rate: int = DEFAULT_SAMPLE_RATE,
    progress: bool = True,
) -> dict:
    """Render prompts with ``source`` into ``out_dir`` until ``hours`` of audio (or ``limit`` clips)
    are there; returns what ``corpus.json`` records."""
    from tqdm import tqdm

    voice = get_source(source) if isinstance(source, str) else source
    voice.check()
    if sample_rate < 8000:
        raise CorpusError(f"sample rate {sample_rate} Hz is too low for speech")
    out = Path(out_dir)
    _check_previous(out, voice, sample_rate)
    (out / "wavs").mkdir(parents=True, exist_ok=True)
    if voice.writes_alignments:
        (out / "alignments").mkdir(parents=True, exist_ok=True)
    clips = plan_clips(read_prompts(prompts_file), seed, limit, prefix=voice.name)
    target = hours * 3600.0

    seconds: dict[str, float] = {}
    for c in clips:  # resume: what is already on disk counts
        s = _clip_seconds(out, c.clip_id, voice, sample_rate)
        if s is not None:
            seconds[c.clip_id] = s

    def selected() -> list[Clip]:
        """Clips in plan order up to the target; a clip not yet rendered stops the walk."""
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
        desc=f"rendering {voice.name} corpus" + (" (audio)" if by_time else ""),
        bar_format="{l_bar}{bar}| {n:.0f}/{total} {unit} [{elapsed}<{remaining}]",
    )
    bar.update(min(sum(seconds.values()), target) if by_time else len(seconds))
    pos = 0
    if not selected():
        with ProcessPoolExecutor(max_workers=workers, initializer=_init_worker, initargs=(voice, 1)) as pool:
            while not selected():
                # Next batch: the first not-yet-rendered clips in plan order.
                todo = [c for c in clips[pos:] if c.clip_id not in seconds][: max(8 * workers, 16)]
                if not todo:
                    break
                pos = clips.index(todo[-1]) + 1
                args = [(c.clip_id, c.index, c.text, str(out), volume, sample_rate) for c in todo]
                for clip_id, secs in pool.map(_render, args):
                    seconds[clip_id] = secs
                    bar.update(min(secs, max(bar.total - bar.n, 0)) if by_time else 1)
    bar.close()

    chosen = [c for c in selected() if seconds.get(c.clip_id, 0.0) > 0.0]
    if not chosen:
        raise CorpusError("no clip could be rendered")
    with open(out / "metadata.csv.tmp", "w", encoding="utf-8") as f:
        for c in chosen:
            f.write(f"{c.clip_id}|{c.text}|{c.text}\n")
    os.replace(out / "metadata.csv.tmp", out / "metadata.csv")
    described = voice.describe()
    info = {
        "voice": described["summary"],
        "source": described,
        "prompts_file": str(prompts_file),
        "seed": seed,
        "target_hours": hours,
        "limit": limit,
        "clips": len(chosen),
        "hours": sum(seconds[c.clip_id] for c in chosen) / 3600.0,
        "sample_rate": sample_rate,
        "volume": volume,
        "alignments": voice.writes_alignments,
    }
    tmp = out / "corpus.json.tmp"
    tmp.write_text(json.dumps(info, indent=2))
    os.replace(tmp, out / "corpus.json")
    return info
