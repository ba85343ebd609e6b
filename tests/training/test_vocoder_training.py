"""fmtts's own vocoder: the ISTFTNet generator, its discriminators, losses, audio caches and training."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import REPO

from fmtts.audio import MelConfig, mel_filterbank, save_audio
from fmtts.checkpoint import CheckpointError, list_checkpoints, load_checkpoint
from fmtts.config import ConfigError
from fmtts.data.audio_cache import AudioCache, SegmentSampler, build_audio_cache
from fmtts.mel import mel_spectrogram
from fmtts.paths import VOICES_DIR
from fmtts.training.vocoder_recipe import load_vocoder_recipe
from fmtts.vocoder import ISTFTVocoder, VocoderError, clear_vocoder_cache, export_vocoder, load_vocoder
from fmtts.vocoder.discriminators import Discriminators
from fmtts.vocoder.istft_net import ISTFTHead, ISTFTNet, ISTFTNetConfig
from fmtts.vocoder.losses import MultiResolutionMelLoss, feature_matching_loss


def test_mel_filterbank_equals_librosa() -> None:
    librosa = pytest.importorskip("librosa")
    for sr, n_fft, n_mels, f_max in [
        (22050, 1024, 80, 8000.0),
        (22050, 512, 64, None),
        (16000, 2048, 128, None),
    ]:
        ours = mel_filterbank(sr, n_fft, n_mels, 0.0, f_max)
        ref = librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=0.0, fmax=f_max)
        np.testing.assert_allclose(ours, ref, atol=1e-7)


def test_istft_head_inverts_same_framing_stft() -> None:
    """The head's fixed inverse DFT + overlap-add reconstructs a signal from its "same"-framed STFT: frame t
    centred on t * hop + hop / 2, as the HiFi-GAN mel frames are."""
    torch.manual_seed(0)
    head = ISTFTHead(8, 1024, 256, 10.0)
    frames = 40
    x = torch.randn(2, frames * 256)
    pad = (1024 - 256) // 2
    padded = torch.nn.functional.pad(x[:, None], (pad, pad), mode="reflect")[:, 0]
    spec = torch.stft(padded, 1024, 256, window=torch.hann_window(1024), center=False, return_complex=True)
    assert spec.shape[-1] == frames
    log_mag = torch.log(spec.abs().clamp(min=1e-12))
    proj_out = torch.cat([log_mag, spec.angle()], dim=1).transpose(1, 2)  # what proj would output

    class Identity(torch.nn.Module):
        def forward(self, h: torch.Tensor) -> torch.Tensor:
            return h

    head.proj = Identity()
    y = head(proj_out.transpose(1, 2))
    assert y.shape == x.shape
    assert (y - x).abs().max() < 1e-4


@pytest.mark.parametrize("frames", [1, 7, 64])
def test_generator_output_length_is_frames_times_hop(frames: int) -> None:
    g = ISTFTNet(ISTFTNetConfig(dim=16, ffn_dim=32, blocks=1)).eval()
    with torch.no_grad():
        out = g(torch.randn(3, 80, frames))
    assert out.shape == (3, frames * 256)
    assert torch.isfinite(out).all()


def test_recipe_loads_by_name_and_rejects_mismatch() -> None:
    r = load_vocoder_recipe("cpu")
    assert r.generator.dim > 0 and r.train.batch_size > 0
    assert load_vocoder_recipe("vocoder_tiny").name == "vocoder_tiny"
    with pytest.raises(ConfigError, match="unknown keys"):
        load_vocoder_recipe("tiny", ["train.no_such_key=1"])
    with pytest.raises(ConfigError, match="hop_length"):
        load_vocoder_recipe("tiny", ["generator.hop_length=128"])


def _write_corpus(root: Path, utterances: list[dict]) -> Path:
    (root / "wavs").mkdir(parents=True)
    lines = []
    for i, u in enumerate(utterances * 2):  # 8 clips: enough for train/val/test
        save_audio(root / "wavs" / f"c{i}.wav", u["wav"], 22050)
        lines.append(f"c{i}|{u['text']}|{u['text']}")
    (root / "metadata.csv").write_text("\n".join(lines) + "\n")
    return root


@pytest.fixture(scope="module")
def vocoder_corpus(tmp_path_factory: pytest.TempPathFactory, speech_utterances) -> Path:
    return _write_corpus(tmp_path_factory.mktemp("voc_corpus"), speech_utterances)


@pytest.fixture(scope="module")
def audio_cache(tmp_path_factory: pytest.TempPathFactory, vocoder_corpus: Path) -> Path:
    out = tmp_path_factory.mktemp("voc_cache")
    r = load_vocoder_recipe("tiny")
    d = r.data
    build_audio_cache(
        vocoder_corpus,
        out,
        sample_rate=22050,
        min_seconds=d.min_seconds,
        max_seconds=d.max_seconds,
        val_fraction=d.val_fraction,
        test_fraction=d.test_fraction,
        split_seed=d.split_seed,
        progress=False,
    )
    return out


def test_audio_cache_splits_are_disjoint_and_lossless(audio_cache: Path, vocoder_corpus: Path) -> None:
    caches = {s: AudioCache(audio_cache / s) for s in ("train", "val", "test")}
    ids = [set(c.ids) for c in caches.values()]
    assert sum(len(x) for x in ids) == 8 and not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])
    import soundfile as sf

    train = caches["train"]
    ref, _ = sf.read(vocoder_corpus / "wavs" / f"{train.ids[0]}.wav", dtype="float32")
    assert np.abs(train.clip(0) - ref).max() < 1e-4


def test_segments_match_the_full_utterance_mel(audio_cache: Path) -> None:
    """A segment's mel, computed from the segment with its real context, equals the corresponding frames of
    the whole utterance's mel; and the batch is a pure function of (seed, step)."""
    from fmtts.mel import MelSpectrogram

    cache = AudioCache(audio_cache / "train")
    sampler = SegmentSampler(cache, frames=8, hop=256, n_fft=1024, seed=3)
    b = sampler.batch(5, 4)
    assert b.audio.shape == (4, 8 * 256) and b.context.shape == (4, 7 * 256 + 1024)
    np.testing.assert_array_equal(sampler.batch(5, 4).audio, b.audio)
    assert not np.array_equal(sampler.batch(6, 4).audio, b.audio)
    mel_fn = MelSpectrogram(MelConfig())
    seg_mel = mel_fn.unpadded(torch.from_numpy(b.context))
    assert seg_mel.shape == (4, 80, 8)
    # find segment 0 inside its clip and compare against the full mel
    for i in range(len(cache)):
        clip = cache.clip(i)
        hits = [
            s for s in range(0, len(clip) - 2048 + 1, 256) if np.array_equal(clip[s : s + 2048], b.audio[0])
        ]
        if hits:
            full = mel_spectrogram(clip, MelConfig())
            f0 = hits[0] // 256
            torch.testing.assert_close(seg_mel[0], full[:, f0 : f0 + 8], atol=1e-4, rtol=1e-4)
            return
    pytest.fail("segment not found in any clip")


