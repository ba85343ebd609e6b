"""The HTTP server: an OpenAI-compatible speech endpoint (FastAPI).

``POST /v1/audio/speech`` takes the OpenAI speech request as JSON:

- ``input`` (text, or SSML starting with ``<speak``; at most ``--max-chars`` characters),
- ``model`` (any string: there is one model per voice), ``voice`` (a name from ``GET /v1/audio/voices``,
  or ``{"id": name}``; default: the server's first voice). A multi-speaker voice speaks as its first
  speaker unless ``voice`` names one: ``VOICE:SPEAKER``, or a bare ``SPEAKER`` that one loaded voice has
  (an unknown voice or speaker is a 400),
- ``response_format``: ``mp3`` (the default, as OpenAI), ``wav``, ``flac``, ``opus`` (Ogg, 48 kHz),
  ``pcm`` (raw 16-bit little-endian mono at the voice's rate, 22050 Hz; the ``X-Sample-Rate`` header says
  it, and 48000 for ``opus``) or ``json`` (below). ``wav`` and ``pcm`` are streamed as the audio is
  generated (the streamed WAV's header says "unknown length": sizes 0xFFFFFFFF); the others are encoded
  once the audio is complete,
- ``speed`` 0.25 to 4.0 (as OpenAI; length scale 1 / speed), ``instructions`` (accepted, ignored),
- fmtts extras: ``steps`` (ODE steps, 1 to :data:`fmtts.sampling.MAX_STEPS`, 128), ``temperature``
  (noise scale, 0 to 10), ``seed`` (0 to 2**32 - 1, repeatable output).

``response_format: "json"`` answers with the audio and its timings::

    {"sample_rate": 22050, "seconds": 1.9, "audio_wav_base64": "...",
     "sentences": [{"text": "Hello there.", "start": 0.0, "end": 0.93}, ...],
     "phonemes": [{"symbol": "h", "start": 0.0, "end": 0.05}, ...]}     # seconds from the start

Errors are JSON in OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``: 400 for a bad
request (malformed JSON, empty or too long input, unknown voice, unsupported format, speed out of range,
bad option, text with nothing to speak), 413 for a body over 1 MiB, 500 when synthesis fails, 503 when
no synthesis slot is to be had: the waiting line is full, or the request waited ``--queue-timeout``
seconds for a slot (``Retry-After: 1``; :mod:`fmtts.server.service`). A client that leaves before a
whole-file answer is ready stops its synthesis.
``GET /v1/audio/voices`` lists the voices (a multi-speaker voice with its ``speakers``, then one entry
``VOICE:SPEAKER`` per speaker), ``GET /health`` says the server is up and how busy.
"""

import asyncio
import base64
import json
import logging
import math
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import numpy as np

from fmtts.api import SynthesisError
from fmtts.sampling import MAX_STEPS
from fmtts.server import require
from fmtts.server.formats import FORMATS, OPUS_RATE, encode, streaming_wav_header
from fmtts.server.service import RequestError, ServiceBusy, SpeechService, SpeechStream, speakers_of
from fmtts.text import TextError

if TYPE_CHECKING:  # FastAPI is imported only once a server is made (the serve extra)
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, Response, StreamingResponse

    from fmtts.streaming import StreamChunk

log = logging.getLogger(__name__)
SPEED_RANGE = (0.25, 4.0)
MAX_SEED = 2**32 - 1
MAX_BODY_BYTES = 1 << 20  # far above max_chars of text in JSON; a larger body is refused unread
RESPONSE_FORMATS = (*FORMATS, "json")
UNSUPPORTED = {"aac": "aac is not supported here (soundfile cannot write it)"}
CLIENT_GONE = 499  # nginx's "client closed request": nobody reads it, but the access log shows it


def _error(
    status: int,
    message: str,
    param: str | None = None,
    kind: str = "invalid_request_error",
    retry_after: int | None = None,
) -> "JSONResponse":
    """An error response in OpenAI's shape."""
    from fastapi.responses import JSONResponse

    body = {"error": {"message": message, "type": kind, "param": param, "code": None}}
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return JSONResponse(body, status_code=status, headers=headers)


class _Refused(Exception):
    """A request answered with ``response`` (an error) instead of speech: lets the steps of
    :func:`speech_response` stop it from any depth."""

    def __init__(self, response: "Response"):
        super().__init__(response.status_code)
        self.response = response


async def _read_body(request: "Request") -> bytes | None:
    """The request body, or None once it passes MAX_BODY_BYTES: a chunked upload (no Content-Length)
    is read only up to the limit, never whole."""
    parts, size = [], 0
    async for part in request.stream():
        size += len(part)
        if size > MAX_BODY_BYTES:
            return None
        parts.append(part)
    return b"".join(parts)


async def read_json_body(request: "Request") -> Any:
    """The request's JSON body; :class:`_Refused` (413) when it is too large, (400) when malformed."""
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_BODY_BYTES:
        raise _Refused(_error(413, f"the request body is {length} bytes; at most {MAX_BODY_BYTES} are read"))
    raw = await _read_body(request)
    if raw is None:
        raise _Refused(
            _error(413, f"the request body is over {MAX_BODY_BYTES} bytes; at most that many are read")
        )
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # RecursionError: JSON nested thousands deep
        raise _Refused(_error(400, f"malformed JSON body: {str(exc)[:200]}")) from exc


