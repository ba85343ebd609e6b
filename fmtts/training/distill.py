"""Few-step distillation: teach a trained voice's decoder to sample in one or two steps.

The teacher is the voice as it is; the student is the same voice whose estimator also takes the step size
d (:class:`fmtts.models.layers.StepSizeEmbedding`, zero at the start, so the student starts as the teacher),
or, with ``student_decoder``, the voice with another (e.g. narrower, faster) estimator that starts from the
teacher's tensors that fit it (all but the dropped blocks when it drops some; next to none when narrower).
No recordings are needed: for each batch of sentences the teacher's encoder gives μ, fresh noise x₀ is
drawn, and the teacher integrates the flow in ``teacher_steps`` Euler steps, x₀ → x_{1/K} → … → x₁. That
trajectory gives every target (a shortcut-model objective with the teacher's trajectory as the small-step
reference):

- a jump of size d = 1/n from the trajectory point at t = j/n must land on the trajectory point at
  t = (j+1)/n: the estimator at (x_t, t, d) is regressed onto (x_{t+d} − x_t)/d, for every distilled step
  count n (which must divide ``teacher_steps``);
- at d = 0 the estimator keeps the teacher's instantaneous velocity at the trajectory points, so sampling
  with other step counts (plain OT-CFM) stays what it was.

Each example of a batch gets one of these tasks at random (``flow_fraction`` the d = 0 task). Only the
estimator learns; encoder, durations and mel statistics are the teacher's. Checkpoints are ordinary
acoustic checkpoints (``fmtts export`` turns one into a voice) with the distillation settings beside.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import logging
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch

from fmtts import __version__
from fmtts.config import Config, ConfigError, DecoderConfig, DictConvertible
from fmtts.data.padding import pad_tokens
from fmtts.models.tts import FlowTTS
from fmtts.paths import file_sha1
from fmtts.text import TextError, TextProcessor
from fmtts.training.common import (
    TrainingError,
    learning_part,
    mel_image,
    refuse_existing_run,
    rng_state,
    set_rng_state,
)
from fmtts.training.ema import EMA, running_mean_decay
from fmtts.training.loop import Skipped, StepResult, TrainingLoop
from fmtts.training.lr_schedule import cosine_from_start

log = logging.getLogger(__name__)


@dataclass
class DistillConfig(DictConvertible):
    """Settings of a distillation run (stored in every checkpoint)."""

    config_kind: ClassVar[str] = "distillation settings"

    shortcut_steps: list[int] = field(default_factory=lambda: [1, 2])  # step counts to distil
    teacher_steps: int = 4  # Euler steps of the teacher's trajectory (a multiple of each shortcut count)
    flow_fraction: float = 0.25  # share of examples that keep the instantaneous velocity (d = 0)
    temperature: float = 0.667  # the noise scale users sample with (SamplerConfig's default)
    temperature_spread: float = 0.25  # share of examples drawn with a temperature ~ U[0, 1] instead
    batch_size: int = 16
    lr: float = 1e-4
    warmup_steps: int = 100
    max_steps: int = 4000
    grad_clip: float = 1.0
    ema_decay: float = 0.998  # after 500 steps; before, the mean of the weights so far
    seed: int = 1234
    max_tokens: int = 400  # longer sentences are left out (memory)
    checkpoint_every: int = 250
    keep_checkpoints: int = 2
    log_every: int = 25
    val_every: int = 500
    val_sentences: int = 8
    max_bad_steps: int = 20
    threads: int | None = None
    # A student estimator other than the teacher's: DecoderConfig fields that differ from it, e.g.
    # {"channels": [128, 128]} for a narrower, faster one. Such a student starts from random weights (its
    # flow, d = 0, is learned from the teacher's velocities too); empty: the teacher's own estimator.
    student_decoder: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.teacher_steps, int) or self.teacher_steps < 1:
            raise ConfigError(f"teacher_steps must be a positive integer, got {self.teacher_steps!r}")
        if not self.shortcut_steps or any(
            not isinstance(n, int) or n < 1 or self.teacher_steps % n for n in self.shortcut_steps
        ):
            raise ConfigError(
                f"shortcut_steps {self.shortcut_steps} must be positive divisors of teacher_steps "
                f"({self.teacher_steps})"
            )
        if not 0.0 <= self.flow_fraction < 1.0 or not 0.0 <= self.temperature_spread <= 1.0:
            raise ConfigError("flow_fraction must be in [0, 1) and temperature_spread in [0, 1]")
        for name in ("batch_size", "max_steps", "checkpoint_every", "log_every", "val_sentences"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ConfigError(f"lr must be positive, got {self.lr}")
        known = {f.name for f in dataclasses.fields(DecoderConfig)}
        if not isinstance(self.student_decoder, dict) or set(self.student_decoder) - known:
            raise ConfigError(
                f"student_decoder takes decoder settings ({', '.join(sorted(known))}), got "
                f"{self.student_decoder!r}"
            )


def read_sentences(path: str | Path) -> list[str]:
    p = Path(path)
    if not p.is_file():
        raise TrainingError(f"sentence file not found: {p}")
    lines = [line.strip() for line in p.read_text(encoding="utf-8-sig").splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise TrainingError(f"{p} holds no sentences")
    return lines


def encode_sentences(texts: list[str], processor: TextProcessor, max_tokens: int) -> list[list[int]]:
    """Symbol ids of each sentence, as synthesis encodes them (sentences the voice cannot say, or longer
    than ``max_tokens``, are left out)."""
    from fmtts.text.plan import SpeechChunk, plan_speech

    encoded = []
    for text in texts:
        try:
            plan = plan_speech(text, processor, ssml=False, max_chars=10_000)
        except TextError:
            continue
        ids = [i for part in plan if isinstance(part, SpeechChunk) for i in part.ids]
        if 0 < len(ids) <= max_tokens:
            encoded.append(ids)
    return encoded


def inherit_fitting(estimator: torch.nn.Module, source: dict[str, torch.Tensor]) -> int:
    """Copy into ``estimator`` every tensor of ``source`` (an estimator's state) with the same name and
    shape; the rest keeps its initial weights. A student that drops blocks (e.g. ``level_transformers``
    [0, 1]: no attention at full resolution) so starts as the teacher without them; a narrower one
    inherits next to nothing. Returns how many tensors were copied."""
    own = estimator.state_dict()
    fitting = {k: v for k, v in source.items() if k in own and own[k].shape == v.shape}
    estimator.load_state_dict(fitting, strict=False)
    return len(fitting)


def student_from_teacher(
    teacher: FlowTTS,
    ckpt: dict[str, Any],
    shortcut_steps: list[int],
    decoder: dict[str, Any] | None = None,
) -> tuple[FlowTTS, Config]:
    """The teacher's weights in a model whose estimator also takes the step size; with ``decoder`` (settings
    that differ from the teacher's decoder) the student's estimator is that one, with the teacher's
    estimator tensors that fit it (:func:`inherit_fitting`) and random weights elsewhere; the rest
    (encoder, durations, statistics) is the teacher's."""
    raw = copy.deepcopy(ckpt["config"])
    if decoder:
        raw["model"]["decoder"].update(decoder)
    try:
        cfg = Config.from_dict(raw)
    except (ConfigError, TypeError) as exc:
        raise TrainingError(f"the student's decoder settings {decoder} do not make a model: {exc}") from exc
    cfg.model.cfm.shortcut_steps = sorted(set(shortcut_steps))
    stats = ckpt["mel_stats"]
    model = FlowTTS(cfg.model, teacher.n_vocab, stats["mean"], stats["std"])
    state = teacher.state_dict()
    if decoder:
        state = {k: v for k, v in state.items() if not k.startswith("decoder.estimator.")}
    missing, unexpected = model.load_state_dict(state, strict=False)
    new = [
        k for k in missing if ".step_embed." not in k and not (decoder and k.startswith("decoder.estimator."))
    ]
    if new or unexpected:
        raise TrainingError(
            f"the teacher does not fit its own config: missing {new[:5]}, unexpected {unexpected[:5]}"
        )
    if decoder:
        n = inherit_fitting(model.decoder.estimator, teacher.decoder.estimator.state_dict())
        total = len(model.decoder.estimator.state_dict())
        log.info("student estimator: %d of its %d tensors from the teacher, the rest new", n, total)
    return model, cfg


def continue_student(student: FlowTTS, teacher: FlowTTS, path: Path) -> None:
    """Load into ``student`` the estimator of an earlier distillation of the same teacher (a ``.fmtts``
    voice, ``.pt`` voice or checkpoint distilled for the same step counts), so a run can go on where a
    finished one stopped. Everything but the estimator must be the teacher's, to the rounding of a voice
    file's stored weights (:func:`_rounding`). An earlier student with other decoder settings (e.g. the
    shipped voice, for a student that drops blocks) gives the tensors that fit (:func:`inherit_fitting`)."""
    from fmtts.torch_backend import load_model

    earlier, stored = load_model(path)
    if sorted(earlier.cfg.cfm.shortcut_steps) != sorted(student.cfg.cfm.shortcut_steps):
        raise TrainingError(
            f"{path} was distilled for steps {earlier.cfg.cfm.shortcut_steps or 'none'}, this run distils "
            f"{student.cfg.cfm.shortcut_steps}"
        )
    same_but_decoder = dataclasses.replace(earlier.cfg, decoder=student.cfg.decoder)
    if same_but_decoder != student.cfg:  # dataclasses: field by field
        raise TrainingError(f"{path} is another model than this teacher's: its config differs")
    state, tolerance = earlier.state_dict(), _rounding(stored.get("weights"))
    for key, value in teacher.state_dict().items():
        if key.startswith("decoder.estimator.") or not value.is_floating_point():
            continue
        if float((state[key] - value).abs().max()) > tolerance * float(value.abs().max()) + 1e-6:
            raise TrainingError(f"{path} was not distilled from this teacher ({key} differs)")
    student.load_state_dict(
        {k: v for k, v in state.items() if not k.startswith("decoder.estimator.")}, strict=False
    )
    # the same decoder settings: every tensor fits
    n = inherit_fitting(student.decoder.estimator, earlier.decoder.estimator.state_dict())
    log.info("student estimator: %d of its tensors from %s", n, path)


def _rounding(weights: str | None) -> float:
    """How far weights stored as ``weights`` (a voice file's storage; None: a torch file) may lie from the
    exact ones, as a share of each tensor's largest value: fp16 and int8 within a hundredth; int4 within
    half a level of its loudest group (1/14)."""
    return 0.08 if weights == "int4" else 0.01


def load_teacher(path: Path) -> tuple[FlowTTS, dict[str, Any]]:
    """A voice (``.fmtts`` or ``.pt``) or checkpoint as a frozen teacher, with its checkpoint dict."""
    from fmtts.torch_backend import load_model

    model, ckpt = load_model(path)
    if model.cfg.cfm.shortcut_steps:
        raise TrainingError("the teacher is already a distilled voice; distil from the voice it came from")
    return model.eval().requires_grad_(False), ckpt


@torch.no_grad()
def teacher_trajectory(
    estimator: torch.nn.Module, x0: torch.Tensor, mask: torch.Tensor, mu: torch.Tensor, spk, steps: int
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Euler points x_0 … x_K (K = ``steps``) and the velocities v_0 … v_{K-1} taken at them."""
    xs, vs = [x0], []
    b = x0.shape[0]
    for k in range(steps):
        t = torch.full((b,), k / steps)
        v = estimator(xs[-1], mask, mu, t, spk) * mask
        vs.append(v)
        xs.append(xs[-1] + v / steps)
    return xs, vs


@torch.no_grad()
def shortcut_sample(
    estimator: torch.nn.Module, x0: torch.Tensor, mask: torch.Tensor, mu: torch.Tensor, spk, steps: int
) -> torch.Tensor:
    """A distilled (step-conditioned) estimator's sample in ``steps`` jumps of 1/steps from x0."""
    b, x = x0.shape[0], x0
    d = torch.full((b,), 1.0 / steps)
    for j in range(steps):
        x = x + estimator(x, mask, mu, torch.full((b,), j / steps), spk, d) * mask / steps
    return x


def distill_targets(
    xs: list[torch.Tensor], vs: list[torch.Tensor], cfg: DistillConfig, rng: random.Random
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per example one task (see the module docstring): inputs x (B, F, T), times t (B,), step sizes d
    (B,) and target velocities (B, F, T)."""
    k_total = cfg.teacher_steps
    x, t, d, target = [], [], [], []
    for i in range(xs[0].shape[0]):
        if rng.random() < cfg.flow_fraction:
            k = rng.randrange(k_total)
            x.append(xs[k][i])
            t.append(k / k_total)
            d.append(0.0)
            target.append(vs[k][i])
        else:
            n = rng.choice(cfg.shortcut_steps)
            j = rng.randrange(n)
            a, b = j * k_total // n, (j + 1) * k_total // n
            x.append(xs[a][i])
            t.append(j / n)
            d.append(1.0 / n)
            target.append((xs[b][i] - xs[a][i]) * n)
    return torch.stack(x), torch.tensor(t), torch.tensor(d), torch.stack(target)


class Distiller(TrainingLoop):
    """Runs a distillation: ``Distiller(voice, sentences, out, cfg).train()``; ``resume=True`` continues
    from the newest readable checkpoint in ``out/checkpoints``; ``init_from`` starts a new run from the
    student of an earlier one (:func:`continue_student`). Single process, on the CPU."""

    run_name = "distill"
    log_mean_since_last = True

    def __init__(
        self,
        voice: str | Path,
        sentences: str | Path,
        out: str | Path,
        cfg: DistillConfig | None = None,
        resume: bool = False,
        init_from: str | Path | None = None,
        max_minutes: float | None = None,
        progress: bool = True,
    ):
        self.out = Path(out)
        self.cfg = cfg or DistillConfig()
        self.voice = Path(voice)
        if not resume:
            refuse_existing_run(self.out)
        self._setup_runtime("cpu", self.cfg.threads, self.cfg.max_steps, max_minutes, progress)
        self.teacher, ckpt = load_teacher(self.voice)
        self.meta = {k: ckpt[k] for k in ("text", "mel_config", "mel_stats")}
        self.teacher_source = {
            "path": str(self.voice.resolve()),
            "sha1": file_sha1(self.voice).hexdigest(),
            "step": ckpt.get("step"),
        }
        self.vocoder = ckpt.get("vocoder")
        torch.manual_seed(self.cfg.seed)  # a new student estimator's initial weights
        self.model, self.model_cfg = student_from_teacher(
            self.teacher, ckpt, self.cfg.shortcut_steps, self.cfg.student_decoder
        )
        if init_from is not None and not resume:
            continue_student(self.model, self.teacher, Path(init_from))
            self.teacher_source["student_from"] = {
                "path": str(Path(init_from).resolve()),
                "sha1": file_sha1(Path(init_from)).hexdigest(),
            }
        self.model.eval()  # no dropout: the targets are deterministic
        self.model.requires_grad_(False)
        self.estimator = self.model.decoder.estimator.requires_grad_(True)
        processor = TextProcessor.from_dict(ckpt["text"])
        texts = read_sentences(sentences)
        ids = encode_sentences(texts, processor, self.cfg.max_tokens)
        if len(ids) < self.cfg.val_sentences + self.cfg.batch_size:
            raise TrainingError(
                f"{len(ids)} usable sentences in {sentences}: need at least "
                f"{self.cfg.val_sentences + self.cfg.batch_size}"
            )
        self.val_ids, self.train_ids = ids[: self.cfg.val_sentences], ids[self.cfg.val_sentences :]
        self.optimizer = torch.optim.AdamW(self.estimator.parameters(), lr=self.cfg.lr, weight_decay=0.0)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, cosine_from_start(self.cfg.warmup_steps, self.cfg.max_steps, floor=0.0)
        )
        self.ema = EMA(self.estimator, self.cfg.ema_decay)
        self.step = 0
        self.rng = random.Random(self.cfg.seed)
        torch.manual_seed(self.cfg.seed)  # training noise: the same stream whether or not the student was new
        if resume:
            self._resume()

    # ------------------------------------------------------------------------------------------ state
    def payload(
        self, with_training_state: bool = True, rng: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        model_state = self.model.state_dict()
        ema_state = dict(model_state)
        ema_state.update({f"decoder.estimator.{k}": v for k, v in self.ema.state.items()})
        p: dict[str, Any] = {
            "fmtts_version": __version__,
            "config": self.model_cfg.to_dict(),
            **self.meta,
            "model": model_state,
            "ema": ema_state,
            "step": self.step,
            "distill": {"config": self.cfg.to_dict(), "teacher": self.teacher_source},
        }
        if self.vocoder:
            p["vocoder"] = self.vocoder
        if with_training_state:
            p.update(
                optimizer=self.optimizer.state_dict(),
                scheduler=self.scheduler.state_dict(),
                rng={"torch": rng_state() if rng is None else rng[0], "sampler": self.rng.getstate()},
            )
        return p

    def _restore(self, path: Path, ckpt: dict[str, Any]) -> None:
        stored = ckpt.get("distill", {})
        if stored.get("teacher", {}).get("sha1") != self.teacher_source["sha1"]:
            raise TrainingError(f"{path} was distilled from another voice than {self.voice}")
        if "student_from" in stored["teacher"]:  # the run began from an earlier student: keep saying so
            self.teacher_source["student_from"] = stored["teacher"]["student_from"]
        # what a resumed run may change: the trainers' run controls and the validation cadence (not
        # max_steps: the learning-rate cosine runs over it)
        learned = learning_part({"train": stored.get("config", {})}, ("val_every",))
        if learned != learning_part({"train": self.cfg.to_dict()}, ("val_every",)):
            raise TrainingError(
                f"{path} was written with other distillation settings; resume with the same ones"
            )
        self.model.load_state_dict(ckpt["model"])
        self.ema.state = {
            k[len("decoder.estimator.") :]: v
            for k, v in ckpt["ema"].items()
            if k.startswith("decoder.estimator.")
        }
        self.optimizer.load_state_dict(ckpt["optimizer"])
        self.scheduler.load_state_dict(ckpt["scheduler"])
        self.step = int(ckpt["step"])
        set_rng_state(ckpt["rng"]["torch"])
        self.rng.setstate(_as_random_state(ckpt["rng"]["sampler"]))

    # ------------------------------------------------------------------------------------------ steps
    def _batch(self) -> list[list[int]]:
        """A batch of similar lengths: a random sentence and its neighbours in length order."""
        order = self._order()
        start = self.rng.randrange(max(1, len(order) - self.cfg.batch_size + 1))
        return [self.train_ids[i] for i in order[start : start + self.cfg.batch_size]]

    def _order(self) -> list[int]:
        if not hasattr(self, "_sorted"):
            self._sorted = sorted(range(len(self.train_ids)), key=lambda i: len(self.train_ids[i]))
        return self._sorted

    def _noise(self, mu: torch.Tensor, temperatures: torch.Tensor) -> torch.Tensor:
        b, c, t = mu.shape
        return torch.randn(b, t, c).transpose(1, 2) * temperatures.view(-1, 1, 1)

    def _temperatures(self, b: int) -> torch.Tensor:
        return torch.tensor(
            [
                self.rng.random() if self.rng.random() < self.cfg.temperature_spread else self.cfg.temperature
                for _ in range(b)
            ]
        )

    def train_step(self) -> float:
        tokens, lengths = pad_tokens(self._batch())
        mu, mask, _, spk = self.teacher.prior(tokens, lengths)
        x0 = self._noise(mu, self._temperatures(mu.shape[0])) * mask
        xs, vs = teacher_trajectory(self.teacher.decoder.estimator, x0, mask, mu, spk, self.cfg.teacher_steps)
        x, t, d, target = distill_targets(xs, vs, self.cfg, self.rng)
        pred = self.estimator(x, mask, mu, t, spk, d)
        loss = ((pred - target) ** 2 * mask).sum() / (mask.sum() * mu.shape[1])
        if not torch.isfinite(loss):
            self.optimizer.zero_grad(set_to_none=True)
            return float("nan")
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.estimator.parameters(), self.cfg.grad_clip)
        self.optimizer.step()
        self.scheduler.step()
        self.ema.update(self.estimator, running_mean_decay(self.step + 1, self.cfg.ema_decay))
        return float(loss.detach())

    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Mean squared distance (normalised mels) of the EMA student's n-step samples from the teacher's
        ``teacher_steps``-step sample, same noise, on the held-out sentences; also the teacher itself at
        n steps (what the student must beat)."""
        live = {k: v.clone() for k, v in self.estimator.state_dict().items()}
        self.estimator.load_state_dict(self.ema.state)
        tokens, lengths = pad_tokens(self.val_ids)
        mu, mask, _, spk = self.teacher.prior(tokens, lengths)
        gen = torch.Generator().manual_seed(0)
        b, c, t = mu.shape
        x0 = torch.randn((b, t, c), generator=gen).transpose(1, 2) * self.cfg.temperature * mask
        ref = teacher_trajectory(self.teacher.decoder.estimator, x0, mask, mu, spk, self.cfg.teacher_steps)[
            0
        ][-1]
        frames = mask.sum() * c
        scores, images = {}, {}
        for n in self.cfg.shortcut_steps:
            student = shortcut_sample(self.estimator, x0, mask, mu, spk, n)
            teacher = teacher_trajectory(self.teacher.decoder.estimator, x0, mask, mu, spk, n)[0][-1]
            scores[f"student_{n}step_mse"] = float(((student - ref) ** 2 * mask).sum() / frames)
            scores[f"teacher_{n}step_mse"] = float(((teacher - ref) ** 2 * mask).sum() / frames)
            n0 = int(mask[0].sum())
            images[f"student_{n}step"] = self.model.denormalize(student[0, :, :n0]).numpy()
        images["teacher"] = self.model.denormalize(ref[0, :, : int(mask[0].sum())]).numpy()
        self.estimator.load_state_dict(live)
        self._last_images = images
        return scores

    # ------------------------------------------------------------------------------------------ loop
    def train(self) -> Path:
        """Distil until ``max_steps``, ``max_minutes`` or a stop signal; the path of the last checkpoint."""
        from torch.utils.tensorboard import SummaryWriter

        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / "distill.json").write_text(json.dumps(self.cfg.to_dict(), indent=2), encoding="utf-8")
        self.writer = SummaryWriter(str(self.out / "tensorboard"))
        try:
            self.run_loop()
        finally:
            self.writer.close()
            self.writer = None
        assert self.last_checkpoint is not None  # one process: it writes every checkpoint
        return self.last_checkpoint

    @property
    def run_settings(self) -> DistillConfig:
        return self.cfg

    def _take_step(self) -> StepResult:
        loss = self.train_step()
        return {"loss": loss} if math.isfinite(loss) else Skipped("non-finite loss")

    def _learning_rate(self) -> float:
        return self.scheduler.get_last_lr()[0]

    def _postfix(self, values: dict[str, float]) -> dict[str, str]:
        return {"loss": f"{values['loss']:.4f}"}

    def _log_line(self, values: dict[str, float], steps_per_s: float) -> str:
        lr = self._learning_rate()
        return f"step {self.step} loss {values['loss']:.4f} lr {lr:.2e} {steps_per_s:.2f} steps/s"

    def _validate_in_loop(self) -> None:
        scores = self.validate()
        assert self.writer is not None
        for k, v in scores.items():
            self.writer.add_scalar(f"val/{k}", v, self.step)
        for k, mel in self._last_images.items():
            self.writer.add_image(f"mel/{k}", mel_image(mel), self.step)
        self._append_record(scores)
        log.info("validation at step %d: %s", self.step, {k: round(v, 4) for k, v in scores.items()})


def _as_random_state(state: Any) -> tuple:
    """random.Random's state as stored (lists after a round trip through a checkpoint) back as tuples."""
    version, internal, gauss = state
    return (version, tuple(internal), gauss)
