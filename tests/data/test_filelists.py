"""Split lists for `fmtts prepare` (VITS and Matcha-TTS formats, errors, reuse), the LJSpeech recipe's
standard split and pre-flight checks, and the training schedule scaled to the number of GPUs."""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import REPO, run_script

from fmtts.cli import main as fmtts_main
from fmtts.config import DataConfig, load_config
from fmtts.data.cache import FeatureCache
from fmtts.data.filelists import match_clip, resolve_split_lists
from fmtts.data.prepare import DatasetError, prepare_dataset, wait_for_preparation
from fmtts.training.schedule import overrides, scaled_schedule

LJ_RUN = REPO / "egs" / "ljspeech" / "run.sh"
STANDARD = REPO / "egs" / "ljspeech" / "filelists"
IDS = [f"LJ001-000{i}" for i in range(1, 7)]
SPLIT = {"train": IDS[:3], "val": IDS[3:4], "test": IDS[4:]}
SPLITS = ("train", "val", "test")


def _write_lj_tiny(root: Path, speech_utterances: list[dict]) -> Path:
    """An LJSpeech-format folder of 6 clips (LJ001-0001 … LJ001-0006; eSpeak speech, reused in turn)."""
    (root / "wavs").mkdir(parents=True)
    lines = []
    for i, utt in enumerate(IDS):
        u = speech_utterances[i % len(speech_utterances)]
        sf.write(str(root / "wavs" / f"{utt}.wav"), u["wav"], 22050, subtype="PCM_16")
        lines.append(f"{utt}|{u['text']}|{u['text']}")
    (root / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def lj_tiny(tmp_path_factory: pytest.TempPathFactory, speech_utterances) -> Path:
    """:func:`_write_lj_tiny`'s folder, shared by the module's tests: treat it as read-only."""
    return _write_lj_tiny(tmp_path_factory.mktemp("LJSpeech-1.1"), speech_utterances)


def _write_lists(folder: Path, split: dict[str, list[str]], line, names: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for s, ids in split.items():
        (folder / names[s]).write_text("".join(line(u) + "\n" for u in ids), encoding="utf-8")
    return folder


VITS_NAMES = {s: f"ljs_audio_text_{s}_filelist.txt" for s in SPLITS}
PLAIN_NAMES = {s: f"{s}.txt" for s in SPLITS}


def vits_line(utt: str) -> str:
    return f"DUMMY1/{utt}.wav|Some text, which is ignored."


def matcha_line(utt: str) -> str:
    return f"data/LJSpeech-1.1/wavs/{utt}.wav|Some text, which is ignored."


def _prepared_split(out: Path) -> dict[str, list[str]]:
    return {s: FeatureCache(out / "cache" / s).ids for s in SPLITS}


def _prepare(data: Path, out: Path, filelists: Path | None = None) -> dict:
    from fmtts.text import TextProcessor

    return prepare_dataset(data, out, DataConfig(), TextProcessor(), filelists=filelists, progress=False)


# ------------------------------------------------------------------------------------------- list parsing


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("LJ050-0234", "LJ050-0234"),
        ("LJ050-0234.wav", "LJ050-0234"),
        ("DUMMY1/LJ050-0234.wav", "LJ050-0234"),
        ("data/LJSpeech-1.1/wavs/LJ050-0234.wav", "LJ050-0234"),
        ("/Volumes/Trainings/datasets/LJSpeech-1.1/wavs/LJ050-0234.wav", "LJ050-0234"),
        ("C:\\data\\wavs\\LJ050-0234.WAV", "LJ050-0234"),
        ("wavs/spk1/utt7.wav", "spk1/utt7"),  # ids with folders: the longest tail that is an id
        ("LJ050-0235.wav", None),
        ("", None),
    ],
)
def test_field_zero_names_a_clip_by_id_or_path(name: str, expected: str | None) -> None:
    assert match_clip(name, {"LJ050-0234", "spk1/utt7", "utt7"}) == expected


def test_list_folder_without_lists_and_list_file_names(tmp_path: Path) -> None:
    assert resolve_split_lists(tmp_path, IDS) is None
    (tmp_path / "ljs_audio_text_test_filelist.txt.cleaned").write_text(f"DUMMY1/{IDS[0]}.wav|ðə\n")
    lists = resolve_split_lists(tmp_path, IDS)
    assert lists is not None and lists.rest_to_train
    assert lists.indices(IDS)["test"].tolist() == [0] and lists.indices(IDS)["train"].tolist() == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert lists.indices(IDS)["val"].tolist() == []