def test_every_generator_parameter_gets_gradient_from_the_adversarial_loss() -> None:
    torch.manual_seed(0)
    r = load_vocoder_recipe("tiny")
    g, d = ISTFTNet(r.generator), Discriminators(r.discriminator)
    loss_fn = MultiResolutionMelLoss(22050, r.train.mel_resolutions)
    mel = torch.randn(2, 80, 8)
    real = torch.randn(2, 8 * 256) * 0.1
    fake = g(mel)
    d.requires_grad_(False)
    _, real_feats = d(real)
    scores, fake_feats = d(fake)
    loss = loss_fn(fake, real) + sum(s.mean() for s in scores) + feature_matching_loss(real_feats, fake_feats)
    loss.backward()
    for name, p in g.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name
    assert all(p.grad is None for p in d.parameters())


def _train(data: Path, out: Path, overrides: list[str] | None = None, **kw):
    from fmtts.training.vocoder_trainer import VocoderTrainer

    recipe = load_vocoder_recipe("tiny", overrides)
    trainer = VocoderTrainer(recipe, data, out, device="cpu", progress=False, **kw)
    try:
        return trainer.train(), trainer
    finally:
        trainer.close()


def test_tiny_training_has_finite_losses_and_resume_matches_uninterrupted(
    audio_cache: Path, tmp_path: Path, torch_single_thread
) -> None:
    last, full = _train(audio_cache, tmp_path / "full")
    assert full.step == 6 and all(np.isfinite(v) for v in last.values())
    assert "disc" in last and "fm" in last  # past reconstruction_steps the discriminators train
    lines = (tmp_path / "full" / "validation.jsonl").read_text().splitlines()
    assert [json.loads(x)["step"] for x in lines] == [3, 6]

    _train(audio_cache, tmp_path / "split", max_steps=3)
    _, resumed = _train(audio_cache, tmp_path / "split", resume=True)
    assert resumed.step == 6
    a = load_checkpoint(list_checkpoints(tmp_path / "full" / "checkpoints")[-1], kind="vocoder")
    b = load_checkpoint(list_checkpoints(tmp_path / "split" / "checkpoints")[-1], kind="vocoder")
    for key in ("generator", "discriminators"):
        for name in a[key]:
            torch.testing.assert_close(a[key][name], b[key][name], rtol=0, atol=0, msg=f"{key}.{name}")


