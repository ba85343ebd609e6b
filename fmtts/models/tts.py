"""The full acoustic model: text encoder + duration predictor + MAS aligner + OT-CFM decoder."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from fmtts.config import ModelConfig
from fmtts.models.alignment import durations_to_path, gaussian_log_likelihood, maximum_path
from fmtts.models.duration import DurationPredictor, frames_from_log_durations
from fmtts.models.encoder import TextEncoder
from fmtts.models.flow import DEFAULT_SAMPLER, FlowMatchingDecoder
from fmtts.models.masks import sequence_mask
from fmtts.sampling import SamplerConfig


@dataclass
class AcousticOutput:
    mel: torch.Tensor  # (B, n_feats, T) de-normalised log-mel
    mel_lengths: torch.Tensor  # (B,)
    durations: torch.Tensor  # (B, T_text) frames per token (0 beyond each text's length)
    mu: torch.Tensor  # (B, n_feats, T) aligned prior (de-normalised)


class FlowTTS(nn.Module):
    def __init__(self, cfg: ModelConfig, n_vocab: int, mel_mean: float = 0.0, mel_std: float = 1.0):
        super().__init__()
        self.cfg = cfg
        self.n_vocab = n_vocab
        spk_dim = cfg.speaker_dim if cfg.n_speakers > 1 or cfg.speaker_table else 0
        self.speaker_emb = nn.Embedding(cfg.n_speakers, spk_dim) if spk_dim else None
        self.encoder = TextEncoder(n_vocab, cfg.n_feats, cfg.encoder, spk_dim)
        self.duration_predictor = DurationPredictor(cfg.encoder.channels, cfg.duration)
        self.decoder = FlowMatchingDecoder(cfg.n_feats, cfg.decoder, cfg.cfm, spk_dim)
        self.register_buffer("mel_mean", torch.tensor(float(mel_mean)))
        self.register_buffer("mel_std", torch.tensor(float(mel_std)))
        # Predicted durations are exp(E[log d]), the geometric mean, which falls short of the mean duration
        # a voice speaks with; calibrate_duration_scale() measures the factor on training data.
        self.register_buffer("duration_scale", torch.tensor(1.0))

    def parts(self) -> dict[str, nn.Module]:
        """The model's parts by their ``train.trainable`` names (:data:`fmtts.config.MODEL_PARTS`)."""
        named = {"encoder": self.encoder, "duration": self.duration_predictor, "decoder": self.decoder}
        return named | ({"speakers": self.speaker_emb} if self.speaker_emb is not None else {})

    def freeze_except(self, trainable: list[str]) -> None:
        """Only the ``trainable`` parts' parameters get gradients; the rest keep their weights."""
        for name, part in self.parts().items():
            part.requires_grad_(name in trainable)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # checkpoints from before the calibration have no factor: 1 reproduces how they spoke
        state_dict.setdefault(prefix + "duration_scale", torch.tensor(1.0))
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def _speaker(
        self, speakers: torch.Tensor | None, batch: int, device: torch.device
    ) -> torch.Tensor | None:
        if self.speaker_emb is None:
            return None
        if speakers is None:
            speakers = torch.zeros(batch, dtype=torch.long, device=device)
        return self.speaker_emb(speakers)

    def normalize(self, mel: torch.Tensor) -> torch.Tensor:
        return (mel - self.mel_mean) / self.mel_std

    def denormalize(self, mel: torch.Tensor) -> torch.Tensor:
        return mel * self.mel_std + self.mel_mean

    def forward(
        self,
        tokens: torch.Tensor,
        token_lengths: torch.Tensor,
        mels: torch.Tensor,
        mel_lengths: torch.Tensor,
        speakers: torch.Tensor | None = None,
        durations: torch.Tensor | None = None,
    ) -> dict[str, torch.Tensor]:
        """Training losses. ``durations`` (B, T_text) replaces MAS with external alignments."""
        spk = self._speaker(speakers, tokens.shape[0], tokens.device)
        mu, hidden, x_mask = self.encoder(tokens, token_lengths, spk)
        logw = self.duration_predictor(hidden.detach(), x_mask)
        y = self.normalize(mels)
        y_mask = sequence_mask(mel_lengths, y.shape[-1]).unsqueeze(1).to(y.dtype)
        attn_mask = x_mask.transpose(1, 2) * y_mask  # (B, T_x, T_y)
        if durations is None:
            attn = self._mas(mu, y, attn_mask)
        else:
            attn = durations_to_path(durations.to(torch.long), y.shape[-1]) * attn_mask
        attn = attn.to(mu.dtype)

        frames = attn.float().sum(2, keepdim=True).transpose(1, 2)  # (B, 1, T_x), exact in fp32
        # Tokens with no frames (possible only with external durations) have no log-duration to learn.
        d_mask = x_mask * (frames > 0).to(x_mask.dtype)
        logw_target = torch.log(frames.clamp_min(1e-8)) * d_mask
        dur_loss = (((logw - logw_target) ** 2) * d_mask).sum() / d_mask.sum().clamp_min(1.0)
        mu_y = torch.bmm(attn.transpose(1, 2), mu.transpose(1, 2)).transpose(1, 2)  # (B, F, T_y)

        if self.cfg.prior_loss:
            prior = 0.5 * ((y - mu_y) ** 2 + math.log(2 * math.pi)) * y_mask
            prior_loss = prior.sum() / (y_mask.sum() * self.cfg.n_feats)
        else:
            prior_loss = torch.zeros((), device=y.device)

        if self.cfg.out_size:
            y, mu_y, y_mask = random_segments(y, mu_y, mel_lengths, self.cfg.out_size)
        flow_loss = self.decoder.loss(y, y_mask, mu_y, spk)
        return {"duration": dur_loss, "prior": prior_loss, "flow": flow_loss, "attn": attn.detach()}

    @staticmethod
    @torch.no_grad()
    def _mas(mu: torch.Tensor, y_normalized: torch.Tensor, attn_mask: torch.Tensor) -> torch.Tensor:
        return maximum_path(gaussian_log_likelihood(mu, y_normalized), attn_mask)

    @torch.no_grad()
    def align(
        self,
        tokens: torch.Tensor,
        token_lengths: torch.Tensor,
        mels: torch.Tensor,
        mel_lengths: torch.Tensor,
        speakers: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Durations (B, T_text) in frames that MAS assigns to each token of recorded mels, exactly as in
        training (used by evaluation and alignment checks)."""
        spk = self._speaker(speakers, tokens.shape[0], tokens.device)
        mu, _, x_mask = self.encoder(tokens, token_lengths, spk)
        y_mask = sequence_mask(mel_lengths, mels.shape[-1]).unsqueeze(1).to(mu.dtype)
        attn = self._mas(mu, self.normalize(mels), x_mask.transpose(1, 2) * y_mask)
        return attn.sum(2).round().long()

    @torch.no_grad()
    def prior(
        self,
        tokens: torch.Tensor,
        token_lengths: torch.Tensor,
        length_scale: float = 1.0,
        speakers: torch.Tensor | None = None,
        durations: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """Text → what the decoder starts from: the aligned prior μ_y (B, F, T) (normalised), its frame
        mask (B, 1, T), the frames per token (B, T_text) and the speaker embedding. Encoder and durations
        run once per utterance; only the decoder runs per ODE step. ``length_scale`` > 1 speaks slower."""
        spk = self._speaker(speakers, tokens.shape[0], tokens.device)
        mu, hidden, x_mask = self.encoder(tokens, token_lengths, spk)
        if durations is None:
            logw = self.duration_predictor(hidden, x_mask)
            scale = length_scale * float(self.duration_scale)
            durations = frames_from_log_durations(logw[:, 0], x_mask[:, 0], scale)
        else:
            durations = durations.long() * x_mask[:, 0].long()
        mel_lengths = durations.sum(1).clamp_min(1)
        t_y = int(mel_lengths.max())
        y_mask = sequence_mask(mel_lengths, t_y).unsqueeze(1).to(mu.dtype)
        attn = durations_to_path(durations, t_y).to(mu.dtype)
        mu_y = torch.bmm(attn.transpose(1, 2), mu.transpose(1, 2)).transpose(1, 2)
        return mu_y, y_mask, durations, spk

    @torch.no_grad()
    def synthesize(
        self,
        tokens: torch.Tensor,
        token_lengths: torch.Tensor,
        sampler: SamplerConfig = DEFAULT_SAMPLER,
        speakers: torch.Tensor | None = None,
        durations: torch.Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> AcousticOutput:
        """Text → mel (:meth:`prior`, then the decoder's ODE). ``sampler.length_scale`` > 1 makes speech
        slower (durations are multiplied by it)."""
        mu_y, y_mask, durations, spk = self.prior(
            tokens, token_lengths, sampler.length_scale, speakers, durations
        )
        mel = self.decoder.sample(mu_y, y_mask, sampler, speaker=spk, generator=generator)
        return AcousticOutput(
            mel=self.denormalize(mel) * y_mask,
            mel_lengths=y_mask[:, 0].sum(1).long(),
            durations=durations,
            mu=self.denormalize(mu_y) * y_mask,
        )


def random_segments(
    y: torch.Tensor, mu_y: torch.Tensor, lengths: torch.Tensor, out_size: int
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Cut one random window of ``out_size`` frames per utterance (shorter ones keep all their frames)."""
    b, f, t = y.shape
    if t < out_size:
        pad = out_size - t
        y = torch.nn.functional.pad(y, (0, pad))
        mu_y = torch.nn.functional.pad(mu_y, (0, pad))
    max_start = (lengths - out_size).clamp_min(0)
    start = (torch.rand(b, device=y.device) * (max_start + 1).to(torch.float32)).long().clamp_max(max_start)
    idx = start.unsqueeze(1) + torch.arange(out_size, device=y.device).unsqueeze(0)  # (B, out_size)
    mask = (idx < lengths.unsqueeze(1)).unsqueeze(1).to(y.dtype)
    gather = idx.unsqueeze(1).expand(-1, f, -1)
    return y.gather(2, gather) * mask, mu_y.gather(2, gather) * mask, mask
