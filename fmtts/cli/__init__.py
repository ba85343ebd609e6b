"""The ``fmtts`` command line: speaking (synthesize, serve, vocode, normalize, phonemize), making voices
(corpus, prepare, train, finetune, distill, train-vocoder, pack, export, export-vocoder) and judging them
(evaluate).

Each module here defines one subcommand (or a few close ones): ``add_parser(sub)`` registers it and sets
the function that runs it. Building the parser imports no torch and no training code; a command imports
what it needs when it runs.
"""

from __future__ import annotations

import argparse
import logging

from fmtts import __version__
from fmtts.cli import (
    corpus,
    distill,
    evaluate,
    export,
    finetune,
    pack,
    prepare,
    serve,
    synthesize,
    text,
    train,
    vocode,
)
from fmtts.cli.common import run_command

__all__ = ["build_parser", "main"]

# in the order `fmtts --help` lists them
COMMANDS = (
    synthesize,
    serve,
    vocode,
    text,
    prepare,
    train,
    finetune,
    distill,
    pack,
    export,
    corpus,
    evaluate,
)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="fmtts", description="Flow-matching text-to-speech")
    ap.add_argument("--version", action="version", version=f"fmtts {__version__}")
    ap.add_argument("-v", "--verbose", action="store_true")
    sub = ap.add_subparsers(dest="command", required=True)
    for command in COMMANDS:
        command.add_parser(sub)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s"
    )
    return run_command(args)