DISTILL = [
    "train.teacher=griffinlim",  # seeded, so deterministic like a neural teacher, and cheap
    "train.distill_steps=2",
    "train.distill_segment_frames=12",
    "train.distill_margin_frames=2",
]


def test_distillation_phase_trains_towards_the_teacher_then_resumes_exactly(
    audio_cache: Path, tmp_path: Path, torch_single_thread
) -> None:
    """distill (steps 0-1) → reconstruction (2-3) → adversarial (4-5); the teacher cache holds the teacher's
    copy synthesis of each clip; a run split inside the distillation phase matches an uninterrupted one."""
    from fmtts.mel import MelSpectrogram
    from fmtts.training.teacher import teacher_folder
    from fmtts.vocoder import load_vocoder

    data = tmp_path / "data"
    shutil.copytree(audio_cache, data)
    last, split = _train(data, tmp_path / "split", DISTILL, max_steps=1)
    assert "spec" in last and np.isfinite(last["spec"]) and "disc" not in last
    assert [split.phase(s) for s in (0, 1, 2, 3, 4)] == ["distill"] * 2 + ["reconstruction"] * 2 + [
        "adversarial"
    ]
    teacher = AudioCache(teacher_folder(data / "train", "griffinlim"))
    train = AudioCache(data / "train")
    assert teacher.ids == train.ids and np.array_equal(teacher.offsets, train.offsets)
    clip = torch.from_numpy(train.clip(1))
    expected = load_vocoder("griffinlim")(MelSpectrogram(MelConfig())(clip)).numpy()
    got = teacher.clip(1)[: len(expected)]
    assert np.abs(got - expected).max() < 2e-4 and np.abs(got).max() > 1e-3
    batch = split.distill_sampler.batch(0, 2)
    assert batch.teacher.shape == batch.audio.shape == (2, 12 * 256)

    last, full = _train(data, tmp_path / "full", DISTILL)
    assert full.step == 6 and "disc" in last
    _, resumed = _train(data, tmp_path / "split", DISTILL, resume=True)
    assert resumed.step == 6
    a = load_checkpoint(list_checkpoints(tmp_path / "full" / "checkpoints")[-1], kind="vocoder")
    b = load_checkpoint(list_checkpoints(tmp_path / "split" / "checkpoints")[-1], kind="vocoder")
    for name in a["generator"]:
        torch.testing.assert_close(a["generator"][name], b["generator"][name], rtol=0, atol=0, msg=name)

    # past the distillation phase a resumed run no longer needs the teacher (a GPU machine lacks its weights)
    shutil.rmtree(teacher_folder(data / "train", "griffinlim"))
    _, later = _train(data, tmp_path / "split", DISTILL, resume=True, max_steps=7)
    assert later.step == 7 and later.distill_sampler is None
    assert not teacher_folder(data / "train", "griffinlim").exists()


