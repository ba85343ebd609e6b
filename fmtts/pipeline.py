"""The synthesis pipeline, written once for whole texts and for streams, over any acoustic backend.

    plan (text → chunks of symbol ids and pauses) → acoustic (prior, noise, ODE) → vocoder → join | stream

The backend (:class:`fmtts.runtime.backend.AcousticBackend`: ONNX Runtime or torch) runs the encoder
and the estimator; this module owns everything around them: the sampling loop, the starting noise, the
vocoder call, pauses, timings. The noise of a chunk depends only on the seed and the chunk's place in
its text (speech chunk ``k``: 0, 1, ...), drawn frame-major, so a text's mels are the same whether it is
synthesised alone, batched with other texts (any batch size) or streamed, and the same on either backend.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from fmtts.audio import MelConfig, save_audio
from fmtts.errors import FmttsError
from fmtts.runtime.backend import AcousticBackend, Prior
from fmtts.sampling import SamplerConfig, plan_steps, solve
from fmtts.streaming import (
    DEFAULT_CONTEXT,
    DEFAULT_CROSSFADE,
    DEFAULT_FIRST_WINDOW,
    DEFAULT_WINDOW,
    StreamChunk,
    iter_plan,
    vocode_windows,
)
from fmtts.text import TextError
from fmtts.text.plan import Pause, SpeechChunk, plan_speech
from fmtts.user_warnings import warn_caller

PRECISIONS = ("fp32", "bf16", "fp16")


class SynthesisError(FmttsError, ValueError):
    """Synthesis cannot proceed with the given options."""


@dataclass
class SynthesisResult:
    audio: np.ndarray  # float32 in [-1, 1]
    sample_rate: int
    mel: np.ndarray  # (n_mels, frames) log-mel
    durations: list[tuple[str, int]]  # (symbol, frames) for every input symbol, in order
    text: str
    timings: dict[str, float] = field(default_factory=dict)

    def save(self, path: str | Path) -> Path:
        save_audio(path, self.audio, self.sample_rate)
        return Path(path)

    def save_mel(self, path: str | Path) -> Path:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        np.save(path, self.mel)
        return Path(path)

    @property
    def seconds(self) -> float:
        return len(self.audio) / self.sample_rate


def check_finite_mel(mel: np.ndarray) -> np.ndarray:
    """``mel``, or a :class:`SynthesisError` if it holds NaN or inf (a damaged voice file): the vocoder
    would turn them into undefined samples."""
    if not bool(np.isfinite(mel).all()):
        raise SynthesisError(
            "the acoustic model produced non-finite values (NaN or inf): is the voice file damaged?"
        )
    return mel


def chunk_noise(seed: int, chunk_index: int, frames: int, n_feats: int) -> np.ndarray:
    """Unit Gaussian noise (n_feats, frames) for speech chunk ``chunk_index`` of a text, drawn frame-major:
    frame t gets the same noise whatever the chunk's length (a duration one frame longer must not reshuffle
    every frame's noise)."""
    rng = np.random.default_rng([seed, chunk_index])
    return rng.standard_normal((frames, n_feats), dtype=np.float32).T


def new_seed() -> int:
    return random.randrange(2**31 - 1)


def check_options(batch_size: int, pause: float, precision: str) -> None:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise SynthesisError(f"batch_size must be an integer ≥ 1, got {batch_size!r}")
    if not isinstance(pause, int | float) or not math.isfinite(pause) or pause < 0:
        raise SynthesisError(f"pause must be ≥ 0 seconds, got {pause!r}")
    if precision not in PRECISIONS:
        raise SynthesisError(f"precision must be one of {list(PRECISIONS)}, got {precision!r}")


def sampler_config(sampler: SamplerConfig | None = None, **options) -> SamplerConfig:
    """``sampler`` (default: :class:`SamplerConfig`'s defaults) with ``options`` replacing its fields;
    a bad value or unknown option is a :class:`SynthesisError`."""
    unknown = set(options) - set(SamplerConfig.field_names())
    if unknown:
        raise SynthesisError(
            f"unknown synthesis option(s) {sorted(unknown)}; sampler options: {SamplerConfig.field_names()}"
        )
    try:
        return (sampler or SamplerConfig()).replace(**options)
    except ValueError as exc:
        raise SynthesisError(str(exc)) from exc


