"""``fmtts prepare``: LJSpeech-format corpora → filelists and feature caches for training."""

from __future__ import annotations

import argparse
from pathlib import Path

from fmtts.cli.common import Subparsers


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser("prepare", help="LJSpeech-format folder(s) → filelists + feature caches")
    p.add_argument(
        "--data",
        required=True,
        action="append",
        metavar="[NAME=]DIR",
        help="folder with metadata.csv (id|text|normalized[|speaker]) and wavs/; repeat to merge corpora "
        "into one multi-speaker dataset (OUT/corpus, one speaker NAME per corpus, the first is speaker 0)",
    )
    p.add_argument("--out", required=True)
    p.add_argument("--config", default="small", help="recipe name or YAML (its data section is used)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a config value")
    p.add_argument(
        "--filelists",
        metavar="DIR",
        help="split lists {train,val,test}.txt or VITS's ljs_audio_text_{train,val,test}_filelist.txt "
        "(field 0: a clip id or wav path; no train list: every other clip trains). Default: DATA/filelists "
        "when it has lists, else the recipe's seeded random split",
    )
    p.add_argument("--force", action="store_true", help="recompute even if a prepared cache exists")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fmtts.config import load_config
    from fmtts.data.prepare import prepare_dataset
    from fmtts.text import TextProcessor

    cfg = load_config(args.config, args.set)
    tp = TextProcessor(intersperse_blank=cfg.data.intersperse_blank)
    data = args.data[0]
    if len(args.data) > 1 or "=" in data and not Path(data).exists():  # NAME=DIR: a named corpus
        from fmtts.data.merge import merge_corpora

        data = Path(args.out) / "corpus"
        merged = merge_corpora(args.data, data)
        print(f"merged {merged['clips']} clips into {data}: speakers {', '.join(merged['speakers'])}")
    report = prepare_dataset(data, args.out, cfg.data, tp, filelists=args.filelists, force=args.force)
    split = report.get("split", {})
    how = f"lists in {split['folder']}" if "folder" in split else "random split"
    print(
        f"kept {report['kept']} (hours {report['hours']}, {how}), skipped {len(report['skipped'])}, "
        f"resampled {report['resampled']}; report: {Path(args.out) / 'prepare_report.json'}"
    )
    if report.get("speakers"):
        counts = ", ".join(f"{k} {sum(v.values())}" for k, v in report["speakers"].items())
        n = len(report["speakers"])
        print(f"{n} speakers (clips kept: {counts}): train with model.n_speakers={n} (--set or a recipe)")
    return 0