def test_export_with_discriminators_is_a_warm_start(audio_cache: Path, tmp_path: Path, torch_single_thread):
    """export-vocoder --with-discriminators: generator and discriminators, no optimizer state, and
    --init-from starts a new run from exactly those weights."""
    from fmtts.cli import main

    _train(audio_cache, tmp_path / "run")
    ckpt = list_checkpoints(tmp_path / "run" / "checkpoints")[-1]
    warm = tmp_path / "warm.pt"
    args = ["export-vocoder", str(ckpt), str(warm), "--dtype", "fp32", "--with-discriminators"]
    assert main(args) == 0
    saved = load_checkpoint(warm, kind="vocoder")
    assert "discriminators" in saved and "opt_g" not in saved
    _, trainer = _train(audio_cache, tmp_path / "next", init_from=warm, max_steps=0)
    source = load_checkpoint(ckpt, kind="vocoder")
    for key, module in (("generator", trainer.generator), ("discriminators", trainer.discriminators)):
        for name, value in module.state_dict().items():
            torch.testing.assert_close(value, source[key][name], rtol=0, atol=0, msg=f"{key}.{name}")
    generator_only = export_vocoder(ckpt, tmp_path / "g.pt")
    with pytest.raises(CheckpointError, match="no discriminators"):
        export_vocoder(generator_only, tmp_path / "x.pt", discriminators=True)


def test_teacher_cache_build_resumes_after_an_interruption(audio_cache: Path, tmp_path: Path) -> None:
    from fmtts.training import teacher as teacher_mod

    train = AudioCache(audio_cache / "train")
    out = tmp_path / "teacher"
    done = teacher_mod.build_teacher_cache(train, "griffinlim", out, MelConfig(), torch.device("cpu"), False)
    reference = np.asarray(done.audio).copy()
    # as if stopped after the first clip: progress says 1, meta.json not yet written
    (out / "meta.json").unlink()
    settings = {"teacher": "griffinlim", "source": str(train.folder.resolve()), "source_ids": len(train)}
    (out / "progress.json").write_text(json.dumps({"settings": settings, "done": 1}))
    a, b = int(train.offsets[1]), int(train.offsets[2])
    audio = np.load(out / "audio.npy", mmap_mode="r+")
    audio[a:b] = 0
    audio.flush()
    del audio
    again = teacher_mod.build_teacher_cache(train, "griffinlim", out, MelConfig(), torch.device("cpu"), False)
    np.testing.assert_array_equal(np.asarray(again.audio), reference)
    assert not (out / "progress.json").exists()


def test_distillation_needs_a_teacher() -> None:
    with pytest.raises(ConfigError, match="teacher"):
        load_vocoder_recipe("tiny", ["train.distill_steps=3"])
    with pytest.raises(ConfigError, match="margin"):
        load_vocoder_recipe("tiny", [*DISTILL, "train.distill_margin_frames=6"])


def test_resume_falls_back_past_a_corrupt_newest_checkpoint(
    audio_cache: Path, tmp_path: Path, torch_single_thread, caplog
) -> None:
    _train(audio_cache, tmp_path / "run", max_steps=3)
    ckpts = list_checkpoints(tmp_path / "run" / "checkpoints")
    broken = ckpts[-1].with_name("step_00000004.pt")
    broken.write_bytes(ckpts[-1].read_bytes()[:1000])
    with caplog.at_level("WARNING"):
        _, trainer = _train(audio_cache, tmp_path / "run", resume=True)
    assert trainer.step == 6
    assert "step_00000004.pt" in caplog.text and "previous checkpoint" in caplog.text


def test_export_load_and_cli(audio_cache: Path, tmp_path: Path, espeak_speech, torch_single_thread) -> None:
    from fmtts.cli import main

    _train(audio_cache, tmp_path / "run")
    ckpt = list_checkpoints(tmp_path / "run" / "checkpoints")[-1]
    exported = export_vocoder(ckpt, tmp_path / "voc.pt", dtype="fp32")
    clear_vocoder_cache()
    for source in (ckpt, exported):
        voc = load_vocoder(str(source))
        assert isinstance(voc, ISTFTVocoder)
        out = voc(torch.randn(80, 13))
        assert out.shape == (13 * 256,) and out.abs().max() <= 1
    full = ISTFTVocoder.from_file(ckpt, precision="fp32")(torch.randn(2, 80, 5))
    assert full.shape == (2, 5 * 256)
    wav, sr = espeak_speech
    save_audio(tmp_path / "in.wav", wav, sr)
    assert (
        main(["vocode", str(tmp_path / "in.wav"), str(tmp_path / "out.wav"), "--vocoder", str(exported)]) == 0
    )
    import soundfile as sf

    info = sf.info(str(tmp_path / "out.wav"))
    assert info.samplerate == 22050 and info.frames % 256 == 0


