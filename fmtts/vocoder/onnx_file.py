"""A torch generator's weights read back from an ``.onnx`` vocoder file (``fmtts export-vocoder VOC.onnx``).

Such a file is the runtime's form of a vocoder, and the only one a package needs to ship: its metadata
(``fmtts_vocoder``, JSON) names the generator (``kind``) and its ``generator_config``, and its
initializers hold the generator's state dict under the same names (exported without constant folding),
stored as :mod:`fmtts.graph_weights` says (fp16 by default). Initializers the exporter
merged because their values were equal are listed in the metadata's ``aliases``. Reading needs the
``onnx`` package (``pip install 'fmtts[train]'``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fmtts.graph_weights import read_weights
from fmtts.runtime.vocoder import METADATA_KEY
from fmtts.vocoder.hifigan import HiFiGANConfig, HiFiGANGenerator, VocoderError
from fmtts.vocoder.istft_net import ISTFTNet, ISTFTNetConfig

KINDS = ("istftnet", "hifigan")
SUFFIX = ".onnx"


def is_onnx_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() == SUFFIX


def generator_for(kind: str, config: dict[str, Any]) -> torch.nn.Module:
    """An untrained generator of ``kind`` ("istftnet" or "hifigan") built from its config dict."""
    if kind == "istftnet":
        return ISTFTNet(ISTFTNetConfig.from_dict(config))
    if kind == "hifigan":
        return HiFiGANGenerator(HiFiGANConfig.from_dict(config))
    raise ValueError(f"unknown generator kind {kind!r} (known: {', '.join(KINDS)})")


def read_metadata(path: Path, proto) -> dict[str, Any]:
    props = {p.key: p.value for p in proto.metadata_props}
    if METADATA_KEY not in props:
        raise VocoderError(
            f"{path}: an ONNX file without fmtts vocoder metadata (export it with "
            "`fmtts export-vocoder VOCODER OUT.onnx`)"
        )
    try:
        info = json.loads(props[METADATA_KEY])
    except ValueError as exc:
        raise VocoderError(f"{path}: damaged vocoder metadata ({exc})") from exc
    if not isinstance(info, dict) or not isinstance(info.get("mel_config"), dict):
        raise VocoderError(f"{path}: damaged vocoder metadata (no mel_config)")
    if not isinstance(info.get("generator_config"), dict) or info.get("kind") not in KINDS:
        raise VocoderError(
            f"{path}: its metadata holds no generator kind and config (written by an older fmtts), so torch "
            "cannot rebuild the generator from it; export it again from the torch vocoder with "
            "`fmtts export-vocoder VOCODER OUT.onnx`"
        )
    return info


def read_onnx_vocoder(path: str | Path) -> dict[str, Any]:
    """An ``.onnx`` vocoder file → the dict a vocoder checkpoint holds (``kind`` "vocoder",
    ``generator_kind``, ``generator_config``, ``mel_config``, ``generator``: the state dict as float32
    tensors, checked against the generator its config builds). Raises :class:`VocoderError`."""
    path = Path(path)
    try:
        import onnx
    except ImportError as exc:
        raise VocoderError(
            f"{path}: loading an .onnx vocoder into torch needs the onnx package: pip install 'fmtts[train]'"
        ) from exc
    if not path.is_file():
        raise VocoderError(f"vocoder file not found: {path}")
    try:
        proto = onnx.load(str(path))
    except Exception as exc:  # DecodeError and friends: not a protobuf at all, or a truncated one
        raise VocoderError(f"{path}: not a readable ONNX file ({type(exc).__name__}: {exc})"[:400]) from exc
    info = read_metadata(path, proto)
    kind = info["kind"]
    try:
        with torch.device("meta"):  # names and shapes only: nothing is computed or allocated
            expected = generator_for(kind, info["generator_config"]).state_dict()
    except (ValueError, TypeError, VocoderError) as exc:
        raise VocoderError(f"{path}: its generator_config does not build a {kind} generator: {exc}") from exc
    arrays = read_weights(proto)
    for name, target in (info.get("aliases") or {}).items():
        if target in arrays:
            arrays.setdefault(name, arrays[target])
    missing = [k for k in expected if k not in arrays]
    mismatched = [
        f"{k}: file {tuple(arrays[k].shape)} vs generator {tuple(v.shape)}"
        for k, v in expected.items()
        if k in arrays and tuple(arrays[k].shape) != tuple(v.shape)
    ]
    if missing or mismatched:
        parts = []
        if missing:
            parts.append(f"{len(missing)} weight(s) missing: " + ", ".join(missing[:6]))
        if mismatched:
            parts.append(f"{len(mismatched)} shape mismatch(es): " + "; ".join(mismatched[:4]))
        raise VocoderError(
            f"{path}: its weights do not fit the {kind} generator its metadata describes ("
            + " | ".join(parts)
            + "); a file exported with constant folding renames weights: export it again with "
            "`fmtts export-vocoder VOCODER OUT.onnx`"
        )
    state = {k: torch.from_numpy(np.array(arrays[k], dtype=np.float32)) for k in expected}
    ckpt = {
        "kind": "vocoder",
        "generator_kind": kind,
        "fmtts_version": info.get("fmtts_version"),
        "generator_config": info["generator_config"],
        "mel_config": info["mel_config"],
        "generator": state,
        "recipe_name": info.get("recipe_name", ""),
        "name": info.get("name", path.stem),
    }
    if "step" in info:
        ckpt["step"] = info["step"]
    return ckpt
