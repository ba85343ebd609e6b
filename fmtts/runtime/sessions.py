"""ONNX Runtime sessions as fmtts runs them: one thread setting for every graph, no spinning workers.

Every graph of a synthesis (text encoder, estimator, vocoder) runs one after another on the same cores,
so all sessions take the same intra-op thread count and run their nodes sequentially. ONNX Runtime's
worker threads spin after each run by default; on a small CPU that spinning takes the cores from the
next graph (measured on 2 cores: end to end 1.3–1.5× slower), so it is switched off.

Optimised graphs are cached. Voices and vocoders ship their weights in fp16 behind Cast nodes; ONNX
Runtime folds those casts (and the vocoder's DFT kernel) into fp32 constants every time it loads a graph,
which costs most of a cold start's load time and leaves the folding's scratch memory in the process
(the vocoder alone: 0.18 s and ~100 MB, against 0.04 s and ~50 MB from a folded copy). So the first
load writes the graph as ONNX Runtime's portable ("basic") optimisation leaves it to
``user_cache_dir("onnx")``, keyed by the model's content and the ONNX Runtime version, and later loads
read that copy; the hardware-specific optimisations still run at every load. A copy unused for
``CACHE_MAX_AGE_DAYS`` is removed when another is written. ``FMTTS_ONNX_CACHE=0`` turns the cache off;
an unwritable or damaged cache only costs the folding again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from fmtts.errors import FmttsError
from fmtts.paths import user_cache_dir

log = logging.getLogger(__name__)

CACHE_MAX_AGE_DAYS = 30  # a cached graph unused this long is removed when another is written


class RuntimeMissing(FmttsError, RuntimeError):
    """ONNX Runtime (a dependency of fmtts) is not importable."""


def default_threads() -> int:
    """Intra-op threads when the caller does not say: the cores this process may use, at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def _ort():
    try:
        import onnxruntime as ort
    except ImportError as exc:  # pragma: no cover - a dependency
        raise RuntimeMissing("fmtts needs onnxruntime: pip install onnxruntime") from exc
    return ort


def _options(threads: int | None, level: str = "ORT_ENABLE_ALL") -> Any:
    ort = _ort()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or default_threads()
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
    opts.log_severity_level = 3  # errors only: no warnings about unused initializers on every load
    return opts


def graph_cache_enabled() -> bool:
    return os.environ.get("FMTTS_ONNX_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def cached_graph_path(model: bytes) -> Path:
    """Where the basic-optimised copy of ``model`` is kept (content and ONNX Runtime version in the name)."""
    digest = hashlib.sha1(model).hexdigest()
    return user_cache_dir("onnx") / f"{digest}-ort{_ort().__version__}.onnx"


def make_session(model: bytes | str | Path, threads: int | None = None) -> Any:
    """An ``onnxruntime.InferenceSession`` on the CPU for a model (its bytes or a path), loaded from the
    optimised-graph cache where it can be (module docstring)."""
    ort = _ort()
    if not graph_cache_enabled():
        return _session(ort, model, threads)
    data = model if isinstance(model, bytes) else Path(model).read_bytes()
    try:
        cached = cached_graph_path(data)
        hit = cached.is_file()
    except (OSError, RuntimeError) as exc:  # no home folder, an unreadable cache folder
        log.debug("optimised-graph cache not used: %s", exc)
        return _session(ort, data, threads)
    if hit:
        try:
            session = _session(ort, str(cached), threads)
            _touch(cached)
            return session
        except Exception as exc:  # a damaged or foreign copy: fold again and replace it
            log.warning("optimised-graph cache %s unreadable (%s); rebuilding it", cached, exc)
    if _write_cached_graph(ort, data, cached):
        try:
            return _session(ort, str(cached), threads)
        except Exception as exc:
            log.warning("optimised-graph cache %s unreadable after writing (%s)", cached, exc)
    return _session(ort, data, threads)


def _session(ort: Any, model: bytes | str | Path, threads: int | None) -> Any:
    source = str(model) if isinstance(model, Path) else model
    return ort.InferenceSession(source, _options(threads), providers=["CPUExecutionProvider"])


def _touch(path: Path) -> None:
    """Mark a cached graph as used (what the pruning goes by)."""
    try:
        os.utime(path)
    except OSError:
        pass


def _prune(folder: Path, max_age_days: float = CACHE_MAX_AGE_DAYS) -> None:
    """Remove cached graphs unused for ``max_age_days`` (voices replaced, ONNX Runtime upgraded), and
    the partial copies of writers that were killed."""
    cutoff = time.time() - max_age_days * 86400
    for old in [*folder.glob("*.onnx"), *folder.glob(".*.tmp")]:
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass


def _write_cached_graph(ort: Any, model: bytes, path: Path) -> bool:
    """Write ``model`` after ONNX Runtime's portable optimisations to ``path`` (atomically); False where
    the cache cannot be written."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # a name of its own for each writer (threads of one process included); replaced atomically
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        tmp = Path(name)
        opts = _options(1, "ORT_ENABLE_BASIC")
        opts.optimized_model_filepath = str(tmp)
        ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
        os.replace(tmp, path)
        _prune(path.parent)
        return True
    except Exception as exc:
        log.debug("optimised-graph cache not written to %s: %s", path, exc)
        if tmp is not None:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
        return False
