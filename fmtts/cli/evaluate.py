"""``fmtts evaluate``: synthesize a test filelist and score it; the work is :mod:`fmtts.evaluate`'s."""

from __future__ import annotations

import argparse

from fmtts.cli.common import Subparsers


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser("evaluate", help="synthesize a test filelist and score it (ASR WER/CER, MCD, RTF)")
    p.add_argument(
        "--checkpoint",
        default=None,
        help="voice or checkpoint (default: the embedded voice); comma-separated to compare several",
    )
    p.add_argument("--data", required=True, help="LJSpeech-format folder or prepared folder")
    p.add_argument("--filelist", default=None)
    p.add_argument("--out", required=True)
    from fmtts.sampling import SamplerConfig

    d = SamplerConfig()
    p.add_argument(
        "--steps", default=None, help="comma-separated sweep, e.g. 2,4,8,10,32 (default: the voice's own)"
    )
    p.add_argument("--solver", default=d.solver, help="comma-separated, e.g. euler,midpoint")
    p.add_argument("--temperature", default=f"{d.temperature:g}", help="comma-separated")
    p.add_argument("--asr", choices=["whisper", "pocketsphinx"], default="whisper")
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--device", default="auto")
    p.add_argument("--vocoder", default="auto", help="the voice's own vocoder unless named (see synthesize)")
    p.add_argument("--seed", type=int, default=1234, help="noise seed (batch k uses seed + k; default 1234)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--asr-device", default="cpu", help="device of the ASR judge: cpu | cuda (default cpu)")
    p.add_argument(
        "--asr-compute-type",
        default="auto",
        help="faster-whisper compute type (auto = int8 on CPU, float16 on CUDA)",
    )
    p.add_argument(
        "--l1",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="log-mel L1 with the recordings' durations (a second acoustic pass; default on)",
    )
    p.add_argument("--save-audio", action="store_true", help="also write every output WAV under OUT/audio/")
    p.add_argument(
        "--copy-vocoders",
        default=None,
        help="more vocoders for copy-synthesis rows, comma-separated (e.g. universal,fmtts-joe,PATH)",
    )
    p.add_argument("--copy-only", action="store_true", help="recordings and copy-synthesis rows only")
    p.add_argument(
        "--vocoder-precision",
        choices=["auto", "fp32", "bf16"],
        default="auto",
        help="precision of fmtts's own vocoders in the copy rows (auto: bf16 on CUDA, fp32 on CPUs)",
    )
    p.add_argument(
        "--dnsmos",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="DNSMOS P.808 / P.835 per row (default: on when speechmos and onnxruntime are installed)",
    )
    p.add_argument(
        "--hnr",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="harmonics-to-noise ratio per row (default: on when praat-parselmouth is installed)",
    )
    p.add_argument(
        "--speaker-similarity",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="Resemblyzer speaker similarity to the reference recordings per row (default: on when "
        "resemblyzer is installed)",
    )
    p.add_argument(
        "--speaker-reference",
        default=None,
        metavar="DIR",
        help="recordings of the target speaker (.wav/.flac, searched recursively, at most 100 used) for "
        "speaker similarity (default: the test recordings, each item's own speaker's where the test data "
        "names several)",
    )
    p.add_argument(
        "--speaker",
        default=None,
        metavar="NAME",
        help="say every test item as this speaker of a multi-speaker voice, by name or index (default: "
        "each item's own speaker where the test data names one, else the voice's first)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from fmtts.evaluate import main_evaluate

    return main_evaluate(args)
