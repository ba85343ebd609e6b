"""Monotonic alignment search (MAS) and helpers that turn durations into alignment paths.

MAS finds, for every utterance, the monotonic and complete path through the (text, frame) grid that
maximises the summed log-likelihood: every frame is assigned to exactly one token, every token gets at
least one frame, tokens are visited in order. The dynamic program runs in numba, in parallel over the
batch; the log-likelihood matrix is computed in torch (on the model's device) and only it crosses to
the host.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import torch

_NEG_INF = -1e9


@numba.njit(cache=True, nogil=True)
def _mas_one(value: np.ndarray, t_x: int, t_y: int, path: np.ndarray) -> None:
    """DP over value[:t_x, :t_y] (read only; padding is never read, so it needs no masking); writes 1.0
    along the best path into ``path`` (zeros on entry). Cumulative scores live in a scratch array of the
    utterance's own size, so no padded copy of the batch is made."""
    if t_x == 0 or t_y == 0:
        return
    cum = np.empty((t_x, t_y), dtype=np.float32)
    for y in range(t_y):
        lo = max(0, t_x + y - t_y)
        hi = min(t_x, y + 1)
        for x in range(lo, hi):
            if x == y:
                stay = _NEG_INF
            else:
                stay = cum[x, y - 1]
            if x == 0:
                move = 0.0 if y == 0 else _NEG_INF
            else:
                move = cum[x - 1, y - 1]
            cum[x, y] = value[x, y] + max(stay, move)
    index = t_x - 1
    for y in range(t_y - 1, -1, -1):
        path[index, y] = 1.0
        if index != 0 and (index == y or cum[index, y - 1] < cum[index - 1, y - 1]):
            index -= 1


@numba.njit(parallel=True, cache=True)
def _mas_batch(values: np.ndarray, t_xs: np.ndarray, t_ys: np.ndarray, paths: np.ndarray) -> None:
    for b in numba.prange(values.shape[0]):
        _mas_one(values[b], t_xs[b], t_ys[b], paths[b])


def maximum_path(log_p: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """MAS over ``log_p`` (B, T_text, T_mel) restricted to ``mask`` (B, T_text, T_mel).

    Returns a 0/1 float tensor of the same shape on the input's device. Requires T_mel ≥ T_text for
    every utterance (each token needs a frame); violations raise a ValueError. The mask is read as
    per-utterance lengths (its first column and row), as everywhere in the model.
    """
    device, dtype = log_p.device, log_p.dtype
    t_xs = mask[:, :, 0].sum(1).to(torch.int64)
    t_ys = mask[:, 0, :].sum(1).to(torch.int64)
    if bool((t_ys < t_xs).any()):
        bad = torch.nonzero(t_ys < t_xs).flatten().tolist()
        raise ValueError(f"MAS needs at least one frame per token; utterances {bad} have fewer frames")
    # A float32 CPU input is used in place (zero-copy): the DP only reads it.
    values = np.ascontiguousarray(log_p.detach().to(device="cpu", dtype=torch.float32).numpy())
    paths = torch.zeros(values.shape, dtype=torch.float32)
    # numba's OpenMP pool shares the OpenMP runtime with torch: starting it resets torch's intra-op thread
    # count (e.g. train.threads=1 silently became the core count), so restore it.
    n_threads = torch.get_num_threads()
    try:
        _mas_batch(values, t_xs.cpu().numpy(), t_ys.cpu().numpy(), paths.numpy())
    finally:
        if torch.get_num_threads() != n_threads:
            torch.set_num_threads(n_threads)
    return paths.to(device=device, dtype=dtype)


def gaussian_log_likelihood(mu: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """log N(y_t | mu_i, I) for every token i and frame t: (B, D, T_x), (B, D, T_y) → (B, T_x, T_y).

    Expanded as −½‖y‖² + μ·y − ½‖μ‖² − ½·D·log 2π so it is two reductions and one batched matmul
    instead of a (B, T_x, T_y, D) tensor.
    """
    with torch.autocast(mu.device.type, enabled=False):  # alignment scores in fp32 even under AMP
        return _gaussian_log_likelihood(mu.float(), y.float())


def _gaussian_log_likelihood(mu: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    d = mu.shape[1]
    const = -0.5 * math.log(2 * math.pi) * d
    y_sq = -0.5 * (y * y).sum(1).unsqueeze(1)  # (B, 1, T_y)
    mu_sq = -0.5 * (mu * mu).sum(1).unsqueeze(2)  # (B, T_x, 1)
    cross = torch.bmm(mu.transpose(1, 2), y)  # (B, T_x, T_y)
    return const + y_sq + cross + mu_sq


def durations_to_path(durations: torch.Tensor, t_y: int) -> torch.Tensor:
    """Integer durations (B, T_x) → 0/1 alignment path (B, T_x, t_y): token i covers its frames."""
    ends = torch.cumsum(durations, dim=1)  # (B, T_x)
    starts = ends - durations
    frames = torch.arange(t_y, device=durations.device).view(1, 1, -1)
    return ((frames >= starts.unsqueeze(-1)) & (frames < ends.unsqueeze(-1))).to(torch.float32)
