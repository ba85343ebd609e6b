"""Recipes and stored configs: unknown or malformed keys are errors, at the API and the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from fmtts.api import TTS
from fmtts.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from fmtts.cli import main
from fmtts.config import Config, ConfigError, load_config

pytestmark = pytest.mark.usefixtures("torch_single_thread")


def test_unknown_or_malformed_config_keys_are_errors(tmp_path: Path, trained_run: Path, capsys) -> None:
    with pytest.raises(ConfigError, match=r"unknown keys \['chanels'\]"):
        Config.from_dict({"model": {"decoder": {"chanels": [64]}}})
    with pytest.raises(ConfigError, match=r"unknown keys \['lrr'\]"):
        load_config("tiny", ["train.lrr=1e-3"])
    # the override syntax the CLI help and docs show: YAML 1.1 alone would read 1e-4 as a string
    assert load_config("tiny", ["train.lr=1e-4", "train.betas=[0.8, 9e-1]"]).train.lr == 1e-4
    with pytest.raises(ConfigError, match="expected float"):
        load_config("tiny", ["train.lr=fast"])
    with pytest.raises(ConfigError, match="expected int"):
        load_config("tiny", ["train.batch_size=lots"])
    with pytest.raises(ConfigError, match="not one of"):
        load_config("tiny", ["model.decoder.estimator=wavenet"])
    recipe = tmp_path / "typo.yaml"
    recipe.write_text("model:\n  encoder: {channels: 32}\ntrian: {lr: 1.0e-3}\n")
    with pytest.raises(ConfigError, match="trian"):
        load_config(recipe)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    # a checkpoint whose stored config has a key this version doesn't know
    ckpt = load_checkpoint(trained_run)
    ckpt["config"]["train"]["new_option"] = 1
    odd = save_checkpoint(ckpt, tmp_path / "odd.pt")
    with pytest.raises(CheckpointError, match="new_option"):
        TTS.load(odd, device="cpu", vocoder="griffinlim")
    # and through the CLI: a clear one-line error, exit code 2
    rc = main(
        [
            "train",
            "--config",
            "tiny",
            "--data",
            str(tmp_path),
            "--out",
            str(tmp_path / "run"),
            "--set",
            "train.lrr=1",
        ]
    )
    assert rc == 2 and "error:" in capsys.readouterr().err


def test_recipe_typos_and_zero_counts_are_errors() -> None:
    """Mel settings are read leniently from old checkpoints, but a recipe or --set typo under data.mel is
    an error like any other unknown key; counts that would crash or never log/checkpoint are refused."""
    with pytest.raises(ConfigError, match="hop_lenght"):
        load_config("tiny", ["data.mel.hop_lenght=300"])
    for bad in ("train.log_every=0", "train.checkpoint_every=0", "train.batch_size=0", "train.lr=-1"):
        with pytest.raises(ConfigError, match=bad.split("=")[0]):
            load_config("tiny", [bad])


def test_a_folder_named_like_a_recipe_does_not_hide_it(tmp_path: Path, monkeypatch) -> None:
    """`fmtts train --config tiny` from a directory holding a folder called `tiny` (a run, a corpus) is the
    shipped recipe, not 'config file not found: tiny'."""
    (tmp_path / "tiny").mkdir()
    monkeypatch.chdir(tmp_path)
    assert load_config("tiny").name == "tiny"
    with pytest.raises(ConfigError, match="config file not found: nonesuch"):
        load_config("nonesuch")
