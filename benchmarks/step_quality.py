"""Quality per sampling step count: voices × step counts × seeds on the same unseen sentences.

Whisper-base WER, DNSMOS P.808 (and OVRL), Praat HNR over voiced frames, and RTF as a user gets it
(``TTS.load(voice).synthesize(text, steps=N, seed=s)`` with the voice's defaults otherwise), on the
unseen sentences of ``benchmarks/_sentences.py``; several seeds because a one-step sampler's quality
depends on its noise. Paired per sentence: each row's DNSMOS difference against the first row.
Needs fmtts[eval]. Writes ``benchmarks/results/step_quality.json``.

    python benchmarks/step_quality.py --voices joe,~/distilled.fmtts --steps 1,2,4 --seeds 0,1,2 --n 100

``--vocoders auto,~/other.onnx`` scores each voice through each vocoder ("auto": the one the voice names);
``VOICE@1/2`` takes those step counts for that voice instead of ``--steps``. The voice ``hibari`` is
hibari-tts's ``heart`` as its users get it (``Hibari(threads=N)(text, seed=s)``, 24 kHz), scored the same
way. ``--similarity-to hibari`` adds each row's Resemblyzer speaker similarity to the mean embedding of
hibari's renderings of ``--n`` other unseen sentences (the heart voice's reference; needs hibari-tts).
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _sentences import unseen_sentences  # noqa: E402

REFERENCE_SEED = 1_000_000  # hibari's reference renderings: seeds no scored row uses (rows: seed·10,000 + i)


def hibari_speaker(model):
    """(text, steps, seed) → (audio, sample rate) from hibari's heart (no step count: ``steps`` is None)."""
    return lambda text, steps, seed: (np.asarray(model(text, seed=seed), np.float32), int(model.sample_rate))


