#!/usr/bin/env python3
"""fmtts against fmtts: two checkouts or two recipes, side by side (how a speed change is measured).

    python benchmarks/ab_fmtts.py --config NEW.yaml [--base-config OLD.yaml] [--base-root CHECKOUT]
        [--tasks synth1,synth8,train,train172] [--batch 8] [--reps 7]

A is ``--base-root`` (another checkout, e.g. ``git worktree add /tmp/base HEAD~1``; default this one)
with ``--base-config``; B is this checkout with ``--config``. Same protocol as ``vs_matcha.py``: two
persistent workers, a warm-up, then interleaved A/B/A/B; prints medians and A/B time ratios (> 1: B is
faster) and writes them as JSON with ``--out``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

from vs_matcha import ROOT, Worker, ab

TASKS = {
    "synth1": {"task": "synth", "batch": 1},
    "synth8": {"task": "synth", "batch": 8},
    "train": {"task": "train", "out_size": None},
    "train172": {"task": "train", "out_size": 172},
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="B's recipe (this checkout)")
    ap.add_argument("--base-config", default=None, help="A's recipe (default: --config)")
    ap.add_argument("--base-root", default=str(ROOT), help="A's fmtts checkout (default: this one)")
    ap.add_argument("--tasks", default="synth1,train172")
    ap.add_argument("--batch", type=int, default=8, help="training batch size")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default=None, help="write the rows as JSON here")
    args = ap.parse_args()
    unknown = set(args.tasks.split(",")) - set(TASKS)
    if unknown:
        ap.error(f"unknown tasks {sorted(unknown)}; choose from {sorted(TASKS)}")
    base_config = args.base_config or args.config
    a = Worker(sys.executable, "fmtts", base_config, args.threads, root=Path(args.base_root))
    b = Worker(sys.executable, "fmtts", args.config, args.threads)
    print(f"parameters: A {a.hello['params']:,}, B {b.hello['params']:,}", flush=True)
    rows = []
    for name in args.tasks.split(","):
        req = dict(TASKS[name])
        if req["task"] == "train":
            req["batch"] = args.batch
        ta, tb, _, _ = ab(a, b, req, args.reps, args.warmup)
        ma, mb = statistics.median(ta), statistics.median(tb)
        rows.append({"task": name, "a_s": ma, "b_s": mb, "a_over_b": ma / mb, "a_runs": ta, "b_runs": tb})
        print(f"{name:9s} A {ma * 1e3:8.1f} ms  B {mb * 1e3:8.1f} ms  A/B {ma / mb:.3f}", flush=True)
    a.close()
    b.close()
    if args.out:
        Path(args.out).write_text(json.dumps({"args": vars(args), "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
