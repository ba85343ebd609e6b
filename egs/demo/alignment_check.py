#!/usr/bin/env python3
"""How well does MAS align? Compare a trained model's MAS phoneme boundaries with piper's own durations.

The demo corpus stores, for every clip, the phonemes piper spoke and the samples each one took
(``alignments/<id>.json``, multiples of hop 256 = mel frames). For each clip of a prepared split we run
the trained model's encoder, take MAS over the recording's mel (exactly as in training), and turn the path
into the start frame of every phoneme. The two phoneme strings come from different eSpeak builds, so
they are matched with difflib and only phonemes present in both are compared.

    python egs/demo/alignment_check.py --checkpoint fmtts/assets/voices/joe.pt --prepared PREP \
        --corpus CORPUS [--split test] [--limit 100] [--out alignment.json]
"""

from __future__ import annotations

import argparse
import difflib
import json
from pathlib import Path

import numpy as np
import torch

from fmtts import TTS
from fmtts.data.cache import FeatureCache

SKIP = {"^", "$", "_"}


def piper_starts(ali: dict, hop: int) -> tuple[list[str], list[float]]:
    """Phoneme characters and their start frames from piper's per-id sample counts."""
    phones, starts = [], []
    offset = 0
    for sent in ali["sentences"]:
        ids, samples, phonemes = sent["phoneme_ids"], sent["samples"], sent["phonemes"]
        # piper's ids: BOS, pad, then (phoneme, pad) pairs ..., EOS; phonemes lists the phoneme characters.
        id_starts = np.concatenate([[0], np.cumsum(samples)])
        k = 2  # skip BOS and its pad
        for ph in phonemes:
            if k >= len(ids):
                break
            phones.append(ph)
            starts.append((offset + id_starts[k]) / hop)
            k += 2
        offset += int(sum(samples))
    return phones, starts


def mas_starts(tts: TTS, tokens: np.ndarray, mel: np.ndarray) -> tuple[list[str], list[float]]:
    x = torch.from_numpy(tokens)[None]
    y = torch.from_numpy(mel)[None]
    with torch.inference_mode():
        durs = tts.model.align(x, torch.tensor([x.shape[1]]), y, torch.tensor([y.shape[-1]]))[0].numpy()
    starts = np.concatenate([[0], np.cumsum(durs)])[:-1]
    symbols = tts.text.symbols.symbols
    blank = tts.text.symbols.blank_id
    phones, out = [], []
    for tok, s in zip(tokens.tolist(), starts.tolist(), strict=True):
        if tok == blank or symbols[tok] == " ":
            continue
        phones.append(symbols[tok])
        out.append(float(s))
    return phones, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", default=None)
    ap.add_argument("--prepared", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--split", default="test")
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    tts = TTS.load(args.checkpoint, device="cpu", backend="torch")  # its model aligns
    cache = FeatureCache(Path(args.prepared) / "cache" / args.split)
    hop = cache.meta["mel_config"]["hop_length"]
    errors, matched, total = [], 0, 0
    n = len(cache) if args.limit is None else min(args.limit, len(cache))
    for i in range(n):
        ali = json.loads((Path(args.corpus) / "alignments" / f"{cache.ids[i]}.json").read_text())
        p_ph, p_st = piper_starts(ali, hop)
        tokens, mel, _ = cache.get(i)
        m_ph, m_st = mas_starts(tts, tokens, mel)
        p_keep = [(ph, s) for ph, s in zip(p_ph, p_st, strict=True) if ph not in SKIP and ph != " "]
        sm = difflib.SequenceMatcher(a=[p for p, _ in p_keep], b=m_ph, autojunk=False)
        total += len(p_keep)
        for blk in sm.get_matching_blocks():
            for k in range(blk.size):
                errors.append(abs(p_keep[blk.a + k][1] - m_st[blk.b + k]))
                matched += 1
    err = np.asarray(errors)
    result = {
        "checkpoint": tts.source,
        "split": args.split,
        "clips": n,
        "phonemes_matched": matched,
        "phonemes_total": total,
        "mean_abs_boundary_error_frames": float(err.mean()),
        "median_abs_boundary_error_frames": float(np.median(err)),
        "within_1_frame": float((err <= 1).mean()),
        "within_2_frames": float((err <= 2).mean()),
        "ms_per_frame": 1000.0 * hop / cache.meta["mel_config"]["sample_rate"],
    }
    print(json.dumps(result, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
