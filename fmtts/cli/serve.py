"""``fmtts serve``: the OpenAI-compatible HTTP speech server, optionally with Wyoming beside it."""

from __future__ import annotations

import argparse
import sys

from fmtts.cli.common import DEVICE_HELP, VOCODER_HELP, Subparsers


def add_parser(sub: Subparsers) -> None:
    from fmtts.server.service import DEFAULT_QUEUE, DEFAULT_QUEUE_TIMEOUT, DEFAULT_SLOTS

    p = sub.add_parser("serve", help="speech server: OpenAI-compatible HTTP and Wyoming (needs fmtts[serve])")
    p.add_argument("--host", default="127.0.0.1", help="HTTP address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    p.add_argument("--wyoming", default=None, metavar="URI", help="also serve Wyoming on tcp://HOST:PORT")
    p.add_argument(
        "--voice",
        action="append",
        help="embedded voice name (repeat for more; the first is the default); without --voice and "
        "--checkpoint: every embedded voice, the default voice first",
    )
    p.add_argument(
        "--checkpoint", action="append", help="voice or checkpoint file (repeatable; named by its stem)"
    )
    p.add_argument("--vocoder", default="auto", help=VOCODER_HELP)
    p.add_argument("--device", default="auto", help=DEVICE_HELP)
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
    p.set_defaults(func=run)


def voice_sources(voices: list[str] | None, checkpoints: list[str] | None) -> list[str]:
    """What the server speaks with: the voices and checkpoints named, else every embedded voice (the
    default voice first)."""
    from fmtts.api import DEFAULT_VOICE, embedded_voices

    named = [*(voices or []), *(checkpoints or [])]
    return named or [DEFAULT_VOICE, *(v for v in embedded_voices() if v != DEFAULT_VOICE)]


def run(args: argparse.Namespace) -> int:
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
    sources = voice_sources(args.voice, args.checkpoint)
    voices = {}
    for source in sources:
        path = resolve_voice(source)
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
