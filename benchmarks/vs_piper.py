#!/usr/bin/env python3
"""fmtts against Piper on this CPU: end-to-end speed and quality on the same sentences, and vocoder speed.

    python benchmarks/vs_piper.py [--n 50] [--threads 2] [--reps 3] [--fmtts-vocoder NAME|PATH] [--steps N]
                                  [--fmtts-vocoder-backend auto|torch|onnx]

1. End to end, interleaved sentence by sentence after a warm-up of each: fmtts (the default voice with
   default options unless told otherwise) and piper ``en_US-joe-medium`` (the demo corpus's source voice),
   text in, waveform out, in one process with the same thread count. RTF = total time / total audio.
   Each system's audio is then scored: Whisper-base WER and DNSMOS P.808 / P.835 OVRL.
2. Vocoder only, on the fmtts mels of the same sentences: HiFi-GAN V1 universal fp32 and bf16 (bf16 only
   on CPUs with native bf16) and every ``--vocoders`` entry, interleaved round-robin, medians of ``--reps``.

The sentences are unseen by the default voice and by the demo vocoder: the last prompts of the demo corpus's
seeded prompt order (the corpus renders the first ones). Needs fmtts[corpus,eval].
Writes ``benchmarks/results/vs_piper.json``.
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
from _sentences import unseen_sentences

from fmtts.devices import cpu_has_native_bf16
from fmtts.vocoder import BACKENDS, DEFAULT_BACKEND


class Piper:
    def __init__(self) -> None:
        from piper import PiperVoice

        from fmtts.corpus.build import joe_voice_paths

        model, config = joe_voice_paths()
        self.voice = PiperVoice.load(model, config)
        self.sample_rate = self.voice.config.sample_rate

    def __call__(self, text: str) -> np.ndarray:
        return np.concatenate([c.audio_float_array for c in self.voice.synthesize(text)])


def vocoder_only(mels: list[torch.Tensor], tts, args: argparse.Namespace) -> list[dict]:
    """Vocoder-only RTF on fmtts's mels: HiFi-GAN V1 (fp32, bf16 where native), the voice's own vocoder
    and ``--vocoders``, interleaved, median of ``--reps``."""
    from fmtts.vocoder import load_vocoder

    hifigan = load_vocoder("universal", device="cpu")
    variants = {"HiFi-GAN V1 universal fp32": lambda m: hifigan(m)}
    if cpu_has_native_bf16():

        def hifigan_bf16(m: torch.Tensor) -> torch.Tensor:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                return hifigan(m)

        variants["HiFi-GAN V1 universal bf16"] = hifigan_bf16
    extra = [v for v in args.vocoders.split(",") if v] + ([] if tts.vocoder is hifigan else [tts.vocoder])
    for v in extra:
        voc = load_vocoder(v, device="cpu") if isinstance(v, str) else v
        variants[voc.name.replace(" (embedded)", "") + f" {getattr(voc, 'precision', 'fp32')}"] = voc
    audio_seconds = sum(m.shape[-1] for m in mels) * tts.mel_config.hop_length / tts.sample_rate
    times: dict[str, list[float]] = {k: [] for k in variants}
    for f in variants.values():
        f(mels[0])
    for _ in range(args.reps):
        for k, f in variants.items():
            t0 = time.perf_counter()
            for m in mels:
                f(m)
            times[k].append(time.perf_counter() - t0)
    base = statistics.median(times["HiFi-GAN V1 universal fp32"])
    return [
        {
            "vocoder": k,
            "rtf": statistics.median(v) / audio_seconds,
            "speedup_vs_v1_fp32": base / statistics.median(v),
            "runs_s": v,
        }
        for k, v in times.items()
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=50, help="number of sentences")
    ap.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--reps", type=int, default=3, help="repetitions of the vocoder-only timing")
    ap.add_argument("--fmtts-vocoder", default=None, help="vocoder for fmtts (default: the voice's own)")
    ap.add_argument("--fmtts-vocoder-backend", default=DEFAULT_BACKEND, choices=BACKENDS)
    ap.add_argument("--steps", type=int, default=None, help="ODE steps for fmtts (default: API default)")
    ap.add_argument(
        "--vocoders", default="", help="more vocoders for the vocoder-only table, comma-separated"
    )
    ap.add_argument("--no-quality", action="store_true", help="timing only (no ASR or DNSMOS)")
    ap.add_argument("--no-vocoder-table", action="store_true", help="end to end only")
    ap.add_argument(
        "--ceil-durations",
        action="store_true",
        help="reproduce the old duration rule (every token rounded up) for a before/after comparison",
    )
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "vs_piper.json"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))

    from fmtts import TTS

    if args.ceil_durations:
        import fmtts.models.tts as acoustic  # the name synthesis looks up

        def ceil_frames(logw: torch.Tensor, mask: torch.Tensor, length_scale: float = 1.0) -> torch.Tensor:
            return (torch.ceil(torch.exp(logw) * length_scale) * mask).long()

        acoustic.frames_from_log_durations = ceil_frames

    texts = unseen_sentences(args.n)
    tts = TTS.load(
        device="cpu",
        backend="torch" if args.ceil_durations else "auto",  # the old rule patches the torch model
        threads=args.threads,
        vocoder_backend=args.fmtts_vocoder_backend,
        **({"vocoder": args.fmtts_vocoder} if args.fmtts_vocoder else {}),
    )
    piper = Piper()
    if args.ceil_durations:  # the old rule had no per-voice duration scale either
        tts.model.duration_scale.fill_(1.0)
    opts = {} if args.steps is None else {"steps": args.steps}
    print(f"fmtts voice: {tts.source}; vocoder: {tts.vocoder.name}; options {opts or 'default'}")

    # ---- end to end, interleaved -------------------------------------------------------------------
    tts.synthesize(texts[0], seed=0, **opts)  # warm-ups, untimed
    piper(texts[0])
    e2e = {
        "fmtts": {"seconds": 0.0, "audio": 0.0, "wavs": []},
        "piper": {"seconds": 0.0, "audio": 0.0, "wavs": []},
    }
    mels = []
    for i, text in enumerate(texts):
        t0 = time.perf_counter()
        res = tts.synthesize(text, seed=i, **opts)
        e2e["fmtts"]["seconds"] += time.perf_counter() - t0
        e2e["fmtts"]["audio"] += len(res.audio) / tts.sample_rate
        e2e["fmtts"]["wavs"].append(res.audio)
        mels.append(torch.from_numpy(np.ascontiguousarray(res.mel)))
        t0 = time.perf_counter()
        wav = piper(text)
        e2e["piper"]["seconds"] += time.perf_counter() - t0
        e2e["piper"]["audio"] += len(wav) / piper.sample_rate
        e2e["piper"]["wavs"].append(wav)
    rates = {"fmtts": tts.sample_rate, "piper": piper.sample_rate}

    quality: dict[str, dict] = {}
    if not args.no_quality:
        from fmtts.evaluate.asr import load_asr
        from fmtts.evaluate.metrics import word_counts
        from fmtts.evaluate.naturalness import dnsmos

        asr = load_asr("whisper", device="cpu")
        for name, r in e2e.items():
            words = None
            scores = []
            for text, wav in zip(texts, r["wavs"], strict=True):
                c = word_counts(text, asr.transcribe(wav, rates[name]))
                words = c if words is None else words + c
                scores.append(dnsmos(wav, rates[name]))
            quality[name] = {
                "wer": words.rate,
                "p808_mos": float(np.mean([s["p808_mos"] for s in scores])),
                "ovrl_mos": float(np.mean([s["ovrl_mos"] for s in scores])),
            }

    # ---- vocoder only, on the same mels ---------------------------------------------------------------
    vocoder_rows = [] if args.no_vocoder_table else vocoder_only(mels, tts, args)

    # ---- report --------------------------------------------------------------------------------------
    print(f"\n{len(texts)} sentences, {args.threads} threads, CPU native bf16: {bool(cpu_has_native_bf16())}")
    print("| system | end-to-end RTF | audio s | WER % | DNSMOS P.808 | DNSMOS OVRL |")
    print("|---|---:|---:|---:|---:|---:|")
    rows = []
    for name, r in e2e.items():
        q = quality.get(name, {})
        row = {"system": name, "rtf": r["seconds"] / r["audio"], "audio_seconds": r["audio"], **q}
        rows.append(row)

        def f(key: str, fmt: str, scale: float = 1.0, q=q) -> str:
            return fmt.format(q[key] * scale) if key in q else "—"

        print(
            f"| {name} | {row['rtf']:.4f} | {r['audio']:.1f} | {f('wer', '{:.1f}', 100)} | "
            f"{f('p808_mos', '{:.2f}')} | {f('ovrl_mos', '{:.2f}')} |"
        )
    print(f"\nfmtts / piper end-to-end RTF: {rows[0]['rtf'] / rows[1]['rtf']:.2f}")
    if vocoder_rows:
        print("\n| vocoder (fmtts mels of the same sentences) | RTF | speed-up vs V1 fp32 |")
        print("|---|---:|---:|")
    for v in vocoder_rows:
        print(f"| {v['vocoder']} | {v['rtf']:.4f} | {v['speedup_vs_v1_fp32']:.1f}× |")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "date": time.strftime("%Y-%m-%d %H:%M"),
                "threads": args.threads,
                "native_bf16": bool(cpu_has_native_bf16()),
                "n_sentences": len(texts),
                "fmtts_voice": tts.source,
                "fmtts_vocoder": tts.vocoder.name,
                "fmtts_options": opts,
                "duration_rule": "ceil (old)" if args.ceil_durations else "cumulative rounding",
                "end_to_end": rows,
                "vocoder_only": vocoder_rows,
            },
            indent=2,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
