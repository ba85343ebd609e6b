"""The acoustic trainer's checkpoints: what they hold, resuming and fine-tuning from them (finding and
writing them is :class:`fmtts.training.loop.TrainingLoop`'s).

A mixin of :class:`fmtts.training.trainer.Trainer`: it uses the trainer's model, EMA, optimizer,
scheduler, scaler, counters and process group.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import torch

from fmtts import __version__
from fmtts.checkpoint import inference_state, load_checkpoint
from fmtts.config import Config
from fmtts.models.tts import FlowTTS
from fmtts.training.common import TrainingError, learning_part, with_kernel_choice

log = logging.getLogger(__name__)


def build_model(cfg: Config, meta: dict) -> FlowTTS:
    n_vocab = len(meta["text"]["symbols"]["symbols"])
    stats = meta["mel_stats"]
    return FlowTTS(cfg.model, n_vocab, stats["mean"], stats["std"])


def init_checkpoint(path: str | Path) -> dict[str, Any]:
    """What ``--init-from`` names, as a checkpoint dict: a training checkpoint, a ``.pt`` voice, a
    ``.fmtts`` voice file, or an embedded voice's name (``joe``)."""
    p = Path(path)
    if not p.exists() and not p.suffix and "/" not in str(path):
        from fmtts.api import resolve_voice

        p = resolve_voice(str(path))
    if p.suffix == ".fmtts":
        from fmtts.torch_backend import voice_file_checkpoint

        return voice_file_checkpoint(p)
    return load_checkpoint(p)


def _speaker_rows(
    source: torch.Tensor, src_names: list[str], dst_names: list[str], fresh: torch.Tensor
) -> tuple[torch.Tensor, list[str]]:
    """The speaker table of a multi-speaker source re-indexed for this data's speakers: a speaker the
    source has (by name; by index where either side has no names, except that a lone unnamed speaker
    is new) keeps its row, a new one starts as the mean of the source's rows. Returns the table and the
    names of the new speakers."""
    rows, new = fresh.clone(), []
    for k in range(rows.shape[0]):
        name = dst_names[k] if k < len(dst_names) else str(k)
        if src_names and dst_names:
            j = src_names.index(name) if name in src_names else None
        elif rows.shape[0] == 1 < source.shape[0]:
            j = None  # one unnamed speaker fine-tuned from several: a new voice, not the first of them
        else:
            j = k if k < source.shape[0] else None
        if j is None:
            rows[k] = source.mean(0)
            new.append(name)
        else:
            rows[k] = source[j]
    return rows, new


