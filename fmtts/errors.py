"""The common base of fmtts's user errors.

A user error is a failure the person running fmtts can fix without reading fmtts's code: a missing or
damaged file, a bad option value, text with nothing to speak, a dataset in the wrong layout, a missing
optional package. The CLI prints its message as one line (``error: ...``) and exits with status 2, no
traceback; a server answers it as a bad request. Anything else escaping the CLI is a bug in fmtts and
keeps its traceback.

Each module defines its own error class beside the code that raises it, inheriting from
:class:`FmttsError` first and from the built-in class it has always been (``ValueError`` or
``RuntimeError``) second, so that callers catching the built-in class keep working.

This module imports nothing (no torch): the torch-free runtime imports it too.
"""

from __future__ import annotations

__all__ = ["FmttsError"]


class FmttsError(Exception):
    """A user error: its message says what is wrong and how to fix it (see the module docstring)."""
