"""``fmtts vocode``: copy synthesis of a recording, WAV → mel → vocoder → WAV."""

from __future__ import annotations

import argparse
import sys

from fmtts.cli.common import DEVICE_HELP, VOCODER_HELP, Subparsers


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser("vocode", help="copy synthesis: WAV → mel → vocoder → WAV")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--vocoder", default="universal", help=VOCODER_HELP)
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fmtts.vocoder import vocode_file

    info = vocode_file(args.input, args.output, vocoder=args.vocoder, device=args.device)
    print(
        f"wrote {args.output} ({info.get('vocoder', args.vocoder)}): RTF {info['rtf']:.3f}", file=sys.stderr
    )
    return 0
