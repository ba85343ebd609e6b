#!/usr/bin/env python3
"""Where one sentence's synthesis time goes: each stage alone against the whole call, in one process.

For each unseen sentence, warm, with the default voice and its defaults: ``TTS.synthesize`` as a user
calls it (and the acoustic and vocoder seconds it reports), then each stage run alone on that sentence's
own inputs: the text plan (normaliser, eSpeak, symbols), the acoustic pass (``Pipeline.acoustic_batch``:
encoder, durations, the flow's steps) and the vocoder. The order of the four rotates from sentence to
sentence, and each is the median of ``--reps``. Any gap between the stages' sum and the whole call is
what the pipeline adds (joining, copies, thread hand-offs).

    python benchmarks/stage_split.py [--n 30] [--reps 5] [--threads 2] [--voice joe] [--out FILE]

Needs only the runtime install (no torch). Run it with nothing else on the cores.
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import cpu_model  # noqa: E402
from _sentences import unseen_sentences  # noqa: E402
from _timing import median_seconds  # noqa: E402

from fmtts import TTS  # noqa: E402
from fmtts.pipeline import sampler_config  # noqa: E402
from fmtts.text.plan import SpeechChunk, plan_speech  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=30, help="unseen sentences")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--voice", default=None, help="voice name or file (default: the default voice)")
    ap.add_argument("--steps", type=int, default=None, help="flow steps (default: the voice's)")
    ap.add_argument("--out", default=None, help="JSON file for the results")
    args = ap.parse_args()

    tts = TTS.load(args.voice, threads=args.threads)
    pipe = tts.pipeline
    sampler = sampler_config(None, steps=args.steps) if args.steps else sampler_config(None)
    sentences = unseen_sentences(args.n + 1)
    tts.synthesize(sentences[0], seed=0)  # warm-up outside the set
    totals = {
        k: 0.0 for k in ("call", "call_acoustic", "call_vocoder", "plan", "acoustic", "vocoder", "audio")
    }
    for n, text in enumerate(sentences[1:]):
        plan = plan_speech(text, tts.text)
        chunks = [p for p in plan if isinstance(p, SpeechChunk)]
        ids = [c.ids for c in chunks]
        keys = list(range(len(chunks)))
        mels = [c.mel for c in pipe.acoustic_batch(ids, sampler, 0, keys)]
        reported: list[dict] = []

        def call(text=text, reported=reported):
            reported.append(tts.synthesize(text, seed=0, steps=args.steps).timings)

        stages = {
            "call": call,
            "plan": lambda text=text: plan_speech(text, tts.text),
            "acoustic": lambda ids=ids, keys=keys: pipe.acoustic_batch(ids, sampler, 0, keys),
            "vocoder": lambda mels=mels: [pipe.vocoder(m[None]) for m in mels],
        }
        names = list(stages)
        names = names[n % len(names) :] + names[: n % len(names)]  # rotate the order
        for name in names:
            totals[name] += median_seconds(stages[name], args.reps, warmup=False)
        totals["call_acoustic"] += statistics.median(r["acoustic_seconds"] for r in reported)
        totals["call_vocoder"] += statistics.median(r["vocoder_seconds"] for r in reported)
        totals["audio"] += sum(m.shape[1] for m in mels) * tts.mel_config.hop_length / tts.sample_rate
    audio = totals.pop("audio")
    rtf = {k: v / audio for k, v in totals.items()}
    stages_sum = rtf["plan"] + rtf["acoustic"] + rtf["vocoder"]
    doc = {
        "date": datetime.date.today().isoformat(),
        "machine": cpu_model(),
        "command": " ".join(sys.argv),
        "voice": str(tts.source),
        "threads": args.threads,
        "sentences": args.n,
        "audio_seconds": round(audio, 2),
        "rtf": {k: round(v, 5) for k, v in rtf.items()},
        "stages_alone_sum_rtf": round(stages_sum, 5),
        "call_over_stages": round(rtf["call"] / stages_sum, 3),
        "acoustic_in_call_over_alone": round(rtf["call_acoustic"] / rtf["acoustic"], 3),
    }
    print(json.dumps(doc, indent=1))
    if args.out:
        Path(args.out).write_text(json.dumps(doc, indent=1))
    if not np.isfinite(list(rtf.values())).all():
        raise SystemExit("a stage did not time")


if __name__ == "__main__":
    main()
