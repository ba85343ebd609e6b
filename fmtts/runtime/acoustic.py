"""The acoustic model on ONNX Runtime: a voice file's two graphs, driven by numpy.

The encoder graph runs once per batch (tokens → μ, log-durations, mask); durations, the expansion of μ
to frames and the ODE loop are numpy here; the estimator graph runs once per step.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from fmtts.runtime.backend import Prior
from fmtts.runtime.sessions import make_session
from fmtts.runtime.voice_file import VoiceFile, VoiceFileError


def frames_from_log_durations(logw: np.ndarray, mask: np.ndarray, length_scale: float) -> np.ndarray:
    """(B, N) log-durations → integer frames per token, exactly as
    :func:`fmtts.models.duration.frames_from_log_durations`: one frame per token at least, the frames
    beyond it rounded with the remainder carried from token to token (float32 arithmetic like torch's)."""
    scale = np.float32(length_scale)
    extra = np.maximum(np.exp(logw.astype(np.float32)) * scale - np.float32(1.0), 0) * mask
    total = np.round(np.cumsum(extra.astype(np.float32), axis=1, dtype=np.float32))
    extra_frames = np.diff(total, axis=1, prepend=np.zeros_like(total[:, :1]))
    return ((1 + np.maximum(extra_frames, 0)) * mask).astype(np.int64)


def expand(mu: np.ndarray, durations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """μ per token (B, F, N) → μ per frame (B, F, T) and the frame mask (B, 1, T); T the longest."""
    lengths = np.maximum(durations.sum(1), 1)
    t_max = int(lengths.max())
    b, f, _ = mu.shape
    out = np.zeros((b, f, t_max), dtype=np.float32)
    mask = np.zeros((b, 1, t_max), dtype=np.float32)
    for i in range(b):
        frames = np.repeat(mu[i], durations[i], axis=1)
        out[i, :, : frames.shape[1]] = frames
        mask[i, 0, : lengths[i]] = 1.0
    return out, mask


class OnnxAcoustic:
    """:class:`fmtts.runtime.backend.AcousticBackend` over a ``.fmtts`` voice file."""

    name = "onnx"

    def __init__(self, voice: VoiceFile, threads: int | None = None):
        self.path = voice.path
        self.manifest = m = voice.manifest  # not the graphs' bytes: the sessions hold what they need
        self.n_feats = int(m["n_feats"])
        self.shortcut_steps = voice.shortcut_steps
        self.default_steps = voice.default_steps
        self.mel_mean = float(m["mel_stats"]["mean"])
        self.mel_std = float(m["mel_stats"]["std"])
        self.duration_scale = float(m["duration_scale"])
        self.cond_dropout = float(m.get("cond_dropout", 0.0))
        self.n_speakers = max(1, len(voice.speakers))
        try:
            self.encoder = make_session(voice.graphs["encoder.onnx"], threads)
            self.estimator = make_session(voice.graphs["estimator.onnx"], threads)
        except Exception as exc:  # onnxruntime raises its own exception types
            raise VoiceFileError(f"{voice.path}: ONNX Runtime cannot load its graphs: {exc}") from exc
        self._estimator_inputs = {i.name for i in self.estimator.get_inputs()}
        self._encoder_inputs = {i.name for i in self.encoder.get_inputs()}

    @classmethod
    def load(cls, path: str | Path, threads: int | None = None) -> OnnxAcoustic:
        return cls(VoiceFile.read(path), threads)

    def prior(
        self,
        ids: list[list[int]],
        length_scale: float,
        speakers: list[int] | None = None,
        precision: str = "fp32",
    ) -> Prior:
        b, n = len(ids), max(len(x) for x in ids)
        tokens = np.zeros((b, n), dtype=np.int64)
        for i, x in enumerate(ids):
            tokens[i, : len(x)] = x
        feed = {"tokens": tokens, "token_lengths": np.array([len(x) for x in ids], dtype=np.int64)}
        if "speakers" in self._encoder_inputs:
            feed["speakers"] = np.asarray(speakers if speakers is not None else [0] * b, dtype=np.int64)
        outs = dict(
            zip([o.name for o in self.encoder.get_outputs()], self.encoder.run(None, feed), strict=True)
        )
        x_mask = outs["x_mask"][:, 0]
        durations = frames_from_log_durations(outs["logw"][:, 0], x_mask, length_scale * self.duration_scale)
        mu, mask = expand(outs["mu"], durations)
        return Prior(mu, mask, outs.get("speaker_embedding"), durations, mask[:, 0].sum(1).astype(np.int64))

    def from_numpy(self, a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(a, dtype=np.float32)

    def velocity(
        self,
        x: np.ndarray,
        prior: Prior,
        t: float,
        step: float,
        unconditional: bool = False,
        precision: str = "fp32",
    ) -> np.ndarray:
        b = x.shape[0]
        feed = {
            "x": np.ascontiguousarray(x, dtype=np.float32),
            "mask": prior.mask,
            "mu": np.zeros_like(prior.mu) if unconditional else prior.mu,
            "t": np.full((b,), t, dtype=np.float32),
        }
        if "step" in self._estimator_inputs:
            feed["step"] = np.full((b,), step, dtype=np.float32)
        if "speaker" in self._estimator_inputs:
            feed["speaker"] = np.zeros_like(prior.speaker) if unconditional else prior.speaker
        return self.estimator.run(None, feed)[0]

    def to_mel(self, x: np.ndarray, prior: Prior) -> np.ndarray:
        return (x * self.mel_std + self.mel_mean) * prior.mask
