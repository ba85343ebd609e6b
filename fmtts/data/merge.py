"""Several LJSpeech-format corpora → one multi-speaker corpus folder, which ``fmtts prepare`` then prepares
like any other (``fmtts prepare --data joe=DIR_A --data heart=DIR_B --out PREP`` merges into
``PREP/corpus``)::

    corpus/metadata.csv          NAME/id|text|normalized text|speaker
    corpus/wavs/NAME             a symbolic link to the corpus's wavs/ (no audio is copied)
    corpus/durations/NAME        a link to its durations/, where it has one (data.use_durations)
    corpus/filelists/*.txt       the corpora's own split lists, ids prefixed, where every corpus has them
    corpus/corpora.json          which folder each NAME is, its clips and speakers

A corpus is named by ``NAME=DIR``, else by the source name in its ``corpus.json`` (``fmtts corpus``
writes one), else by its folder's name. Its clips are spoken by the speaker NAME, unless its
``metadata.csv`` already names speakers (a converted multi-speaker dataset: field 4), which are kept.
Speakers are numbered in the order they first appear, corpus after corpus: the first corpus's speaker is
speaker 0, whom a voice speaks with when not told otherwise, and whom ``fmtts train --init-from`` a
one-speaker voice starts out as.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from fmtts.data.prepare import SPLITS, DatasetError, read_metadata, speaker_names, speaker_problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CorpusSource:
    name: str
    folder: Path


def parse_source(arg: str | Path) -> CorpusSource:
    """``NAME=DIR`` or ``DIR`` (named as the module docstring says)."""
    text = str(arg)
    name, sep, rest = text.partition("=")
    if sep and name and "/" not in name and not Path(text).exists():
        folder = Path(rest).expanduser()
    else:
        name, folder = "", Path(text).expanduser()
    name = name or _default_name(folder)
    problem = speaker_problem(name) or ("a corpus name cannot be . or .." if name in (".", "..") else None)
    if problem:
        raise DatasetError(f"--data {text}: {problem}; name the corpus: --data NAME={folder}")
    return CorpusSource(name, folder)


def _default_name(folder: Path) -> str:
    try:
        source = json.loads((folder / "corpus.json").read_text(encoding="utf-8")).get("source", {})
        if isinstance(source, dict) and isinstance(source.get("name"), str) and source["name"]:
            return source["name"]
    except (OSError, ValueError, AttributeError):
        pass
    return folder.resolve().name


def merge_corpora(sources: list[str | Path | CorpusSource], out: str | Path) -> dict:
    """Write the merged corpus folder ``out`` (module docstring) and return its summary (also in
    ``out/corpora.json``). Every corpus is read and checked before ``out`` changes."""
    srcs = [s if isinstance(s, CorpusSource) else parse_source(s) for s in sources]
    if not srcs:
        raise DatasetError("no corpora to merge")
    names = [s.name for s in srcs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise DatasetError(f"two --data corpora are both named {twice[0]!r}: name them, --data NAME=DIR")
    out = Path(out)
    lines: list[str] = []
    summary: list[dict] = []
    split_lists: dict[str, dict[str, list[str]]] = {}
    for src in srcs:
        utts, skipped = read_metadata(src.folder)
        for s in skipped:
            log.warning("%s: skipped %s: %s", src.folder, s.get("id", f"line {s.get('line')}"), s["reason"])
        for u in utts:
            if "|" in u.text or "\n" in u.text:
                raise DatasetError(f"{src.folder}: clip {u.utt_id} has a text that cannot be written back")
            lines.append(f"{src.name}/{u.utt_id}|{u.text}|{u.text}|{u.speaker or src.name}")
        lists = _source_lists(src.folder, [u.utt_id for u in utts])
        if lists is not None:
            split_lists[src.name] = {s: [f"{src.name}/{i}" for i in ids] for s, ids in lists.items()}
        summary.append(
            {
                "name": src.name,
                "folder": str(src.folder.resolve()),
                "clips": len(utts),
                "speakers": speaker_names(utts) or [src.name],
            }
        )
    if split_lists and len(split_lists) < len(srcs):
        have = ", ".join(sorted(split_lists))
        lack = ", ".join(s.name for s in srcs if s.name not in split_lists)
        raise DatasetError(
            f"some corpora bring split lists ({have}) and some do not ({lack}): give every corpus "
            "filelists/, or none (a seeded random split), or pass --filelists with the merged ids (NAME/id)"
        )

    out.mkdir(parents=True, exist_ok=True)
    for sub in ("wavs", "durations"):
        _replace_links(out / sub, {s.name: s.folder / sub for s in srcs if (s.folder / sub).is_dir()})
    lists_dir = out / "filelists"
    for split in SPLITS:
        path = lists_dir / f"{split}.txt"
        if split_lists:
            lists_dir.mkdir(exist_ok=True)
            ids = [i for name in names for i in split_lists[name].get(split, [])]
            _write_text(path, "".join(f"{i}\n" for i in ids))
        else:  # lists left by an earlier merge would decide this one's split
            path.unlink(missing_ok=True)
    speakers = list(dict.fromkeys(n for c in summary for n in c["speakers"]))
    result = {"corpora": summary, "speakers": speakers, "clips": len(lines)}
    _write_text(out / "metadata.csv", "".join(f"{ln}\n" for ln in lines))
    _write_text(out / "corpora.json", json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    log.info("merged %d clips of %d corpora into %s: speakers %s", len(lines), len(srcs), out, speakers)
    return result


def _source_lists(folder: Path, ids: list[str]) -> dict[str, list[str]] | None:
    """A corpus's own split (every split's ids, a missing train list completed), or None."""
    from fmtts.data.filelists import resolve_split_lists

    lists = resolve_split_lists(folder / "filelists", ids)
    if lists is None:
        return None
    return {split: [ids[i] for i in idx] for split, idx in lists.indices(ids).items()}


def _replace_links(folder: Path, targets: dict[str, Path]) -> None:
    """``folder/NAME`` → ``targets[NAME]`` as symbolic links (absolute); links of other names removed."""
    if not targets and not folder.is_dir():
        return
    folder.mkdir(exist_ok=True)
    for entry in folder.iterdir():
        if entry.is_symlink() and entry.name not in targets:
            entry.unlink()
    for name, target in targets.items():
        link = folder / name
        wanted = str(target.resolve())
        if link.is_symlink() and os.readlink(link) == wanted:
            continue
        if link.is_symlink():
            link.unlink()
        elif link.exists():
            raise DatasetError(f"{link} exists and is no link made by a merge; choose another --out")
        link.symlink_to(wanted, target_is_directory=True)


def _write_text(path: Path, text: str) -> None:
    """Rewrite ``path`` only when its content changes (atomically)."""
    try:
        if path.read_text(encoding="utf-8") == text:
            return
    except OSError:
        pass
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
