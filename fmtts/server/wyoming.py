"""The Wyoming protocol server (Home Assistant's voice pipeline), built on the ``wyoming`` package.

- ``describe`` → ``info``: one TTS program "fmtts" listing every voice (streaming supported), a
  multi-speaker voice with its speakers; a request's ``voice.speaker`` (or a voice named
  ``VOICE:SPEAKER``) picks one.
- ``synthesize`` → ``audio-start``, ``audio-chunk`` ... (16-bit mono PCM as it is generated),
  ``audio-stop``. ``text_format: ssml`` reads the text as SSML.
- Streaming, as wyoming-piper does it: ``synthesize-start``, then ``synthesize-chunk`` events whose text
  accumulates; each sentence is spoken (its own audio-start / chunks / audio-stop) as soon as the next one
  begins; ``synthesize-stop`` speaks what is left and answers ``synthesize-stopped``. A ``synthesize``
  event inside a stream (clients send one for servers that do not stream) is ignored.
- A request waits for a synthesis slot as an HTTP request does (up to ``--queue-timeout`` seconds;
  :mod:`fmtts.server.service`); each sentence of a streaming session waits in line as its own request.
- A request that cannot be served (unknown voice, empty or too long text, no slot in time) gets an
  ``error`` event. After a one-shot ``synthesize`` the server then closes the connection (Home
  Assistant's client reads until ``audio-stop`` or the end of the connection, ignoring errors); a
  streaming session stays open, and text that grows past ``max_chars`` without a sentence end is dropped
  with an error.

Importing this module needs the ``wyoming`` package: :class:`fmtts.server.ServerGroup` checks for it
(:func:`fmtts.server.require`) before it does.
"""

from __future__ import annotations

import asyncio
import logging
from functools import partial
from urllib.parse import urlparse

from wyoming.audio import AudioChunk, AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.info import Attribution, Describe, Info, TtsProgram, TtsVoice, TtsVoiceSpeaker
from wyoming.server import AsyncEventHandler, AsyncServer
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeStopped,
    SynthesizeTextFormat,
    SynthesizeVoice,
)

from fmtts import __version__
from fmtts.api import SynthesisError
from fmtts.server import ServeError
from fmtts.server.service import RequestError, ServiceBusy, SpeechService, speakers_of
from fmtts.text import TextError
from fmtts.text.sentences import split_sentences

log = logging.getLogger(__name__)
SAMPLE_WIDTH = 2  # bytes: 16-bit PCM
ATTRIBUTION = ("fmtts", "")


def tts_info(service: SpeechService) -> Info:
    """The ``info`` event answering ``describe``."""
    attribution = Attribution(name=ATTRIBUTION[0], url=ATTRIBUTION[1])
    voices = [
        TtsVoice(
            name=name,
            attribution=attribution,
            installed=True,
            description=getattr(tts, "source", "") or name,
            version=None,
            languages=["en-us"],
            speakers=[TtsVoiceSpeaker(name=s) for s in speakers_of(tts)] or None,
        )
        for name, tts in service.voices.items()
    ]
    program = TtsProgram(
        name="fmtts",
        attribution=attribution,
        installed=True,
        description="fmtts flow-matching text to speech",
        version=__version__,
        voices=voices,
        supports_synthesize_streaming=True,
    )
    return Info(tts=[program])


def complete_sentences(buffer: str) -> tuple[list[str], str]:
    """Split accumulated streaming text into the sentences known to be complete (a later sentence has
    begun) and the rest, still open."""
    sentences = split_sentences(buffer, max_chars=max(len(buffer), 1)) if buffer.strip() else []
    if len(sentences) < 2:
        return [], buffer
    rest = sentences[-1]
    if buffer[-1:].isspace():
        rest += " "
    return sentences[:-1], rest


def _is_ssml(text_format: SynthesizeTextFormat | str | None) -> bool:
    return text_format in (SynthesizeTextFormat.SSML, "ssml")


