"""Batching variable-length sequences: zero padding plus the true lengths (shared by training, synthesis
and evaluation)."""

from __future__ import annotations

import torch


def pad_tokens(sequences: list) -> tuple[torch.Tensor, torch.Tensor]:
    """Symbol-id sequences (lists or 1-D tensors) → zero-padded (B, T) long tensor and (B,) lengths."""
    lengths = torch.tensor([len(s) for s in sequences], dtype=torch.long)
    tokens = torch.zeros(len(sequences), int(lengths.max()), dtype=torch.long)
    for row, s in enumerate(sequences):
        tokens[row, : len(s)] = torch.as_tensor(s, dtype=torch.long)
    return tokens, lengths


def pad_mels(mels: list) -> tuple[torch.Tensor, torch.Tensor]:
    """(n_mels, T_i) arrays or tensors → zero-padded (B, n_mels, T) float tensor and (B,) lengths."""
    lengths = torch.tensor([m.shape[1] for m in mels], dtype=torch.long)
    out = torch.zeros(len(mels), mels[0].shape[0], int(lengths.max()))
    for row, m in enumerate(mels):
        out[row, :, : m.shape[1]] = torch.as_tensor(m, dtype=torch.float32)
    return out, lengths
