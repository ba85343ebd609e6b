"""The typed recipe of a vocoder run (``recipes/vocoder_<name>.yaml``), stored inside its checkpoints."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from fmtts.audio import MelConfig
from fmtts.config import ConfigError, DictConvertible, check_train_counts, find_recipe, load_recipe_dict
from fmtts.vocoder.discriminators import DiscriminatorConfig
from fmtts.vocoder.istft_net import ISTFTNetConfig


@dataclass
class VocoderDataConfig:
    """Which clips a vocoder trains on (the split rules of :class:`DataConfig`) and the input mel."""

    min_seconds: float = 0.3
    max_seconds: float = 15.0
    val_fraction: float = 0.02
    test_fraction: float = 0.02
    split_seed: int = 1234
    mel: MelConfig = field(default_factory=MelConfig)


@dataclass
class VocoderTrainConfig:
    batch_size: int = 16
    segment_frames: int = 32  # random training segments, in mel frames
    lr: float = 2.0e-4
    betas: list[float] = field(default_factory=lambda: [0.8, 0.99])
    weight_decay: float = 0.0
    lr_decay: Literal["none", "cosine"] = "cosine"
    warmup_steps: int = 0
    max_steps: int = 1_000_000
    # generator-only steps (mel loss) before the discriminators join: a cheap start that gets the
    # spectral envelope right, after which adversarial training restores the harmonics
    reconstruction_steps: int = 0
    # distillation, the first phase when ``teacher`` names a vocoder: ``distill_steps`` generator-only
    # steps towards the teacher's output for the same mel (cached once per audio cache), which fixes the
    # phase as well as the spectrum; then ``reconstruction_steps``, then adversarial training on real audio
    teacher: str | None = None
    distill_steps: int = 0
    distill_segment_frames: int = 0  # 0: segment_frames
    distill_margin_frames: int = 0  # left out of the loss at each end: the teacher saw context there
    distill_weight: float = 45.0
    distill_resolutions: list[list[int]] = field(
        default_factory=lambda: [[512, 128], [1024, 256], [2048, 512]]
    )  # [n_fft, hop] pairs
    mel_weight: float = 45.0
    feature_weight: float = 2.0
    adversarial_weight: float = 1.0
    mel_resolutions: list[list[int]] = field(default_factory=lambda: [[512, 64], [1024, 80], [2048, 128]])
    grad_clip: float = 100.0
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"  # autocast on CUDA only
    seed: int = 1234
    threads: int = 0
    log_every: int = 50
    checkpoint_every: int = 500
    keep_checkpoints: int = 3
    val_every: int = 1000
    val_utterances: int = 4
    max_bad_steps: int = 20


@dataclass
class VocoderRecipe(DictConvertible):
    config_kind: ClassVar[str] = "vocoder recipe"

    generator: ISTFTNetConfig = field(default_factory=ISTFTNetConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    data: VocoderDataConfig = field(default_factory=VocoderDataConfig)
    train: VocoderTrainConfig = field(default_factory=VocoderTrainConfig)
    name: str = "vocoder"

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> VocoderRecipe:
        recipe = super().from_dict(d)
        g, m = recipe.generator, recipe.data.mel
        if (g.n_mels, g.hop_length) != (m.n_mels, m.hop_length):
            raise ConfigError("generator n_mels/hop_length must match data.mel")
        sizes = [int(r[0]) for r in recipe.train.mel_resolutions]
        if any(len(r) != 2 for r in recipe.train.mel_resolutions) or len(set(sizes)) != len(sizes):
            raise ConfigError("train.mel_resolutions: [n_fft, n_mels] pairs with distinct n_fft values")
        t = recipe.train
        if t.distill_steps > 0 and not t.teacher:
            raise ConfigError("train.distill_steps needs train.teacher (a vocoder name or path)")
        frames = t.distill_segment_frames or t.segment_frames
        if t.distill_steps > 0 and frames <= 2 * t.distill_margin_frames:
            raise ConfigError("train.distill_margin_frames leaves nothing of the distillation segment")
        return recipe


def load_vocoder_recipe(path: str | Path, overrides: list[str] | None = None) -> VocoderRecipe:
    """:func:`load_config` for vocoder recipes (``recipes/vocoder_<name>.yaml``)."""
    p = Path(path)
    if not p.suffix and not p.exists() and not str(path).startswith("vocoder_"):
        if find_recipe(f"vocoder_{path}") is not None:
            path = f"vocoder_{path}"
    recipe = VocoderRecipe.from_dict(load_recipe_dict(path, overrides))
    # here, not in from_dict: a checkpoint's recipe from an older version must still load
    check_train_counts(recipe.train)
    if recipe.train.segment_frames < 1:
        raise ConfigError(f"train.segment_frames must be at least 1, got {recipe.train.segment_frames}")
    return recipe
