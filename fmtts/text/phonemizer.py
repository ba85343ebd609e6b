"""Batched English phonemization with the eSpeak NG shipped in the ``espeakng-loader`` wheel.

The library and its data are pinned to the wheel's copies before any backend exists, so a system eSpeak
of another version can never change the phonemes a model was trained on; :attr:`Phonemizer.backend_version`
is meant to be stored in checkpoints.

Punctuation: phonemizer's own ``preserve_punctuation`` restoration is fragile in batch mode. With
phonemizer 3.4 an empty line, or a line whose punctuation splits unevenly (e.g. ``"3.5."``), makes
``Punctuation.restore`` consume the wrong number of chunks, and every following line is silently shifted
(line *i* receives the phonemes of line *i+1*). We therefore split lines at punctuation ourselves (with the
same marks phonemizer uses), send only the punctuation-free word chunks to eSpeak in ONE backend call, and
put the marks back ourselves. The backend is still created with ``preserve_punctuation=True`` (a no-op on
punctuation-free chunks); each input line maps to exactly one output line by construction, and the chunk
count returned by the backend is checked.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from typing import Any

from fmtts.text.normalizer import normalize_text

__all__ = ["Phonemizer", "PUNCTUATION_MARKS"]

log = logging.getLogger(__name__)
# phonemizer logs a "words count mismatch on N% of the lines" warning on every call, even with
# words_mismatch="ignore"; the mismatch is normal (eSpeak merges words such as "of the") and irrelevant
# here because words are never re-aligned, so the backend gets its own quiet logger.
_backend_log = logging.getLogger(__name__ + ".backend")
_backend_log.setLevel(logging.ERROR)

# Same marks as phonemizer's Punctuation.default_marks(), so the backend never finds a mark in a chunk.
PUNCTUATION_MARKS = ';:,.!?¡¿—…"«»“”(){}[]'
_OTHER_MARKS = "".join(m for m in PUNCTUATION_MARKS if m not in ".,")
# A run of marks with surrounding spaces; "." and "," between two digits are decimal separators, not marks.
_MARKS_RE = re.compile(r"(?:\s*(?:[" + re.escape(_OTHER_MARKS) + r"]|(?<!\d)[.,]|[.,](?!\d))+\s*)+")
_SPACES_RE = re.compile(r"\s+")

_configure_lock = threading.Lock()


def _configure_espeak() -> tuple[str, str]:
    """Point phonemizer at the wheel's eSpeak NG library and data (process-wide class attributes)."""
    import espeakng_loader
    from phonemizer.backend.espeak.wrapper import EspeakWrapper

    library, data = str(espeakng_loader.get_library_path()), str(espeakng_loader.get_data_path())
    with _configure_lock:
        EspeakWrapper.set_library(library)
        EspeakWrapper.set_data_path(data)
    return library, data


def _split_line(line: str) -> list[tuple[bool, str]]:
    """Split one line into ``(is_word_chunk, text)`` segments; marks keep their (collapsed) spaces."""
    segments: list[tuple[bool, str]] = []
    pos = 0
    for match in _MARKS_RE.finditer(line):
        if match.start() > pos:
            segments.append((True, line[pos : match.start()]))
        segments.append((False, match.group()))
        pos = match.end()
    if pos < len(line):
        segments.append((True, line[pos:]))
    return segments


class Phonemizer:
    """eSpeak NG phonemizer (IPA with stress marks, punctuation kept).

    The backend is created lazily on first use (never at import) and is not pickled, so instances can be
    sent to DataLoader workers; each process creates its own backend. Calls are serialised with a lock
    because the eSpeak library is not thread-safe.
    """

    def __init__(self, language: str = "en-us", *, with_stress: bool = True) -> None:
        self.language = language
        self.with_stress = with_stress
        self.preserve_punctuation = True
        self._backend: Any = None
        self._library_path: str | None = None
        self._data_path: str | None = None
        self._lock = threading.Lock()

    # -- backend ------------------------------------------------------------------------------------
    def _get_backend(self) -> Any:
        if self._backend is None:
            self._library_path, self._data_path = _configure_espeak()
            from phonemizer.backend import EspeakBackend

            self._backend = EspeakBackend(
                self.language,
                punctuation_marks=PUNCTUATION_MARKS,
                preserve_punctuation=self.preserve_punctuation,
                with_stress=self.with_stress,
                language_switch="remove-flags",
                logger=_backend_log,
            )
        return self._backend

    @property
    def backend_version(self) -> str:
        """eSpeak NG version actually loaded, e.g. ``"1.52.0"`` (store it with a checkpoint)."""
        return ".".join(str(v) for v in self._get_backend().version())

    @property
    def library_path(self) -> str:
        """Path of the eSpeak shared library phonemizer loaded."""
        return str(self._get_backend()._espeak.library_path)

    @property
    def data_path(self) -> str:
        """Path of the eSpeak data directory phonemizer uses."""
        return str(self._get_backend()._espeak.data_path)

    # -- phonemization ------------------------------------------------------------------------------
    def _phonemize_chunks(self, chunks: list[str]) -> list[str]:
        from phonemizer.separator import Separator

        backend = self._get_backend()
        sep = Separator(phone="", syllable="", word=" ")
        with self._lock:
            out = backend.phonemize(chunks, separator=sep, strip=True, njobs=1)
            if len(out) != len(chunks):  # should not happen: chunks are non-empty and mark-free
                log.warning(
                    "phonemizer returned %d lines for %d chunks; retrying one by one", len(out), len(chunks)
                )
                out = [(backend.phonemize([c], separator=sep, strip=True) or [""])[0] for c in chunks]
        return out

    def phonemize(self, texts: Sequence[str], normalize: bool = True) -> list[str]:
        """Phonemize many lines in one backend call; ``len(result) == len(texts)`` always.

        Empty, whitespace-only or unpronounceable lines give ``""``; punctuation-only lines give their
        punctuation. Newlines inside a text are treated as spaces.
        """
        if isinstance(texts, str):
            raise TypeError("Phonemizer.phonemize expects a list of strings; use __call__ for one string")
        lines = [normalize_text(t) if normalize else t for t in texts]
        layouts: list[list[tuple[bool, str]]] = []
        chunks: list[str] = []
        for line in lines:
            segments = []
            for is_word, seg in _split_line(_SPACES_RE.sub(" ", line).strip()):
                if is_word:
                    seg = seg.strip()
                    if not seg:
                        continue
                    chunks.append(seg)
                segments.append((is_word, seg))
            layouts.append(segments)
        phonemized = iter(self._phonemize_chunks(chunks) if chunks else [])
        results = []
        for segments in layouts:
            parts = [next(phonemized) if is_word else seg for is_word, seg in segments]
            results.append(_SPACES_RE.sub(" ", "".join(parts)).strip())
        return results

    def __call__(self, text: str, normalize: bool = True) -> str:
        return self.phonemize([text], normalize=normalize)[0]

    # -- (de)serialisation --------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "backend": "espeak-ng",
            "language": self.language,
            "with_stress": self.with_stress,
            "preserve_punctuation": self.preserve_punctuation,
            "backend_version": self.backend_version,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Phonemizer:
        return cls(language=d.get("language", "en-us"), with_stress=bool(d.get("with_stress", True)))

    def __getstate__(self) -> dict[str, Any]:
        return {"language": self.language, "with_stress": self.with_stress}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["language"], with_stress=state["with_stress"])  # type: ignore[misc]

    def __repr__(self) -> str:
        return f"Phonemizer(language={self.language!r}, with_stress={self.with_stress})"
