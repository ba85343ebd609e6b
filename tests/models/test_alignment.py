"""Monotonic alignment search against exhaustive search, alignment paths from durations, the Gaussian
log-likelihood matrix, and MAS leaving torch's thread settings alone."""

from __future__ import annotations

import functools
import itertools
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

from fmtts.models.alignment import durations_to_path, gaussian_log_likelihood, maximum_path
from fmtts.models.masks import sequence_mask


def all_paths(t_x: int, t_y: int):
    """Every monotonic, complete alignment as per-frame token indices: choose the t_x - 1 frames (out of
    1..t_y-1) where the next token starts."""
    for starts in itertools.combinations(range(1, t_y), t_x - 1):
        bounds = (0, *starts, t_y)
        yield [x for x in range(t_x) for _ in range(bounds[x + 1] - bounds[x])]


def path_score(value: np.ndarray, tokens_per_frame: list[int]) -> float:
    return float(sum(float(value[x, y]) for y, x in enumerate(tokens_per_frame)))


def exhaustive_best(value: np.ndarray) -> tuple[float, float, list[int]]:
    """(best score, runner-up score, best path) by enumerating all C(t_y - 1, t_x - 1) paths."""
    scored = sorted(((path_score(value, p), p) for p in all_paths(*value.shape)), key=lambda s: -s[0])
    runner_up = scored[1][0] if len(scored) > 1 else -math.inf
    return scored[0][0], runner_up, scored[0][1]


def recursive_best(value: np.ndarray) -> float:
    """Best path score by recursion over "frames y.. are still to assign, the current token is x"."""
    t_x, t_y = value.shape

    @functools.cache
    def best_from(x: int, y: int) -> float:
        # frame y goes to token x; the remaining frames go to x (stay) or x + 1 (advance)
        here = float(value[x, y])
        if y == t_y - 1:
            return here if x == t_x - 1 else -math.inf
        if t_y - y < t_x - x:  # not enough frames left for the remaining tokens
            return -math.inf
        options = [best_from(x, y + 1)]
        if x + 1 < t_x:
            options.append(best_from(x + 1, y + 1))
        return here + max(options)

    return best_from(0, 0)


def frame_tokens(path: np.ndarray) -> list[int]:
    """(t_x, t_y) 0/1 path → token index per frame; asserts exactly one token per frame."""
    assert (path.sum(0) == 1).all(), "every frame must belong to exactly one token"
    return [int(i) for i in path.argmax(0)]


def assert_monotonic_complete(path: np.ndarray) -> None:
    tokens = frame_tokens(path)
    t_x = path.shape[0]
    assert tokens[0] == 0 and tokens[-1] == t_x - 1
    steps = np.diff(tokens)
    assert set(steps.tolist()) <= {0, 1}, f"token index must advance by 0 or 1 per frame: {tokens}"
    assert (path.sum(1) >= 1).all(), "every token needs at least one frame"


def neg_loglik(rng: np.random.Generator, *shape: int) -> np.ndarray:
    """Negative, log-likelihood-like scores: a padded (zero) cell would look better than any real one,
    so a mask that leaks shows up as a wrong path."""
    return (-np.abs(rng.normal(size=shape)) * 3.0 - 0.1).astype(np.float32)


@pytest.mark.parametrize("t_x,t_y", [(1, 1), (1, 6), (3, 3), (2, 7), (4, 9), (5, 12), (6, 10), (3, 14)])
def test_maximum_path_matches_exhaustive_search(t_x: int, t_y: int) -> None:
    rng = np.random.default_rng(t_x * 100 + t_y)
    for trial in range(3):
        value = neg_loglik(rng, t_x, t_y)
        path = maximum_path(torch.from_numpy(value)[None], torch.ones(1, t_x, t_y))[0].numpy()
        assert path.shape == (t_x, t_y) and set(np.unique(path).tolist()) <= {0.0, 1.0}
        assert_monotonic_complete(path)
        best, runner_up, best_path = exhaustive_best(value)
        got = path_score(value, frame_tokens(path))
        assert got == pytest.approx(best, abs=1e-4), f"trial {trial}: MAS path scores {got}, optimum {best}"
        if best - runner_up > 1e-3:  # unique optimum (float32 ties aside): the very same path
            assert frame_tokens(path) == best_path


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_maximum_path_batch_with_padding_matches_per_utterance_optimum(dtype: torch.dtype) -> None:
    """Padding never wins, every utterance gets its own optimum, and the scores are only read (a float32
    CPU input is shared with the DP, not copied)."""
    rng = np.random.default_rng(7)
    sizes = [(5, 17), (3, 4), (8, 20), (1, 9), (6, 6)]
    b, max_x, max_y = len(sizes), max(s[0] for s in sizes), max(s[1] for s in sizes)
    log_p = torch.from_numpy(neg_loglik(rng, b, max_x, max_y))
    log_p += 50.0 * (torch.rand(b, max_x, max_y) > 0.5)  # tempting padding: would win if not masked
    mask = torch.zeros(b, max_x, max_y)
    for i, (tx, ty) in enumerate(sizes):
        mask[i, :tx, :ty] = 1
        log_p[i, :tx, :ty] = torch.from_numpy(neg_loglik(rng, tx, ty))
    log_p = log_p.to(dtype)
    before = log_p.clone()
    paths = maximum_path(log_p, mask)
    assert torch.equal(log_p, before)
    assert paths.shape == log_p.shape and paths.dtype == log_p.dtype
    assert float((paths * (1 - mask)).abs().sum()) == 0.0, "path entries outside the mask"
    for i, (tx, ty) in enumerate(sizes):
        value = log_p[i, :tx, :ty].double().numpy()
        path = paths[i, :tx, :ty].numpy()
        assert_monotonic_complete(path)
        got = path_score(value, frame_tokens(path))
        assert got == pytest.approx(recursive_best(value), abs=1e-4)
        if tx * ty <= 100:
            assert got == pytest.approx(exhaustive_best(value)[0], abs=1e-4)


