"""The inputs of an evaluation: which test utterances (a prepared folder's held-out split, a filelist, or an
LJSpeech folder), and each one's reference data computed once (symbol ids, recording, mel)."""

from __future__ import annotations

import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fmtts.errors import FmttsError
from fmtts.evaluate.metrics import count_phonemes

log = logging.getLogger(__name__)


class EvaluationError(FmttsError, RuntimeError):
    """The evaluation cannot run with these inputs or options."""


@dataclass
class TestItem:
    utt_id: str
    text: str
    wav: Path


@dataclass
class Reference:
    """A test item with everything computed once from its recording."""

    item: TestItem
    ids: list[int]
    symbols: list[str]
    wav: np.ndarray
    mel: np.ndarray  # (n_mels, T) log-mel of the recording

    @property
    def n_phonemes(self) -> int:
        return count_phonemes(self.symbols)


def _prepared_wav_dir(prepared: Path) -> Path | None:
    """The wavs/ folder of the corpus a prepared folder was made from (from its report or cache)."""
    for meta in (prepared / "prepare_report.json", prepared / "cache" / "test" / "meta.json"):
        if meta.is_file():
            try:
                d = json.loads(meta.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            src = d.get("data_dir") or d.get("source")
            if src and (Path(src) / "wavs").is_dir():
                return Path(src) / "wavs"
    return None


def _read_filelist(path: Path, wav_dir: Path) -> list[TestItem]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("|")
        if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
            log.warning("%s:%d: malformed line skipped", path, n)
            continue
        items.append(TestItem(parts[0].strip(), parts[1].strip(), wav_dir / f"{parts[0].strip()}.wav"))
    return items


def read_test_items(
    data: str | Path, filelist: str | Path | None = None, limit: int | None = None
) -> list[TestItem]:
    """The utterances to evaluate, in file order.

    * ``filelist`` given: its ``id|text[|phonemes]`` lines; audio from ``data/wavs`` or, for a prepared
      folder, from the corpus it was prepared from.
    * ``data`` is a prepared folder: ``filelists/test.txt`` (held out from training by ``prepare``).
    * ``data`` is an LJSpeech-format folder: every line of ``metadata.csv`` (may overlap the training
      data: prefer a prepared folder, and use ``limit``)."""
    data = Path(data)
    if not data.is_dir():
        raise EvaluationError(f"--data {data} is not a folder")
    prepared_list = data / "filelists" / "test.txt"
    if filelist is not None or prepared_list.is_file():
        flist = Path(filelist) if filelist is not None else prepared_list
        if not flist.is_file():
            raise EvaluationError(f"filelist not found: {flist}")
        wav_dir = data / "wavs" if (data / "wavs").is_dir() else _prepared_wav_dir(data)
        if wav_dir is None:
            raise EvaluationError(
                f"cannot find the recordings for {flist}: {data} has no wavs/ folder and "
                "no prepare_report.json naming the corpus"
            )
        items = _read_filelist(flist, wav_dir)
    elif (data / "metadata.csv").is_file():
        from fmtts.data.prepare import read_metadata

        log.warning(
            "evaluating lines of %s/metadata.csv: they may have been used for training; pass a "
            "prepared folder to use its held-out test split",
            data,
        )
        utts, _ = read_metadata(data)
        items = [TestItem(u.utt_id, u.text, u.wav) for u in utts]
    else:
        raise EvaluationError(
            f"{data} has neither filelists/test.txt (prepared folder) nor metadata.csv "
            "(LJSpeech-format folder)"
        )
    if limit is not None:
        if limit < 1:
            raise EvaluationError(f"--limit must be ≥ 1, got {limit}")
        items = items[:limit]
    if not items:
        raise EvaluationError(f"no test utterances found in {data}")
    return items


def load_references(tts, items: list[TestItem]) -> list[Reference]:
    """Symbol ids, recording and log-mel of every usable item (unspeakable text or unreadable audio is
    skipped with a warning), sorted by length so that similar lengths share a batch."""
    from tqdm import tqdm

    from fmtts.audio import AudioError, load_audio
    from fmtts.mel import mel_spectrogram
    from fmtts.text import TextError

    refs: list[Reference] = []
    for it in tqdm(items, desc="recordings", unit="utt", file=sys.stderr):
        try:
            ids = tts.text.text_to_ids(it.text)
            wav = load_audio(it.wav, tts.sample_rate)
        except (TextError, AudioError) as exc:
            log.warning("skipping %s: %s", it.utt_id, exc)
            continue
        mel = mel_spectrogram(wav, tts.mel_config).numpy()
        refs.append(Reference(it, ids, [tts.text.symbols.symbols[j] for j in ids], wav, mel))
    if not refs:
        raise EvaluationError("no usable test utterances (all missing audio or unspeakable text)")
    # the order is fixed, so every configuration sees the same batches
    refs.sort(key=lambda r: (len(r.ids), r.item.utt_id))
    return refs
