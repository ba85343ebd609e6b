"""User errors: one base class (FmttsError) that the CLI turns into a one-line message, and the step
bound that makes a mistyped step count such an error instead of minutes of sampling."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from fmtts.errors import FmttsError
from fmtts.sampling import MAX_STEPS, SamplerConfig

# every user-facing error class, with the built-in base that callers may still catch it by
USER_ERRORS = [
    ("fmtts.api", "SynthesisError", ValueError),
    ("fmtts.audio", "AudioError", ValueError),
    ("fmtts.checkpoint", "CheckpointError", RuntimeError),
    ("fmtts.checkpoint", "UnsafeCheckpointError", RuntimeError),
    ("fmtts.config", "ConfigError", ValueError),
    ("fmtts.corpus.build", "CorpusError", RuntimeError),
    ("fmtts.data.cache", "CacheError", RuntimeError),
    ("fmtts.data.prepare", "DatasetError", RuntimeError),
    ("fmtts.devices", "DeviceError", ValueError),
    ("fmtts.evaluate.asr", "ASRError", RuntimeError),
    ("fmtts.evaluate.items", "EvaluationError", RuntimeError),
    ("fmtts.server", "ServeError", RuntimeError),
    ("fmtts.server.service", "RequestError", ValueError),
    ("fmtts.server.service", "ServiceBusy", RuntimeError),
    ("fmtts.text.errors", "TextError", ValueError),
    ("fmtts.text.ssml", "SSMLError", ValueError),
    ("fmtts.training.common", "TrainingError", RuntimeError),
    ("fmtts.vocoder.hifigan", "VocoderError", RuntimeError),
]


@pytest.mark.parametrize("module,name,builtin", USER_ERRORS, ids=[n for _, n, _ in USER_ERRORS])
def test_user_errors_share_one_base_and_keep_their_builtin_one(module: str, name: str, builtin: type) -> None:
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, FmttsError) and issubclass(cls, builtin)


def test_the_errors_module_imports_nothing_heavy() -> None:
    """The torch-free runtime imports fmtts.errors: it must pull in neither torch nor numpy."""
    code = "import sys, fmtts.errors; print(sorted({'torch', 'numpy'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _run_cli(monkeypatch: pytest.MonkeyPatch, exc: BaseException) -> int:
    """Run ``fmtts synthesize`` with its command replaced by one that raises ``exc``."""
    from fmtts.cli import main, synthesize

    def failing(args) -> int:
        raise exc

    monkeypatch.setattr(synthesize, "run", failing)
    return main(["synthesize", "Hello.", "out.wav"])


def test_cli_prints_any_user_error_as_one_line(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    class SomeNewError(FmttsError, RuntimeError):  # a class the CLI has never heard of by name
        pass

    assert _run_cli(monkeypatch, SomeNewError("the thing is wrong; do this")) == 2
    assert capsys.readouterr().err == "error: the thing is wrong; do this\n"
    assert _run_cli(monkeypatch, FileNotFoundError("no such file: x.wav")) == 2


def test_cli_keeps_the_traceback_of_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ZeroDivisionError):
        _run_cli(monkeypatch, ZeroDivisionError("a bug, not a user error"))


def test_step_count_is_bounded() -> None:
    assert SamplerConfig(steps=MAX_STEPS).steps == MAX_STEPS == 128
    for bad in (0, MAX_STEPS + 1, 100_000):
        with pytest.raises(ValueError, match=f"≤ {MAX_STEPS}"):
            SamplerConfig(steps=bad)


def test_http_server_uses_the_same_bound() -> None:
    pytest.importorskip("fastapi")
    from fmtts.server import http

    assert http.MAX_STEPS is MAX_STEPS
    with pytest.raises(http.RequestError, match=str(MAX_STEPS)):
        http.parse_speech_request({"input": "Hello.", "steps": MAX_STEPS + 1})


def test_api_refuses_too_many_steps_at_once(voice) -> None:
    from fmtts.api import SynthesisError

    with pytest.raises(SynthesisError, match=f"≤ {MAX_STEPS}, got 100000"):
        voice.synthesize("Hello.", steps=100_000)


def test_cli_refuses_too_many_steps_in_one_line(trained_run: Path, tmp_path: Path) -> None:
    """In a subprocess with a time limit: without the bound, 100000 steps would run for minutes."""
    out = tmp_path / "out.wav"
    cmd = [sys.executable, "-m", "fmtts.cli", "synthesize", "Hello.", str(out), "--steps", "100000"]
    cmd += ["--checkpoint", str(trained_run), "--vocoder", "griffinlim", "--device", "cpu"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    last = done.stderr.strip().splitlines()[-1]
    assert last == f"error: steps must be a positive integer ≤ {MAX_STEPS}, got 100000"
    assert "Traceback" not in done.stderr and not out.exists()
