"""Shared test fixtures: real speech synthesised on the fly with eSpeak NG (no audio files in the repo)."""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
SPEECH_SR = 22050
SPEECH_TEXT = "The quick brown fox jumps over the lazy dog."


def pytest_configure(config: pytest.Config) -> None:
    """Files fmtts derives on a user's machine (optimised ONNX graphs, joined Whisper weights) go to a
    cache of this test session (inherited by the scripts and servers the tests start), not the user's."""
    os.environ["FMTTS_CACHE"] = tempfile.mkdtemp(prefix="fmtts-test-cache-")


def pytest_unconfigure(config: pytest.Config) -> None:
    shutil.rmtree(os.environ.get("FMTTS_CACHE", ""), ignore_errors=True)


# espeak_AUDIO_OUTPUT and flag values from speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_ESPEAK_CHARS_UTF8 = 1
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


def espeak_synthesise(text: str, workdir: Path, voice: str = "en-us") -> tuple[np.ndarray, int]:
    """Speak ``text`` with the eSpeak NG library bundled in espeakng-loader, through ctypes.

    The library is loaded from a private copy, so its global state cannot clash with any other user of
    the same library in this process (e.g. phonemizer). Returns (float32 samples, sample rate)."""
    espeakng_loader = pytest.importorskip("espeakng_loader")
    lib_copy = workdir / "libespeak-ng-test.so"
    shutil.copy(espeakng_loader.get_library_path(), lib_copy)
    lib = ctypes.CDLL(str(lib_copy))
    lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
    lib.espeak_Initialize.restype = ctypes.c_int
    lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
    lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    lib.espeak_Synth.argtypes = [
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_uint,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.POINTER(ctypes.c_uint),
        ctypes.c_void_p,
    ]
    sr = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0)
    if sr <= 0:
        pytest.fail(f"espeak_Initialize failed ({sr})")
    chunks: list[np.ndarray] = []

    def collect(wav: ctypes._Pointer, n: int, _events: int) -> int:
        if wav and n > 0:
            chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        return 0

    callback = _SYNTH_CALLBACK(collect)  # keep a reference while the library may call it
    lib.espeak_SetSynthCallback(callback)
    if lib.espeak_SetVoiceByName(voice.encode()) != 0:
        pytest.fail(f"eSpeak NG has no voice {voice!r}")
    data = text.encode("utf-8") + b"\0"
    if lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, _ESPEAK_CHARS_UTF8, None, None) != 0:
        pytest.fail("espeak_Synth failed")
    lib.espeak_Synchronize()
    lib.espeak_Terminate()
    if not chunks:
        pytest.fail("eSpeak NG produced no audio")
    return np.concatenate(chunks).astype(np.float32) / 32768.0, int(sr)


@pytest.fixture(scope="session")
def espeak_speech(tmp_path_factory: pytest.TempPathFactory) -> tuple[np.ndarray, int]:
    """A spoken English sentence at 22050 Hz: (float32 mono samples, 22050), leading/trailing silence
    trimmed to 50 ms."""
    wav, sr = espeak_synthesise(SPEECH_TEXT, tmp_path_factory.mktemp("espeak"))
    if sr != SPEECH_SR:
        from fmtts.audio import resample

        wav = resample(wav, sr, SPEECH_SR)
    voiced = np.flatnonzero(np.abs(wav) > 1e-3)
    margin = SPEECH_SR // 20
    wav = wav[max(voiced[0] - margin, 0) : voiced[-1] + margin]
    return np.ascontiguousarray(wav, dtype=np.float32), SPEECH_SR


# ---------------------------------------------------------------------------------------------------------
# Model / training fixtures (appended): tiny configs, a few real spoken utterances, a prepared dataset.
# ---------------------------------------------------------------------------------------------------------

CORPUS_TEXTS = (
    "A cat sat on the mat.",
    "She sells sea shells.",
    "Open the red door, please.",
    "We like green apples.",
)


def tiny_config(*overrides: str):
    """The ``tiny`` recipe with ``section.key=value`` overrides (see :func:`fmtts.config.load_config`)."""
    from fmtts.config import load_config

    return load_config("tiny", list(overrides))


@pytest.fixture(scope="session")
def make_tiny_config():
    """``make_tiny_config("model.decoder.estimator=dit", ...)`` → a Config built from recipes/tiny.yaml."""
    return tiny_config


@pytest.fixture(scope="session")
def text_processor():
    from fmtts.text import TextProcessor

    return TextProcessor()


@pytest.fixture(scope="session")
def speech_utterances(tmp_path_factory: pytest.TempPathFactory, text_processor) -> list[dict]:
    """The sentences of ``CORPUS_TEXTS`` spoken by eSpeak NG at 22050 Hz (silence trimmed to 50 ms):
    a list of {"text", "ids" (list[int]), "wav" (float32), "mel" (torch (80, frames) log-mel)}."""
    from fmtts.audio import MelConfig, resample
    from fmtts.mel import mel_spectrogram

    mel_cfg = MelConfig()
    ids = text_processor.batch_text_to_ids(list(CORPUS_TEXTS))
    out = []
    for i, text in enumerate(CORPUS_TEXTS):
        wav, sr = espeak_synthesise(text, tmp_path_factory.mktemp(f"espeak_corpus{i}"))
        if sr != mel_cfg.sample_rate:
            wav = resample(wav, sr, mel_cfg.sample_rate)
        voiced = np.flatnonzero(np.abs(wav) > 1e-3)
        margin = mel_cfg.sample_rate // 20
        wav = np.ascontiguousarray(wav[max(voiced[0] - margin, 0) : voiced[-1] + margin], dtype=np.float32)
        mel = mel_spectrogram(wav, mel_cfg)
        assert mel.shape[1] > len(ids[i]), "every token needs at least one frame"
        out.append({"text": text, "ids": ids[i], "wav": wav, "mel": mel})
    return out


