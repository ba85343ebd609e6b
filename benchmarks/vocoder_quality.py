#!/usr/bin/env python3
"""Vocoders judged by what is heard, side by side: copy synthesis of the same audio through each, scored by
DNSMOS (P.808, P.835 OVRL) and Whisper-base WER, with per-utterance pairing and the ASR judge's own noise.

    python benchmarks/vocoder_quality.py --vocoders universal,fmtts-joe[,PATH...] [--n 100] [--skip 50]
                                          [--data CORPUS --filelist LIST] [--draws 5] [--out JSON]

Source audio: piper ``en_US-joe-medium`` speaking ``--n`` sentences that neither the demo corpus nor
``vs_piper.py`` uses (the demo prompt order's last ``--skip + --n`` minus its last ``--skip``), or, with
``--data``/``--filelist``, recordings (an LJSpeech-format folder and an ``id|text`` list, as ``fmtts
evaluate`` reads them). The source itself is scored as the first row.

Each vocoder runs on torch in fp32 (as ``fmtts evaluate``'s copy rows); ``ort:PATH`` runs an ONNX graph as
it is on ONNX Runtime instead (e.g. one with int8 arithmetic, which torch cannot load). The first vocoder is
the reference of the paired DNSMOS differences (mean ± standard error over utterances, and on how many it
is higher).

Whisper's beam search flips words on inaudible changes (the same vocoder on ONNX Runtime and on torch,
audio equal to ~1e-5, gave 6 different transcripts of 33), so word errors of a few words are not a
vocoder property. ``--draws K`` transcribes every clip K times: once as it is and K-1 times with a
white-noise floor 80 dB below full scale (a different seed each draw); the table gives the errors of the
clean draw and their mean ± sd over the draws, the judge's noise next to the differences between vocoders.
Needs fmtts[corpus,eval]. Writes ``--out`` (default ``benchmarks/results/vocoder_quality.json``).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import numpy as np
import torch
from vs_piper import Piper, unseen_sentences

NOISE_DBFS = -80.0


def source_audio(args: argparse.Namespace) -> tuple[str, list[str], list[str], list[np.ndarray], int]:
    """(source name, ids, texts, waveforms, sample rate)."""
    if args.data:
        from fmtts.audio import load_audio
        from fmtts.evaluate.items import read_test_items

        items = read_test_items(args.data, args.filelist, limit=args.n)
        wavs = [load_audio(it.wav, 22050) for it in items]
        return "recordings", [it.utt_id for it in items], [it.text for it in items], wavs, 22050
    texts = unseen_sentences(args.n + args.skip)[: args.n]
    piper = Piper()
    ids = [f"s{i:03d}" for i in range(len(texts))]
    return "piper", ids, texts, [piper(t) for t in texts], piper.sample_rate


def onnx_graph(path: str, threads: int):
    """``ort:PATH``: an ONNX vocoder run as it is on ONNX Runtime (one torch cannot load, such as a graph
    with int8 arithmetic), through the runtime's loader (its mel settings, output clamped to [-1, 1])."""
    from fmtts.runtime.vocoder import OnnxVocoderFile

    voc = OnnxVocoderFile(Path(path).expanduser(), threads)

    def vocode(mel: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(voc(mel.numpy()))

    vocode.name, vocode.mel_config = voc.name, voc.mel_config
    return vocode


def copy_synthesis(
    name: str, wavs: list[np.ndarray], sample_rate: int, threads: int
) -> tuple[str, list[np.ndarray], int]:
    from fmtts.audio import resample
    from fmtts.mel import MelSpectrogram
    from fmtts.vocoder import load_vocoder

    if name.startswith("ort:"):
        voc = onnx_graph(name[len("ort:") :], threads)
    else:
        voc = load_vocoder(name, device="cpu", backend="torch", precision="fp32")
    cfg = voc.mel_config
    mel = MelSpectrogram(cfg)
    out = []
    with torch.inference_mode():
        for w in wavs:
            x = resample(w, sample_rate, cfg.sample_rate)  # a no-op at the same rate
            out.append(voc(mel(torch.from_numpy(np.ascontiguousarray(x)).float())).float().numpy().squeeze())
    return voc.name, out, cfg.sample_rate


def score(texts: list[str], wavs: list[np.ndarray], sr: int, asr, draws: int) -> dict:
    from fmtts.evaluate.metrics import word_counts
    from fmtts.evaluate.naturalness import dnsmos

    floor = 10 ** (NOISE_DBFS / 20)
    mos = [dnsmos(w, sr) for w in wavs]
    errors, words, hyps = [], 0, []
    for d in range(draws):
        rng = np.random.default_rng(d)
        total = None
        for text, w in zip(texts, wavs, strict=True):
            y = w if d == 0 else w + floor * rng.standard_normal(len(w)).astype(np.float32)
            hyp = asr.transcribe(y, sr)
            if d == 0:
                hyps.append(hyp)
            c = word_counts(text, hyp)
            total = c if total is None else total + c
        errors.append(total.substitutions + total.deletions + total.insertions)
        words = total.ref_length
    return {
        "p808": [m["p808_mos"] for m in mos],
        "ovrl": [m["ovrl_mos"] for m in mos],
        "word_errors_per_draw": errors,
        "words": words,
        "transcripts": hyps,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--vocoders", required=True, help="comma-separated names or paths; the first is the reference"
    )
    ap.add_argument("--n", type=int, default=100, help="number of utterances")
    ap.add_argument(
        "--skip", type=int, default=50, help="piper source: leave out the last N prompts (vs_piper's)"
    )
    ap.add_argument("--data", default=None, help="recordings instead of piper: an LJSpeech-format folder")
    ap.add_argument("--filelist", default=None, help="with --data: id|text lines to use")
    ap.add_argument("--draws", type=int, default=1, help="ASR draws per clip (the first without noise)")
    ap.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument(
        "--out", default=str(Path(__file__).resolve().parent / "results" / "vocoder_quality.json")
    )
    args = ap.parse_args()
    if args.draws < 1:
        ap.error("--draws must be at least 1")
    torch.set_num_threads(args.threads)
    from fmtts.evaluate.asr import load_asr

    source, ids, texts, wavs, sr = source_audio(args)
    asr = load_asr("whisper", device="cpu")
    rows = {source: {"name": source, **score(texts, wavs, sr, asr, args.draws)}}
    for v in [v for v in args.vocoders.split(",") if v]:
        name, out, rate = copy_synthesis(v, wavs, sr, args.threads)
        rows[v] = {"name": name, **score(texts, out, rate, asr, args.draws)}
        print(f"scored {v}", flush=True)

    ref = rows[args.vocoders.split(",")[0]]
    print(f"\n{len(texts)} utterances ({source}), {args.draws} ASR draw(s)")
    print(
        "| audio | DNSMOS P.808 | OVRL | paired P.808 vs first vocoder | higher on | word errors "
        "| mean ± sd over draws |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for key, r in rows.items():
        p = np.array(r["p808"])
        d = p - np.array(ref["p808"])
        paired = "—" if r is ref else f"{d.mean():+.3f} ± {d.std(ddof=1) / np.sqrt(len(d)):.3f}"
        higher = "—" if r is ref else f"{int((d > 0).sum())}/{len(d)}"
        e = np.array(r["word_errors_per_draw"])
        spread = f"{e.mean():.1f} ± {e.std(ddof=1):.1f}" if len(e) > 1 else "—"
        r["paired_p808"] = None if r is ref else float(d.mean())
        print(
            f"| {key} | {p.mean():.3f} | {np.mean(r['ovrl']):.3f} | {paired} | {higher} | "
            f"{e[0]} of {r['words']} ({100 * e[0] / r['words']:.1f} %) | {spread} |"
        )
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    result = {"source": source, "ids": ids, "texts": texts, "draws": args.draws, "rows": rows}
    Path(args.out).write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
