"""``fmtts evaluate``: synthesise a test list for a sweep of sampler settings and score every setting.

For each (steps, solver, temperature) the whole list is synthesised (batched, seeded) and scored against
the corpus recordings, next to two reference rows computed once: the recordings themselves (the ASR
judge's own error on real speech) and vocoder copy-synthesis of the recordings (the ceiling any acoustic
model can reach with this vocoder). Columns:

* WER / CER of the ASR judge against the text (see :mod:`fmtts.evaluate.metrics` for normalisation),
  and the ratio of our WER to the recordings' WER (1.0 = as intelligible as the corpus; n/a when the
  recordings score 0).
* MCD-DTW (dB) between the log-mel of the recording and the log-mel recomputed from the output audio:
  includes the vocoder, so the copy-synthesis row is its floor.
* log-mel L1 with ground-truth durations: the acoustic model is run a second time with the durations of
  the recording (found by MAS between the recording's mel and the model's text encoding, as in
  training), so both mels share a time axis; the L1 compares the model's mel to the recording's mel
  directly (no vocoder). The timing columns come from the normal pass only.
* RTF of the acoustic model and of the vocoder, separately (compute seconds / audio seconds).
* Peak RSS of the process so far (monotone over the run) and the CUDA peak allocation of the row.
* Listen-like checks: fraction of clipped samples (|x| > 0.999), longest silence inside the utterance,
  mean mel frames per phoneme, and the share of utterances whose frames per phoneme fall outside the
  [min, max] range of the recordings in the same test list.

Outputs ``results.json`` (every row with per-utterance details) and ``results.md`` in ``--out``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import math
import re
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fmtts.evaluate.asr import ASRError
from fmtts.evaluate.metrics import (
    ErrorCounts,
    char_counts,
    clipping_fraction,
    count_phonemes,
    logmel_l1,
    longest_internal_silence,
    mcd,
    word_counts,
)
from fmtts.evaluate.naturalness import dnsmos_available, hnr_available, naturalness_scores

log = logging.getLogger(__name__)

SOLVERS = ("euler", "midpoint", "heun")


NATURALNESS_KEYS = ("p808_mos", "sig_mos", "bak_mos", "ovrl_mos", "hnr_db")


class EvaluationError(RuntimeError):
    """The evaluation cannot run with the given inputs."""


@dataclass
class TestItem:
    utt_id: str
    text: str
    wav: Path


@dataclass
class Reference:
    """A test item with everything computed once from its recording."""

    item: TestItem
    ids: list[int]
    symbols: list[str]
    wav: np.ndarray
    mel: np.ndarray  # (n_mels, T) log-mel of the recording

    @property
    def n_phonemes(self) -> int:
        return count_phonemes(self.symbols)


@dataclass
class RowScores:
    """Accumulates per-utterance scores for one row of the results table."""

    name: str
    kind: str  # "recordings" | "copy-synthesis" | "model"
    settings: dict = field(default_factory=dict)
    words: ErrorCounts = field(default_factory=ErrorCounts)
    chars: ErrorCounts = field(default_factory=ErrorCounts)
    utterances: list[dict] = field(default_factory=list)
    acoustic_seconds: float = 0.0
    vocoder_seconds: float = 0.0
    audio_seconds: float = 0.0
    clipped: int = 0
    samples: int = 0
    peak_rss_mb: float | None = None
    cuda_peak_mb: float | None = None

    def add(
        self, ref: Reference, hyp: str, audio: np.ndarray, sample_rate: int, frames: int, **extra
    ) -> dict:
        w, c = word_counts(ref.item.text, hyp), char_counts(ref.item.text, hyp)
        self.words += w
        self.chars += c
        self.clipped += int(round(clipping_fraction(audio) * audio.size))
        self.samples += int(audio.size)
        n_ph = ref.n_phonemes
        u = {
            "id": ref.item.utt_id,
            "hyp": hyp,
            "wer": w.rate,
            "cer": c.rate,
            "frames": int(frames),
            "frames_per_phoneme": frames / n_ph if n_ph else None,
            "longest_silence_s": longest_internal_silence(audio, sample_rate),
            **extra,
        }
        self.utterances.append(u)
        return u

    def summary(self, fpp_range: tuple[float, float] | None, rec_wer: float | None) -> dict:
        def mean(key: str) -> float | None:
            vals = [u[key] for u in self.utterances if u.get(key) is not None and np.isfinite(u[key])]
            return float(np.mean(vals)) if vals else None

        fpp = [u["frames_per_phoneme"] for u in self.utterances if u.get("frames_per_phoneme") is not None]
        outside = None
        if fpp and fpp_range is not None:
            lo, hi = fpp_range
            outside = 100.0 * float(np.mean([(x < lo) or (x > hi) for x in fpp]))
        silences = [u["longest_silence_s"] for u in self.utterances]
        wer = self.words.rate
        ratio = None if rec_wer is None or rec_wer == 0 else wer / rec_wer

        def rtf(seconds: float) -> float | None:
            return seconds / self.audio_seconds if self.audio_seconds > 0 and seconds > 0 else None

        return {
            "name": self.name,
            "kind": self.kind,
            **self.settings,
            "n": len(self.utterances),
            "wer": wer,
            "cer": self.chars.rate,
            "wer_ratio": ratio,
            "word_errors": self.words.to_dict(),
            "char_errors": self.chars.to_dict(),
            "mcd_dtw_db": mean("mcd_dtw_db"),
            **{k: mean(k) for k in NATURALNESS_KEYS},
            "logmel_l1": mean("logmel_l1"),
            "length_ratio": mean("length_ratio"),
            "rtf_acoustic": rtf(self.acoustic_seconds),
            "rtf_vocoder": rtf(self.vocoder_seconds),
            "audio_seconds": self.audio_seconds,
            "clipping_fraction": self.clipped / self.samples if self.samples else 0.0,
            "longest_silence_s": max(silences) if silences else None,
            "mean_longest_silence_s": float(np.mean(silences)) if silences else None,
            "frames_per_phoneme": float(np.mean(fpp)) if fpp else None,
            "frames_per_phoneme_outside_pct": outside,
            "peak_rss_mb": self.peak_rss_mb,
            "cuda_peak_mb": self.cuda_peak_mb,
            "utterances": self.utterances,
        }


# --------------------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------------------


def _parse_list(value, cast, what: str) -> list:
    if isinstance(value, (list, tuple)):
        raw = list(value)
    else:
        raw = [x.strip() for x in str(value).split(",") if x.strip()]
    try:
        out = [cast(x) for x in raw]
    except ValueError as exc:
        raise EvaluationError(f"bad {what} list {value!r}: {exc}") from None
    if not out:
        raise EvaluationError(f"empty {what} list")
    return list(dict.fromkeys(out))


def _prepared_wav_dir(prepared: Path) -> Path | None:
    """The wavs/ folder of the corpus a prepared folder was made from (from its report or cache)."""
    for meta in (prepared / "prepare_report.json", prepared / "cache" / "test" / "meta.json"):
        if meta.is_file():
            try:
                d = json.loads(meta.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            src = d.get("data_dir") or d.get("source")
            if src and (Path(src) / "wavs").is_dir():
                return Path(src) / "wavs"
    return None


def _read_filelist(path: Path, wav_dir: Path) -> list[TestItem]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("|")
        if len(parts) < 2 or not parts[0].strip() or not parts[1].strip():
            log.warning("%s:%d: malformed line skipped", path, n)
            continue
        items.append(TestItem(parts[0].strip(), parts[1].strip(), wav_dir / f"{parts[0].strip()}.wav"))
    return items


def read_test_items(
    data: str | Path, filelist: str | Path | None = None, limit: int | None = None
) -> list[TestItem]:
    """The utterances to evaluate, in file order.

    * ``filelist`` given: its ``id|text[|phonemes]`` lines; audio from ``data/wavs`` or, for a prepared
      folder, from the corpus it was prepared from.
    * ``data`` is a prepared folder: ``filelists/test.txt`` (held out from training by ``prepare``).
    * ``data`` is an LJSpeech-format folder: every line of ``metadata.csv`` (may overlap the training
      data: prefer a prepared folder, and use ``limit``)."""
    data = Path(data)
    if not data.is_dir():
        raise EvaluationError(f"--data {data} is not a folder")
    prepared_list = data / "filelists" / "test.txt"
    if filelist is not None or prepared_list.is_file():
        flist = Path(filelist) if filelist is not None else prepared_list
        if not flist.is_file():
            raise EvaluationError(f"filelist not found: {flist}")
        wav_dir = data / "wavs" if (data / "wavs").is_dir() else _prepared_wav_dir(data)
        if wav_dir is None:
            raise EvaluationError(
                f"cannot find the recordings for {flist}: {data} has no wavs/ folder and "
                "no prepare_report.json naming the corpus"
            )
        items = _read_filelist(flist, wav_dir)
    elif (data / "metadata.csv").is_file():
        from fmtts.data.prepare import read_metadata

        log.warning(
            "evaluating lines of %s/metadata.csv: they may have been used for training; pass a "
            "prepared folder to use its held-out test split",
            data,
        )
        utts, _ = read_metadata(data)
        items = [TestItem(u.utt_id, u.text, u.wav) for u in utts]
    else:
        raise EvaluationError(
            f"{data} has neither filelists/test.txt (prepared folder) nor metadata.csv "
            "(LJSpeech-format folder)"
        )
    if limit is not None:
        if limit < 1:
            raise EvaluationError(f"--limit must be ≥ 1, got {limit}")
        items = items[:limit]
    if not items:
        raise EvaluationError(f"no test utterances found in {data}")
    return items


# --------------------------------------------------------------------------------------------------------
# Synthesis helpers
# --------------------------------------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def synthesize_with_durations(
    tts, refs: list[Reference], *, steps: int, solver: str, temperature: float, seed: int
) -> list[np.ndarray | None]:
    """Run the acoustic model with each recording's own durations (MAS between the recording's mel and
    the text encoding); returns mels with exactly the recording's frame count, or None for an utterance
    with fewer frames than tokens."""
    import torch

    from fmtts.data.padding import pad_mels, pad_tokens
    from fmtts.sampling import SamplerConfig

    out: list[np.ndarray | None] = [None] * len(refs)
    usable = [i for i, r in enumerate(refs) if r.mel.shape[1] >= len(r.ids)]
    if not usable:
        return out
    model, dev = tts.model, tts.device
    with torch.inference_mode():
        tokens, lens = pad_tokens([refs[i].ids for i in usable])
        y, y_lens = pad_mels([refs[i].mel for i in usable])
        tokens, lens, y, y_lens = tokens.to(dev), lens.to(dev), y.to(dev), y_lens.to(dev)
        durations = model.align(tokens, lens, y, y_lens)
        gen = torch.Generator(device=dev)
        gen.manual_seed(seed)
        res = model.synthesize(
            tokens,
            lens,
            sampler=SamplerConfig(steps=steps, temperature=temperature, solver=solver),
            durations=durations,
            generator=gen,
        )
        for row, i in enumerate(usable):
            out[i] = res.mel[row, :, : int(y_lens[row])].float().cpu().numpy()
    return out


def _row_name(steps: int, solver: str, temperature: float) -> str:
    return f"steps={steps} {solver} T={temperature:g}"


def _checkpoint_labels(checkpoints: list[str | None]) -> list[str]:
    """Short, distinct row labels: file stems, or parent/stem where stems repeat."""
    stems = [Path(c).stem if c else "default" for c in checkpoints]
    if len(set(stems)) == len(stems):
        return stems
    return [f"{Path(c).parent.name}/{Path(c).stem}" if c else "default" for c in checkpoints]


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", name).strip("_")


# --------------------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------------------

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
        "",
        table,
        "",
        "WER ratio = WER / recordings' WER. MCD-DTW: recording vs output audio (vocoder included; the "
        "copy-synthesis row is its floor). log-mel L1: acoustic-model mel synthesised with the recording's "
        "durations vs the recording's mel. RTF = compute seconds / audio seconds. Peak RSS is the process "
        "peak so far. Silence: longest pause (< -40 dB of the loudest frame) inside an utterance. "
        "Outside range: share of utterances whose frames per phoneme fall outside the recordings' "
        + (f"[{rng[0]:.2f}, {rng[1]:.2f}]." if rng else "range."),
        "",
    ]
    (out_dir / "results.md").write_text("\n".join(notes), encoding="utf-8")
    return table


# --------------------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------------------


def _switch(requested: bool | None, available: bool, what: str, packages: str) -> bool:
    """An optional judge: on when installed unless switched off; asked for but missing is an error."""
    if requested is None:
        if not available:
            log.warning("%s not scored: pip install %s (or fmtts[eval])", what, packages)
        return available
    if requested and not available:
        raise EvaluationError(f"{what} needs: pip install {packages}")
    return requested


def _short(vocoder) -> str:
    return str(getattr(vocoder, "name", vocoder)).split(" (")[0]


def _copy_row(label, vocoder, refs, mel_config, asr, natural, fpp_range, rec_wer, out_dir, save_wavs) -> dict:
    """Recordings' mels through ``vocoder``: what that vocoder makes of perfect mels (the ceiling of any
    acoustic model on it)."""
    import torch
    from tqdm import tqdm

    from fmtts.audio import mel_spectrogram, save_audio
    from fmtts.devices import synchronize

    dev = getattr(vocoder, "device", torch.device("cpu"))
    sr = vocoder.sample_rate
    copy = RowScores(label, "copy-synthesis", {"vocoder": getattr(vocoder, "name", "")})
    with torch.inference_mode():
        vocoder(torch.from_numpy(np.ascontiguousarray(refs[0].mel[:, :32])).to(dev))  # warm-up, not timed
        for r in tqdm(refs, desc=label, unit="utt", file=sys.stderr):
            mel_t = torch.from_numpy(r.mel).to(dev)
            synchronize(dev)
            t0 = time.perf_counter()
            audio = vocoder(mel_t)
            synchronize(dev)
            copy.vocoder_seconds += time.perf_counter() - t0
            audio = audio.reshape(-1).float().cpu().numpy()
            copy.audio_seconds += len(audio) / sr
            mel_out = mel_spectrogram(audio, mel_config).numpy()
            copy.add(
                r,
                asr.transcribe(audio, sr),
                audio,
                sr,
                mel_out.shape[1],
                mcd_dtw_db=mcd(r.mel, mel_out),
                logmel_l1=logmel_l1(r.mel, mel_out),
                length_ratio=mel_out.shape[1] / r.mel.shape[1],
                **natural(audio),
            )
            if save_wavs:
                save_audio(out_dir / "audio" / _slug(label) / f"{r.item.utt_id}.wav", audio, sr)
    copy.peak_rss_mb = peak_rss_mb()
    return copy.summary(fpp_range, rec_wer)


def main_evaluate(args: argparse.Namespace) -> int:
    """Entry point of ``fmtts evaluate``; returns the process exit status."""
    try:
        return _run(args)
    except (EvaluationError, ASRError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    import torch
    from tqdm import tqdm

    from fmtts.api import TTS
    from fmtts.audio import AudioError, load_audio, mel_spectrogram, save_audio
    from fmtts.evaluate.asr import load_asr
    from fmtts.text import TextError
    from fmtts.vocoder import load_vocoder

    steps_list = _parse_list(args.steps, int, "steps")
    if any(s < 1 for s in steps_list):
        raise EvaluationError(f"steps must be ≥ 1, got {steps_list}")
    solvers = _parse_list(args.solver, str, "solver")
    bad = [s for s in solvers if s not in SOLVERS]
    if bad:
        raise EvaluationError(f"unknown solver(s) {bad}: use {', '.join(SOLVERS)}")
    temperatures = _parse_list(args.temperature, float, "temperature")
    seed = getattr(args, "seed", None)
    seed = 1234 if seed is None else int(seed)
    batch_size = max(1, int(getattr(args, "batch_size", 8) or 8))
    save_wavs = bool(getattr(args, "save_audio", False))
    do_l1 = bool(getattr(args, "l1", True))
    out_dir = Path(args.out)

    items = read_test_items(args.data, getattr(args, "filelist", None), getattr(args, "limit", None))
    # several checkpoints (e.g. one run at different steps) share the reference rows
    checkpoints = _parse_list(args.checkpoint, str, "checkpoint") if args.checkpoint else [None]
    device, vocoder_name = getattr(args, "device", "auto"), getattr(args, "vocoder", "universal")
    voices = [TTS.load(c, device=device, vocoder=vocoder_name) for c in checkpoints]
    tts = voices[0]
    for c, v in zip(checkpoints[1:], voices[1:], strict=True):
        if v.text.to_dict() != tts.text.to_dict() or v.mel_config != tts.mel_config:
            raise EvaluationError(
                f"{c}: another text frontend (symbols, blanks, phonemizer) or mel configuration than "
                f"{checkpoints[0]}; evaluate it separately"
            )
    labels = _checkpoint_labels(checkpoints)
    for v in voices:
        print(f"voice: {v.source}", file=sys.stderr)
    sr, dev = tts.sample_rate, tts.device
    asr = load_asr(
        getattr(args, "asr", "whisper"),
        device=getattr(args, "asr_device", "cpu"),
        compute_type=getattr(args, "asr_compute_type", "auto"),
    )
    print(f"ASR judge: {asr!r}", file=sys.stderr)

    # ---- references: text ids, recordings, their mels ------------------------------------------------
    refs: list[Reference] = []
    for it in tqdm(items, desc="recordings", unit="utt", file=sys.stderr):
        try:
            ids = tts.text.text_to_ids(it.text)
            wav = load_audio(it.wav, sr)
        except (TextError, AudioError) as exc:
            log.warning("skipping %s: %s", it.utt_id, exc)
            continue
        mel = mel_spectrogram(wav, tts.mel_config).numpy()
        refs.append(Reference(it, ids, [tts.text.symbols.symbols[j] for j in ids], wav, mel))
    if not refs:
        raise EvaluationError("no usable test utterances (all missing audio or unspeakable text)")
    # similar lengths share a batch; the order is fixed, so every configuration sees the same batches
    refs.sort(key=lambda r: (len(r.ids), r.item.utt_id))
    chunks = [refs[i : i + batch_size] for i in range(0, len(refs), batch_size)]

    use_dnsmos = _switch(getattr(args, "dnsmos", None), dnsmos_available(), "DNSMOS", "speechmos onnxruntime")
    use_hnr = _switch(getattr(args, "hnr", None), hnr_available(), "HNR", "praat-parselmouth")

    def natural(audio: np.ndarray) -> dict:
        return naturalness_scores(audio, sr, use_dnsmos=use_dnsmos, use_hnr=use_hnr)

    rows: list[dict] = []
    rec = RowScores("recordings", "recordings")
    for r in tqdm(refs, desc="ASR recordings", unit="utt", file=sys.stderr):
        rec.audio_seconds += len(r.wav) / sr
        rec.add(r, asr.transcribe(r.wav, sr), r.wav, sr, r.mel.shape[1], **natural(r.wav))
    rec.peak_rss_mb = peak_rss_mb()
    fpp = [u["frames_per_phoneme"] for u in rec.utterances if u["frames_per_phoneme"] is not None]
    fpp_range = (min(fpp), max(fpp)) if fpp else None
    rec_wer = rec.words.rate
    rows.append(rec.summary(fpp_range, rec_wer))

    # ---- vocoder copy-synthesis: the ceiling, one row per vocoder -------------------------------------
    extra = getattr(args, "copy_vocoders", None)
    copy_names = _parse_list(extra, str, "copy vocoders") if extra else []
    precision = getattr(args, "vocoder_precision", "auto") or "auto"
    copy_vocoders = [tts.vocoder] + [load_vocoder(n, device=dev, precision=precision) for n in copy_names]
    for vocoder in copy_vocoders:
        label = "vocoder copy-synthesis" if vocoder is tts.vocoder else f"copy-synthesis {_short(vocoder)}"
        rows.append(
            _copy_row(
                label, vocoder, refs, tts.mel_config, asr, natural, fpp_range, rec_wer, out_dir, save_wavs
            )
        )
    vocoder = tts.vocoder
    if getattr(args, "copy_only", False):
        steps_list = []

    # ---- the sweep ------------------------------------------------------------------------------------
    configs = [(s, so, t) for s in steps_list for so in solvers for t in temperatures]
    shortest = min(refs, key=lambda r: len(r.ids)).item.text
    for vi, (steps, solver, temperature) in itertools.product(range(len(voices)), configs):
        tts, ckpt = voices[vi], checkpoints[vi]
        if (steps, solver, temperature) == configs[0]:  # a voice's first row: warm it up, untimed
            tts.synthesize_batch([shortest], steps=steps, solver=solver, temperature=temperature, seed=seed)
        name = _row_name(steps, solver, temperature)
        if len(checkpoints) > 1:
            name = f"{labels[vi]} {name}"
        row = RowScores(
            name, "model", {"checkpoint": ckpt, "steps": steps, "solver": solver, "temperature": temperature}
        )
        if dev.type == "cuda":
            torch.cuda.reset_peak_memory_stats(dev)
        bar = tqdm(total=len(refs), desc=name, unit="utt", file=sys.stderr)
        for k, chunk in enumerate(chunks):
            results = tts.synthesize_batch(
                [r.item.text for r in chunk],
                steps=steps,
                solver=solver,
                temperature=temperature,
                seed=seed + k,
                batch_size=len(chunk),
            )
            gt_mels = (
                synthesize_with_durations(
                    tts, chunk, steps=steps, solver=solver, temperature=temperature, seed=seed + k
                )
                if do_l1
                else [None] * len(chunk)
            )
            for r, res, gt in zip(chunk, results, gt_mels, strict=True):
                row.acoustic_seconds += res.timings["acoustic_seconds"]
                row.vocoder_seconds += res.timings["vocoder_seconds"]
                row.audio_seconds += res.timings["audio_seconds"]
                mel_out = mel_spectrogram(res.audio, tts.mel_config).numpy()
                row.add(
                    r,
                    asr.transcribe(res.audio, sr),
                    res.audio,
                    sr,
                    res.mel.shape[1],
                    mcd_dtw_db=mcd(r.mel, mel_out),
                    logmel_l1=logmel_l1(r.mel, gt) if gt is not None else None,
                    length_ratio=res.mel.shape[1] / r.mel.shape[1],
                    **natural(res.audio),
                )
                if save_wavs:
                    save_audio(out_dir / "audio" / _slug(name) / f"{r.item.utt_id}.wav", res.audio, sr)
                bar.update(1)
        bar.close()
        row.peak_rss_mb = peak_rss_mb()
        if dev.type == "cuda":
            row.cuda_peak_mb = torch.cuda.max_memory_allocated(dev) / 2**20
        rows.append(row.summary(fpp_range, rec_wer))

    meta = {
        "voice": "; ".join(v.source for v in voices),
        "vocoder": getattr(vocoder, "name", str(getattr(args, "vocoder", ""))),
        "device": str(dev),
        "asr": repr(asr),
        "seed": seed,
        "batch_size": batch_size,
        "data": str(getattr(args, "filelist", None) or args.data),
        "n_utterances": len(refs),
        "recordings_frames_per_phoneme_range": list(fpp_range) if fpp_range else None,
        "texts": {r.item.utt_id: r.item.text for r in refs},
    }
    table = write_report(out_dir, meta, rows)
    print(table)
    print(f"wrote {out_dir / 'results.json'} and {out_dir / 'results.md'}", file=sys.stderr)
    return 0
