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
    voice: str | Path, recipe: str | Path = DEFAULT_RECIPE, overrides: list[str] | None = None
) -> tuple[Config, TextProcessor]:
    """The config that fine-tunes ``voice`` and the text frontend that prepares its data: the voice's
    model and data settings under the recipe's (and the overrides') ``train`` section, split fractions
    and segment length. The voice's mel settings and text frontend are not the recipe's to change: the
    weights were trained on them."""
    ckpt = init_checkpoint(voice)
    source = ckpt.get("config")
    if not isinstance(source, dict) or "model" not in source or "data" not in source:
        raise ConfigError(f"{voice}: no training config inside; fine-tune a voice fmtts trained")
    schedule = load_recipe_dict(recipe, overrides)
    if "mel" in schedule.get("data", {}):
        raise ConfigError("fine-tuning keeps the voice's mel settings; remove data.mel from the recipe")
    base = {"model": source["model"], "data": source["data"], "name": source.get("name", "voice")}
    # the source's step-size embedding is not trained further (fmtts distill the result again)
    base["model"] = _merge(base["model"], {"cfm": {"shortcut_steps": []}})
    merged = _merge(base, schedule)
    merged["name"] = f"{base['name']}-{schedule.get('name', 'finetune')}"
    cfg = Config.from_dict(merged)
    check_train_counts(cfg.train)
    return cfg, TextProcessor.from_dict(ckpt["text"])
