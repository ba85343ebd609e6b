"""``fmtts normalize`` and ``fmtts phonemize``: what the text front end makes of a text, without synthesis."""

from __future__ import annotations

import argparse
import sys

from fmtts.cli.common import Subparsers


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser("normalize", help="text → the words that will be spoken (stdin lines without TEXT)")
    _add_text_arguments(p)
    p.set_defaults(func=run_normalize)

    p = sub.add_parser("phonemize", help="text → IPA phonemes of the normalised text (eSpeak NG en-us)")
    _add_text_arguments(p, ids=True)
    p.set_defaults(func=run_phonemize)


def _add_text_arguments(p: argparse.ArgumentParser, *, ids: bool = False) -> None:
    p.add_argument("text", nargs="?", help="text (default: read lines from stdin)")
    if ids:
        p.add_argument("--ids", action="store_true", help="print symbol ids instead of phonemes")
    p.add_argument(
        "--ssml", action="store_true", help="read the text as SSML (auto for text starting <speak)"
    )


def _texts(args: argparse.Namespace) -> list[str]:
    return [args.text] if args.text else [ln.rstrip("\n") for ln in sys.stdin]


def run_normalize(args: argparse.Namespace) -> int:
    """The words that will be spoken, one line per input line (SSML: each spoken segment on its own)."""
    from fmtts.text import normalize_text
    from fmtts.text.ssml import PauseSegment, PhonemeSegment, is_ssml, parse_ssml

    for text in _texts(args):
        if args.ssml or is_ssml(text):
            parts = []
            for seg in parse_ssml(text):
                if isinstance(seg, PauseSegment):
                    parts.append(f"<{seg.seconds:g}s>")
                elif isinstance(seg, PhonemeSegment):
                    parts.append(f"[[{seg.phonemes}]]")
                else:
                    parts.append(seg.text)
            print(" ".join(parts))
        else:
            print(normalize_text(text))
    return 0


def run_phonemize(args: argparse.Namespace) -> int:
    """What the model is given, one line per input line: the phonemes (or symbol ids) of each chunk that
    synthesis speaks, planned as synthesis plans them (SSML, ``[[ inline IPA ]]``, long sentences split),
    with pauses shown as ``<Ns>``."""
    from fmtts.text import TextProcessor
    from fmtts.text.errors import NothingToSpeak
    from fmtts.text.plan import Pause, plan_speech

    tp = TextProcessor()
    for text in _texts(args):
        if not text.strip():
            print()
            continue
        try:
            plan = plan_speech(text, tp, ssml=True if args.ssml else None)
        except NothingToSpeak as exc:  # one unsayable line must not stop the others
            print(f"warning: {exc}", file=sys.stderr)
            print()
            continue
        parts = []
        for item in plan:
            if isinstance(item, Pause):
                parts.append(f"<{item.seconds:g}s>")
            else:
                parts.append(" ".join(map(str, item.ids)) if args.ids else tp.symbols.decode(item.ids))
        print(" ".join(parts))
    return 0
