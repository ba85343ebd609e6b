"""ONNX Runtime sessions as fmtts runs them: one thread setting for every graph, no spinning workers.

Every graph of a synthesis (text encoder, estimator, vocoder) runs one after another on the same cores,
so all sessions take the same intra-op thread count and run their nodes sequentially. ONNX Runtime's
worker threads spin after each run by default; on a small CPU that spinning takes the cores from the
next graph (measured on 2 cores: end to end 1.3–1.5× slower), so it is switched off.
"""

from __future__ import annotations

import os
from typing import Any

from fmtts.errors import FmttsError


class RuntimeMissing(FmttsError, RuntimeError):
    """ONNX Runtime (a dependency of fmtts) is not importable."""


def default_threads() -> int:
    """Intra-op threads when the caller does not say: the cores this process may use, at most 8."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(8, cores))


def make_session(model: bytes | str, threads: int | None = None) -> Any:
    """An ``onnxruntime.InferenceSession`` on the CPU for a model (its bytes or a path)."""
    try:
        import onnxruntime as ort
    except ImportError as exc:  # pragma: no cover - a dependency
        raise RuntimeMissing("fmtts needs onnxruntime: pip install onnxruntime") from exc
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or default_threads()
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    opts.add_session_config_entry("session.inter_op.allow_spinning", "0")
    opts.log_severity_level = 3  # errors only: no warnings about unused initializers on every load
    return ort.InferenceSession(model, opts, providers=["CPUExecutionProvider"])
