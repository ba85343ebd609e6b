"""Split lists ("filelists") for ``fmtts prepare``: which clips of a dataset train, validate and test.

A folder of lists holds one file per split, under any of these names (the first found is used)::

    train.txt   ljs_audio_text_train_filelist.txt   ljs_audio_text_train_filelist.txt.cleaned
    val.txt     ljs_audio_text_val_filelist.txt     ljs_audio_text_val_filelist.txt.cleaned
    test.txt    ljs_audio_text_test_filelist.txt    ljs_audio_text_test_filelist.txt.cleaned

One clip per line; the first ``|``-separated field names it, in any of the usual forms::

    LJ050-0234|...                                   an id (fmtts's own filelists)
    DUMMY1/LJ050-0234.wav|...                        VITS
    data/LJSpeech-1.1/wavs/LJ050-0234.wav|...        Matcha-TTS, Tacotron 2 (any folder prefix)

Whatever follows field 0 (text, speaker, phonemes) is ignored: the text comes from ``metadata.csv``.
Blank lines and lines starting with ``#`` are skipped. A missing train list means "every clip that no
other list names"; a missing val or test list leaves that split empty.

A list whose lines mostly name no clip of the dataset is an error (a wrong folder, a wrong dataset, a
format this module does not read); a few unmatched lines are left out with a warning (a clip the
dataset lacks). A clip listed in two splits is an error.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fmtts.data.prepare import SPLITS, DatasetError

log = logging.getLogger(__name__)

LIST_NAMES: dict[str, tuple[str, ...]] = {
    split: (
        f"{split}.txt",
        f"ljs_audio_text_{split}_filelist.txt",
        f"ljs_audio_text_{split}_filelist.txt.cleaned",
    )
    for split in SPLITS
}
FORMAT_HINT = (
    "field 0 of each line must name a clip of metadata.csv: its id (LJ001-0001), or a path to its wav "
    "with any folders in front (DUMMY1/LJ001-0001.wav, data/LJSpeech-1.1/wavs/LJ001-0001.wav)"
)


@dataclass(frozen=True)
class ListLine:
    """One clip line of a list file: where it is and what its field 0 says."""

    path: Path
    number: int
    name: str

    def where(self) -> str:
        return f"{self.path} line {self.number}"


@dataclass
class SplitLists:
    """The split that a folder of lists defines, resolved against a dataset's clip ids."""

    folder: Path
    files: dict[str, Path]
    ids: dict[str, list[str]]  # matched clip ids per listed split, in list order, without repeats
    rest_to_train: bool  # no train list: every clip no list names trains
    unmatched: dict[str, int] = field(default_factory=dict)

    def key(self) -> str:
        """What a prepared folder depends on: the resolved split, not the lists' bytes (a list rewritten
        from the VITS to the Matcha format, or with comments added, gives the same split)."""
        content = {s: sorted(v) for s, v in self.ids.items()}
        blob = json.dumps({"ids": content, "rest_to_train": self.rest_to_train}, sort_keys=True)
        return hashlib.sha1(blob.encode()).hexdigest()

    def indices(self, clip_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Positions in ``clip_ids`` (the clips still usable after checks) of each split's clips."""
        where = {s: set(v) for s, v in self.ids.items()}
        listed = set().union(*where.values())
        parts = {}
        for split in SPLITS:
            if split == "train" and self.rest_to_train:
                chosen = [i for i, u in enumerate(clip_ids) if u not in listed]
            else:
                chosen = [i for i, u in enumerate(clip_ids) if u in where.get(split, ())]
            parts[split] = np.array(chosen, dtype=np.int64)
        return parts

    def describe(self) -> dict:
        """JSON-safe summary for prepare_report.json."""
        return {
            "folder": str(self.folder),
            "files": {s: p.name for s, p in self.files.items()},
            "listed": {s: len(v) for s, v in self.ids.items()},
            "unmatched_lines": dict(self.unmatched),
            "train": "every clip the other lists do not name" if self.rest_to_train else "listed",
            "key": self.key(),
        }


def find_list_files(folder: str | Path) -> dict[str, Path]:
    """The list file of each split that ``folder`` has (splits without one are absent)."""
    folder = Path(folder)
    found = {}
    for split, names in LIST_NAMES.items():
        for name in names:
            if (folder / name).is_file():
                found[split] = folder / name
                break
    return found


def read_list(path: str | Path) -> list[ListLine]:
    """The clip lines of one list file (field 0 of every line that is neither blank nor a comment)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path} is not a UTF-8 text file ({exc.reason})") from None
    lines = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        lines.append(ListLine(path, number, stripped.split("|", 1)[0].strip()))
    return lines


def match_clip(name: str, known: set[str] | frozenset[str]) -> str | None:
    """The clip id that a list's field 0 names: the id itself, or a wav path whose last folders plus
    file stem make an id (the longest such tail wins, so ids with folders in them work too)."""
    name = name.strip().replace("\\", "/")
    if name in known:
        return name
    stem = name[:-4] if name.lower().endswith(".wav") else name
    parts = [p for p in stem.split("/") if p and p != "."]
    for start in range(len(parts)):
        candidate = "/".join(parts[start:])
        if candidate in known:
            return candidate
    return None


def resolve_split_lists(folder: str | Path, clip_ids: Sequence[str]) -> SplitLists | None:
    """The split the lists in ``folder`` define over ``clip_ids`` (every id of ``metadata.csv``), or
    None when ``folder`` holds no list. Raises :class:`DatasetError` for a list that mostly names no
    clip, and for a clip listed in two splits; warns about a few unmatched or repeated lines."""
    folder = Path(folder)
    files = find_list_files(folder)
    if not files:
        return None
    known = frozenset(clip_ids)
    ids: dict[str, list[str]] = {}
    first_line: dict[str, dict[str, ListLine]] = {}
    unmatched: dict[str, int] = {}
    for split, path in files.items():
        lines = read_list(path)
        missing = [ln for ln in lines if match_clip(ln.name, known) is None]
        if lines and 2 * len(missing) > len(lines):
            raise DatasetError(
                f"{path}: {len(missing)} of {len(lines)} lines name no clip of the dataset, the first at "
                f"line {missing[0].number}: {missing[0].name!r}. Is it a list for this dataset? {FORMAT_HINT}"
            )
        if missing:
            log.warning(
                "%s: %d of %d lines name no clip of the dataset and are left out (first at line %d: %r)",
                path,
                len(missing),
                len(lines),
                missing[0].number,
                missing[0].name,
            )
        if not lines:
            log.warning("%s lists no clips: the %s split is empty", path, split)
        seen: dict[str, ListLine] = {}
        for ln in lines:
            utt = match_clip(ln.name, known)
            if utt is not None:
                seen.setdefault(utt, ln)
        repeated = len(lines) - len(missing) - len(seen)
        if repeated:
            log.warning("%s names %d clips more than once (counted once)", path, repeated)
        ids[split] = list(seen)
        first_line[split] = seen
        unmatched[split] = len(missing)
    _refuse_overlap(first_line)
    rest_to_train = "train" not in files
    if rest_to_train:
        log.info("%s has no train list: every clip that the val/test lists do not name trains", folder)
    for split in SPLITS:
        if split != "train" and split not in files:
            log.warning("%s has no %s list: the %s split is empty", folder, split, split)
    return SplitLists(folder, files, ids, rest_to_train, unmatched)


def _refuse_overlap(first_line: dict[str, dict[str, ListLine]]) -> None:
    """A clip in two splits would be trained on and scored as unseen: refuse, naming an example."""
    splits = list(first_line)
    for a_pos, a in enumerate(splits):
        for b in splits[a_pos + 1 :]:
            shared = [u for u in first_line[a] if u in first_line[b]]
            if shared:
                u = shared[0]
                raise DatasetError(
                    f"{len(shared)} clips are listed in both the {a} and the {b} list, e.g. {u} "
                    f"({first_line[a][u].where()}; {first_line[b][u].where()}): a clip belongs to one "
                    "split only"
                )