class CheckpointState:
    def _init_weights(self, path: str | Path) -> None:
        """Fine-tuning: take model weights (EMA if present) from another checkpoint or voice; fresh
        optimizer. A one-speaker source may start a multi-speaker model: the speaker embedding table is
        new, and every layer that reads it starts at zero (the encoder's and DiT's speaker projections,
        the U-Net's input channels for it), so each speaker starts out speaking as the source voice. A
        multi-speaker source keeps the rows of the speakers it shares with this data (by name); a new
        speaker starts as the mean of its speakers. A distilled source's step-size embedding is left out
        (the model fine-tunes the flow; distil the result again for few-step sampling)."""
        ckpt = init_checkpoint(path)
        if ckpt["text"] != self.meta["text"]:
            raise TrainingError(
                f"{path} was trained with another symbol table than this data; cannot fine-tune"
            )
        state = inference_state(ckpt)
        target = self.model.state_dict()
        src_speakers = int(ckpt.get("config", {}).get("model", {}).get("n_speakers", 1))
        src_names = [str(n) for n in ckpt.get("speakers") or []]
        dst_names = list(getattr(self, "speakers", []))
        if src_speakers > 1 and self.model.speaker_emb is None:
            raise TrainingError(
                f"{path} is a {src_speakers}-speaker model and this one has no speaker table: fine-tune it "
                "with `fmtts finetune` (which keeps one, a row per speaker of the data), or set "
                "model.speaker_table=true"
            )
        spk_dim = self.cfg.model.speaker_dim
        merged: dict[str, torch.Tensor] = {}
        # A distilled voice's step-size embedding is its own: fine-tuning trains the flow, and a new
        # voice is distilled again afterwards (fmtts distill).
        unexpected = [k for k in state if k not in target and ".step_embed." not in k]
        missing, misfit = [], []
        new_speakers: list[str] = []
        for key, value in target.items():
            src = state.get(key)
            if src is None:
                if src_speakers == 1 and self.model.speaker_emb is not None and "speaker" in key:
                    # a new speaker table: random rows, read by projections that start at zero
                    merged[key] = value if key == "speaker_emb.weight" else torch.zeros_like(value)
                    continue
                missing.append(key)
                continue
            src = src.to(value.dtype)
            if src.shape == value.shape and (key != "speaker_emb.weight" or src_names == dst_names):
                merged[key] = src
            elif key == "speaker_emb.weight" and src.shape[1:] == value.shape[1:]:
                merged[key], new_speakers = _speaker_rows(src, src_names, dst_names, value)
            elif (
                src_speakers == 1
                and spk_dim
                and self.model.speaker_emb is not None
                and src.dim() == value.dim() >= 2
                and src.shape[0] == value.shape[0]
                and src.shape[2:] == value.shape[2:]
                and value.shape[1] == src.shape[1] + spk_dim
                and key.startswith("decoder.estimator.")
            ):  # the U-Net's first layers read the speaker embedding as extra input channels
                widened = torch.zeros_like(value)
                widened[:, : src.shape[1]] = src
                merged[key] = widened
            else:
                misfit.append(f"{key} {tuple(src.shape)} → {tuple(value.shape)}")
        if missing or unexpected or misfit:
            raise TrainingError(
                f"{path} does not fit this model config: missing {missing[:5]}, unexpected {unexpected[:5]}, "
                f"other shapes {misfit[:3]}"
            )
        self.model.load_state_dict(merged)
        if src_speakers == 1 and self.model.speaker_emb is not None:
            log.info("--init-from a one-speaker voice: speakers %s all start as it", dst_names)
        elif new_speakers:
            log.info("--init-from: new speakers %s start as the mean of %s", new_speakers, src_names)
        # Keep this dataset's statistics; the source voice's pace calibration is not this voice's.
        self.model.mel_mean.fill_(self.meta["mel_stats"]["mean"])
        self.model.mel_std.fill_(self.meta["mel_stats"]["std"])
        self.model.duration_scale.fill_(1.0)

    def _restore(self, path: Path, ckpt: dict[str, Any]) -> None:
        if learning_part(ckpt["config"]) != learning_part(self.cfg.to_dict()):
            raise TrainingError(
                f"{path} was written with another config; resume with the same recipe "
                "(or start a new run directory)"
            )
        self.model.load_state_dict(ckpt["model"])
        self.ema.state = {k: v.to(self.device) for k, v in ckpt["ema"].items()}
        self.optimizer.load_state_dict(with_kernel_choice(ckpt["optimizer"], self.optimizer))
        self.scheduler.load_state_dict(ckpt["scheduler"])
        if ckpt.get("scaler"):
            self.scaler.load_state_dict(ckpt["scaler"])
        self.step, self.epoch, self.batch_in_epoch = ckpt["step"], ckpt["epoch"], ckpt["batch_in_epoch"]
        self._restore_rng(ckpt["rng"])

    def payload(
        self, with_training_state: bool = True, rng: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """The checkpoint dict. Under DDP, gathering the RNG states is a collective: pass ``rng`` when only
        rank 0 builds the payload."""
        p = {
            "fmtts_version": __version__,
            "config": self.cfg.to_dict(),
            "text": self.meta["text"],
            "mel_config": self.meta["mel_config"],
            "mel_stats": self.meta["mel_stats"],
            "speakers": list(self.speakers),  # names of a multi-speaker model's speakers, else empty
            "model": self.model.state_dict(),
            "ema": self.ema.state,
            "step": self.step,
        }
        if with_training_state:
            p.update(
                optimizer=self.optimizer.state_dict(),
                scheduler=self.scheduler.state_dict(),
                scaler=self.scaler.state_dict(),
                epoch=self.epoch,
                batch_in_epoch=self.batch_in_epoch,
                rng=rng if rng is not None else self._gather_rng(),
            )
        return p
