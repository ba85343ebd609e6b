"""``fmtts synthesize``: text → audio files, a text file's lines → a folder of them, or raw PCM to stdout."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fmtts.cli.common import Subparsers, add_synthesis_options, sampler_from_args

if TYPE_CHECKING:
    from fmtts.api import TTS


def add_parser(sub: Subparsers) -> None:
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
    add_synthesis_options(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
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
    speaker = args.speaker  # a name, or an index (TTS.speaker_id)
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


def _stream_raw(tts: TTS, text: str, opts: dict[str, Any]) -> int:
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
