"""Warnings attributed to the caller's code, not to a line inside fmtts or torch.

A fixed ``stacklevel`` is wrong for warnings raised several calls deep (``TTS.synthesize`` →
``synthesize_batch`` → ``torch.inference_mode``'s wrapper → ...): the reported file and line would be
a wrapper's. This walks out of fmtts's and torch's own files instead (Python 3.12's
``skip_file_prefixes`` does the same, but fmtts supports 3.11). Imports nothing heavy: the text
front end uses it without torch.
"""

from __future__ import annotations

import os
import sys
import warnings

_FMTTS = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _internal_prefixes() -> tuple[str, ...]:
    torch = sys.modules.get("torch")  # no torch frames can be on the stack unless it was imported
    torch_dir = getattr(torch, "__file__", None)
    return (_FMTTS,) if torch_dir is None else (_FMTTS, os.path.dirname(os.path.abspath(torch_dir)) + os.sep)


def warn_caller(message: str, category: type[Warning] = UserWarning) -> None:
    """``warnings.warn`` at the first stack frame outside fmtts and torch."""
    internal = _internal_prefixes()
    level = 2  # the caller of warn_caller
    frame = sys._getframe(1)
    while frame.f_back is not None and os.path.abspath(frame.f_code.co_filename).startswith(internal):
        frame = frame.f_back
        level += 1
    warnings.warn(message, category, stacklevel=level)
