"""The acoustic model's training loop on a tiny prepared dataset of real (eSpeak NG) speech: bit-exact
resume, checkpoint fallback, loader workers, EMA and optimizer state, DDP under torchrun, NaN handling,
external durations and TensorBoard."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import make_trainer, state_equal

from fmtts.checkpoint import list_checkpoints, load_checkpoint
from fmtts.config import load_config
from fmtts.models.tts import FlowTTS
from fmtts.training.common import TrainingError, build_optimizer, with_kernel_choice
from fmtts.training.ema import EMA
from fmtts.training.trainer import Trainer

pytestmark = pytest.mark.usefixtures("torch_single_thread")


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


def test_resume_is_exact_across_a_validation(prepared_data: Path, tmp_path: Path, make_tiny_config):
    """Validation (at the step of a checkpoint, after it is written) draws from the RNG when it builds its
    model: the training steps after it must not see that, or a run resumed from the checkpoint would not be
    the uninterrupted run."""
    cfg = make_tiny_config(
        "train.batch_size=2", "train.checkpoint_every=100", "train.val_every=3", "train.val_utterances=1"
    )
    straight = make_trainer(cfg, prepared_data, tmp_path / "straight", max_steps=5)
    straight.train()
    make_trainer(cfg, prepared_data, tmp_path / "resumed", max_steps=3).train()
    resumed = make_trainer(cfg, prepared_data, tmp_path / "resumed", max_steps=5, resume=True)
    resumed.train()
    assert resumed.step == straight.step == 5
    assert not state_equal(resumed.model.state_dict(), straight.model.state_dict())
    assert not state_equal(resumed.ema.state, straight.ema.state)


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
    resumed.load_state_dict(with_kernel_choice(loop.state_dict(), resumed))
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


def test_sigterm_stops_after_the_step_with_a_checkpoint(
    prepared_data: Path, tmp_path: Path, make_tiny_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SIGTERM (a scheduler or `kill` pausing the run) ends the step under way, writes a checkpoint at
    that step and returns; the process's own handler is back afterwards."""
    import signal

    cfg = make_tiny_config("train.batch_size=2", "train.checkpoint_every=100")
    forward = FlowTTS.forward
    calls = []

    def forward_then_signal(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            os.kill(os.getpid(), signal.SIGTERM)
        return forward(self, *args, **kwargs)

    monkeypatch.setattr(FlowTTS, "forward", forward_then_signal)
    before = signal.getsignal(signal.SIGTERM)
    trainer = make_trainer(cfg, prepared_data, tmp_path, max_steps=10)
    trainer.train()
    assert trainer.step == 3
    assert [p.name for p in list_checkpoints(tmp_path / "checkpoints")] == ["step_00000003.pt"]
    assert signal.getsignal(signal.SIGTERM) == before


def test_nan_losses_are_skipped_then_stop_with_a_checkpoint(
    prepared_data: Path, tmp_path: Path, make_tiny_config, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = make_tiny_config("train.batch_size=2", "train.max_bad_steps=3", "train.checkpoint_every=100")
    monkeypatch.setattr(FlowTTS, "forward", nan_after(2))
    trainer = make_trainer(cfg, prepared_data, tmp_path, max_steps=10)
    with pytest.warns(UserWarning, match="non-finite loss") as caught:
        with pytest.raises(TrainingError, match=r"3 steps in a row skipped .*non-finite loss") as err:
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
        with pytest.raises(TrainingError, match=r"in a row skipped .*non-finite gradient"):
            trainer.train()
    assert trainer.step == 0
    assert not state_equal(trainer.model.state_dict(), initial), "a skipped step must not touch the weights"
    assert load_checkpoint(tmp_path / "checkpoints" / "step_00000000.pt")["step"] == 0


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


def test_a_new_run_refuses_a_folder_that_holds_one(
    prepared_data: Path, tmp_path: Path, make_tiny_config, capsys
):
    """Starting afresh where a run's checkpoints are would prune the new run's own checkpoints (lower step
    numbers) and overwrite the old run's: refused, from the API and the CLI (before its config is written);
    a resume may change threads and logging but not what the run learns."""
    from fmtts.cli import main
    from fmtts.config import ConfigError

    cfg = make_tiny_config()
    make_trainer(cfg, prepared_data, tmp_path / "run", max_steps=2).train()
    with pytest.raises(TrainingError, match="--resume"):
        make_trainer(cfg, prepared_data, tmp_path / "run", max_steps=4)
    config_file = tmp_path / "run" / "config.json"
    config_file.write_text("{}")
    args = ["train", "--config", "tiny", "--data", str(prepared_data), "--out", str(tmp_path / "run")]
    assert main([*args, "--set", "train.lr=1e-3"]) == 2
    assert "--resume" in capsys.readouterr().err and config_file.read_text() == "{}"
    steered = make_tiny_config("train.log_every=1", "train.checkpoint_every=3")
    resumed = make_trainer(steered, prepared_data, tmp_path / "run", max_steps=3, resume=True)
    assert resumed.step == 2
    with pytest.raises(ConfigError, match="checkpoint_every"):
        make_tiny_config("train.checkpoint_every=0")


def test_a_damaged_checkpoint_set_aside_by_another_rank_is_passed_over(tmp_path: Path) -> None:
    """Under torchrun every rank looks for the newest readable checkpoint; the first to find a damaged one
    renames it, and the others must move on to the previous one instead of failing on the rename."""
    from fmtts.checkpoint import CheckpointError
    from fmtts.training.common import newest_readable_checkpoint

    old, new = tmp_path / "step_00000001.pt", tmp_path / "step_00000002.pt"
    old.write_bytes(b"good")
    new.write_bytes(b"damaged")

    def load(path: Path) -> dict:
        if path == new:
            new.rename(new.with_name(new.name + ".damaged"))  # another rank got there first
            raise CheckpointError("truncated")
        return {"step": 1}

    assert newest_readable_checkpoint([old, new], load) == (old, {"step": 1})


def test_fine_tuning_starts_at_the_voices_own_pace_and_multi_speaker_is_refused(
    prepared_data: Path, tmp_path: Path, make_tiny_config
):
    """--init-from takes the weights, not the source voice's duration calibration (the shipped voice has
    one); a multi-speaker config would silently train everything as speaker 0: refused."""
    import torch

    cfg = make_tiny_config()
    make_trainer(cfg, prepared_data, tmp_path / "src", max_steps=1).train()
    src = list_checkpoints(tmp_path / "src" / "checkpoints")[-1]
    ckpt = torch.load(src, weights_only=True)
    ckpt["model"]["duration_scale"] = torch.tensor(1.08)
    ckpt["ema"]["duration_scale"] = torch.tensor(1.08)
    torch.save(ckpt, tmp_path / "calibrated.pt")
    tuned = make_trainer(
        cfg, prepared_data, tmp_path / "tuned", max_steps=1, init_from=tmp_path / "calibrated.pt"
    )
    assert float(tuned.model.duration_scale) == 1.0
    with pytest.raises(TrainingError, match="speaker"):
        make_trainer(make_tiny_config("model.n_speakers=2"), prepared_data, tmp_path / "multi", max_steps=1)
