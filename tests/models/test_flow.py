"""OT-CFM training targets and the masked loss, ODE solvers and time grids, and the decoder's sampler
(seeding, masking, classifier-free guidance)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from fmtts.config import CFMConfig
from fmtts.models.flow import FlowMatchingDecoder, build_estimator, cfm_interpolate
from fmtts.sampling import SCHEDULES, SOLVERS, SamplerConfig, evaluations, solve, time_grid

N_FEATS = 16
pytestmark = pytest.mark.usefixtures("torch_single_thread")


# ------------------------------------------------------------------------------------------------ CFM target
@pytest.mark.parametrize("sigma_min", [1e-4, 0.1])
def test_cfm_interpolate_formula_and_endpoints(sigma_min: float) -> None:
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(5, 3, 7, generator=g, dtype=torch.float64)
    x1 = torch.randn(5, 3, 7, generator=g, dtype=torch.float64)
    t = torch.tensor([0.0, 1.0, 0.25, 0.5, 0.9], dtype=torch.float64)
    x_t, u_t = cfm_interpolate(x0, x1, t, sigma_min)
    for i, ti in enumerate(t.tolist()):
        expected = (1 - (1 - sigma_min) * ti) * x0[i] + ti * x1[i]
        torch.testing.assert_close(x_t[i], expected, rtol=0, atol=1e-12)
    torch.testing.assert_close(u_t, (x1 - (1 - sigma_min) * x0).expand_as(u_t), rtol=0, atol=1e-12)
    torch.testing.assert_close(x_t[0], x0[0], rtol=0, atol=0)  # t = 0: pure noise
    # t = 1: the data, plus σ_min of the noise
    torch.testing.assert_close(x_t[1], x1[1] + sigma_min * x0[1], rtol=0, atol=1e-12)
    # u is the time derivative of the path x_t (which is linear in t)
    h = 1e-3
    x_a, _ = cfm_interpolate(x0, x1, t.clamp(max=1 - h), sigma_min)
    x_b, _ = cfm_interpolate(x0, x1, t.clamp(max=1 - h) + h, sigma_min)
    torch.testing.assert_close((x_b - x_a) / h, u_t, rtol=1e-6, atol=1e-6)


def tiny_decoder(estimator: str, make_tiny_config, **cfm) -> FlowMatchingDecoder:
    cfg = make_tiny_config(f"model.decoder.estimator={estimator}", "model.decoder.patch_size=2")
    torch.manual_seed(0)
    dec = FlowMatchingDecoder(N_FEATS, cfg.model.decoder, CFMConfig(**cfm))
    # The output layers start at zero (the estimator predicts 0); make them random so that any leak of
    # padded frames into valid outputs would show.
    for p in dec.parameters():
        if p.dim() > 1 and not p.detach().any():
            nn.init.normal_(p, std=0.05)
    return dec


def masked_batch(seed: int = 1) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    lengths = torch.tensor([23, 15, 9])
    t = int(lengths.max())
    mask = (torch.arange(t)[None] < lengths[:, None]).unsqueeze(1).float()
    x1 = torch.randn(3, N_FEATS, t, generator=g) * mask
    mu = torch.randn(3, N_FEATS, t, generator=g) * mask
    return x1, mask, mu


@pytest.mark.parametrize("estimator", ["unet", "dit"])
def test_flow_loss_counts_only_valid_frames(estimator: str, make_tiny_config) -> None:
    dec = tiny_decoder(estimator, make_tiny_config).eval()
    x1, mask, mu = masked_batch()

    def loss_with_padding(fill: float) -> torch.Tensor:
        x1_p = x1 + fill * (1 - mask) * torch.randn(x1.shape, generator=torch.Generator().manual_seed(5))
        mu_p = mu + fill * (1 - mask)
        torch.manual_seed(123)
        return dec.loss(x1_p, mask, mu_p)

    base = loss_with_padding(0.0).detach()
    assert torch.isfinite(base) and base.item() > 0
    for fill in (10.0, 1e3):
        torch.testing.assert_close(loss_with_padding(fill).detach(), base, rtol=1e-5, atol=1e-6)

    # ... and it is the mean over valid frames and features of (v − u)²: redraw the same t and x0.
    torch.manual_seed(123)
    t = torch.rand(3)
    x0 = torch.randn_like(x1)
    x_t, u_t = cfm_interpolate(x0, x1, t, dec.cfm.sigma_min)
    with torch.no_grad():
        pred = dec.estimator(x_t, mask, mu, t)
    valid = mask.expand_as(pred).bool()
    expected = ((pred - u_t)[valid] ** 2).mean()
    torch.testing.assert_close(base, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("estimator", ["unet", "dit"])
def test_estimator_output_ignores_padding_length(estimator: str, make_tiny_config) -> None:
    """A batched utterance gets the velocity it gets alone: extra padded frames must not matter (the U-Net's
    GroupNorm once took statistics over them, which lowered the quality of a short sentence batched beside
    a long one: BENCHMARKS.md)."""
    dec = tiny_decoder(estimator, make_tiny_config).eval()
    g = torch.Generator().manual_seed(2)
    x, mu = torch.randn(2, 1, N_FEATS, 21, generator=g)
    t = torch.tensor([0.3])
    pad = 40
    mask = torch.ones(1, 1, 21 + pad)
    mask[..., 21:] = 0
    with torch.no_grad():
        alone = dec.estimator(x, torch.ones(1, 1, 21), mu, t)
        padded = dec.estimator(nn.functional.pad(x, (0, pad)), mask, nn.functional.pad(mu, (0, pad)), t)
    torch.testing.assert_close(padded[..., :21], alone, rtol=1e-4, atol=1e-4)


def test_unet_all_valid_fast_path_matches_the_masked_path(make_tiny_config, monkeypatch) -> None:
    """A batch whose frames are all valid skips the mask products (CPU fast path). An utterance must get
    the same velocity, and the same gradients, as when it shares a masked batch with a shorter one (whose
    padding forces the masked path); GroupNorm statistics are per utterance, so they agree too."""
    from fmtts.models import unet

    dec = tiny_decoder("unet", make_tiny_config)
    seen: list[bool] = []  # whether each ResBlock call got the dense path (mask None)
    plain_forward = unet.ResBlock1D.forward

    def recording_forward(self, x, m, temb):
        seen.append(m is None)
        return plain_forward(self, x, m, temb)

    monkeypatch.setattr(unet.ResBlock1D, "forward", recording_forward)
    g = torch.Generator().manual_seed(3)
    t_len = 24  # a multiple of the U-Net's 2^(levels-1): no padding inside the estimator
    x, mu = torch.randn(2, 2, N_FEATS, t_len, generator=g)
    mask = torch.ones(2, 1, t_len)
    mask[1, :, 10:] = 0
    t = torch.tensor([0.3, 0.7])
    for p in dec.parameters():
        p.grad = None
    dense = dec.estimator(x[:1], torch.ones(1, 1, t_len), mu[:1], t[:1])
    dense.square().sum().backward()
    assert seen and all(seen), "an all-valid batch takes the dense path"
    seen.clear()
    dense_grads = [p.grad.clone() for p in dec.parameters()]
    for p in dec.parameters():
        p.grad = None
    masked = dec.estimator(x, mask, mu * mask, t)
    masked[:1].square().sum().backward()
    assert seen and not any(seen), "a batch with padding takes the masked path"
    torch.testing.assert_close(masked[:1], dense, rtol=1e-5, atol=1e-5)
    for p, ref in zip(dec.parameters(), dense_grads, strict=True):
        torch.testing.assert_close(p.grad, ref, rtol=1e-4, atol=1e-5)
    # under CPU autocast the masked path runs (its fp32 mask products keep the output fp32)
    seen.clear()
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        out = dec.estimator(x[:1], torch.ones(1, 1, t_len), mu[:1], t[:1])
    assert out.dtype == torch.float32 and seen and not any(seen)


def test_flow_loss_regresses_onto_the_interpolation_target(monkeypatch: pytest.MonkeyPatch) -> None:
    import fmtts.models.flow as flow

    cfg = CFMConfig(sigma_min=0.0)
    dec = FlowMatchingDecoder(4, build_estimator_cfg(), cfg)  # zero output layer: the estimator predicts 0
    x1 = torch.full((2, 4, 6), 3.0)
    mask = torch.ones(2, 1, 6)

    def zero_target(x0, x1, t, sigma_min):
        return x0, torch.zeros_like(x1)

    def const_target(x0, x1, t, sigma_min):
        return x0, torch.full_like(x1, 2.0)

    monkeypatch.setattr(flow, "cfm_interpolate", zero_target)
    assert dec.loss(x1, mask, torch.zeros_like(x1)).item() == 0.0
    monkeypatch.setattr(flow, "cfm_interpolate", const_target)
    assert dec.loss(x1, mask, torch.zeros_like(x1)).item() == pytest.approx(4.0)


def build_estimator_cfg():
    from fmtts.config import DecoderConfig

    return DecoderConfig(channels=[16, 16], heads=2, head_dim=8, ffn_mult=2, dropout=0.0, mid_blocks=1)


def test_build_estimator_rejects_unknown_name() -> None:
    cfg = build_estimator_cfg()
    cfg.estimator = "wavenet"
    with pytest.raises(ValueError, match="unknown estimator"):
        build_estimator(4, cfg, 0)


# ------------------------------------------------------------------------------------------------ time grids
@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("n", [1, 2, 3, 10, 32])
def test_time_grid_endpoints_and_monotonic(schedule: str, n: int) -> None:
    t = time_grid(n, schedule)
    assert t.shape == (n + 1,) and t.dtype == np.float64
    assert float(t[0]) == 0.0 and float(t[-1]) == 1.0
    assert bool((t[1:] > t[:-1]).all()), f"{schedule} grid not increasing: {t.tolist()}"
    if schedule == "uniform":
        np.testing.assert_allclose(t, np.arange(n + 1) / n, atol=1e-12)
    elif n >= 3:  # both crowd the steps near the noise end ...
        assert float(t[1]) < 1.0 / n
        if schedule == "cosine":  # ... cosine near the data end too, sway does not
            assert float(1.0 - t[-2]) < 1.0 / n
        else:
            assert float(1.0 - t[-2]) > 1.0 / n


def test_cosine_and_sway_are_different_schedules() -> None:
    assert not np.allclose(time_grid(10, "cosine"), time_grid(10, "sway"))
    # sway with s = -1 is 1 - cos(pi/2 u), F5-TTS's default
    u = np.linspace(0, 1, 11)
    np.testing.assert_allclose(time_grid(10, "sway"), 1 - np.cos(u * np.pi / 2), atol=1e-12)


def test_time_grid_sway_with_zero_coefficient_is_uniform() -> None:
    np.testing.assert_allclose(time_grid(8, "sway", sway_coef=0.0), time_grid(8, "uniform"), atol=1e-12)


@pytest.mark.parametrize("bad", [0, -3, 2.5, "4", None])
def test_time_grid_rejects_bad_step_counts(bad) -> None:
    with pytest.raises(ValueError, match="positive integer"):
        time_grid(bad)


def test_time_grid_rejects_unknown_schedule() -> None:
    with pytest.raises(ValueError, match="unknown schedule"):
        time_grid(4, "linear")


# ------------------------------------------------------------------------------------------------ solvers
@pytest.mark.parametrize("solver", SOLVERS)
@pytest.mark.parametrize("schedule", SCHEDULES)
def test_solvers_integrate_a_constant_field_exactly(solver: str, schedule: str) -> None:
    """The OT-CFM ideal: v = x1 − x0 is constant along the path, so every solver lands on x1."""
    g = torch.Generator().manual_seed(0)
    x0 = torch.randn(3, 4, 5, generator=g, dtype=torch.float64)
    x1 = torch.randn(3, 4, 5, generator=g, dtype=torch.float64)
    out = solve(lambda x, t: x1 - x0, x0, time_grid(7, schedule), solver)
    torch.testing.assert_close(out, x1, rtol=0, atol=1e-12)


def test_solvers_time_dependent_field_exact_values() -> None:
    """dx/dt = 2t from x(0) = 0, so x(1) = 1. On the uniform grid with step h = 1/N, Euler (left Riemann
    sum) gives 1 − h, midpoint is exact, and Heun is exact (trapezoid) except for its last, Euler, step,
    which leaves 1 − h²: this pins down the times at which each solver evaluates the field."""
    x0 = torch.zeros(2, 1, dtype=torch.float64)
    for n in (1, 4, 10):
        h = 1.0 / n
        times = time_grid(n)

        def field(x, t):
            return torch.full_like(x, 2 * t)

        assert float(solve(field, x0, times, "euler")[0, 0]) == pytest.approx(1 - h, abs=1e-12)
        assert float(solve(field, x0, times, "midpoint")[0, 0]) == pytest.approx(1.0, abs=1e-12)
        assert float(solve(field, x0, times, "heun")[0, 0]) == pytest.approx(1 - h * h, abs=1e-12)


def test_second_order_solvers_beat_euler_on_a_curved_field() -> None:
    """dx/dt = −x: x(1) = x0·e^{-1}. Euler's error halves when the steps double (first order); midpoint's
    and Heun's shrink ~4× (second order) and are far below Euler's at the same step count."""
    x0 = torch.linspace(-2, 3, 6, dtype=torch.float64).view(2, 3)
    exact = x0 * math.exp(-1.0)

    def err(solver: str, n: int) -> float:
        return float((solve(lambda x, t: -x, x0, time_grid(n), solver) - exact).abs().max())

    for n in (4, 8, 16):
        assert err("midpoint", n) < err("euler", n) / 4
        assert err("heun", n) < err("euler", n) / 4
    assert err("euler", 16) / err("euler", 32) == pytest.approx(2.0, rel=0.1)
    assert err("midpoint", 16) / err("midpoint", 32) == pytest.approx(4.0, rel=0.15)
    assert err("heun", 32) / err("heun", 64) == pytest.approx(4.0, rel=0.25)


@pytest.mark.parametrize("solver", SOLVERS)
def test_solver_evaluation_counts(solver: str) -> None:
    calls = []

    def field(x, t):
        assert isinstance(t, float)
        calls.append(t)
        return torch.zeros_like(x)

    solve(field, torch.zeros(3, 2), time_grid(6), solver)
    assert len(calls) == evaluations(6, solver)
    assert calls[0] == 0.0 and all(0.0 <= c <= 1.0 for c in calls)


def test_solve_rejects_unknown_solver() -> None:
    with pytest.raises(ValueError, match="unknown solver"):
        solve(lambda x, t: x, torch.zeros(1, 1), time_grid(2), "rk4")


# ------------------------------------------------------------------------------------------------ sampling
class EchoMu(nn.Module):
    """Estimator stub: the velocity is μ (zero when μ is dropped, as in classifier-free guidance)."""

    def forward(self, x, mask, mu, t, speaker=None):
        return mu * mask


def test_sample_with_guidance_follows_the_cfg_formula() -> None:
    """v = v_c + s·(v_c − v_u) with v_c = μ, v_u = 0 gives x(1) = τ·x0 + (1 + s)·μ on valid frames."""
    dec = FlowMatchingDecoder(N_FEATS, build_estimator_cfg(), CFMConfig())
    dec.estimator = EchoMu()
    _, mask, mu = masked_batch()
    for scale in (0.0, 0.5, 2.0):
        for solver in SOLVERS:
            out = dec.sample(
                mu,
                mask,
                SamplerConfig(steps=3, temperature=0.3, solver=solver, cfg_scale=scale),
                generator=torch.Generator().manual_seed(4),
            )
            b, c, t = mu.shape  # the noise is drawn frame-major
            x0 = torch.randn((b, t, c), generator=torch.Generator().manual_seed(4)).transpose(1, 2) * 0.3
            torch.testing.assert_close(out, (x0 + (1 + scale) * mu) * mask, rtol=1e-5, atol=1e-5)


def test_sample_noise_of_a_frame_does_not_depend_on_the_length() -> None:
    """One frame more (a duration rounded the other way) keeps every earlier frame's noise."""
    dec = FlowMatchingDecoder(N_FEATS, build_estimator_cfg(), CFMConfig())
    dec.estimator = EchoMu()
    noise = []
    for frames in (20, 21):
        mu = torch.zeros(1, N_FEATS, frames)
        mask = torch.ones(1, 1, frames)
        sampler = SamplerConfig(steps=2, temperature=1.0)
        noise.append(dec.sample(mu, mask, sampler, generator=torch.Generator().manual_seed(3)))
    torch.testing.assert_close(noise[0], noise[1][..., :20])
    assert float(noise[0].std()) > 0.5  # really noise


@pytest.mark.parametrize("estimator", ["unet", "dit"])
def test_sample_is_seeded_masked_and_validates_steps(estimator: str, make_tiny_config) -> None:
    dec = tiny_decoder(estimator, make_tiny_config).eval()
    _, mask, mu = masked_batch()

    def run(seed: int, **kw) -> torch.Tensor:
        sampler = SamplerConfig(steps=3, **kw)
        return dec.sample(mu, mask, sampler, generator=torch.Generator().manual_seed(seed))

    a, b, c = run(7), run(7), run(8)
    assert torch.equal(a, b), "same generator seed must give identical samples"
    assert not torch.allclose(a, c), "different seeds must give different samples"
    assert torch.isfinite(a).all()
    assert float((a * (1 - mask)).abs().sum()) == 0.0, "padded frames must be zero"
    for solver, schedule in zip(SOLVERS, SCHEDULES, strict=True):
        out = run(7, solver=solver, schedule=schedule, cfg_scale=0.7)
        assert out.shape == mu.shape and torch.isfinite(out).all()
        assert float((out * (1 - mask)).abs().sum()) == 0.0
    for bad in (0, -1):
        with pytest.raises(ValueError, match="positive integer"):
            SamplerConfig(steps=bad)
