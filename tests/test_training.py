"""Training runs on a tiny prepared dataset of real (eSpeak NG) speech: bit-exact resume, DDP under
torchrun, NaN handling, checkpoint files and config errors, and the trained voice through the CLI and the
Python API (synthesize, --file batches, export)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from fmtts.api import TTS
from fmtts.checkpoint import CheckpointError, list_checkpoints, load_checkpoint, save_checkpoint
from fmtts.cli import main
from fmtts.config import Config, ConfigError, load_config
from fmtts.models.tts import FlowTTS
from fmtts.text import TextError
from fmtts.training.trainer import EMA, Trainer, TrainingError, _with_kernel_choice, build_optimizer

pytestmark = pytest.mark.usefixtures("torch_single_thread")

SR, HOP = 22050, 256
TEXT = "The quick brown fox jumps over the lazy dog."


def make_trainer(cfg: Config, data: Path, out: Path, **kw) -> Trainer:
    return Trainer(cfg, data, out, device="cpu", progress=False, tensorboard=False, vocoder=None, **kw)


def state_equal(a: dict, b: dict) -> list[str]:
    """Names of entries that differ (bitwise) between two state dicts."""
    assert a.keys() == b.keys()
    return [k for k in a if not torch.equal(a[k], b[k])]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory, prepared_data: Path, make_tiny_config) -> Path:
    """A tiny model trained for 20 steps on the 4 spoken sentences: its newest checkpoint."""
    out = tmp_path_factory.mktemp("trained")
    trainer = make_trainer(make_tiny_config("train.batch_size=2"), prepared_data, out, max_steps=20)
    try:
        trainer.train()
    finally:
        trainer.close()
    ckpts = list_checkpoints(out / "checkpoints")
    assert [p.name for p in ckpts] == ["step_00000010.pt", "step_00000020.pt"]  # keep_checkpoints: 2
    return ckpts[-1]


@pytest.fixture(scope="module")
def voice(trained_run: Path) -> TTS:
    return TTS.load(trained_run, device="cpu", vocoder="griffinlim")


# ------------------------------------------------------------------------------------------------ resume
def test_resume_reproduces_an_uninterrupted_run(prepared_data: Path, tmp_path: Path, make_tiny_config):
    """3 + 3 steps with a stop in the middle of an epoch (2 batches per epoch) equal 6 straight steps."""
    cfg = make_tiny_config("train.batch_size=2", "train.checkpoint_every=100", "train.warmup_steps=2")
    straight = make_trainer(cfg, prepared_data, tmp_path / "straight", max_steps=6)
    straight.train()

    first = make_trainer(cfg, prepared_data, tmp_path / "resumed", max_steps=3)
    first.train()
    assert first.step == 3 and (first.epoch, first.batch_in_epoch) == (1, 1)
    torch.manual_seed(999)  # whatever the process did in between must not matter
    second = make_trainer(cfg, prepared_data, tmp_path / "resumed", max_steps=6, resume=True)
    assert second.step == 3 and (second.epoch, second.batch_in_epoch) == (1, 1)
    assert not state_equal(second.model.state_dict(), first.model.state_dict())
    second.train()

    assert second.step == straight.step == 6
    assert not state_equal(second.model.state_dict(), straight.model.state_dict()), "weights differ"
    assert not state_equal(second.ema.state, straight.ema.state), "EMA weights differ"
    steps = [t.optimizer.state_dict()["state"][0]["step"] for t in (second, straight)]
    assert steps[0] == steps[1] == 6
    assert second.scheduler.get_last_lr() == straight.scheduler.get_last_lr()
    a = load_checkpoint(tmp_path / "straight" / "checkpoints" / "step_00000006.pt")
    b = load_checkpoint(tmp_path / "resumed" / "checkpoints" / "step_00000006.pt")
    assert a["step"] == b["step"] == 6
    assert not state_equal(a["model"], b["model"])
    # a different (not just shorter) recipe must not silently continue the run
    other = make_tiny_config("train.batch_size=2", "train.checkpoint_every=100", "train.lr=1e-3")
    with pytest.raises(TrainingError, match="another config"):
        make_trainer(other, prepared_data, tmp_path / "resumed", max_steps=9, resume=True)


def test_resume_falls_back_to_the_newest_readable_checkpoint(
    prepared_data: Path, tmp_path: Path, make_tiny_config, caplog
):
    """A damaged newest checkpoint (a crash mid-copy, a full disk) is reported, and the run resumes from the
    one before it instead of stopping."""
    cfg = make_tiny_config("train.batch_size=2", "train.checkpoint_every=2", "train.keep_checkpoints=3")
    make_trainer(cfg, prepared_data, tmp_path / "run", max_steps=4).train()
    ckpts = list_checkpoints(tmp_path / "run" / "checkpoints")
    assert [p.name for p in ckpts] == ["step_00000002.pt", "step_00000004.pt"]
    ckpts[-1].write_bytes(ckpts[-1].read_bytes()[:2000])
    with caplog.at_level("WARNING"):
        resumed = make_trainer(cfg, prepared_data, tmp_path / "run", max_steps=6, resume=True)
    assert resumed.step == 2
    assert "step_00000004.pt" in caplog.text and "previous checkpoint" in caplog.text
    for p in ckpts:
        p.write_bytes(b"garbage")
    with pytest.raises(TrainingError, match="no readable checkpoint"):
        make_trainer(cfg, prepared_data, tmp_path / "run", max_steps=6, resume=True)


def test_loader_workers_yield_the_same_batches(prepared_data: Path, tmp_path: Path, make_tiny_config):
    """train.num_workers > 0 collates in worker processes: the same batches in the same order across
    epoch boundaries, resumable mid-epoch, and the global RNG untouched (resume stays exact)."""

    def first_batches(workers: int, n: int, resume_at: tuple[int, int] | None = None) -> list:
        cfg = make_tiny_config("train.batch_size=2", f"train.num_workers={workers}")
        trainer = make_trainer(cfg, prepared_data, tmp_path / f"w{workers}", max_steps=1)
        if resume_at is not None:
            trainer.epoch, trainer.batch_in_epoch = resume_at
        torch.manual_seed(7)
        it = trainer._batches()
        out = [next(it) for _ in range(n)]
        out.append(torch.rand(1))  # what the global RNG gives next
        out.append((trainer.epoch, trainer.batch_in_epoch))
        return out

    def same(a: list, b: list) -> bool:
        for x, y in zip(a[:-2], b[:-2], strict=True):
            if x.keys() != y.keys() or any(not torch.equal(x[k], y[k]) for k in x):
                return False
        return torch.equal(a[-2], b[-2]) and a[-1] == b[-1]

    inline, workers = first_batches(0, 5), first_batches(2, 5)  # 2 batches per epoch: crosses 2 epochs
    # spawned workers get the cache as its folder (reopened there), not as pickled arrays
    cache = make_trainer(make_tiny_config(), prepared_data, tmp_path / "pickle", max_steps=1).train_cache
    blob = pickle.dumps(cache)
    again = pickle.loads(blob)
    assert len(blob) < 2000 and again.ids == cache.ids
    assert all(np.array_equal(a, b) for a, b in zip(again.get(1)[:2], cache.get(1)[:2], strict=True))
    assert same(inline, workers)
    assert same(first_batches(0, 3, resume_at=(1, 1)), first_batches(2, 3, resume_at=(1, 1)))
    assert not same(inline, first_batches(0, 5, resume_at=(1, 1))), "the comparison can fail"


# ------------------------------------------------------------------------------------------------ DDP
DDP_SCRIPT = """
import sys
from pathlib import Path

