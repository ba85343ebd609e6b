"""Shared layers with behaviour of their own: the CPU dropout's rate, scaling, gradient and seeding."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from fmtts.models.layers import ConvFeedForward, Dropout


@pytest.mark.parametrize("p", [0.05, 0.1, 0.5])
def test_dropout_rate_scale_and_expectation(p: float) -> None:
    torch.manual_seed(0)
    drop = Dropout(p).train()
    x = torch.ones(64, 128, 129)  # numel not a multiple of 4: the last 64-bit draw is partly used
    y = drop(x)
    dropped = (y == 0).float()
    assert abs(dropped.mean().item() - p) < 0.003
    # every one of the four 16-bit lanes of a 64-bit draw is equally random
    lanes = dropped.flatten()[: x.numel() // 4 * 4].view(-1, 4).mean(0)
    assert torch.all((lanes - p).abs() < 0.006), lanes
    kept = y[y != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1 / (1 - round(p * 65536) / 65536)))
    assert abs(y.mean().item() - 1.0) < 0.01  # unbiased


def test_dropout_gradient_is_the_mask_and_seeding_repeats() -> None:
    drop = Dropout(0.2).train()
    x = torch.randn(3, 50, 7, requires_grad=True)
    torch.manual_seed(3)
    y = drop(x)
    y.sum().backward()
    torch.testing.assert_close(x.grad, torch.where(y != 0, y / x, torch.zeros_like(y)).detach())
    torch.manual_seed(3)
    torch.testing.assert_close(drop(x), y)


def test_dropout_is_identity_in_eval_or_at_zero_and_rejects_bad_rates() -> None:
    x = torch.randn(4, 9)
    assert Dropout(0.5).eval()(x) is x
    assert Dropout(0.0).train()(x) is x
    for bad in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match="dropout probability"):
            Dropout(bad)


@pytest.mark.parametrize("kernel_size", [1, 3, 5])
def test_conv_feed_forward_matches_the_convolutions_it_stores(kernel_size: int) -> None:
    """The unfolded matrix-product path computes exactly conv1d → GELU → conv1d on masked input, in
    both directions (the parameters stay Conv1d weights, so checkpoints load unchanged)."""
    torch.manual_seed(0)
    ffn = ConvFeedForward(12, 20, kernel_size).eval()
    x = torch.randn(3, 9, 12, requires_grad=True)
    mask = torch.arange(9)[None, :] < torch.tensor([9, 6, 1])[:, None]
    m = mask.unsqueeze(1).float()
    ref_h = F.gelu(ffn.conv1(x.transpose(1, 2) * m), approximate="tanh")
    ref = (ffn.conv2(ref_h * m) * m).transpose(1, 2)
    out = ffn(x, mask)
    torch.testing.assert_close(out, ref, rtol=1e-5, atol=1e-6)
    params = [x, *ffn.parameters()]
    g_out = torch.autograd.grad(out.square().sum(), params)
    g_ref = torch.autograd.grad(ref.square().sum(), params)
    for a, b in zip(g_out, g_ref, strict=True):  # input and all four weight tensors
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)
    assert out[~mask].abs().max() == 0
    with pytest.raises(ValueError, match="odd"):
        ConvFeedForward(12, 20, 4)
