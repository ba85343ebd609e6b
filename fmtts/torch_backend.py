"""The acoustic model on torch (a training checkpoint or an exported ``.pt`` voice): for GPUs, for
training-time synthesis, and as the reference the ONNX graphs are checked against. Needs torch
(``pip install 'fmtts[train]'``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from fmtts.checkpoint import INFERENCE_KEYS, CheckpointError, inference_state, load_checkpoint
from fmtts.config import Config, ConfigError
from fmtts.data.padding import pad_tokens
from fmtts.devices import cpu_has_native_bf16
from fmtts.models.tts import FlowTTS
from fmtts.pipeline import SynthesisError
from fmtts.runtime.backend import Prior
from fmtts.sampling import default_steps_for
from fmtts.user_warnings import warn_caller

PRECISIONS = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


# where each graph of a voice file keeps the model's parameters (see fmtts.onnx_export)
GRAPH_PREFIXES = {"encoder.onnx": ("model.", ""), "estimator.onnx": ("estimator.", "decoder.estimator.")}


def voice_file_checkpoint(path: Path) -> dict:
    """A ``.fmtts`` voice file as a checkpoint dict (config, text, mel settings, weights): its graphs keep
    every parameter under its torch name (stored as :mod:`fmtts.graph_weights` says)."""
    import onnx

    from fmtts.graph_weights import read_weights
    from fmtts.runtime.voice_file import VoiceFile

    voice = VoiceFile.read(path)
    m = voice.manifest
    if "config" not in m:
        raise CheckpointError(f"{path}: a voice file without its model config cannot run on torch")
    state: dict[str, torch.Tensor] = {}
    for graph, (prefix, target) in GRAPH_PREFIXES.items():
        for name, value in read_weights(onnx.load_from_string(voice.graphs[graph])).items():
            if name.startswith(prefix):
                state[target + name[len(prefix) :]] = torch.from_numpy(value.copy())
    state["mel_mean"] = torch.tensor(float(m["mel_stats"]["mean"]))
    state["mel_std"] = torch.tensor(float(m["mel_stats"]["std"]))
    state["duration_scale"] = torch.tensor(float(m["duration_scale"]))
    ckpt = {**{k: m[k] for k in INFERENCE_KEYS if k in m and k != "distill"}, "model": state}
    if m.get("distill"):  # the manifest keeps the settings, a checkpoint {"config": settings, ...}
        ckpt["distill"] = {"config": m["distill"]}
    if m.get("weights"):  # how the graphs store them (fp16, int8, int4): how far they are rounded
        ckpt["weights"] = m["weights"]
    return ckpt


def load_voice_checkpoint(path: str | Path) -> dict:
    """A training checkpoint, ``.pt`` voice or ``.fmtts`` voice file → its checkpoint dict."""
    path = Path(path)
    if path.suffix == ".fmtts":
        return voice_file_checkpoint(path)
    return load_checkpoint(path, map_location="cpu")


def load_model(path: Path) -> tuple[FlowTTS, dict]:
    """A checkpoint, ``.pt`` voice or ``.fmtts`` voice file → (FlowTTS in fp32 on the CPU, the checkpoint
    dict)."""
    path = Path(path)
    ckpt = load_voice_checkpoint(path)
    try:
        config = Config.from_dict(ckpt["config"])
    except ConfigError as exc:
        raise CheckpointError(f"{path}: stored config does not fit this fmtts version: {exc}") from exc
    stats = ckpt["mel_stats"]
    model = FlowTTS(config.model, len(ckpt["text"]["symbols"]["symbols"]), stats["mean"], stats["std"])
    state = {k: v.float() if v.is_floating_point() else v for k, v in inference_state(ckpt).items()}
    try:
        model.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(f"{path}: weights do not match the stored config: {str(exc)[:300]}") from exc
    return model.eval(), ckpt


class TorchAcoustic:
    """:class:`fmtts.runtime.backend.AcousticBackend` over a :class:`FlowTTS` on a torch device."""

    name = "torch"

    def __init__(self, model: FlowTTS, device: torch.device, default_steps: int | None = None):
        self.model = model.eval().to(device)
        self.device = device
        cfg = model.cfg
        self.n_feats = cfg.n_feats
        self.shortcut_steps = list(cfg.cfm.shortcut_steps)
        self.default_steps = default_steps_for(default_steps, self.shortcut_steps)
        self.cond_dropout = cfg.cfm.cond_dropout
        self.n_speakers = cfg.n_speakers

    def check_precision(self, precision: str) -> None:
        if precision == "fp16" and self.device.type != "cuda":
            raise SynthesisError("fp16 synthesis needs CUDA; use bf16 on CPU")

    def _autocast(self, precision: str):
        if precision == "bf16" and self.device.type == "cpu" and cpu_has_native_bf16() is False:
            warn_caller(
                "bf16 on a CPU without AVX-512 BF16 or AMX is emulated: typically several times slower "
                "than fp32 (BENCHMARKS.md); use --precision fp32 here"
            )
        return torch.autocast(self.device.type, dtype=PRECISIONS[precision], enabled=precision != "fp32")

    @torch.inference_mode()
    def prior(
        self,
        ids: list[list[int]],
        length_scale: float,
        speakers: list[int] | None = None,
        precision: str = "fp32",
    ) -> Prior:
        tokens, lengths = pad_tokens(ids)
        spk = None if speakers is None else torch.tensor(speakers, dtype=torch.long, device=self.device)
        with self._autocast(precision):
            mu, mask, durations, spk_emb = self.model.prior(
                tokens.to(self.device), lengths.to(self.device), length_scale, spk
            )
        durations = durations.cpu().numpy()
        return Prior(mu.float(), mask.float(), spk_emb, durations, np.maximum(durations.sum(1), 1))

    def from_numpy(self, a: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).to(self.device)

    @torch.inference_mode()
    def velocity(
        self, x, prior: Prior, t: float, step: float, unconditional: bool = False, precision: str = "fp32"
    ):
        b = x.shape[0]
        mu = torch.zeros_like(prior.mu) if unconditional else prior.mu
        spk = prior.speaker
        if unconditional and spk is not None:
            spk = torch.zeros_like(spk)
        extra = (torch.full((b,), step, device=self.device),) if self.shortcut_steps else ()
        tt = torch.full((b,), t, device=self.device)
        with self._autocast(precision):  # the ODE state stays fp32 (the pipeline adds to it)
            v = self.model.decoder.estimator(x, prior.mask, mu, tt, spk, *extra)
        return v.float()

    @torch.inference_mode()
    def to_mel(self, x, prior: Prior) -> np.ndarray:
        mel = self.model.denormalize(x) * prior.mask
        return mel.float().cpu().numpy()
