"""Packed feature caches (``fmtts pack``): what unpacks is what was packed, damage is a clear error, and a
training run given a pack reuses its unpacked caches only while the pack is the same file."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from fmtts.config import Config
from fmtts.data.cache import CacheError, FeatureCache
from fmtts.data.portable import HI, LO, pack_caches, unpack_caches
from fmtts.training.common import TrainingError
from fmtts.training.data import resolve_training_data


@pytest.fixture(scope="module")
def pack(prepared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pack_caches(prepared_data, tmp_path_factory.mktemp("pack") / "data.fmpack")


def test_unpacked_caches_match_the_packed_ones(prepared_data: Path, pack: Path, tmp_path: Path) -> None:
    unpack_caches(pack, tmp_path)
    for split in ("train", "val"):
        a, b = FeatureCache(prepared_data / "cache" / split), FeatureCache(tmp_path / "cache" / split)
        assert a.meta["ids"] == b.meta["ids"] and a.meta["texts"] == b.meta["texts"]
        assert np.array_equal(np.asarray(a.tokens), np.asarray(b.tokens))
        assert np.array_equal(a.mel_offsets, b.mel_offsets)
        step = (HI - LO) / 127  # 7-bit quantisation: within half a step (plus fp16 rounding)
        mels_a = np.clip(np.asarray(a.mels, np.float32), LO, HI)
        assert np.abs(mels_a - np.asarray(b.mels, np.float32)).max() <= step / 2 + 0.01
        assert b.meta["packed_bits"] == 7 and a.meta["mel_stats"] == b.meta["mel_stats"]


@pytest.mark.parametrize("damage", ["truncated", "flipped", "not a pack"])
def test_a_damaged_pack_is_a_clear_error(pack: Path, tmp_path: Path, damage: str) -> None:
    data = bytearray(pack.read_bytes())
    if damage == "truncated":
        data = data[: len(data) - 100]
    elif damage == "flipped":
        data[-200] ^= 0xFF
    else:
        data = bytearray(b"RIFF" + bytes(100))
    bad = tmp_path / "bad.fmpack"
    bad.write_bytes(bytes(data))
    with pytest.raises(CacheError, match="damaged|not a packed"):
        unpack_caches(bad, tmp_path / "out")


def test_training_reuses_an_unpacked_pack_only_while_it_is_the_same(
    prepared_data: Path, pack: Path, tmp_path: Path
) -> None:
    out = tmp_path / "run_data"
    assert resolve_training_data(Config(), pack, out) == out
    ids = FeatureCache(out / "cache" / "train").meta["ids"]
    meta = out / "cache" / "train" / "meta.json"
    before = meta.stat().st_mtime_ns
    resolve_training_data(Config(), pack, out)
    assert meta.stat().st_mtime_ns == before  # same pack: not unpacked again

    smaller = tmp_path / "smaller"  # another pack (no val split) into the same folder
    shutil.copytree(prepared_data / "cache" / "train", smaller / "cache" / "train")
    other = pack_caches(smaller, tmp_path / "other.fmpack")
    resolve_training_data(Config(), other, out)
    assert not (out / "cache" / "val").exists()  # the first pack's val split does not linger
    assert FeatureCache(out / "cache" / "train").meta["ids"] == ids

    with pytest.raises(TrainingError, match="prepared from recordings"):
        (tmp_path / "real").mkdir()
        (tmp_path / "real" / "prepare_report.json").write_text("{}")
        resolve_training_data(Config(), pack, tmp_path / "real")
