"""Optimal-transport conditional flow matching (OT-CFM) decoder.

Training draws t ~ U[0, 1] and x0 ~ N(0, I) and regresses the estimator onto the conditional velocity

    x_t = (1 − (1 − σ_min)·t)·x0 + t·x1,        u_t = x1 − (1 − σ_min)·x0,

with the MSE taken over valid frames only. Sampling integrates dx/dt = v(x, t | μ) from x0 (scaled by a
temperature) to t = 1 with the solvers in :mod:`fmtts.sampling`.
"""

from __future__ import annotations

import torch
from torch import nn

from fmtts.config import CFMConfig, DecoderConfig
from fmtts.models.dit import DiTEstimator
from fmtts.models.unet import UNetEstimator
from fmtts.sampling import SamplerConfig, plan_steps, solve

DEFAULT_SAMPLER = SamplerConfig()


def cfm_interpolate(
    x0: torch.Tensor, x1: torch.Tensor, t: torch.Tensor, sigma_min: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Return (x_t, u_t) for per-example times t (B,)."""
    tt = t.view(-1, *([1] * (x1.dim() - 1)))
    x_t = (1.0 - (1.0 - sigma_min) * tt) * x0 + tt * x1
    u_t = x1 - (1.0 - sigma_min) * x0
    return x_t, u_t


def build_estimator(
    n_feats: int, cfg: DecoderConfig, speaker_dim: int, step_conditioned: bool = False
) -> nn.Module:
    if cfg.estimator == "unet":
        return UNetEstimator(n_feats, cfg, speaker_dim, step_conditioned)
    if cfg.estimator == "dit":
        return DiTEstimator(n_feats, cfg, speaker_dim, step_conditioned)
    raise ValueError(f"unknown estimator {cfg.estimator!r}; choose 'unet' or 'dit'")


class FlowMatchingDecoder(nn.Module):
    def __init__(self, n_feats: int, decoder: DecoderConfig, cfm: CFMConfig, speaker_dim: int = 0):
        super().__init__()
        self.n_feats = n_feats
        self.cfm = cfm
        self.estimator = build_estimator(n_feats, decoder, speaker_dim, bool(cfm.shortcut_steps))

    def loss(
        self,
        x1: torch.Tensor,
        mask: torch.Tensor,
        mu: torch.Tensor,
        speaker: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Masked MSE between the estimated and the conditional velocity."""
        b = x1.shape[0]
        t = torch.rand(b, device=x1.device, dtype=x1.dtype)
        x0 = torch.randn_like(x1)
        x_t, u_t = cfm_interpolate(x0, x1, t, self.cfm.sigma_min)
        if self.training and self.cfm.cond_dropout > 0:
            keep = (torch.rand(b, 1, 1, device=x1.device) >= self.cfm.cond_dropout).to(mu.dtype)
            mu = mu * keep
            if speaker is not None:
                speaker = speaker * keep[:, :, 0]
        pred = self.estimator(x_t, mask, mu, t, speaker)
        err = (pred.float() - u_t.float()) ** 2 * mask
        return err.sum() / (mask.sum() * self.n_feats).clamp_min(1.0)

    @torch.no_grad()
    def sample(
        self,
        mu: torch.Tensor,
        mask: torch.Tensor,
        sampler: SamplerConfig = DEFAULT_SAMPLER,
        speaker: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Integrate from noise to a (normalised) mel. μ and the mask are computed once by the caller;
        ``sampler.length_scale`` is the caller's business (it shaped μ)."""
        # The ODE state and the time grid stay fp32 even when the estimator runs under autocast. The noise
        # is drawn frame-major, so for one utterance frame t gets the same noise whatever the total length
        # (a duration one frame longer must not reshuffle the noise of every frame).
        b, c, t = mu.shape
        x0 = torch.randn((b, t, c), generator=generator, device=mu.device, dtype=torch.float32)
        x0 = x0.transpose(1, 2)
        x0 = x0 * sampler.temperature
        plan = plan_steps(sampler, self.cfm.shortcut_steps)
        times = plan.times
        # only a step-conditioned (distilled) estimator takes the step size
        step = (torch.full((b,), plan.step_size, device=mu.device),) if self.cfm.shortcut_steps else ()
        cfg_scale = sampler.cfg_scale

        if cfg_scale > 0:
            mu2 = torch.cat([mu, torch.zeros_like(mu)])
            mask2 = torch.cat([mask, mask])
            spk2 = None if speaker is None else torch.cat([speaker, torch.zeros_like(speaker)])
            step2 = tuple(torch.cat([s, s]) for s in step)

            def velocity(x: torch.Tensor, t: float) -> torch.Tensor:
                tb = torch.full((2 * b,), t, device=mu.device)
                v = self.estimator(torch.cat([x, x]), mask2, mu2, tb, spk2, *step2)
                v_cond, v_uncond = v.chunk(2)
                return v_cond + cfg_scale * (v_cond - v_uncond)
        else:

            def velocity(x: torch.Tensor, t: float) -> torch.Tensor:
                return self.estimator(x, mask, mu, torch.full((b,), t, device=mu.device), speaker, *step)

        return solve(velocity, x0, times, plan.solver) * mask
