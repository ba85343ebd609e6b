"""What the synthesis pipeline asks of an acoustic model, whatever runs it (ONNX Runtime or torch).

Arrays are the backend's own (numpy for ONNX Runtime, torch tensors for torch, on its device); the
pipeline only adds them and multiplies them by numbers, so one ODE loop serves both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np


@dataclass
class Prior:
    """What the decoder starts from, for a batch: μ per frame (B, F, T), normalised; the frame mask
    (B, 1, T); the speaker embedding (B, S) or None; frames per token (B, N) and per utterance (B,)."""

    mu: Any
    mask: Any
    speaker: Any | None
    durations: np.ndarray
    lengths: np.ndarray


class AcousticBackend(Protocol):
    name: str
    n_feats: int
    shortcut_steps: list[int]  # step counts the decoder was distilled for
    default_steps: int  # what synthesis uses when the caller does not say
    cond_dropout: float  # > 0: trained for classifier-free guidance
    n_speakers: int

    def prior(
        self,
        ids: list[list[int]],
        length_scale: float,
        speakers: list[int] | None = None,
        precision: str = "fp32",
    ) -> Prior:
        """Symbol ids of each utterance → the batch's :class:`Prior` (encoder and durations)."""
        ...

    def from_numpy(self, a: np.ndarray) -> Any:
        """A numpy array (the starting noise) as this backend's array."""
        ...

    def velocity(
        self,
        x: Any,
        prior: Prior,
        t: float,
        step: float,
        unconditional: bool = False,
        precision: str = "fp32",
    ) -> Any:
        """The estimator at time ``t`` with step size ``step`` (0: the instantaneous velocity);
        ``unconditional`` drops μ and the speaker (classifier-free guidance)."""
        ...

    def to_mel(self, x: Any, prior: Prior) -> np.ndarray:
        """The ODE's end state → de-normalised log-mels (B, F, T), float32 numpy, zero on padding."""
        ...
