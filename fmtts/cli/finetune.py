"""``fmtts finetune``: a new voice from minutes of recordings, starting from a trained voice."""

from __future__ import annotations

import argparse
from pathlib import Path

from fmtts.cli.common import Subparsers


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser("finetune", help="a new voice from minutes of recordings, starting from a voice")
    p.add_argument("--voice", default="joe", help="the voice to start from: a name or file (default joe)")
    p.add_argument(
        "--data", required=True, help="LJSpeech-format folder of the new speaker, or a prepared one"
    )
    p.add_argument("--out", required=True, help="run folder: checkpoints/, tensorboard/, config.json")
    p.add_argument(
        "--recipe", default="finetune", help="the schedule: recipe name or YAML (default finetune)"
    )
    p.add_argument("--prepared", help="where to prepare a raw --data folder (default OUT/data)")
    p.add_argument("--steps", type=int, default=None, help="training steps (default: the recipe's max_steps)")
    p.add_argument("--max-minutes", type=float, default=None, help="stop (with a checkpoint) after this time")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in OUT")
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override, e.g. train.lr=1e-4"
    )
    p.add_argument("--no-progress", action="store_true", help="log lines instead of a progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fmtts.training.common import refuse_existing_run
    from fmtts.training.data import resolve_training_data
    from fmtts.training.finetune import finetune_setup
    from fmtts.training.trainer import Trainer

    overrides = list(args.set)
    if args.steps is not None:
        overrides.append(f"train.max_steps={args.steps}")
    cfg, text = finetune_setup(args.voice, args.recipe, overrides)
    out = Path(args.out)
    if not args.resume:
        refuse_existing_run(out)
    out.mkdir(parents=True, exist_ok=True)
    data = resolve_training_data(cfg, args.data, args.prepared or out / "data", text)
    cfg.save(out / "config.json")
    trainer = Trainer(
        cfg,
        data,
        out,
        device=args.device,
        resume=args.resume,
        init_from=None if args.resume else args.voice,
        max_minutes=args.max_minutes,
        progress=not args.no_progress,
    )
    try:
        trainer.train()
    finally:
        trainer.close()
    return 0
