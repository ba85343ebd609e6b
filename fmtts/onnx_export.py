"""Torch → the runtime's ONNX forms: a ``.fmtts`` voice file and an ``.onnx`` vocoder (needs torch and
``onnx``: ``pip install 'fmtts[train]'``).

Weights are stored as fp32, fp16 (the default: half the size), int8 (a quarter) or int4 (about a sixth),
each behind the nodes that turn it back into fp32 (:mod:`fmtts.graph_weights`): ONNX Runtime folds those
when it loads the graph, so it computes in fp32 with the stored numbers, and torch rebuilds the model from
the same numbers.
"""

from __future__ import annotations

import io
import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from fmtts import __version__
from fmtts.checkpoint import CheckpointError
from fmtts.graph_weights import WEIGHT_DTYPES, store_weights
from fmtts.models.tts import FlowTTS
from fmtts.runtime.voice_file import SUFFIX, VoiceFile

OPSET = 17
VOCODER_METADATA_KEY = "fmtts_vocoder"


class EncoderGraph(nn.Module):
    """tokens (B, N) int64, token_lengths (B,) int64[, speakers (B,) int64] → mu (B, F, N) normalised,
    logw (B, 1, N), x_mask (B, 1, N)[, speaker_embedding (B, S)]."""

    def __init__(self, model: FlowTTS):
        super().__init__()
        self.model = model

    def forward(self, tokens: torch.Tensor, token_lengths: torch.Tensor, *speakers: torch.Tensor):
        spk = self.model.speaker_emb(speakers[0]) if speakers else None
        mu, hidden, x_mask = self.model.encoder(tokens, token_lengths, spk)
        logw = self.model.duration_predictor(hidden, x_mask)
        return (mu, logw, x_mask, spk) if speakers else (mu, logw, x_mask)


class EstimatorGraph(nn.Module):
    """x, mask, mu, t[, step][, speaker] → velocity; the mask is applied as in training (the U-Net's
    all-valid shortcut is a CPU-eager optimisation that a traced graph must not bake in)."""

    def __init__(self, model: FlowTTS):
        super().__init__()
        self.estimator = model.decoder.estimator
        self.step_conditioned = bool(model.cfg.cfm.shortcut_steps)
        self.has_speaker = model.speaker_emb is not None

    def forward(self, x, mask, mu, t, *extra):
        step = extra[0] if self.step_conditioned else None
        speaker = extra[-1] if self.has_speaker else None
        if step is None:
            return self.estimator(x, mask, mu, t, speaker)
        return self.estimator(x, mask, mu, t, speaker, step)


def _to_bytes(module: nn.Module, args: tuple, inputs: list[str], outputs: list[str], axes: dict) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # TorchScript exporter: legacy but exact; tracer warnings
        torch.onnx.export(
            module,
            args,
            buffer,
            input_names=inputs,
            output_names=outputs,
            dynamic_axes=axes,
            opset_version=OPSET,
            dynamo=False,
            # parameters stay initializers under their torch names (ONNX Runtime folds constants itself
            # when it loads a graph), so the torch backend can rebuild the model from a voice file
            do_constant_folding=False,
        )
    return buffer.getvalue()


def _example_batch(model: FlowTTS) -> tuple[torch.Tensor, torch.Tensor]:
    tokens = torch.randint(1, model.n_vocab, (2, 13))
    return tokens, torch.tensor([13, 9])


def voice_graphs(model: FlowTTS) -> dict[str, bytes]:
    """The two graphs of a voice file, exported from ``model`` (fp32, on the CPU, in eval mode)."""
    model = model.float().cpu().eval()
    tokens, lengths = _example_batch(model)
    enc_inputs, enc_args = ["tokens", "token_lengths"], [tokens, lengths]
    enc_outputs = ["mu", "logw", "x_mask"]
    enc_axes: dict[str, Any] = {
        "tokens": {0: "batch", 1: "symbols"},
        "token_lengths": {0: "batch"},
        "mu": {0: "batch", 2: "symbols"},
        "logw": {0: "batch", 2: "symbols"},
        "x_mask": {0: "batch", 2: "symbols"},
    }
    if model.speaker_emb is not None:
        enc_inputs.append("speakers")
        enc_args.append(torch.zeros(2, dtype=torch.long))
        enc_outputs.append("speaker_embedding")
        enc_axes.update(speakers={0: "batch"}, speaker_embedding={0: "batch"})
    encoder = _to_bytes(EncoderGraph(model), tuple(enc_args), enc_inputs, enc_outputs, enc_axes)

    frames = 37  # odd and not a multiple of the U-Net's stride: the padding path is traced
    f = model.cfg.n_feats
    mask = torch.ones(2, 1, frames)
    mask[1, :, 30:] = 0
    est_args = [torch.randn(2, f, frames), mask, torch.randn(2, f, frames), torch.rand(2)]
    est_inputs = ["x", "mask", "mu", "t"]
    est_axes: dict[str, Any] = {
        "x": {0: "batch", 2: "frames"},
        "mask": {0: "batch", 2: "frames"},
        "mu": {0: "batch", 2: "frames"},
        "t": {0: "batch"},
        "velocity": {0: "batch", 2: "frames"},
    }
    graph = EstimatorGraph(model)
    if graph.step_conditioned:
        est_args.append(torch.rand(2))
        est_inputs.append("step")
        est_axes["step"] = {0: "batch"}
    if graph.has_speaker:
        est_args.append(torch.randn(2, model.cfg.speaker_dim))
        est_inputs.append("speaker")
        est_axes["speaker"] = {0: "batch"}
    estimator = _to_bytes(graph, tuple(est_args), est_inputs, ["velocity"], est_axes)
    return {"encoder.onnx": encoder, "estimator.onnx": estimator}


