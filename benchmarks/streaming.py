#!/usr/bin/env python3
"""Streaming on this CPU: time to first audio and throughput, fmtts beside piper, in one run.

    python benchmarks/streaming.py [--long-chars 6000] [--clients 8] [--requests 16] [--threads 2]
                                   [--reps 5] [--vocoder NAME|PATH] [--vocoder-backend auto|torch|onnx]
                                   [--steps N]

1. Time to first audio for one sentence (median of ``--reps``, interleaved) and for a long text
   (``--long-chars`` of the demo prompts): ``tts.stream`` (the default voice, default options unless
   ``--vocoder`` says otherwise), HTTP (``fmtts serve``'s OpenAI endpoint in this process, one kept-alive
   client, ``response_format: pcm``, time to the first body bytes), and piper's first chunk.
2. The long text's RTF streamed (all chunks) against one sentence streamed and against the batch path
   (``tts.synthesize``), and the process's peak resident memory above its idle level while streaming
   the sentence and while streaming the long text (sampled every 10 ms); then the same for texts of
   ``--memory-fractions`` times the long text's length, to see whether memory stays flat with length.
3. Requests per minute with ``--clients`` concurrent HTTP clients, one sentence each.
Needs fmtts[serve,corpus] and httpx. Writes ``benchmarks/results/streaming.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from fmtts.vocoder import BACKENDS, DEFAULT_BACKEND

SENTENCE = "The quick brown fox jumps over the lazy dog, and then it runs far away into the woods."


def long_text(chars: int) -> str:
    from fmtts.corpus.build import PROMPTS_FILE, read_prompts

    out, n = [], 0
    for line in read_prompts(PROMPTS_FILE)[-2000:]:
        out.append(line)
        n += len(line) + 1
        if n >= chars:
            break
    return " ".join(out)


class PeakRSS:
    """Peak resident set size of this process while the ``with`` block runs (sampled every 10 ms)."""

    def __enter__(self) -> PeakRSS:
        self.peak = rss_bytes()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._done.wait(0.01):
            self.peak = max(self.peak, rss_bytes())

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()
        self.peak = max(self.peak, rss_bytes())


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


OPTIONS: dict = {}  # synthesis options for every fmtts call (--steps)


def first_audio_stream(tts, text: str) -> tuple[float, float, float]:
    """(seconds to the first chunk, seconds for all chunks, seconds of audio)."""
    t0 = time.perf_counter()
    first, audio = None, 0.0
    for chunk in tts.stream(text, seed=0, **OPTIONS):
        if first is None:
            first = time.perf_counter() - t0
        audio += len(chunk.audio) / chunk.sample_rate
    return first, time.perf_counter() - t0, audio


def stream_with_memory(tts, text: str, idle: int) -> dict:
    """One stream of ``text``: its timings and the process's peak memory above ``idle`` bytes."""
    with PeakRSS() as mem:
        first, total, audio = first_audio_stream(tts, text)
    return {
        "first_audio_s": first,
        "total_s": total,
        "audio_s": audio,
        "rtf": total / audio,
        "peak_rss_above_idle_mb": (mem.peak - idle) / 2**20,
    }


