"""Dataset preparation: an LJSpeech-format folder → checked filelists, splits, and feature caches.

Input: ``metadata.csv`` (``id|text|normalized_text`` or ``id|text``) and ``wavs/<id>.wav``. A
multi-speaker dataset names each clip's speaker in a fourth field, ``id|text|normalized_text|speaker``
(the normalized text may be left empty: ``id|text||speaker``); speakers are numbered in the order they
first appear in ``metadata.csv`` (see :mod:`fmtts.data.merge` for joining single-speaker corpora).
Output (``out_dir``)::

    filelists/{train,val,test}.txt   id|normalized text|phonemes (|speaker for a multi-speaker dataset)
    cache/{train,val,test}/          feature caches (see fmtts.data.cache)
    prepare_report.json              counts, and every skipped clip with its reason

Clips that are missing, unreadable, silent or outside [min_seconds, max_seconds] are skipped and
reported; clips at another sample rate are resampled (and counted). The split comes from split lists
when there are some (``--filelists DIR``, or ``filelists/`` beside ``metadata.csv``; formats in
:mod:`fmtts.data.filelists`), else from a seeded permutation, so the same data and seed always give the
same split; a multi-speaker dataset is split speaker by speaker (:func:`split_indices_by_speaker`), so
that every speaker of 3 clips or more has clips in each split.

A finished folder is reused only while its inputs are the same: the data settings and text frontend,
the data folder, ``metadata.csv``'s content and the split the lists define. Under torchrun, ranks other
than 0 wait with :func:`wait_for_preparation`, which checks those same inputs (a report left by an
older preparation does not count as done).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fmtts.audio import AudioError, MelStats, RunningMelStats, load_audio
from fmtts.config import DataConfig
from fmtts.data.cache import CacheWriter, FeatureCache
from fmtts.errors import FmttsError
from fmtts.mel import mel_spectrogram

if TYPE_CHECKING:  # fmtts.data.filelists imports this module (DatasetError, SPLITS): imported lazily below
    from fmtts.data.filelists import SplitLists

log = logging.getLogger(__name__)
SPLITS = ("train", "val", "test")


class DatasetError(FmttsError, RuntimeError):
    pass


@dataclass
class Utterance:
    utt_id: str
    text: str
    wav: Path
    speaker: str | None = None  # field 4 of a multi-speaker metadata.csv


SPEAKER_FIELD = 3  # id|text|normalized_text|speaker


def speaker_problem(name: str) -> str | None:
    """Why ``name`` cannot name a speaker (None when it can): the server takes ``voice:speaker``."""
    if ":" in name or name != name.strip() or any(c.isspace() for c in name):
        return f"speaker name {name!r} has a colon or white space"
    return None


def read_metadata(data_dir: str | Path) -> tuple[list[Utterance], list[dict]]:
    """Parse ``metadata.csv``; malformed lines are reported, not fatal. Where some lines name a speaker
    (field 4), a line that names none is malformed."""
    data_dir = Path(data_dir)
    meta = data_dir / "metadata.csv"
    if not meta.is_file():
        raise DatasetError(f"{meta} not found: expected an LJSpeech-format folder (metadata.csv + wavs/)")
    utts, skipped = [], []
    for n, line in enumerate(meta.read_text(encoding="utf-8-sig").splitlines(), 1):  # BOM: not an id
        if not line.strip():
            continue
        parts = line.split("|")
        if len(parts) < 2 or not parts[0].strip():
            skipped.append({"line": n, "reason": "malformed metadata line"})
            continue
        text = parts[2] if len(parts) > 2 and parts[2].strip() else parts[1]
        utt_id = parts[0].strip()
        speaker = parts[SPEAKER_FIELD].strip() if len(parts) > SPEAKER_FIELD else ""
        speaker = speaker or None  # an empty field names no speaker
        problem = None if speaker is None else speaker_problem(speaker)
        if problem:
            skipped.append({"line": n, "id": utt_id, "reason": problem})
            continue
        utts.append(Utterance(utt_id, text.strip(), data_dir / "wavs" / f"{utt_id}.wav", speaker))
    named = [u for u in utts if u.speaker is not None]
    if named and len(named) < len(utts):
        first = next(u for u in utts if u.speaker is not None)
        for u in utts:
            if u.speaker is None:
                why = f"no speaker (field 4), while other lines name one (e.g. {first.utt_id})"
                skipped.append({"id": u.utt_id, "reason": why})
        utts = named
    if not utts:
        raise DatasetError(f"{meta} lists no utterances")
    return utts, skipped


def speaker_names(utts: list[Utterance]) -> list[str]:
    """The dataset's speakers in the order they first appear (speaker k is the k-th name); empty for a
    dataset without a speaker column."""
    return list(dict.fromkeys(u.speaker for u in utts if u.speaker is not None))


def _external_durations(path: Path, n_tokens: int, n_frames: int) -> tuple[np.ndarray | None, str | None]:
    """Load frames-per-token for one clip. A total off by at most 2 frames (edge padding conventions) is
    absorbed by the last token; anything else is reported."""
    if not path.is_file():
        return None, f"missing durations file {path}"
    try:
        durs = np.load(path).astype(np.int64).ravel()
    except Exception as exc:
        return None, f"unreadable durations file {path}: {exc}"
    if len(durs) != n_tokens:
        return None, f"durations file has {len(durs)} entries for {n_tokens} tokens"
    if (durs < 0).any():
        return None, "negative durations"
    diff = n_frames - int(durs.sum())
    if abs(diff) > 2 or durs[-1] + diff < 0:
        return None, f"durations add up to {int(durs.sum())} frames, the mel has {n_frames}"
    durs[-1] += diff
    return durs, None


def _settings(cfg: DataConfig, text_processor) -> dict:
    """What the prepared caches depend on: a cache made with other settings is not reused."""
    return json.loads(json.dumps({"data": dataclasses.asdict(cfg), "text": text_processor.to_dict()}))


def _metadata_stamp(data_dir: str | Path) -> str:
    """A hash of ``metadata.csv``'s content: an edited list is prepared again (a rewritten or copied
    one with the same content is not)."""
    return hashlib.sha1((Path(data_dir) / "metadata.csv").read_bytes()).hexdigest()


def _given_splits(data_dir: Path, ids: list[str]) -> dict[str, np.ndarray] | None:
    """The split of the lists in ``data_dir/filelists`` over ``ids`` (positions per split), or None
    when there are none. Used where the clips to split are already known (the vocoder's audio cache)."""
    from fmtts.data.filelists import resolve_split_lists

    lists = resolve_split_lists(data_dir / "filelists", ids)
    return None if lists is None else lists.indices(ids)


def _split_lists(data_dir: str | Path, filelists: str | Path | None, ids: list[str]) -> SplitLists | None:
    """The split lists that decide the split (``filelists`` when given, else ``DATA/filelists`` when it
    holds any), resolved against every id of ``metadata.csv``; None for the seeded random split."""
    from fmtts.data.filelists import LIST_NAMES, resolve_split_lists

    if filelists is not None:
        folder = Path(filelists)
        if not folder.is_dir():
            raise DatasetError(f"--filelists {folder}: no such folder")
        lists = resolve_split_lists(folder, ids)
        if lists is None:
            names = ", ".join(n for names in LIST_NAMES.values() for n in names[:2])
            raise DatasetError(f"--filelists {folder} holds no split list (looked for {names})")
        return lists
    return resolve_split_lists(Path(data_dir) / "filelists", ids)


def split_indices(n: int, val_fraction: float, test_fraction: float, seed: int) -> dict[str, np.ndarray]:
    """Deterministic split; val and test get at least one item each when n ≥ 3."""
    perm = np.random.default_rng(seed).permutation(n)
    n_val = max(1 if n >= 3 else 0, round(n * val_fraction))
    n_test = max(1 if n >= 3 else 0, round(n * test_fraction))
    return {
        "val": np.sort(perm[:n_val]),
        "test": np.sort(perm[n_val : n_val + n_test]),
        "train": np.sort(perm[n_val + n_test :]),
    }


def split_indices_by_speaker(
    speakers: Sequence[str | None], val_fraction: float, test_fraction: float, seed: int
) -> dict[str, np.ndarray]:
    """:func:`split_indices` within each speaker's clips (``speakers``: each clip's speaker), with the same
    fractions and seed, so that every speaker with 3 clips or more has clips in val and test. A speaker's
    clips split as they would alone, so merging in another corpus moves none of them between splits.
    Speakers of fewer than 3 clips are split together as one group, which keeps split_indices' promise of
    a val and a test clip for any 3 clips. One speaker (or none): exactly :func:`split_indices`."""
    groups: dict[str | None, list[int]] = {}
    for i, name in enumerate(speakers):
        groups.setdefault(name, []).append(i)
    if len(groups) <= 1:
        return split_indices(len(speakers), val_fraction, test_fraction, seed)
    small = sorted(i for members in groups.values() if len(members) < 3 for i in members)
    strata = [members for members in groups.values() if len(members) >= 3] + ([small] if small else [])
    chosen: dict[str, list[np.ndarray]] = {"val": [], "test": [], "train": []}
    for members in strata:
        positions = np.asarray(members, dtype=np.int64)
        for split, idx in split_indices(len(members), val_fraction, test_fraction, seed).items():
            chosen[split].append(positions[idx])
    return {split: np.sort(np.concatenate(parts)) for split, parts in chosen.items()}


def _random_split_key(speakers: Sequence[str | None]) -> str | None:
    """The ``split_key`` of a seeded random split. None for one speaker: a split without a key is one
    permutation of all clips. Several speakers: a key of its own, so that a folder split by one permutation
    of all clips is not taken for a split made per speaker (it is prepared again)."""
    return "random per speaker" if len(set(speakers)) > 1 else None


def _inputs(
    data_dir: str | Path,
    cfg: DataConfig,
    text_processor,
    lists: SplitLists | None,
    speakers: Sequence[str | None] = (),
) -> dict:
    """Everything a prepared folder depends on, as its report records it."""
    return {
        "settings": _settings(cfg, text_processor),
        "data_dir": str(Path(data_dir).resolve()),
        "metadata": _metadata_stamp(data_dir),
        "split_key": _random_split_key(speakers) if lists is None else lists.key(),
    }


def _finished_report(out: Path, inputs: dict) -> dict | None:
    """The report of a finished preparation of exactly ``inputs`` in ``out``, else None (no report, a
    report being written, caches missing, or other inputs)."""
    try:
        report = json.loads((out / "prepare_report.json").read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(report, dict):
        return None
    kept = report.get("kept", {})  # a split left empty (e.g. no val list) has no cache
    if not all((out / "cache" / s / "meta.json").is_file() for s in SPLITS if kept.get(s, 1)):
        return None
    if "metadata" not in report:  # reports of older versions have no stamp
        inputs = {k: v for k, v in inputs.items() if k != "metadata"}
    # reports from before split lists counted have no split_key: the random split they used has none
    same = all(report.get(k) == v for k, v in inputs.items())
    return report if same else None


def wait_for_preparation(
    data_dir: str | Path,
    out_dir: str | Path,
    cfg: DataConfig,
    text_processor,
    *,
    filelists: str | Path | None = None,
    timeout: float = 3600.0,
    poll: float = 1.0,
) -> dict:
    """For the ranks of a torchrun job other than 0, while rank 0 runs :func:`prepare_dataset` with the
    same arguments: wait until ``out_dir`` holds a finished preparation of these very inputs and return
    its report. Waiting for ``prepare_report.json`` alone is not enough: a report that an older
    preparation left is there until rank 0 gets round to removing it. Bad inputs (no metadata.csv,
    overlapping lists) raise here as on rank 0, so no rank waits for a preparation that never comes."""
    utts, _ = read_metadata(data_dir)
    lists = _split_lists(data_dir, filelists, [u.utt_id for u in utts])
    inputs = _inputs(data_dir, cfg, text_processor, lists, [u.speaker for u in utts])
    deadline = time.monotonic() + timeout
    while (report := _finished_report(Path(out_dir), inputs)) is None:
        if time.monotonic() > deadline:
            raise DatasetError(f"timed out after {timeout:.0f} s waiting for rank 0 to prepare {out_dir}")
        time.sleep(poll)
    return report


def prepare_dataset(
    data_dir: str | Path,
    out_dir: str | Path,
    cfg: DataConfig,
    text_processor,
    *,
    filelists: str | Path | None = None,
    progress: bool = True,
    force: bool = False,
) -> dict:
    """Run checks, phonemisation, split and feature extraction. Reuses a finished cache of the same
    inputs unless ``force``. ``filelists``: a folder of split lists (see :mod:`fmtts.data.filelists`);
    without it, ``DATA/filelists`` when it has lists, else the seeded random split of ``cfg``."""
    from tqdm import tqdm

    out = Path(out_dir)
    report_path = out / "prepare_report.json"
    # Inputs are read and checked before anything in OUT changes: bad ones leave a prepared folder usable.
    utts, skipped = read_metadata(data_dir)
    lists = _split_lists(data_dir, filelists, [u.utt_id for u in utts])
    inputs = _inputs(data_dir, cfg, text_processor, lists, [u.speaker for u in utts])
    if report_path.is_file() and not force:
        report = _finished_report(out, inputs)
        if report is not None:
            log.info("reusing prepared data in %s", out)
            return report
        log.warning(
            "%s was prepared from other data, an older metadata.csv, other split lists, or with other "
            "data settings or text frontend: preparing again",
            out,
        )
    mel_cfg = cfg.mel
    durations_dir = Path(data_dir) / "durations" if cfg.use_durations else None
    if durations_dir is not None and not durations_dir.is_dir():
        raise DatasetError(f"data.use_durations is set but {durations_dir} does not exist")
    # Other ranks of a torchrun job wait for this report: it must not exist while the caches change (and
    # it stays while nothing has changed, e.g. when --data names a folder without metadata.csv).
    report_path.unlink(missing_ok=True)
    import soundfile as sf

    kept: list[Utterance] = []
    resampled = 0
    for u in utts:
        if not u.wav.is_file():
            skipped.append({"id": u.utt_id, "reason": f"missing audio file {u.wav}"})
            continue
        try:
            info = sf.info(str(u.wav))
        except Exception as exc:
            skipped.append({"id": u.utt_id, "reason": f"unreadable audio: {exc}".splitlines()[0]})
            continue
        if not (cfg.min_seconds <= info.duration <= cfg.max_seconds):
            skipped.append(
                {
                    "id": u.utt_id,
                    "reason": f"duration {info.duration:.2f}s outside [{cfg.min_seconds}, {cfg.max_seconds}]",
                }
            )
            continue
        resampled += info.samplerate != mel_cfg.sample_rate
        kept.append(u)

    from fmtts.text import TextError

    phonemes = text_processor.phonemize([u.text for u in kept])
    with_ids = []
    for u, ph in zip(kept, phonemes, strict=True):
        try:
            ids = text_processor.phonemes_to_ids(ph, u.text)
        except TextError as exc:
            skipped.append({"id": u.utt_id, "reason": str(exc)})
            continue
        with_ids.append((u, ph, ids))
    if len(with_ids) < 3:
        raise DatasetError(f"only {len(with_ids)} usable clips in {data_dir}: need at least 3 (see skipped)")

    if lists is not None:
        parts = lists.indices([u.utt_id for u, _, _ in with_ids])
        log.info(
            "using the split of the lists in %s: %s", lists.folder, {k: len(v) for k, v in parts.items()}
        )
        if not len(parts["train"]):
            raise DatasetError(f"the split lists in {lists.folder} leave no usable clip to train on")
        split_info = lists.describe()
    else:
        clip_speakers = [u.speaker for u, _, _ in with_ids]
        parts = split_indices_by_speaker(clip_speakers, cfg.val_fraction, cfg.test_fraction, cfg.split_seed)
        random = {"seed": cfg.split_seed, "val": cfg.val_fraction, "test": cfg.test_fraction}
        if _random_split_key(clip_speakers) is not None:
            random["per_speaker"] = True
        split_info = {"random": random}

    # Speakers are numbered over every listed clip, so a skipped clip does not renumber the others.
    speakers = speaker_names(utts)
    speaker_index = {name: k for k, name in enumerate(speakers)}
    # Features: train first, so its statistics exist before the others are written.
    stats = RunningMelStats()
    writers = {s: CacheWriter() for s in SPLITS}
    order = [(s, i) for s in SPLITS for i in parts[s]]
    for split, i in tqdm(order, desc="features", disable=not progress, unit="clip"):
        u, ph, ids = with_ids[i]
        try:
            wav = load_audio(u.wav, mel_cfg.sample_rate)
        except AudioError as exc:
            skipped.append({"id": u.utt_id, "reason": str(exc)})
            continue
        if float(np.abs(wav).max()) < 1e-4:
            skipped.append({"id": u.utt_id, "reason": "silent audio"})
            continue
        mel = mel_spectrogram(wav, mel_cfg).numpy()
        if mel.shape[1] < len(ids):
            skipped.append({"id": u.utt_id, "reason": f"{mel.shape[1]} frames for {len(ids)} tokens"})
            continue
        durs = None
        if durations_dir is not None:
            durs, problem = _external_durations(durations_dir / f"{u.utt_id}.npy", len(ids), mel.shape[1])
            if problem:
                skipped.append({"id": u.utt_id, "reason": problem})
                continue
        if split == "train":
            stats.update(mel)
        speaker = speaker_index[u.speaker] if speakers else None
        writers[split].add(u.utt_id, u.text, ids, mel, durs, speaker=speaker)
    # Filelists after features, so a clip skipped there (silent, unreadable, too short) is in neither.
    (out / "filelists").mkdir(parents=True, exist_ok=True)
    for split, idx in parts.items():
        done = set(writers[split].ids)
        lines = [
            f"{u.utt_id}|{u.text}|{ph}" + (f"|{u.speaker}" if speakers else "")
            for u, ph, _ in (with_ids[i] for i in idx)
            if u.utt_id in done
        ]
        (out / "filelists" / f"{split}.txt").write_text("".join(f"{ln}\n" for ln in lines), encoding="utf-8")
    mel_stats: MelStats = stats.result()
    meta = {
        "mel_config": mel_cfg.to_dict(),
        "mel_stats": mel_stats.to_dict(),
        "text": text_processor.to_dict(),
        "source": str(Path(data_dir).resolve()),
    }
    if speakers:
        meta["speakers"] = speakers
    for split in SPLITS:
        if writers[split].ids:
            writers[split].write(out / "cache" / split, meta)
        else:  # an empty split has no cache: one left by an earlier preparation must not be read as it
            shutil.rmtree(out / "cache" / split, ignore_errors=True)
    report = {
        **inputs,
        "split": split_info,
        "listed": len(utts),
        "kept": {s: len(writers[s].ids) for s in SPLITS},
        "hours": {s: FeatureCache(out / "cache" / s).hours for s in SPLITS if writers[s].ids},
        "resampled": int(resampled),
        "skipped": skipped,
        "mel_stats": mel_stats.to_dict(),
    }
    if speakers:
        report["speakers"] = _speaker_counts(speakers, writers)
    tmp = report_path.with_name(report_path.name + ".tmp")  # whole or absent: other ranks poll it
    tmp.write_text(json.dumps(report, indent=2))
    tmp.replace(report_path)
    for s in skipped:
        log.warning("skipped %s: %s", s.get("id", f"line {s.get('line')}"), s["reason"])
    for name, counts in report.get("speakers", {}).items():
        if not counts["train"]:
            log.warning("speaker %s has no training clip: its embedding will not be trained", name)
    return report


def _speaker_counts(speakers: list[str], writers: dict[str, CacheWriter]) -> dict[str, dict[str, int]]:
    """Clips kept per speaker and split, for the report."""
    counts = {name: dict.fromkeys(SPLITS, 0) for name in speakers}
    for split, writer in writers.items():
        for k in writer.speakers:
            counts[speakers[k]][split] += 1
    return counts
