#!/usr/bin/env python3
"""HiFi-GAN V1 (universal) and fmtts's own vocoder on this CPU: ways to run each, same mels.

    python benchmarks/vocoder_speed.py [--reps 5] [--threads 2] [--frames 500] [--ours PATH]

Variants, interleaved round-robin after a warm-up (medians of ``--reps``):
  fp32            HiFi-GAN generator, weight norm folded, inference mode
  bf16            the same under torch.autocast("cpu", bfloat16)
  onnxruntime     exported with torch.onnx (dynamo=False), run by ONNX Runtime, same thread count
  ours fp32 / ours bf16 / ours onnxruntime: the same three for fmtts's vocoder (``--ours``: a file from
                  ``fmtts export-vocoder`` or an embedded vocoder's name; left out when there is none)
Speed-ups are against HiFi-GAN fp32. Each output is compared with its own network's fp32 output:
relative error = ||y − y_fp32|| / ||y_fp32||.
The input is a real log-mel (eSpeak NG speech through our mel frontend), so the output is speech.
Writes ``benchmarks/results/vocoder_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from fmtts.devices import cpu_has_native_bf16
from fmtts.vocoder import EMBEDDED_VOCODERS, load_vocoder

SECONDS_PER_FRAME = 256 / 22050


def speech_mel(frames: int) -> torch.Tensor:
    """A real mel: the default voice's own output if available, tiled to ``frames``."""
    from fmtts import TTS

    out = TTS.load(device="cpu", vocoder="griffinlim").synthesize(
        "The quick brown fox jumps over the lazy dog, and then it runs far away into the woods.", seed=0
    )
    mel = np.tile(out.mel, (1, frames // out.mel.shape[1] + 1))[:, :frames]
    return torch.from_numpy(np.ascontiguousarray(mel))[None]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--frames", type=int, default=500)
    ap.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="time bf16 autocast too (default: only on CPUs with native bf16)",
    )
    ap.add_argument("--ours", default=None, help="fmtts vocoder file or embedded name (default: embedded)")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "vocoder_speed.json"))
    args = ap.parse_args()
    if args.bf16 is None:
        args.bf16 = bool(cpu_has_native_bf16())
        if not args.bf16:
            print("no native bf16 on this CPU: the bf16 variant is left out (--bf16 to time it anyway)")
    torch.set_num_threads(args.threads)
    voc = load_vocoder("universal", device="cpu", backend="torch")
    mel = speech_mel(args.frames)

    def fp32() -> torch.Tensor:
        return voc(mel).flatten()

    def bf16() -> torch.Tensor:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return voc(mel).flatten().float()

    variants = {"fp32": fp32}
    reference = {"fp32": "fp32"}
    if args.bf16:
        variants["bf16"] = bf16
        reference["bf16"] = "fp32"
    try:  # the shipped backend: exported once into the user cache, run by ONNX Runtime
        onnx_voc = load_vocoder("universal", device="cpu", backend="onnx")
        variants["onnxruntime"] = lambda: onnx_voc(mel).flatten()
        reference["onnxruntime"] = "fp32"
    except Exception as exc:  # onnx/onnxruntime missing or export failure: report, keep going
        print(f"onnxruntime variant skipped: {exc}")
    ours = args.ours or next(iter(EMBEDDED_VOCODERS), None)
    if ours is not None:
        for precision, backend, name in (
            ("fp32", "torch", "ours fp32"),
            *([("bf16", "torch", "ours bf16")] if args.bf16 else []),
            ("fp32", "onnx", "ours onnxruntime"),
        ):
            try:
                v = load_vocoder(ours, device="cpu", backend=backend, precision=precision)
            except Exception as exc:
                print(f"{name} skipped: {exc}")
                continue
            variants[name] = lambda v=v: v(mel).flatten()
            reference[name] = "ours fp32"
        print(f"ours: {ours}")

    outputs = {k: f() for k, f in variants.items()}
    times: dict[str, list[float]] = {k: [] for k in variants}
    errors = {}
    for k, y in outputs.items():
        ref = outputs[reference[k]]
        errors[k] = float(torch.linalg.vector_norm(y - ref) / torch.linalg.vector_norm(ref))
    for _ in range(args.reps):
        for k, f in variants.items():
            t0 = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t0)
    audio_s = args.frames * SECONDS_PER_FRAME
    rows = []
    base = statistics.median(times["fp32"])
    print(
        f"HiFi-GAN universal, {args.frames} frames ({audio_s:.1f} s), {args.threads} threads, "
        f"median of {args.reps}"
    )
    print("| variant | RTF | speed-up vs HiFi-GAN fp32 | relative error vs its fp32 |")
    print("|---|---:|---:|---:|")
    for k in variants:
        med = statistics.median(times[k])
        rows.append(
            {
                "variant": k,
                "seconds": med,
                "rtf": med / audio_s,
                "speedup": base / med,
                "rel_error": errors[k],
            }
        )
        print(f"| {k} | {med / audio_s:.3f} | {base / med:.2f}× | {errors[k]:.1e} |")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "date": time.strftime("%Y-%m-%d"),
                "threads": args.threads,
                "frames": args.frames,
                "ours": ours,
                "rows": rows,
                "runs": times,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