def first_audio_piper(voice, text: str) -> float:
    t0 = time.perf_counter()
    next(iter(voice.synthesize(text)))
    return time.perf_counter() - t0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--long-chars", type=int, default=6000)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--requests", type=int, default=16)
    ap.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--reps", type=int, default=5, help="repetitions of the one-sentence timings")
    ap.add_argument("--vocoder", default="auto", help="fmtts vocoder (default: the voice's own)")
    ap.add_argument("--steps", type=int, default=None, help="ODE steps (default: the API default)")
    ap.add_argument("--vocoder-backend", default=DEFAULT_BACKEND, choices=BACKENDS)
    ap.add_argument("--skip-batch", action="store_true", help="leave out the long text's batch-path run")
    ap.add_argument(
        "--memory-fractions",
        default="0.25,0.5,2",
        help="comma-separated multiples of --long-chars streamed for memory against length ('' for none)",
    )
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "streaming.json"))
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.steps is not None:
        OPTIONS["steps"] = args.steps

    import asyncio

    import httpx
    from piper import PiperVoice

    from fmtts import TTS
    from fmtts.corpus.build import joe_voice_paths
    from fmtts.server import ServerGroup, SpeechService

    tts = TTS.load(device="cpu", vocoder=args.vocoder, vocoder_backend=args.vocoder_backend)
    piper = PiperVoice.load(*joe_voice_paths())
    text = long_text(args.long_chars)
    first_audio_stream(tts, SENTENCE)  # warm-ups
    first_audio_piper(piper, SENTENCE)
    idle = rss_bytes()

    results: dict = {
        "long_text_chars": len(text),
        "threads": args.threads,
        "vocoder": tts.vocoder.name,
        "reps": args.reps,
        "options": OPTIONS or "default",
    }
    firsts, piper_firsts, totals = [], [], []
    with PeakRSS() as mem_sentence:
        for _ in range(args.reps):
            first, total, audio = first_audio_stream(tts, SENTENCE)
            firsts.append(first)
            totals.append(total)
            piper_firsts.append(first_audio_piper(piper, SENTENCE))
    results["stream_sentence"] = {
        "first_audio_s": statistics.median(firsts),
        "first_audio_runs": firsts,
        "total_s": statistics.median(totals),
        "audio_s": audio,
        "rtf": statistics.median(totals) / audio,
        "peak_rss_above_idle_mb": (mem_sentence.peak - idle) / 2**20,
    }
    results["piper_sentence_first_chunk_s"] = statistics.median(piper_firsts)
    results["piper_sentence_first_chunk_runs"] = piper_firsts
    results["stream_long"] = stream_with_memory(tts, text, idle)
    results["piper_long_first_chunk_s"] = first_audio_piper(piper, text)
    by_length = [{"chars": len(text), **results["stream_long"]}]
    for fraction in [float(f) for f in args.memory_fractions.split(",") if f.strip()]:
        other = long_text(int(fraction * args.long_chars))
        by_length.append({"chars": len(other), **stream_with_memory(tts, other, idle)})
    results["stream_memory_by_length"] = sorted(by_length, key=lambda r: r["chars"])
    if not args.skip_batch:
        t0 = time.perf_counter()
        res = tts.synthesize(text, seed=0, **OPTIONS)
        elapsed = time.perf_counter() - t0
        results["batch_long"] = {"total_s": elapsed, "audio_s": res.seconds, "rtf": elapsed / res.seconds}

    port = free_port()
    group = ServerGroup(SpeechService({"joe": tts}, max_chars=len(text) + 10, queue=64), port=port)
    thread = threading.Thread(target=asyncio.run, args=(group.serve(),), daemon=True)
    thread.start()
    while not group.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}/v1/audio/speech"

    client = httpx.Client(timeout=600)

    def http_first_byte(t: str) -> float:
        body = {"model": "fmtts", "input": t, "response_format": "pcm", "seed": 0, **OPTIONS}
        t0 = time.perf_counter()
        with client.stream("POST", url, json=body) as r:
            r.raise_for_status()
            for _ in r.iter_raw():
                return time.perf_counter() - t0
        raise RuntimeError("empty response")

    def http_whole(t: str) -> int:
        body = {"model": "fmtts", "input": t, "response_format": "wav", "seed": 0, **OPTIONS}
        r = httpx.post(url, json=body, timeout=600)
        r.raise_for_status()
        return len(r.content)

    try:
        http_first_byte(SENTENCE)  # warm-up
        runs = [http_first_byte(SENTENCE) for _ in range(args.reps)]
        results["http_sentence_first_byte_s"] = statistics.median(runs)
        results["http_sentence_first_byte_runs"] = runs
        results["http_long_first_byte_s"] = http_first_byte(text)
        t0 = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            sizes = list(pool.map(http_whole, [SENTENCE] * args.requests))
        elapsed = time.perf_counter() - t0
        assert all(s > 1000 for s in sizes)
        results["concurrent"] = {
            "clients": args.clients,
            "requests": args.requests,
            "seconds": elapsed,
            "requests_per_minute": 60 * args.requests / elapsed,
        }
    finally:
        client.close()
        group.stop()
        thread.join(timeout=30)

    for k, v in results.items():
        print(f"{k}: {v}")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), **results}, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
