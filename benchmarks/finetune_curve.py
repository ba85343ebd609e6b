"""A new voice from minutes of audio: quality against minutes of data and CPU minutes of fine-tuning.

From one LJSpeech-format corpus of the new speaker (e.g. ``fmtts corpus --source heart``), a seeded
split holds out ``--test`` clips; nested training subsets of ``--minutes`` (2, 5, 10, 30 by default)
come from the rest. Each subset fine-tunes ``--voice`` with ``fmtts finetune`` (the voice's model,
text frontend and mel settings; the fine-tuning recipe's schedule), and the checkpoints at ``--steps``
are scored on the held-out clips by ``fmtts evaluate``: Whisper WER, DNSMOS, HNR and Resemblyzer speaker
similarity to the held-out recordings, with the vocoder named by ``--vocoder``. CPU minutes are the
training processes' own user+system time. Needs fmtts[train,eval].

    python benchmarks/finetune_curve.py --corpus ~/heart --work ~/ft --minutes 2,5,10,30 --steps 300,600,900
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import cpu_model  # noqa: E402


def read_clips(corpus: Path) -> list[tuple[str, str, float]]:
    """(metadata line, clip id, seconds) for every clip of an LJSpeech-format folder."""
    clips = []
    for line in (corpus / "metadata.csv").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        clip_id = line.split("|", 1)[0]
        clips.append((line, clip_id, sf.info(str(corpus / "wavs" / f"{clip_id}.wav")).duration))
    return clips


def write_subset(corpus: Path, clips: list[tuple[str, str, float]], out: Path) -> None:
    """An LJSpeech-format folder of ``clips`` whose wavs link to the corpus's."""
    (out / "wavs").mkdir(parents=True, exist_ok=True)
    (out / "metadata.csv").write_text("".join(line + "\n" for line, _, _ in clips), encoding="utf-8")
    for _, clip_id, _ in clips:
        link = out / "wavs" / f"{clip_id}.wav"
        if not link.exists():
            link.symlink_to((corpus / "wavs" / f"{clip_id}.wav").resolve())


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd: list[str], log: Path) -> None:
    print("+", " ".join(cmd), file=sys.stderr)
    with log.open("a") as f:
        subprocess.run(cmd, check=True, stdout=f, stderr=subprocess.STDOUT)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", required=True, help="LJSpeech-format folder of the new speaker")
    ap.add_argument("--voice", default="joe", help="the voice to start from (name or file)")
    ap.add_argument("--work", required=True, help="scratch folder for subsets, runs and reports")
    ap.add_argument("--minutes", default="2,5,10,30", help="nested training subsets, minutes of audio")
    ap.add_argument(
        "--steps", default="300,600,900", help="fine-tuning steps to score (the last ends the schedule)"
    )
    ap.add_argument("--test", type=int, default=30, help="held-out clips scored")
    ap.add_argument("--vocoder", default="universal", help="vocoder for the scored audio")
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="passed to finetune")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "finetune_curve.json"))
    args = ap.parse_args()

    corpus, work = Path(args.corpus).expanduser(), Path(args.work).expanduser()
    work.mkdir(parents=True, exist_ok=True)
    clips = read_clips(corpus)
    random.Random(args.seed).shuffle(clips)
    test, pool = clips[: args.test], clips[args.test :]
    write_subset(corpus, test, work / "test")
    steps = sorted(int(s) for s in args.steps.split(","))
    fmtts = [sys.executable, "-m", "fmtts.cli"]
    results = []
    for minutes in [float(m) for m in args.minutes.split(",")]:
        subset, total = [], 0.0
        for clip in pool:
            if total >= minutes * 60:
                break
            subset.append(clip)
            total += clip[2]
        if total < minutes * 60:
            print(
                f"{minutes} min: the corpus has only {total / 60:.1f} min beside the test clips",
                file=sys.stderr,
            )
            continue
        tag = f"{minutes:g}min"
        point = work / tag / "point.json"
        if point.is_file():  # measured by an earlier invocation: the curve resumes
            results.append(json.loads(point.read_text()))
            continue
        write_subset(corpus, subset, work / tag / "corpus")
        run_dir = work / tag / "run"
        log = work / tag / "log.txt"
        shutil.rmtree(run_dir, ignore_errors=True)  # an interrupted point starts again: its CPU time is whole
        every = math.gcd(*steps)
        cpu0, wall0 = children_cpu_seconds(), time.perf_counter()
        run(
            [
                *fmtts, "finetune", "--voice", args.voice, "--data", str(work / tag / "corpus"),
                "--out", str(run_dir), "--train-steps", str(steps[-1]), "--no-progress",
                "--set", f"train.checkpoint_every={every}",
                "--set", f"train.keep_checkpoints={steps[-1] // every}",
                *[a for s in args.set for a in ("--set", s)],
            ],
            log,
        )  # fmt: skip
        cpu, wall = children_cpu_seconds() - cpu0, time.perf_counter() - wall0
        ckpts = [run_dir / "checkpoints" / f"step_{s:08d}.pt" for s in steps]
        missing = [str(c) for c in ckpts if not c.exists()]
        if missing:
            raise SystemExit(f"the run left no checkpoints {missing}; see {log}")
        report = work / tag / "eval"
        run(
            [
                *fmtts, "evaluate", "--checkpoint", ",".join(map(str, ckpts)), "--data", str(work / "test"),
                "--out", str(report), "--vocoder", args.vocoder, "--no-l1",
            ],
            log,
        )  # fmt: skip
        rows = [  # the summaries; each utterance's scores stay in the report folder
            {k: v for k, v in row.items() if not isinstance(v, list)}
            for row in json.loads((report / "results.json").read_text())["rows"]
        ]
        results.append(
            result := {
                "minutes": minutes,
                "clips": len(subset),
                "audio_minutes": round(total / 60, 2),
                "train_cpu_minutes": round(cpu / 60, 1),
                "train_wall_minutes": round(wall / 60, 1),
                "cpu_minutes_per_step": round(cpu / 60 / steps[-1], 4),
                "rows": rows,
            }
        )
        point.write_text(json.dumps(result, indent=1))
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(_document(args, results), indent=1))
    print(json.dumps(_document(args, results), indent=1)[:4000])


def _document(args: argparse.Namespace, results: list[dict]) -> dict:
    return {
        "date": datetime.date.today().isoformat(),
        "machine": cpu_model(),
        "command": " ".join(sys.argv),
        "voice": args.voice,
        "vocoder": args.vocoder,
        "results": results,
    }


if __name__ == "__main__":
    main()
