"""``fmtts pack``: prepared feature caches → one compressed file that numpy alone unpacks."""

from __future__ import annotations

import argparse

from fmtts.cli.common import Subparsers


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser("pack", help="prepared feature caches → one compressed file (numpy-only to unpack)")
    p.add_argument("prepared", help="prepared folder (from `fmtts prepare`)")
    p.add_argument("output")
    p.add_argument("--bits", type=int, default=7, help="mel quantisation bits (default 7)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fmtts.data.portable import pack_caches

    path = pack_caches(args.prepared, args.output, bits=args.bits)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0
