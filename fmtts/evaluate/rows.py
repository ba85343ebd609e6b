"""The rows of an evaluation, each a stage: the recordings (the judge's own error), copy synthesis through
each vocoder (the ceiling of any acoustic model on it), and one row per voice and sampler setting."""

from __future__ import annotations

import itertools
import logging
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from fmtts.evaluate.items import EvaluationError, Reference
from fmtts.evaluate.metrics import logmel_l1, mcd
from fmtts.evaluate.naturalness import dnsmos_available, hnr_available, naturalness_scores
from fmtts.evaluate.scores import RowScores, peak_rss_mb
from fmtts.evaluate.speaker import SpeakerSimilarity, speaker_similarity_available

log = logging.getLogger(__name__)
Natural = Callable[..., dict]  # (audio, speaker=None) -> scores


def _switch(requested: bool | None, available: bool, what: str, packages: str) -> bool:
    """An optional judge: on when installed unless switched off; asked for but missing is an error."""
    if requested is None:
        if not available:
            log.warning("%s not scored: pip install %s (or fmtts[eval])", what, packages)
        return available
    if requested and not available:
        raise EvaluationError(f"{what} needs: pip install {packages}")
    return requested


def naturalness_judge(
    sample_rate: int, dnsmos: bool | None, hnr: bool | None, speaker: SpeakerSimilarity | None = None
) -> Natural:
    """Per-utterance DNSMOS / HNR scores, for whichever judges are on, and the speaker similarity to the
    references when ``speaker`` is given (see :func:`speaker_judge`); ``natural(audio, name)`` compares
    to speaker ``name``'s references where the judge has a mean per speaker."""
    use_dnsmos = _switch(dnsmos, dnsmos_available(), "DNSMOS", "speechmos onnxruntime")
    use_hnr = _switch(hnr, hnr_available(), "HNR", "praat-parselmouth")

    def natural(audio: np.ndarray, name: str | None = None) -> dict:
        scores = naturalness_scores(audio, sample_rate, use_dnsmos=use_dnsmos, use_hnr=use_hnr)
        if speaker is not None:
            scores["speaker_sim"] = (
                speaker(audio, sample_rate) if name is None else speaker(audio, sample_rate, name)
            )
        return scores

    return natural


def speaker_judge(
    requested: bool | None, reference_dir: str | None, refs: list[Reference], sample_rate: int
) -> SpeakerSimilarity | None:
    """Speaker similarity to ``reference_dir``'s recordings, or to the test recordings themselves (then
    each recording is part of the mean it is compared to: the recordings row is the ceiling). Test items
    of several named speakers: each speaker's recordings make a mean of their own, which every item of
    that speaker (its recording and each output for it) is compared to."""
    available = speaker_similarity_available()
    if not _switch(requested, available, "speaker similarity", "resemblyzer 'setuptools<81'"):
        return None
    try:
        if reference_dir:
            return SpeakerSimilarity.from_folder(reference_dir, sample_rate)
        speakers = [r.item.speaker for r in refs]
        named = list(dict.fromkeys(speakers))
        description = f"the {len(refs)} test recordings"
        if len(named) > 1:
            counts = ", ".join(f"{s or 'unnamed'}: {speakers.count(s)}" for s in named)
            description += f", each item against its own speaker's ({counts})"
        return SpeakerSimilarity(
            [r.wav for r in refs], sample_rate, description=description, speakers=speakers
        )
    except (FileNotFoundError, ValueError) as exc:
        raise EvaluationError(f"speaker similarity: {exc}") from None


def recordings_row(refs: list[Reference], asr, sample_rate: int, natural: Natural) -> RowScores:
    from tqdm import tqdm

    rec = RowScores("recordings", "recordings")
    for r in tqdm(refs, desc="ASR recordings", unit="utt", file=sys.stderr):
        rec.audio_seconds += len(r.wav) / sample_rate
        rec.add(
            r,
            asr.transcribe(r.wav, sample_rate),
            r.wav,
            sample_rate,
            r.mel.shape[1],
            **_speaker_field(r.item.speaker),
            **natural(r.wav, r.item.speaker),
        )
    rec.peak_rss_mb = peak_rss_mb()
    return rec