class WyomingHandler(AsyncEventHandler):
    """One client connection, answering from ``service``. The server makes one per connection from a
    factory of ``(reader, writer)``: ``partial(WyomingHandler, service=..., info_event=...)``
    (:func:`start_wyoming`); ``info_event``, the ``describe`` answer, is built once for every connection."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        service: SpeechService,
        info_event: Event,
    ) -> None:
        super().__init__(reader, writer)
        self.service = service
        self.info_event = info_event
        self._streaming = False
        self._buffer = ""
        self._voice: SynthesizeVoice | None = None
        self._ssml = False

    async def handle_event(self, event: Event) -> bool:
        """Answer one event; False ends the connection."""
        if Describe.is_type(event.type):
            await self.write_event(self.info_event)
        elif Synthesize.is_type(event.type):
            if not self._streaming:
                request = Synthesize.from_event(event)
                if not await self._speak(request.text, request.voice, _is_ssml(request.text_format)):
                    # A one-shot client (Home Assistant's) reads until audio-stop or the end of the
                    # connection and ignores the error event: end the connection.
                    return False
        elif SynthesizeStart.is_type(event.type):
            start = SynthesizeStart.from_event(event)
            self._streaming, self._buffer = True, ""
            self._voice, self._ssml = start.voice, _is_ssml(start.text_format)
        elif SynthesizeChunk.is_type(event.type):
            if self._streaming:
                await self._add_text(SynthesizeChunk.from_event(event).text)
        elif SynthesizeStop.is_type(event.type):
            if self._streaming and self._buffer.strip():
                await self._speak(self._buffer, self._voice, self._ssml)
            self._streaming, self._buffer = False, ""
            await self.write_event(SynthesizeStopped().event())
        return True

    async def _add_text(self, text: str) -> None:
        """A streaming session's next text: speak the sentences it completes, keep the rest."""
        self._buffer += text
        if not self._ssml:  # SSML is spoken whole, at the stop
            done, self._buffer = complete_sentences(self._buffer)
            for sentence in done:
                await self._speak(sentence, self._voice, False)
        max_chars = self.service.max_chars
        if len(self._buffer) > max_chars:  # no sentence end in sight (or SSML)
            self._buffer = ""
            too_long = f"more than {max_chars} characters without a place to split them"
            await self.write_event(Error(text=too_long, code="bad-request").event())

    async def _speak(self, text: str, voice: SynthesizeVoice | None, ssml: bool) -> bool:
        """Speak ``text`` as audio-start, audio-chunk..., audio-stop; False if an error event was sent
        instead (or after part of the audio)."""
        name = voice.name if voice is not None else None
        speaker = voice.speaker if voice is not None else None
        try:  # waits for a slot
            stream = await self.service.open(text, name, speaker, ssml=True if ssml else None)
        except (RequestError, SynthesisError) as exc:
            await self.write_event(Error(text=str(exc), code="bad-request").event())
            return False
        except ServiceBusy as exc:
            await self.write_event(Error(text=str(exc), code="busy").event())
            return False
        rate = stream.sample_rate
        started, ok = False, False
        try:
            async for chunk in stream:
                if not started:
                    await self.write_event(AudioStart(rate=rate, width=SAMPLE_WIDTH, channels=1).event())
                    started = True
                audio = chunk.pcm16()
                if audio:
                    event = AudioChunk(rate=rate, width=SAMPLE_WIDTH, channels=1, audio=audio)
                    await self.write_event(event.event())
            ok = True
        except (TextError, SynthesisError) as exc:
            await self.write_event(Error(text=str(exc), code="bad-request").event())
        except Exception as exc:
            log.exception("synthesis failed")
            await self.write_event(Error(text=f"synthesis failed: {exc}", code="error").event())
        finally:
            await stream.aclose()
        if started:
            await self.write_event(AudioStop().event())
        return ok


async def start_wyoming(uri: str, service: SpeechService) -> AsyncServer:
    """Start a Wyoming server on ``tcp://HOST:PORT`` or ``unix://PATH`` (not blocking); returns it (its
    ``stop()`` ends it)."""
    scheme = urlparse(uri).scheme
    if scheme not in ("tcp", "unix"):
        raise ServeError(f"--wyoming takes tcp://HOST:PORT or unix://PATH, got {uri!r}")
    try:
        server = AsyncServer.from_uri(uri)
    except ValueError as exc:
        raise ServeError(f"--wyoming {uri}: {exc}") from exc
    await server.start(partial(WyomingHandler, service=service, info_event=tts_info(service).event()))
    return server
