"""The options of ``fmtts evaluate`` as one typed dataclass, parsed once from the command line."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from fmtts.evaluate.items import EvaluationError
from fmtts.sampling import MAX_STEPS, SOLVERS, SamplerConfig

# what synthesis samples with unless told otherwise: an evaluation without options scores what users get
SAMPLING = SamplerConfig()


def _parse_list(value, cast, what: str) -> list:
    if isinstance(value, (list, tuple)):
        raw = list(value)
    else:
        raw = [x.strip() for x in str(value).split(",") if x.strip()]
    try:
        out = [cast(x) for x in raw]
    except ValueError as exc:
        raise EvaluationError(f"bad {what} list {value!r}: {exc}") from None
    if not out:
        raise EvaluationError(f"empty {what} list")
    return list(dict.fromkeys(out))


@dataclass
class EvalOptions:
    """What to evaluate; the sampling sweeps (``steps``, ``solvers``, ``temperatures``) default to
    synthesis's own defaults (:class:`fmtts.sampling.SamplerConfig`)."""

    data: str
    out: str
    checkpoints: list[str | None] = field(default_factory=lambda: [None])  # None: the embedded voice
    filelist: str | None = None
    limit: int | None = None
    steps: list[int | None] = field(default_factory=lambda: [SAMPLING.steps])  # None: the voice's own
    solvers: list[str] = field(default_factory=lambda: [SAMPLING.solver])
    temperatures: list[float] = field(default_factory=lambda: [SAMPLING.temperature])
    asr: str = "whisper"
    asr_device: str = "cpu"
    asr_compute_type: str = "auto"
    device: str = "auto"
    vocoder: str = "auto"
    vocoder_precision: str = "auto"
    copy_vocoders: list[str] = field(default_factory=list)
    copy_only: bool = False
    seed: int = 1234
    batch_size: int = 8
    l1: bool = True
    save_audio: bool = False
    dnsmos: bool | None = None  # None: when installed
    hnr: bool | None = None
    speaker_similarity: bool | None = None  # None: when resemblyzer is installed
    speaker_reference: str | None = None  # a folder of the target speaker's recordings (default: the test's)
    speaker: str | None = None  # every item spoken as this speaker (name or index; default: each item's own)

    def __post_init__(self) -> None:
        if any(s is not None and not 1 <= s <= MAX_STEPS for s in self.steps):
            raise EvaluationError(f"steps must be from 1 to {MAX_STEPS}, got {self.steps}")
        bad = [s for s in self.solvers if s not in SOLVERS]
        if bad:
            raise EvaluationError(f"unknown solver(s) {bad}: use {', '.join(SOLVERS)}")
        self.batch_size = max(1, int(self.batch_size or 8))

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> EvalOptions:
        """The parsed command line (comma lists split and typed here, once)."""

        def opt(name: str, default=None):
            value = getattr(args, name, None)
            return default if value is None else value

        return cls(
            data=args.data,
            out=args.out,
            checkpoints=_parse_list(args.checkpoint, str, "checkpoint") if opt("checkpoint") else [None],
            filelist=opt("filelist"),
            limit=opt("limit"),
            steps=_parse_list(args.steps, int, "steps") if opt("steps") else [SAMPLING.steps],
            solvers=_parse_list(opt("solver", SAMPLING.solver), str, "solver"),
            temperatures=_parse_list(opt("temperature", SAMPLING.temperature), float, "temperature"),
            asr=opt("asr", "whisper"),
            asr_device=opt("asr_device", "cpu"),
            asr_compute_type=opt("asr_compute_type", "auto"),
            device=opt("device", "auto"),
            vocoder=opt("vocoder", "auto"),
            vocoder_precision=opt("vocoder_precision", "auto"),
            copy_vocoders=_parse_list(args.copy_vocoders, str, "copy vocoders")
            if opt("copy_vocoders")
            else [],
            copy_only=bool(opt("copy_only", False)),
            seed=int(opt("seed", 1234)),
            batch_size=opt("batch_size", 8),
            l1=bool(opt("l1", True)),
            save_audio=bool(opt("save_audio", False)),
            dnsmos=getattr(args, "dnsmos", None),
            hnr=getattr(args, "hnr", None),
            speaker_similarity=getattr(args, "speaker_similarity", None),
            speaker_reference=getattr(args, "speaker_reference", None),
            speaker=getattr(args, "speaker", None),
        )
