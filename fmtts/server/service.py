"""What both servers (HTTP and Wyoming) share: the loaded voices, request limits and the synthesis queue.

Synthesis runs in one worker thread (one request already uses every core it is given). At most ``slots``
requests are synthesized at a time; they take turns at the granularity of a stream piece, so all of them
make progress. A request that finds every slot taken waits in line, first come first served, for at most
``queue_timeout`` seconds; at most ``queue`` requests wait at once. A request past either limit is refused
with :class:`ServiceBusy` (HTTP 503 with ``Retry-After``), so a burst is absorbed while a flood is turned
away instead of queueing without bound.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from fmtts.errors import FmttsError

if TYPE_CHECKING:  # the CLI reads this module's defaults without loading torch
    from fmtts.streaming import StreamChunk

_END = object()
RETRY_AFTER_SECONDS = 1  # a slot frees as soon as any request finishes


class RequestError(FmttsError, ValueError):
    """A request the server will not serve as given (HTTP 400)."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


class ServiceBusy(FmttsError, RuntimeError):
    """No synthesis slot for this request: the waiting line is full, or no slot freed in time (HTTP 503).
    ``retry_after``: the seconds a client is told to wait before asking again."""

    def __init__(self, message: str, retry_after: int = RETRY_AFTER_SECONDS):
        super().__init__(message)
        self.retry_after = retry_after


# Defaults sized for a handful of clients asking at once (README.md, "Sizing the queue": how to size).
DEFAULT_SLOTS = 4  # synthesized at once, as before the waiting line existed
DEFAULT_QUEUE = 32  # waiting for a slot: a waiting request costs only its text
DEFAULT_QUEUE_TIMEOUT = 60.0  # seconds; far below the OpenAI SDK's 600 s client timeout


def speakers_of(tts: Any) -> list[str]:
    """The speaker names of a loaded voice (empty for a one-speaker voice)."""
    return list(getattr(tts, "speakers", None) or [])


class _Waiter:
    """A request waiting for a slot: a future on the waiting request's event loop, resolved from whichever
    thread frees a slot (a stream's iterator is closed in the worker thread)."""

    def __init__(self, loop: asyncio.AbstractEventLoop):
        self.loop = loop
        self.granted: asyncio.Future[None] = loop.create_future()

    def grant(self) -> bool:
        """Wake the waiter (from any thread); False when its event loop has closed (nobody to wake)."""

        def resolve() -> None:
            if not self.granted.done():  # done: cancelled by a timeout racing this grant
                self.granted.set_result(None)

        try:
            self.loop.call_soon_threadsafe(resolve)
        except RuntimeError:
            return False
        return True


