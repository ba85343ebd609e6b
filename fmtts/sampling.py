"""ODE solvers and time-step schedules for sampling a flow-matching model from t=0 (noise) to t=1 (data).

A solver integrates dx/dt = v(x, t) over a grid 0 = t_0 < t_1 < ... < t_N = 1. The schedule decides the
grid; the solver decides how many velocity evaluations each interval costs (Euler 1, midpoint and
Heun 2, with Heun's last step falling back to Euler as usual).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Solver = Literal["euler", "midpoint", "heun"]
Schedule = Literal["uniform", "cosine", "sway"]
SOLVERS: tuple[str, ...] = ("euler", "midpoint", "heun")
SCHEDULES: tuple[str, ...] = ("uniform", "cosine", "sway")
VelocityFn = Callable[[Any, float], Any]


DEFAULT_STEPS = 4  # a voice that was not distilled: 4 and 10 steps measured the same WER and DNSMOS
MAX_LENGTH_SCALE = 10.0  # ten times slower than the voice's own pace
MAX_STEPS = 128  # ODE steps: far past any that sounds better, short of a typo that runs for minutes


@dataclass(frozen=True)
class SamplerConfig:
    """How a mel is sampled: the one place the defaults live (CLI, API and model all take this)."""

    # ODE steps; None: the voice's own default (``default_steps`` in its voice file: what its distillation
    # was measured best at; DEFAULT_STEPS for a voice without one)
    steps: int | None = None
    solver: Solver = "euler"
    schedule: Schedule = "uniform"
    temperature: float = 0.667  # scale of the starting noise
    length_scale: float = 1.0  # > 1 speaks slower
    cfg_scale: float = 0.0  # classifier-free guidance strength (0 = off)

    def __post_init__(self) -> None:
        if self.steps is not None and (
            isinstance(self.steps, bool) or not isinstance(self.steps, int) or not 0 < self.steps <= MAX_STEPS
        ):
            raise ValueError(f"steps must be a positive integer ≤ {MAX_STEPS}, got {self.steps!r}")
        if self.solver not in SOLVERS:
            raise ValueError(f"unknown solver {self.solver!r}; choose one of {SOLVERS}")
        if self.schedule not in SCHEDULES:
            raise ValueError(f"unknown schedule {self.schedule!r}; choose one of {SCHEDULES}")
        # upper bounds far past any useful value, so that a typo cannot ask for hours of audio or noise
        # that overflows to NaN
        for name, low, strict, high in (
            ("temperature", 0.0, False, 10.0),
            ("length_scale", 0.0, True, MAX_LENGTH_SCALE),
            ("cfg_scale", 0.0, False, 100.0),
        ):
            value = getattr(self, name)
            if (
                not isinstance(value, int | float)
                or not math.isfinite(value)
                or value < low
                or (strict and value == low)
                or value > high
            ):
                raise ValueError(
                    f"{name} must be a number {'>' if strict else '≥'} {low:g} and ≤ {high:g}, got {value!r}"
                )

    def with_default_steps(self, default: int) -> SamplerConfig:
        """This config with ``steps`` filled in where it was left to the voice."""
        return self if self.steps is not None else self.replace(steps=default)

    def replace(self, **changes) -> SamplerConfig:
        return dataclasses.replace(self, **changes)

    def at_rate(self, rate: float) -> SamplerConfig:
        """This config with its length scale multiplied by an SSML rate (a length scale too), within
        the bounds a config may have."""
        return self.replace(length_scale=min(self.length_scale * rate, MAX_LENGTH_SCALE))

    @classmethod
    def field_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))


def time_grid(n_steps: int, schedule: str = "uniform", sway_coef: float = -1.0) -> np.ndarray:
    """N+1 increasing times from 0 to 1 (float64).

    - ``uniform``: i/N.
    - ``cosine``: (1 − cos(π · i/N)) / 2: small steps at both ends, large in the middle.
    - ``sway`` (F5-TTS): u + s·(cos(π/2 · u) − 1 + u) with s = ``sway_coef`` (−1 by default, which is
      1 − cos(π/2 · u)): small steps near the noise end, where the velocity changes most; s = 0 is uniform.
    """
    if isinstance(n_steps, bool) or not isinstance(n_steps, int) or n_steps < 1:
        raise ValueError(f"n_steps must be a positive integer, got {n_steps!r}")
    u = np.linspace(0.0, 1.0, n_steps + 1)
    if schedule == "uniform":
        t = u
    elif schedule == "cosine":
        t = 0.5 * (1.0 - np.cos(u * math.pi))
    elif schedule == "sway":
        t = u + sway_coef * (np.cos(u * math.pi / 2) - 1.0 + u)
    else:
        raise ValueError(f"unknown schedule {schedule!r}; choose one of {SCHEDULES}")
    t[0], t[-1] = 0.0, 1.0
    return t


def default_steps_for(stored: int | None, shortcut_steps: list[int] | tuple[int, ...] = ()) -> int:
    """A voice's default step count: what its file records, else the largest step count it was distilled
    for, else :data:`DEFAULT_STEPS`."""
    return int(stored or max(shortcut_steps, default=DEFAULT_STEPS))


@dataclass(frozen=True)
class StepPlan:
    """How one sampling run integrates: the time grid, the solver, and the step size the estimator is
    told (0: the flow's instantaneous velocity; 1/steps on a step count the voice was distilled for)."""

    times: np.ndarray
    solver: str
    step_size: float


def plan_steps(sampler: SamplerConfig, shortcut_steps: list[int] | tuple[int, ...] = ()) -> StepPlan:
    """A distilled voice samples its distilled step counts as it was trained (uniform grid, Euler, step
    size 1/steps); any other step count integrates the flow with the sampler's own solver and schedule."""
    sampler = sampler.with_default_steps(DEFAULT_STEPS)
    if sampler.steps in tuple(shortcut_steps):
        return StepPlan(time_grid(sampler.steps), "euler", 1.0 / sampler.steps)
    return StepPlan(time_grid(sampler.steps, sampler.schedule), sampler.solver, 0.0)


def solve(velocity: VelocityFn, x0: Any, times: np.ndarray, solver: str = "euler") -> Any:
    """Integrate from x0 at times[0] to times[-1]. ``velocity(x, t)`` takes t as a float; x may be a numpy
    array or a torch tensor (only + and scalar * are used), so both backends share this loop."""
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; choose one of {SOLVERS}")
    x = x0
    n = len(times) - 1
    for i in range(n):
        t0, t1 = float(times[i]), float(times[i + 1])
        dt = t1 - t0
        v0 = velocity(x, t0)
        if solver == "euler":
            x = x + dt * v0
        elif solver == "midpoint":
            x_mid = x + 0.5 * dt * v0
            x = x + dt * velocity(x_mid, t0 + 0.5 * dt)
        else:  # heun
            x_pred = x + dt * v0
            if i == n - 1:
                x = x_pred
            else:
                x = x + 0.5 * dt * (v0 + velocity(x_pred, t1))
    return x


def evaluations(n_steps: int, solver: str) -> int:
    """Velocity evaluations a solve costs (for fair speed comparisons between solvers)."""
    return {"euler": n_steps, "midpoint": 2 * n_steps, "heun": 2 * n_steps - 1}[solver]