import torch

from fmtts.cli import main
from fmtts.training import trainer as trainer_module

out = Path(sys.argv[1])
close = trainer_module.Trainer.close


def close_and_dump(self):  # every rank writes the weights it ends with
    torch.save({"step": self.step, "world": self.dist.world_size, "model": self.model.state_dict()},
               out / f"rank{self.dist.rank}.pt")
    close(self)


trainer_module.Trainer.close = close_and_dump
args = ["train", "--config", "tiny", "--data", sys.argv[2], "--out", str(out), "--device", "cpu"]
args += ["--max-steps", "3", "--no-progress", "--set", "train.batch_size=2", "--set", "train.threads=1"]
sys.exit(main(args))
"""


def test_ema_update_and_optimizer_state(make_tiny_config) -> None:
    """EMA: e ← d·e + (1 − d)·v for floating tensors, integer buffers copied. The optimizer is torch's fused
    AdamW on the CPU and takes the same steps as the per-parameter loop."""
    model = torch.nn.BatchNorm1d(3)  # float parameters and buffers plus an integer buffer
    ema = EMA(model, 0.9)
    before = {k: v.clone() for k, v in ema.state.items()}
    with torch.no_grad():
        model.weight.add_(1.0)
        model.running_mean.fill_(2.0)
    model.num_batches_tracked += 5
    ema.update(model)
    torch.testing.assert_close(ema.state["weight"], 0.9 * before["weight"] + 0.1 * model.weight.detach())
    torch.testing.assert_close(ema.state["running_mean"], torch.full((3,), 0.2))
    assert int(ema.state["num_batches_tracked"]) == 5

    cfg = make_tiny_config()
    torch.manual_seed(0)
    nets = [torch.nn.Linear(4, 3) for _ in range(2)]
    nets[1].load_state_dict(nets[0].state_dict())
    fused = build_optimizer(nets[0], cfg.train)
    t = cfg.train
    loop = torch.optim.AdamW(nets[1].parameters(), lr=t.lr, betas=tuple(t.betas), weight_decay=t.weight_decay)
    assert fused.defaults["fused"] is True
    x = torch.randn(8, 4)
    for _ in range(3):
        for net, opt in zip(nets, (fused, loop), strict=True):
            opt.zero_grad()
            net(x).square().sum().backward()
            opt.step()
    for a, b in zip(nets[0].parameters(), nets[1].parameters(), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    # a state saved by the per-parameter optimizer (older checkpoints) resumes with the fused kernel
    resumed = build_optimizer(nets[1], cfg.train)
    resumed.load_state_dict(_with_kernel_choice(loop.state_dict(), resumed))
    assert resumed.param_groups[0]["fused"] is True
    assert resumed.state_dict()["state"][0]["step"] == 3


def test_ddp_two_cpu_ranks_stay_in_sync(prepared_data: Path, tmp_path: Path) -> None:
    """`fmtts train` under torchrun (gloo): ranks start from different seeds (seed + rank) and see different
    batches, so equal final weights prove DDP's broadcast and gradient all-reduce."""
    script = tmp_path / "ddp_train.py"
    script.write_text(DDP_SCRIPT)
    out = tmp_path / "run"
    out.mkdir()
    env = dict(os.environ, OMP_NUM_THREADS="1", NUMBA_NUM_THREADS="1", PYTHONWARNINGS="ignore")
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    cmd = [*launcher, str(script), str(out), str(prepared_data)]
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    ranks = [torch.load(out / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert [r["world"] for r in ranks] == [2, 2] and [r["step"] for r in ranks] == [3, 3]
    assert not state_equal(ranks[0]["model"], ranks[1]["model"]), "DDP ranks ended with different weights"
    ckpt = load_checkpoint(out / "checkpoints" / "step_00000003.pt")
    assert not state_equal(ckpt["model"], ranks[0]["model"])
    assert len(ckpt["rng"]) == 2  # both ranks' RNG states, for resuming
    torch.manual_seed(1234)  # rank 0's initial weights (tiny recipe seed): training moved them
    init = FlowTTS(load_config("tiny").model, ranks[0]["model"]["encoder.embedding.weight"].shape[0])
    assert state_equal(init.state_dict(), ranks[0]["model"])


# ------------------------------------------------------------------------------------------------ NaNs
def nan_after(n_good: int, every_other: bool = False):
    """A FlowTTS.forward whose flow loss turns NaN after ``n_good`` calls (or on every other call)."""
    original = FlowTTS.forward
    calls = []

    def forward(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        calls.append(1)
        bad = len(calls) % 2 == 0 if every_other else len(calls) > n_good
        if bad:
            out["flow"] = out["flow"] * float("nan")
        return out

    return forward


def test_nan_losses_are_skipped_then_stop_with_a_checkpoint(
    prepared_data: Path, tmp_path: Path, make_tiny_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = make_tiny_config("train.batch_size=2", "train.max_bad_steps=3", "train.checkpoint_every=100")
    monkeypatch.setattr(FlowTTS, "forward", nan_after(2))
    trainer = make_trainer(cfg, prepared_data, tmp_path, max_steps=10)
    with pytest.warns(UserWarning, match="non-finite loss") as caught:
        with pytest.raises(TrainingError, match="3 non-finite losses in a row") as err:
            trainer.train()
    assert sum("non-finite loss" in str(w.message) for w in caught) == 3
    assert trainer.step == 2, "NaN steps must not count"
    saved = tmp_path / "checkpoints" / "step_00000002.pt"
    assert str(saved) in str(err.value)
    ckpt = load_checkpoint(saved)
    assert ckpt["step"] == 2
    assert not state_equal(ckpt["model"], trainer.model.state_dict())
    assert all(bool(torch.isfinite(v).all()) for v in ckpt["model"].values() if v.is_floating_point())


def test_isolated_nan_losses_do_not_stop_training(
    prepared_data: Path, tmp_path: Path, make_tiny_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = make_tiny_config("train.batch_size=2", "train.max_bad_steps=2", "train.checkpoint_every=100")
    monkeypatch.setattr(FlowTTS, "forward", nan_after(0, every_other=True))
    trainer = make_trainer(cfg, prepared_data, tmp_path, max_steps=3)
    with pytest.warns(UserWarning, match="non-finite loss"):
        last = trainer.train()
    assert trainer.step == 3 and np.isfinite(last["loss"])


class NaNGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return grad * float("nan")


def test_nan_gradients_are_skipped_then_stop(
    prepared_data: Path, tmp_path: Path, make_tiny_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = FlowTTS.forward

    def forward(self, *args, **kwargs):
        out = original(self, *args, **kwargs)
        out["flow"] = NaNGradient.apply(out["flow"])  # finite loss, NaN gradient
        return out

    monkeypatch.setattr(FlowTTS, "forward", forward)
    cfg = make_tiny_config("train.batch_size=2", "train.max_bad_steps=2", "train.checkpoint_every=100")
    trainer = make_trainer(cfg, prepared_data, tmp_path, max_steps=5)
    initial = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    with pytest.warns(UserWarning, match="non-finite gradient"):
        with pytest.raises(TrainingError, match="non-finite gradients"):
            trainer.train()
    assert trainer.step == 0
    assert not state_equal(trainer.model.state_dict(), initial), "a skipped step must not touch the weights"
    assert load_checkpoint(tmp_path / "checkpoints" / "step_00000000.pt")["step"] == 0


# ------------------------------------------------------------------------------------------------ checkpoints
def test_damaged_and_foreign_files_give_checkpoint_errors(trained_run: Path, tmp_path: Path) -> None:
    data = trained_run.read_bytes()
    cases = {
        "truncated.pt": (data[: len(data) // 2], "truncated or corrupt"),
        "cut_in_pickle.pt": (b"\x80\x02}", "truncated or corrupt"),
        "notes.txt": (b"hello, this is not a checkpoint\n", "not a torch checkpoint"),
        "empty.pt": (b"", "empty"),
    }
    for name, (content, _) in cases.items():
        (tmp_path / name).write_bytes(content)
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    cases["foreign.pt"] = (None, "not an fmtts checkpoint")
    torch.save({"format": "fmtts-checkpoint", "format_version": 99}, tmp_path / "future.pt")
    cases["future.pt"] = (None, "newer fmtts")
    torch.save({"format": "fmtts-checkpoint", "format_version": 1, "config": {}}, tmp_path / "partial.pt")
    cases["partial.pt"] = (None, "lacks 'model'")
    torch.save(Path("x"), tmp_path / "pickled_object.pt")  # arbitrary pickled classes are refused
    cases["pickled_object.pt"] = (None, "refuses to load it")
    cases["missing.pt"] = (None, "not found")
    for name, (_, message) in cases.items():
        with pytest.raises(CheckpointError, match=message) as err:
            load_checkpoint(tmp_path / name)
        assert name in str(err.value)
        with pytest.raises(CheckpointError):
            TTS.load(tmp_path / name, device="cpu", vocoder="griffinlim")


def test_save_checkpoint_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ckpt" / "step_00000001.pt"
    save_checkpoint({"value": torch.arange(4)}, path)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name], "temporary file left behind"
    first = torch.load(path, weights_only=True)
    assert first["format"] == "fmtts-checkpoint" and torch.equal(first["value"], torch.arange(4))

    real_save = torch.save

    def crash_mid_write(obj, f, *args, **kwargs):
        Path(f).write_bytes(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash_mid_write)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint({"value": torch.arange(9)}, path)
    monkeypatch.setattr(torch, "save", real_save)
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name], "temporary file left behind"
    assert torch.equal(torch.load(path, weights_only=True)["value"], torch.arange(4)), "old file damaged"


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


# ------------------------------------------------------------------------------------------------ CLI and API
def read_wav(path: Path) -> tuple[np.ndarray, int]:
    audio, sr = sf.read(str(path), dtype="float32")
    return audio, sr


def test_api_synthesize(voice: TTS) -> None:
    res = voice.synthesize(TEXT, steps=3, seed=1)
    assert res.sample_rate == SR and res.audio.dtype == np.float32 and res.audio.ndim == 1
    assert np.isfinite(res.audio).all() and np.abs(res.audio).max() <= 1.0
    frames = res.mel.shape[1]
    assert res.mel.shape == (80, frames) and res.mel.dtype == np.float32
    assert len(res.audio) == frames * HOP
    assert sum(d for _, d in res.durations) == frames
    ids = voice.text.text_to_ids(TEXT)
    assert [s for s, _ in res.durations] == [voice.text.symbols.symbols[i] for i in ids]
    assert all(d >= 1 for _, d in res.durations)
    assert 0.2 < res.seconds < 30
    again = voice.synthesize(TEXT, steps=3, seed=1)
    assert np.array_equal(again.audio, res.audio), "same seed, same audio"
    # two sentences: synthesised separately, joined with a 0.15 s pause
    two = voice.synthesize("Hello there. Good morning to you.", steps=2, seed=1)
    pause = int(0.15 * SR)
    assert len(two.audio) == sum(d for _, d in two.durations) * HOP + pause
    with pytest.raises(TextError, match="empty"):
        voice.synthesize("   ")


def test_cli_synthesize_writes_a_wav(trained_run: Path, voice: TTS, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out.wav"
    rc = main(
        [
            "synthesize",
            TEXT,
            str(out),
            "--checkpoint",
            str(trained_run),
            "--vocoder",
            "griffinlim",
            "--steps",
            "3",
            "--seed",
            "1",
            "--device",
            "cpu",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    info = sf.info(str(out))
    assert info.samplerate == SR and info.channels == 1
    assert 0.2 < info.duration < 30
    assert info.frames % HOP == 0
    audio, _ = read_wav(out)
    expected = voice.synthesize(TEXT, steps=3, seed=1).audio
    np.testing.assert_allclose(audio, expected, atol=1.5 / 32768)  # 16-bit PCM rounding
    assert "wrote" in capsys.readouterr().err


def test_cli_file_mode_writes_one_wav_per_line(trained_run: Path, voice: TTS, tmp_path: Path) -> None:
    lines = ["Good morning.", "How are you today?", "Fine, thank you."]
    listing = tmp_path / "lines.txt"
    listing.write_text(f"{lines[0]}\n\n{lines[1]}\n{lines[2]}\n", encoding="utf-8")
    out_dir = tmp_path / "wavs"
    opts = ["--checkpoint", str(trained_run), "--vocoder", "griffinlim", "--steps", "2", "--device", "cpu"]
    rc = main(["synthesize", "--file", str(listing), "--out-dir", str(out_dir), *opts, "--save-mel"])
    assert rc == 0
    assert sorted(p.name for p in out_dir.glob("*.wav")) == ["0000.wav", "0001.wav", "0002.wav"]
    for i, line in enumerate(lines):
        audio, sr = read_wav(out_dir / f"{i:04d}.wav")
        mel = np.load(out_dir / f"{i:04d}.npy")
        assert sr == SR and len(audio) == mel.shape[1] * HOP
        # durations come from the text alone, so each file has its own sentence's length
        assert mel.shape[1] == sum(d for _, d in voice.synthesize(line, steps=1).durations)


def test_cli_empty_text_is_an_error(trained_run: Path, tmp_path: Path, capsys) -> None:
    for text in ("", "   "):
        rc = main(
            [
                "synthesize",
                text,
                str(tmp_path / "empty.wav"),
                "--checkpoint",
                str(trained_run),
                "--vocoder",
                "griffinlim",
                "--device",
                "cpu",
            ]
        )
        err = capsys.readouterr().err
        assert rc == 2, f"text {text!r}: exit code {rc}"
        assert "error:" in err and "empty" in err
        assert not (tmp_path / "empty.wav").exists()
    rc = main(
        [
            "synthesize",
            TEXT,
            str(tmp_path / "x.wav"),
            "--checkpoint",
            str(tmp_path / "missing.pt"),
            "--vocoder",
            "griffinlim",
        ]
    )
    assert rc == 2 and "error:" in capsys.readouterr().err


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
    assert float(np.abs(half.mel - reference.mel).mean()) < 0.05, "fp16 rounding should barely matter"


def test_universal_vocoder_short_sentence(trained_run: Path) -> None:
    tts = TTS.load(trained_run, device="cpu", vocoder="universal")
    res = tts.synthesize("Hi.", steps=2, seed=0)
    assert res.sample_rate == SR and res.audio.dtype == np.float32
    assert np.isfinite(res.audio).all() and 0 < np.abs(res.audio).max() <= 1.0
    assert len(res.audio) == res.mel.shape[1] * HOP
    assert res.timings["vocoder_seconds"] > 0


# ------------------------------------------------------------------------------------------------ durations
def test_external_durations_replace_mas(
    tmp_path: Path, speech_utterances, text_processor, make_tiny_config, monkeypatch: pytest.MonkeyPatch
):
    """With data.use_durations the cache's durations drive training and MAS is never called."""
    from fmtts.audio import MelConfig, RunningMelStats
    from fmtts.data.cache import CacheWriter

    stats = RunningMelStats()
    writer = CacheWriter()
    for i, u in enumerate(speech_utterances):
        mel = np.asarray(u["mel"])
        stats.update(mel)
        n_tok, n_frames = len(u["ids"]), mel.shape[1]
        durs = np.full(n_tok, n_frames // n_tok)
        durs[: n_frames - durs.sum()] += 1  # exact total
        writer.add(f"utt{i}", u["text"], u["ids"], mel, durs)
    meta = {
        "mel_config": MelConfig().to_dict(),
        "mel_stats": stats.result().to_dict(),
        "text": text_processor.to_dict(),
    }
    writer.write(tmp_path / "data" / "cache" / "train", meta)

    import fmtts.models.tts as tts_module

    def no_mas(*args, **kwargs):
        raise AssertionError("MAS must not run when external durations are given")

    monkeypatch.setattr(tts_module, "maximum_path", no_mas)
    cfg = make_tiny_config("data.use_durations=true", "train.batch_size=2", "train.checkpoint_every=100")
    trainer = make_trainer(cfg, tmp_path / "data", tmp_path / "run", max_steps=3)
    last = trainer.train()
    assert trainer.step == 3 and np.isfinite(last["loss"])

    # the same switch on a cache without durations is a clear error, not a silent fall-back to MAS
    with pytest.raises(TrainingError, match="holds no durations"):
        make_trainer(cfg, _no_duration_cache(tmp_path, speech_utterances, text_processor), tmp_path / "run2")


def _no_duration_cache(tmp_path: Path, utterances, text_processor) -> Path:
    from conftest import write_prepared_data

    return write_prepared_data(tmp_path / "plain", utterances, text_processor, val=0)


def test_external_duration_files_are_checked(tmp_path: Path):
    from fmtts.data.prepare import _external_durations

    np.save(tmp_path / "ok.npy", np.array([2, 3, 4]))
    durs, problem = _external_durations(tmp_path / "ok.npy", 3, 11)  # 2 frames short: absorbed by the last
    assert problem is None and durs.tolist() == [2, 3, 6]
    assert "entries for 4 tokens" in _external_durations(tmp_path / "ok.npy", 4, 9)[1]
    assert "add up to 9 frames" in _external_durations(tmp_path / "ok.npy", 3, 20)[1]
    assert "missing durations" in _external_durations(tmp_path / "nope.npy", 3, 9)[1]


def test_tensorboard_gets_losses_images_and_audio(prepared_data: Path, tmp_path: Path, make_tiny_config):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    cfg = make_tiny_config(
        "train.batch_size=2",
        "train.val_every=2",
        "train.log_every=1",
        "train.val_utterances=1",
        "train.checkpoint_every=100",
    )
    trainer = Trainer(
        cfg, prepared_data, tmp_path, device="cpu", progress=False, vocoder="griffinlim", max_steps=2
    )
    try:
        trainer.train()
    finally:
        trainer.close()
    (events,) = (tmp_path / "tensorboard").glob("events.out.tfevents.*")
    acc = EventAccumulator(str(events), size_guidance={"images": 0, "audio": 0, "scalars": 0})
    acc.Reload()
    tags = acc.Tags()
    for tag in (
        "train/flow",
        "train/duration",
        "train/prior",
        "train/lr",
        "train/grad_norm",
        "train/steps_per_s",
        "val/flow",
    ):
        assert tag in tags["scalars"], tag
    assert {"train/alignment", "val/mel_0", "val/mel_0_target"} <= set(tags["images"])
    assert "val/audio_0" in tags["audio"]


def test_evaluate_compares_several_checkpoints_against_one_reference(
    trained_run: Path, speech_utterances, tmp_path: Path
) -> None:
    """`fmtts evaluate --checkpoint A,B`: the reference rows once, then one row per checkpoint (offline
    judge: pocketsphinx; Griffin-Lim keeps it fast)."""
    data = tmp_path / "lj"
    (data / "wavs").mkdir(parents=True)
    lines = []
    for i, u in enumerate(speech_utterances[:2]):
        sf.write(data / "wavs" / f"u{i}.wav", u["wav"], 22050)
        lines.append(f"u{i}|{u['text']}|{u['text']}")
    (data / "metadata.csv").write_text("\n".join(lines) + "\n")
    ckpts = list_checkpoints(trained_run.parent)
    assert len(ckpts) == 2
    out = tmp_path / "eval"
    argv = ["evaluate", "--checkpoint", ",".join(map(str, ckpts)), "--data", str(data), "--out", str(out)]
    argv += ["--asr", "pocketsphinx", "--vocoder", "griffinlim", "--steps", "2", "--no-l1", "--device", "cpu"]
    assert main(argv) == 0
    import json

    result = json.loads((out / "results.json").read_text())
    names = [r["name"] for r in result["rows"]]
    assert names[:2] == ["recordings", "vocoder copy-synthesis"]
    assert names[2:] == [f"{p.stem} steps=2 euler T=0.667" for p in ckpts]
    assert [r["checkpoint"] for r in result["rows"][2:]] == [str(p) for p in ckpts]
    assert all(r["n"] == 2 for r in result["rows"])
    assert all(p.name in result["voice"] for p in ckpts)