def export_voice_file(
    checkpoint: str | Path,
    output: str | Path,
    weights: str = "fp16",
    vocoder: str | None = None,
    name: str | None = None,
    default_steps: int | None = None,
) -> Path:
    """A training checkpoint or ``.pt`` voice → a ``.fmtts`` voice file the torch-free runtime reads.
    ``weights``: how the graphs store their weights (:data:`fmtts.graph_weights.WEIGHT_DTYPES`).
    ``vocoder``: the vocoder it speaks with (default: the one the checkpoint names). ``default_steps``: the
    step count synthesis uses when not told (default: the largest distilled step count, else
    :data:`fmtts.sampling.DEFAULT_STEPS`; set what measurement chose)."""
    from fmtts.api import voice_vocoder
    from fmtts.sampling import MAX_STEPS, default_steps_for
    from fmtts.torch_backend import load_model

    out = Path(output)
    if out.suffix != SUFFIX:
        raise CheckpointError(f"a runtime voice file ends in {SUFFIX}: {out}")
    _check_weights(weights)
    path = Path(checkpoint)
    model, ckpt = load_model(path)
    if weights == "fp16":  # every number an fp16 torch voice holds, the small tensors' too
        model = model.half().float()
    graphs = voice_graphs(model)
    _check_recoverable(model, graphs, path)
    graphs = {k: store_weights(v, weights) for k, v in graphs.items()}
    cfg = model.cfg
    shortcut = list(cfg.cfm.shortcut_steps)
    chosen = default_steps if default_steps is not None else ckpt.get("default_steps")
    steps = default_steps_for(chosen, shortcut)
    if not 1 <= steps <= MAX_STEPS:
        raise CheckpointError(f"default_steps must be from 1 to {MAX_STEPS}, got {steps}")
    manifest = {
        "name": name or out.stem,
        "fmtts_version": __version__,
        "config": ckpt["config"],
        "step": ckpt.get("step"),
        "text": ckpt["text"],
        "mel_config": ckpt["mel_config"],
        "mel_stats": ckpt["mel_stats"],
        "n_feats": cfg.n_feats,
        "duration_scale": float(model.duration_scale),
        "shortcut_steps": shortcut,
        "default_steps": steps,
        "cond_dropout": cfg.cfm.cond_dropout,
        "speakers": _speaker_names(ckpt, cfg.n_speakers),
        "vocoder": _vocoder_name(vocoder or voice_vocoder(path, ckpt)),
        "weights": weights,
        "distill": (ckpt.get("distill") or {}).get("config"),
    }
    return VoiceFile(out, json.loads(json.dumps(manifest)), graphs).write()


def _check_weights(weights: str) -> None:
    """Refuses an unknown storage dtype before the model loads and exports (store_weights would only
    refuse it after both)."""
    if weights not in WEIGHT_DTYPES:
        raise CheckpointError(f"weights are stored as one of {', '.join(WEIGHT_DTYPES)}, not {weights!r}")


def _speaker_names(ckpt: dict, n_speakers: int) -> list[str]:
    """A multi-speaker model's speaker names (numbers where its checkpoint names none); empty for one."""
    if n_speakers < 2:
        return []
    return [str(n) for n in ckpt.get("speakers") or range(n_speakers)]


def _check_recoverable(model: FlowTTS, graphs: dict[str, bytes], source: Path) -> None:
    """Every parameter must stand in a graph under its own name: the torch backend rebuilds the model from
    a voice file that way (an exporter that merged or dropped one would make a file torch cannot read)."""
    import onnx

    from fmtts.torch_backend import GRAPH_PREFIXES

    found = set()
    for graph, (prefix, target) in GRAPH_PREFIXES.items():
        for init in onnx.load_from_string(graphs[graph]).graph.initializer:
            if init.name.startswith(prefix):
                found.add(target + init.name[len(prefix) :])
    in_manifest = {"mel_mean", "mel_std", "duration_scale"}
    missing = [k for k in model.state_dict() if k not in found and k not in in_manifest]
    if missing:
        raise CheckpointError(
            f"{source}: {len(missing)} parameter(s) would not be recoverable from the voice file, e.g. "
            f"{missing[:3]}; not exported"
        )