def fmtts_speaker(tts):
    """(text, steps, seed) → (audio, sample rate) from an fmtts voice as ``TTS.synthesize`` gives it."""

    def speak(text: str, steps: int | None, seed: int) -> tuple[np.ndarray, int]:
        out = tts.synthesize(text, steps=steps, seed=seed)
        return out.audio, out.sample_rate

    return speak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--voices", default="joe", help="comma-separated voice names or files")
    ap.add_argument("--vocoders", default="auto", help="comma-separated vocoder names or files")
    ap.add_argument("--steps", default="1,2,4")
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--n", type=int, default=100, help="number of sentences")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--similarity-to", choices=["hibari"], default=None, help="speaker similarity reference")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "step_quality.json"))
    args = ap.parse_args()

    from fmtts import TTS
    from fmtts.evaluate.asr import load_asr
    from fmtts.evaluate.metrics import word_counts
    from fmtts.evaluate.naturalness import dnsmos, harmonics_to_noise_db

    texts = unseen_sentences(args.n)
    steps = [int(s) for s in args.steps.split(",")]
    seeds = [int(s) for s in args.seeds.split(",")]
    asr = load_asr("whisper", device="cpu")
    hibari = None
    if "hibari" in [v.partition("@")[0] for v in args.voices.split(",")] or args.similarity_to == "hibari":
        from hibari import Hibari

        hibari = Hibari(threads=args.threads)
    similarity = None
    if args.similarity_to == "hibari":
        from fmtts.evaluate.speaker import SpeakerSimilarity

        # other sentences than the scored ones: hibari's own row would otherwise meet its sentence again
        others = unseen_sentences(2 * args.n)[: args.n]
        renders = [hibari(text, seed=REFERENCE_SEED + i) for i, text in enumerate(others)]
        similarity = SpeakerSimilarity(renders, hibari.sample_rate, description="hibari heart's renderings")
    rows = []
    combos = [(v, voc) for v in args.voices.split(",") for voc in args.vocoders.split(",")]
    for entry, vocoder in combos:
        voice, _, own_steps = entry.partition("@")
        if voice == "hibari":
            if own_steps:
                ap.error("hibari has no step count: give it as 'hibari'")
            if vocoder != args.vocoders.split(",")[0]:
                continue  # one row: hibari has its own output stage
            vocoder = "—"
            speak, source, shortcut, counts = hibari_speaker(hibari), "hibari-tts heart", (), [None]
        else:
            tts = TTS.load(voice, vocoder=vocoder, threads=args.threads)
            speak, source, shortcut = fmtts_speaker(tts), tts.source, tts.shortcut_steps
            counts = [int(k) for k in own_steps.split("/")] if own_steps else steps
        speak(texts[0], None, 0)  # warm
        for n in counts:
            per_seed = []
            for seed in seeds:
                errors = words = 0
                mos, ovrl, hnr, sims, compute, audio = [], [], [], [], 0.0, 0.0
                for i, text in enumerate(texts):
                    t0 = time.perf_counter()
                    wav, rate = speak(text, n, seed * 10_000 + i)
                    compute += time.perf_counter() - t0
                    audio += len(wav) / rate
                    c = word_counts(text, asr.transcribe(wav, rate))
                    errors, words = errors + c.errors, words + c.ref_length
                    d = dnsmos(wav, rate)
                    mos.append(d["p808_mos"])
                    ovrl.append(d["ovrl_mos"])
                    h = harmonics_to_noise_db(wav, rate)
                    if h is not None:
                        hnr.append(h)
                    sim = similarity(wav, rate) if similarity is not None else None
                    if sim is not None:
                        sims.append(sim)
                per_seed.append(
                    {
                        "seed": seed,
                        "wer": errors / words,
                        "dnsmos": statistics.mean(mos),
                        "ovrl": statistics.mean(ovrl),
                        "hnr_db": statistics.mean(hnr),
                        "rtf": compute / audio,
                        **({"similarity": statistics.mean(sims)} if sims else {}),
                        "dnsmos_per_sentence": mos,
                    }
                )
                summary = {k: v for k, v in per_seed[-1].items() if k != "dnsmos_per_sentence"}
                print(f"{voice} ({vocoder}) steps {n} seed {seed}: {json.dumps(summary)}", flush=True)
            rows.append(
                {
                    "voice": voice,
                    "vocoder": vocoder,
                    "source": source,
                    "steps": n,
                    "shortcut": n in shortcut,
                    "seeds": per_seed,
                }
            )
    base = [m for s in rows[0]["seeds"] for m in s["dnsmos_per_sentence"]]
    print(
        "\n| voice | vocoder | steps | WER % | DNSMOS P.808 | OVRL | HNR dB | similarity | RTF "
        "| Δ DNSMOS, paired |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        s = r["seeds"]
        mine = [m for x in s for m in x["dnsmos_per_sentence"]]
        diffs = [a - b for a, b in zip(mine, base, strict=True)]
        r["paired_dnsmos_vs_first"] = {
            "mean": statistics.mean(diffs),
            "sem": statistics.stdev(diffs) / len(diffs) ** 0.5 if len(diffs) > 1 else 0.0,
            "better": sum(d > 0 for d in diffs) / len(diffs),
        }
        for key in ("wer", "dnsmos", "ovrl", "hnr_db", "rtf", "similarity"):
            vals = [x[key] for x in s if key in x]
            if vals:
                r[key] = {"mean": statistics.mean(vals), "min": min(vals), "max": max(vals)}
        p = r["paired_dnsmos_vs_first"]
        sim = f"{r['similarity']['mean']:.3f}" if "similarity" in r else "—"
        print(
            f"| {Path(r['voice']).name} | {Path(r['vocoder']).name} | "
            f"{r['steps'] or '—'}{' (distilled)' if r['shortcut'] else ''} | "
            f"{100 * r['wer']['mean']:.2f} | {r['dnsmos']['mean']:.3f} | {r['ovrl']['mean']:.3f} | "
            f"{r['hnr_db']['mean']:.2f} | {sim} | {r['rtf']['mean']:.4f} | "
            f"{p['mean']:+.3f} ± {p['sem']:.3f} |"
        )
    result = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "n_sentences": len(texts),
        "threads": args.threads,
        "rows": rows,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
