"""Pack a vocoder run for a GPU machine, and unpack it there (numpy and the standard library only).

A lent GPU machine takes at most 64 MiB with the working tree and hands back files of at most 16 MB, so
neither the audio cache (hundreds of MB) nor a full training checkpoint (~100 MB with optimizer state)
travels. What does:

- a warm start: the run's generator and discriminators in fp16 (``fmtts export-vocoder
  --with-discriminators``), which ``train-vocoder --init-from`` continues from;
- a seeded random subset of the training clips (and the validation clips) that fits ``--audio-mb``,
  losslessly compressed (16-bit samples, first differences, high and low bytes apart, LZMA: ~0.6 of
  the raw size on speech);
- the recipe as JSON, with the distillation phase switched off (the teacher's weights are not there,
  and a warm start is past it).

Here:   python egs/demo/pack_vocoder_carry.py pack --cache VOCDATA --checkpoint RUN/checkpoints/step_N.pt \\
            --out gpu_carry/voc
There:  egs/demo/gpu_train_vocoder.sh gpu_carry/voc OUT MINUTES   (unpacks, trains, exports, splits)
"""

from __future__ import annotations

import argparse
import json
import lzma
import sys
from pathlib import Path

import numpy as np

AUDIO_FILE = "audio.i16.xz"
TRANSFER_LIMIT = 64 * 2**20  # what travels to a lent GPU machine, working tree included


def _tracked_bytes(root: Path) -> int | None:
    """Size of the git-tracked files of the checkout at ``root`` (None outside a git checkout)."""
    import subprocess

    try:
        names = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-z"], capture_output=True, check=True
        ).stdout.split(b"\0")
    except (OSError, subprocess.CalledProcessError):
        return None
    return sum((root / n.decode()).stat().st_size for n in names if n and (root / n.decode()).is_file())


def encode(samples: np.ndarray) -> bytes:
    """int16 samples → LZMA of their first differences (modulo 2^16), high bytes then low bytes."""
    delta = np.diff(samples.astype(np.int16), prepend=np.int16(0)).view(np.uint16)
    planes = np.concatenate([(delta >> 8).astype(np.uint8), (delta & 0xFF).astype(np.uint8)])
    return lzma.compress(planes.tobytes(), preset=6)


def decode(blob: bytes) -> np.ndarray:
    planes = np.frombuffer(lzma.decompress(blob), dtype=np.uint8)
    n = len(planes) // 2
    delta = (planes[:n].astype(np.uint16) << 8) | planes[n:].astype(np.uint16)
    return np.cumsum(delta.view(np.int16), dtype=np.int16)


def _pack_split(src: Path, dst: Path, ids: list[int] | None) -> int:
    """Clips ``ids`` (all when None) of the audio cache ``src`` → ``dst``; the compressed size."""
    meta = json.loads((src / "meta.json").read_text())
    audio = np.load(src / "audio.npy", mmap_mode="r")
    offsets = np.load(src / "offsets.npy")
    ids = list(range(len(meta["ids"]))) if ids is None else ids
    clips = [np.asarray(audio[offsets[i] : offsets[i + 1]]) for i in ids]
    new_offsets = np.zeros(len(clips) + 1, dtype=np.int64)
    new_offsets[1:] = np.cumsum([len(c) for c in clips])
    dst.mkdir(parents=True, exist_ok=True)
    blob = encode(np.concatenate(clips))
    (dst / AUDIO_FILE).write_bytes(blob)
    np.save(dst / "offsets.npy", new_offsets)
    sub = {**meta, "ids": [meta["ids"][i] for i in ids], "packed_from": str(src.resolve())}
    sub.pop("settings", None)
    sub.pop("skipped", None)
    (dst / "meta.json").write_text(json.dumps(sub, indent=1))
    return len(blob)


