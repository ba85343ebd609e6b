"""One benchmark worker process: builds one system (fmtts or the peer Matcha-TTS) and times tasks on request.

Protocol: one JSON object per line on stdin (``{"task": ..., ...}``), one JSON reply per line on stdout.
The parent alternates requests between an fmtts worker and a Matcha worker (A/B/A/B), so both see the
same machine state; only one worker runs at a time. Inputs are made from the same numpy seed in both.

This file runs inside the peer's own virtual environment for Matcha; fmtts itself never imports Matcha.
"""

from __future__ import annotations

import json
import math
import resource
import sys
import time
import types

import numpy as np
import torch

N_VOCAB = 178
STATS = {"mean": -5.536622, "std": 2.116101}
FRAMES_PER_TOKEN = 5  # forced durations: same frame count for both systems


def tokens(batch: int, length: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    x = torch.from_numpy(rng.integers(1, N_VOCAB, size=(batch, length))).long()
    return x, torch.full((batch,), length, dtype=torch.long)


def train_batch(batch: int = 8, t_x: int = 100, t_y: int = 400, seed: int = 1):
    rng = np.random.default_rng(seed)
    x_len = torch.tensor([t_x - 2 * i for i in range(batch)])
    y_len = torch.tensor([t_y - 10 * i for i in range(batch)])
    x = torch.from_numpy(rng.integers(1, N_VOCAB, size=(batch, t_x))).long()
    for i, n in enumerate(x_len):
        x[i, n:] = 0
    y = torch.from_numpy(rng.normal(STATS["mean"], STATS["std"], size=(batch, 80, t_y)).astype(np.float32))
    for i, n in enumerate(y_len):
        y[i, :, n:] = 0
    return x, x_len, y, y_len


def mas_inputs(seed: int = 2):
    rng = np.random.default_rng(seed)
    b, t_x, t_y = 16, 150, 800
    value = torch.from_numpy(rng.normal(size=(b, t_x, t_y)).astype(np.float32))
    x_len = torch.from_numpy(rng.integers(100, t_x + 1, size=b))
    y_len = torch.from_numpy(rng.integers(500, t_y + 1, size=b))
    mask = (torch.arange(t_x)[None, :, None] < x_len[:, None, None]) & (
        torch.arange(t_y)[None, None, :] < y_len[:, None, None]
    )
    return value, mask.float()


# ------------------------------------------------------------------------------------------------ systems
class FmttsSystem:
    def __init__(self, config: str):
        from fmtts.config import load_config
        from fmtts.models.alignment import maximum_path
        from fmtts.models.tts import FlowTTS

        self.cfg = load_config(config)
        self.FlowTTS = FlowTTS
        self.maximum_path = maximum_path
        self.synth_model = self.build()

    def build(self, out_size: int | None = None):
        cfg = self.cfg.model
        cfg.out_size = out_size
        torch.manual_seed(0)
        return self.FlowTTS(cfg, N_VOCAB, STATS["mean"], STATS["std"])

    def params(self) -> int:
        return sum(p.numel() for p in self.synth_model.parameters())

    @torch.inference_mode()
    def synth(self, batch: int) -> int:
        m = self.synth_model.eval()
        x, x_len = tokens(batch, 100)
        durs = torch.full(x.shape, FRAMES_PER_TOKEN, dtype=torch.long)
        try:  # checkouts with one SamplerConfig
            from fmtts.sampling import SamplerConfig

            options = {"sampler": SamplerConfig(steps=10, temperature=0.667)}
        except ImportError:  # older checkouts (ab_fmtts.py compares against them)
            options = {"n_steps": 10, "temperature": 0.667}
        out = m.synthesize(x, x_len, durations=durs, **options)
        return int(out.mel.shape[-1])

    def train_setup(self, out_size: int | None, batch: int):
        from fmtts.training.trainer import build_optimizer

        model = self.build(out_size).train()
        opt = build_optimizer(model, self.cfg.train)  # the recipe's optimizer, as `fmtts train` builds it

        def step():
            x, x_len, y, y_len = train_batch(batch)
            losses = model(x, x_len, y, y_len)
            loss = losses["duration"] + losses["prior"] + losses["flow"]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss.item()

        return step

    def mas(self, value, mask):
        return self.maximum_path(value, mask)


# The brief's CPU peer: Matcha-TTS with decoder channels [128, 128] and a 4-layer encoder (8.2 M parameters).
MATCHA_CPU_SIZE = {"decoder_channels": [128, 128], "encoder_layers": 4}


class MatchaSystem:
    def __init__(self, configs_dir: str, size: str = "ljspeech"):
        import yaml
        from matcha.models.matcha_tts import MatchaTTS
        from matcha.utils.monotonic_align import maximum_path

        self.MatchaTTS = MatchaTTS
        self.maximum_path = maximum_path
        load = lambda p: yaml.safe_load(open(f"{configs_dir}/model/{p}"))  # noqa: E731
        enc = load("encoder/default.yaml")
        enc["encoder_params"]["n_feats"] = 80
        enc["encoder_params"]["spk_emb_dim"] = 64
        enc["encoder_params"]["n_spks"] = 1
        enc["duration_predictor_params"]["filter_channels_dp"] = enc["encoder_params"]["filter_channels_dp"]
        enc["duration_predictor_params"]["p_dropout"] = enc["encoder_params"]["p_dropout"]
        self.encoder = types.SimpleNamespace(
            encoder_type=enc["encoder_type"],
            encoder_params=types.SimpleNamespace(**enc["encoder_params"]),
            duration_predictor_params=types.SimpleNamespace(**enc["duration_predictor_params"]),
        )
        self.decoder = load("decoder/default.yaml")
        if size == "cpu":
            self.decoder["channels"] = MATCHA_CPU_SIZE["decoder_channels"]
            self.encoder.encoder_params.n_layers = MATCHA_CPU_SIZE["encoder_layers"]
        cfm = load("cfm/default.yaml")
        cfm["sigma_min"] = float(cfm["sigma_min"])
        self.cfm = types.SimpleNamespace(**cfm)
        self.synth_model = self.build()
        self._force_durations(self.synth_model)

    def build(self, out_size: int | None = None):
        torch.manual_seed(0)
        return self.MatchaTTS(
            n_vocab=N_VOCAB,
            n_spks=1,
            spk_emb_dim=64,
            n_feats=80,
            encoder=self.encoder,
            decoder=dict(self.decoder),
            cfm=self.cfm,
            data_statistics={"mel_mean": STATS["mean"], "mel_std": STATS["std"]},
            out_size=out_size,
            prior_loss=True,
            use_precomputed_durations=False,
        )

    @staticmethod
    def _force_durations(model) -> None:
        """Replace the predicted log-durations so ceil(exp(logw)) == FRAMES_PER_TOKEN for every token
        (a runtime wrapper in this benchmark; Matcha's code is not modified)."""
        encoder_forward = model.encoder.forward

        def forward(*args, **kwargs):
            mu, logw, mask = encoder_forward(*args, **kwargs)
            return mu, torch.full_like(logw, math.log(FRAMES_PER_TOKEN - 0.5)) * mask, mask

        model.encoder.forward = forward

    def params(self) -> int:
        return sum(p.numel() for p in self.synth_model.parameters())

    @torch.inference_mode()
    def synth(self, batch: int) -> int:
        m = self.synth_model.eval()
        x, x_len = tokens(batch, 100)
        out = m.synthesise(x, x_len, n_timesteps=10, temperature=0.667, length_scale=1.0)
        return int(out["mel"].shape[-1])

    def train_setup(self, out_size: int | None, batch: int):
        model = self.build(out_size).train()  # fresh instance: inference caches break backward()
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)

        def step():
            x, x_len, y, y_len = train_batch(batch)
            dur, prior, diff, _ = model(x, x_len, y, y_len, out_size=out_size)
            loss = dur + prior + diff
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            return loss.item()

        return step

    def mas(self, value, mask):
        return self.maximum_path(value, mask)