class SpeechService:
    """``voices``: name → loaded :class:`fmtts.api.TTS` (anything with ``stream``, ``sample_rate`` and
    ``source``); the first is the default. ``slots``, ``queue`` and ``queue_timeout``: see the module
    docstring. ``stream_options`` go to every ``stream`` call (a request's own options win)."""

    def __init__(
        self,
        voices: dict[str, Any],
        *,
        max_chars: int = 4000,
        slots: int = DEFAULT_SLOTS,
        queue: int = DEFAULT_QUEUE,
        queue_timeout: float = DEFAULT_QUEUE_TIMEOUT,
        stream_options: dict[str, Any] | None = None,
    ):
        if not voices:
            raise ValueError("a speech service needs at least one voice")
        if max_chars < 1 or slots < 1 or queue < 0:
            raise ValueError(
                f"max_chars and slots must be ≥ 1 and queue ≥ 0, got {max_chars}, {slots}, {queue}"
            )
        if not (math.isfinite(queue_timeout) and queue_timeout >= 0):
            raise ValueError(f"queue_timeout must be a number of seconds ≥ 0, got {queue_timeout}")
        self.voices = dict(voices)
        self.default_voice = next(iter(self.voices))
        self.max_chars = max_chars
        self.slots = slots
        self.queue = queue
        self.queue_timeout = queue_timeout
        self.stream_options = dict(stream_options or {})
        self._in_use = 0
        self._waiting: deque[_Waiter] = deque()
        self._lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fmtts-synthesis")

    @property
    def in_use(self) -> int:
        """Slots taken: requests being synthesized."""
        return self._in_use

    @property
    def waiting(self) -> int:
        """Requests waiting in line for a slot."""
        return len(self._waiting)

    def voice(self, name: str | None) -> tuple[str, Any]:
        name = name or self.default_voice
        if name not in self.voices:
            listed = [f"{v}:{s}" for v, tts in self.voices.items() for s in speakers_of(tts)]
            also = f" (speakers: {', '.join(listed)})" if listed else ""
            raise RequestError(f"unknown voice {name!r}; voices: {sorted(self.voices)}{also}", "voice")
        return name, self.voices[name]

    def speaker(self, voice: str | None, speaker: str | None = None) -> tuple[str, Any, str | None]:
        """(voice name, voice, speaker name or None) that a request names: ``voice`` is a voice's name,
        ``VOICE:SPEAKER``, or the name of a speaker of one loaded multi-speaker voice; ``speaker`` (the
        Wyoming request's) names the speaker apart. None speaker: the voice's first."""
        if voice and voice not in self.voices:
            base, sep, who = voice.rpartition(":")
            if sep and base in self.voices:
                voice, speaker = base, self._same(speaker, who)
            else:
                owners = [n for n, tts in self.voices.items() if voice in speakers_of(tts)]
                if len(owners) > 1:
                    raise RequestError(
                        f"{len(owners)} voices have a speaker {voice!r}: name one, e.g. {owners[0]}:{voice}",
                        "voice",
                    )
                if owners:
                    voice, speaker = owners[0], self._same(speaker, voice)
        name, tts = self.voice(voice)
        if speaker is not None and speaker not in speakers_of(tts):
            has = speakers_of(tts)
            what = f"speakers: {has}" if has else "it has one speaker"
            raise RequestError(f"unknown speaker {speaker!r} of voice {name!r}; {what}", "voice")
        return name, tts, speaker

    @staticmethod
    def _same(given: str | None, named: str) -> str:
        if given is not None and given != named:
            raise RequestError(f"the request names two speakers, {named!r} and {given!r}", "voice")
        return named

    async def open(
        self, text: str, voice: str | None = None, speaker: str | None = None, **options
    ) -> SpeechStream:
        """Admit one request: checks the text, voice and speaker (:meth:`speaker`), waits for a slot
        (:class:`ServiceBusy` when the line is full or the wait times out) and starts the stream (bad
        options: :class:`fmtts.api.SynthesisError`)."""
        if not isinstance(text, str) or not text.strip():
            raise RequestError("input is empty", "input")
        if len(text) > self.max_chars:
            raise RequestError(f"input is {len(text)} characters; this server takes at most {self.max_chars}")
        _, tts, speaker = self.speaker(voice, speaker)
        if speaker is not None:
            options = {**options, "speaker": speaker}
        await self._acquire()
        try:
            iterator = tts.stream(text, **{**self.stream_options, **options})
        except BaseException:
            self._release()
            raise
        return SpeechStream(self, iterator, tts.sample_rate)

    async def _acquire(self) -> None:
        """Take a slot, waiting in line for one when all are taken. Whether a waiter holds a slot is
        decided under the lock by one fact: a freed slot is handed to the first waiter by removing it from
        the line, so a waiter still in the line when its wait ends has no slot, and one no longer in it
        has one (also when the hand-over raced its timeout or cancellation)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._in_use < self.slots and not self._waiting:
                self._in_use += 1
                return
            if len(self._waiting) >= self.queue:
                raise ServiceBusy(
                    f"all {self.slots} synthesis slots are busy and {len(self._waiting)} requests are "
                    "already waiting for one; retry later"
                )
            waiter = _Waiter(loop)
            self._waiting.append(waiter)
        try:
            await asyncio.wait_for(waiter.granted, self.queue_timeout)
            return
        except (asyncio.TimeoutError, asyncio.CancelledError) as exc:  # timed out, or the client left
            with self._lock:
                granted = waiter not in self._waiting
                if not granted:
                    self._waiting.remove(waiter)
            if granted and isinstance(exc, asyncio.TimeoutError):
                return  # the slot came as the wait ended: use it
            if granted:
                self._release()
            if isinstance(exc, asyncio.TimeoutError):
                raise ServiceBusy(
                    f"all {self.slots} synthesis slots stayed busy for {self.queue_timeout:g} s; retry later"
                ) from None
            raise

    def _release(self) -> None:
        """Free a slot (from any thread): it passes straight to the longest-waiting request, if any."""
        while True:
            with self._lock:
                if not self._waiting:
                    self._in_use -= 1
                    return
                waiter = self._waiting.popleft()
            if waiter.grant():
                return
            # the waiter's event loop has closed (server stopping): offer the slot to the next one

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
