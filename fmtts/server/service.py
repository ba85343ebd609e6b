"""What both servers (HTTP and Wyoming) share: the loaded voices, request limits and the synthesis queue.

Synthesis runs in one worker thread (torch already uses every core for one request); requests take
turns at the granularity of a stream piece, so concurrent streams all make progress. At most
``queue`` requests are admitted at a time (running or waiting); one more is refused with
:class:`ServiceBusy` (HTTP 503) instead of queueing without bound.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fmtts.streaming import StreamChunk

_END = object()


class RequestError(ValueError):
    """A request the server will not serve as given (HTTP 400)."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


class ServiceBusy(RuntimeError):
    """Every queue slot is taken (HTTP 503)."""


class SpeechService:
    """``voices``: name → loaded :class:`fmtts.api.TTS` (anything with ``stream``, ``sample_rate`` and
    ``source``); the first is the default. ``stream_options`` go to every ``stream`` call (a request's own
    options win)."""

    def __init__(
        self,
        voices: dict[str, Any],
        *,
        max_chars: int = 4000,
        queue: int = 4,
        stream_options: dict[str, Any] | None = None,
    ):
        if not voices:
            raise ValueError("a speech service needs at least one voice")
        if max_chars < 1 or queue < 1:
            raise ValueError(f"max_chars and queue must be ≥ 1, got {max_chars} and {queue}")
        self.voices = dict(voices)
        self.default_voice = next(iter(self.voices))
        self.max_chars = max_chars
        self.queue = queue
        self.stream_options = dict(stream_options or {})
        self._in_use = 0
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fmtts-synthesis")

    @property
    def in_use(self) -> int:
        return self._in_use

    def voice(self, name: str | None) -> tuple[str, Any]:
        name = name or self.default_voice
        if name not in self.voices:
            raise RequestError(f"unknown voice {name!r}; voices: {sorted(self.voices)}", "voice")
        return name, self.voices[name]

    def open(self, text: str, voice: str | None = None, **options) -> SpeechStream:
        """Admit one request: checks the text and voice, takes a queue slot (:class:`ServiceBusy` when
        none is free) and starts the stream (bad options: :class:`fmtts.api.SynthesisError`)."""
        if not isinstance(text, str) or not text.strip():
            raise RequestError("input is empty", "input")
        if len(text) > self.max_chars:
            raise RequestError(f"input is {len(text)} characters; this server takes at most {self.max_chars}")
        _, tts = self.voice(voice)
        with self._lock:
            if self._in_use >= self.queue:
                raise ServiceBusy(f"all {self.queue} synthesis slots are busy; retry later")
            self._in_use += 1
        try:
            iterator = tts.stream(text, **{**self.stream_options, **options})
        except BaseException:
            self._release()
            raise
        return SpeechStream(self, iterator, tts.sample_rate)

    def _release(self) -> None:
        with self._lock:
            self._in_use -= 1

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class SpeechStream:
    """An async iterator over one request's :class:`StreamChunk` pieces, computed in the service's
    worker thread. Holds its queue slot until exhausted, failed or :meth:`aclose`\\ d."""

    def __init__(self, service: SpeechService, iterator, sample_rate: int):
        self._service = service
        self._iterator = iterator
        self.sample_rate = sample_rate
        self._closed = False

    def __aiter__(self) -> SpeechStream:
        return self

    async def __anext__(self) -> StreamChunk:
        if self._closed:
            raise StopAsyncIteration
        loop = asyncio.get_running_loop()
        try:
            chunk = await loop.run_in_executor(self._service._executor, next, self._iterator, _END)
        except BaseException:
            await self.aclose()
            raise
        if chunk is _END:
            await self.aclose()
            raise StopAsyncIteration
        return chunk

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        close = getattr(self._iterator, "close", None)
        try:
            # after the piece the worker may still be computing; the slot is free once it is closed,
            # also when this await is cancelled (a client gone)
            done = self._service._executor.submit(close) if close is not None else None
        except RuntimeError:  # the executor is shut down (server stopping)
            done = None
        if done is None:
            self._service._release()
            return
        done.add_done_callback(lambda _: self._service._release())
        await asyncio.shield(asyncio.wrap_future(done))
