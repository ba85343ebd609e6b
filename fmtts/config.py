"""Typed configuration: dataclasses loaded from YAML recipes and stored inside every checkpoint.

A recipe YAML has the sections ``model`` (with ``encoder``, ``duration``, ``decoder``, ``cfm``),
``data`` and ``train``. Unknown keys are an error (a typo must not silently fall back to a default).
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal, TypeVar

from fmtts.audio import MelConfig
from fmtts.errors import FmttsError


class ConfigError(FmttsError, ValueError):
    """A recipe or stored config is malformed."""


_Settings = TypeVar("_Settings", bound="DictConvertible")


class DictConvertible:
    """``to_dict``/``from_dict`` for a settings dataclass: nested dataclasses, lists and scalars as plain
    dicts and lists, the form recipes are written in and checkpoints store. :func:`build_dataclass` reads
    them back, checking types; an unknown key is an error that names it and the valid ones."""

    config_kind: ClassVar[str] = "config"  # how error messages name it

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls: type[_Settings], d: dict[str, Any]) -> _Settings:
        return build_dataclass(cls, d, cls.config_kind)


@dataclass
class EncoderConfig:
    channels: int = 192
    ffn_channels: int = 768
    heads: int = 2
    layers: int = 6
    kernel_size: int = 3
    dropout: float = 0.1
    prenet_layers: int = 3


@dataclass
class DurationConfig:
    channels: int = 256
    kernel_size: int = 3
    dropout: float = 0.1


@dataclass
class DecoderConfig:
    """The vector-field estimator. ``unet``: 1-D U-Net with transformer blocks at every level.
    ``dit``: a transformer with adaptive-LayerNorm time conditioning."""

    estimator: Literal["unet", "dit"] = "unet"
    channels: list[int] = field(default_factory=lambda: [256, 256])
    res_blocks: int = 1  # ResNet blocks per U-Net level
    transformer_blocks: int = 1  # transformer blocks per U-Net level (and in the middle)
    # per-level override, full resolution first (the up path mirrors it); e.g. [0, 1, 2] keeps
    # attention off the full-resolution level, where it costs the most per parameter
    level_transformers: list[int] | None = None
    mid_blocks: int = 2
    heads: int = 4
    head_dim: int = 64
    ffn_mult: int = 4
    dropout: float = 0.05
    # DiT only
    dit_dim: int = 256
    dit_layers: int = 6
    patch_size: int = 1  # frames per token (2 halves the sequence the transformer sees)
    conv_pos_kernel: int = 31


@dataclass
class CFMConfig:
    sigma_min: float = 1e-4
    cond_dropout: float = 0.0  # classifier-free guidance: probability of dropping μ (and speaker) in training
    # Step counts the decoder was distilled for (``fmtts distill``): the estimator then also takes the step
    # size d = 1/steps and jumps d in one evaluation. Other step counts integrate the flow (d = 0).
    shortcut_steps: list[int] = field(default_factory=list)


@dataclass
class ModelConfig:
    n_feats: int = 80
    n_speakers: int = 1
    speaker_dim: int = 64
    # a speaker table even for one speaker: a voice fine-tuned from a multi-speaker model on one new speaker
    # keeps the speaker-conditioned layers it starts from, with its own row (fmtts finetune sets it)
    speaker_table: bool = False
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    duration: DurationConfig = field(default_factory=DurationConfig)
    decoder: DecoderConfig = field(default_factory=DecoderConfig)
    cfm: CFMConfig = field(default_factory=CFMConfig)
    prior_loss: bool = True
    out_size: int | None = None  # random mel segment (frames) for the decoder loss; None = whole utterance


@dataclass
class DataConfig:
    intersperse_blank: bool = True
    min_seconds: float = 0.3
    max_seconds: float = 15.0
    val_fraction: float = 0.02
    test_fraction: float = 0.02
    split_seed: int = 1234
    # Train with external durations (``durations/<id>.npy`` beside ``wavs/``, frames per token as the
    # text processor encodes it, e.g. from a forced aligner) instead of monotonic alignment search.
    use_durations: bool = False
    mel: MelConfig = field(default_factory=MelConfig)


# the parts of an acoustic model that can learn or stay as they are (``train.trainable``)
MODEL_PARTS = ("encoder", "duration", "decoder", "speakers")


@dataclass
class TrainConfig:
    batch_size: int = 16
    lr: float = 2e-4
    betas: list[float] = field(default_factory=lambda: [0.9, 0.99])
    weight_decay: float = 0.01
    warmup_steps: int = 1000
    lr_decay: Literal["constant", "cosine"] = "constant"
    max_steps: int = 100_000
    grad_clip: float = 1.0
    ema_decay: float = 0.999
    ema_start: int = 0
    seed: int = 1234
    precision: Literal["fp32", "bf16", "fp16"] = "fp32"  # autocast dtype (bf16/fp16 used on CUDA)
    compile: bool = False
    checkpoint_every: int = 1000
    keep_checkpoints: int = 3
    log_every: int = 50
    val_every: int = 1000
    val_utterances: int = 2
    synth_steps: int = 10
    max_bad_steps: int = 20  # consecutive NaN/inf losses before stopping
    num_workers: int = 0  # processes that collate batches ahead of the step (0: in the training process)
    bucket_size: int = 32  # batches per length bucket (sorting window)
    threads: int | None = None  # torch intra-op threads on CPU
    # the parts that learn (of MODEL_PARTS); the others keep their weights, e.g. a fine-tuning run that
    # adapts only the decoder. "speakers" is a multi-speaker model's speaker table.
    trainable: list[str] = field(default_factory=lambda: list(MODEL_PARTS))


def check_train_counts(train: Any) -> None:
    """Counts and rates of a ``train`` section (acoustic or vocoder) that would crash a run or do nothing."""
    at_least = {"batch_size": 1, "log_every": 1, "checkpoint_every": 1, "max_bad_steps": 1}
    at_least.update(dict.fromkeys(("max_steps", "warmup_steps", "val_every", "keep_checkpoints"), 0))
    for key, low in at_least.items():
        value = getattr(train, key, low)
        if value < low:
            raise ConfigError(f"train.{key} must be at least {low}, got {value}")
    if not train.lr > 0:
        raise ConfigError(f"train.lr must be positive, got {train.lr}")
    trainable = getattr(train, "trainable", None)
    if trainable is not None:
        unknown = [p for p in trainable if p not in MODEL_PARTS]
        if unknown or not trainable:
            raise ConfigError(
                f"train.trainable lists parts of {', '.join(MODEL_PARTS)} (at least one), got {trainable}"
            )


@dataclass
class Config(DictConvertible):
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    name: str = "fmtts"

    def save(self, path: str | Path) -> None:
        """Write as YAML (``.yaml``/``.yml``) or JSON (any other suffix)."""
        path = Path(path)
        if path.suffix in (".yaml", ".yml"):
            import yaml

            path.write_text(yaml.safe_dump(self.to_dict(), sort_keys=False))
        else:
            path.write_text(json.dumps(self.to_dict(), indent=2))


def build_dataclass(cls: type, d: Any, where: str) -> Any:
    """``d`` (a mapping) → ``cls``, recursively, with types checked and unknown keys refused."""
    if not isinstance(d, dict):
        raise ConfigError(f"{where}: expected a mapping, got {type(d).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(d) - names
    if unknown:
        raise ConfigError(f"{where}: unknown keys {sorted(unknown)}; valid keys: {sorted(names)}")
    kwargs = {}
    for key, value in d.items():
        kwargs[key] = _convert(hints[key], value, f"{where}.{key}")
    return cls(**kwargs)


def _convert(tp: Any, value: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    if dataclasses.is_dataclass(tp):
        if isinstance(value, tp):
            return value
        if tp is MelConfig:
            return MelConfig.from_dict(value)
        return build_dataclass(tp, value, where)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        inner = [a for a in args if a is not type(None)]
        return _convert(inner[0], value, where)
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise ConfigError(f"{where}: {value!r} is not one of {typing.get_args(tp)}")
        return value
    if origin is list:
        (item,) = typing.get_args(tp)
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {value!r}")
        return [_convert(item, v, where) for v in value]
    if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if tp is float and isinstance(value, str):
        # YAML 1.1 reads 1e-4 (no dot) as a string: `--set train.lr=1e-4` must still mean 0.0001
        try:
            return float(value)
        except ValueError:
            pass
    if tp is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if tp is bool and isinstance(value, bool):
        return value
    if tp is str and isinstance(value, str):
        return value
    if tp in (float, int, bool, str):
        raise ConfigError(f"{where}: expected {tp.__name__}, got {value!r}")
    return value


def load_config(path: str | Path, overrides: list[str] | None = None) -> Config:
    """Load a recipe (``recipes/<name>.yaml``, a bare recipe name, or a JSON file) with ``a.b.c=value``
    overrides (values parsed as YAML, or JSON where PyYAML is not installed)."""
    raw = load_recipe_dict(path, overrides)
    if raw.get("kind") == "finetune":
        raise ConfigError(
            f"{path} is a fine-tuning schedule: fmtts finetune --voice VOICE --data DIR --out RUN "
            "(its model is the voice's)"
        )
    cfg = Config.from_dict(raw)
    check_train_counts(cfg.train)  # here, not in from_dict: an older checkpoint's config must still load
    return cfg


def recipe_dirs() -> list[Path]:
    """Where bare recipe names are looked up: the ``fmtts/recipes/`` folder an installed wheel has (the
    package data ``fmtts.recipes``), the ``recipes/`` folder of a source checkout (which an editable
    install maps to ``fmtts.recipes``), then a project's own ``recipes/`` in the working directory."""
    package = Path(__file__).resolve().parent
    dirs = (package / "recipes", package.parent / "recipes", Path.cwd() / "recipes")
    return list(dict.fromkeys(d for d in dirs if d.is_dir()))


