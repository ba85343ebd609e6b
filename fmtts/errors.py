"""The errors fmtts raises for bad input, gathered so the CLI can print them as one clear line."""

from __future__ import annotations

from fmtts.audio import AudioError
from fmtts.checkpoint import CheckpointError
from fmtts.config import ConfigError
from fmtts.corpus.piper_corpus import CorpusError
from fmtts.data.cache import CacheError
from fmtts.data.prepare import DatasetError
from fmtts.text import TextError
from fmtts.training.trainer import TrainingError
from fmtts.vocoder.hifigan import VocoderError


class SynthesisError(ValueError):
    """Synthesis cannot proceed with the given options."""


USER_ERRORS: tuple[type[Exception], ...] = (
    AudioError,
    CheckpointError,
    ConfigError,
    CorpusError,
    CacheError,
    DatasetError,
    TextError,
    VocoderError,
    SynthesisError,
    TrainingError,
    FileNotFoundError,
)
