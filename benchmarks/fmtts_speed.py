#!/usr/bin/env python3
"""fmtts on this machine: training steps/s and synthesis RTF per recipe, and the HiFi-GAN vocoder's RTF.

    python benchmarks/fmtts_speed.py [--configs small ljspeech] [--reps 5] [--threads 2]

Training: the recipe's own batch size and ``out_size`` on random data of 400-frame utterances
(100 tokens), forward + backward + AdamW step. Synthesis: 100 tokens forced to 500 frames (5.8 s of
audio), 10 Euler steps, batch 1. Vocoder: the universal HiFi-GAN V1 on that 500-frame mel. Medians of
``--reps`` runs after one warm-up. Writes ``benchmarks/results/fmtts_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import median_seconds as median_time  # noqa: E402
from _worker import train_batch  # noqa: E402

from fmtts.config import load_config  # noqa: E402
from fmtts.models.tts import FlowTTS  # noqa: E402
from fmtts.sampling import SamplerConfig  # noqa: E402

SECONDS_PER_FRAME = 256 / 22050


def measure_config(name: str, reps: int) -> dict:
    cfg = load_config(name)
    torch.manual_seed(0)
    model = FlowTTS(cfg.model, 178, -5.5, 2.1)
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    batch = train_batch(batch=cfg.train.batch_size)

    def step() -> None:
        model.train()
        losses = model(*batch)
        loss = losses["duration"] + losses["prior"] + losses["flow"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    t_step = median_time(step, reps)
    x = torch.randint(1, 178, (1, 100))
    durs = torch.full((1, 100), 5)

    @torch.inference_mode()
    def synth():
        model.eval()
        return model.synthesize(x, torch.tensor([100]), SamplerConfig(steps=10), durations=durs)

    t_synth = median_time(synth, reps)
    return {
        "config": name,
        "params": params,
        "batch_size": cfg.train.batch_size,
        "out_size": cfg.model.out_size,
        "train_step_s": t_step,
        "train_steps_per_s": 1 / t_step,
        "synth_s_500_frames": t_synth,
        "acoustic_rtf": t_synth / (500 * SECONDS_PER_FRAME),
    }


def measure_vocoder(reps: int) -> dict:
    from fmtts.vocoder import load_vocoder

    voc = load_vocoder("universal", device="cpu", backend="torch")
    mel = torch.randn(1, 80, 500) - 5.0
    t = median_time(lambda: voc(mel), reps)
    return {"vocoder": voc.name, "seconds_500_frames": t, "rtf": t / (500 * SECONDS_PER_FRAME)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--configs", nargs="+", default=["small", "ljspeech"])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "fmtts_speed.json"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    rows = [measure_config(c, args.reps) for c in args.configs]
    voc = measure_vocoder(args.reps)
    print("| recipe | params | batch × out_size | train step (s) | steps/s | acoustic RTF (10 steps) |")
    print("|---|---:|---|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['config']} | {r['params'] / 1e6:.1f} M | {r['batch_size']} × {r['out_size'] or 'full'} | "
            f"{r['train_step_s']:.2f} | {r['train_steps_per_s']:.2f} | {r['acoustic_rtf']:.3f} |"
        )
    print(f"\nvocoder {voc['vocoder']}: RTF {voc['rtf']:.3f} (500 frames, median of {args.reps})")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {"date": time.strftime("%Y-%m-%d"), "threads": args.threads, "rows": rows, "vocoder": voc},
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