def _number(body: dict[str, Any], name: str, default: float | None, kind: type = float) -> Any:
    value = body.get(name, default)
    if value is None:
        return default
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    try:
        ok = ok and math.isfinite(value) and (kind is not int or float(value).is_integer())
    except OverflowError:  # an integer too large for a float
        ok = False
    if not ok:
        shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "..."
        raise RequestError(f"{name} must be a{'n integer' if kind is int else ' number'}, got {shown}", name)
    return kind(value)


def parse_speech_request(body: Any) -> tuple[str, str | None, str, dict[str, Any]]:
    """An OpenAI speech request → (text, voice, response format, synthesis options)."""
    if not isinstance(body, dict):
        raise RequestError("the request body must be a JSON object")
    text = body.get("input")
    if not isinstance(text, str):
        raise RequestError("input must be a string", "input")
    if not text.strip():
        raise RequestError("input is empty", "input")
    voice = body.get("voice")
    if isinstance(voice, dict):  # the SDK's custom-voice form: {"id": NAME}
        voice = voice.get("id")
    if voice is not None and not isinstance(voice, str):
        raise RequestError("voice must be a voice name or {'id': name}", "voice")
    if body.get("model") is not None and not isinstance(body.get("model"), str):
        raise RequestError("model must be a string", "model")
    fmt = body.get("response_format") or "mp3"
    if not isinstance(fmt, str) or fmt not in RESPONSE_FORMATS:
        why = UNSUPPORTED.get(fmt) if isinstance(fmt, str) else None
        raise RequestError(
            why or f"unsupported response_format {fmt!r}; use one of {RESPONSE_FORMATS}", "response_format"
        )
    if body.get("stream_format", "audio") != "audio":
        raise RequestError("only stream_format 'audio' is supported", "stream_format")
    speed = _number(body, "speed", 1.0)
    if not SPEED_RANGE[0] <= speed <= SPEED_RANGE[1]:
        raise RequestError(
            f"speed must be between {SPEED_RANGE[0]} and {SPEED_RANGE[1]}, got {speed}", "speed"
        )
    options: dict = {"length_scale": 1.0 / speed}
    if body.get("steps") is not None:
        options["steps"] = _number(body, "steps", None, int)
        if not 1 <= options["steps"] <= MAX_STEPS:
            raise RequestError(f"steps must be between 1 and {MAX_STEPS}, got {options['steps']}", "steps")
    if body.get("temperature") is not None:
        options["temperature"] = _number(body, "temperature", None)
    if body.get("seed") is not None:
        options["seed"] = _number(body, "seed", None, int)
        if not 0 <= options["seed"] <= MAX_SEED:
            raise RequestError(f"seed must be between 0 and {MAX_SEED}, got {options['seed']}", "seed")
    return text, voice, fmt, options


async def admit(service: SpeechService, body: Any) -> tuple[SpeechStream, str]:
    """A parsed request's stream, once it holds a synthesis slot (it waits in line for one), and its
    response format; :class:`_Refused` (400, 503) when it is not to be served."""
    try:
        text, voice, fmt, options = parse_speech_request(body)
        stream = await service.open(text, voice, **options)
    except RequestError as exc:
        raise _Refused(_error(400, str(exc), exc.param)) from exc
    except SynthesisError as exc:
        raise _Refused(_error(400, str(exc))) from exc
    except ServiceBusy as exc:
        raise _Refused(_error(503, str(exc), kind="server_busy", retry_after=exc.retry_after)) from exc
    return stream, fmt


def _synthesis_failed(exc: Exception) -> "JSONResponse":
    """The answer to synthesis that raised before any audio was sent (call it in the ``except`` block:
    a server error is logged with its traceback)."""
    if isinstance(exc, TextError | SynthesisError):
        return _error(400, str(exc), "input")
    log.exception("synthesis failed")
    return _error(500, f"synthesis failed: {exc}", kind="server_error")


async def speech_response(service: SpeechService, request: "Request") -> "Response":
    """``POST /v1/audio/speech``: read and check the request, wait for a slot, then answer with the
    audio streamed (:func:`streamed_response`) or whole (:func:`whole_response`)."""
    from fastapi.responses import Response

    try:
        stream, fmt = await admit(service, await read_json_body(request))
    except _Refused as refused:
        return refused.response
    if await request.is_disconnected():  # left while waiting: the slot goes to the next request
        await stream.aclose()
        return Response(status_code=CLIENT_GONE)
    try:
        first = await stream.__anext__()  # text errors show here, before any audio is sent
    except Exception as exc:
        return _synthesis_failed(exc)
    headers = {"X-Sample-Rate": str(OPUS_RATE if fmt == "opus" else stream.sample_rate)}
    content_type, streamed = FORMATS.get(fmt, ("application/json", False))
    if streamed:
        return streamed_response(stream, first, fmt, content_type, headers)
    return await whole_response(request, stream, first, fmt, content_type, headers)


