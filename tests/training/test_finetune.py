"""`fmtts finetune`: a new voice from a voice file and a few recordings keeps the voice's model, text
frontend and mel settings, takes the fine-tuning recipe's schedule, and refuses to change what the
weights were trained on."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from conftest import write_ljspeech

from fmtts.config import ConfigError, load_config


@pytest.fixture(scope="module")
def voice_file(trained_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    from fmtts.cli import main

    out = tmp_path_factory.mktemp("finetune_voice") / "tiny.fmtts"
    assert main(["export", str(trained_run), str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def recordings(speech_utterances: list[dict], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An LJSpeech-format folder of the eSpeak sentences: a 'new speaker' to fine-tune on."""
    return write_ljspeech(tmp_path_factory.mktemp("new_speaker"), speech_utterances, prefix="clip")


def test_finetune_keeps_the_voice_and_trains_from_its_weights(
    voice_file: Path, recordings: Path, tmp_path: Path, torch_single_thread, capsys
) -> None:
    from fmtts.checkpoint import load_checkpoint
    from fmtts.cli import main
    from fmtts.runtime.voice_file import VoiceFile
    from fmtts.training.state import inference_state, init_checkpoint

    out = tmp_path / "run"
    args = ["finetune", "--voice", str(voice_file), "--data", str(recordings), "--out", str(out)]
    opts = [
        "--train-steps",
        "2",
        "--no-progress",
        "--set",
        "train.batch_size=2",
        "--set",
        "train.checkpoint_every=1",
    ]
    assert main([*args, *opts]) == 0
    assert "features:" not in capsys.readouterr().err  # --no-progress: no bar while it prepares the data

    source = VoiceFile.read(voice_file).manifest
    first = load_checkpoint(out / "checkpoints" / "step_00000001.pt")
    last = load_checkpoint(out / "checkpoints" / "step_00000002.pt")
    assert last["text"] == source["text"]  # the voice's symbols, phonemizer and blanks prepared the data
    assert last["mel_config"] == source["mel_config"]
    expected = copy.deepcopy(source["config"]["model"])
    expected["cfm"]["shortcut_steps"] = []
    expected["out_size"] = 172  # the recipe's segment length; the rest is the voice's model
    assert last["config"]["model"] == expected
    assert last["config"]["train"]["lr"] == pytest.approx(2e-4)  # recipes/finetune.yaml, not the voice's
    assert last["config"]["data"]["val_fraction"] == 0.0

    # one step from the voice's weights: close to them, not equal, and moving on
    start = inference_state(init_checkpoint(voice_file))
    after_one, after_two = inference_state(first), inference_state(last)
    key = next(k for k in after_one if k.startswith("decoder.") and k.endswith("weight"))
    assert not np.array_equal(after_one[key].numpy(), start[key].numpy())
    assert not np.array_equal(after_two[key].numpy(), after_one[key].numpy())
    assert np.abs(after_one[key].numpy() - start[key].numpy()).max() < 0.05

    # the result speaks on the runtime after export
    from fmtts.api import TTS

    exported = tmp_path / "new.fmtts"
    assert main(["export", str(out / "checkpoints" / "step_00000002.pt"), str(exported)]) == 0
    result = TTS.load(exported, vocoder="griffinlim").synthesize("A new voice.", seed=0)
    assert np.isfinite(result.audio).all() and result.audio.size > 0


def test_finetune_refuses_to_change_the_voices_mel(voice_file: Path, tmp_path: Path) -> None:
    from fmtts.training.finetune import finetune_setup

    for change in ("data.mel.f_max=7000", "data.intersperse_blank=false", "model.decoder.channels=[8,8]"):
        with pytest.raises(ConfigError, match="cannot change"):
            finetune_setup(voice_file, "finetune", [change])
    with pytest.raises(ConfigError, match="fmtts finetune"):  # not a model to train from scratch
        load_config("finetune")
    cfg, text = finetune_setup(voice_file, "finetune", ["train.lr=1e-4"])
    assert cfg.train.lr == 1e-4 and cfg.model.cfm.shortcut_steps == []
    assert text.to_dict()["intersperse_blank"] == cfg.data.intersperse_blank


def test_finetune_adapts_only_the_parts_it_is_told(
    voice_file: Path, recordings: Path, tmp_path: Path, torch_single_thread
) -> None:
    from fmtts.checkpoint import load_checkpoint
    from fmtts.cli import main
    from fmtts.training.state import inference_state, init_checkpoint

    out = tmp_path / "run"
    args = ["finetune", "--voice", str(voice_file), "--data", str(recordings), "--out", str(out)]
    opts = ["--train-steps", "2", "--no-progress", "--set", "train.batch_size=2"]
    assert main([*args, *opts, "--set", "train.trainable=[decoder]"]) == 0
    start = inference_state(init_checkpoint(voice_file))
    end = inference_state(load_checkpoint(out / "checkpoints" / "step_00000002.pt"))
    moved = {k.split(".")[0] for k in start if not np.array_equal(start[k].numpy(), end[k].numpy())}
    moved -= {"mel_mean", "mel_std"}  # buffers: the new recordings' statistics, whatever learns
    assert moved == {"decoder"}  # the text encoder and durations kept the voice's weights

    with pytest.raises(ConfigError, match="train.trainable"):
        from fmtts.training.finetune import finetune_setup

        finetune_setup(voice_file, "finetune", ["train.trainable=[vocoder]"])