@pytest.mark.filterwarnings("ignore:bf16 on a CPU")
def test_onnx_backend_runs_our_vocoder(audio_cache: Path, tmp_path: Path, monkeypatch, torch_single_thread):
    """fmtts's vocoder on ONNX Runtime: the same audio as torch (measured ~1e-6 relative), any length."""
    pytest.importorskip("onnxruntime")
    from fmtts.vocoder.onnx_backend import OnnxVocoder

    monkeypatch.setenv("FMTTS_CACHE", str(tmp_path / "cache"))
    _train(audio_cache, tmp_path / "run")
    exported = export_vocoder(list_checkpoints(tmp_path / "run" / "checkpoints")[-1], tmp_path / "voc.pt")
    clear_vocoder_cache()
    onnx_voc = load_vocoder(str(exported), backend="onnx")
    assert isinstance(onnx_voc, OnnxVocoder)
    torch_voc = load_vocoder(str(exported), backend="torch")
    for shape in ((80, 7), (80, 130), (2, 80, 33)):
        mel = torch.randn(*shape)
        a, b = onnx_voc(mel), torch_voc(mel)
        assert a.shape == b.shape == (*shape[:-2], shape[-1] * 256)
        rel = float(torch.linalg.vector_norm(a - b) / torch.linalg.vector_norm(b))
        assert rel < 1e-3, rel
    with pytest.raises(VocoderError, match="fp32"):
        load_vocoder(str(exported), backend="onnx", precision="bf16")
    with pytest.raises(VocoderError, match="precision"):
        load_vocoder(str(exported), precision="fp8")
    # a damaged cached export (a full disk) is exported again, not a permanent failure
    onnx_voc.onnx_path.write_bytes(b"not an onnx model")
    clear_vocoder_cache()
    again = load_vocoder(str(exported), backend="onnx")
    assert again.onnx_path == onnx_voc.onnx_path and torch.equal(again(mel), a)


def test_vocoder_files_load_safely_with_clear_errors(tmp_path: Path) -> None:
    clear_vocoder_cache()
    text = tmp_path / "notes.pt"
    text.write_text("not a checkpoint")
    with pytest.raises(VocoderError):
        load_vocoder(str(text))
    with pytest.raises(VocoderError, match="not found|unknown"):
        load_vocoder(str(tmp_path / "missing.pt"))
    # an acoustic-model voice is not a vocoder, and the error says so
    voice = VOICES_DIR / "joe.fmtts"
    with pytest.raises(CheckpointError, match="voice"):
        load_checkpoint(voice, kind="vocoder")
    with pytest.raises(VocoderError, match="not a vocoder"):
        load_vocoder(str(voice))
    # a vocoder file with a malicious pickle is refused by the weights-only loader
    import pickle

    class Evil:
        def __reduce__(self):
            return (print, ("owned",))

    evil = tmp_path / "evil.pt"
    torch.save({"kind": "vocoder", "x": Evil()}, evil, pickle_protocol=pickle.HIGHEST_PROTOCOL)
    with pytest.raises(VocoderError) as info:
        load_vocoder(str(evil))
    assert "refuses" in str(info.value)
    assert "weights_only" not in str(info.value) and "can still be loaded" not in str(info.value)


def test_voices_name_their_vocoder_and_synthesize_uses_ours(
    audio_cache: Path, trained_run: Path, tmp_path: Path, monkeypatch, torch_single_thread
) -> None:
    """`fmtts export --vocoder V` stores the vocoder a voice is made for; `TTS.load()` and `fmtts synthesize`
    then use it unless told otherwise; a sidecar <voice>.json can name it for a voice file as shipped."""
    import soundfile as sf

    from fmtts.api import TTS
    from fmtts.cli import main

    monkeypatch.setenv("FMTTS_CACHE", str(tmp_path / "cache"))  # ONNX exports of the default backend

    def ours(tts: TTS) -> bool:  # whichever backend runs it (ONNX Runtime and the API wrap the torch vocoder)
        voc = tts.vocoder
        while hasattr(voc, "torch_vocoder"):
            voc = voc.torch_vocoder
        return isinstance(voc, ISTFTVocoder)

    _train(audio_cache, tmp_path / "voc")
    voc = export_vocoder(list_checkpoints(tmp_path / "voc" / "checkpoints")[-1], tmp_path / "voc.pt")
    voice = tmp_path / "voice.pt"
    assert main(["export", str(trained_run), str(voice), "--vocoder", str(voc)]) == 0
    clear_vocoder_cache()
    assert ours(TTS.load(voice, device="cpu"))
    assert not ours(TTS.load(voice, device="cpu", vocoder="griffinlim"))
    out = tmp_path / "out.wav"
    assert main(["synthesize", "Hello there.", str(out), "--checkpoint", str(voice), "--steps", "2"]) == 0
    assert sf.info(str(out)).frames % 256 == 0
    plain = tmp_path / "plain.pt"
    assert main(["export", str(trained_run), str(plain)]) == 0
    assert not ours(TTS.load(plain, device="cpu"))  # universal by default
    plain.with_suffix(".json").write_text(json.dumps({"vocoder": str(voc)}))
    assert ours(TTS.load(plain, device="cpu"))