def copy_row(label, vocoder, refs, mel_config, asr, natural, fpp_range, rec_wer, out_dir, save_wavs) -> dict:
    """Recordings' mels through ``vocoder``: what that vocoder makes of perfect mels (the ceiling of any
    acoustic model on it)."""
    from tqdm import tqdm

    from fmtts.audio import save_audio
    from fmtts.mel import mel_spectrogram

    sr = vocoder.sample_rate
    copy = RowScores(label, "copy-synthesis", {"vocoder": getattr(vocoder, "name", "")})
    # the vocoder as the pipeline calls it: numpy log-mel in, numpy audio out (on the host)
    vocoder(np.ascontiguousarray(refs[0].mel[:, :32]))  # warm-up, not timed
    for r in tqdm(refs, desc=label, unit="utt", file=sys.stderr):
        t0 = time.perf_counter()
        audio = np.asarray(vocoder(np.ascontiguousarray(r.mel)), dtype=np.float32).reshape(-1)
        copy.vocoder_seconds += time.perf_counter() - t0
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
            **_speaker_field(r.item.speaker),
            **natural(audio, r.item.speaker),
        )
        if save_wavs:
            save_audio(out_dir / "audio" / slug(label) / f"{r.item.utt_id}.wav", audio, sr)
    copy.peak_rss_mb = peak_rss_mb()
    return copy.summary(fpp_range, rec_wer)


def synthesize_with_durations(
    tts,
    refs: list[Reference],
    *,
    steps: int,
    solver: str,
    temperature: float,
    seed: int,
    speakers: list[str | int | None] | None = None,
) -> list[np.ndarray | None]:
    """Run the acoustic model with each recording's own durations (MAS between the recording's mel and
    the text encoding); returns mels with exactly the recording's frame count, or None for an utterance
    with fewer frames than tokens. ``speakers``: whom each utterance is said as (None: the voice's first)."""
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
        spk = None
        if speakers is not None and any(s is not None for s in speakers):
            ids = [tts.speaker_id(speakers[i]) or 0 for i in usable]
            spk = torch.tensor(ids, dtype=torch.long, device=dev)
        durations = model.align(tokens, lens, y, y_lens, spk)
        gen = torch.Generator(device=dev)
        gen.manual_seed(seed)
        res = model.synthesize(
            tokens,
            lens,
            sampler=SamplerConfig(steps=steps, temperature=temperature, solver=solver),
            speakers=spk,
            durations=durations,
            generator=gen,
        )
        for row, i in enumerate(usable):
            out[i] = res.mel[row, :, : int(y_lens[row])].float().cpu().numpy()
    return out


def _speaker_field(speaker: str | int | None) -> dict:
    """An utterance's ``speaker`` entry: only where a speaker is named, so one-speaker results keep their
    shape."""
    return {} if speaker is None else {"speaker": speaker}


def synthesize_as(tts, texts: list[str], speakers: list[str | int | None], **options) -> list:
    """``tts.synthesize_batch`` of texts each said by its own speaker: one batch per speaker, in order of
    first appearance. A text's noise depends only on the seed (not on its batch), so grouping the texts
    by speaker changes no output."""
    results: list = [None] * len(texts)
    for speaker in dict.fromkeys(speakers):
        where = [i for i, s in enumerate(speakers) if s == speaker]
        said = tts.synthesize_batch(
            [texts[i] for i in where], speaker=speaker, **{**options, "batch_size": len(where)}
        )
        for i, res in zip(where, said, strict=True):
            results[i] = res
    return results


def row_name(steps: int, solver: str, temperature: float) -> str:
    return f"steps={steps} {solver} T={temperature:g}"


