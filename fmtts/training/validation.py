"""The acoustic trainer's validation: teacher-forced losses on the validation cache with the EMA weights,
and a few synthesised utterances (mel images, audio) to TensorBoard.

A mixin of :class:`fmtts.training.trainer.Trainer`.
"""

from __future__ import annotations

import logging

import numpy as np
import torch

from fmtts.data.dataset import CachedDataset, collate
from fmtts.sampling import SamplerConfig
from fmtts.training.common import mel_image
from fmtts.training.state import build_model

log = logging.getLogger(__name__)


class Validation:
    def _get_vocoder(self):
        if self._vocoder is None and self.vocoder_name:
            from fmtts.audio import MelConfig
            from fmtts.vocoder import load_vocoder

            name = self.vocoder_name
            try:
                self._vocoder = load_vocoder("universal" if name == "auto" else name, device=str(self.device))
            except Exception as exc:  # no weights installed: fall back to Griffin-Lim for listening
                log.warning("validation vocoder unavailable (%s); using Griffin-Lim", exc)
                mel_config = MelConfig.from_dict(self.meta["mel_config"])
                self._vocoder = load_vocoder("griffinlim", device=str(self.device), mel_config=mel_config)
        return self._vocoder

    @torch.no_grad()
    def validate(
        self, train_attn: torch.Tensor | None = None, t_x: int = 0, t_y: int = 0
    ) -> dict[str, float]:
        """Validation losses (teacher-forced, EMA weights) and a few synthesised utterances to TensorBoard."""
        assert self.val_cache is not None
        model = build_model(self.cfg, self.meta).to(self.device)
        model.load_state_dict(self.ema.state)
        model.eval()
        ds = CachedDataset(self.val_cache, use_durations=self.cfg.data.use_durations)  # as training aligns
        torch.manual_seed(0)  # the same noise at every validation (the loop keeps the training RNG apart)
        return self._validate(model, ds, train_attn, t_x, t_y)

    def _validate(self, model, ds, train_attn, t_x: int, t_y: int) -> dict[str, float]:
        totals: dict[str, float] = {"duration": 0.0, "prior": 0.0, "flow": 0.0}
        n = 0
        for start in range(0, min(len(ds), 64), self.cfg.train.batch_size):
            batch = collate(
                [ds[i] for i in range(start, min(len(ds), start + self.cfg.train.batch_size, 64))]
            )
            batch = {k: v.to(self.device) for k, v in batch.items()}
            out = model(
                batch["tokens"],
                batch["token_lengths"],
                batch["mels"],
                batch["mel_lengths"],
                speakers=batch.get("speakers"),
                durations=batch.get("durations"),
            )
            for k in totals:
                totals[k] += float(out[k]) * len(batch["index"])
            n += len(batch["index"])
        result = {k: v / max(n, 1) for k, v in totals.items()}
        if self.writer is not None:
            for k, v in result.items():
                self.writer.add_scalar(f"val/{k}", v, self.step)
            if train_attn is not None:
                a = train_attn[:t_x, :t_y].float().cpu().numpy()[::-1]
                self.writer.add_image("train/alignment", np.stack([a, a, a]), self.step)
            vocoder = self._get_vocoder()
            for i in range(min(self.cfg.train.val_utterances, len(ds))):
                item = collate([ds[i]])
                g = torch.Generator(device=self.device).manual_seed(i)
                speakers = item.get("speakers")
                syn = model.synthesize(
                    item["tokens"].to(self.device),
                    item["token_lengths"].to(self.device),
                    sampler=SamplerConfig(steps=self.cfg.train.synth_steps),
                    speakers=None if speakers is None else speakers.to(self.device),
                    generator=g,
                )
                mel = syn.mel[0, :, : int(syn.mel_lengths[0])].float().cpu()
                self.writer.add_image(f"val/mel_{i}", mel_image(mel.numpy()), self.step)
                if self.step == self.cfg.train.val_every:
                    self.writer.add_image(
                        f"val/mel_{i}_target", mel_image(item["mels"][0].numpy()), self.step
                    )
                if vocoder is not None:
                    wav = vocoder(mel.to(self.device)).flatten().float().cpu()
                    self.writer.add_audio(f"val/audio_{i}", wav, self.step, sample_rate=vocoder.sample_rate)
        return result