def test_recursive_reference_agrees_with_enumeration() -> None:
    """The two references are independent; check them against each other so neither is trusted blindly."""
    rng = np.random.default_rng(3)
    for t_x, t_y in [(2, 5), (4, 8), (5, 9)]:
        value = neg_loglik(rng, t_x, t_y)
        assert recursive_best(value) == pytest.approx(exhaustive_best(value)[0], abs=1e-9)
    assert len(list(all_paths(4, 9))) == math.comb(8, 3)


def test_maximum_path_larger_random_cases_against_recursion() -> None:
    rng = np.random.default_rng(11)
    sizes = [(12, 40), (20, 21), (7, 60)]
    b, max_x, max_y = len(sizes), 20, 60
    log_p = torch.zeros(b, max_x, max_y)
    mask = torch.zeros(b, max_x, max_y)
    for i, (tx, ty) in enumerate(sizes):
        # a noisy diagonal, like a real likelihood matrix
        diag = -np.abs(np.arange(tx)[:, None] - np.arange(ty)[None, :] * tx / ty)
        log_p[i, :tx, :ty] = torch.from_numpy((diag + rng.normal(size=(tx, ty))).astype(np.float32))
        mask[i, :tx, :ty] = 1
    paths = maximum_path(log_p, mask)
    for i, (tx, ty) in enumerate(sizes):
        value = log_p[i, :tx, :ty].double().numpy()
        path = paths[i, :tx, :ty].numpy()
        assert_monotonic_complete(path)
        assert path_score(value, frame_tokens(path)) == pytest.approx(recursive_best(value), abs=1e-3)


def test_maximum_path_rejects_fewer_frames_than_tokens() -> None:
    mask = torch.zeros(2, 5, 8)
    mask[0, :5, :8] = 1
    mask[1, :5, :4] = 1
    with pytest.raises(ValueError, match=r"utterances \[1\]"):
        maximum_path(torch.randn(2, 5, 8), mask)


def test_maximum_path_keeps_torch_thread_count() -> None:
    """Starting numba's OpenMP pool used to reset torch's intra-op threads (train.threads=1 silently became
    the core count: on a busy 2-core machine the training steps after MAS ran several times slower). Run
    in a fresh process, so numba's pool starts inside the call."""
    code = textwrap.dedent(
        """
        import torch
        torch.set_num_threads(1)
        torch.nn.functional.conv1d(torch.randn(1, 4, 16), torch.randn(4, 4, 3))
        from fmtts.models.alignment import maximum_path
        maximum_path(torch.randn(3, 5, 9), torch.ones(3, 5, 9))
        print("threads", torch.get_num_threads())
        """
    )
    env = dict(os.environ, NUMBA_NUM_THREADS="2", OMP_NUM_THREADS="2")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert "threads 1" in res.stdout, res.stdout


def reference_path(durations: torch.Tensor, t_y: int) -> torch.Tensor:
    b, t_x = durations.shape
    out = torch.zeros(b, t_x, t_y)
    for i in range(b):
        frame = 0
        for x in range(t_x):
            for _ in range(int(durations[i, x])):
                if frame < t_y:
                    out[i, x, frame] = 1
                frame += 1
    return out


def test_durations_to_path() -> None:
    durations = torch.tensor([[2, 0, 3, 1], [1, 4, 0, 0], [0, 0, 0, 5]])
    for t_y in (6, 9):
        path = durations_to_path(durations, t_y)
        assert path.shape == (3, 4, t_y) and path.dtype == torch.float32
        assert torch.equal(path, reference_path(durations, t_y))
    path = durations_to_path(durations, 9)
    assert torch.equal(path.sum(2), durations.float()), "token i covers exactly durations[i] frames"
    assert torch.equal(path.sum((1, 2)), durations.sum(1).float())
    # a MAS path converted to durations and back is the same path
    mas = maximum_path(torch.randn(2, 4, 11), torch.ones(2, 4, 11))
    assert torch.equal(durations_to_path(mas.sum(2).long(), 11), mas)


def test_gaussian_log_likelihood_matches_direct_computation() -> None:
    torch.manual_seed(0)
    b, d, t_x, t_y = 2, 7, 5, 9
    mu = torch.randn(b, d, t_x, dtype=torch.float64) * 2
    y = torch.randn(b, d, t_y, dtype=torch.float64) * 2 + 0.5
    diff = y.transpose(1, 2)[:, None, :, :] - mu.transpose(1, 2)[:, :, None, :]  # (B, Tx, Ty, D)
    direct = -0.5 * (diff**2).sum(-1) - 0.5 * d * math.log(2 * math.pi)
    got = gaussian_log_likelihood(mu, y)
    assert got.shape == (b, t_x, t_y)
    torch.testing.assert_close(got.double(), direct, rtol=1e-5, atol=1e-4)
    normal = torch.distributions.Normal(mu[0, :, 2], 1.0)
    assert float(got[0, 2, 3]) == pytest.approx(float(normal.log_prob(y[0, :, 3]).sum()), rel=1e-5)


def test_sequence_mask() -> None:
    mask = sequence_mask(torch.tensor([3, 1, 4]))
    assert mask.dtype == torch.bool
    assert mask.tolist() == [[True, True, True, False], [True, False, False, False], [True] * 4]
    assert sequence_mask(torch.tensor([2]), 5).tolist() == [[True, True, False, False, False]]
