"""``fmtts export`` and ``fmtts export-vocoder``: training checkpoints → the files synthesis loads.

A ``.fmtts`` voice or ``.onnx`` vocoder (the torch-free runtime's forms) is made from a torch export staged
in a temporary folder.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fmtts.cli.common import Subparsers
from fmtts.errors import FmttsError
from fmtts.graph_weights import WEIGHT_DTYPES

DTYPE_HELP = (
    "how weights are stored (default fp16); int8 (one scale per output channel) and int4 (one scale per 32 "
    "values), both computed in fp32, are for the runtime's .fmtts and .onnx files only"
)


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser(
        "export",
        help="training checkpoint → voice: OUT.fmtts for the runtime (ONNX graphs), OUT.pt for torch",
    )
    p.add_argument("checkpoint")
    p.add_argument("output")
    p.add_argument("--dtype", choices=WEIGHT_DTYPES, default="fp16", help=DTYPE_HELP)
    p.add_argument("--vocoder", default=None, help="the vocoder this voice is made for (name or path)")
    p.add_argument(
        "--default-steps",
        type=int,
        default=None,
        help="(.fmtts) the step count synthesis uses when not told (default: the largest distilled, else 4)",
    )
    p.add_argument(
        "--calibrate-on",
        default=None,
        metavar="PREPARED",
        help="set the voice's duration scale so it speaks as long as the train split of PREPARED",
    )
    p.set_defaults(func=run_export)

    p = sub.add_parser(
        "export-vocoder",
        help="vocoder checkpoint or name → OUT.onnx for the runtime, OUT.pt generator file (or a warm start)",
    )
    p.add_argument("checkpoint")
    p.add_argument("output")
    p.add_argument("--dtype", choices=WEIGHT_DTYPES, default="fp16", help=DTYPE_HELP)
    p.add_argument(
        "--with-discriminators",
        action="store_true",
        help="keep the discriminators too: a small warm start for train-vocoder --init-from",
    )
    p.set_defaults(func=run_export_vocoder)


def run_export(args: argparse.Namespace) -> int:
    import tempfile

    from fmtts.export import export_voice
    from fmtts.runtime.voice_file import SUFFIX

    out = Path(args.output)
    if out.suffix.lower() == ".onnx":
        raise FmttsError(f"{out}: .onnx is a vocoder's runtime form: `fmtts export-vocoder` writes it")
    options = dict(vocoder=args.vocoder, calibrate_on=args.calibrate_on)
    if out.suffix == SUFFIX:  # the runtime's form: the torch voice first, then its ONNX graphs
        from fmtts.onnx_export import export_voice_file

        with tempfile.TemporaryDirectory() as tmp:
            staged = export_voice(
                args.checkpoint, Path(tmp) / "voice.pt", dtype=_staged(args.dtype), **options
            )
            vocoder = args.vocoder or _checkpoint_vocoder(Path(args.checkpoint))
            path = export_voice_file(
                staged, out, weights=args.dtype, vocoder=vocoder, default_steps=args.default_steps
            )
    else:
        _torch_dtype(args.dtype, out)
        path = export_voice(args.checkpoint, out, dtype=args.dtype, **options)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def _staged(dtype: str) -> str:
    """The torch file a runtime export is made from: fp16 for an fp16 file, else fp32 (int8 and int4 are
    rounded from the exact weights)."""
    return "fp16" if dtype == "fp16" else "fp32"


def _torch_dtype(dtype: str, out: Path) -> None:
    if dtype in ("int8", "int4"):
        raise FmttsError(
            f"{out}: {dtype} weights are for the runtime's forms (.fmtts voices, .onnx vocoders)"
        )


def _checkpoint_vocoder(checkpoint: Path) -> str:
    from fmtts.api import voice_vocoder
    from fmtts.torch_backend import load_voice_checkpoint

    return voice_vocoder(checkpoint, load_voice_checkpoint(checkpoint))


def run_export_vocoder(args: argparse.Namespace) -> int:
    import tempfile

    from fmtts.vocoder import export_vocoder

    out = Path(args.output)
    if out.suffix == ".onnx":  # the runtime's form (fp32 compute whatever the weights' storage)
        from fmtts.onnx_export import export_vocoder_onnx
        from fmtts.vocoder import VOCODER_NAMES

        if args.checkpoint.lower() in VOCODER_NAMES:
            path = export_vocoder_onnx(args.checkpoint, out, weights=args.dtype)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                staged = export_vocoder(
                    args.checkpoint, Path(tmp) / f"{out.stem}.pt", dtype=_staged(args.dtype)
                )
                path = export_vocoder_onnx(staged, out, weights=args.dtype)
    else:
        _torch_dtype(args.dtype, out)
        path = export_vocoder(args.checkpoint, out, dtype=args.dtype, discriminators=args.with_discriminators)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0
