"""Adversarial vocoder training: the ISTFTNet generator against multi-period and multi-resolution
discriminators, with multi-resolution mel L1 and feature matching.

Single process or DDP under torchrun. Stops cleanly on SIGINT/SIGTERM, at ``max_minutes`` or
``max_steps``, always with an atomic checkpoint; ``resume`` continues from the newest readable one.
Batches are a pure function of (seed, rank, step) and every RNG state is checkpointed, so a resumed run
reproduces the uninterrupted one.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fmtts import __version__
from fmtts.audio import MelConfig, mel_differences
from fmtts.data.audio_cache import AudioCache, SegmentSampler, build_audio_cache
from fmtts.mel import MelSpectrogram
from fmtts.training.common import (
    TrainingError,
    build_optimizer,
    learning_part,
    mel_image,
    refuse_existing_run,
    with_kernel_choice,
)
from fmtts.training.data import is_rank_zero, wait_for
from fmtts.training.loop import Skipped, StepResult, TrainingLoop
from fmtts.training.lr_schedule import cosine_from_start, warmup_only
from fmtts.training.teacher import build_teacher_cache, teacher_folder
from fmtts.training.vocoder_recipe import VocoderRecipe, VocoderTrainConfig
from fmtts.vocoder.discriminators import Discriminators
from fmtts.vocoder.istft_net import ISTFTNet
from fmtts.vocoder.istft_vocoder import KIND, load_vocoder_checkpoint
from fmtts.vocoder.losses import (
    CompressedSpectrumLoss,
    MultiResolutionMelLoss,
    discriminator_loss,
    feature_matching_loss,
    generator_adversarial_loss,
)

log = logging.getLogger(__name__)


def resolve_audio_data(
    recipe: VocoderRecipe, data: str | Path, prepared: str | Path, split_from: str | Path | None = None
) -> Path:
    """``data``: an audio-cache folder (``train/audio.npy`` inside) or an LJSpeech-format folder, which is
    cached into ``prepared`` first (by rank 0 under torchrun; the other ranks wait for it)."""
    data = Path(data)
    if (data / "train" / "audio.npy").is_file():
        if split_from is not None:
            meta = data / "train" / "meta.json"
            made = json.loads(meta.read_text()).get("settings", {}) if meta.is_file() else {}
            if made.get("split_from") != str(Path(split_from).resolve()):
                raise TrainingError(
                    f"{data} is an audio cache whose split was fixed when it was built (split from "
                    f"{made.get('split_from') or 'its own filelists or seed'}); --split-from applies when "
                    "--data is an LJSpeech-format folder"
                )
        return data
    d = recipe.data
    if is_rank_zero():
        build_audio_cache(
            data,
            prepared,
            sample_rate=d.mel.sample_rate,
            min_seconds=d.min_seconds,
            max_seconds=d.max_seconds,
            val_fraction=d.val_fraction,
            test_fraction=d.test_fraction,
            split_seed=d.split_seed,
            split_from=split_from,
        )
    wait_for(Path(prepared) / "test" / "meta.json")
    return Path(prepared)


# validation draws no random numbers here, so its cadence may change on resume too
_VAL_KEYS = ("val_every", "val_utterances")


class VocoderTrainer(TrainingLoop):
    """The vocoder's training steps (distillation, reconstruction, adversarial), checkpoints and validation;
    the loop in :mod:`.loop`."""

    def __init__(
        self,
        recipe: VocoderRecipe,
        data_dir: str | Path,
        out_dir: str | Path,
        *,
        device: str = "auto",
        resume: bool = False,
        init_from: str | Path | None = None,
        max_steps: int | None = None,
        max_minutes: float | None = None,
        progress: bool = True,
        tensorboard: bool = True,
    ):
        self.recipe = recipe
        t = recipe.train
        self.out = Path(out_dir)
        if not resume:
            refuse_existing_run(self.out)
        self._setup_runtime(
            device, t.threads, t.max_steps if max_steps is None else max_steps, max_minutes, progress
        )
        data_dir = Path(data_dir)
        self.train_cache = AudioCache(data_dir / "train")
        self.val_cache = AudioCache(data_dir / "val") if (data_dir / "val" / "meta.json").is_file() else None
        mel_cfg = recipe.data.mel
        if self.train_cache.sample_rate != mel_cfg.sample_rate:
            raise TrainingError(
                f"{data_dir} holds {self.train_cache.sample_rate} Hz audio; "
                f"the recipe wants {mel_cfg.sample_rate}"
            )
        self.sampler = SegmentSampler(
            self.train_cache, t.segment_frames, mel_cfg.hop_length, mel_cfg.n_fft, t.seed, self.dist.rank
        )
        # made when a distillation step is due: a run resumed past that phase needs no teacher
        self.distill_sampler: SegmentSampler | None = None

        torch.manual_seed(t.seed + self.dist.rank)
        self.generator = ISTFTNet(recipe.generator).to(self.device)
        self.discriminators = Discriminators(recipe.discriminator).to(self.device)
        if init_from is not None:
            self._init_weights(init_from)
        self.mel = MelSpectrogram(mel_cfg).to(self.device)
        self.mel_loss = MultiResolutionMelLoss(mel_cfg.sample_rate, t.mel_resolutions).to(self.device)
        self.spectrum_loss = CompressedSpectrumLoss(t.distill_resolutions).to(self.device)
        self.opt_g = build_optimizer(self.generator, t)
        self.opt_d = build_optimizer(self.discriminators, t)
        # One schedule: the discriminators' learning rate follows the generator's (see _sync_lr).
        schedule = (
            cosine_from_start(t.warmup_steps, t.max_steps, floor=0.05)
            if t.lr_decay == "cosine"
            else warmup_only(t.warmup_steps)
        )
        self.sched_g = torch.optim.lr_scheduler.LambdaLR(self.opt_g, schedule)
        self._sync_lr()  # the discriminators' first step warms up too
        self._use_precision(t.precision)
        self.scaler_g = self._grad_scaler()
        self.scaler_d = self._grad_scaler()
        self.step = 0
        if resume:
            self._resume()
        self.g_train = self._data_parallel(self.generator)
        self.d_train = self._data_parallel(self.discriminators)
        self.writer = self._open_writer(tensorboard)

    # ------------------------------------------------------------------------------------------ state
    def _sync_lr(self) -> None:
        lr = self.sched_g.get_last_lr()[0]
        for group in self.opt_d.param_groups:
            group["lr"] = lr

    def _init_weights(self, path: str | Path) -> None:
        """Warm start: generator (and discriminators, when the file has them) from another vocoder run."""
        ckpt = load_vocoder_checkpoint(path)
        # Same tensor shapes do not mean the same input: a mel with another fmax or hop also loads.
        # Fields a file does not record are taken as this recipe's.
        mel = self.recipe.data.mel
        generator = self.recipe.generator.to_dict()
        theirs = {**generator, **(ckpt.get("generator_config") or {})}
        differences = {
            "mel": mel_differences(
                MelConfig.from_dict({**mel.to_dict(), **(ckpt.get("mel_config") or {})}), mel
            ),
            "generator": {k: (theirs[k], v) for k, v in generator.items() if theirs[k] != v},
        }
        for kind, differ in differences.items():
            if differ:
                raise TrainingError(
                    f"{path} was made for another {kind} than this recipe's "
                    f"(its value, this recipe's: {differ})"
                )
        try:
            self.generator.load_state_dict(ckpt["generator"])
            if "discriminators" in ckpt:
                self.discriminators.load_state_dict(ckpt["discriminators"])
            log.info(
                "weights from %s (step %s): generator%s",
                path,
                ckpt.get("step", "?"),
                " and discriminators" if "discriminators" in ckpt else " only",
            )
        except RuntimeError as exc:
            raise TrainingError(f"{path} does not fit this recipe's networks: {str(exc)[:300]}") from exc

    def _read_checkpoint(self, path: Path) -> dict[str, Any]:
        return load_vocoder_checkpoint(path, map_location=self.device)

    def _restore(self, path: Path, ckpt: dict[str, Any]) -> None:
        if learning_part(ckpt["recipe"], _VAL_KEYS) != learning_part(self.recipe.to_dict(), _VAL_KEYS):
            raise TrainingError(
                f"{path} was written with another recipe; resume with the same one (or a new run folder)"
            )
        self.generator.load_state_dict(ckpt["generator"])
        self.discriminators.load_state_dict(ckpt["discriminators"])
        self.opt_g.load_state_dict(with_kernel_choice(ckpt["opt_g"], self.opt_g))
        self.opt_d.load_state_dict(with_kernel_choice(ckpt["opt_d"], self.opt_d))
        self.sched_g.load_state_dict(ckpt["sched_g"])
        self._sync_lr()
        for name in ("scaler_g", "scaler_d"):
            if ckpt.get(name):
                getattr(self, name).load_state_dict(ckpt[name])
        self.step = int(ckpt["step"])
        self._restore_rng(ckpt["rng"])

    def payload(self, rng: list[dict[str, Any]]) -> dict[str, Any]:
        """The checkpoint dict; ``rng`` holds every rank's RNG state."""
        return {
            "kind": KIND,
            "fmtts_version": __version__,
            "recipe": self.recipe.to_dict(),
            "generator_config": self.recipe.generator.to_dict(),
            "mel_config": self.recipe.data.mel.to_dict(),
            "generator": self.generator.state_dict(),
            "discriminators": self.discriminators.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "sched_g": self.sched_g.state_dict(),
            "scaler_g": self.scaler_g.state_dict(),
            "scaler_d": self.scaler_d.state_dict(),
            "step": self.step,
            "rng": rng,
        }

    # ------------------------------------------------------------------------------------------ steps
    def phase(self, step: int | None = None) -> str:
        """ "distill", "reconstruction" or "adversarial" at ``step`` (default: the current one)."""
        t = self.recipe.train
        step = self.step if step is None else step
        if step < t.distill_steps:
            return "distill"
        return "reconstruction" if step < t.distill_steps + t.reconstruction_steps else "adversarial"

    def train_step(self) -> dict[str, float] | None:
        """One generator (and, in the adversarial phase, discriminator) update; None if skipped."""
        t = self.recipe.train
        phase = self.phase()
        if phase == "distill":
            return self._distill_step()
        batch = self.sampler.batch(self.step, t.batch_size, self.attempt)
        context = torch.from_numpy(batch.context).to(self.device, non_blocking=True)
        real = torch.from_numpy(batch.audio).to(self.device, non_blocking=True)
        mel = self.mel.unpadded(context)
        adversarial = phase == "adversarial"
        with self._autocast():
            fake = self.g_train(mel).float()
        losses: dict[str, float] = {}
        if adversarial:
            with self._autocast():
                scores, _ = self.d_train(torch.cat([real, fake.detach()]))
            n = real.shape[0]
            loss_d = discriminator_loss([s[:n] for s in scores], [s[n:] for s in scores])
            if not self._all_finite(loss_d):
                return None
            self.opt_d.zero_grad(set_to_none=True)
            self.scaler_d.scale(loss_d).backward()
            self.scaler_d.unscale_(self.opt_d)
            grad_d = torch.nn.utils.clip_grad_norm_(self.discriminators.parameters(), t.grad_clip)
            if not self._all_finite(grad_d):
                self.opt_d.zero_grad(set_to_none=True)
                self.scaler_d.update()
                return None
            self.scaler_d.step(self.opt_d)
            self.scaler_d.update()
            losses.update(disc=loss_d.item(), grad_d=grad_d.item())

        loss_mel = self.mel_loss(fake, real)
        loss_g = t.mel_weight * loss_mel
        if adversarial:
            # The generator's gradient flows through the discriminators, whose own weights stay put.
            d = self.discriminators
            d.requires_grad_(False)
            with torch.no_grad(), self._autocast():
                _, real_feats = d(real)
            with self._autocast():
                fake_scores, fake_feats = d(fake)
            loss_adv = generator_adversarial_loss(fake_scores)
            loss_fm = feature_matching_loss(real_feats, fake_feats)
            loss_g = loss_g + t.adversarial_weight * loss_adv + t.feature_weight * loss_fm
            losses.update(adv=loss_adv.item(), fm=loss_fm.item())
        if not self._all_finite(loss_g):
            self.discriminators.requires_grad_(True)
            return None
        try:
            grad_g = self._generator_update(loss_g)
        finally:
            self.discriminators.requires_grad_(True)
        if grad_g is None:
            return None
        losses.update(gen=loss_g.item(), mel=loss_mel.item(), grad_g=grad_g)
        return losses

    def _distill_step(self) -> dict[str, float] | None:
        """Generator only, towards the teacher's waveform for the same mel, outside the segment's margins."""
        t = self.recipe.train
        batch = self._teacher_segments().batch(self.step, t.batch_size, self.attempt)
        assert batch.teacher is not None
        context = torch.from_numpy(batch.context).to(self.device, non_blocking=True)
        target = torch.from_numpy(batch.teacher).to(self.device, non_blocking=True)
        with self._autocast():
            fake = self.g_train(self.mel.unpadded(context)).float()
        m = t.distill_margin_frames * self.recipe.data.mel.hop_length
        if m:
            fake, target = fake[:, m:-m], target[:, m:-m]
        loss_mel = self.mel_loss(fake, target)
        loss_spec = self.spectrum_loss(fake, target)
        loss_g = t.mel_weight * loss_mel + t.distill_weight * loss_spec
        if not self._all_finite(loss_g):
            return None
        grad_g = self._generator_update(loss_g)
        if grad_g is None:
            return None
        return {"gen": loss_g.item(), "mel": loss_mel.item(), "spec": loss_spec.item(), "grad_g": grad_g}

    def _teacher_segments(self) -> SegmentSampler:
        """The distillation sampler, its teacher cache built first if needed (by rank 0; the others wait)."""
        if self.distill_sampler is None:
            t, mel_cfg = self.recipe.train, self.recipe.data.mel
            assert t.teacher is not None  # checked by the recipe
            folder = teacher_folder(self.train_cache.folder, t.teacher)
            if is_rank_zero():
                devices = [self.device] if self.device.type == "cuda" else []
                with torch.random.fork_rng(devices=devices):  # the run's own RNG streams stay as they were
                    build_teacher_cache(
                        self.train_cache, t.teacher, folder, mel_cfg, self.device, progress=self.progress
                    )
            wait_for(folder / "meta.json")
            self.distill_sampler = SegmentSampler(
                self.train_cache,
                t.distill_segment_frames or t.segment_frames,
                mel_cfg.hop_length,
                mel_cfg.n_fft,
                t.seed,
                self.dist.rank,
                teacher=AudioCache(folder),
            )
        return self.distill_sampler

    def _generator_update(self, loss_g: torch.Tensor) -> float | None:
        """Backward, clip, step; the gradient norm, or None (nothing applied) if it is not finite."""
        t = self.recipe.train
        self.opt_g.zero_grad(set_to_none=True)
        self.scaler_g.scale(loss_g).backward()
        self.scaler_g.unscale_(self.opt_g)
        grad_g = torch.nn.utils.clip_grad_norm_(self.generator.parameters(), t.grad_clip)
        if not self._all_finite(grad_g):
            self.opt_g.zero_grad(set_to_none=True)
            self.scaler_g.update()
            return None
        self.scaler_g.step(self.opt_g)
        self.scaler_g.update()
        self.sched_g.step()
        self._sync_lr()
        return grad_g.item()

    def train(self) -> dict[str, float]:
        """Train until ``max_steps``, ``max_minutes`` or a stop signal; always ends with a checkpoint."""
        if self.phase() == "distill" and self.step < self.max_steps:
            # before the stop handling: Ctrl-C interrupts the (resumable) build, and its time does not
            # count against max_minutes
            self._teacher_segments()
        self.generator.train()
        self.discriminators.train()
        return self.run_loop()

    # ------------------------------------------------------------------------------------------ hooks
    @property
    def run_settings(self) -> VocoderTrainConfig:
        return self.recipe.train

    def _take_step(self) -> StepResult:
        out = self.train_step()
        return Skipped("non-finite loss or gradient") if out is None else out

    def _learning_rate(self) -> float:
        return self.sched_g.get_last_lr()[0]

    def _postfix(self, values: dict[str, float]) -> dict[str, str]:
        return {"mel": f"{values['mel']:.3f}", **({"d": f"{values['disc']:.2f}"} if "disc" in values else {})}

    def _validate_in_loop(self) -> None:
        if self.val_cache is not None:
            self.validate()

    # ------------------------------------------------------------------------------------------ validation
    @torch.no_grad()
    def validate(self) -> dict[str, float]:
        """Full validation clips through the generator: log-mel L1 (input-mel and full-band multi-resolution)
        to TensorBoard and ``OUT/validation.jsonl`` (quality against steps), audio and mel images."""
        assert self.val_cache is not None
        self.generator.eval()
        n = min(len(self.val_cache), max(self.recipe.train.val_utterances, 8))
        l1_in, l1_full = [], []
        for i in range(n):
            wav = torch.from_numpy(self.val_cache.clip(i)).to(self.device)
            mel = self.mel(wav)
            fake = self.generator(mel[None])[0]
            real = wav[: fake.shape[-1]]
            l1_in.append(float((self.mel(fake) - mel).abs().mean()))
            l1_full.append(float(self.mel_loss(fake[None], real[None])))
            if self.writer is not None and i < self.recipe.train.val_utterances:
                sr = self.val_cache.sample_rate
                self.writer.add_audio(f"val/audio_{i}", fake.clamp(-1, 1).cpu(), self.step, sample_rate=sr)
                self.writer.add_image(f"val/mel_{i}", mel_image(self.mel(fake).cpu().numpy()), self.step)
                if self.step == self.recipe.train.val_every:
                    self.writer.add_audio(f"val/audio_{i}_real", real.cpu(), self.step, sample_rate=sr)
                    self.writer.add_image(f"val/mel_{i}_real", mel_image(mel.cpu().numpy()), self.step)
        result = {
            "step": self.step,
            "mel_l1": float(np.mean(l1_in)),
            "multires_mel_l1": float(np.mean(l1_full)),
        }
        if self.writer is not None:
            self.writer.add_scalar("val/mel_l1", result["mel_l1"], self.step)
            self.writer.add_scalar("val/multires_mel_l1", result["multires_mel_l1"], self.step)
        self._append_record(result)
        log.info("validation at step %d: mel L1 %.4f", self.step, result["mel_l1"])
        self.generator.train()
        return result
