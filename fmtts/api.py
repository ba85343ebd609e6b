"""Python API: ``TTS.load(...)`` then ``tts.synthesize(text)`` or ``tts.stream(text)``.

from fmtts import TTS
tts = TTS.load()                        # the embedded default voice on ONNX Runtime (no torch needed)
out = tts.synthesize("Hello there.")
out.save("hello.wav")                   # out.audio (float32), out.sample_rate, out.mel, out.durations

Two backends run the acoustic model: ``onnx`` (ONNX Runtime and numpy: the runtime every install has,
reading ``.fmtts`` voice files) and ``torch`` (training checkpoints and ``.pt`` voices; GPUs; needs
``fmtts[train]``). ``backend="auto"`` takes torch on a CUDA machine where it is installed, else the ONNX
runtime for voices that have a ``.fmtts`` form, and torch for ``.pt`` checkpoints.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

from fmtts.audio import MelConfig, mel_differences
from fmtts.errors import FmttsError
from fmtts.paths import VOCODERS_DIR, VOICES_DIR
from fmtts.pipeline import (
    Pipeline,
    SynthesisError,
    SynthesisResult,
    check_finite_mel,
    sampler_config,
)
from fmtts.runtime.voice_file import SUFFIX, VoiceFile
from fmtts.sampling import SamplerConfig
from fmtts.text import TextProcessor

__all__ = [
    "BACKENDS",
    "DEFAULT_VOICE",
    "TTS",
    "VOICES_DIR",
    "SynthesisError",
    "SynthesisResult",
    "check_finite_mel",
    "resolve_voice",
]

DEFAULT_VOICE = "joe"
DEFAULT_VOCODER = "universal"
BACKENDS = ("auto", "onnx", "torch")
TORCH_SUFFIXES = (".pt", ".pth", ".ckpt")


class VoiceNotFound(FmttsError, ValueError):
    """No voice of that name or path."""


def torch_available() -> bool:
    """Whether torch can be imported (without importing it)."""
    if "torch" in sys.modules:
        return sys.modules["torch"] is not None  # None: imports of it are blocked
    return importlib.util.find_spec("torch") is not None


def _needs_torch(what: str) -> SynthesisError:
    return SynthesisError(
        f"{what} needs torch, which this install does not have: pip install 'fmtts[train]' "
        "(or export the voice to the runtime's form elsewhere: fmtts export CHECKPOINT VOICE.fmtts)"
    )


def embedded_voices() -> list[str]:
    return sorted({p.stem for p in VOICES_DIR.glob("*") if p.suffix in (SUFFIX, ".pt")})


def resolve_voice(name_or_path: str | Path | None) -> Path:
    """None → the embedded default voice; a bare name → ``fmtts/assets/voices/<name>.fmtts`` (or ``<name>.pt``
    where only that exists); else a file path."""
    if name_or_path is None:
        name_or_path = DEFAULT_VOICE
    p = Path(name_or_path).expanduser()
    if p.is_file():
        return p
    for candidate in (VOICES_DIR / f"{name_or_path}{suffix}" for suffix in (SUFFIX, ".pt")):
        if candidate.is_file():
            return candidate
    if p.suffix or "/" in str(name_or_path):
        raise VoiceNotFound(f"voice file not found: {p}")
    raise VoiceNotFound(f"no voice named {name_or_path!r}; embedded voices: {embedded_voices() or 'none'}")


def voice_vocoder(path: Path, ckpt: dict) -> str:
    """The vocoder a checkpoint was made for: its ``vocoder`` entry, else a ``<voice>.json`` file beside it
    (``{"vocoder": NAME}``: lets a shipped voice move to a new vocoder without rewriting its weights),
    else the universal HiFi-GAN."""
    from fmtts.checkpoint import CheckpointError

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


def _onnx_vocoder_file(voice_path: Path, name: str) -> Path | None:
    """``<name>.onnx`` beside the voice or among the embedded vocoders (a path to an .onnx file as is)."""
    p = Path(name)
    if p.suffix == ".onnx":
        return p if p.is_file() else (voice_path.parent / p if (voice_path.parent / p).is_file() else None)
    if p.suffix in TORCH_SUFFIXES:  # a torch vocoder file: only its own .onnx export beside it stands in
        candidate = (p if p.is_absolute() else voice_path.parent / p).with_suffix(".onnx")
        return candidate if candidate.is_file() else None
    for candidate in (voice_path.parent / f"{name}.onnx", VOCODERS_DIR / f"{name.lower()}.onnx"):
        if candidate.is_file():
            return candidate
    return None


def _wants_gpu(device: str) -> bool:
    """Whether ``device`` asks for (or, "auto", finds) a GPU. "auto" imports torch only where an NVIDIA
    driver is present: on a CPU machine, deciding costs no torch import (~1 s, ~200 MB)."""
    if device == "cpu":
        return False
    if not torch_available():
        if device != "auto":
            raise _needs_torch(f"device {device!r}")
        return False
    if device != "auto":
        return True
    if os.environ.get("CUDA_VISIBLE_DEVICES", None) in ("", "-1") or not _nvidia_driver():
        return False
    import torch

    return bool(torch.cuda.is_available())


def _nvidia_driver() -> bool:
    return Path("/proc/driver/nvidia/version").exists() or Path("/dev/nvidia0").exists()


class TorchVocoder:
    """A torch vocoder (HiFi-GAN, fmtts's ISTFT vocoder, Griffin-Lim, ...) as the pipeline calls it: numpy
    log-mels in, numpy audio out (torch tensors in give tensors out, as the vocoder itself does)."""

    def __init__(self, vocoder: Any):
        self.torch_vocoder = vocoder
        self.name = vocoder.name
        self.sample_rate = vocoder.sample_rate
        self.hop_length = vocoder.hop_length
        self.mel_config = vocoder.mel_config

    def __getattr__(self, name: str) -> Any:  # the wrapped vocoder's other attributes (strength, ...)
        if name == "torch_vocoder":
            raise AttributeError(name)
        return getattr(self.torch_vocoder, name)

    def __call__(self, mel):
        import numpy as np
        import torch

        if isinstance(mel, torch.Tensor):
            return self.torch_vocoder(mel)
        device = getattr(self.torch_vocoder, "device", "cpu")
        with torch.inference_mode():
            audio = self.torch_vocoder(
                torch.from_numpy(np.ascontiguousarray(mel, dtype=np.float32)).to(device)
            )
        return audio.float().cpu().numpy()


class TTS:
    """A loaded voice (text frontend + acoustic backend) paired with a vocoder; see the module docstring."""

    def __init__(
        self,
        acoustic: Any,
        text: TextProcessor,
        mel_config: MelConfig,
        vocoder_loader: Any,
        source: str = "",
        speakers: list[str] | None = None,
        name: str = "",
    ):
        self.acoustic = acoustic
        self.text = text
        self.mel_config = mel_config
        self.source = source
        self.name = name
        self.speakers = list(speakers or [])
        self._vocoder_loader = vocoder_loader
        self._pipeline: Pipeline | None = None

    # ---------------------------------------------------------------------------------------------- load
    @classmethod
    def load(
        cls,
        path_or_name: str | Path | None = None,
        device: str = "auto",
        vocoder: str = "auto",
        denoise: float = 0.0,
        vocoder_backend: str = "auto",
        backend: str = "auto",
        threads: int | None = None,
    ) -> TTS:
        """Load a voice: None for the embedded default, a voice name, a ``.fmtts`` voice file or a torch
        checkpoint. ``backend`` "auto", "onnx" or "torch" (module docstring); ``device`` "auto", "cpu",
        "cuda[:N]" (torch backend only off the CPU). ``vocoder`` "auto" is the vocoder the voice names,
        else a name or a file (``.onnx`` for the runtime; torch vocoders and "griffinlim" need torch).
        ``threads``: CPU threads for ONNX Runtime (and torch's intra-op pool), default all cores up to 8.
        ``vocoder_backend`` ("auto", "torch", "onnx") and ``denoise`` apply to torch vocoders."""
        if backend not in BACKENDS:
            raise SynthesisError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if threads is not None and (isinstance(threads, bool) or not isinstance(threads, int) or threads < 1):
            raise SynthesisError(f"threads must be a positive integer, got {threads!r}")
        path = resolve_voice(path_or_name)
        if backend == "auto":
            backend = "onnx" if path.suffix == SUFFIX and not _wants_gpu(device) else "torch"
        if backend == "onnx":
            if path.suffix != SUFFIX:
                raise SynthesisError(
                    f"{path} is a torch checkpoint, not a runtime voice file: use backend 'torch' "
                    f"(fmtts[train]) or export it: fmtts export {path} VOICE{SUFFIX}"
                )
            if device not in ("auto", "cpu"):
                raise SynthesisError(
                    f"the onnx backend runs on the CPU; for device {device!r} use backend 'torch'"
                )
            return cls._load_onnx(path, vocoder, threads, denoise, vocoder_backend)
        if not torch_available():
            raise _needs_torch(f"the voice {path}")
        return cls._load_torch(path, device, vocoder, threads, denoise, vocoder_backend)

    @classmethod
    def _load_onnx(cls, path: Path, vocoder: str, threads, denoise, vocoder_backend) -> TTS:
        from fmtts.runtime.acoustic import OnnxAcoustic

        voice = VoiceFile.read(path)
        acoustic = OnnxAcoustic(voice, threads)
        name = vocoder if vocoder != "auto" else str(voice.manifest.get("vocoder") or DEFAULT_VOCODER)
        mel_config = MelConfig.from_dict(voice.manifest["mel_config"])

        where = _where(path, "voice file")
        m = voice.manifest
        made = (
            f"distilled for {m['shortcut_steps']} steps"
            if m.get("shortcut_steps")
            else f"step {m.get('step', '?')}"
        )
        source = f"{where} {path} ({made}, fmtts {m.get('fmtts_version', '?')}, onnx)"
        text = TextProcessor.from_dict(voice.manifest["text"])
        load_vocoder = _vocoder_loader(path, name, "cpu", threads, denoise, vocoder_backend)
        return cls(acoustic, text, mel_config, load_vocoder, source, voice.speakers, path.stem)

    @classmethod
    def _load_torch(cls, path: Path, device: str, vocoder: str, threads, denoise, vocoder_backend) -> TTS:
        import torch

        from fmtts.devices import DeviceError, pick_device
        from fmtts.memory import keep_freed_memory_for_reuse
        from fmtts.torch_backend import TorchAcoustic, load_model

        try:
            dev = pick_device(device)
        except DeviceError as exc:
            raise SynthesisError(str(exc)) from exc
        if threads:
            torch.set_num_threads(threads)
        keep_freed_memory_for_reuse()
        model, ckpt = load_model(path)
        acoustic = TorchAcoustic(model, dev, ckpt.get("default_steps"))
        name = voice_vocoder(path, ckpt) if vocoder == "auto" else vocoder
        mel_config = MelConfig.from_dict(ckpt["mel_config"])

        where = _where(path, "checkpoint")
        source = (
            f"{where} {path} (step {ckpt.get('step', '?')}, fmtts {ckpt.get('fmtts_version', '?')}, torch)"
        )
        text = TextProcessor.from_dict(ckpt["text"])
        load_vocoder = _vocoder_loader(path, name, str(dev), threads, denoise, vocoder_backend)
        # a one-speaker model lists no speakers, as its voice file does (a fine-tuned voice's table row
        # keeps its name in the checkpoint for the next fine-tuning)
        speakers = list(ckpt.get("speakers", [])) if model.cfg.n_speakers > 1 else []
        return cls(acoustic, text, mel_config, load_vocoder, source, speakers, path.stem)

    # ---------------------------------------------------------------------------------------------- parts
    @property
    def backend(self) -> str:
        return self.acoustic.name

    @property
    def model(self):
        """The torch model (torch backend only)."""
        model = getattr(self.acoustic, "model", None)
        if model is None:
            raise SynthesisError(
                "this voice runs on ONNX Runtime; load it with backend='torch' for its model"
            )
        return model

    @property
    def device(self):
        return getattr(self.acoustic, "device", "cpu")

    @property
    def default_steps(self) -> int:
        """The step count synthesis uses when the caller does not say (the voice file's choice)."""
        return int(self.acoustic.default_steps)

    @property
    def shortcut_steps(self) -> list[int]:
        """Step counts the voice was distilled for (sampling at these takes one estimator pass a step)."""
        return list(self.acoustic.shortcut_steps)

    @property
    def vocoder(self):
        if self._pipeline is None:
            voc = self._vocoder_loader(self.mel_config)  # Griffin-Lim inverts any mel: the voice's
            differ = mel_differences(voc.mel_config, self.mel_config)
            if differ:  # kept unset, so that every later call fails the same way
                raise SynthesisError(
                    f"the vocoder {voc.name} reads another mel than the voice's (vocoder, voice: {differ})"
                )
            self._pipeline = Pipeline(self.acoustic, self.text, self.mel_config, voc)
        return self._pipeline.vocoder

    @property
    def pipeline(self) -> Pipeline:
        _ = self.vocoder
        assert self._pipeline is not None
        return self._pipeline

    @property
    def sample_rate(self) -> int:
        return self.mel_config.sample_rate

    def speaker_id(self, speaker: str | int | None) -> int | None:
        """A speaker name or index of a multi-speaker voice → its index; None for the voice's first. A
        string of digits that names no speaker is an index (as command lines and requests give it)."""
        if speaker is None:
            return None
        if (
            isinstance(speaker, str)
            and speaker not in self.speakers
            and speaker.isascii()
            and speaker.isdigit()
        ):
            speaker = int(speaker)
        if isinstance(speaker, int) and not isinstance(speaker, bool):
            if 0 <= speaker < max(1, len(self.speakers), int(getattr(self.acoustic, "n_speakers", 1))):
                return speaker
        elif isinstance(speaker, str) and speaker in self.speakers:
            return self.speakers.index(speaker)
        raise SynthesisError(
            f"unknown speaker {speaker!r}; this voice has {self.speakers or ['one speaker']}"
        )

    # ---------------------------------------------------------------------------------------------- speak
    def synthesize(self, text: str, **options) -> SynthesisResult:
        """Speak ``text``: see :meth:`synthesize_batch` for the options. Long text is split at sentence
        boundaries (never inside a word), synthesised as a batch and joined with short pauses."""
        return self.synthesize_batch([text], **options)[0]

    def synthesize_batch(
        self, texts: list[str], *, speaker: str | int | None = None, **options
    ) -> list[SynthesisResult]:
        """One result per text. Each text is split into chunks of at most ``max_chars`` characters at
        sentence boundaries; all chunks are synthesised ``batch_size`` at a time (similar lengths
        together) and each text's chunks are joined with ``pause`` seconds of silence.

        ``sampler`` (a :class:`SamplerConfig`: steps, solver, schedule, temperature, length_scale,
        cfg_scale) says how mels are sampled; its fields may also be given as keywords
        (``steps=4, length_scale=1.1``), which override ``sampler``'s. A distilled voice samples its
        distilled step counts (:attr:`shortcut_steps`) with one estimator pass each. ``precision`` "bf16"
        (or "fp16" on CUDA) runs the torch backend under autocast. ``seed`` makes the output repeatable;
        a chunk's noise depends only on the seed and its place in its text, so streaming gives the same
        mels. ``ssml``: None reads text starting with ``<speak`` as SSML (break, prosody rate, say-as,
        sub, phoneme, p, s; see :mod:`fmtts.text.ssml`), True always, False never; ``[[ IPA ]]`` inline
        phonemes work in plain text. ``speaker``: a name or index of a multi-speaker voice."""
        return self.pipeline.synthesize_batch(texts, speaker=self.speaker_id(speaker), **options)

    def stream(self, text: str, *, speaker: str | int | None = None, **options):
        """Speak ``text`` piece by piece: an iterator of :class:`fmtts.streaming.StreamChunk` (float32
        ``audio``, ``sample_rate``, ``offset`` and ``elapsed`` seconds, the sentence's ``text`` and
        phoneme timings), each yielded as soon as it is vocoded. Options as :meth:`synthesize_batch`
        (not ``batch_size``) plus the vocoder windowing (``window``, ``context``, ``crossfade``,
        ``first_window``) and ``first_chunk_chars``. The joined pieces equal :meth:`synthesize`'s audio
        for the same seed (to the vocoder's windowing error)."""
        return self.pipeline.stream(text, speaker=self.speaker_id(speaker), **options)

    @staticmethod
    def sampler_config(sampler: SamplerConfig | None = None, **options) -> SamplerConfig:
        return sampler_config(sampler, **options)


def _where(path: Path, otherwise: str) -> str:
    if path.resolve().parent != VOICES_DIR:
        return otherwise
    return "embedded default voice" if path.stem == DEFAULT_VOICE else "embedded voice"


def _vocoder_loader(voice: Path, name: str, device: str, threads, denoise: float, vocoder_backend: str):
    """The voice's vocoder, loaded when first needed: its ``.onnx`` form on the CPU (what the runtime
    install has), else the torch vocoder of that name."""

    def load(mel_config: MelConfig):
        onnx_file = _onnx_vocoder_file(voice, name)
        if onnx_file is not None and device == "cpu" and vocoder_backend in ("auto", "onnx") and not denoise:
            from fmtts.runtime.vocoder import OnnxVocoderFile

            return OnnxVocoderFile(onnx_file, threads)
        if not torch_available():
            why = (
                "no .onnx form of it was found"
                if onnx_file is None
                else "the denoiser and --vocoder-backend torch run on torch"
            )
            raise _needs_torch(f"the vocoder {name!r} ({why})")
        return _torch_vocoder(_beside(voice, name), device, denoise, vocoder_backend, mel_config, threads)

    return load


def _torch_vocoder(name: str, device: str, denoise: float, backend: str, mel_config: MelConfig, threads):
    import torch

    from fmtts.vocoder import load_vocoder

    if threads:  # the same thread count as the acoustic graphs
        torch.set_num_threads(threads)
    voc = load_vocoder(name, device=device, denoise=denoise, backend=backend, mel_config=mel_config)
    return TorchVocoder(voc)
