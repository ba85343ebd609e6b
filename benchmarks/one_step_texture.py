#!/usr/bin/env python3
"""Can a discriminator tell a few-step sample from the teacher's 4-step one? (Is there texture to win back?)

    python benchmarks/one_step_texture.py --teacher TEACHER.pt --student joe [--n 96] [--iters 800]

For each candidate (the student at 1 and 2 steps, the teacher itself at 1 and 2 Euler steps) a fresh
patch discriminator over normalised mels (2-D convolutions, 64 frames × 80 bands) learns, least squares,
to tell the candidate's samples from the teacher's 4-step samples drawn from the same noise, on unseen
sentences. Its loss stays at 0.5 where it cannot tell them apart; the mean over the last 100 iterations is
reported. An adversarial objective on the few-step output only has something to teach where this falls.
Needs the training extra (torch).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import cpu_model  # noqa: E402
from _sentences import unseen_sentences  # noqa: E402

from fmtts.api import resolve_voice  # noqa: E402
from fmtts.data.padding import pad_tokens  # noqa: E402
from fmtts.sampling import SamplerConfig  # noqa: E402
from fmtts.text import TextProcessor  # noqa: E402
from fmtts.torch_backend import load_model  # noqa: E402
from fmtts.training.distill import (  # noqa: E402
    encode_sentences,
    shortcut_sample,
    teacher_trajectory,
)

CROP = 64  # frames per window (~0.75 s)


def discriminator() -> nn.Module:
    convs, c_in = [], 1
    for i, c_out in enumerate((32, 64, 128)):
        stride = 1 if i == 0 else 2
        convs += [nn.Conv2d(c_in, c_out, (3, 9), stride=stride, padding=(1, 4)), nn.LeakyReLU(0.2)]
        c_in = c_out
    return nn.Sequential(*convs, nn.Conv2d(c_in, 1, 3, padding=1))


def windows(mels: list[torch.Tensor], refs: list[torch.Tensor], idx: list[int], rng: random.Random):
    """The same random CROP-frame window of each candidate sample and its reference."""
    fake, real = [], []
    for i in idx:
        start = rng.randrange(mels[i].shape[1] - CROP + 1)
        fake.append(mels[i][:, start : start + CROP])
        real.append(refs[i][:, start : start + CROP])
    return torch.stack(fake).unsqueeze(1), torch.stack(real).unsqueeze(1)


def probe(
    fakes: list[torch.Tensor], refs: list[torch.Tensor], iters: int, lr: float, seed: int
) -> list[float]:
    """The loss of a fresh discriminator, iteration by iteration, learning to tell ``fakes`` from ``refs``."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    disc = discriminator()
    opt = torch.optim.AdamW(disc.parameters(), lr=lr, betas=(0.5, 0.9))
    losses = []
    for _ in range(iters):
        fake, real = windows(fakes, refs, rng.sample(range(len(refs)), 8), rng)
        loss = ((disc(real) - 1) ** 2).mean() + (disc(fake) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    return losses


@torch.no_grad()
def samples(teacher, student, ids: list[list[int]], temperature: float, seed: int):
    """Teacher 4-step references and every candidate's samples (normalised mels, valid frames only)."""
    torch.manual_seed(seed)
    refs: list[torch.Tensor] = []
    names = ("student_1step", "student_2step", "teacher_1step", "teacher_2step")
    cands: dict[str, list[torch.Tensor]] = {k: [] for k in names}
    teacher_est, student_est = teacher.decoder.estimator, student.decoder.estimator
    for b in range(0, len(ids), 16):
        tokens, lengths = pad_tokens(ids[b : b + 16])
        mu, mask, _, spk = teacher.prior(tokens, lengths)
        x0 = torch.randn_like(mu) * temperature * mask
        refs_b = teacher_trajectory(teacher_est, x0, mask, mu, spk, 4)[0][-1]
        out = {}
        for n in (1, 2):
            out[f"student_{n}step"] = shortcut_sample(student_est, x0, mask, mu, spk, n)
            out[f"teacher_{n}step"] = teacher_trajectory(teacher_est, x0, mask, mu, spk, n)[0][-1]
        for i in range(mu.shape[0]):
            frames = int(mask[i].sum())
            if frames < CROP:
                continue
            refs.append(refs_b[i, :, :frames])
            for k in cands:
                cands[k].append(out[k][i, :, :frames])
    return refs, cands


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--teacher", required=True, help="the undistilled voice (checkpoint or .pt voice)")
    ap.add_argument("--student", default="joe", help="the distilled voice (name or file)")
    ap.add_argument("--n", type=int, default=96, help="unseen sentences")
    ap.add_argument("--iters", type=int, default=800)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    teacher, ckpt = load_model(args.teacher)
    student, _ = load_model(resolve_voice(args.student))
    teacher.eval()
    student.eval()
    ids = encode_sentences(unseen_sentences(args.n), TextProcessor.from_dict(ckpt["text"]), 400)
    refs, cands = samples(teacher, student, ids, SamplerConfig().temperature, seed=0)
    print(f"{len(refs)} samples of at least {CROP} frames", flush=True)
    rows = {}
    for name, fakes in cands.items():
        losses = probe(fakes, refs, args.iters, args.lr, seed=1)
        rows[name] = {"final_loss": sum(losses[-100:]) / 100, "curve": [round(x, 4) for x in losses[::50]]}
        final = rows[name]["final_loss"]
        print(f"{name:14s} discriminator loss over the last 100 iterations {final:.3f}", flush=True)
    if args.out:
        result = {"machine": cpu_model(), "args": vars(args), "samples": len(refs), "rows": rows}
        Path(args.out).write_text(json.dumps(result, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