def pack(args: argparse.Namespace) -> None:
    from fmtts.training.vocoder_recipe import VocoderRecipe, load_vocoder_recipe
    from fmtts.vocoder import export_vocoder
    from fmtts.vocoder.istft_vocoder import load_vocoder_checkpoint

    cache, out = Path(args.cache), Path(args.out)
    ckpt = load_vocoder_checkpoint(args.checkpoint)
    if args.recipe:
        recipe = load_vocoder_recipe(args.recipe)
    elif "recipe" in ckpt:
        recipe = VocoderRecipe.from_dict(ckpt["recipe"])
    else:
        sys.exit(f"{args.checkpoint} carries no recipe: name one with --recipe")
    t = recipe.train
    t.teacher, t.distill_steps, t.reconstruction_steps = None, 0, 0
    out.mkdir(parents=True, exist_ok=True)
    (out / "recipe.json").write_text(json.dumps(recipe.to_dict(), indent=1))
    export_vocoder(args.checkpoint, out / "warm.pt", dtype="fp16", discriminators=True)

    val = _pack_split(cache / "val", out / "data" / "val", None) if (cache / "val").is_dir() else 0
    lengths = np.diff(np.load(cache / "train" / "offsets.npy"))
    order = np.random.default_rng(args.seed).permutation(len(lengths))
    budget = args.audio_mb * 1e6 - val
    ratio = 0.62  # compressed / raw bytes of speech; corrected after a first pass if it overshoots
    while True:
        take = order[np.cumsum(2 * lengths[order]) * ratio <= budget]
        if len(take) == 0:
            sys.exit(
                f"--audio-mb {args.audio_mb:g} leaves no room for training clips "
                f"(the validation clips take {val / 1e6:.1f} MB): raise it"
            )
        size = _pack_split(cache / "train", out / "data" / "train", sorted(int(i) for i in take))
        if size <= budget:
            break
        ratio *= size / budget * 1.01
    seconds = lengths[take].sum() / json.loads((cache / "train" / "meta.json").read_text())["sample_rate"]
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    tree = _tracked_bytes(Path(__file__).resolve().parents[2])
    if tree is not None and tree + total > TRANSFER_LIMIT:
        print(
            f"warning: {total / 2**20:.1f} MiB packed + {tree / 2**20:.1f} MiB of tracked files exceed the "
            f"device tool's {TRANSFER_LIMIT / 2**20:.0f} MiB: lower --audio-mb",
            file=sys.stderr,
        )
    print(
        f"{out}: {len(take)} of {len(lengths)} training clips ({seconds / 60:.1f} min of audio), "
        f"{total / 1e6:.1f} MB in all (warm start {(out / 'warm.pt').stat().st_size / 1e6:.1f} MB)"
    )


def unpack(args: argparse.Namespace) -> None:
    """Packed folder → audio caches (``audio.npy``, ``offsets.npy``, ``meta.json`` per split)."""
    src, dst = Path(args.packed) / "data", Path(args.out)
    for split in sorted(p.name for p in src.iterdir() if p.is_dir()):
        (dst / split).mkdir(parents=True, exist_ok=True)
        audio = decode((src / split / AUDIO_FILE).read_bytes())
        offsets = np.load(src / split / "offsets.npy")
        if int(offsets[-1]) != len(audio):
            sys.exit(f"{src / split}: the audio does not match its offsets (damaged transfer?)")
        np.save(dst / split / "audio.npy", audio)
        np.save(dst / split / "offsets.npy", offsets)
        (dst / split / "meta.json").write_text((src / split / "meta.json").read_text())  # written last
        print(f"{dst / split}: {len(offsets) - 1} clips")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("pack", help="audio subset + warm start + recipe, here")
    p.add_argument("--cache", required=True, help="the run's audio cache (train/ and val/ inside)")
    p.add_argument("--checkpoint", required=True, help="a vocoder training checkpoint of the run")
    p.add_argument("--recipe", default=None, help="recipe to train with (default: the checkpoint's)")
    p.add_argument("--out", required=True)
    p.add_argument("--audio-mb", type=float, default=24.0, help="compressed audio budget (train + val)")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=pack)
    p = sub.add_parser("unpack", help="packed folder → audio caches, on the GPU machine")
    p.add_argument("packed")
    p.add_argument("out")
    p.set_defaults(func=unpack)
    args = ap.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
