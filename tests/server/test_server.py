"""`fmtts serve` with real clients on loopback ports: the official OpenAI SDK and httpx over HTTP,
wyoming's AsyncTcpClient over the Wyoming protocol; bad requests, a burst that waits for slots, the
limits of the waiting line, concurrency, SIGTERM."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")
httpx = pytest.importorskip("httpx")
openai = pytest.importorskip("openai")
pytest.importorskip("wyoming")

import soundfile as sf  # noqa: E402

from fmtts.server import ServeError, ServerGroup, ServiceBusy, SpeechService, require  # noqa: E402
from fmtts.server.service import DEFAULT_QUEUE, DEFAULT_QUEUE_TIMEOUT, DEFAULT_SLOTS  # noqa: E402

TEXT = "A cat sat on the mat."
MAX_CHARS = 300
TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Running:
    """A ServerGroup serving in a background thread; always stopped by the fixture that made it."""

    def __init__(self, service: SpeechService, wyoming: bool = False):
        self.port = free_port()
        self.wyoming_port = free_port() if wyoming else None
        uri = f"tcp://127.0.0.1:{self.wyoming_port}" if wyoming else None
        self.group = ServerGroup(service, "127.0.0.1", self.port, wyoming=uri, log_level="warning")
        self.thread = threading.Thread(target=asyncio.run, args=(self.group.serve(),), daemon=True)
        self.thread.start()
        deadline = time.monotonic() + TIMEOUT
        while not self.group.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "server did not start"
            time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.group.stop()
        self.thread.join(timeout=TIMEOUT)
        assert not self.thread.is_alive()


@pytest.fixture(scope="module")
def server(voice):
    running = Running(SpeechService({"tiny": voice}, max_chars=MAX_CHARS), wyoming=True)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def client(server):
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key="x", timeout=TIMEOUT, max_retries=0)


def expected_pcm(voice, text: str, seed: int, **options) -> bytes:
    return b"".join(p.pcm16() for p in voice.stream(text, seed=seed, **options))


def streamed_wav_samples(data: bytes) -> tuple[np.ndarray, int]:
    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE" and data[36:40] == b"data"
    assert data[40:44] == b"\xff\xff\xff\xff"  # unknown length: streamed
    rate = int.from_bytes(data[24:28], "little")
    return np.frombuffer(data[44:], dtype="<i2"), rate


def test_openai_sdk_wav_and_flac(client, voice):
    wav = client.audio.speech.create(
        model="tts-1", voice="tiny", input=TEXT, response_format="wav", extra_body={"seed": 3}
    )
    samples, rate = streamed_wav_samples(wav.content)
    assert rate == 22050
    expected = np.frombuffer(expected_pcm(voice, TEXT, 3), dtype="<i2")
    np.testing.assert_array_equal(samples, expected)
    # libsndfile reads the streamed header too
    audio, sr = sf.read(io.BytesIO(wav.content), dtype="int16")
    assert sr == 22050 and np.array_equal(audio, expected)
    flac = client.audio.speech.create(
        model="tts-1", voice="tiny", input=TEXT, response_format="flac", extra_body={"seed": 3}
    )
    audio, sr = sf.read(io.BytesIO(flac.content), dtype="int16")
    np.testing.assert_array_equal(audio, expected)  # streamed == non-streamed


def test_openai_sdk_streaming_response(client, voice):
    received = []
    with client.audio.speech.with_streaming_response.create(
        model="tts-1",
        voice="tiny",
        input="A cat sat on the mat. We like green apples.",
        response_format="pcm",
        speed=1.25,
        extra_body={"seed": 9, "steps": 4, "temperature": 0.5},
    ) as response:
        assert response.headers["x-sample-rate"] == "22050"
        for chunk in response.iter_bytes():
            received.append(chunk)
    data = b"".join(received)
    expected = expected_pcm(
        voice, "A cat sat on the mat. We like green apples.", 9, length_scale=0.8, steps=4, temperature=0.5
    )
    assert data == expected


@pytest.mark.parametrize("fmt,rate", [("mp3", 22050), ("opus", 48000)])
def test_compressed_formats(client, fmt, rate):
    out = client.audio.speech.create(model="tts-1", voice="tiny", input=TEXT, response_format=fmt)
    audio, sr = sf.read(io.BytesIO(out.content), dtype="float32")
    assert sr == rate and len(audio) > rate * 0.3


def test_default_format_is_mp3(server):
    r = httpx.post(f"{server.url}/v1/audio/speech", json={"input": TEXT}, timeout=TIMEOUT)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/mpeg"


def test_json_timings(server, voice):
    body = {"input": "A cat sat on the mat. We like green apples.", "response_format": "json", "seed": 2}
    r = httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=TIMEOUT)
    assert r.status_code == 200
    out = r.json()
    audio, sr = sf.read(io.BytesIO(base64.b64decode(out["audio_wav_base64"])), dtype="float32")
    assert sr == out["sample_rate"] == 22050 and out["seconds"] == pytest.approx(len(audio) / sr, abs=1e-3)
    assert [s["text"] for s in out["sentences"]] == ["A cat sat on the mat.", "We like green apples."]
    first, second = out["sentences"]
    assert 0 == first["start"] < first["end"] < second["start"] < second["end"] <= out["seconds"]
    starts = [p["start"] for p in out["phonemes"]]
    assert starts == sorted(starts) and out["phonemes"][-1]["end"] == pytest.approx(second["end"], abs=1e-3)


BAD_REQUESTS = {
    "malformed JSON": b'{"input": "hello',
    "not an object": json.dumps(["hello"]).encode(),
    "empty input": json.dumps({"input": "   "}).encode(),
    "missing input": json.dumps({"voice": "tiny"}).encode(),
    "unknown voice": json.dumps({"input": TEXT, "voice": "alloy"}).encode(),
    "unsupported format": json.dumps({"input": TEXT, "response_format": "aac"}).encode(),
    "unknown format": json.dumps({"input": TEXT, "response_format": "ogg"}).encode(),
    "too long": json.dumps({"input": "word " * (MAX_CHARS // 5 + 1)}).encode(),
    "speed too high": json.dumps({"input": TEXT, "speed": 4.5}).encode(),
    "speed too low": json.dumps({"input": TEXT, "speed": 0.2}).encode(),
    "speed not a number": json.dumps({"input": TEXT, "speed": "fast"}).encode(),
    "bad steps": json.dumps({"input": TEXT, "steps": 0}).encode(),
    "too many steps": json.dumps({"input": TEXT, "steps": 129}).encode(),
    "speed too large for a float": json.dumps({"input": TEXT, "speed": 10**400}).encode(),
    "seed out of range": json.dumps({"input": TEXT, "seed": 2**64}).encode(),
    "temperature out of range": json.dumps({"input": TEXT, "temperature": 1e30}).encode(),
    "JSON nested too deep": b"[" * 100_000 + b"]" * 100_000,
    "nothing to speak": json.dumps({"input": "... !"}).encode(),
}


@pytest.mark.parametrize("name", list(BAD_REQUESTS))
def test_bad_requests_are_400_and_the_server_keeps_serving(server, name):
    r = httpx.post(
        f"{server.url}/v1/audio/speech",
        content=BAD_REQUESTS[name],
        headers={"content-type": "application/json"},
        timeout=TIMEOUT,
    )
    assert r.status_code == 400, r.text
    assert r.json()["error"]["message"]
    assert httpx.get(f"{server.url}/health", timeout=TIMEOUT).json()["status"] == "ok"


def test_a_huge_body_is_refused_unread(server):
    body = json.dumps({"input": TEXT, "instructions": "x" * (2 << 20)}).encode()
    r = httpx.post(f"{server.url}/v1/audio/speech", content=body, timeout=TIMEOUT)
    assert r.status_code == 413 and "at most" in r.json()["error"]["message"]


def test_a_huge_chunked_body_is_refused_without_reading_it_whole(server):
    def chunks():  # no Content-Length: the server must count what it reads
        yield json.dumps({"input": TEXT, "instructions": ""})[:-2].encode()
        for _ in range(18):  # just over 1 MiB: the server may close before a larger rest is sent
            yield b"x" * (64 << 10)
        yield b'"}'

    r = httpx.post(f"{server.url}/v1/audio/speech", content=chunks(), timeout=TIMEOUT)
    assert r.status_code == 413 and "at most" in r.json()["error"]["message"]
    small = json.dumps({"input": TEXT, "voice": "tiny", "response_format": "pcm"}).encode()
    r = httpx.post(f"{server.url}/v1/audio/speech", content=iter([small[:10], small[10:]]), timeout=TIMEOUT)
    assert r.status_code == 200 and len(r.content) > 0


def test_sdk_raises_bad_request(client):
    with pytest.raises(openai.BadRequestError, match="unknown voice"):
        client.audio.speech.create(model="tts-1", voice="alloy", input=TEXT)


def test_voices_and_health(server, voice):
    voices = httpx.get(f"{server.url}/v1/audio/voices", timeout=TIMEOUT).json()["voices"]
    assert (
        [v["id"] for v in voices] == ["tiny"] and voices[0]["default"] and voices[0]["sample_rate"] == 22050
    )
    health = httpx.get(f"{server.url}/health", timeout=TIMEOUT).json()
    queue = {"slots": 4, "in_use": 0, "size": 32, "waiting": 0, "timeout_s": 60.0}
    assert health == {"status": "ok", "voices": ["tiny"], "queue": queue}


def test_eight_concurrent_requests(server, voice):
    text = "We like green apples."

    def ask(seed: int) -> tuple[int, bytes]:
        body = {"input": text, "voice": "tiny", "response_format": "pcm", "seed": seed}
        r = httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=TIMEOUT)
        return r.status_code, r.content

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(ask, range(8)))
    for seed, (status, data) in enumerate(answers):
        assert status == 200 and data == expected_pcm(voice, text, seed)


class GatedVoice:
    """A voice whose streams wait for ``gate`` before their first piece."""

    def __init__(self, tts):
        self.tts, self.sample_rate, self.source = tts, tts.sample_rate, "gated"
        self.gate = threading.Event()

    def stream(self, text, **options):
        inner = self.tts.stream(text, **options)

        def gated():
            self.gate.wait(timeout=TIMEOUT)
            yield from inner

        return gated()


PCM_REQUEST = {"input": TEXT, "response_format": "pcm"}


def hold_the_slot(pool: ThreadPoolExecutor, running: Running, service: SpeechService):
    """Post a request from ``pool`` and wait until it holds a slot of ``service`` (its voice gated)."""
    held = pool.submit(httpx.post, f"{running.url}/v1/audio/speech", json=PCM_REQUEST, timeout=TIMEOUT)
    deadline = time.monotonic() + TIMEOUT
    while service.in_use < 1:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return held


def wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_defaults_absorb_a_burst_of_eight_sdk_clients(voice):
    """8 clients of the official SDK (default timeout and retries) ask at once a server with default
    sizes: 4 are synthesized, 4 wait in line, none is refused, and every answer is the right audio."""
    assert (DEFAULT_SLOTS, DEFAULT_QUEUE, DEFAULT_QUEUE_TIMEOUT) == (4, 32, 60.0)
    gated = GatedVoice(voice)  # holds every stream at its first piece until the whole burst has arrived
    service = SpeechService({"tiny": gated})
    running = Running(service)
    refused = []

    def count_refusals(response) -> None:
        if response.status_code == 503:
            refused.append(response)

    http_client = httpx.Client(event_hooks={"response": [count_refusals]})
    client = openai.OpenAI(base_url=f"{running.url}/v1", api_key="x", http_client=http_client)
    assert client.max_retries == 2  # the SDK's default: what a client that is not tuned does

    def ask(seed: int) -> bytes:
        return client.audio.speech.create(
            model="tts-1", voice="tiny", input=TEXT, response_format="pcm", extra_body={"seed": seed}
        ).content

    try:
        with ThreadPoolExecutor(8) as pool:
            answers = [pool.submit(ask, seed) for seed in range(8)]
            try:
                wait_for(lambda: service.in_use == 4 and service.waiting == 4, "4 synthesizing, 4 waiting")
                assert not any(a.done() for a in answers) and not refused
            finally:
                gated.gate.set()  # a failure above does not leave the pool waiting for the gate
            for seed, answer in enumerate(answers):
                assert answer.result(timeout=TIMEOUT) == expected_pcm(voice, TEXT, seed)
        assert not refused and service.in_use == 0 and service.waiting == 0
    finally:
        gated.gate.set()
        http_client.close()
        running.stop()


def test_beyond_the_waiting_line_is_503_with_retry_after(voice):
    """One slot, a line of one, a 1 s wait: a third request is refused at once, the waiting one after
    its time limit, both with Retry-After; once the slot frees the server serves again."""
    gated = GatedVoice(voice)
    service = SpeechService({"tiny": gated}, slots=1, queue=1, queue_timeout=1.0)
    running = Running(service)
    url = f"{running.url}/v1/audio/speech"
    try:
        with ThreadPoolExecutor(2) as pool:
            first = hold_the_slot(pool, running, service)
            started = time.monotonic()
            waiting = pool.submit(httpx.post, url, json=PCM_REQUEST, timeout=TIMEOUT)
            wait_for(lambda: service.waiting == 1, "a request waiting")
            full = httpx.post(url, json=PCM_REQUEST, timeout=TIMEOUT)
            assert full.status_code == 503 and full.headers["retry-after"] == "1"
            assert "already waiting" in full.json()["error"]["message"]
            assert full.json()["error"]["type"] == "server_busy"
            timed_out = waiting.result(timeout=TIMEOUT)
            assert time.monotonic() - started >= 1.0
            assert timed_out.status_code == 503 and timed_out.headers["retry-after"] == "1"
            assert "stayed busy for 1 s" in timed_out.json()["error"]["message"]
            assert service.waiting == 0 and service.in_use == 1
            gated.gate.set()
            assert first.result(timeout=TIMEOUT).status_code == 200
        again = httpx.post(url, json=PCM_REQUEST, timeout=TIMEOUT)
        assert again.status_code == 200 and len(again.content) > 0
        assert service.in_use == 0 and service.waiting == 0
    finally:
        gated.gate.set()
        running.stop()


class Silent:
    """A voice whose streams yield nothing: for the service's bookkeeping alone."""

    sample_rate = 22050

    def stream(self, text, **options):
        return iter(())


