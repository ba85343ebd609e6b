"""fmtts.data: dataset preparation reuses its caches only with the same settings, and a dataset may bring
its own split. (The LJSpeech and demo recipes, which prepare whole datasets, are in test_recipes.py;
audio caches for vocoder training in test_vocoder_training.py.)"""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile as sf
from conftest import espeak_synthesise

from fmtts.data.cache import FeatureCache
from fmtts.data.prepare import DatasetError


def test_prepared_cache_is_redone_when_data_settings_change(tmp_path: Path, caplog) -> None:
    """A prepared folder is reused only with the settings it was made with."""
    import logging

    from fmtts.config import DataConfig
    from fmtts.data.prepare import prepare_dataset
    from fmtts.text import TextProcessor

    data = tmp_path / "lj"
    (data / "wavs").mkdir(parents=True)
    lines = []
    for i, text in enumerate(["Hello there.", "How are you today?", "Fine, thank you.", "See you soon."]):
        workdir = tmp_path / f"espeak{i}"  # a private library copy per call (it cannot be overwritten)
        workdir.mkdir()
        wav, sr = espeak_synthesise(text, workdir)
        sf.write(data / "wavs" / f"u{i}.wav", wav, sr, subtype="PCM_16")
        lines.append(f"u{i}|{text}|{text}")
    (data / "metadata.csv").write_text("\n".join(lines) + "\n")
    tp = TextProcessor()
    cfg = DataConfig(val_fraction=0.25, test_fraction=0.25)
    first = prepare_dataset(data, tmp_path / "prep", cfg, tp, progress=False)
    stamp = (tmp_path / "prep" / "cache" / "train" / "meta.json").stat().st_mtime_ns
    with caplog.at_level(logging.INFO):
        again = prepare_dataset(data, tmp_path / "prep", cfg, tp, progress=False)
    assert again == first and "reusing" in caplog.text
    assert (tmp_path / "prep" / "cache" / "train" / "meta.json").stat().st_mtime_ns == stamp
    changed = DataConfig(val_fraction=0.25, test_fraction=0.25, split_seed=7)
    redone = prepare_dataset(data, tmp_path / "prep", changed, tp, progress=False)
    assert redone["settings"]["data"]["split_seed"] == 7

    # an edited metadata.csv (here: with a byte-order mark, which is not part of the first id) or
    # another data folder is prepared again, not served from the old caches
    (data / "metadata.csv").write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    with caplog.at_level(logging.INFO):
        edited = prepare_dataset(data, tmp_path / "prep", changed, tp, progress=False)
    assert "preparing again" in caplog.text and sum(edited["kept"].values()) == 4
    assert not any("u0" in str(s) for s in edited.get("skipped", []))
    # a --data without metadata.csv fails before anything changes: the prepared folder stays usable
    with pytest.raises(DatasetError, match="metadata.csv"):
        prepare_dataset(tmp_path / "nowhere", tmp_path / "prep", changed, tp, progress=False)
    assert (tmp_path / "prep" / "prepare_report.json").is_file()
    moved = tmp_path / "lj2"
    data.rename(moved)
    caplog.clear()
    with caplog.at_level(logging.INFO):
        prepare_dataset(moved, tmp_path / "prep", changed, tp, progress=False)
    assert "preparing again" in caplog.text


def test_a_dataset_can_bring_its_own_split(tmp_path: Path) -> None:
    from fmtts.config import DataConfig
    from fmtts.data.prepare import prepare_dataset
    from fmtts.text import TextProcessor

    data = tmp_path / "lj"
    (data / "wavs").mkdir(parents=True)
    (data / "filelists").mkdir()
    lines = []
    for i, text in enumerate(["Hello there.", "How are you today?", "Fine, thank you.", "See you soon."]):
        workdir = tmp_path / f"espeak{i}"
        workdir.mkdir()
        wav, sr = espeak_synthesise(text, workdir)
        sf.write(data / "wavs" / f"u{i}.wav", wav, sr, subtype="PCM_16")
        lines.append(f"u{i}|{text}|{text}")
    (data / "metadata.csv").write_text("\n".join(lines) + "\n")
    (data / "filelists" / "train.txt").write_text("u0\nu2\n")
    (data / "filelists" / "val.txt").write_text("u3|See you soon.\n")
    (data / "filelists" / "test.txt").write_text("u1\n")
    report = prepare_dataset(data, tmp_path / "prep", DataConfig(), TextProcessor(), progress=False)
    assert report["kept"] == {"train": 2, "val": 1, "test": 1}
    assert FeatureCache(tmp_path / "prep" / "cache" / "test").ids == ["u1"]


def test_a_multi_speaker_split_gives_every_speaker_val_and_test_clips() -> None:
    """The seeded split is made speaker by speaker: a small speaker beside a big one still has val and
    test clips, and each speaker's clips split as they would alone (the same fractions and seed)."""
    import numpy as np

    from fmtts.data.prepare import split_indices, split_indices_by_speaker

    speakers = ["big"] * 60 + ["small"] * 6 + ["big"] * 40
    parts = split_indices_by_speaker(speakers, 0.05, 0.05, 1234)
    assert sorted(np.concatenate(list(parts.values())).tolist()) == list(range(len(speakers)))
    for name in ("big", "small"):
        where = np.array([i for i, s in enumerate(speakers) if s == name])
        alone = split_indices(len(where), 0.05, 0.05, 1234)
        for split in ("train", "val", "test"):
            assert parts[split][np.isin(parts[split], where)].tolist() == where[alone[split]].tolist()
            assert len(alone[split]) >= 1
    # speakers too small to split on their own are split together: any 3 clips still give val and test
    few = split_indices_by_speaker(["a", "a", "b", "c", "c"], 0.1, 0.1, 7)
    assert len(few["val"]) == len(few["test"]) == 1 and len(few["train"]) == 3


def test_a_one_speaker_split_is_the_plain_seeded_split() -> None:
    from fmtts.data.prepare import split_indices, split_indices_by_speaker

    for n, seed in ((3, 0), (4, 1234), (57, 7), (1000, 1234)):
        plain = split_indices(n, 0.02, 0.03, seed)
        for speakers in ([None] * n, ["joe"] * n):
            by_speaker = split_indices_by_speaker(speakers, 0.02, 0.03, seed)
            assert list(by_speaker) == list(plain)
            assert all(by_speaker[s].tolist() == plain[s].tolist() for s in plain)
