"""A vocoder through ONNX Runtime: the same generator (HiFi-GAN or fmtts's ISTFTNet), exported once
(``backend="onnx"``, or "auto", the default of :class:`fmtts.TTS` and the CLI, where it is installed).

For HiFi-GAN on an idle 2-core CPU it runs at torch's speed; with the cores shared it measured ~1.3×
faster (benchmarks/vocoder_speed.py has both vocoders).

The export is cached under ``user_cache_dir("vocoders")`` keyed by the weights file's content, the torch
version and the generator's config, and written atomically, so it happens once per machine. Output
matches the torch generator to ~1e-5 relative (measured in ``benchmarks/vocoder_speed.py``; tested
against 1e-3).
"""

from __future__ import annotations

import logging
import os
import threading
import warnings
from pathlib import Path

import numpy as np
import torch

from fmtts.paths import file_sha1, user_cache_dir
from fmtts.vocoder.hifigan import check_mel

log = logging.getLogger(__name__)
EXPORT_FORMAT = 2  # bumped when the export itself changes, so that older cached exports are not reused


def onnxruntime_available() -> bool:
    try:
        import onnx  # noqa: F401  (torch's exporter needs it)
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def export_path(vocoder, weights: Path) -> Path:
    """Where the export of ``vocoder`` (a HiFiGAN or ISTFTVocoder loaded from ``weights``) is cached: keyed
    by the weights' content (a fresh clone or reinstall of the same file reuses its export), the torch
    version and the generator's config."""
    cfg = getattr(vocoder, "cfg", None)  # HiFiGAN has its config; ISTFTVocoder's is its generator's
    label = "hifigan" if cfg is not None else "istftnet"
    cfg = cfg or vocoder.generator.cfg
    digest = file_sha1(weights)
    digest.update(f"|{torch.__version__}|{cfg}|{EXPORT_FORMAT}".encode())
    return user_cache_dir("vocoders") / f"{label}-{digest.hexdigest()[:16]}.onnx"


def export_onnx(vocoder, path: Path, constant_folding: bool = True) -> Path:
    """``vocoder``'s generator → ``path`` (atomically). ``constant_folding=False`` keeps every parameter an
    initializer under its state-dict name (folding would merge a Linear's weight with its transpose into a
    new, unnamed tensor); ONNX Runtime folds the constants itself when it loads the graph."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    example = torch.zeros(1, vocoder.n_mels, 32)
    generator = vocoder.generator.cpu()
    try:
        with torch.no_grad():
            samples_axis = generator(example).dim() - 1  # (B, samples) or HiFi-GAN's (B, 1, samples)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TorchScript exporter: legacy but exact
            # the head's spectrum mirror is a Slice of step -1, which the exporter's folding skips (ONNX
            # Runtime folds what is constant when it loads the graph)
            warnings.filterwarnings("ignore", "Constant folding - Only steps=1", UserWarning)
            torch.onnx.export(
                generator,
                (example,),
                str(tmp),
                input_names=["mel"],
                output_names=["audio"],
                dynamic_axes={
                    "mel": {0: "batch", 2: "frames"},
                    "audio": {0: "batch", samples_axis: "samples"},
                },
                opset_version=17,
                do_constant_folding=constant_folding,
                dynamo=False,
            )
        os.replace(tmp, path)
    finally:
        vocoder.generator.to(vocoder.device)
        if tmp.exists():
            tmp.unlink()
    return path


class OnnxVocoder:
    """Drop-in for a torch vocoder (:class:`~fmtts.vocoder.HiFiGAN` or
    :class:`~fmtts.vocoder.ISTFTVocoder`: same attributes and call) that runs its generator on ONNX
    Runtime's CPU provider, in fp32."""

    def __init__(self, vocoder, weights: Path, threads: int | None = None):
        import onnxruntime as ort

        path = export_path(vocoder, weights)
        if not path.is_file():
            log.info("exporting %s to ONNX (once): %s", vocoder.name, path)
            export_onnx(vocoder, path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = threads or torch.get_num_threads()
        opts.inter_op_num_threads = 1
        try:
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a damaged cache file (a full disk, an older onnxruntime): export anew
            log.warning("cannot load the cached export %s (%s); exporting again", path, str(exc)[:200])
            path.unlink(missing_ok=True)
            export_onnx(vocoder, path)
            self.session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        self.torch_vocoder = vocoder
        self.onnx_path = path
        self.name = f"{vocoder.name} via ONNX Runtime"
        self.sample_rate = vocoder.sample_rate
        self.hop_length = vocoder.hop_length
        self.n_mels = vocoder.n_mels
        self.mel_config = vocoder.mel_config
        self.device = torch.device("cpu")

    def __call__(self, mel: torch.Tensor) -> torch.Tensor:
        mel, squeeze = check_mel(mel, self.n_mels)
        if mel.shape[-1] == 0:
            return self.torch_vocoder(mel.squeeze(0) if squeeze else mel)
        x = np.ascontiguousarray(mel.detach().to("cpu", torch.float32).numpy())
        audio = torch.from_numpy(self.session.run(None, {"mel": x})[0]).reshape(x.shape[0], -1)
        audio = audio.clamp(-1.0, 1.0)
        return audio.squeeze(0) if squeeze else audio

    def __repr__(self) -> str:
        return f"OnnxVocoder(name={self.name!r}, path={str(self.onnx_path)!r})"