def recipe_names() -> list[str]:
    return sorted({p.stem for d in recipe_dirs() for p in d.glob("*.yaml")})


def find_recipe(name: str) -> Path | None:
    for d in recipe_dirs():
        if (d / f"{name}.yaml").is_file():
            return d / f"{name}.yaml"
    return None


def load_recipe_dict(path: str | Path, overrides: list[str] | None = None) -> dict[str, Any]:
    """A recipe file (YAML or JSON) by path, or by bare name from :func:`recipe_dirs`, with overrides."""
    p = Path(path)
    if not p.suffix and not p.is_file():  # a folder of that name (a run, a corpus) does not hide the recipe
        p = find_recipe(str(path)) or p
    if not p.is_file():
        raise ConfigError(
            f"config file not found: {path} (recipes shipped with fmtts: {', '.join(recipe_names())})"
        )
    if p.suffix == ".json":
        try:
            raw = json.loads(p.read_text())
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{p}: not valid JSON: {exc}") from exc
    else:
        import yaml

        try:
            raw = yaml.safe_load(p.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{p}: not valid YAML: {exc}") from exc
    for ov in overrides or []:
        if "=" not in ov:
            raise ConfigError(f"override {ov!r} must look like section.key=value")
        key, val = ov.split("=", 1)
        node = raw
        parts = key.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = parse_value(val)
    # MelConfig.from_dict skips unknown keys (checkpoints of older versions); a recipe's typo is an error
    mel = (
        raw.get("data", {}).get("mel")
        if isinstance(raw, dict) and isinstance(raw.get("data"), dict)
        else None
    )
    if isinstance(mel, dict):
        known = {f.name for f in dataclasses.fields(MelConfig)}
        if set(mel) - known:
            raise ConfigError(
                f"data.mel: unknown keys {sorted(set(mel) - known)}; valid keys: {sorted(known)}"
            )
    return raw


def parse_value(text: str):
    """A command-line value as YAML reads it (``[128, 128]`` a list, ``1e-4`` a number), else the text."""
    try:
        import yaml

        return yaml.safe_load(text)
    except ImportError:
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            return text
