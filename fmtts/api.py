"""Python API: ``TTS.load(...)`` then ``tts.synthesize(text)``.

from fmtts import TTS
tts = TTS.load()                        # the embedded default voice, universal HiFi-GAN
out = tts.synthesize("Hello there.", steps=10)
out.save("hello.wav")                   # out.audio (float32), out.sample_rate, out.mel, out.durations
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from fmtts.audio import MelConfig, mel_differences, save_audio
from fmtts.checkpoint import CheckpointError, inference_state, load_checkpoint
from fmtts.config import Config, ConfigError
from fmtts.data.padding import pad_tokens
from fmtts.devices import DeviceError, cpu_has_native_bf16, pick_device, synchronize
from fmtts.models.masks import sequence_mask
from fmtts.models.tts import FlowTTS
from fmtts.sampling import SamplerConfig
from fmtts.text import TextError, TextProcessor
from fmtts.text.plan import SpeechChunk, plan_speech
from fmtts.user_warnings import warn_caller
from fmtts.vocoder import DEFAULT_BACKEND, load_vocoder


class SynthesisError(ValueError):
    """Synthesis cannot proceed with the given options."""


def check_finite_mel(mel: torch.Tensor) -> torch.Tensor:
    """``mel``, or a :class:`SynthesisError` if it holds NaN or inf (a damaged voice file): the vocoder
    would turn them into undefined samples."""
    if not bool(torch.isfinite(mel).all()):
        raise SynthesisError(
            "the acoustic model produced non-finite values (NaN or inf): is the voice file damaged?"
        )
    return mel


VOICES_DIR = Path(__file__).resolve().parent / "voices"
DEFAULT_VOICE = "joe"
DEFAULT_VOCODER = "universal"
PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


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


def voice_vocoder(path: Path, ckpt: dict) -> str:
    """The vocoder a voice was made for: its ``vocoder`` entry, else a ``<voice>.json`` file beside it
    (``{"vocoder": NAME}``: lets a shipped voice move to a new vocoder without rewriting its weights),
    else the universal HiFi-GAN."""
    if ckpt.get("vocoder"):
        return _beside(path, str(ckpt["vocoder"]))
    sidecar = path.with_suffix(".json")
    if sidecar.is_file():
        try:
            named = json.loads(sidecar.read_text(encoding="utf-8")).get("vocoder")
        except (OSError, ValueError, AttributeError) as exc:
            raise CheckpointError(f"{sidecar}: not a JSON object with a 'vocoder' entry: {exc}") from exc
        if named:
            return _beside(path, str(named))
    return DEFAULT_VOCODER


def _beside(voice: Path, vocoder: str) -> str:
    """A relative vocoder path names a file beside the voice (a name such as "universal" stays a name)."""
    candidate = voice.parent / vocoder
    return str(candidate) if not Path(vocoder).is_absolute() and candidate.is_file() else vocoder


def resolve_voice(name_or_path: str | Path | None) -> Path:
    """None → the embedded default voice; a bare name → ``fmtts/voices/<name>.pt``; else a file path."""
    if name_or_path is None:
        name_or_path = DEFAULT_VOICE
    p = Path(name_or_path)
    if p.is_file():
        return p
    embedded = VOICES_DIR / f"{name_or_path}.pt"
    if embedded.is_file():
        return embedded
    if p.suffix or "/" in str(name_or_path):
        raise CheckpointError(f"checkpoint not found: {p}")
    known = sorted(x.stem for x in VOICES_DIR.glob("*.pt"))
    raise CheckpointError(f"no voice named {name_or_path!r}; embedded voices: {known or 'none'}")


def _device(device: str | torch.device) -> torch.device:
    try:
        return pick_device(device)
    except DeviceError as exc:
        raise SynthesisError(str(exc)) from exc


class TTS:
    """A loaded voice (acoustic model + text frontend) paired with a vocoder."""

    def __init__(
        self,
        model: FlowTTS,
        text: TextProcessor,
        mel_config: MelConfig,
        config: Config,
        device: torch.device,
        vocoder: str = "universal",
        denoise: float = 0.0,
        source: str = "",
        vocoder_backend: str = DEFAULT_BACKEND,
    ):
        self.model = model.eval()
        self.text = text
        self.mel_config = mel_config
        self.config = config
        self.device = device
        self.vocoder_name = vocoder
        self.denoise = denoise
        self.vocoder_backend = vocoder_backend
        self.source = source
        self._vocoder = None

    @classmethod
    def load(
        cls,
        path_or_name: str | Path | None = None,
        device: str | torch.device = "auto",
        vocoder: str = "auto",
        denoise: float = 0.0,
        vocoder_backend: str = DEFAULT_BACKEND,
    ) -> TTS:
        """Load a voice: None for the embedded default, a voice name, or a checkpoint path.
        ``vocoder`` "auto" is the vocoder the voice names (see :func:`voice_vocoder`), else any name or
        path :func:`fmtts.vocoder.load_vocoder` takes. ``vocoder_backend`` "auto" (default: ONNX Runtime on
        a CPU where it is installed, else torch), "torch" or "onnx" (the vocoder's generator on ONNX Runtime,
        same audio to ~1e-5, exported once per machine)."""
        path = resolve_voice(path_or_name)
        dev = _device(device)
        ckpt = load_checkpoint(path, map_location="cpu")
        try:
            config = Config.from_dict(ckpt["config"])
        except ConfigError as exc:
            raise CheckpointError(f"{path}: stored config does not fit this fmtts version: {exc}") from exc
        text = TextProcessor.from_dict(ckpt["text"])
        n_vocab = len(ckpt["text"]["symbols"]["symbols"])
        stats = ckpt["mel_stats"]
        model = FlowTTS(config.model, n_vocab, stats["mean"], stats["std"])
        state = inference_state(ckpt)
        state = {k: v.float() if v.is_floating_point() else v for k, v in state.items()}
        try:
            model.load_state_dict(state)
        except RuntimeError as exc:
            raise CheckpointError(
                f"{path}: weights do not match the stored config: {str(exc)[:300]}"
            ) from exc
        if vocoder == "auto":
            vocoder = voice_vocoder(path, ckpt)
        where = "embedded default voice" if path.resolve().parent == VOICES_DIR else "checkpoint"
        source = f"{where} {path} (step {ckpt.get('step', '?')}, fmtts {ckpt.get('fmtts_version', '?')})"
        return cls(
            model.to(dev),
            text,
            MelConfig.from_dict(ckpt["mel_config"]),
            config,
            dev,
            vocoder,
            denoise,
            source,
            vocoder_backend,
        )

    @property
    def vocoder(self):
        if self._vocoder is None:
            voc = load_vocoder(
                self.vocoder_name,
                device=str(self.device),
                denoise=self.denoise,
                backend=self.vocoder_backend,
                mel_config=self.mel_config,  # Griffin-Lim inverts any mel: the voice's
            )
            differ = mel_differences(voc.mel_config, self.mel_config)
            if differ:  # kept unset, so that every later call fails the same way
                raise SynthesisError(
                    f"the vocoder {voc.name} reads another mel than the voice's (vocoder, voice: {differ})"
                )
            self._vocoder = voc
        return self._vocoder

    @property
    def sample_rate(self) -> int:
        return self.mel_config.sample_rate

    def synthesize(self, text: str, **options) -> SynthesisResult:
        """Speak ``text``: see :meth:`synthesize_batch` for the options. Long text is split at sentence
        boundaries (never inside a word), synthesised as a batch and joined with short pauses."""
        return self.synthesize_batch([text], **options)[0]

    @torch.inference_mode()
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
        **sampler_options,
    ) -> list[SynthesisResult]:
        """One result per text. Each text is split into chunks of at most ``max_chars`` characters at
        sentence boundaries; all chunks are synthesised ``batch_size`` at a time (similar lengths
        together) and each text's chunks are joined with ``pause`` seconds of silence.

        ``sampler`` (a :class:`SamplerConfig`: steps, solver, schedule, temperature, length_scale,
        cfg_scale) says how mels are sampled; its fields may also be given as keywords
        (``steps=4, length_scale=1.1``), which override ``sampler``'s. ``precision`` "bf16" (or "fp16"
        on CUDA) runs the acoustic model under autocast (BENCHMARKS.md); the ODE state and the vocoder
        stay fp32. ``seed`` makes the output repeatable. ``ssml``: None reads text starting with
        ``<speak`` as SSML (break, prosody rate, say-as, sub, phoneme, p, s; see :mod:`fmtts.text.ssml`),
        True always, False never; ``[[ IPA ]]`` inline phonemes work in plain text.
        """
        sampler = self.sampler_config(sampler, **sampler_options)
        self._check_options(batch_size, pause, precision)
        plans = []
        for n, text in enumerate(texts):
            try:
                plans.append(plan_speech(text, self.text, ssml=ssml, max_chars=max_chars))
            except TextError as exc:
                if len(texts) == 1:
                    raise
                raise TextError(f"text at index {n}: {exc}") from exc
        chunks = [
            (n, k) for n, plan in enumerate(plans) for k, p in enumerate(plan) if isinstance(p, SpeechChunk)
        ]
        gen = torch.Generator(device=self.device)
        gen.manual_seed(seed if seed is not None else int(torch.randint(0, 2**31 - 1, (1,))))
        results: dict[tuple[int, int], SynthesisResult] = {}
        # similar lengths share a batch; a batch has one speaking rate (SSML prosody)
        order = sorted(chunks, key=lambda nk: (plans[nk[0]][nk[1]].rate, len(plans[nk[0]][nk[1]].ids)))
        while order:
            rate = plans[order[0][0]][order[0][1]].rate
            batch = [nk for nk in order[:batch_size] if plans[nk[0]][nk[1]].rate == rate]
            order = order[len(batch) :]
            options = dict(sampler=sampler.at_rate(rate), generator=gen)
            speech = [plans[n][k] for n, k in batch]
            outs = self._synthesize_ids([c.ids for c in speech], precision, options)
            for nk, chunk, res in zip(batch, speech, outs, strict=True):
                res.text = chunk.text
                results[nk] = res
        return [
            self._join(
                [results[(n, k)] if isinstance(p, SpeechChunk) else p.seconds for k, p in enumerate(plan)],
                texts[n],
                pause,
            )
            for n, plan in enumerate(plans)
        ]

    @staticmethod
    def sampler_config(sampler: SamplerConfig | None = None, **options) -> SamplerConfig:
        """``sampler`` (default: :class:`SamplerConfig`'s defaults) with ``options`` replacing its fields;
        a bad value or unknown option is a :class:`SynthesisError`."""
        unknown = set(options) - set(SamplerConfig.field_names())
        if unknown:
            raise SynthesisError(
                f"unknown synthesis option(s) {sorted(unknown)}; "
                f"sampler options: {SamplerConfig.field_names()}"
            )
        try:
            return (sampler or SamplerConfig()).replace(**options)
        except ValueError as exc:
            raise SynthesisError(str(exc)) from exc

    @staticmethod
    def _check_options(batch_size: int, pause: float, precision: str) -> None:
        if batch_size < 1:
            raise SynthesisError(f"batch_size must be ≥ 1, got {batch_size}")
        if not math.isfinite(pause) or pause < 0:
            raise SynthesisError(f"pause must be ≥ 0 seconds, got {pause}")
        if precision not in PRECISIONS:
            raise SynthesisError(f"precision must be one of {sorted(PRECISIONS)}, got {precision!r}")

    def _synthesize_ids(
        self, batch_ids: list[list[int]], precision: str, options: dict
    ) -> list[SynthesisResult]:
        """Acoustic model + vocoder on one batch of symbol-id sequences."""
        if precision == "fp16" and self.device.type != "cuda":
            raise SynthesisError("fp16 synthesis needs CUDA; use bf16 on CPU")
        if precision == "bf16" and self.device.type == "cpu" and cpu_has_native_bf16() is False:
            warn_caller(
                "bf16 on a CPU without AVX-512 BF16 or AMX is emulated: typically several times slower "
                "than fp32 (BENCHMARKS.md); use --precision fp32 here"
            )
        if options["sampler"].cfg_scale > 0 and self.config.model.cfm.cond_dropout == 0:
            warn_caller(
                "cfg_scale > 0 with a voice trained without condition dropout: its unconditional "
                "branch is untrained, expect worse audio"
            )
        tokens, lens = pad_tokens(batch_ids)
        synchronize(self.device)
        t0 = time.perf_counter()
        with torch.autocast(self.device.type, dtype=PRECISIONS[precision], enabled=precision != "fp32"):
            out = self.model.synthesize(tokens.to(self.device), lens.to(self.device), **options)
        synchronize(self.device)
        t1 = time.perf_counter()
        mel = check_finite_mel(out.mel.float())
        # Padding frames get the log-mel silence floor, not 0 (a loud value the vocoder would smear
        # into the end of shorter utterances).
        valid = sequence_mask(out.mel_lengths, mel.shape[-1])
        mel = torch.where(valid[:, None, :], mel, math.log(self.mel_config.log_clamp))
        wav = self.vocoder(mel).reshape(len(batch_ids), -1)
        synchronize(self.device)
        t2 = time.perf_counter()
        wav = wav.float().cpu().numpy()
        total_frames = float(out.mel_lengths.sum())
        hop = self.mel_config.hop_length
        symbols = self.text.symbols.symbols
        results = []
        for row, x in enumerate(batch_ids):
            n = int(out.mel_lengths[row])
            share = n / total_frames
            audio = np.ascontiguousarray(wav[row, : n * hop], dtype=np.float32)
            durs = [
                (symbols[j], int(d)) for j, d in zip(x, out.durations[row, : len(x)].tolist(), strict=True)
            ]
            results.append(
                SynthesisResult(
                    audio=audio,
                    sample_rate=self.sample_rate,
                    mel=mel[row, :, :n].cpu().numpy(),
                    durations=durs,
                    text="",
                    timings={
                        "acoustic_seconds": (t1 - t0) * share,
                        "vocoder_seconds": (t2 - t1) * share,
                        "audio_seconds": len(audio) / self.sample_rate,
                    },
                )
            )
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
                gap = pause if previous_was_speech else 0.0
                seconds, previous_was_speech = gap, True
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

    def stream(self, text: str, **options):
        """Speak ``text`` piece by piece: an iterator of :class:`fmtts.streaming.StreamChunk` (float32
        ``audio``, ``sample_rate``, ``offset`` and ``elapsed`` seconds, the sentence's ``text`` and
        phoneme timings), each yielded as soon as it is vocoded. Options as :meth:`synthesize_batch`
        (not ``batch_size``) plus the vocoder windowing; see :func:`fmtts.streaming.stream_speech`.
        The joined pieces equal :meth:`synthesize`'s audio for a one-sentence text and the same seed
        (to the vocoder's windowing error)."""
        from fmtts.streaming import stream_speech

        return stream_speech(self, text, **options)
