"""The inputs of an evaluation: which test utterances (a prepared folder's held-out split, a filelist, or an
LJSpeech folder) and who speaks each, and each one's reference data computed once (symbol ids, recording,
mel)."""

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
    speaker: str | None = None  # who speaks the recording, where the test data names speakers


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
    """``id|text[|phonemes[|speaker]]`` lines, as ``fmtts prepare`` writes them."""
    from fmtts.data.prepare import SPEAKER_FIELD

    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("|")
        if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
            log.warning("%s:%d: malformed line skipped", path, n)
            continue
        utt_id = parts[0].strip()
        speaker = parts[SPEAKER_FIELD].strip() if len(parts) > SPEAKER_FIELD else ""
        items.append(TestItem(utt_id, parts[1].strip(), wav_dir / f"{utt_id}.wav", speaker or None))
    return items


def _cached_speakers(prepared: Path) -> dict[str, str]:
    """Each utterance's speaker as a prepared folder's test cache records it (empty for one speaker)."""
    try:
        meta = json.loads((prepared / "cache" / "test" / "meta.json").read_text(encoding="utf-8"))
        names, ids, speaker_ids = meta.get("speakers") or [], meta.get("ids") or [], meta.get("speaker_ids")
        if not names or speaker_ids is None or len(speaker_ids) != len(ids):
            return {}
        return {u: names[int(k)] for u, k in zip(ids, speaker_ids, strict=True) if 0 <= int(k) < len(names)}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def read_test_items(
    data: str | Path, filelist: str | Path | None = None, limit: int | None = None
) -> list[TestItem]:
    """The utterances to evaluate, in file order.

    * ``filelist`` given: its ``id|text[|phonemes[|speaker]]`` lines; audio from ``data/wavs`` or, for a
      prepared folder, from the corpus it was prepared from.
    * ``data`` is a prepared folder: ``filelists/test.txt`` (held out from training by ``prepare``).
    * ``data`` is an LJSpeech-format folder: every line of ``metadata.csv`` (may overlap the training
      data: prefer a prepared folder, and use ``limit``).

    Each item's speaker is field 4 of its line where the data names speakers (a multi-speaker
    ``metadata.csv``, or a prepared folder's lists); a list line without one takes the speaker that the
    prepared folder's test cache records for its id."""
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
        if any(it.speaker is None for it in items) and (cached := _cached_speakers(data)):
            for it in items:
                it.speaker = it.speaker or cached.get(it.utt_id)
    elif (data / "metadata.csv").is_file():
        from fmtts.data.prepare import read_metadata

        log.warning(
            "evaluating lines of %s/metadata.csv: they may have been used for training; pass a "
            "prepared folder to use its held-out test split",
            data,
        )
        utts, _ = read_metadata(data)
        items = [TestItem(u.utt_id, u.text, u.wav, u.speaker) for u in utts]
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


@dataclass(frozen=True)
class SpeakerChoice:
    """Whom one voice says every test item as: ``fixed`` (``--speaker``, a name or an index) for all of
    them, or each item's own speaker (``per_item``), or neither (the voice's first speaker)."""

    fixed: str | int | None = None
    per_item: bool = False

    def of(self, item: TestItem) -> str | int | None:
        return item.speaker if self.per_item else self.fixed

    @property
    def label(self) -> str | int | None:
        """What the results record: the fixed speaker, "each item's own", or None (the voice's first)."""
        return "each item's own" if self.per_item else self.fixed


def choose_speakers(voice, items: list[TestItem], speaker: str | None, where: str = "") -> SpeakerChoice:
    """Whom ``voice`` (a :class:`fmtts.api.TTS`) says the items as, checked before anything is
    synthesised: ``speaker`` (``--speaker``, a name, or an index where no speaker has that name) for every
    item, else each item's own speaker where the items name speakers. A voice that lacks a named speaker is
    an :class:`EvaluationError` that quotes the voice's own check. A one-speaker voice says every item as
    its only speaker (items naming speakers are then logged, not refused: it has no other voice)."""
    from fmtts.api import SynthesisError

    voice_name = f"{where}: " if where else ""
    if speaker is not None:
        try:
            index = voice.speaker_id(speaker)
        except SynthesisError as exc:
            raise EvaluationError(f"{voice_name}--speaker {speaker}: {exc}") from None
        return SpeakerChoice(fixed=speaker if speaker in voice.speakers else index)
    named = list(dict.fromkeys(it.speaker for it in items if it.speaker is not None))
    if not named:
        return SpeakerChoice()
    if not voice.speakers:
        log.warning(
            "%sthe test items name speakers (%s); this voice has one speaker, who says them all",
            voice_name,
            ", ".join(named),
        )
        return SpeakerChoice()
    for name in named:
        try:
            voice.speaker_id(name)
        except SynthesisError as exc:
            example = next(it.utt_id for it in items if it.speaker == name)
            raise EvaluationError(
                f"{voice_name}test item {example} is spoken by {name!r}: {exc}. Pass --speaker NAME to "
                "say every item as one of the voice's speakers"
            ) from None
    return SpeakerChoice(per_item=True)