def test_gpu_carry_packing_is_lossless(audio_cache: Path, tmp_path: Path, torch_single_thread) -> None:
    """egs/demo/pack_vocoder_carry.py: the packed audio unpacks bit-exactly (wrap-around deltas included)
    into audio caches a run trains on, with a warm start and a recipe without the distillation phase."""
    import importlib.util
    import subprocess
    import sys

    script = REPO / "egs" / "demo" / "pack_vocoder_carry.py"
    spec = importlib.util.spec_from_file_location("pack_vocoder_carry", script)
    pack = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pack)
    edge = np.array([0, 32767, -32768, 32767, -1, -32768, 5], dtype=np.int16)
    assert np.array_equal(pack.decode(pack.encode(edge)), edge)

    _train(audio_cache, tmp_path / "run", max_steps=1)
    ckpt = list_checkpoints(tmp_path / "run" / "checkpoints")[-1]
    packed, unpacked = tmp_path / "carry", tmp_path / "data"
    run = [sys.executable, str(script)]
    subprocess.run(
        [*run, "pack", "--cache", str(audio_cache), "--checkpoint", str(ckpt), "--out", str(packed)],
        check=True,
    )
    subprocess.run([*run, "unpack", str(packed), str(unpacked)], check=True)
    for split in ("train", "val"):
        a, b = AudioCache(audio_cache / split), AudioCache(unpacked / split)
        assert a.ids == b.ids and np.array_equal(np.asarray(a.audio), np.asarray(b.audio))
    recipe = json.loads((packed / "recipe.json").read_text())
    assert recipe["train"]["distill_steps"] == 0 and recipe["train"]["teacher"] is None
    assert "discriminators" in load_checkpoint(packed / "warm.pt", kind="vocoder")


