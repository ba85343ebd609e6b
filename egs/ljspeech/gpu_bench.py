"""Measure what the LJSpeech recipe costs on a GPU: training steps/s and memory of the LJSpeech-size model
(recipes/ljspeech.yaml), and GPU synthesis speed (real-time factor) at 1, 2 and 4 ODE steps.

Two halves, because the GPU machine has torch and numpy but no audio stack, no eSpeak and no PyYAML:

1. Here (full install), make a carry folder (config.json, and a packed subset of the prepared data):

       python egs/ljspeech/gpu_bench.py carry --out gpu_carry/lj --prepared exp/ljspeech/data --clips 1000

   ``--prepared`` is a folder made by `fmtts prepare` (stage 1 of egs/ljspeech/run.sh). A random subset
   keeps LJSpeech's length distribution, which is what a step's cost depends on; 1,000 clips pack to
   about 25 MB (7-bit mels, `fmtts pack`). Without ``--prepared`` the carry holds only the config, and
   the GPU side makes synthetic clips with LJSpeech-like lengths (see :func:`synthetic_cache`): right
   for speed and memory, meaningless for the loss.

2. On the GPU machine (egs/ljspeech/gpu_bench.sh wraps this):

       python egs/ljspeech/gpu_bench.py run --carry gpu_carry/lj --out OUT --steps 300

   trains ``--warmup`` + ``--steps`` steps with the recipe's batch size, precision and loader workers,
   then synthesizes validation sentences one at a time (batch 1, the latency case) with the durations
   MAS assigns to their recordings, so that every timing covers a known length of audio. The vocoder's
   share is timed with a HiFi-GAN V1 generator of random weights: same compute as the pretrained one,
   which the GPU machine need not have. Everything lands in OUT/gpu_bench.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

# LJSpeech-1.1: 13,100 clips of 1.1-10.1 s, 23.9 h (mean 6.57 s); about 27 tokens per second of audio
# with fmtts's frontend (IPA symbols with blanks interspersed).
LJ_SECONDS = (1.1, 10.1, 6.57)
TOKENS_PER_SECOND = 27.0


# ------------------------------------------------------------------------------------- carry (CPU side)


def make_carry(out: Path, config: str, sets: list[str], prepared: Path | None, clips: int, seed: int) -> None:
    from fmtts.config import load_config
    from fmtts.data.cache import CacheWriter, FeatureCache
    from fmtts.data.portable import pack_caches

    out.mkdir(parents=True, exist_ok=True)
    load_config(config, sets).save(out / "config.json")
    info: dict[str, Any] = {"config": str(config), "set": sets}
    if prepared is not None:
        subset = out / "subset_tmp"
        rng = np.random.default_rng(seed)
        for split, n in (("train", clips), ("val", max(8, clips // 50))):
            cache = FeatureCache(prepared / "cache" / split)
            chosen = np.sort(rng.choice(len(cache), size=min(n, len(cache)), replace=False))
            w = CacheWriter()
            for i in chosen:
                tokens, mel, durs = cache.get(int(i))
                w.add(cache.ids[i], cache.texts[i], tokens, mel, durs)
            meta = {k: v for k, v in cache.meta.items() if k not in ("ids", "texts")}
            w.write(subset / "cache" / split, meta)
        pack = pack_caches(subset, out / "subset.fmpack")
        import shutil

        shutil.rmtree(subset)
        info.update(data=str(prepared), clips=clips, seed=seed, pack_mb=round(pack.stat().st_size / 1e6, 1))
        print(f"wrote {pack} ({pack.stat().st_size / 1e6:.1f} MB) and {out / 'config.json'}")
    else:
        info.update(synthetic=True)
        print(f"wrote {out / 'config.json'}: the GPU side will make synthetic LJSpeech-length clips")
    (out / "carry.json").write_text(json.dumps(info, indent=2))


# ---------------------------------------------------------------------------------------- run (GPU side)


def synthetic_cache(folder: Path, clips: int, seed: int, n_mels: int = 80) -> Path:
    """Clips with LJSpeech-like lengths (a beta-shaped spread of durations over 1.1-10.1 s around a mean of
    6.6 s, tokens proportional to duration) and smooth random mels: the cost of a training step depends on
    these lengths, not on the content. Writes ``folder/cache/{train,val}`` with numpy only."""
    from fmtts.audio import MelConfig
    from fmtts.data.cache import CacheWriter
    from fmtts.text.symbols import SymbolTable

    mel_cfg = MelConfig()
    symbols = SymbolTable()
    lo, hi, mean = LJ_SECONDS
    frac = (mean - lo) / (hi - lo)  # beta(a, b) with mean a / (a + b) = frac
    a = 2.6
    b = a * (1 - frac) / frac
    rng = np.random.default_rng(seed)
    text = {
        "phonemizer": {"backend": "espeak-ng", "language": "en-us", "backend_version": "synthetic"},
        "symbols": symbols.to_dict(),
        "intersperse_blank": True,
        "normalize": True,
    }
    meta = {"mel_config": mel_cfg.to_dict(), "mel_stats": {"mean": -5.5, "std": 2.1}, "text": text}
    n_symbols = len(symbols)
    for split, n in (("train", clips), ("val", max(8, clips // 50))):
        w = CacheWriter()
        for i in range(n):
            seconds = lo + (hi - lo) * rng.beta(a, b)
            frames = int(seconds * mel_cfg.sample_rate / mel_cfg.hop_length)
            n_tokens = max(3, int(round(TOKENS_PER_SECOND * seconds * rng.uniform(0.85, 1.15))) | 1)
            tokens = rng.integers(1, n_symbols, size=n_tokens)
            tokens[::2] = symbols.blank_id  # interspersed blanks, as the frontend makes them
            walk = np.cumsum(rng.normal(0, 0.3, size=(n_mels, frames)), axis=1)
            mel = np.clip(-5.5 + walk - walk.mean(axis=1, keepdims=True), -11.5, 2.5)
            w.add(f"SYN{i:05d}", "synthetic", tokens, mel.astype(np.float32))
        w.write(folder / "cache" / split, meta)
    return folder


def gpu_info(device: str) -> dict[str, Any]:
    import torch

    info: dict[str, Any] = {"torch": torch.__version__, "python": platform.python_version(), "device": device}
    if torch.cuda.is_available() and device.startswith("cuda"):
        props = torch.cuda.get_device_properties(torch.device(device))
        info.update(
            gpu=props.name, gpu_memory_gib=round(props.total_memory / 2**30, 1), cuda=torch.version.cuda
        )
    info["cpu_count"] = os.cpu_count()
    return info


def _sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def bench_training(cfg, data: Path, work: Path, device: str, warmup: int, steps: int) -> tuple[dict, Any]:
    """Steps/s over ``steps`` steps after ``warmup`` (allocator, cuDNN autotuning and loader start-up
    excluded), timed at each optimizer step; peak memory over the whole run."""
    import torch

    from fmtts.training.trainer import Trainer

    trainer = Trainer(
        cfg,
        data,
        work,
        device=device,
        max_steps=warmup + steps,
        progress=False,
        tensorboard=False,
        vocoder=None,
    )
    stamps: list[float] = []
    step_lr = trainer.scheduler.step

    def timed_step(*args: Any, **kwargs: Any) -> None:
        step_lr(*args, **kwargs)
        stamps.append(time.perf_counter())  # loss.item() each step has synchronized the GPU already

    trainer.scheduler.step = timed_step  # type: ignore[method-assign]
    trainer.save = lambda *a, **k: None  # type: ignore[method-assign]  # no checkpoint writes in the timing
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    last = trainer.train()
    _sync(device)
    measured = stamps[warmup:]
    if len(measured) < 2:
        raise SystemExit(f"only {len(stamps)} steps ran: nothing to time")
    seconds = measured[-1] - measured[0]
    rate = (len(measured) - 1) / seconds
    t = cfg.train
    frames = trainer.train_cache.mel_lengths
    hop_s = trainer.meta["mel_config"]["hop_length"] / trainer.meta["mel_config"]["sample_rate"]
    result: dict[str, Any] = {
        "warmup_steps": warmup,
        "timed_steps": len(measured) - 1,
        "seconds": round(seconds, 2),
        "steps_per_s": round(rate, 3),
        "clips_per_s": round(rate * t.batch_size, 1),
        "audio_seconds_per_s": round(rate * t.batch_size * float(frames.mean()) * hop_s, 1),
        "batch_size": t.batch_size,
        "precision": t.precision,
        "num_workers": t.num_workers,
        "compile": t.compile,
        "train_clips": len(trainer.train_cache),
        "mean_clip_seconds": round(float(frames.mean()) * hop_s, 2),
        "last_losses": {k: round(float(v), 4) for k, v in last.items()},
        "parameters_m": round(sum(p.numel() for p in trainer.model.parameters()) / 1e6, 2),
    }
    if device.startswith("cuda"):
        result["peak_memory_allocated_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
        result["peak_memory_reserved_gib"] = round(torch.cuda.max_memory_reserved() / 2**30, 2)
    result["recipe_max_steps"] = t.max_steps
    result["hours_for_recipe_steps_one_gpu"] = round(t.max_steps / rate / 3600, 2)
    return result, trainer


def bench_synthesis(trainer, device: str, ode_steps: list[int], utterances: int) -> dict[str, Any]:
    """Real-time factor (compute seconds per second of audio, batch 1) of the acoustic model at each ODE
    step count, of a HiFi-GAN V1 generator, and of both together."""
    import torch

    from fmtts.sampling import SamplerConfig
    from fmtts.vocoder.hifigan import V1, HiFiGANGenerator

    model = trainer.model.eval()
    cache = trainer.val_cache or trainer.train_cache
    dev = torch.device(device)
    mel_cfg = trainer.meta["mel_config"]
    hop_s = mel_cfg["hop_length"] / mel_cfg["sample_rate"]
    items = []
    for i in range(min(utterances, len(cache))):
        tokens, mel, _ = cache.get(i)
        x = torch.from_numpy(tokens)[None].to(dev)
        x_len = torch.tensor([len(tokens)], device=dev)
        y = torch.from_numpy(mel)[None].to(dev)
        y_len = torch.tensor([mel.shape[1]], device=dev)
        durations = model.align(x, x_len, y, y_len)  # the recording's length, whatever the model predicts
        items.append((x, x_len, durations, mel.shape[1] * hop_s))
    audio_s = sum(it[3] for it in items)
    vocoder = HiFiGANGenerator(V1).to(dev).eval()

    def time_all(fn) -> float:
        """Seconds for ``fn(j)`` over every utterance j, after two untimed calls (kernels, allocator)."""
        for j in range(min(2, len(items))):
            fn(j)
        _sync(device)
        start = time.perf_counter()
        for j in range(len(items)):
            fn(j)
        _sync(device)
        return time.perf_counter() - start

    out: dict[str, Any] = {
        "utterances": len(items),
        "audio_seconds": round(audio_s, 1),
        "batch": 1,
        "acoustic": {},
    }
    mels = {}
    with torch.inference_mode():
        for n in ode_steps:
            sampler = SamplerConfig(steps=n)

            def acoustic(j: int, sampler: SamplerConfig = sampler):
                x, x_len, durations, _ = items[j]
                return model.synthesize(x, x_len, sampler, durations=durations)

            seconds = time_all(acoustic)
            out["acoustic"][str(n)] = {
                "rtf": round(seconds / audio_s, 5),
                "x_realtime": round(audio_s / seconds, 1),
            }
            mels[n] = [acoustic(j).mel for j in range(len(items))]
        vocoder_inputs = mels[ode_steps[0]]
        seconds = time_all(lambda j: vocoder(vocoder_inputs[j]))
        out["hifigan_v1"] = {"rtf": round(seconds / audio_s, 5), "weights": "random (same compute as V1)"}
        for n in ode_steps:
            total = out["acoustic"][str(n)]["rtf"] + out["hifigan_v1"]["rtf"]
            out["acoustic"][str(n)]["rtf_with_hifigan_v1"] = round(total, 5)
    return out


def run(args: argparse.Namespace) -> int:
    import torch

    from fmtts.config import load_config
    from fmtts.training.data import resolve_training_data

    started = time.perf_counter()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    carry = Path(args.carry)
    cfg = load_config(carry / "config.json", args.set)
    # no validation passes or checkpoints inside the timed window
    cfg.train.val_every = 0
    cfg.train.checkpoint_every = 10**9
    cfg.train.log_every = max(1, (args.warmup + args.steps) // 10)
    work = Path(args.work)
    if work.exists():
        import shutil

        shutil.rmtree(work)  # a warm machine keeps /tmp between calls; a run refuses an old run's folder
    pack = carry / "subset.fmpack"
    if pack.is_file():
        data = resolve_training_data(cfg, pack, work / "data")
        source = f"packed subset {pack}"
    else:
        data = synthetic_cache(work / "data", args.synthetic_clips, seed=0)
        source = f"synthetic, {args.synthetic_clips} clips with LJSpeech-like lengths"
    result: dict[str, Any] = {
        "what": "egs/ljspeech/gpu_bench.py: training speed and memory, GPU synthesis RTF (batch 1)",
        "data": source,
        "carry": json.loads((carry / "carry.json").read_text()) if (carry / "carry.json").is_file() else None,
        "env": gpu_info(args.device),
    }
    torch.manual_seed(0)
    train, trainer = bench_training(cfg, data, work / "run", args.device, args.warmup, args.steps)
    result["train"] = train
    steps4 = math.ceil(cfg.train.max_steps / 4)
    result["train"]["hours_four_gpus_scaled_schedule_if_steps_cost_the_same"] = round(
        steps4 / train["steps_per_s"] / 3600, 2
    )
    (out / "gpu_bench.json").write_text(json.dumps(result, indent=2))  # kept should synthesis fail
    result["synthesis"] = bench_synthesis(trainer, args.device, args.synth_steps, args.synth_utterances)
    trainer.close()
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    (out / "gpu_bench.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("carry", help="(CPU side) write config.json and a packed data subset to --out")
    p.add_argument("--out", required=True)
    p.add_argument("--config", default=str(REPO / "recipes" / "ljspeech.yaml"))
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument(
        "--prepared", help="a folder made by `fmtts prepare` (default: synthetic clips on the GPU)"
    )
    p.add_argument("--clips", type=int, default=1000, help="training clips in the subset")
    p.add_argument("--seed", type=int, default=0)
    p = sub.add_parser("run", help="(GPU side) train and synthesize, write OUT/gpu_bench.json")
    p.add_argument("--carry", required=True, help="folder written by the carry command")
    p.add_argument("--out", required=True)
    p.add_argument("--device", default="cuda")
    p.add_argument("--steps", type=int, default=300, help="timed training steps")
    p.add_argument("--warmup", type=int, default=30, help="training steps before the timing starts")
    p.add_argument("--synth-steps", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4])
    p.add_argument("--synth-utterances", type=int, default=20)
    p.add_argument("--synthetic-clips", type=int, default=1000, help="without a pack in the carry")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override the config")
    p.add_argument("--work", default="/tmp/fmtts_gpu_bench", help="scratch folder (removed first)")
    args = ap.parse_args(argv)
    if args.cmd == "carry":
        make_carry(
            Path(args.out),
            args.config,
            args.set,
            Path(args.prepared) if args.prepared else None,
            args.clips,
            args.seed,
        )
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
