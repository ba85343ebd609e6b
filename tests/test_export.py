"""fmtts export: compact fp16 voices that load and speak like the checkpoint."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import SR, TEXT

from fmtts.api import TTS
from fmtts.checkpoint import load_checkpoint
from fmtts.cli import main

pytestmark = pytest.mark.usefixtures("torch_single_thread")


def test_export_fp16_voice_loads_and_speaks(trained_run: Path, voice: TTS, tmp_path: Path) -> None:
    fp16, fp32 = tmp_path / "voice16.pt", tmp_path / "voice32.pt"
    assert main(["export", str(trained_run), str(fp16)]) == 0
    assert main(["export", str(trained_run), str(fp32), "--dtype", "fp32"]) == 0
    exported = load_checkpoint(fp16)
    assert exported["weights_dtype"] == "fp16" and "optimizer" not in exported and "ema" not in exported
    assert exported["model"]["encoder.embedding.weight"].dtype == torch.float16
    assert fp16.stat().st_size < 0.6 * fp32.stat().st_size < 0.6 * trained_run.stat().st_size

    reference = voice.synthesize(TEXT, steps=3, seed=2)
    same = TTS.load(fp32, device="cpu", vocoder="griffinlim").synthesize(TEXT, steps=3, seed=2)
    assert np.array_equal(same.mel, reference.mel), "an fp32 export holds exactly the EMA weights"
    half = TTS.load(fp16, device="cpu", vocoder="griffinlim").synthesize(TEXT, steps=3, seed=2)
    assert half.audio.dtype == np.float32 and half.sample_rate == SR
    assert half.mel.shape == reference.mel.shape
    # fp16 rounding barely matters: mean 0.056 measured on this 20-step tiny voice (noisy log-mels)
    assert float(np.abs(half.mel - reference.mel).mean()) < 0.1, "fp16 rounding should barely matter"


def test_a_voice_names_its_vocoder_file_from_its_own_folder(trained_run: Path, tmp_path: Path, monkeypatch):
    """export --vocoder PATH stores the path from the voice's folder, so the voice finds its vocoder from
    any working directory; a vocoder that is neither a name nor a file is an error at export."""
    from fmtts.api import voice_vocoder
    from fmtts.checkpoint import CheckpointError
    from fmtts.export import export_voice

    vocoder = tmp_path / "vocoders" / "mine.pt"
    vocoder.parent.mkdir()
    vocoder.write_bytes(b"weights")
    monkeypatch.chdir(tmp_path)
    out = export_voice(trained_run, tmp_path / "voices" / "v.pt", vocoder="vocoders/mine.pt")
    stored = load_checkpoint(out)["vocoder"]
    assert stored == str(Path("..") / "vocoders" / "mine.pt")
    monkeypatch.chdir(tmp_path / "voices")
    assert Path(voice_vocoder(out, load_checkpoint(out))).resolve() == vocoder.resolve()
    assert (
        load_checkpoint(export_voice(trained_run, tmp_path / "n.pt", vocoder="universal"))["vocoder"]
        == "universal"
    )
    with pytest.raises(CheckpointError, match="neither"):
        export_voice(trained_run, tmp_path / "bad.pt", vocoder="no-such-vocoder")


def test_export_calibrates_the_pace_on_the_training_data(
    trained_run: Path, prepared_data: Path, tmp_path: Path
) -> None:
    """``--calibrate-on`` sets the duration scale that makes the voice speak as long as its training data:
    total aligned frames over total predicted frames on the train split (a number, not the default 1)."""
    out = tmp_path / "calibrated.pt"
    assert main(["export", str(trained_run), str(out), "--calibrate-on", str(prepared_data)]) == 0
    scale = float(load_checkpoint(out)["model"]["duration_scale"])
    assert np.isfinite(scale) and scale > 0 and scale != 1.0
    plain = tmp_path / "plain.pt"
    assert main(["export", str(trained_run), str(plain)]) == 0
    assert float(load_checkpoint(plain)["model"]["duration_scale"]) != scale


def test_export_to_an_onnx_file_points_to_export_vocoder(trained_run: Path, tmp_path: Path, capsys) -> None:
    """`fmtts export` writes voices; asked for an .onnx file it names the command that writes vocoders."""
    out = tmp_path / "vocoder.onnx"
    assert main(["export", str(trained_run), str(out), "--dtype", "int8"]) == 2
    assert "fmtts export-vocoder" in capsys.readouterr().err and not out.exists()
