"""What several ``fmtts`` subcommands share: the synthesis options, their sampler, and user-error handling."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, Protocol

from fmtts.errors import FmttsError

if TYPE_CHECKING:
    from fmtts.sampling import SamplerConfig


class Subparsers(Protocol):
    """What a command module's ``add_parser`` gets: the object ``add_subparsers()`` returns."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


VOCODER_HELP = (
    "universal | ljspeech | griffinlim | an embedded fmtts vocoder's name | path to a vocoder trained by "
    "`fmtts train-vocoder` or to a HiFi-GAN generator checkpoint (default: auto = the one the voice names)"
)
DEVICE_HELP = "auto | cpu | cuda | cuda:N"

# Bad input, printed as one line (exit status 2, no traceback): fmtts's own user errors (FmttsError,
# each defined beside what raises it) and a path that is missing, taken or not readable.
USER_ERRORS: tuple[type[Exception], ...] = (
    FmttsError,
    FileNotFoundError,
    FileExistsError,
    IsADirectoryError,
    NotADirectoryError,
    PermissionError,
)


def add_synthesis_options(p: argparse.ArgumentParser) -> None:
    """The voice, sampler, vocoder and runtime options of ``synthesize``."""
    from fmtts.api import BACKENDS, DEFAULT_VOICE, embedded_voices

    p.add_argument(
        "--voice",
        "--checkpoint",
        dest="checkpoint",
        default=None,
        help=f"an embedded voice's name ({', '.join(embedded_voices())}), a .fmtts voice file or a torch "
        f"checkpoint (default: {DEFAULT_VOICE})",
    )
    from fmtts.sampling import SCHEDULES, SOLVERS, SamplerConfig

    d = SamplerConfig()
    p.add_argument(
        "--steps",
        type=int,
        default=d.steps,
        help="ODE steps (default: the voice's own, chosen when it was made; 4 for a voice not distilled)",
    )
    p.add_argument("--solver", choices=SOLVERS, default=d.solver)
    p.add_argument("--schedule", choices=SCHEDULES, default=d.schedule)
    p.add_argument(
        "--temperature",
        type=float,
        default=d.temperature,
        help=f"scale of the starting noise (default {d.temperature})",
    )
    p.add_argument(
        "--length-scale",
        type=float,
        default=d.length_scale,
        help=f"duration multiplier: >1 speaks slower, <1 faster (default {d.length_scale})",
    )
    p.add_argument(
        "--cfg-scale", type=float, default=d.cfg_scale, help="classifier-free guidance strength (0 = off)"
    )
    p.add_argument("--vocoder", default="auto", help=VOCODER_HELP)
    p.add_argument("--denoise", type=float, default=0.0, help="vocoder bias denoiser strength (0 = off)")
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default="auto",
        help="acoustic model runtime: onnx = ONNX Runtime (.fmtts voices, no torch needed); torch = .pt "
        "voices and checkpoints, GPUs (fmtts[train]); auto (default) = torch on CUDA, else onnx where the "
        "voice has a .fmtts form",
    )
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores, at most 8)")
    p.add_argument(
        "--vocoder-backend",
        choices=BACKENDS,
        default="auto",
        help="for torch vocoders: onnx = ONNX Runtime on CPU (same audio to ~1e-5); "
        "auto (default) = onnx on a CPU where it is installed, else torch",
    )
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument(
        "--precision",
        choices=["fp32", "bf16", "fp16"],
        default="fp32",
        help="acoustic model precision: bf16 is faster on AVX-512 BF16 CPUs and GPUs (default fp32)",
    )


def add_run_options(p: argparse.ArgumentParser) -> None:
    """What every training command takes to steer its run (``train._run_training`` hands it on)."""
    p.add_argument(
        "--resume", action="store_true", help="continue from the newest readable checkpoint in OUT"
    )
    p.add_argument(
        "--max-steps",
        type=int,
        default=None,
        help="stop at this step (the learning-rate schedule still follows train.max_steps)",
    )
    p.add_argument(
        "--max-minutes", type=float, default=None, help="stop (with a checkpoint) after this wall time"
    )
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a recipe value, e.g. train.lr=1e-4",
    )
    p.add_argument("--no-progress", action="store_true", help="log lines instead of a progress bar")


def sampler_from_args(args: argparse.Namespace) -> SamplerConfig:
    """The parsed synthesis options as the one :class:`~fmtts.sampling.SamplerConfig`."""
    from fmtts.api import TTS
    from fmtts.sampling import SamplerConfig

    return TTS.sampler_config(**{name: getattr(args, name) for name in SamplerConfig.field_names()})


def run_command(args: argparse.Namespace) -> int:
    """Run the parsed subcommand: a user error is one line on stderr and exit status 2, Ctrl-C is 130."""
    try:
        return args.func(args)
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