def main() -> None:
    system_name, arg, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    size = sys.argv[4] if len(sys.argv) > 4 else "ljspeech"
    torch.set_num_threads(threads)
    system = FmttsSystem(arg) if system_name == "fmtts" else MatchaSystem(arg, size)
    trainers: dict[str, object] = {}
    mas_in = mas_inputs()
    print(json.dumps({"ready": True, "params": system.params()}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        task = req["task"]
        if task == "quit":
            break
        t0 = time.perf_counter()
        info: dict[str, object] = {}
        if task == "synth":
            bf16 = req.get("precision") == "bf16"
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                info["frames"] = system.synth(req["batch"])
        elif task == "train":
            out_size, batch = req.get("out_size"), req.get("batch", 8)
            key = f"{out_size}/{batch}"
            if key not in trainers:
                trainers[key] = system.train_setup(out_size, batch)
                t0 = time.perf_counter()
            info["loss"] = trainers[key]()
        elif task == "mas":
            repeat = int(req.get("repeat", 1))  # one call is ~10 ms: too short to time alone on a noisy host
            for _ in range(repeat):
                path = system.mas(*mas_in)
            info["path_sum"] = float(path.sum())
            info["repeat"] = repeat
        elif task == "rss":
            pass
        else:
            raise SystemExit(f"unknown task {task}")
        info["seconds"] = (time.perf_counter() - t0) / int(info.get("repeat", 1))
        info["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(info), flush=True)


if __name__ == "__main__":
    main()