def test_a_few_unmatched_lines_warn_with_counts(tmp_path: Path, caplog) -> None:
    lines = [vits_line(u) for u in IDS[:3]] + ["# a comment", "", "DUMMY1/LJ999-0001.wav|gone"]
    (tmp_path / "train.txt").write_text("\n".join(lines) + "\n")
    with caplog.at_level(logging.WARNING):
        lists = resolve_split_lists(tmp_path, IDS)
    assert lists is not None and lists.ids["train"] == IDS[:3] and lists.unmatched["train"] == 1
    assert "1 of 4 lines name no clip" in caplog.text and "line 6" in caplog.text


# ------------------------------------------------------------------------------ prepare with split lists


def test_vits_and_matcha_lists_give_the_intended_split(lj_tiny: Path, tmp_path: Path, caplog) -> None:
    vits = _write_lists(tmp_path / "vits", SPLIT, vits_line, VITS_NAMES)
    report = _prepare(lj_tiny, tmp_path / "prep", filelists=vits)
    assert _prepared_split(tmp_path / "prep") == SPLIT
    assert report["kept"] == {"train": 3, "val": 1, "test": 2}
    assert report["split"]["folder"] == str(vits) and report["split"]["files"]["val"] == VITS_NAMES["val"]
    written = (tmp_path / "prep" / "filelists" / "test.txt").read_text().splitlines()
    assert [ln.split("|")[0] for ln in written] == SPLIT["test"]

    # The same split in Matcha-TTS's format and file names: the same resolved split, so a folder
    # prepared with the VITS lists is reused as it is.
    matcha = tmp_path / "matcha"
    _write_lists(matcha, SPLIT, matcha_line, PLAIN_NAMES)
    report2 = _prepare(lj_tiny, tmp_path / "prep_matcha", filelists=matcha)
    assert _prepared_split(tmp_path / "prep_matcha") == SPLIT
    assert report2["split_key"] == report["split_key"]
    with caplog.at_level(logging.INFO):
        again = _prepare(lj_tiny, tmp_path / "prep", filelists=matcha)
    assert "reusing prepared data" in caplog.text and again == report


def test_dataset_filelists_folder_with_val_and_test_only(speech_utterances, tmp_path: Path) -> None:
    """Lists inside the data folder (DATA/filelists); without a train list every other clip trains."""
    data = _write_lj_tiny(tmp_path / "lj", speech_utterances)  # its own copy: lists are added to it
    _write_lists(data / "filelists", {"val": SPLIT["val"], "test": SPLIT["test"]}, matcha_line, PLAIN_NAMES)
    report = _prepare(data, tmp_path / "prep")
    assert _prepared_split(tmp_path / "prep") == SPLIT
    assert report["split"]["train"].startswith("every clip")