def streamed_response(
    stream: SpeechStream, first: "StreamChunk", fmt: str, content_type: str, headers: dict[str, str]
) -> "StreamingResponse":
    """``wav`` or ``pcm`` sent piece by piece as it is synthesized, starting with the piece ``first``."""
    from fastapi.responses import StreamingResponse

    return StreamingResponse(
        _stream_bytes(stream, first, wav=fmt == "wav"), media_type=content_type, headers=headers
    )


async def _stream_bytes(stream: SpeechStream, first: "StreamChunk", wav: bool) -> AsyncIterator[bytes]:
    """16-bit PCM (after a streaming WAV header with ``wav``). The status line has gone out by now, so
    a failure can only cut the response short; the stream (and its slot) is closed however it ends."""
    try:
        if wav:
            yield streaming_wav_header(stream.sample_rate)
        yield first.pcm16()
        async for chunk in stream:
            yield chunk.pcm16()
    except Exception:
        log.exception("synthesis failed mid-stream; the response is cut short")
    finally:
        await stream.aclose()


async def whole_response(
    request: "Request",
    stream: SpeechStream,
    first: "StreamChunk",
    fmt: str,
    content_type: str,
    headers: dict[str, str],
) -> "Response":
    """The whole audio encoded as ``fmt`` (or the ``json`` timings), once synthesis has finished; a
    client gone meanwhile stops it."""
    from fastapi.responses import JSONResponse, Response

    chunks = [first]
    try:
        async for chunk in stream:
            if await request.is_disconnected():  # nobody to answer: free the slot now
                log.info("client went away; synthesis stopped")
                return Response(status_code=CLIENT_GONE)
            chunks.append(chunk)
    except Exception as exc:
        return _synthesis_failed(exc)
    finally:
        await stream.aclose()
    sr = stream.sample_rate
    audio = np.concatenate([c.audio for c in chunks])
    if fmt == "json":
        wav = await asyncio.to_thread(encode, audio, sr, "wav")
        return JSONResponse(_timings(chunks, audio, sr, wav), headers=headers)
    data = await asyncio.to_thread(encode, audio, sr, fmt)
    return Response(data, media_type=content_type, headers=headers)


def health_report(service: SpeechService) -> dict[str, Any]:
    """``GET /health``: the server is up, its voices, and how busy its queue is."""
    return {
        "status": "ok",
        "voices": list(service.voices),
        "queue": {
            "slots": service.slots,
            "in_use": service.in_use,
            "size": service.queue,
            "waiting": service.waiting,
            "timeout_s": service.queue_timeout,
        },
    }


def voice_list(service: SpeechService) -> dict[str, list[dict[str, Any]]]:
    """``GET /v1/audio/voices``: each voice, then one ``VOICE:SPEAKER`` entry per speaker of it."""
    listed = []
    for name, tts in service.voices.items():
        entry = {
            "id": name,
            "name": name,
            "default": name == service.default_voice,
            "languages": ["en-us"],
            "sample_rate": tts.sample_rate,
            "source": getattr(tts, "source", ""),
        }
        speakers = speakers_of(tts)
        if speakers:
            entry["speakers"] = speakers
        listed.append(entry)
        for speaker in speakers:
            one = {**entry, "id": f"{name}:{speaker}", "name": f"{name}:{speaker}", "default": False}
            del one["speakers"]
            listed.append({**one, "voice": name, "speaker": speaker})
    return {"voices": listed}


def create_app(service: SpeechService) -> "FastAPI":
    """The FastAPI application serving ``service``."""
    require("fastapi")
    from fastapi import FastAPI, Request

    from fmtts import __version__

    app = FastAPI(title="fmtts", version=__version__)

    # Routes only: FastAPI reads these signatures (the Request is injected by its annotation; without a
    # return annotation there is no response model) and the module's functions do the work.
    @app.get("/health")
    async def health():
        return health_report(service)

    @app.get("/v1/audio/voices")
    async def voices():
        return voice_list(service)

    @app.post("/v1/audio/speech")
    async def speech(request: Request):
        return await speech_response(service, request)

    return app


def _timings(chunks: list["StreamChunk"], audio: np.ndarray, sr: int, wav: bytes) -> dict[str, Any]:
    """The ``json`` response: the audio as base64 WAV, and when each sentence and phoneme is spoken."""
    sentences, phonemes = [], []
    for c in chunks:
        if not c.text:
            continue
        if c.phonemes or not sentences or sentences[-1]["_index"] != c.index:
            sentences.append({"_index": c.index, "text": c.text, "start": round(c.offset, 4)})
        sentences[-1]["end"] = round(c.offset + c.seconds, 4)
        phonemes.extend({"symbol": s, "start": round(a, 4), "end": round(b, 4)} for s, a, b in c.phonemes)
    for s in sentences:
        del s["_index"]
    return {
        "sample_rate": sr,
        "seconds": round(len(audio) / sr, 4),
        "audio_wav_base64": base64.b64encode(wav).decode("ascii"),
        "sentences": sentences,
        "phonemes": phonemes,
    }
