"""``fmtts train`` and ``fmtts train-vocoder``: resumable, torchrun-compatible training runs.

The trainers (and torch) are imported when a command runs, never when the parser is built.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fmtts.cli.common import Subparsers, add_run_options


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser("train", help="train an acoustic model (torchrun-compatible)")
    p.add_argument("--config", required=True, help="recipe name (tiny, small, ljspeech) or YAML path")
    p.add_argument(
        "--data",
        required=True,
        help="prepared folder (fmtts prepare), packed cache file (fmtts pack), or LJSpeech-format folder",
    )
    p.add_argument("--out", required=True, help="run folder: checkpoints/, tensorboard/, config.json")
    p.add_argument("--prepared", help="where to prepare a raw --data folder (default OUT/data)")
    p.add_argument("--init-from", help="start from another checkpoint's weights (fine-tuning)")
    add_run_options(p)
    p.set_defaults(func=run_train)

    p = sub.add_parser("train-vocoder", help="train a vocoder (adversarial; resumable; torchrun-compatible)")
    p.add_argument("--config", required=True, help="vocoder recipe name (e.g. cpu) or YAML path")
    p.add_argument("--data", required=True, help="LJSpeech-format folder, or an audio cache made by a run")
    p.add_argument("--out", required=True, help="run folder: checkpoints/, tensorboard/, validation.jsonl")
    p.add_argument("--prepared", help="where to cache the audio of a raw --data folder (default OUT/data)")
    p.add_argument(
        "--split-from",
        default=None,
        help="a folder made by `fmtts prepare` whose train/val/test split to copy (keeps the acoustic "
        "model's test clips out of vocoder training)",
    )
    p.add_argument("--init-from", help="start from another vocoder checkpoint's weights")
    add_run_options(p)
    p.set_defaults(func=run_train_vocoder)


def run_train(args: argparse.Namespace) -> int:
    from fmtts.config import load_config

    return train_acoustic(load_config(args.config, args.set), args, init_from=args.init_from)


def train_acoustic(
    cfg: Any,
    args: argparse.Namespace,
    init_from: str | None,
    text: Any = None,
    fit: Callable[[Any, Path], None] | None = None,
) -> int:
    """An acoustic run in ``args.out`` on ``args.data`` (prepared there when raw, with ``text`` if given:
    the frontend of the voice being fine-tuned); ``fit(cfg, data)`` adjusts the config to the prepared
    data before it is saved (fine-tuning: the speaker table's rows)."""
    from fmtts.training.common import refuse_existing_run
    from fmtts.training.data import resolve_training_data
    from fmtts.training.trainer import Trainer

    out = Path(args.out)
    if not args.resume:
        refuse_existing_run(out)  # before config.json is overwritten
    out.mkdir(parents=True, exist_ok=True)
    data = resolve_training_data(
        cfg, args.data, args.prepared or out / "data", text, progress=not args.no_progress
    )
    if fit is not None:
        fit(cfg, data)
    cfg.save(out / "config.json")
    return _run_training(Trainer, cfg, data, out, args, init_from)


def run_train_vocoder(args: argparse.Namespace) -> int:
    from fmtts.training.common import refuse_existing_run
    from fmtts.training.vocoder_recipe import load_vocoder_recipe
    from fmtts.training.vocoder_trainer import VocoderTrainer, resolve_audio_data

    recipe = load_vocoder_recipe(args.config, args.set)
    out = Path(args.out)
    if not args.resume:
        refuse_existing_run(out)  # before recipe.json is overwritten
    out.mkdir(parents=True, exist_ok=True)
    data = resolve_audio_data(recipe, args.data, args.prepared or out / "data", args.split_from)
    (out / "recipe.json").write_text(json.dumps(recipe.to_dict(), indent=2))
    return _run_training(VocoderTrainer, recipe, data, out, args, args.init_from)


def _run_training(
    trainer_class: type, recipe: Any, data: Path, out: Path, args: argparse.Namespace, init_from: str | None
) -> int:
    """The options `train`, `finetune` and `train-vocoder` share, passed to the trainer; always closes it."""
    trainer = trainer_class(
        recipe,
        data,
        out,
        device=args.device,
        resume=args.resume,
        init_from=init_from,
        max_steps=args.max_steps,
        max_minutes=args.max_minutes,
        progress=not args.no_progress,
    )
    try:
        trainer.train()
    finally:
        trainer.close()
    return 0
