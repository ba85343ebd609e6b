#!/usr/bin/env python3
"""fmtts vs Matcha-TTS 0.0.7.2, side by side on this machine: synthesis, training step, MAS, memory.

    python benchmarks/vs_matcha.py [--size ljspeech|cpu] [--reps 5] [--threads 2] [--out FILE]

Sets up the peer's own venv if missing (``../shared/peers/matcha/setup_venv.sh``; override with
``--matcha-venv`` / ``--peer-dir``). Both models are built with random weights at LJSpeech size (fmtts
``recipes/ljspeech.yaml`` vs Matcha's own configs) or, with ``--size cpu``, at the brief's CPU size
(``recipes/cpu.yaml`` vs Matcha with decoder channels [128, 128] and 4 encoder layers, training batch 16).
Every measurement alternates A/B/A/B between two persistent worker processes after a warm-up, and the
table reports medians and Matcha/fmtts ratios (> 1 means fmtts is faster or smaller).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from fmtts.devices import cpu_has_native_bf16

ROOT = Path(__file__).resolve().parents[1]
WORKER = Path(__file__).with_name("_worker.py")


class Worker:
    """One persistent ``_worker.py`` process. ``root``: the fmtts checkout to import (and whose worker
    script to run, so each checkout is timed with its own trainer pieces); default this one."""

    def __init__(
        self, python: str, system: str, arg: str, threads: int, size: str = "ljspeech", root: Path = ROOT
    ):
        env = dict(
            os.environ, PYTHONPATH=str(root) if system == "fmtts" else "", OMP_NUM_THREADS=str(threads)
        )
        own = root / "benchmarks" / WORKER.name
        self.proc = subprocess.Popen(
            [python, str(own if own.is_file() else WORKER), system, arg, str(threads), size],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=str(ROOT),
        )
        self.hello = self._read()
        self.system = system

    def _read(self) -> dict:
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"benchmark worker {self.proc.args} died (see its stderr above)")
        return json.loads(line)

    def ask(self, **req) -> dict:
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        try:
            self.proc.stdin.write('{"task": "quit"}\n')
            self.proc.stdin.flush()
        except BrokenPipeError:
            pass
        self.proc.wait(timeout=60)


def ensure_peer(venv: Path, peer_dir: Path) -> str:
    py = venv / "bin" / "python"
    if py.is_file():
        ok = subprocess.run([str(py), "-c", "import matcha.models.matcha_tts"], capture_output=True)
        if ok.returncode == 0:
            return str(py)
    script = peer_dir / "setup_venv.sh"
    if not script.is_file():
        raise SystemExit(f"peer setup script not found: {script} (pass --peer-dir)")
    print(f"setting up the Matcha-TTS venv in {venv} (one time, a few minutes) ...", flush=True)
    subprocess.run(["bash", str(script), str(venv)], check=True)
    return str(py)


def ab(
    a: Worker, b: Worker, req: dict, reps: int, warmup: int
) -> tuple[list[float], list[float], dict, dict]:
    ra, rb = {}, {}
    for _ in range(warmup):
        a.ask(**req)
        b.ask(**req)
    ta, tb = [], []
    for i in range(reps):
        first, second = (a, b) if i % 2 == 0 else (b, a)  # alternate who goes first
        r1 = first.ask(**req)
        r2 = second.ask(**req)
        ra, rb = (r1, r2) if first is a else (r2, r1)
        ta.append(ra["seconds"])
        tb.append(rb["seconds"])
    return ta, tb, ra, rb


def peak_rss(
    python_a: str, python_b: str, arg_a: str, arg_b: str, threads: int, req: dict, size: str
) -> tuple[float, float]:
    out = []
    for py, system, arg in ((python_a, "fmtts", arg_a), (python_b, "matcha", arg_b)):
        w = Worker(py, system, arg, threads, size)
        r = w.ask(**req)
        r = w.ask(**req)
        out.append(r["max_rss_mb"])
        w.close()
    return out[0], out[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument(
        "--size",
        choices=["ljspeech", "cpu"],
        default="ljspeech",
        help="ljspeech: fmtts recipes/ljspeech.yaml vs Matcha's LJSpeech configs (18.2 M), training batch 8; "
        "cpu: recipes/cpu.yaml vs the brief's CPU peer (Matcha decoder [128, 128], 4 encoder layers, "
        "8.2 M), training batch 16",
    )
    ap.add_argument("--config", default=None, help="fmtts recipe to compare (default: the --size recipe)")
    ap.add_argument(
        "--bf16",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="also time both under bf16 autocast (default: only on CPUs with native bf16; emulated bf16 "
        "is ~10x slower and would take most of the run)",
    )
    ap.add_argument("--peer-dir", default=str(ROOT.parent / "shared" / "peers" / "matcha"))
    ap.add_argument("--matcha-venv", default=str(ROOT / ".peers" / "matcha-venv"))
    ap.add_argument("--out", default=None, help="JSON path (default benchmarks/results/vs_matcha[_cpu].json)")
    args = ap.parse_args()
    args.config = args.config or args.size
    if args.bf16 is None:
        args.bf16 = bool(cpu_has_native_bf16())
        if not args.bf16:
            print("no native bf16 on this CPU: bf16 rows left out (--bf16 to time them anyway)")
    suffix = "" if args.size == "ljspeech" else f"_{args.size}"
    args.out = args.out or str(ROOT / "benchmarks" / "results" / f"vs_matcha{suffix}.json")
    train_batch = 8 if args.size == "ljspeech" else 16

    peer_dir = Path(args.peer_dir)
    matcha_py = ensure_peer(Path(args.matcha_venv), peer_dir)
    configs = str(peer_dir / "configs")
    started = time.time()
    a = Worker(sys.executable, "fmtts", args.config, args.threads)
    b = Worker(matcha_py, "matcha", configs, args.threads, args.size)
    pa, pb = a.hello["params"], b.hello["params"]
    print(
        f"parameters: fmtts {pa / 1e6:.2f} M, Matcha {pb / 1e6:.2f} M ({100 * (pa / pb - 1):+.1f} %)",
        flush=True,
    )

    tasks = [
        ("synthesis, batch 1, 100 tokens → 500 frames, 10 Euler steps", {"task": "synth", "batch": 1}),
        ("synthesis, batch 8, 100 tokens → 500 frames, 10 Euler steps", {"task": "synth", "batch": 8}),
        (
            f"training step, batch {train_batch} × ≤400 frames",
            {"task": "train", "out_size": None, "batch": train_batch},
        ),
        (
            f"training step, batch {train_batch}, out_size 172",
            {"task": "train", "out_size": 172, "batch": train_batch},
        ),
        ("MAS 16 × 150 × 800 (mean of 20 calls per run)", {"task": "mas", "repeat": 20}),
    ]
    if args.bf16:
        tasks[2:2] = [
            (
                f"synthesis, batch {b}, both under bf16 autocast",
                {"task": "synth", "batch": b, "precision": "bf16"},
            )
            for b in (1, 8)
        ]
    rows = []
    for name, req in tasks:
        ta, tb, ra, rb = ab(a, b, req, args.reps, args.warmup)
        if req["task"] == "synth" and ra["frames"] != rb["frames"]:
            raise SystemExit(f"frame counts differ: fmtts {ra['frames']} vs Matcha {rb['frames']}")
        ma, mb = statistics.median(ta), statistics.median(tb)
        rows.append(
            {
                "task": name,
                "fmtts_s": ma,
                "matcha_s": mb,
                "speedup": mb / ma,
                "fmtts_runs": ta,
                "matcha_runs": tb,
                **({"frames": ra["frames"]} if "frames" in ra else {}),
            }
        )
        print(f"{name}: fmtts {ma * 1e3:.1f} ms, Matcha {mb * 1e3:.1f} ms → {mb / ma:.2f}×", flush=True)
    a.close()
    b.close()

    mem = {}
    for label, req in (
        ("synthesis batch 8", {"task": "synth", "batch": 8}),
        (f"training step batch {train_batch}", {"task": "train", "out_size": None, "batch": train_batch}),
    ):
        fa, fb = peak_rss(sys.executable, matcha_py, args.config, configs, args.threads, req, args.size)
        mem[label] = {"fmtts_mb": fa, "matcha_mb": fb, "ratio": fb / fa}
        print(f"peak RSS, {label}: fmtts {fa:.0f} MB, Matcha {fb:.0f} MB → {fb / fa:.2f}×", flush=True)

    result = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "threads": args.threads,
            "python": platform.python_version(),
        },
        "size": args.size,
        "fmtts_config": args.config,
        "params": {"fmtts": pa, "matcha": pb},
        "reps": args.reps,
        "rows": rows,
        "memory": mem,
        "wall_seconds": time.time() - started,
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print()
    print("| task | fmtts (ms) | Matcha (ms) | Matcha / fmtts |")
    print("|---|---:|---:|---:|")
    for r in rows:
        print(f"| {r['task']} | {r['fmtts_s'] * 1e3:.1f} | {r['matcha_s'] * 1e3:.1f} | {r['speedup']:.2f}× |")
    for label, m in mem.items():
        print(f"| peak RSS, {label} (MB) | {m['fmtts_mb']:.0f} | {m['matcha_mb']:.0f} | {m['ratio']:.2f}× |")
    print(f"\nparameters: fmtts {pa:,}, Matcha {pb:,}; {args.reps} runs each, median; wrote {out}")


if __name__ == "__main__":
    main()