@dataclass
class AcousticChunk:
    """One chunk's acoustic output: log-mel (n_mels, frames) and frames per symbol."""

    mel: np.ndarray
    durations: list[int]


class Pipeline:
    """A voice's text frontend and acoustic backend with a vocoder: ``synthesize_batch`` and ``stream``."""

    def __init__(self, acoustic: AcousticBackend, text, mel_config: MelConfig, vocoder):
        self.acoustic = acoustic
        self.text = text
        self.mel_config = mel_config
        self.vocoder = vocoder  # numpy (B, n_mels, T) log-mel → (B, samples) float32

    @property
    def sample_rate(self) -> int:
        return self.mel_config.sample_rate

    # -------------------------------------------------------------------------------------- acoustic
    def _check_sampler(self, sampler: SamplerConfig, precision: str) -> None:
        if sampler.cfg_scale > 0 and self.acoustic.cond_dropout == 0:
            warn_caller(
                "cfg_scale > 0 with a voice trained without condition dropout: its unconditional "
                "branch is untrained, expect worse audio"
            )
        if precision != "fp32" and self.acoustic.name != "torch":
            raise SynthesisError(f"precision {precision} needs the torch backend; the ONNX runtime is fp32")
        check = getattr(self.acoustic, "check_precision", None)
        if check is not None:
            check(precision)
        steps = sampler.with_default_steps(self.acoustic.default_steps).steps
        if sampler.cfg_scale > 0 and steps in self.acoustic.shortcut_steps:
            warn_caller(
                f"cfg_scale > 0 at {steps} distilled step(s): distillation trained only the conditional "
                "jump, expect worse audio (or sample more steps, which integrate the flow)"
            )

    def acoustic_batch(
        self,
        ids: list[list[int]],
        sampler: SamplerConfig,
        seed: int,
        keys: list[int],
        precision: str = "fp32",
        speakers: list[int] | None = None,
    ) -> list[AcousticChunk]:
        """Mels of a batch of symbol-id sequences (``keys``: each one's speech-chunk index in its text, which
        picks its noise)."""
        backend = self.acoustic
        sampler = sampler.with_default_steps(backend.default_steps)
        prior: Prior = backend.prior(ids, sampler.length_scale, speakers, precision=precision)
        b, t_max = len(ids), int(prior.lengths.max())
        noise = np.zeros((b, backend.n_feats, t_max), dtype=np.float32)
        for i, k in enumerate(keys):
            frames = int(prior.lengths[i])
            noise[i, :, :frames] = chunk_noise(seed, k, frames, backend.n_feats)
        x0 = backend.from_numpy(noise * np.float32(sampler.temperature))
        plan = plan_steps(sampler, backend.shortcut_steps)
        scale = sampler.cfg_scale

        def velocity(x, t: float):
            v = backend.velocity(x, prior, t, plan.step_size, precision=precision)
            if scale > 0:
                v_uncond = backend.velocity(
                    x, prior, t, plan.step_size, unconditional=True, precision=precision
                )
                v = v + scale * (v - v_uncond)
            return v

        x = solve(velocity, x0, plan.times, plan.solver)
        mel = check_finite_mel(backend.to_mel(x, prior))
        return [
            AcousticChunk(mel[i, :, : int(prior.lengths[i])], prior.durations[i, : len(row)].tolist())
            for i, row in enumerate(ids)
        ]

    # -------------------------------------------------------------------------------------- whole texts
    def synthesize_batch(
        self,
        texts: list[str],
        *,
        sampler: SamplerConfig | None = None,
        ssml: bool | None = None,
        seed: int | None = None,
        precision: str = "fp32",
        batch_size: int = 8,
        max_chars: int = 300,
        pause: float = 0.15,
        speaker: int | None = None,
        **sampler_options,
    ) -> list[SynthesisResult]:
        sampler = sampler_config(sampler, **sampler_options)
        check_options(batch_size, pause, precision)
        self._check_sampler(sampler, precision)
        plans = []
        for n, text in enumerate(texts):
            try:
                plans.append(plan_speech(text, self.text, ssml=ssml, max_chars=max_chars))
            except TextError as exc:
                if len(texts) == 1:
                    raise
                raise TextError(f"text at index {n}: {exc}") from exc
        seed = new_seed() if seed is None else seed
        chunks = []  # (text n, part k, speech chunk index j)
        for n, plan in enumerate(plans):
            j = 0
            for k, part in enumerate(plan):
                if isinstance(part, SpeechChunk):
                    chunks.append((n, k, j))
                    j += 1
        results: dict[tuple[int, int], SynthesisResult] = {}
        # similar lengths share a batch; a batch has one speaking rate (SSML prosody)
        order = sorted(chunks, key=lambda c: (plans[c[0]][c[1]].rate, len(plans[c[0]][c[1]].ids)))
        while order:
            rate = plans[order[0][0]][order[0][1]].rate
            batch = [c for c in order[:batch_size] if plans[c[0]][c[1]].rate == rate]
            order = order[len(batch) :]
            speech = [plans[n][k] for n, k, _ in batch]
            outs = self._speak(
                [c.ids for c in speech],
                sampler.at_rate(rate),
                seed,
                [j for _, _, j in batch],
                precision,
                speaker,
            )
            for (n, k, _), chunk, res in zip(batch, speech, outs, strict=True):
                res.text = chunk.text
                results[(n, k)] = res
        return [
            self._join(
                [results[(n, k)] if isinstance(p, SpeechChunk) else p.seconds for k, p in enumerate(plan)],
                texts[n],
                pause,
            )
            for n, plan in enumerate(plans)
        ]

    def _speak(self, ids, sampler, seed, keys, precision, speaker) -> list[SynthesisResult]:
        """Acoustic model + vocoder on one batch of symbol-id sequences."""
        t0 = time.perf_counter()
        speakers = None if speaker is None else [speaker] * len(ids)
        chunks = self.acoustic_batch(ids, sampler, seed, keys, precision, speakers)
        t1 = time.perf_counter()
        hop = self.mel_config.hop_length
        t_max = max(c.mel.shape[1] for c in chunks)
        # padding frames take the log-mel floor, not 0 (a loud value the vocoder would smear into the end
        # of shorter utterances)
        floor = np.float32(math.log(self.mel_config.log_clamp))
        mels = np.full((len(chunks), self.mel_config.n_mels, t_max), floor, dtype=np.float32)
        for i, c in enumerate(chunks):
            mels[i, :, : c.mel.shape[1]] = c.mel
        wav = np.asarray(self.vocoder(mels), dtype=np.float32).reshape(len(ids), -1)
        t2 = time.perf_counter()
        total = float(sum(c.mel.shape[1] for c in chunks))
        symbols = self.text.symbols.symbols
        results = []
        for row, (x, c) in enumerate(zip(ids, chunks, strict=True)):
            n = c.mel.shape[1]
            share = n / total
            audio = np.ascontiguousarray(wav[row, : n * hop], dtype=np.float32)
            durs = [(symbols[j], int(d)) for j, d in zip(x, c.durations, strict=True)]
            timings = {
                "acoustic_seconds": (t1 - t0) * share,
                "vocoder_seconds": (t2 - t1) * share,
                "audio_seconds": len(audio) / self.sample_rate,
            }
            results.append(SynthesisResult(audio, self.sample_rate, c.mel, durs, "", timings))
        return results

    def _join(self, parts: list[SynthesisResult | float], text: str, pause: float) -> SynthesisResult:
        """Concatenate one text's chunks in order: an explicit pause (seconds, from SSML) where the plan has
        one, ``pause`` seconds between chunks that follow each other directly. Silence is zeros in the
        audio and the log-mel floor in the mel."""
        speech = [p for p in parts if isinstance(p, SynthesisResult)]
        if len(parts) == 1:
            speech[0].text = text
            return speech[0]
        hop, floor_value = self.mel_config.hop_length, np.log(self.mel_config.log_clamp)
        audio_parts, mel_parts = [], []
        previous_was_speech = False
        for p in parts:
            if isinstance(p, SynthesisResult):
                seconds, previous_was_speech = (pause if previous_was_speech else 0.0), True
            else:
                seconds, previous_was_speech = float(p), False
            frames = int(round(seconds * self.sample_rate / hop))
            if frames:
                audio_parts.append(np.zeros(frames * hop, dtype=np.float32))
                mel_parts.append(np.full((self.mel_config.n_mels, frames), floor_value, np.float32))
            if isinstance(p, SynthesisResult):
                audio_parts.append(p.audio)
                mel_parts.append(p.mel)
        audio = np.concatenate(audio_parts)
        mel = np.concatenate(mel_parts, axis=1)
        timings = {k: sum(p.timings[k] for p in speech) for k in speech[0].timings}
        timings["audio_seconds"] = len(audio) / self.sample_rate
        durations = [d for p in speech for d in p.durations]
        return SynthesisResult(audio, self.sample_rate, mel, durations, text, timings)

    # -------------------------------------------------------------------------------------- streams
    def stream(
        self,
        text: str,
        *,
        sampler: SamplerConfig | None = None,
        ssml: bool | None = None,
        seed: int | None = None,
        precision: str = "fp32",
        max_chars: int = 300,
        pause: float = 0.15,
        window: int = DEFAULT_WINDOW,
        context: int = DEFAULT_CONTEXT,
        crossfade: int = DEFAULT_CROSSFADE,
        first_window: int = DEFAULT_FIRST_WINDOW,
        first_chunk_chars: int | None = None,
        speaker: int | None = None,
        **sampler_options,
    ) -> Iterator[StreamChunk]:
        """Speak ``text`` as an iterator of :class:`StreamChunk` (see :mod:`fmtts.streaming`). Bad options
        raise :class:`SynthesisError` here; text errors come from the iterator."""
        t0 = time.perf_counter()
        sampler = sampler_config(sampler, **sampler_options)
        check_options(1, pause, precision)
        self._check_sampler(sampler, precision)
        checks = [("window", window, 1), ("context", context, 0), ("crossfade", crossfade, 0)]
        checks.append(("first_window", first_window, 1))
        if first_chunk_chars is not None:  # None: whole sentences
            checks.append(("first_chunk_chars", first_chunk_chars, 1))
        for name, value, low in checks:
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise SynthesisError(f"{name} must be an integer ≥ {low}, got {value!r}")
        seed = new_seed() if seed is None else seed
        plan = iter_plan(text, self.text, ssml=ssml, max_chars=max_chars, first_chunk_chars=first_chunk_chars)
        windows = (window, context, crossfade)
        return self._stream(plan, t0, sampler, seed, precision, pause, windows, first_window, speaker)

    def _stream(self, plan, t0, sampler, seed, precision, pause, windows, first_window, speaker):
        from fmtts.memory import release_freed_host_memory

        sr, hop = self.sample_rate, self.mel_config.hop_length
        symbols = self.text.symbols.symbols
        samples = 0  # audio yielded so far
        previous_was_speech = False
        k = 0  # speech chunks so far
        speakers = None if speaker is None else [speaker]
        for index, part in enumerate(plan):
            if isinstance(part, Pause):
                seconds, previous_was_speech = float(part.seconds), False
            else:
                seconds = pause if previous_was_speech else 0.0
            frames = int(round(seconds * sr / hop))
            if frames:
                silence = np.zeros(frames * hop, dtype=np.float32)
                yield StreamChunk(silence, sr, samples / sr, time.perf_counter() - t0, index, "", last=True)
                samples += len(silence)
            if not isinstance(part, SpeechChunk):
                continue
            (chunk,) = self.acoustic_batch(
                [part.ids], sampler.at_rate(part.rate), seed, [k], precision, speakers
            )
            k += 1
            previous_was_speech = True
            phonemes, at = [], samples / sr
            for j, d in zip(part.ids, chunk.durations, strict=True):
                phonemes.append((symbols[j], at, at + d * hop / sr))
                at += d * hop / sr
            # Only the stream's first chunk starts with a small window: later chunks' audio is not awaited.
            first = first_window if k == 1 else None
            for piece, last in vocode_windows(self.vocoder, chunk.mel, hop, *windows, first_window=first):
                now = time.perf_counter() - t0
                yield StreamChunk(piece, sr, samples / sr, now, index, part.text, phonemes, last=last)
                samples += len(piece)
                phonemes = []
            release_freed_host_memory()  # keeps a long stream's memory flat