def _vocoder_name(vocoder: str) -> str:
    """A vocoder file next to the voice is referred to by its stem (``fmtts-joe.pt`` → ``fmtts-joe``): the
    runtime looks for ``<stem>.onnx`` beside the voice and among the embedded vocoders."""
    p = Path(vocoder)
    return p.stem if p.suffix in (".pt", ".onnx") else vocoder


def export_vocoder_onnx(vocoder: str | Path, output: str | Path, weights: str = "fp16") -> Path:
    """A torch vocoder (a name or file :func:`fmtts.vocoder.load_vocoder` takes) → an ``.onnx`` vocoder
    with its mel settings and generator config inside (metadata ``fmtts_vocoder``), for the runtime; torch
    can rebuild the generator from it (:func:`fmtts.vocoder.onnx_file.read_onnx_vocoder`), so a package
    ships this file alone.

    Exported without constant folding, so that every weight is an initializer under its state-dict name
    (ONNX Runtime folds the graph's constants itself when it loads it: same speed); ``weights`` says how
    they are stored (:mod:`fmtts.graph_weights`). The ISTFT head's inverse DFT is exported in its factored
    form (:func:`fmtts.vocoder.istft_net.factored_inverse_dft`), whose constants the graph computes."""
    import copy

    import onnx

    from fmtts.vocoder import HiFiGAN, ISTFTVocoder, load_vocoder
    from fmtts.vocoder.onnx_backend import export_onnx

    _check_weights(weights)
    voc = load_vocoder(str(vocoder), device="cpu", backend="torch")
    if not isinstance(voc, HiFiGAN | ISTFTVocoder):
        raise CheckpointError(f"{vocoder}: only HiFi-GAN and fmtts's ISTFT vocoders export to ONNX")
    if isinstance(voc, ISTFTVocoder) and weights == "fp16":
        # every number an fp16 torch vocoder holds, the small tensors' too; not the buffers (the
        # inverse-DFT kernel and window stay exact), and not the cached vocoder's own generator
        voc = copy.copy(voc)
        voc.generator = copy.deepcopy(voc.generator)
        with torch.no_grad():
            for param in voc.generator.parameters():
                param.copy_(param.half().float())
    out = Path(output)
    tmp = out.with_name(out.name + ".fp32.tmp")
    export_onnx(voc, tmp, constant_folding=False)
    try:
        data = tmp.read_bytes()
    finally:
        tmp.unlink(missing_ok=True)
    aliases = _weight_aliases(data, voc.generator.state_dict(), str(vocoder))
    data = store_weights(data, weights)
    proto = onnx.load_from_string(data)
    meta = {
        "name": Path(str(vocoder)).stem if Path(str(vocoder)).suffix else str(vocoder),
        "mel_config": voc.mel_config.to_dict(),
        "fmtts_version": __version__,
        "weights": weights,
        **_generator_metadata(voc),
    }
    if aliases:
        meta["aliases"] = aliases
    entry = proto.metadata_props.add()
    entry.key, entry.value = VOCODER_METADATA_KEY, json.dumps(meta)
    out.parent.mkdir(parents=True, exist_ok=True)
    staged = out.with_name(f".{out.name}.tmp")
    staged.write_bytes(proto.SerializeToString())
    staged.replace(out)
    return out


def _generator_metadata(voc) -> dict[str, Any]:
    """``kind`` and ``generator_config`` (plus ``step`` where the source file records it): what torch
    needs to rebuild the generator from the exported file."""
    from fmtts.vocoder import ISTFTVocoder
    from fmtts.vocoder.istft_vocoder import load_vocoder_checkpoint

    if not isinstance(voc, ISTFTVocoder):
        return {"kind": "hifigan", "generator_config": voc.cfg.to_dict()}
    meta: dict[str, Any] = {"kind": "istftnet", "generator_config": voc.generator.cfg.to_dict()}
    if voc.source is not None:
        ckpt = load_vocoder_checkpoint(voc.source)
        if "step" in ckpt:
            meta["step"] = int(ckpt["step"])
        if ckpt.get("recipe_name"):
            meta["recipe_name"] = str(ckpt["recipe_name"])
    return meta


def _weight_aliases(model_bytes: bytes, state: dict[str, torch.Tensor], source: str) -> dict[str, str]:
    """State-dict keys that are no initializer of the exported graph → the initializer of equal value the
    exporter merged them into (it deduplicates equal initializers). Raises when a key has neither: torch
    could not rebuild the generator from the file."""
    import onnx
    from onnx import numpy_helper

    inits = onnx.load_from_string(model_bytes).graph.initializer
    names = {init.name for init in inits}
    missing = [k for k in state if k not in names]
    if not missing:
        return {}
    arrays = {init.name: numpy_helper.to_array(init) for init in inits}
    aliases: dict[str, str] = {}
    for key in missing:
        value = state[key].detach().cpu().numpy()
        match = next(
            (n for n, a in arrays.items() if a.shape == value.shape and np.array_equal(a, value)), None
        )
        if match is None:
            raise CheckpointError(f"{source}: the ONNX export lost the generator weight {key}")
        aliases[key] = match
    return aliases
