"""The results table (Markdown) and file (JSON) of an evaluation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from fmtts.evaluate.scores import NATURALNESS_KEYS

_COLUMNS = [
    ("configuration", "name", None),
    ("WER %", "wer", "pct"),
    ("CER %", "cer", "pct"),
    ("WER ratio", "wer_ratio", "{:.2f}"),
    ("MCD-DTW dB", "mcd_dtw_db", "{:.2f}"),
    ("DNSMOS P.808", "p808_mos", "{:.2f}"),
    ("P.835 SIG", "sig_mos", "{:.2f}"),
    ("P.835 BAK", "bak_mos", "{:.2f}"),
    ("P.835 OVRL", "ovrl_mos", "{:.2f}"),
    ("HNR dB", "hnr_db", "{:.2f}"),
    ("speaker sim", "speaker_sim", "{:.3f}"),
    ("log-mel L1", "logmel_l1", "{:.3f}"),
    ("RTF acoustic", "rtf_acoustic", "{:.3f}"),
    ("RTF vocoder", "rtf_vocoder", "{:.3f}"),
    ("clipped %", "clipping_fraction", "pct3"),
    ("max silence s", "longest_silence_s", "{:.2f}"),
    ("frames/phoneme", "frames_per_phoneme", "{:.2f}"),
    ("outside range %", "frames_per_phoneme_outside_pct", "{:.0f}"),
    ("peak RSS MB", "peak_rss_mb", "{:.0f}"),
    ("CUDA peak MB", "cuda_peak_mb", "{:.0f}"),
]


def _fmt(value, spec) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if spec is None:
        return str(value)
    if spec == "pct":
        return f"{100 * value:.1f}"
    if spec == "pct3":
        return f"{100 * value:.3f}"
    return spec.format(value)


def markdown_table(rows: list[dict]) -> str:
    optional = {"cuda_peak_mb", *NATURALNESS_KEYS}
    cols = [c for c in _COLUMNS if c[1] not in optional or any(r.get(c[1]) is not None for r in rows)]
    lines = ["| " + " | ".join(c[0] for c in cols) + " |", "|" + "|".join(["---"] * len(cols)) + "|"]
    for r in rows:
        lines.append("| " + " | ".join(_fmt(r.get(key), spec) for _, key, spec in cols) + " |")
    return "\n".join(lines)


def _json_safe(obj):
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_json_safe(v) for v in obj]
    if isinstance(obj, (np.floating, float)):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


def write_report(out_dir: Path, meta: dict, rows: list[dict]) -> str:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "results.json").write_text(
        json.dumps(_json_safe({**meta, "rows": rows}), indent=2, ensure_ascii=False), encoding="utf-8"
    )
    table = markdown_table(rows)
    rng = meta.get("recordings_frames_per_phoneme_range")
    notes = [
        f"# fmtts evaluation: {meta['n_utterances']} utterances",
        "",
        f"- voice: {meta['voice']}",
        f"- vocoder: {meta['vocoder']}; device: {meta['device']}",
        f"- ASR judge: {meta['asr']}; seed: {meta['seed']}; batch size: {meta['batch_size']}",
        f"- test list: {meta['data']}",
        *_speaker_notes(meta),
        *([f"- speaker similarity reference: {ref}"] if (ref := meta.get("speaker_reference")) else []),
        "",
        table,
        "",
        "WER ratio = WER / recordings' WER. MCD-DTW: recording vs output audio (vocoder included; the "
        "copy-synthesis row is its floor). log-mel L1: acoustic-model mel synthesised with the recording's "
        "durations vs the recording's mel. Speaker sim: cosine of each utterance's Resemblyzer (GE2E) "
        "embedding to the references' mean embedding. RTF = compute seconds / audio seconds. Peak RSS is "
        "the process "
        "peak so far. Silence: longest pause (< -40 dB of the loudest frame) inside an utterance. "
        "Outside range: share of utterances whose frames per phoneme fall outside the recordings' "
        + (f"[{rng[0]:.2f}, {rng[1]:.2f}]." if rng else "range."),
        "",
    ]
    (out_dir / "results.md").write_text("\n".join(notes), encoding="utf-8")
    return table


def _speaker_notes(meta: dict) -> list[str]:
    """Whom the model rows said the items as, where a speaker was named."""
    said = meta.get("speakers") or []
    if not said:
        return []
    names = ", ".join(map(str, said))
    if meta.get("speaker") is not None:
        return [f"- speaker: {names} (--speaker, every item)"]
    return [f"- speakers: {names} (each item as its own speaker)"]


# --------------------------------------------------------------------------------------------------------
# Main