def test_runs_refuse_a_used_folder_and_resume_past_run_control_changes(
    audio_cache: Path, tmp_path: Path, torch_single_thread
) -> None:
    """A fresh start into a folder with checkpoints would prune its own new ones: refused. A resume may
    change how the run is steered (threads, logging, checkpoint and validation cadence), not what it
    learns; validation lines past the resumed checkpoint (a crash after them) are written once again."""
    from fmtts.training.common import TrainingError

    run = tmp_path / "run"
    _train(audio_cache, run, max_steps=3)
    with pytest.raises(TrainingError, match="--resume"):
        _train(audio_cache, run)
    with pytest.raises(TrainingError, match="another recipe"):
        _train(audio_cache, run, ["train.lr=5e-4"], resume=True)
    with open(run / "validation.jsonl", "a") as f:
        f.write(json.dumps({"step": 5, "mel_l1": 9.9}) + "\n")  # as if the run had crashed after step 5
        f.write('{"step": 6, "mel_l')  # ... in the middle of writing a line
    steering = ["train.threads=2", "train.log_every=1", "train.checkpoint_every=2", "train.val_every=2"]
    _, trainer = _train(audio_cache, run, steering, resume=True)
    assert trainer.step == 6
    lines = [json.loads(x) for x in (run / "validation.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines] == [3, 4, 6] and all(x["mel_l1"] < 9 for x in lines)


def test_a_skipped_step_is_retried_on_other_segments(
    audio_cache: Path, tmp_path: Path, torch_single_thread, monkeypatch
) -> None:
    """A non-finite step must not retry the very same batch (a deterministic failure would repeat until
    the run stops); the retry is still a pure function of (seed, rank, step, attempt)."""
    from fmtts.training.vocoder_trainer import VocoderTrainer

    sampler = SegmentSampler(AudioCache(audio_cache / "train"), 8, 256, 1024, seed=1)
    first, again, retry = sampler.batch(4, 2), sampler.batch(4, 2, 0), sampler.batch(4, 2, 1)
    assert np.array_equal(first.audio, again.audio) and not np.array_equal(first.audio, retry.audio)
    assert np.array_equal(retry.audio, sampler.batch(4, 2, 1).audio)

    calls: list[tuple[int, int]] = []
    real_batch = SegmentSampler.batch

    def spy(self, step, batch_size, attempt=0):
        calls.append((step, attempt))
        return real_batch(self, step, batch_size, attempt)

    verdicts = iter([False])  # the first finiteness check fails, every later one passes
    monkeypatch.setattr(SegmentSampler, "batch", spy)
    monkeypatch.setattr(VocoderTrainer, "_all_finite", lambda self, value: next(verdicts, True))
    _, trainer = _train(audio_cache, tmp_path / "run", max_steps=2)
    assert trainer.step == 2 and calls == [(0, 0), (0, 1), (1, 0)]


def test_warm_starts_and_data_options_are_checked(audio_cache: Path, tmp_path: Path, torch_single_thread):
    """The discriminators' learning rate warms up from the first step; --init-from refuses weights made for
    another mel even when the tensors fit; --split-from cannot re-split a built cache; counts that would
    crash a run are refused when the recipe loads."""
    from fmtts.training.common import TrainingError
    from fmtts.training.vocoder_trainer import VocoderTrainer, resolve_audio_data

    recipe = load_vocoder_recipe("tiny", ["train.warmup_steps=10"])
    trainer = VocoderTrainer(
        recipe, audio_cache, tmp_path / "w", device="cpu", progress=False, tensorboard=False
    )
    lr_g, lr_d = trainer.opt_g.param_groups[0]["lr"], trainer.opt_d.param_groups[0]["lr"]
    assert lr_d == lr_g == pytest.approx(recipe.train.lr / 10)

    _train(audio_cache, tmp_path / "run", max_steps=1)
    warm = list_checkpoints(tmp_path / "run" / "checkpoints")[-1]
    with pytest.raises(TrainingError, match="f_max"):
        _train(audio_cache, tmp_path / "next", ["data.mel.f_max=7000"], init_from=warm, max_steps=0)

    with pytest.raises(TrainingError, match="split-from"):
        resolve_audio_data(recipe, audio_cache, tmp_path / "prep", split_from=tmp_path)

    for bad in ("train.log_every=0", "train.checkpoint_every=0", "train.batch_size=0", "train.lr=0"):
        with pytest.raises(ConfigError, match=bad.split("=")[0]):
            load_vocoder_recipe("tiny", [bad])


def test_onnx_vocoder_files_load_into_torch(audio_cache: Path, tmp_path: Path, torch_single_thread) -> None:
    """An .onnx vocoder file, the only form a package ships, rebuilds the torch generator: the weights of the
    file it was exported from (initializers the exporter merged because they were equal, an untrained
    generator's zero biases, come back under every name), the same audio on torch and ONNX Runtime, a warm
    start for --init-from, a torch file again; errors say what is wrong with a file."""
    import onnx

    from fmtts.checkpoint import save_checkpoint
    from fmtts.onnx_export import export_vocoder_onnx
    from fmtts.runtime.vocoder import OnnxVocoderFile
    from fmtts.vocoder.istft_vocoder import load_vocoder_checkpoint
    from fmtts.vocoder.weights import embedded_vocoders

    recipe = load_vocoder_recipe("tiny")
    torch.manual_seed(0)
    generator = ISTFTNet(recipe.generator)
    state = generator.state_dict()
    pt = save_checkpoint(
        {
            "kind": "vocoder",
            "generator_config": recipe.generator.to_dict(),
            "mel_config": recipe.data.mel.to_dict(),
            "generator": state,
            "step": 7,
        },
        tmp_path / "voc.pt",
    )
    clear_vocoder_cache()
    out = export_vocoder_onnx(pt, tmp_path / "voc.onnx", weights="fp32")
    meta = json.loads({p.key: p.value for p in onnx.load(str(out)).metadata_props}["fmtts_vocoder"])
    assert meta["kind"] == "istftnet" and meta["generator_config"] == recipe.generator.to_dict()
    assert meta["step"] == 7 and meta["aliases"]  # the zero biases were merged
    ckpt = load_vocoder_checkpoint(out)
    assert ckpt["step"] == 7 and set(ckpt["generator"]) == set(state)
    assert all(torch.equal(ckpt["generator"][k], v) for k, v in state.items())
    mel = torch.randn(2, 80, 9) - 5
    ref = load_vocoder(str(pt))(mel)
    voc = load_vocoder(str(out))
    assert isinstance(voc, ISTFTVocoder) and torch.equal(voc(mel), ref)
    assert float(np.abs(OnnxVocoderFile(out, threads=1)(mel.numpy()) - ref.numpy()).max()) < 1e-5
    back = export_vocoder(out, tmp_path / "back.pt", dtype="fp32")
    assert torch.equal(load_vocoder(str(back))(mel), ref)
    # fp16 weights: the torch generator gets the fp16 numbers, as from an fp16 torch file
    half = export_vocoder_onnx(pt, tmp_path / "half.onnx")
    half_pt = export_vocoder(pt, tmp_path / "half.pt", dtype="fp16")
    assert torch.equal(load_vocoder(str(half))(mel), load_vocoder(str(half_pt))(mel))
    # int8 weights: torch decodes them as ONNX Runtime does, smaller than fp16 (half its bytes but for this
    # tiny generator's small tensors), close to fp32's audio
    small = export_vocoder_onnx(pt, tmp_path / "small.onnx", weights="int8")
    on_torch = load_vocoder(str(small))(mel).numpy()
    assert float(np.abs(OnnxVocoderFile(small, threads=1)(mel.numpy()) - on_torch).max()) < 1e-5
    assert 0 < float(np.abs(on_torch - ref.numpy()).max()) < 0.05 * float(np.abs(ref.numpy()).max())

    def weight_bytes(path: Path) -> int:
        return sum(len(init.raw_data) for init in onnx.load(str(path)).graph.initializer)

    assert weight_bytes(small) < 0.6 * weight_bytes(half)
    # a warm start from the .onnx file
    _, trainer = _train(audio_cache, tmp_path / "run", init_from=out, max_steps=0)
    assert all(torch.equal(trainer.generator.state_dict()[k].cpu(), v) for k, v in state.items())
    # shipped vocoders: a .onnx file is found too, the .pt preferred where a name has both
    shipped = tmp_path / "shipped"
    shipped.mkdir()
    for name in ("voc.pt", "voc.onnx", "other.onnx"):
        shutil.copy(pt if name.endswith(".pt") else out, shipped / name)
    assert embedded_vocoders(shipped) == {"other": shipped / "other.onnx", "voc": shipped / "voc.pt"}

    def rewritten(name: str, edit) -> str:
        proto = onnx.load(str(out))
        edit(proto)
        onnx.save(proto, str(tmp_path / name))
        return str(tmp_path / name)

    def with_meta(info: dict):
        def edit(proto) -> None:
            proto.metadata_props[0].value = json.dumps(info)

        return edit

    clear_vocoder_cache()
    with pytest.raises(VocoderError, match="without fmtts vocoder metadata"):
        load_vocoder(rewritten("plain.onnx", lambda proto: proto.ClearField("metadata_props")))
    older = {k: v for k, v in meta.items() if k not in ("kind", "generator_config")}
    with pytest.raises(VocoderError, match="older fmtts.*export it again"):
        load_vocoder(rewritten("old.onnx", with_meta(older)))
    wider = {**meta["generator_config"], "dim": meta["generator_config"]["dim"] * 2}
    with pytest.raises(VocoderError, match="do not fit the istftnet generator.*shape mismatch"):
        load_vocoder(rewritten("wide.onnx", with_meta({**meta, "generator_config": wider})))
    with pytest.raises(VocoderError, match="do not fit.*missing"):
        load_vocoder(rewritten("lost.onnx", with_meta({**meta, "aliases": {}})))
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not an onnx model")
    with pytest.raises(VocoderError, match="not a readable ONNX file"):
        load_vocoder(str(garbage))
    with pytest.raises(CheckpointError, match="not a readable ONNX file"):
        load_vocoder_checkpoint(garbage)