def write_prepared_data(root: Path, utterances: list[dict], text_processor, val: int = 1) -> Path:
    """Write ``root/cache/{train,val}`` feature caches like ``fmtts prepare`` does: all utterances in train,
    the first ``val`` of them also in val. Returns ``root``."""
    from fmtts.audio import MelConfig, RunningMelStats
    from fmtts.data.cache import CacheWriter

    stats = RunningMelStats()
    for u in utterances:
        stats.update(np.asarray(u["mel"]))
    meta = {
        "mel_config": MelConfig().to_dict(),
        "mel_stats": stats.result().to_dict(),
        "text": text_processor.to_dict(),
    }
    train, valid = CacheWriter(), CacheWriter()
    for i, u in enumerate(utterances):
        train.add(f"utt{i}", u["text"], u["ids"], np.asarray(u["mel"]))
        if i < val:
            valid.add(f"utt{i}", u["text"], u["ids"], np.asarray(u["mel"]))
    train.write(root / "cache" / "train", meta)
    if val:
        valid.write(root / "cache" / "val", meta)
    return root


def write_ljspeech(root: Path, utterances: list[dict], prefix: str = "u") -> Path:
    """An LJSpeech-format folder of spoken utterances (``wavs/<prefix><i>.wav``, ``metadata.csv``)."""
    import soundfile as sf

    (root / "wavs").mkdir(parents=True, exist_ok=True)
    lines = []
    for i, u in enumerate(utterances):
        sf.write(str(root / "wavs" / f"{prefix}{i}.wav"), u["wav"], SPEECH_SR)
        lines.append(f"{prefix}{i}|{u['text']}|{u['text']}")
    (root / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def prepared_data(tmp_path_factory: pytest.TempPathFactory, speech_utterances, text_processor) -> Path:
    """A prepared-data folder (``cache/train`` with the 4 spoken utterances, ``cache/val`` with one), as
    ``Trainer`` and ``fmtts train --data`` expect. Treat it as read-only."""
    return write_prepared_data(tmp_path_factory.mktemp("prepared"), speech_utterances, text_processor)


@pytest.fixture(scope="module")
def torch_single_thread():
    """Tiny models on a shared CPU: one intra-op thread is faster than contending for all cores."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ---------------------------------------------------------------------------------------------------------
# A tiny trained voice, shared by the API, CLI, export, checkpoint, config and evaluate tests.
# ---------------------------------------------------------------------------------------------------------

SR, HOP = 22050, 256
TEXT = "The quick brown fox jumps over the lazy dog."


def make_trainer(cfg, data: Path, out: Path, **kw):
    from fmtts.training.trainer import Trainer

    return Trainer(cfg, data, out, device="cpu", progress=False, tensorboard=False, vocoder=None, **kw)


def state_equal(a: dict, b: dict) -> list[str]:
    """Names of entries that differ (bitwise) between two state dicts."""
    import torch

    assert a.keys() == b.keys()
    return [k for k in a if not torch.equal(a[k], b[k])]


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    import soundfile as sf

    audio, sr = sf.read(str(path), dtype="float32")
    return audio, sr


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory, prepared_data: Path, make_tiny_config) -> Path:
    """A tiny model trained for 20 steps on the 4 spoken sentences: its newest checkpoint."""
    import torch

    from fmtts.checkpoint import list_checkpoints

    out = tmp_path_factory.mktemp("trained")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    trainer = make_trainer(make_tiny_config("train.batch_size=2"), prepared_data, out, max_steps=20)
    try:
        trainer.train()
    finally:
        trainer.close()
        torch.set_num_threads(threads)
    ckpts = list_checkpoints(out / "checkpoints")
    assert [p.name for p in ckpts] == ["step_00000010.pt", "step_00000020.pt"]  # keep_checkpoints: 2
    return ckpts[-1]


@pytest.fixture(scope="session")
def voice(trained_run: Path):
    from fmtts.api import TTS

    return TTS.load(trained_run, device="cpu", vocoder="griffinlim")


# ---------------------------------------------------------------------------------------------------------
# The recipes' shell scripts (egs/*/run.sh), run as a user runs them.
# ---------------------------------------------------------------------------------------------------------


def run_script(script: Path, *args: object, timeout: float = 120, **env: str) -> subprocess.CompletedProcess:
    """``bash script args...`` from the repository root, with this interpreter as the script's ``PYTHON``
    and ``env`` added. The caller's LJSPEECH_URL and FMTTS_NO_DOWNLOAD are dropped, so that a test decides
    whether (and from where) a script may download."""
    inherited = {k: v for k, v in os.environ.items() if k not in ("LJSPEECH_URL", "FMTTS_NO_DOWNLOAD")}
    return subprocess.run(
        ["bash", str(script), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(inherited, PYTHON=sys.executable, **env),
        cwd=REPO,
    )
