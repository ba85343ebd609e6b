"""The torch-free runtime: voice files (.fmtts) and vocoders (.onnx) on ONNX Runtime give the torch
backend's output; it refuses what it cannot run with a clear error; it imports no torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from conftest import TEXT

from fmtts.api import TTS, SynthesisError
from fmtts.cli import main
from fmtts.runtime.voice_file import VoiceFile, VoiceFileError

pytestmark = pytest.mark.usefixtures("torch_single_thread")

# Measured on the tiny test voice, 3 Euler steps, same seed: ONNX Runtime's fp32 graphs against torch's
# fp32 model differ by ~2e-5 in velocity (relative) and ~1e-4 in log-mel; the bound leaves room for
# other CPUs' kernels. An fp16 voice file holds the fp16-rounded weights: a mean 0.056 from the fp32
# model on this 20-step tiny voice (whose log-mels are far noisier than a trained voice's).
MEL_BOUND_FP32 = 2e-3
MEL_BOUND_FP16 = 0.1
# int8 weights (one scale per output channel) move this tiny voice's mean log-mel by a few hundredths,
# int4 (one scale per 32 values) by a little more
MEL_BOUND_QUANTIZED = {"int8": 0.2, "int4": 0.3}


@pytest.fixture(scope="module")
def voice_files(trained_run: Path, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("runtime")
    files = {dtype: out / f"tiny_{dtype}.fmtts" for dtype in ("fp32", "fp16", "int8", "int4")}
    for dtype, path in files.items():
        options = [] if dtype == "fp16" else ["--dtype", dtype]  # fp16: the default
        assert main(["export", str(trained_run), str(path), *options]) == 0
    return files


def test_onnx_and_torch_backends_agree(trained_run: Path, voice_files: dict[str, Path]) -> None:
    torch_voice = TTS.load(trained_run, device="cpu", vocoder="griffinlim")
    onnx_voice = TTS.load(voice_files["fp32"], vocoder="griffinlim", threads=1)
    assert torch_voice.backend == "torch" and onnx_voice.backend == "onnx"
    text = TEXT + " And a second sentence, to batch."
    a = torch_voice.synthesize(text, steps=3, seed=3)
    b = onnx_voice.synthesize(text, steps=3, seed=3)
    assert a.durations == b.durations
    assert a.mel.shape == b.mel.shape
    assert float(np.abs(a.mel - b.mel).max()) < MEL_BOUND_FP32
    half = TTS.load(voice_files["fp16"], vocoder="griffinlim").synthesize(text, steps=3, seed=3)
    assert half.mel.shape == a.mel.shape and float(np.abs(half.mel - a.mel).mean()) < MEL_BOUND_FP16
    assert voice_files["fp16"].stat().st_size < 0.7 * voice_files["fp32"].stat().st_size
    # the torch backend reads the same voice file (its graphs keep the parameters under their names)
    same_file = TTS.load(voice_files["fp32"], backend="torch", vocoder="griffinlim").synthesize(
        text, steps=3, seed=3
    )
    assert float(np.abs(same_file.mel - b.mel).max()) < MEL_BOUND_FP32
    # another seed is another sample: the comparison above can fail
    c = onnx_voice.synthesize(text, steps=3, seed=4)
    assert float(np.abs(c.mel - b.mel).max()) > 10 * MEL_BOUND_FP32


@pytest.mark.parametrize("dtype", ["int8", "int4"])
def test_quantized_voice_file(
    dtype: str, voice_files: dict[str, Path], tmp_path: Path, trained_run: Path
) -> None:
    """int8 and int4 weights: fewer bytes than fp16, close to fp32's output, and torch computes with the
    very numbers ONNX Runtime does (it decodes them as the graph does)."""
    text = TEXT + " And a second sentence, to batch."
    exact = TTS.load(voice_files["fp32"], vocoder="griffinlim").synthesize(text, steps=3, seed=3)
    small = TTS.load(voice_files[dtype], vocoder="griffinlim").synthesize(text, steps=3, seed=3)
    # this barely trained voice's durations sit near rounding edges: rounding may move a frame or two
    assert abs(small.mel.shape[1] - exact.mel.shape[1]) <= 0.05 * exact.mel.shape[1]
    n = min(small.mel.shape[1], exact.mel.shape[1])
    assert abs(float(small.mel[:, :n].mean()) - float(exact.mel[:, :n].mean())) < MEL_BOUND_QUANTIZED[dtype]
    on_torch = TTS.load(voice_files[dtype], backend="torch", vocoder="griffinlim").synthesize(
        text, steps=3, seed=3
    )
    assert float(np.abs(on_torch.mel - small.mel).max()) < MEL_BOUND_FP32
    assert VoiceFile.read(voice_files[dtype]).manifest["weights"] == dtype
    # (the tiny voice keeps many tensors too small to store otherwise; the default voice: 0.52 at int8)
    assert voice_files[dtype].stat().st_size < 0.8 * voice_files["fp16"].stat().st_size
    if dtype == "int4":
        assert voice_files["int4"].stat().st_size < voice_files["int8"].stat().st_size
    # a torch voice (.pt) has no int8 or int4 form: a clear error, no file
    assert main(["export", str(trained_run), str(tmp_path / "v.pt"), "--dtype", dtype]) == 2
    assert not (tmp_path / "v.pt").exists()


def test_onnx_stream_equals_synthesize(voice_files: dict[str, Path]) -> None:
    tts = TTS.load(voice_files["fp32"], vocoder="griffinlim")
    whole = tts.synthesize(TEXT, seed=1, steps=2)
    pieces = list(tts.stream(TEXT, seed=1, steps=2, window=100_000, first_window=100_000))
    audio = np.concatenate([p.audio for p in pieces])
    assert len(audio) == len(whole.audio) and np.allclose(audio, whole.audio, atol=1e-4)


def test_a_texts_audio_does_not_depend_on_its_batch(voice_files: dict[str, Path]) -> None:
    """Noise depends on the seed and the chunk's place in its text only: a text batched after another, at
    any batch size, is that text alone."""
    tts = TTS.load(voice_files["fp32"], vocoder="griffinlim")
    other, text = "Something else first, to take the first place.", TEXT
    alone = tts.synthesize(text, seed=9, steps=2)
    for batch_size in (1, 8):
        batched = tts.synthesize_batch([other, text], seed=9, steps=2, batch_size=batch_size)[1]
        assert batched.durations == alone.durations
        assert float(np.abs(batched.mel - alone.mel).max()) < 1e-3


def test_a_voice_file_exports_again(voice_files: dict[str, Path], tmp_path: Path) -> None:
    """``fmtts export VOICE.fmtts OUT.fmtts``: a voice re-exported (to int8, or to this fmtts's graphs)
    keeps what its manifest says and speaks as before."""
    again = tmp_path / "again.fmtts"
    assert main(["export", str(voice_files["fp32"]), str(again), "--dtype", "fp32"]) == 0
    before, after = VoiceFile.read(voice_files["fp32"]).manifest, VoiceFile.read(again).manifest
    assert {k: v for k, v in after.items() if k != "name"} == {k: v for k, v in before.items() if k != "name"}
    a = TTS.load(voice_files["fp32"], vocoder="griffinlim").synthesize(TEXT, steps=2, seed=5)
    b = TTS.load(again, vocoder="griffinlim").synthesize(TEXT, steps=2, seed=5)
    assert a.durations == b.durations and float(np.abs(a.mel - b.mel).max()) < MEL_BOUND_FP32


def test_voice_file_manifest(voice_files: dict[str, Path], trained_run: Path) -> None:
    voice = VoiceFile.read(voice_files["fp16"])
    m = voice.manifest
    assert m["format"] == "fmtts-voice" and m["weights"] == "fp16" and m["shortcut_steps"] == []
    from fmtts.checkpoint import load_checkpoint

    ckpt = load_checkpoint(trained_run)
    assert m["text"] == ckpt["text"] and m["mel_config"] == ckpt["mel_config"]


def test_runtime_refuses_what_it_cannot_run(trained_run: Path, voice_files: dict[str, Path], tmp_path):
    with pytest.raises(SynthesisError, match="torch checkpoint"):
        TTS.load(trained_run, backend="onnx")
    bad = tmp_path / "random.fmtts"
    bad.write_bytes(os.urandom(4096))
    with pytest.raises(VoiceFileError, match="not a readable fmtts voice file"):
        TTS.load(bad)
    empty = tmp_path / "empty.fmtts"
    with zipfile.ZipFile(empty, "w") as z:
        z.writestr("other.txt", "hello")
    with pytest.raises(VoiceFileError, match="no voice.json"):
        TTS.load(empty)
    future = tmp_path / "future.fmtts"
    with zipfile.ZipFile(voice_files["fp32"]) as src, zipfile.ZipFile(future, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "voice.json":
                manifest = json.loads(data)
                manifest["format_version"] = 99
                data = json.dumps(manifest).encode()
            dst.writestr(name, data)
    with pytest.raises(VoiceFileError, match="upgrade fmtts"):
        TTS.load(future)
    listed = tmp_path / "listed.fmtts"
    with zipfile.ZipFile(voice_files["fp32"]) as src, zipfile.ZipFile(listed, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, b"[1, 2]" if name == "voice.json" else src.read(name))
    with pytest.raises(VoiceFileError, match="damaged voice manifest"):
        TTS.load(listed)
    broken = tmp_path / "broken.fmtts"
    with zipfile.ZipFile(voice_files["fp32"]) as src, zipfile.ZipFile(broken, "w") as dst:
        for name in src.namelist():
            dst.writestr(name, src.read(name)[:1000] if name == "estimator.onnx" else src.read(name))
    with pytest.raises(VoiceFileError, match="ONNX Runtime cannot load"):
        TTS.load(broken)
    with pytest.raises(SynthesisError, match="onnx backend runs on the CPU"):
        TTS.load(voice_files["fp32"], device="cuda", backend="onnx")
    assert main(["synthesize", "Hello.", str(tmp_path / "x.wav"), "--voice", str(bad)]) == 2


def test_onnx_vocoder_file_matches_torch(tmp_path: Path) -> None:
    import torch

    from fmtts.runtime.vocoder import OnnxVocoderFile, RuntimeVocoderError
    from fmtts.vocoder import load_vocoder

    out = tmp_path / "voc.onnx"
    assert main(["export-vocoder", "fmtts-joe", str(out)]) == 0
    voc = OnnxVocoderFile(out, threads=1)
    reference = load_vocoder("fmtts-joe", device="cpu", backend="torch")
    assert voc.mel_config == reference.mel_config
    mel = np.random.default_rng(0).normal(-5, 2, size=(2, 80, 40)).astype(np.float32)
    a = voc(mel)
    b = reference(torch.from_numpy(mel)).numpy()
    assert a.shape == b.shape == (2, 40 * 256)
    assert float(np.abs(a - b).max()) < 5e-3
    plain = tmp_path / "plain.onnx"
    plain.write_bytes(out.read_bytes().replace(b"fmtts_vocoder", b"something_els"))
    with pytest.raises(RuntimeVocoderError, match="without fmtts vocoder metadata"):
        OnnxVocoderFile(plain)


def test_runtime_needs_no_torch(voice_files: dict[str, Path], tmp_path: Path) -> None:
    """Synthesis and streaming from a voice file with torch made unimportable."""
    script = f"""
import sys
sys.modules["torch"] = None  # any import of torch now fails
from fmtts import TTS
tts = TTS.load({str(voice_files["fp16"])!r}, vocoder="fmtts-joe")
out = tts.synthesize("A runtime without torch.", seed=0)
pieces = list(tts.stream("A runtime without torch.", seed=0))
assert out.audio.size > 0 and sum(p.audio.size for p in pieces) == out.audio.size
assert not any(name == "torch" or name.startswith("torch.") for name in sys.modules if sys.modules[name])
print("ok", tts.backend)
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok onnx")


def test_optimised_graph_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog) -> None:
    """The first load writes the folded graph, later loads read it and give the same audio; a damaged
    copy is rebuilt, an unwritable cache or FMTTS_ONNX_CACHE=0 only skips it."""
    from fmtts.paths import VOCODERS_DIR
    from fmtts.runtime.sessions import cached_graph_path, make_session

    model = VOCODERS_DIR / "fmtts-joe.onnx"
    mel = np.random.default_rng(0).standard_normal((1, 80, 50)).astype(np.float32) - 5

    def run(session) -> np.ndarray:
        return session.run(None, {session.get_inputs()[0].name: mel})[0]

    monkeypatch.setenv("FMTTS_ONNX_CACHE", "0")
    monkeypatch.setenv("FMTTS_CACHE", str(tmp_path / "cache"))
    reference = run(make_session(model, 1))
    assert not (tmp_path / "cache").exists()

    monkeypatch.setenv("FMTTS_ONNX_CACHE", "1")
    cached = cached_graph_path(model.read_bytes())
    assert cached.parent == tmp_path / "cache" / "onnx"
    np.testing.assert_array_equal(run(make_session(model, 1)), reference)  # writes the copy
    assert cached.is_file() and [p.name for p in cached.parent.iterdir()] == [cached.name]
    written = cached.stat().st_ino
    np.testing.assert_array_equal(run(make_session(str(model), 1)), reference)  # reads it
    assert cached.stat().st_ino == written  # read, not written again

    cached.write_bytes(b"not an onnx graph")
    np.testing.assert_array_equal(run(make_session(model.read_bytes(), 1)), reference)
    assert "rebuilding" in caplog.text and cached.stat().st_size > 1000

    stale = cached.with_name("0" * 40 + "-ort0.0.onnx")  # unused for longer than the cache keeps graphs
    stale.write_bytes(b"old")
    os.utime(stale, (1, 1))
    cached.unlink()
    make_session(model, 1)
    assert cached.is_file() and not stale.exists()

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    monkeypatch.setenv("FMTTS_CACHE", str(blocked))
    np.testing.assert_array_equal(run(make_session(model, 1)), reference)


def test_graph_cache_under_concurrent_first_loads(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Threads loading the same graph for the first time each write a copy of their own and one wins:
    every session works and no partial copy is left behind."""
    from concurrent.futures import ThreadPoolExecutor

    from fmtts.paths import VOCODERS_DIR
    from fmtts.runtime.sessions import make_session

    monkeypatch.setenv("FMTTS_ONNX_CACHE", "1")
    monkeypatch.setenv("FMTTS_CACHE", str(tmp_path))
    model = (VOCODERS_DIR / "fmtts-joe.onnx").read_bytes()
    mel = np.full((1, 80, 20), -5.0, dtype=np.float32)
    with ThreadPoolExecutor(3) as pool:
        sessions = list(pool.map(lambda _: make_session(model, 1), range(3)))
    outs = [s.run(None, {s.get_inputs()[0].name: mel})[0] for s in sessions]
    assert all(np.array_equal(o, outs[0]) for o in outs)
    assert [p.suffix for p in (tmp_path / "onnx").iterdir()] == [".onnx"]