def checkpoint_labels(checkpoints: list[str | None]) -> list[str]:
    """Short, distinct row labels: file stems, or parent/stem where stems repeat."""
    stems = [Path(c).stem if c else "default" for c in checkpoints]
    if len(set(stems)) == len(stems):
        return stems
    return [f"{Path(c).parent.name}/{Path(c).stem}" if c else "default" for c in checkpoints]


def slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._=-]+", "_", name).strip("_")


def model_rows(
    voices: list,
    checkpoints: list[str | None],
    refs: list[Reference],
    opts,
    asr,
    natural: Natural,
    fpp_range,
    rec_wer: float | None,
    choices: list | None = None,
) -> list[dict]:
    """Every (voice, steps, solver, temperature): the test list synthesised in fixed seeded batches, each
    item said as ``choices[voice]`` picks (a :class:`fmtts.evaluate.items.SpeakerChoice`; None: every
    voice's first speaker)."""
    import torch
    from tqdm import tqdm

    from fmtts.audio import save_audio
    from fmtts.mel import mel_spectrogram

    chunks = [refs[i : i + opts.batch_size] for i in range(0, len(refs), opts.batch_size)]
    configs = [(s, so, t) for s in opts.steps for so in opts.solvers for t in opts.temperatures]
    labels = checkpoint_labels(checkpoints)
    shortest = min(refs, key=lambda r: len(r.ids)).item.text
    out_dir, seed = Path(opts.out), opts.seed
    rows = []
    for vi, (steps, solver, temperature) in itertools.product(range(len(voices)), configs):
        tts, ckpt = voices[vi], checkpoints[vi]
        choice = choices[vi] if choices is not None else None
        steps = steps or tts.default_steps  # None: the voice's own, as synthesis takes it
        sr, dev = tts.sample_rate, tts.device
        sampling = dict(steps=steps, solver=solver, temperature=temperature)
        if (steps, solver, temperature) == configs[0]:  # a voice's first row: warm it up, untimed
            tts.synthesize_batch([shortest], seed=seed, **sampling)
        name = row_name(steps, solver, temperature)
        if len(checkpoints) > 1:
            name = f"{labels[vi]} {name}"
        settings = {"checkpoint": ckpt, **sampling}
        if choice is not None and choice.label is not None:
            settings["speaker"] = choice.label
        row = RowScores(name, "model", settings)
        if dev.type == "cuda":
            torch.cuda.reset_peak_memory_stats(dev)
        bar = tqdm(total=len(refs), desc=name, unit="utt", file=sys.stderr)
        for k, chunk in enumerate(chunks):
            texts = [r.item.text for r in chunk]
            speakers = [choice.of(r.item) if choice is not None else None for r in chunk]
            results = synthesize_as(tts, texts, speakers, seed=seed + k, **sampling)
            gt_mels = (
                synthesize_with_durations(tts, chunk, seed=seed + k, speakers=speakers, **sampling)
                if opts.l1
                else [None] * len(chunk)
            )
            for r, res, gt, said in zip(chunk, results, gt_mels, speakers, strict=True):
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
                    **_speaker_field(said),
                    **natural(res.audio, _judged_as(tts, choice, r.item.speaker)),
                )
                if opts.save_audio:
                    save_audio(out_dir / "audio" / slug(name) / f"{r.item.utt_id}.wav", res.audio, sr)
                bar.update(1)
        bar.close()
        row.peak_rss_mb = peak_rss_mb()
        if dev.type == "cuda":
            row.cuda_peak_mb = torch.cuda.max_memory_allocated(dev) / 2**20
        rows.append(row.summary(fpp_range, rec_wer))
    return rows


def _judged_as(tts, choice, recorded: str | None) -> str | None:
    """Whose references an output is compared to: the speaker it was told to be (``--speaker``, an index
    named by the voice's speaker list), else its recording's speaker."""
    fixed = None if choice is None else choice.fixed
    if fixed is None:
        return recorded
    if isinstance(fixed, int) and 0 <= fixed < len(tts.speakers):
        return tts.speakers[fixed]
    return str(fixed)