def test_a_list_that_matches_nothing_is_a_clear_error(lj_tiny: Path, tmp_path: Path, capsys) -> None:
    wrong = tmp_path / "wrong"
    wrong.mkdir()
    (wrong / "train.txt").write_text("# another corpus\nDUMMY1/p225_001.wav|0|Please call Stella.\n")
    out = tmp_path / "prep"
    code = fmtts_main(["prepare", "--data", str(lj_tiny), "--out", str(out), "--filelists", str(wrong)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.startswith("error: ") and "train.txt: 1 of 1 lines name no clip" in err
    assert "line 2: 'DUMMY1/p225_001.wav'" in err
    assert not out.exists()  # refused before anything was written

    code = fmtts_main(
        ["prepare", "--data", str(lj_tiny), "--out", str(out), "--filelists", str(tmp_path / "no")]
    )
    assert code == 2 and "no such folder" in capsys.readouterr().err


def test_overlapping_lists_are_refused(lj_tiny: Path, tmp_path: Path, capsys) -> None:
    lists = _write_lists(
        tmp_path / "lists", {**SPLIT, "test": [*SPLIT["test"], IDS[0]]}, vits_line, VITS_NAMES
    )
    with pytest.raises(DatasetError, match=f"both the train and the test list, e.g. {IDS[0]}"):
        resolve_split_lists(lists, IDS)
    out = tmp_path / "prep"
    code = fmtts_main(["prepare", "--data", str(lj_tiny), "--out", str(out), "--filelists", str(lists)])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and "a clip belongs to one split only" in err
    assert (
        "ljs_audio_text_train_filelist.txt line 1" in err and "ljs_audio_text_test_filelist.txt line 3" in err
    )


def test_edited_lists_prepare_again_and_other_ranks_wait_for_them(
    lj_tiny: Path, tmp_path: Path, caplog
) -> None:
    from fmtts.text import TextProcessor

    lists = _write_lists(tmp_path / "lists", SPLIT, vits_line, VITS_NAMES)
    out = tmp_path / "prep"
    first = _prepare(lj_tiny, out, filelists=lists)
    assert (
        wait_for_preparation(lj_tiny, out, DataConfig(), TextProcessor(), filelists=lists, timeout=0) == first
    )

    moved = {"train": IDS[:2], "val": IDS[2:4], "test": IDS[4:]}
    _write_lists(lists, moved, vits_line, VITS_NAMES)
    # A rank other than 0 must not take the old report for the new preparation (rank 0 has not begun).
    with pytest.raises(DatasetError, match="timed out"):
        wait_for_preparation(
            lj_tiny, out, DataConfig(), TextProcessor(), filelists=lists, timeout=0.2, poll=0.05
        )
    with caplog.at_level(logging.WARNING):
        second = _prepare(lj_tiny, out, filelists=lists)
    assert "preparing again" in caplog.text and second["split_key"] != first["split_key"]
    assert _prepared_split(out) == moved
    assert (
        wait_for_preparation(lj_tiny, out, DataConfig(), TextProcessor(), filelists=lists, timeout=0)
        == second
    )

    # No val list any more: the split is empty, and the old val cache must not be left to be trained on.
    (lists / VITS_NAMES["val"]).unlink()
    third = _prepare(lj_tiny, out, filelists=lists)
    assert third["kept"]["val"] == 0 and not (out / "cache" / "val").exists()
    assert _prepare(lj_tiny, out, filelists=lists) == third  # reused although one split has no cache


# ------------------------------------------------------------------------------------- the LJSpeech recipe


def test_standard_split_files_are_the_published_ids() -> None:
    """egs/ljspeech/filelists: 100 val and 500 test ids of LJSpeech-1.1, disjoint (LJSpeech has 13,100
    clips, so 12,500 train, as in the Tacotron 2 / VITS / Matcha-TTS train list)."""
    ids = {}
    for split, n in (("val", 100), ("test", 500)):
        lines = [ln for ln in (STANDARD / f"{split}.txt").read_text().splitlines() if not ln.startswith("#")]
        assert len(lines) == len(set(lines)) == n
        assert all(
            len(u) == 10 and u[:2] == "LJ" and u[5] == "-" and (u[2:5] + u[6:]).isdigit() for u in lines
        )
        ids[split] = set(lines)
    assert not ids["val"] & ids["test"]
    assert {"LJ045-0096", "LJ050-0209"} <= ids["test"] and {"LJ022-0023", "LJ004-0045"} <= ids["val"]


def _command(proc: subprocess.CompletedProcess, word: str) -> str:
    return next(ln for ln in proc.stderr.splitlines() if ln.startswith("+ ") and f" {word} " in ln)


def test_recipe_uses_the_standard_split_on_ljspeech_and_scales_the_schedule(tmp_path: Path) -> None:
    standard = [ln for s in ("val", "test") for ln in (STANDARD / f"{s}.txt").read_text().splitlines()]
    standard = [u for u in standard if not u.startswith("#")]
    lj = tmp_path / "LJSpeech-1.1"
    (lj / "wavs").mkdir(parents=True)
    (lj / "metadata.csv").write_text("".join(f"{u}|Text.|Text.\n" for u in ["LJ001-0001", *standard]))
    proc = run_script(
        LJ_RUN,
        "--stage",
        1,
        "--dry-run",
        "--data",
        lj,
        "--work",
        tmp_path / "w",
        "--ngpu",
        4,
        "--set",
        "train.lr=1e-4",
    )
    assert proc.returncode == 0, proc.stderr
    prepare = _command(proc, "prepare")
    assert f"--filelists {STANDARD} " in prepare and prepare.endswith("--set train.lr=1e-4")
    train = _command(proc, "train")
    # the user's override first, then the scaled schedule computed from it (the later --set wins)
    assert train.index("--set train.lr=1e-4") < train.index("--set train.lr=0.0002")
    assert "--set train.max_steps=75000 --set train.warmup_steps=250" in train

    proc = run_script(
        LJ_RUN,
        "--stage",
        1,
        "--dry-run",
        "--data",
        lj,
        "--work",
        tmp_path / "w",
        "--split",
        "random",
        "--keep-schedule",
        "--ngpu",
        4,
    )
    assert "--filelists" not in _command(proc, "prepare") and "train.max_steps" not in _command(proc, "train")

    (lj / "metadata.csv").write_text("LJ001-0001|Text.|Text.\n")  # not LJSpeech: auto falls back
    proc = run_script(
        LJ_RUN, "--stage", 1, "--stop-stage", 1, "--dry-run", "--data", lj, "--work", tmp_path / "w"
    )
    assert "--filelists" not in _command(proc, "prepare") and "random split" in proc.stderr


def _path_without(tmp_path: Path, *missing: str) -> str:
    """A PATH with every program of this one except ``missing``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for folder in os.environ["PATH"].split(os.pathsep):
        if not os.path.isdir(folder):
            continue
        for name in os.listdir(folder):
            target = bin_dir / name
            if name not in missing and not target.exists() and os.access(os.path.join(folder, name), os.X_OK):
                target.symlink_to(os.path.join(folder, name))
    return str(bin_dir)


def test_recipe_checks_tools_and_disk_before_any_stage(tmp_path: Path) -> None:
    # No bzip2: stage 0 would download 2.7 GB and then fail to unpack it.
    env = {
        "PATH": _path_without(tmp_path, "bzip2"),
        "LJSPEECH_URL": "http://127.0.0.1:9/LJSpeech-1.1.tar.bz2",
    }
    proc = run_script(LJ_RUN, "--stop-stage", 0, "--work", tmp_path / "w", timeout=60, **env)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "bzip2, which is not installed" in proc.stderr and "downloading" not in proc.stderr

    # Too little disk space (a df that reports 1 MB free).
    fake = tmp_path / "fakebin"
    fake.mkdir()
    header = "Filesystem 1024-blocks Used Available Capacity Mounted on"
    (fake / "df").write_text(f"#!/bin/sh\necho '{header}'\necho 'x 1 0 1024 0% /'\n")
    (fake / "df").chmod(0o755)
    lj = tmp_path / "lj"
    (lj / "wavs").mkdir(parents=True)
    (lj / "wavs" / "a.wav").write_bytes(np.zeros(2_000_000, np.uint8).tobytes())
    (lj / "metadata.csv").write_text("a|A.|A.\n")
    env = {"PATH": f"{fake}{os.pathsep}{os.environ['PATH']}"}
    proc = run_script(
        LJ_RUN, "--stage", 1, "--stop-stage", 3, "--data", lj, "--work", tmp_path / "w2", timeout=60, **env
    )
    assert proc.returncode == 1 and "GB free in" in proc.stderr and "checkpoints 1.6 GB" in proc.stderr
    assert "== stage 1" not in proc.stderr  # nothing ran

    # Stage 5 without the eval extra (jiwer hidden from the interpreter): refused before any stage runs.
    hide = tmp_path / "hide"
    hide.mkdir()
    (hide / "sitecustomize.py").write_text(
        "import sys\n"
        "class Hide:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'jiwer':\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Hide())\n"
    )
    env = {"PYTHONPATH": str(hide)}
    proc = run_script(LJ_RUN, "--stage", 3, "--stop-stage", 5, "--work", tmp_path / "w3", timeout=60, **env)
    assert proc.returncode == 1 and "stage 5 (evaluate) needs the eval extra" in proc.stderr
    assert "== stage 3" not in proc.stderr


# ---------------------------------------------------------------------------------- multi-GPU schedule


def test_schedule_scales_with_world_size() -> None:
    train = load_config("ljspeech").train
    assert scaled_schedule(train, 1) == {} and overrides(train, 1) == []
    for n in (2, 4, 8):
        s = scaled_schedule(train, n)
        # the same clips seen in 1/n of the steps (per-GPU batch unchanged, so each step costs the same)
        assert s["max_steps"] * n * train.batch_size == pytest.approx(
            train.max_steps * train.batch_size, rel=1e-3
        )
        assert s["warmup_steps"] == -(-train.warmup_steps // n) and s["val_every"] == -(-train.val_every // n)
        assert s["lr"] == pytest.approx(train.lr * n**0.5)
        assert s["ema_decay"] ** (1 / n) == pytest.approx(train.ema_decay)
    assert scaled_schedule(train, 4)["max_steps"] == 75000
    odd = scaled_schedule(load_config("ljspeech", ["train.max_steps=1000", "train.log_every=1"]).train, 3)
    assert odd["max_steps"] == 334 and odd["log_every"] == 1  # rounded up, never 0
    scaled = load_config("ljspeech", overrides(train, 4)).train
    assert scaled.max_steps == 75000 and scaled.lr == pytest.approx(4e-4)
    with pytest.raises(ValueError):
        scaled_schedule(train, 0)
