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
* Speaker similarity (Resemblyzer, when installed): cosine of each utterance's speaker embedding to the
  mean embedding of the reference recordings (``--speaker-reference DIR``, or the test recordings; test
  items of several named speakers are each compared to their own speaker's recordings).
* Listen-like checks: fraction of clipped samples (|x| > 0.999), longest silence inside the utterance,
  mean mel frames per phoneme, and the share of utterances whose frames per phoneme fall outside the
  [min, max] range of the recordings in the same test list.

Speakers: where the test data names each clip's speaker (field 4 of a multi-speaker ``metadata.csv`` or of a
prepared folder's lists), a multi-speaker voice says each item as its own speaker; ``--speaker NAME`` says
every item as NAME instead (e.g. a one-speaker test set against one speaker of a two-speaker voice).

Outputs ``results.json`` (every row with per-utterance details) and ``results.md`` in ``--out``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fmtts.audio import mel_differences
from fmtts.evaluate.asr import ASRError
from fmtts.evaluate.items import EvaluationError, choose_speakers, load_references, read_test_items
from fmtts.evaluate.options import EvalOptions
from fmtts.evaluate.report import markdown_table, write_report
from fmtts.evaluate.rows import copy_row, model_rows, naturalness_judge, recordings_row, speaker_judge

__all__ = ["EvalOptions", "EvaluationError", "main_evaluate", "markdown_table", "read_test_items", "run"]


def main_evaluate(args: argparse.Namespace) -> int:
    """Entry point of ``fmtts evaluate``; returns the process exit status."""
    try:
        return run(EvalOptions.from_args(args))
    except (EvaluationError, ASRError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def run(opts: EvalOptions) -> int:
    """Inputs → reference rows → copy-synthesis rows → the sweep → report."""
    from fmtts.api import TTS, TorchVocoder
    from fmtts.evaluate.asr import load_asr
    from fmtts.vocoder import load_vocoder

    items = read_test_items(opts.data, opts.filelist, opts.limit)
    # several checkpoints (e.g. one run at different steps) share the reference rows
    voices = [TTS.load(c, device=opts.device, vocoder=opts.vocoder) for c in opts.checkpoints]
    tts = voices[0]
    for c, v in zip(opts.checkpoints[1:], voices[1:], strict=True):
        if v.text.to_dict() != tts.text.to_dict() or v.mel_config != tts.mel_config:
            raise EvaluationError(
                f"{c}: another text frontend (symbols, blanks, phonemizer) or mel configuration than "
                f"{opts.checkpoints[0]}; evaluate it separately"
            )
    for v in voices:
        print(f"voice: {v.source}", file=sys.stderr)
    several = len(voices) > 1
    choices = [
        choose_speakers(v, items, opts.speaker, str(c) if several else "")
        for c, v in zip(opts.checkpoints, voices, strict=True)
    ]
    # the vocoders first: a wrong one fails here, not after the ASR has transcribed every recording
    copy_vocoders = [tts.vocoder] + [
        TorchVocoder(
            load_vocoder(n, device=tts.device, precision=opts.vocoder_precision, mel_config=tts.mel_config)
        )
        for n in opts.copy_vocoders
    ]
    for vocoder in copy_vocoders[1:]:
        differ = mel_differences(vocoder.mel_config, tts.mel_config)
        if differ:
            raise EvaluationError(
                f"{vocoder.name} reads another mel than the voice's (it, the voice: {differ})"
            )
    asr = load_asr(opts.asr, device=opts.asr_device, compute_type=opts.asr_compute_type)
    print(f"ASR judge: {asr!r}", file=sys.stderr)
    refs = load_references(tts, items)
    speaker = speaker_judge(opts.speaker_similarity, opts.speaker_reference, refs, tts.sample_rate)
    natural = naturalness_judge(tts.sample_rate, opts.dnsmos, opts.hnr, speaker)
    out_dir = Path(opts.out)

    rec = recordings_row(refs, asr, tts.sample_rate, natural)
    fpp = [u["frames_per_phoneme"] for u in rec.utterances if u["frames_per_phoneme"] is not None]
    fpp_range = (min(fpp), max(fpp)) if fpp else None
    rec_wer = rec.words.rate
    rows = [rec.summary(fpp_range, rec_wer)]

    for vocoder in copy_vocoders:
        label = "vocoder copy-synthesis" if vocoder is tts.vocoder else f"copy-synthesis {_short(vocoder)}"
        rows.append(
            copy_row(
                label,
                vocoder,
                refs,
                tts.mel_config,
                asr,
                natural,
                fpp_range,
                rec_wer,
                out_dir,
                opts.save_audio,
            )
        )
    if not opts.copy_only:
        rows += model_rows(voices, opts.checkpoints, refs, opts, asr, natural, fpp_range, rec_wer, choices)

    meta = {
        "voice": "; ".join(v.source for v in voices),
        "vocoder": getattr(tts.vocoder, "name", opts.vocoder),
        "device": str(tts.device),
        "asr": repr(asr),
        "seed": opts.seed,
        "batch_size": opts.batch_size,
        "data": str(opts.filelist or opts.data),
        "n_utterances": len(refs),
        "recordings_frames_per_phoneme_range": list(fpp_range) if fpp_range else None,
        "speaker_reference": speaker.description if speaker is not None else None,
        "speaker": opts.speaker,
        "speakers": _said_as(choices, refs),
        "texts": {r.item.utt_id: r.item.text for r in refs},
    }
    if any(r.item.speaker is not None for r in refs):
        meta["recording_speakers"] = {r.item.utt_id: r.item.speaker for r in refs}
    table = write_report(out_dir, meta, rows)
    print(table)
    print(f"wrote {out_dir / 'results.json'} and {out_dir / 'results.md'}", file=sys.stderr)
    return 0


def _said_as(choices: list, refs: list) -> list[str | int]:
    """The speakers the model rows say items as, in order of first use (empty: each voice's first)."""
    said = (c.of(r.item) for c in choices for r in refs)
    return list(dict.fromkeys(s for s in said if s is not None))


def _short(vocoder) -> str:
    return str(getattr(vocoder, "name", vocoder)).split(" (")[0]
