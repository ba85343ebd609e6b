"""Few-step distillation (fmtts distill): the student learns the teacher's jumps, samples in one step with
finite output of the teacher's length, keeps multi-step sampling, and says so in its voice file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from fmtts.api import TTS
from fmtts.cli import main
from fmtts.config import ConfigError
from fmtts.sampling import SamplerConfig, plan_steps
from fmtts.training.common import TrainingError
from fmtts.training.distill import DistillConfig, Distiller

pytestmark = pytest.mark.usefixtures("torch_single_thread")

SENTENCES = [
    "The cat sat on the mat.",
    "We like green apples.",
    "She sells shells by the shore.",
    "A quick brown fox jumps.",
    "Rain falls in the valley.",
    "The old man rode a horse.",
    "Tea is ready at four.",
    "Birds sing in the morning.",
    "He opened the heavy door.",
    "They walked along the river.",
]


@pytest.fixture(scope="module")
def sentences(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("distill") / "sentences.txt"
    path.write_text("\n".join(SENTENCES) + "\n", encoding="utf-8")
    return path


def test_distillation_loss_falls_and_one_step_speaks(
    trained_run: Path, sentences: Path, tmp_path: Path, prepared_data: Path, make_tiny_config
):
    torch.manual_seed(0)
    cfg = DistillConfig(
        batch_size=4, val_sentences=2, lr=1e-3, warmup_steps=1, max_steps=40, flow_fraction=0.0
    )
    distiller = Distiller(trained_run, sentences, tmp_path / "run", cfg, progress=False)
    before = distiller.validate()
    losses = [distiller.train_step() for _ in range(40)]
    distiller.step = 40
    assert all(np.isfinite(losses))
    assert np.mean(losses[-8:]) < 0.7 * np.mean(losses[:8]), losses
    after = distiller.validate()  # the EMA student's one-step sample moved towards the teacher's 4-step one
    assert after["student_1step_mse"] < before["student_1step_mse"]
    assert before["student_1step_mse"] == pytest.approx(before["teacher_1step_mse"], rel=1e-4)  # zero start

    ckpt = distiller.save()
    voice = tmp_path / "distilled.fmtts"
    assert main(["export", str(ckpt), str(voice)]) == 0
    tts = TTS.load(voice, vocoder="griffinlim")
    assert tts.shortcut_steps == [1, 2]
    # the voice file says how it was distilled, and keeps saying it when exported again
    from fmtts.runtime.voice_file import VoiceFile

    assert VoiceFile.read(voice).manifest["distill"] == cfg.to_dict()
    again = tmp_path / "again.fmtts"
    assert main(["export", str(voice), str(again), "--dtype", "int8", "--default-steps", "1"]) == 0
    manifest = VoiceFile.read(again).manifest
    assert manifest["distill"] == cfg.to_dict() and manifest["default_steps"] == 1
    teacher = TTS.load(trained_run, device="cpu", vocoder="griffinlim")
    for steps in (1, 2, 5):
        out = tts.synthesize("The cat sat on the mat.", steps=steps, seed=0)
        ref = teacher.synthesize("The cat sat on the mat.", steps=steps, seed=0)
        assert np.isfinite(out.audio).all() and out.mel.shape == ref.mel.shape  # the teacher's durations

    # a new run goes on from the distilled voice (its student, not the teacher's zero start); a voice
    # that was not distilled, or for other step counts, cannot be its start
    again_cfg = DistillConfig(batch_size=4, val_sentences=2, max_steps=40, flow_fraction=0.0)
    going_on = Distiller(
        trained_run, sentences, tmp_path / "more", again_cfg, init_from=voice, progress=False
    )
    scores = going_on.validate()
    assert scores["student_1step_mse"] == pytest.approx(after["student_1step_mse"], rel=0.05)
    for dtype in ("int8", "int4"):  # a voice file with rounded weights is an earlier student too
        small = tmp_path / f"distilled_{dtype}.fmtts"
        assert main(["export", str(voice), str(small), "--dtype", dtype]) == 0
        Distiller(
            trained_run, sentences, tmp_path / f"more_{dtype}", again_cfg, init_from=small, progress=False
        )
    from fmtts.checkpoint import load_checkpoint, save_checkpoint

    stranger = load_checkpoint(ckpt)  # the same student beside another encoder: another teacher's
    for state in (stranger["model"], stranger["ema"]):
        state["encoder.embedding.weight"] = state["encoder.embedding.weight"] * 2
    stranger_pt = save_checkpoint(stranger, tmp_path / "stranger.pt")
    with pytest.raises(TrainingError, match="not distilled from this teacher"):
        Distiller(trained_run, sentences, tmp_path / "x0", again_cfg, init_from=stranger_pt, progress=False)
    assert going_on.payload(with_training_state=False)["distill"]["teacher"]["student_from"]["path"] == str(
        voice.resolve()
    )
    with pytest.raises(TrainingError, match="distilled for steps none"):
        Distiller(trained_run, sentences, tmp_path / "x1", again_cfg, init_from=trained_run, progress=False)
    other = DistillConfig(shortcut_steps=[1], batch_size=4, val_sentences=2, max_steps=40)
    with pytest.raises(TrainingError, match=r"distilled for steps \[1, 2\]"):
        Distiller(trained_run, sentences, tmp_path / "x2", other, init_from=voice, progress=False)

    # a distilled voice starts a fine-tuning run (its step-size embedding is left out)
    from conftest import make_trainer

    trainer = make_trainer(
        make_tiny_config("train.batch_size=2"), prepared_data, tmp_path / "ft", max_steps=1, init_from=voice
    )
    try:
        assert not any(".step_embed." in k for k in trainer.model.state_dict())
        trainer.train()
    finally:
        trainer.close()


def test_a_distilled_step_count_samples_as_trained() -> None:
    plan = plan_steps(SamplerConfig(steps=2, solver="heun", schedule="cosine"), [1, 2])
    assert plan.solver == "euler" and plan.step_size == 0.5 and list(plan.times) == [0.0, 0.5, 1.0]
    other = plan_steps(SamplerConfig(steps=4, solver="heun", schedule="cosine"), [1, 2])
    assert other.solver == "heun" and other.step_size == 0.0 and other.times[1] < 0.25


def test_distill_settings_are_checked(trained_run: Path, sentences: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="divisors"):
        DistillConfig(shortcut_steps=[3], teacher_steps=4)
    with pytest.raises(ConfigError):
        DistillConfig(batch_size=0)
    with pytest.raises(ConfigError, match="teacher_steps"):
        DistillConfig(teacher_steps=0)
    distiller = Distiller(
        trained_run, sentences, tmp_path / "a", DistillConfig(batch_size=2, val_sentences=2)
    )
    distiller.save()
    from fmtts.training.common import TrainingError

    with pytest.raises(TrainingError, match="already holds a run"):
        Distiller(trained_run, sentences, tmp_path / "a", DistillConfig(batch_size=2, val_sentences=2))
    with pytest.raises(TrainingError, match="other distillation settings"):
        Distiller(
            trained_run, sentences, tmp_path / "a", DistillConfig(batch_size=3, val_sentences=2), resume=True
        )
    # the learning-rate cosine runs over max_steps: it is part of what the run learns
    with pytest.raises(TrainingError, match="other distillation settings"):
        Distiller(
            trained_run,
            sentences,
            tmp_path / "a",
            DistillConfig(batch_size=2, val_sentences=2, max_steps=10),
            resume=True,
        )
    # the validation cadence and the run controls are not
    Distiller(
        trained_run,
        sentences,
        tmp_path / "a",
        DistillConfig(batch_size=2, val_sentences=2, val_every=7, checkpoint_every=3, threads=1),
        resume=True,
    )


def test_the_ema_follows_a_young_run(trained_run: Path, sentences: Path, tmp_path: Path) -> None:
    """Early in a run the EMA student (what validation scores and a checkpoint exports) is the mean of the
    weights so far instead of holding on to the start: after three steps, the mean of the four weights
    (the start's included), where the configured decay alone would still keep 99.4 % of the start."""
    cfg = DistillConfig(batch_size=2, val_sentences=2, lr=1e-3, warmup_steps=1, max_steps=10)
    distiller = Distiller(trained_run, sentences, tmp_path / "run", cfg, progress=False)
    weights = [{k: v.clone() for k, v in distiller.estimator.state_dict().items()}]
    for _ in range(3):
        distiller.train_step()
        distiller.step += 1  # as the training loop counts
        weights.append({k: v.clone() for k, v in distiller.estimator.state_dict().items()})
    for k in weights[0]:
        mean = sum(w[k] for w in weights) / len(weights)
        torch.testing.assert_close(distiller.ema.state[k], mean, rtol=1e-4, atol=1e-6)
    moved = sum(float((weights[-1][k] - weights[0][k]).norm() ** 2) for k in weights[0]) ** 0.5
    assert moved > 0


def test_a_resumed_distillation_ends_as_the_uninterrupted_one(
    trained_run: Path, sentences: Path, tmp_path: Path
) -> None:
    """A run that lost everything after its step-2 checkpoint resumes there and ends bit for bit where the
    uninterrupted run does; checkpoints, validation records and the returned path are the loop's."""
    import json
    import shutil

    from conftest import state_equal

    from fmtts.checkpoint import list_checkpoints, load_checkpoint

    cfg = DistillConfig(
        batch_size=2,
        val_sentences=2,
        warmup_steps=1,
        max_steps=4,
        checkpoint_every=2,
        val_every=2,
        log_every=1,
    )
    path = Distiller(trained_run, sentences, tmp_path / "straight", cfg, progress=False).train()
    assert path == tmp_path / "straight" / "checkpoints" / "step_00000004.pt"
    assert [p.name for p in list_checkpoints(path.parent)] == ["step_00000002.pt", "step_00000004.pt"]
    records = (tmp_path / "straight" / "validation.jsonl").read_text().splitlines()
    assert [json.loads(r)["step"] for r in records] == [2, 4]

    (tmp_path / "resumed" / "checkpoints").mkdir(parents=True)
    shutil.copy(path.parent / "step_00000002.pt", tmp_path / "resumed" / "checkpoints")
    torch.manual_seed(5)  # what the process did in between must not matter
    resumed = Distiller(trained_run, sentences, tmp_path / "resumed", cfg, resume=True, progress=False)
    assert resumed.step == 2
    again = load_checkpoint(resumed.train())
    straight = load_checkpoint(path)
    for key in ("model", "ema"):
        assert not state_equal(straight[key], again[key]), key
    assert straight["scheduler"] == again["scheduler"]

    # a finished run resumed writes nothing and returns its newest checkpoint (egs/demo/distill.sh exports it)
    written = path.stat().st_mtime_ns
    finished = Distiller(trained_run, sentences, tmp_path / "straight", cfg, resume=True, progress=False)
    assert finished.train() == path and path.stat().st_mtime_ns == written


def test_a_narrower_student_learns_from_scratch(trained_run: Path, sentences: Path, tmp_path: Path) -> None:
    """``student_decoder``: a narrower estimator, from random weights, beside the teacher's encoder and
    durations; it learns (loss falls), exports with its own width and speaks at the teacher's length."""
    cfg = DistillConfig(
        batch_size=4,
        val_sentences=2,
        lr=2e-3,
        warmup_steps=1,
        max_steps=40,
        student_decoder={"channels": [24, 24], "heads": 1},
    )
    torch.manual_seed(0)
    distiller = Distiller(trained_run, sentences, tmp_path / "narrow", cfg, progress=False)
    student, teacher = distiller.model, distiller.teacher
    assert student.cfg.decoder.channels == [24, 24] and teacher.cfg.decoder.channels == [48, 48]

    def count(m: torch.nn.Module) -> int:
        return sum(p.numel() for p in m.parameters())

    assert count(student.decoder.estimator) < 0.5 * count(teacher.decoder.estimator)
    assert torch.equal(student.encoder.embedding.weight, teacher.encoder.embedding.weight)
    losses = [distiller.train_step() for _ in range(40)]
    distiller.step = 40
    assert all(np.isfinite(losses))
    assert np.mean(losses[-8:]) < 0.5 * np.mean(losses[:8]), losses
    voice = tmp_path / "narrow.fmtts"
    assert main(["export", str(distiller.save()), str(voice)]) == 0
    tts = TTS.load(voice, vocoder="griffinlim")
    ref = TTS.load(trained_run, device="cpu", vocoder="griffinlim")
    out = tts.synthesize("The cat sat on the mat.", steps=1, seed=0)
    assert np.isfinite(out.audio).all()
    assert out.mel.shape == ref.synthesize("The cat sat on the mat.", steps=1, seed=0).mel.shape

    with pytest.raises(ConfigError, match="student_decoder takes decoder settings"):
        DistillConfig(student_decoder={"width": 3})
    with pytest.raises(TrainingError, match="do not make a model"):
        Distiller(
            trained_run,
            sentences,
            tmp_path / "bad",
            DistillConfig(batch_size=4, val_sentences=2, student_decoder={"channels": "wide"}),
            progress=False,
        )


def test_a_student_that_drops_blocks_starts_from_the_teachers_other_weights(
    trained_run: Path, sentences: Path, tmp_path: Path
) -> None:
    """``student_decoder`` that removes the attention at full resolution: every other estimator tensor is
    the teacher's (or, with ``init_from``, an earlier student's: its step-size embedding too)."""
    from fmtts.checkpoint import load_checkpoint

    def run(out: str, cfg: DistillConfig, **kw) -> Distiller:
        return Distiller(trained_run, sentences, tmp_path / out, cfg, progress=False, **kw)

    first = run("full", DistillConfig(batch_size=2, val_sentences=2, max_steps=2))
    for _ in range(2):
        first.train_step()
    earlier = first.save()

    cfg = DistillConfig(
        batch_size=2, val_sentences=2, max_steps=2, student_decoder={"level_transformers": [0, 1]}
    )
    dropped = run("dropped", cfg)
    own, teacher = (
        dropped.model.decoder.estimator.state_dict(),
        dropped.teacher.decoder.estimator.state_dict(),
    )
    full_res = ("down.0.transformers.", "up.1.transformers.")
    assert any(k.startswith(full_res) for k in teacher) and not any(k.startswith(full_res) for k in own)
    assert all(torch.equal(v, teacher[k]) for k, v in own.items() if not k.startswith("step_embed."))

    went_on = run("went_on", cfg, init_from=earlier)
    source = load_checkpoint(earlier)["ema"]
    for key, value in went_on.model.decoder.estimator.state_dict().items():
        assert torch.equal(value, source[f"decoder.estimator.{key}"]), key  # step_embed included
    voice = tmp_path / "dropped.fmtts"
    assert main(["export", str(went_on.save()), str(voice)]) == 0
    out = TTS.load(voice, vocoder="griffinlim").synthesize("The cat sat.", steps=1, seed=0)
    assert np.isfinite(out.audio).all()


def test_distill_command_line(trained_run: Path, sentences: Path, tmp_path: Path) -> None:
    from fmtts.checkpoint import load_checkpoint

    args = ["distill", "--voice", str(trained_run), "--sentences", str(sentences), "--no-progress"]
    args += ["--max-steps", "2", "--batch-size", "2", "--threads", "1"]
    narrow = ["--student", "channels=[24, 24]", "--student", "heads=1"]
    assert main([*args, "--out", str(tmp_path / "run"), *narrow]) == 0
    ckpt = load_checkpoint(tmp_path / "run" / "checkpoints" / "step_00000002.pt")
    assert ckpt["config"]["model"]["decoder"]["channels"] == [24, 24]
    assert ckpt["distill"]["config"]["student_decoder"] == {"channels": [24, 24], "heads": 1}
    with pytest.raises(SystemExit, match="KEY=VALUE"):
        main([*args, "--out", str(tmp_path / "bad"), "--student", "channels"])
