"""The training-loop skeleton every trainer shares (checkpoint and validation cadence, skipped steps,
stopping, exact resume, logging), the learning-rate schedules and the settings <-> dict helper."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import torch

from fmtts.audio import MelConfig
from fmtts.checkpoint import list_checkpoints, load_checkpoint
from fmtts.config import Config, ConfigError
from fmtts.training.common import TrainingError
from fmtts.training.distill import DistillConfig
from fmtts.training.loop import Skipped, StepResult, TrainingLoop
from fmtts.training.lr_schedule import cosine_from_start, warmup_only, warmup_then_cosine
from fmtts.training.vocoder_recipe import VocoderRecipe

# ------------------------------------------------------------------------------------------------ loop


@dataclass
class ToySettings:
    log_every: int = 2
    checkpoint_every: int = 3
    keep_checkpoints: int = 10
    val_every: int = 2
    max_bad_steps: int = 3


class Toy(TrainingLoop):
    """A linear model on random batches: each step draws from the global RNG, as real trainers do."""

    def __init__(
        self,
        out: Path,
        max_steps: int,
        *,
        resume: bool = False,
        skip: set[tuple[int, int]] | None = None,
        max_minutes: float | None = None,
        settings: ToySettings | None = None,
    ):
        self.out = out
        self.settings = settings or ToySettings()
        self._setup_runtime("cpu", None, max_steps, max_minutes, progress=False)
        torch.manual_seed(0)
        self.model = torch.nn.Linear(3, 1)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.1)
        self.step = 0
        self.skip = skip or set()  # (step, attempt) pairs that come out non-finite
        self.validated: list[int] = []
        self.logged: list[tuple[int, dict[str, float]]] = []
        if resume:
            self._resume()

    @property
    def run_settings(self) -> ToySettings:
        return self.settings

    def _take_step(self) -> StepResult:
        loss = self.model(torch.randn(4, 3)).square().mean()
        if (self.step, self.attempt) in self.skip:
            return Skipped("non-finite loss")
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return {"loss": loss.item(), "step_value": float(self.step + 1)}

    def payload(self, *, rng: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "step": self.step,
            "rng": rng,
        }

    def _read_checkpoint(self, path: Path) -> dict[str, Any]:
        return load_checkpoint(path, kind=None)

    def _restore(self, path: Path, ckpt: dict[str, Any]) -> None:
        self.model.load_state_dict(ckpt["model"])
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.step = ckpt["step"]
        self._restore_rng(ckpt["rng"])

    def _validate_in_loop(self) -> None:
        torch.randn(100)  # a validation that draws random numbers must not shift the training's
        self.validated.append(self.step)
        self._append_record({"score": float(self.step)})

    def _learning_rate(self) -> float:
        return 0.1

    def _log_line(self, values: dict[str, float], steps_per_s: float) -> str:
        self.logged.append((self.step, values))
        return super()._log_line(values, steps_per_s)


def _names(out: Path) -> list[int]:
    return [int(p.stem.split("_")[1]) for p in list_checkpoints(out / "checkpoints")]


def test_cadence_and_a_resumed_run_equal_the_uninterrupted_one(tmp_path: Path) -> None:
    straight = Toy(tmp_path / "straight", 7)
    straight.run_loop()
    assert straight.step == 7 and straight.validated == [2, 4, 6]
    assert _names(tmp_path / "straight") == [3, 6, 7]  # every checkpoint_every steps, and where it ended
    assert [s for s, _ in straight.logged] == [2, 4, 6, 7]  # every log_every steps, and the last

    first = Toy(tmp_path / "split", 4)
    first.run_loop()
    assert _names(tmp_path / "split") == [3, 4] and first.validated == [2, 4]
    torch.manual_seed(123)  # what happens in between must not matter
    second = Toy(tmp_path / "split", 7, resume=True)
    assert second.step == 4
    again = second.run_loop()
    assert second.step == 7 and second.validated == [6] and again["step_value"] == 7.0
    for a, b in zip(straight.model.parameters(), second.model.parameters(), strict=True):
        assert torch.equal(a, b)
    records = (tmp_path / "split" / "validation.jsonl").read_text().splitlines()
    assert [int(r.split(":")[1].split(",")[0]) for r in records] == [2, 4, 6]

    # a resume at the last step takes no step and writes nothing new
    done = Toy(tmp_path / "split", 7, resume=True)
    before = (tmp_path / "split" / "checkpoints" / "step_00000007.pt").stat().st_mtime_ns
    assert done.run_loop() == {} and done.step == 7
    assert (tmp_path / "split" / "checkpoints" / "step_00000007.pt").stat().st_mtime_ns == before


def test_skipped_steps_are_retried_then_stop_the_run(tmp_path: Path) -> None:
    toy = Toy(tmp_path / "a", 3, skip={(1, 0), (1, 1)})
    with pytest.warns(UserWarning, match="step 1: non-finite loss, step skipped"):
        toy.run_loop()
    assert toy.step == 3 and toy.attempt == 0

    toy = Toy(tmp_path / "b", 5, skip={(2, 0), (2, 1), (2, 2)})
    with pytest.warns(UserWarning), pytest.raises(TrainingError, match="3 steps in a row skipped at step 2"):
        toy.run_loop()
    assert toy.step == 2 and _names(tmp_path / "b") == [2]


def test_a_time_limit_stops_before_the_next_step_with_a_checkpoint(tmp_path: Path, caplog) -> None:
    toy = Toy(tmp_path, 5, max_minutes=0.0)
    with caplog.at_level(logging.INFO, logger=__name__):
        toy.run_loop()
    assert toy.step == 0 and _names(tmp_path) == [0]
    assert "stopping at step 0 (time limit)" in caplog.text


def test_values_are_logged_as_the_mean_since_the_last_log_when_asked(tmp_path: Path) -> None:
    class Averaged(Toy):
        log_mean_since_last = True

    toy = Averaged(tmp_path, 5)
    toy.run_loop()
    assert [(s, v["step_value"]) for s, v in toy.logged] == [(2, 1.5), (4, 3.5), (5, 5.0)]


# ------------------------------------------------------------------------------------------------ lr


def _former_acoustic(warmup: int, max_steps: int, cosine: bool):
    def f(step: int) -> float:
        warm = min(1.0, (step + 1) / max(1, warmup))
        if cosine and step > warmup:
            frac = (step - warmup) / max(1, max_steps - warmup)
            return warm * 0.5 * (1.0 + math.cos(math.pi * min(1.0, frac)))
        return warm

    return f


def _former_vocoder(warmup: int, max_steps: int, cosine: bool):
    def f(step: int) -> float:
        warm = min(1.0, (step + 1) / max(1, warmup))
        if cosine:
            frac = min(1.0, step / max(1, max_steps))
            return warm * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * frac)))
        return warm

    return f


def _former_distill(warmup: int, max_steps: int):
    warm = max(1, warmup)
    return lambda s: min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / max_steps)))


@pytest.mark.parametrize("warmup,max_steps", [(0, 1), (0, 50), (5, 50), (10, 37), (49, 50), (80, 50)])
def test_schedules_equal_the_formulas_checkpointed_runs_were_trained_with(
    warmup: int, max_steps: int
) -> None:
    """Bit for bit: a run resumed under this code goes on with the learning rates it started with."""
    pairs = [
        (warmup_then_cosine(warmup, max_steps), _former_acoustic(warmup, max_steps, True)),
        (warmup_only(warmup), _former_acoustic(warmup, max_steps, False)),
        (cosine_from_start(warmup, max_steps, floor=0.05), _former_vocoder(warmup, max_steps, True)),
        (warmup_only(warmup), _former_vocoder(warmup, max_steps, False)),
        (cosine_from_start(warmup, max_steps, floor=0.0), _former_distill(warmup, max_steps)),
    ]
    for new, old in pairs:
        assert [new(s) for s in range(max_steps + 10)] == [old(s) for s in range(max_steps + 10)]


def test_the_two_cosines_differ_where_their_names_say() -> None:
    after, start = warmup_then_cosine(10, 110), cosine_from_start(10, 110, floor=0.05)
    assert after(9) == after(10) == 1.0 and start(9) < 1.0  # one waits for the warm-up, one does not
    assert after(110) == 0.0 and start(110) == pytest.approx(0.05)


# ------------------------------------------------------------------------------------------------ settings


def test_settings_round_trip_through_dicts_and_refuse_unknown_keys() -> None:
    for settings in (Config(), VocoderRecipe(), DistillConfig(shortcut_steps=[1, 4], lr=3e-4)):
        d = settings.to_dict()
        assert "config_kind" not in d
        assert type(settings).from_dict(d) == settings
    with pytest.raises(ConfigError, match=r"^config\.train: unknown keys \['lrr'\]"):
        Config.from_dict({"train": {"lrr": 1.0}})
    with pytest.raises(ConfigError, match=r"^vocoder recipe\.generator: unknown keys \['dims'\]"):
        VocoderRecipe.from_dict({"generator": {"dims": 3}})
    with pytest.raises(ConfigError, match=r"^distillation settings: unknown keys \['speed'\]"):
        DistillConfig.from_dict({"speed": 2})
    with pytest.raises(ConfigError, match="expected int"):
        DistillConfig.from_dict({"batch_size": "many"})
    # configs stored by older versions: mel fields this version dropped are passed over
    old = Config().to_dict()
    old["data"]["mel"] = {**MelConfig().to_dict(), "retired_field": 1}
    assert Config.from_dict(old) == Config()
