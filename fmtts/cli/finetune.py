"""``fmtts finetune``: a new voice from minutes of recordings, starting from a trained voice."""

from __future__ import annotations

import argparse

from fmtts.cli.common import Subparsers, add_run_options


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser("finetune", help="a new voice from minutes of recordings, starting from a voice")
    p.add_argument("--voice", default="joe", help="the voice to start from: a name or file (default joe)")
    p.add_argument(
        "--data", required=True, help="LJSpeech-format folder of the new speaker, or a prepared one"
    )
    p.add_argument("--out", required=True, help="run folder: checkpoints/, tensorboard/, config.json")
    p.add_argument(
        "--recipe", default=None, help="the schedule: recipe name or YAML (default recipes/finetune.yaml)"
    )
    p.add_argument("--prepared", help="where to prepare a raw --data folder (default OUT/data)")
    p.add_argument(
        "--train-steps",
        type=int,
        default=None,
        help="length of the schedule (train.max_steps; the recipe's by default)",
    )
    add_run_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fmtts.cli.train import train_acoustic
    from fmtts.training.finetune import finetune_setup, fit_speakers

    overrides = list(args.set)
    if args.train_steps is not None:
        overrides.append(f"train.max_steps={args.train_steps}")
    cfg, text = finetune_setup(args.voice, args.recipe, overrides)
    # the voice's weights start the run; a --resume with a checkpoint replaces them with its own
    return train_acoustic(cfg, args, init_from=args.voice, text=text, fit=fit_speakers)
