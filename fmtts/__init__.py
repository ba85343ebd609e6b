"""fmtts: flow-matching text-to-speech."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["TTS", "SynthesisResult", "__version__"]


def __getattr__(name: str):
    # The API pulls in torch and the models: import it on first use, so `import fmtts` stays light.
    if name in ("TTS", "SynthesisResult"):
        from fmtts import api

        return getattr(api, name)
    raise AttributeError(f"module 'fmtts' has no attribute {name!r}")