def test_a_freed_slot_goes_to_the_longest_waiting_and_a_leaver_loses_its_place():
    async def scenario() -> None:
        service = SpeechService({"s": Silent()}, slots=1, queue=3, queue_timeout=TIMEOUT)
        try:
            holder = await service.open("Hello.")
            order: list[str] = []

            async def ask(name: str):
                stream = await service.open("Hello.")
                order.append(name)
                return stream

            first = asyncio.create_task(ask("first"))
            await asyncio.sleep(0.01)
            leaver = asyncio.create_task(ask("leaver"))
            await asyncio.sleep(0.01)
            second = asyncio.create_task(ask("second"))
            await asyncio.sleep(0.01)
            assert (service.in_use, service.waiting) == (1, 3)
            leaver.cancel()  # a client that went away while waiting
            await asyncio.gather(leaver, return_exceptions=True)
            assert (service.in_use, service.waiting) == (1, 2)
            await holder.aclose()
            stream = await asyncio.wait_for(first, TIMEOUT)
            assert order == ["first"] and (service.in_use, service.waiting) == (1, 1)
            await stream.aclose()
            await (await asyncio.wait_for(second, TIMEOUT)).aclose()
            assert order == ["first", "second"] and (service.in_use, service.waiting) == (0, 0)
        finally:
            service.close()

    asyncio.run(scenario())


