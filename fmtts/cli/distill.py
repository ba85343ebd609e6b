"""``fmtts distill``: teach a voice to speak in one or two sampling steps, from text alone."""

from __future__ import annotations

import argparse
from pathlib import Path

from fmtts.cli.common import Subparsers


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser("distill", help="teach a voice to speak in 1-2 sampling steps (no recordings needed)")
    p.add_argument("--voice", default=None, help="the teacher: a voice name or checkpoint (default voice)")
    p.add_argument("--sentences", required=True, help="text file, one sentence per line (text only)")
    p.add_argument("--out", required=True, help="run folder (checkpoints, TensorBoard, validation.jsonl)")
    p.add_argument("--steps", default="1,2", help="step counts to distil, comma-separated (default 1,2)")
    p.add_argument("--teacher-steps", type=int, default=None, help="Euler steps of the teacher (default 4)")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--max-minutes", type=float, default=None, help="stop (with a checkpoint) after this long")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    p.add_argument(
        "--student",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a student estimator unlike the teacher's: a decoder setting that differs (repeatable), e.g. "
        "level_transformers=[0,1] (no attention at full resolution; the other weights start as the "
        "teacher's) or channels=[128,128] (learned from scratch)",
    )
    p.add_argument(
        "--init-from",
        default=None,
        help="start the student from a voice or checkpoint distilled earlier from the same teacher "
        "(with --student: the weights of it that fit)",
    )
    p.add_argument("--no-progress", action="store_true", help="log lines instead of a progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fmtts.api import resolve_voice
    from fmtts.config import parse_value
    from fmtts.training.distill import DistillConfig, Distiller

    try:
        settings = {"shortcut_steps": [int(n) for n in args.steps.split(",") if n.strip()]}
    except ValueError:
        raise SystemExit(f"error: --steps takes comma-separated whole numbers, got {args.steps!r}") from None
    for key in ("batch_size", "lr", "max_steps", "teacher_steps", "threads"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    student = {}
    for item in args.student:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise SystemExit(f"error: --student takes KEY=VALUE, got {item!r}")
        student[key.strip()] = parse_value(value)
    if student:
        settings["student_decoder"] = student
    distiller = Distiller(
        resolve_voice(args.voice),
        args.sentences,
        Path(args.out),
        DistillConfig(**settings),
        resume=args.resume,
        init_from=args.init_from,
        max_minutes=args.max_minutes,
        progress=not args.no_progress,
    )
    path = distiller.train()
    print(f"checkpoint: {path}\nmake it a voice: fmtts export {path} VOICE.fmtts")
    return 0
