"""A new voice from minutes of a new speaker: the starting voice's model, text frontend and mel settings,
a fine-tuning recipe's schedule (``recipes/finetune.yaml``), and the trainer's ``--init-from``."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from fmtts.config import Config, ConfigError, check_train_counts, load_recipe_dict
from fmtts.text import TextProcessor
from fmtts.training.state import init_checkpoint

DEFAULT_RECIPE = "finetune"
# model settings that shape training, not the weights: a fine-tuning schedule may set them
TRAINING_ONLY_MODEL_KEYS = ("out_size",)


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """``top`` over ``base``, section by section."""
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def finetune_setup(
    voice: str | Path, recipe: str | Path | None = None, overrides: list[str] | None = None
) -> tuple[Config, TextProcessor]:
    """The config that fine-tunes ``voice`` and the text frontend that prepares its data: the voice's
    model and data settings under the recipe's (and the overrides') ``train`` section, split fractions
    and segment length. The voice's mel settings and text frontend are not the recipe's to change: the
    weights were trained on them."""
    ckpt = init_checkpoint(voice)
    source = ckpt.get("config")
    if not isinstance(source, dict) or "model" not in source or "data" not in source:
        raise ConfigError(f"{voice}: no training config inside; fine-tune a voice fmtts trained")
    schedule = load_recipe_dict(recipe or DEFAULT_RECIPE, overrides)
    schedule.pop("kind", None)
    fixed = [f"data.{k}" for k in ("mel", "intersperse_blank") if k in schedule.get("data", {})]
    fixed += [f"model.{k}" for k in schedule.get("model", {}) if k not in TRAINING_ONLY_MODEL_KEYS]
    if fixed:
        raise ConfigError(
            f"fine-tuning keeps the voice's model, mel settings and text frontend; {', '.join(fixed)} "
            "cannot change (the weights were trained on them)"
        )
    base = {"model": source["model"], "data": source["data"], "name": source.get("name", "voice")}
    # the source's step-size embedding is not trained further (fmtts distill the result again)
    base["model"] = _merge(base["model"], {"cfm": {"shortcut_steps": []}})
    if int(source["model"].get("n_speakers", 1)) > 1 or source["model"].get("speaker_table"):
        # a multi-speaker source keeps its speaker-conditioned layers: the table takes the data's
        # speakers (fit_speakers), one row for a single new speaker
        base["model"] = _merge(base["model"], {"speaker_table": True})
    merged = _merge(base, schedule)
    merged["name"] = f"{base['name']}-{schedule.get('name', 'finetune')}"
    cfg = Config.from_dict(merged)
    check_train_counts(cfg.train)
    return cfg, TextProcessor.from_dict(ckpt["text"])


def fit_speakers(cfg: Config, data: Path) -> None:
    """A fine-tuning config whose model keeps a speaker table (from a multi-speaker source) takes as many
    rows as the prepared ``data`` names speakers: one for a single new speaker. Others are left alone."""
    from fmtts.data.cache import FeatureCache, prepared_cache_root

    if cfg.model.speaker_table:
        cfg.model.n_speakers = FeatureCache(prepared_cache_root(data) / "train").n_speakers