def test_a_waiting_line_of_zero_refuses_at_once_and_bad_sizes_are_refused():
    async def scenario() -> None:
        service = SpeechService({"s": Silent()}, slots=1, queue=0)
        try:
            holder = await service.open("Hello.")
            with pytest.raises(ServiceBusy, match="busy") as busy:
                await service.open("Hello.")
            assert busy.value.retry_after == 1
            await holder.aclose()
            await (await service.open("Hello.")).aclose()
            assert service.in_use == 0
        finally:
            service.close()

    asyncio.run(scenario())
    for bad in ({"slots": 0}, {"queue": -1}, {"queue_timeout": -1.0}, {"queue_timeout": float("nan")}):
        with pytest.raises(ValueError):
            SpeechService({"s": Silent()}, **bad)


async def _events_until(client, last: str, limit: int = 10_000) -> list:
    events = []
    for _ in range(limit):
        event = await client.read_event()
        assert event is not None, "connection closed"
        events.append(event)
        if event.type == last:
            return events
    raise AssertionError(f"no {last} event")


def _pcm(events) -> bytes:
    from wyoming.audio import AudioChunk

    return b"".join(AudioChunk.from_event(e).audio for e in events if AudioChunk.is_type(e.type))


def test_wyoming_describe_synthesize_and_stream(server, voice):
    from wyoming.audio import AudioStart
    from wyoming.client import AsyncTcpClient
    from wyoming.error import Error
    from wyoming.info import Describe, Info
    from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeVoice

    async def talk():
        client = AsyncTcpClient("127.0.0.1", server.wyoming_port, connect_timeout=10, read_timeout=TIMEOUT)
        await client.connect()
        try:
            await client.write_event(Describe().event())
            info = Info.from_event((await _events_until(client, "info"))[-1])
            program = info.tts[0]
            assert program.name == "fmtts" and program.attribution.name == "fmtts"
            assert [v.name for v in program.voices] == ["tiny"] and program.supports_synthesize_streaming

            await client.write_event(Synthesize(text=TEXT, voice=SynthesizeVoice(name="tiny")).event())
            events = await _events_until(client, "audio-stop")
            start = AudioStart.from_event(events[0])
            assert (start.rate, start.width, start.channels) == (22050, 2, 1)
            one = _pcm(events)
            assert len(one) == len(expected_pcm(voice, TEXT, 0))  # durations do not depend on the noise

            # a failed one-shot request ends the connection too: a one-shot client waits for audio-stop
            # or the end of the connection, and ignores error events
            await client.write_event(Synthesize(text=TEXT, voice=SynthesizeVoice(name="alloy")).event())
            error = Error.from_event((await _events_until(client, "error"))[-1])
            assert "unknown voice" in error.text
            assert await client.read_event() is None
            await client.disconnect()
            await client.connect()

            # text without a place to split it may not grow past the server's limit
            await client.write_event(SynthesizeStart(voice=SynthesizeVoice(name="tiny")).event())
            for _ in range(MAX_CHARS // 100 + 1):
                await client.write_event(SynthesizeChunk(text="word " * 20).event())
            error = Error.from_event((await _events_until(client, "error"))[-1])
            assert str(MAX_CHARS) in error.text
            await client.write_event(SynthesizeStop().event())
            assert [e.type for e in await _events_until(client, "synthesize-stopped")] == [
                "synthesize-stopped"
            ]

            await client.write_event(SynthesizeStart(voice=SynthesizeVoice(name="tiny")).event())
            for part in ("A cat sat", " on the mat. We like", " green apples."):
                await client.write_event(SynthesizeChunk(text=part).event())
            first_sentence = await _events_until(client, "audio-stop")  # spoken before the stop
            await client.write_event(Synthesize(text="A cat sat on the mat. We like green apples.").event())
            await client.write_event(SynthesizeStop().event())
            rest = await _events_until(client, "synthesize-stopped")
            assert [e.type for e in rest].count("audio-stop") == 1  # the ignored synthesize spoke nothing
            assert len(_pcm(first_sentence)) == len(expected_pcm(voice, "A cat sat on the mat.", 0))
            assert len(_pcm(rest)) == len(expected_pcm(voice, "We like green apples.", 0))
        finally:
            await client.disconnect()

    asyncio.run(asyncio.wait_for(talk(), TIMEOUT * 2))


def test_serve_command_and_sigterm(trained_run):
    port, wyoming_port = free_port(), free_port()
    cmd = [sys.executable, "-m", "fmtts.cli", "serve", "--checkpoint", str(trained_run), "--vocoder"]
    cmd += [
        "griffinlim",
        "--device",
        "cpu",
        "--port",
        str(port),
        "--wyoming",
        f"tcp://127.0.0.1:{wyoming_port}",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, proc.communicate()[1].decode()[-2000:]
            assert time.monotonic() < deadline, "fmtts serve did not come up"
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        voices = httpx.get(f"{url}/v1/audio/voices", timeout=5).json()["voices"]
        assert [v["id"] for v in voices] == [trained_run.stem]
        r = httpx.post(f"{url}/v1/audio/speech", json={"input": TEXT, "response_format": "wav"}, timeout=60)
        assert r.status_code == 200 and len(r.content) > 44
        with socket.create_connection(("127.0.0.1", wyoming_port), timeout=5):
            pass
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        proc.stdout.close()
        proc.stderr.close()


def test_service_stream_options_reach_every_request():
    """`fmtts serve --first-chunk-chars` and the like: server-wide stream options, a request's own win."""
    seen = []

    class Recorder:
        sample_rate = 22050

        def stream(self, text, **options):
            seen.append(options)
            return iter(())

    service = SpeechService({"r": Recorder()}, stream_options={"first_chunk_chars": 50, "steps": 3})

    async def two_requests() -> None:
        await (await service.open("Hello.", steps=5)).aclose()
        await (await service.open("Hello.")).aclose()

    try:
        asyncio.run(two_requests())
    finally:
        service.close()
    assert seen == [{"first_chunk_chars": 50, "steps": 5}, {"first_chunk_chars": 50, "steps": 3}]


def test_missing_extra_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "fastapi", None)
    with pytest.raises(ServeError, match=r"fmtts\[serve\]"):
        require("fastapi")
    from fmtts.cli import main

    with pytest.raises(SystemExit, match=r"fmtts\[serve\]"):
        main(["serve"])


def test_serve_without_voices_serves_every_embedded_voice_default_first(monkeypatch, tmp_path):
    import fmtts.api
    from fmtts.cli.serve import voice_sources

    for name in ("amy.fmtts", "joe.fmtts", "zed.pt", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setattr(fmtts.api, "VOICES_DIR", tmp_path)
    assert voice_sources(None, None) == ["joe", "amy", "zed"]
    assert voice_sources(["amy"], ["run.pt"]) == ["amy", "run.pt"]  # what is named, in its order


@pytest.mark.parametrize(
    "argv", [["--slots", "0"], ["--queue", "-1"], ["--queue-timeout", "-5"], ["--queue-timeout", "inf"]]
)
def test_serve_refuses_bad_queue_sizes_before_loading_voices(argv):
    from fmtts.cli import main

    with pytest.raises(SystemExit, match="at least"):
        main(["serve", "--checkpoint", "does-not-exist.pt", *argv])


def test_a_wyoming_session_waits_for_a_busy_queue(voice):
    """A sentence of a streaming session is not a new request: with the only slot taken by an HTTP
    request, it waits and is spoken once the slot is free, instead of leaving a gap."""
    from wyoming.client import AsyncTcpClient
    from wyoming.tts import SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeVoice

    gated = GatedVoice(voice)
    gated.gate.set()  # the session's own sentences run at once; the HTTP request below holds the slot
    service = SpeechService({"tiny": gated}, slots=1)
    running = Running(service, wyoming=True)

    async def session() -> list:
        client = AsyncTcpClient("127.0.0.1", running.wyoming_port, connect_timeout=10, read_timeout=TIMEOUT)
        await client.connect()
        try:
            await client.write_event(SynthesizeStart(voice=SynthesizeVoice(name="tiny")).event())
            await client.write_event(SynthesizeChunk(text=TEXT + " We like").event())
            await client.write_event(SynthesizeStop().event())
            return await _events_until(client, "synthesize-stopped")
        finally:
            await client.disconnect()

    try:
        gated.gate.clear()
        with ThreadPoolExecutor(1) as pool:
            held = hold_the_slot(pool, running, service)
            threading.Timer(1.0, gated.gate.set).start()  # the HTTP request finishes a second later
            events = asyncio.run(asyncio.wait_for(session(), TIMEOUT))
            assert held.result(timeout=TIMEOUT).status_code == 200
        types = [e.type for e in events]
        assert "error" not in types and types.count("audio-stop") == 2
        assert len(_pcm(events)) == len(expected_pcm(voice, TEXT, 0)) + len(expected_pcm(voice, "We like", 0))
    finally:
        gated.gate.set()
        running.stop()


# ------------------------------------------------------------------------------------------ speakers


@pytest.fixture(scope="module")
def duo(tmp_path_factory, speech_utterances, make_tiny_config):
    """A tiny two-speaker voice (speakers "low" and "high"), from test_speakers.py's data."""
    from test_speakers import prepare_two_speakers, train_two_speakers, two_speaker_config

    from fmtts.api import TTS
    from fmtts.checkpoint import list_checkpoints

    root = tmp_path_factory.mktemp("duo")
    data = prepare_two_speakers(root, speech_utterances)
    train_two_speakers(two_speaker_config(make_tiny_config), data, root / "run", 4)
    ckpt = list_checkpoints(root / "run" / "checkpoints")[-1]
    return TTS.load(ckpt, backend="torch", device="cpu", vocoder="griffinlim")


def test_speakers_of_a_multi_speaker_voice_over_http_and_wyoming(voice, duo):
    """OpenAI ``voice`` takes VOICE:SPEAKER or a bare speaker of a loaded voice; the voice list and Wyoming's
    info name each voice's speakers; a Wyoming request's voice.speaker picks one; unknown ones are 400s
    and error events."""
    from wyoming.client import AsyncTcpClient
    from wyoming.error import Error
    from wyoming.info import Describe, Info
    from wyoming.tts import Synthesize, SynthesizeVoice

    running = Running(SpeechService({"tiny": voice, "duo": duo}, max_chars=MAX_CHARS), wyoming=True)
    try:
        voices = httpx.get(f"{running.url}/v1/audio/voices", timeout=TIMEOUT).json()["voices"]
        assert [v["id"] for v in voices] == ["tiny", "duo", "duo:low", "duo:high"]
        assert "speakers" not in voices[0] and voices[1]["speakers"] == ["low", "high"]
        assert (voices[3]["voice"], voices[3]["speaker"], voices[3]["default"]) == ("duo", "high", False)

        def ask(name):
            body = {"input": TEXT, "voice": name, "response_format": "pcm", "seed": 3}
            return httpx.post(f"{running.url}/v1/audio/speech", json=body, timeout=TIMEOUT)

        high = ask("duo:high").content
        assert high == expected_pcm(duo, TEXT, 3, speaker="high")
        assert ask("high").content == high and ask({"id": "duo:high"}).content == high
        low = ask("duo").content  # the first speaker unless told
        assert low == expected_pcm(duo, TEXT, 3, speaker="low") and low != high
        for name, words in (
            ("duo:nobody", "unknown speaker 'nobody' of voice 'duo'"),
            ("tiny:low", "unknown speaker 'low' of voice 'tiny'"),
            ("nobody", "unknown voice 'nobody'"),
        ):
            r = ask(name)
            error = r.json()["error"]
            assert r.status_code == 400 and words in error["message"] and error["param"] == "voice", name

        async def talk():
            client = AsyncTcpClient(
                "127.0.0.1", running.wyoming_port, connect_timeout=10, read_timeout=TIMEOUT
            )
            await client.connect()
            try:
                await client.write_event(Describe().event())
                info = Info.from_event((await _events_until(client, "info"))[-1])
                tiny, two = info.tts[0].voices
                assert tiny.speakers is None and [s.name for s in two.speakers] == ["low", "high"]
                request = Synthesize(text=TEXT, voice=SynthesizeVoice(name="duo", speaker="high"))
                await client.write_event(request.event())
                spoken = _pcm(await _events_until(client, "audio-stop"))
                assert len(spoken) == len(expected_pcm(duo, TEXT, 0, speaker="high"))
                request = Synthesize(text=TEXT, voice=SynthesizeVoice(name="duo", speaker="nobody"))
                await client.write_event(request.event())
                error = Error.from_event((await _events_until(client, "error"))[-1])
                assert "unknown speaker 'nobody'" in error.text
            finally:
                await client.disconnect()

        asyncio.run(asyncio.wait_for(talk(), TIMEOUT))
    finally:
        running.stop()
