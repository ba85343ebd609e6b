"""Several speakers in one model: a speaker column in metadata.csv, corpora merged by `fmtts prepare --data
A --data B`, speaker ids through the caches and batches into the model, a tiny two-speaker model that
trains and speaks differently per speaker on both backends, `--init-from` a one-speaker voice, and clear
errors for an unknown speaker (API, CLI; HTTP and Wyoming in test_server.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from conftest import REPO, TEXT, make_trainer

from fmtts.api import TTS, SynthesisError
from fmtts.checkpoint import list_checkpoints, load_checkpoint
from fmtts.cli import main
from fmtts.data.cache import CacheWriter, FeatureCache
from fmtts.data.dataset import CachedDataset, collate
from fmtts.data.merge import merge_corpora, parse_source
from fmtts.data.prepare import DatasetError, read_metadata
from fmtts.training.common import TrainingError

pytestmark = pytest.mark.usefixtures("torch_single_thread")

SPEAKERS = ["low", "high"]
# the bound of test_runtime.py: ONNX Runtime's fp32 graphs against torch's fp32 model
MEL_BOUND_FP32 = 2e-3
PREPARE_SET = ["--set", "data.val_fraction=0.1", "--set", "data.test_fraction=0.1"]


def shifted(wav: np.ndarray, sr: int) -> np.ndarray:
    """The same speech 1.25 times higher and faster: another "speaker" for the tests."""
    from fmtts.audio import resample

    return np.ascontiguousarray(resample(wav, sr, int(sr * 0.8)), dtype=np.float32)


def write_corpora(root: Path, utterances: list[dict]) -> dict[str, Path]:
    """Two LJSpeech-format corpora of the spoken test sentences: ``low`` as spoken, ``high`` shifted."""
    folders = {}
    for name in SPEAKERS:
        folder = root / f"corpus_{name}"
        (folder / "wavs").mkdir(parents=True)
        lines = []
        for i, u in enumerate(utterances):
            wav = u["wav"] if name == "low" else shifted(u["wav"], 22050)
            sf.write(folder / "wavs" / f"{name}{i}.wav", wav, 22050, subtype="PCM_16")
            lines.append(f"{name}{i}|{u['text']}|{u['text']}")
        (folder / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        folders[name] = folder
    return folders


def prepare_two_speakers(root: Path, utterances: list[dict]) -> Path:
    """``fmtts prepare --data low=A --data high=B``: the prepared two-speaker folder."""
    folders = write_corpora(root, utterances)
    out = root / "prepared"
    argv = ["prepare", "--config", "tiny", "--out", str(out), *PREPARE_SET]
    for name, folder in folders.items():
        argv += ["--data", f"{name}={folder}"]
    assert main(argv) == 0
    return out


def train_two_speakers(cfg, data: Path, out: Path, steps: int, **kw):
    trainer = make_trainer(cfg, data, out, max_steps=steps, **kw)
    try:
        trainer.train()
    finally:
        trainer.close()
    return trainer


def two_speaker_config(make_tiny_config, *more: str):
    return make_tiny_config("model.n_speakers=2", "model.speaker_dim=8", "train.batch_size=2", *more)


@pytest.fixture(scope="module")
def two_speaker_data(tmp_path_factory, speech_utterances) -> Path:
    return prepare_two_speakers(tmp_path_factory.mktemp("speakers"), speech_utterances)


@pytest.fixture(scope="module")
def two_speaker_run(two_speaker_data: Path, tmp_path_factory, make_tiny_config) -> Path:
    out = tmp_path_factory.mktemp("two_speaker_run")
    train_two_speakers(two_speaker_config(make_tiny_config), two_speaker_data, out, 20)
    return list_checkpoints(out / "checkpoints")[-1]


@pytest.fixture(scope="module")
def two_speaker_file(two_speaker_run: Path, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("two_speaker_voice") / "duo.fmtts"
    assert main(["export", str(two_speaker_run), str(out), "--dtype", "fp32"]) == 0
    return out


# -------------------------------------------------------------------------------------------- the data


def test_metadata_speaker_column(tmp_path: Path) -> None:
    """Field 4 names the speaker; where some lines name one, a line without is skipped, as is a name the
    server could not take (``voice:speaker``)."""
    (tmp_path / "metadata.csv").write_text(
        "a1|Hello.|Hello.|ann\nb1|Hi.||bob\nx1|No speaker.\nc1|Colon.|Colon.|c:d\na2|Again.|Again.|ann\n",
        encoding="utf-8",
    )
    utts, skipped = read_metadata(tmp_path)
    assert [(u.utt_id, u.text, u.speaker) for u in utts] == [
        ("a1", "Hello.", "ann"),
        ("b1", "Hi.", "bob"),
        ("a2", "Again.", "ann"),
    ]
    reasons = {s["id"]: s["reason"] for s in skipped}
    assert "no speaker" in reasons["x1"] and "colon" in reasons["c1"]
    # an empty fourth field names no speaker: an LJSpeech file with a trailing '|' stays one speaker
    (tmp_path / "metadata.csv").write_text("a1|Hello.|Hello.|\na2|Hi.|Hi.\n", encoding="utf-8")
    utts, skipped = read_metadata(tmp_path)
    assert [u.speaker for u in utts] == [None, None] and not skipped


def test_merge_corpora_names_speakers_and_keeps_their_splits(tmp_path: Path) -> None:
    """Merging writes NAME/id lines with the speaker in field 4 and one link per corpus; a corpus that
    already names speakers keeps them; split lists are carried over with the merged ids."""
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, lines in ((a, ["u1|One.", "u2|Two.", "u3|Three."]), (b, ["v1|Four.||p1", "v2|Five.||p2"])):
        (folder / "wavs").mkdir(parents=True)
        (folder / "filelists").mkdir()
        (folder / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (a / "corpus.json").write_text(json.dumps({"source": {"name": "joe"}}))
    (a / "filelists" / "val.txt").write_text("u2\n")
    (b / "filelists" / "test.txt").write_text("DUMMY/v2.wav|Five.\n")
    assert parse_source(str(a)).name == "joe" and parse_source(f"x={b}").name == "x"
    out = tmp_path / "merged"
    summary = merge_corpora([str(a), f"vctk={b}"], out)
    assert summary["speakers"] == ["joe", "p1", "p2"]
    assert (out / "metadata.csv").read_text().splitlines() == [
        "joe/u1|One.|One.|joe",
        "joe/u2|Two.|Two.|joe",
        "joe/u3|Three.|Three.|joe",
        "vctk/v1|Four.|Four.|p1",
        "vctk/v2|Five.|Five.|p2",
    ]
    assert (out / "wavs" / "joe").resolve() == (a / "wavs").resolve()
    lists = {s: (out / "filelists" / f"{s}.txt").read_text().split() for s in ("train", "val", "test")}
    assert lists == {"train": ["joe/u1", "joe/u3", "vctk/v1"], "val": ["joe/u2"], "test": ["vctk/v2"]}
    # a corpus without lists beside one with them: say so rather than guess
    (b / "filelists" / "test.txt").unlink()
    with pytest.raises(DatasetError, match="split lists"):
        merge_corpora([str(a), f"vctk={b}"], out)
    with pytest.raises(DatasetError, match="both named"):
        merge_corpora([f"s={a}", f"s={b}"], out)


def test_prepare_stores_each_clips_speaker(two_speaker_data: Path) -> None:
    report = json.loads((two_speaker_data / "prepare_report.json").read_text())
    assert list(report["speakers"]) == SPEAKERS  # in --data order: low is speaker 0
    assert all(counts["train"] > 0 for counts in report["speakers"].values())
    cache = FeatureCache(two_speaker_data / "cache" / "train")
    assert cache.speakers == SPEAKERS and cache.n_speakers == 2
    assert [SPEAKERS[cache.speaker(i)] for i in range(len(cache))] == [i.split("/")[0] for i in cache.ids]
    batch = collate([CachedDataset(cache)[i] for i in range(len(cache))])
    assert batch["speakers"].tolist() == cache.speaker_ids.tolist()
    line = (two_speaker_data / "filelists" / "train.txt").read_text().splitlines()[0]
    assert line.split("|")[3] == line.split("/")[0]
    # packing keeps the speakers
    from fmtts.data.portable import pack_caches, unpack_caches

    packed = pack_caches(two_speaker_data, two_speaker_data.parent / "duo.pack")
    unpack_caches(packed, two_speaker_data.parent / "unpacked")
    again = FeatureCache(two_speaker_data.parent / "unpacked" / "cache" / "train")
    assert again.speakers == SPEAKERS and again.speaker_ids.tolist() == cache.speaker_ids.tolist()


def test_prepare_splits_each_speaker_by_the_same_fractions(two_speaker_data: Path) -> None:
    """4 clips a speaker at 10 % val and test: each speaker gets one of each (one permutation of all 8
    clips would give one val and one test clip between them)."""
    report = json.loads((two_speaker_data / "prepare_report.json").read_text())
    assert report["split"]["random"]["per_speaker"] is True
    assert report["speakers"] == {name: {"train": 2, "val": 1, "test": 1} for name in SPEAKERS}
    test_lines = (two_speaker_data / "filelists" / "test.txt").read_text().splitlines()
    assert sorted(line.split("|")[3] for line in test_lines) == sorted(SPEAKERS)


# ----------------------------------------------------------------------------------------- the model


def test_two_speaker_model_trains(two_speaker_data: Path, tmp_path: Path, make_tiny_config) -> None:
    """A few steps: the losses stay finite and fall (measured on the training clips with fixed noise)."""
    cfg = two_speaker_config(make_tiny_config)
    trainer = make_trainer(cfg, two_speaker_data, tmp_path / "run", max_steps=15)

    def loss() -> float:
        batch = collate([CachedDataset(trainer.train_cache)[i] for i in range(len(trainer.train_cache))])
        assert batch["speakers"].unique().tolist() == [0, 1]
        with torch.random.fork_rng(), torch.no_grad():
            torch.manual_seed(0)
            out = trainer.model(
                batch["tokens"],
                batch["token_lengths"],
                batch["mels"],
                batch["mel_lengths"],
                batch["speakers"],
            )
        return float(out["duration"] + out["prior"] + out["flow"])

    before = loss()
    try:
        last = trainer.train()
    finally:
        trainer.close()
    after = loss()
    assert all(np.isfinite(v) for v in last.values())
    assert after < before
    ckpt = load_checkpoint(list_checkpoints(tmp_path / "run" / "checkpoints")[-1])
    assert ckpt["speakers"] == SPEAKERS


def test_model_speaker_count_must_match_the_data(
    two_speaker_data: Path, prepared_data: Path, tmp_path: Path, make_tiny_config
) -> None:
    with pytest.raises(TrainingError, match=r"n_speakers is 1 .* 2 speakers \(low, high\).*n_speakers=2"):
        make_trainer(make_tiny_config(), two_speaker_data, tmp_path / "a", max_steps=1)
    with pytest.raises(TrainingError, match="n_speakers is 3"):
        make_trainer(make_tiny_config("model.n_speakers=3"), two_speaker_data, tmp_path / "b", max_steps=1)
    with pytest.raises(TrainingError, match="one speaker"):
        make_trainer(make_tiny_config("model.n_speakers=2"), prepared_data, tmp_path / "c", max_steps=1)


def test_each_speaker_speaks_differently(two_speaker_run: Path) -> None:
    tts = TTS.load(two_speaker_run, backend="torch", device="cpu", vocoder="griffinlim")
    assert tts.speakers == SPEAKERS
    low = tts.synthesize(TEXT, steps=3, seed=3, speaker="low")
    high = tts.synthesize(TEXT, steps=3, seed=3, speaker="high")
    default = tts.synthesize(TEXT, steps=3, seed=3)
    by_index = tts.synthesize(TEXT, steps=3, seed=3, speaker=1)
    np.testing.assert_array_equal(default.mel, low.mel)  # the first speaker unless told
    np.testing.assert_array_equal(by_index.mel, high.mel)
    n = min(low.mel.shape[1], high.mel.shape[1])
    assert low.durations != high.durations or float(np.abs(low.mel[:, :n] - high.mel[:, :n]).max()) > 0.05
    # the model itself: the speaker embedding reaches the decoder, not only the durations
    model = tts.model
    ids = torch.tensor([tts.text.text_to_ids(TEXT)])
    lengths = torch.tensor([ids.shape[1]])
    mels = []
    for k in (0, 1):
        durations = torch.ones_like(ids) * 3  # the same frames for both: compare the mels frame by frame
        g = torch.Generator().manual_seed(0)
        speakers = torch.tensor([k])
        mels.append(model.synthesize(ids, lengths, speakers=speakers, durations=durations, generator=g).mel)
    assert float((mels[0] - mels[1]).abs().max()) > 0.05


def test_onnx_voice_file_speaks_each_speaker_as_torch(two_speaker_run: Path, two_speaker_file: Path) -> None:
    from fmtts.runtime.voice_file import VoiceFile

    assert VoiceFile.read(two_speaker_file).speakers == SPEAKERS
    torch_voice = TTS.load(two_speaker_run, backend="torch", device="cpu", vocoder="griffinlim")
    onnx_voice = TTS.load(two_speaker_file, vocoder="griffinlim", threads=1)
    same_file = TTS.load(two_speaker_file, backend="torch", vocoder="griffinlim")
    assert onnx_voice.backend == "onnx" and onnx_voice.speakers == same_file.speakers == SPEAKERS
    text = TEXT + " And a second sentence, to batch."
    mels = {}
    for speaker in SPEAKERS:
        a = torch_voice.synthesize(text, steps=3, seed=3, speaker=speaker)
        b = onnx_voice.synthesize(text, steps=3, seed=3, speaker=speaker)
        c = same_file.synthesize(text, steps=3, seed=3, speaker=speaker)
        assert a.durations == b.durations == c.durations and a.mel.shape == b.mel.shape
        assert float(np.abs(a.mel - b.mel).max()) < MEL_BOUND_FP32
        assert float(np.abs(c.mel - b.mel).max()) < MEL_BOUND_FP32
        mels[speaker] = b
    low, high = mels["low"], mels["high"]
    n = min(low.mel.shape[1], high.mel.shape[1])
    assert low.durations != high.durations or float(np.abs(low.mel[:, :n] - high.mel[:, :n]).max()) > 0.05
    # streaming passes the speaker too
    pieces = list(
        onnx_voice.stream(TEXT, seed=1, steps=2, speaker="high", window=100_000, first_window=100_000)
    )
    whole = onnx_voice.synthesize(TEXT, seed=1, steps=2, speaker="high")
    assert np.allclose(np.concatenate([p.audio for p in pieces]), whole.audio, atol=1e-4)


def test_unknown_speaker_is_a_clear_error(
    two_speaker_run: Path, two_speaker_file: Path, voice, tmp_path: Path, capsys
) -> None:
    onnx_voice = TTS.load(two_speaker_file, vocoder="griffinlim", threads=1)
    for tts in (onnx_voice, TTS.load(two_speaker_run, backend="torch", device="cpu", vocoder="griffinlim")):
        with pytest.raises(SynthesisError, match=r"unknown speaker 'nobody'.*\['low', 'high'\]"):
            tts.synthesize(TEXT, speaker="nobody")
        with pytest.raises(SynthesisError, match="unknown speaker 2"):
            tts.stream(TEXT, speaker=2)
    with pytest.raises(SynthesisError, match="unknown speaker 'low'.*one speaker"):
        voice.synthesize(TEXT, speaker="low")  # a one-speaker voice

    out = tmp_path / "out.wav"
    argv = ["synthesize", TEXT, str(out), "--voice", str(two_speaker_file), "--vocoder", "griffinlim"]
    assert main([*argv, "--speaker", "nobody"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: unknown speaker 'nobody'") and not out.exists()
    assert not any(line.startswith("Traceback") for line in err)
    for speaker in ("high", "1"):
        assert main([*argv, "--speaker", speaker, "--seed", "2", "--steps", "2"]) == 0, (
            capsys.readouterr().err
        )
    expected = onnx_voice.synthesize(TEXT, speaker="high", seed=2, steps=2).audio
    audio, _ = sf.read(out, dtype="float32")
    assert len(audio) == len(expected)


# ------------------------------------------------------------------------------------------ init-from


def test_init_from_a_one_speaker_voice_starts_every_speaker_as_it(
    trained_run: Path, two_speaker_data: Path, tmp_path: Path, make_tiny_config
) -> None:
    """The speaker table is new and every layer reading it starts at zero: before any step, both
    speakers' encoder, durations and decoder equal the source voice's; training then separates them.
    The source may be a checkpoint or a .fmtts voice file."""
    from fmtts.torch_backend import load_model

    source, _ = load_model(trained_run)
    cfg = two_speaker_config(make_tiny_config, "train.warmup_steps=1")
    trainer = make_trainer(cfg, two_speaker_data, tmp_path / "tuned", max_steps=6, init_from=trained_run)
    model = trainer.model.eval()
    ids = torch.randint(1, source.n_vocab, (2, 11))
    lengths = torch.tensor([11, 7])
    x, mu = torch.randn(2, 80, 24), torch.randn(2, 80, 24)
    mask, t = torch.ones(2, 1, 24), torch.rand(2)
    with torch.no_grad():
        src_mu, src_hidden, _ = source.encoder(ids, lengths)
        src_v = source.decoder.estimator(x, mask, mu, t)
        for k in (0, 1):
            spk = model.speaker_emb(torch.tensor([k, k]))
            assert float(spk.abs().sum()) > 0  # a real embedding, read through zeroed weights
            got_mu, hidden, x_mask = model.encoder(ids, lengths, spk)
            torch.testing.assert_close(got_mu, src_mu)
            torch.testing.assert_close(
                model.duration_predictor(hidden, x_mask), source.duration_predictor(src_hidden, x_mask)
            )
            torch.testing.assert_close(model.decoder.estimator(x, mask, mu, t, spk), src_v)
    try:
        trainer.train()
    finally:
        trainer.close()
    with torch.no_grad():
        model.eval()
        v = [model.decoder.estimator(x, mask, mu, t, model.speaker_emb(torch.tensor([k, k]))) for k in (0, 1)]
    assert float((v[0] - v[1]).abs().max()) > 0  # the speakers have begun to part

    # a .fmtts voice file (or an embedded voice's name) is a source too
    voice_file = tmp_path / "src.fmtts"
    assert main(["export", str(trained_run), str(voice_file), "--dtype", "fp32"]) == 0
    from_file = make_trainer(cfg, two_speaker_data, tmp_path / "from_file", max_steps=1, init_from=voice_file)
    enc = {k: v for k, v in from_file.model.state_dict().items() if k.startswith("encoder.layers")}
    assert all(torch.equal(v, model_v) for k, v in enc.items() for model_v in [source.state_dict()[k]])


def test_init_from_a_multi_speaker_model_matches_speakers_by_name(
    two_speaker_run: Path, speech_utterances, text_processor, tmp_path: Path, make_tiny_config
) -> None:
    """Speakers are matched by name: data naming them in another order, and one new speaker, get the
    source's rows reordered and the mean row. A one-speaker model cannot start from a two-speaker one."""
    from fmtts.audio import MelConfig, RunningMelStats

    stats = RunningMelStats()
    for u in speech_utterances:
        stats.update(np.asarray(u["mel"]))
    names = ["new", "high", "low"]
    meta = {
        "mel_config": MelConfig().to_dict(),
        "mel_stats": stats.result().to_dict(),
        "text": text_processor.to_dict(),
        "speakers": names,
    }
    writer = CacheWriter()
    for i, u in enumerate(speech_utterances):
        writer.add(f"u{i}", u["text"], u["ids"], np.asarray(u["mel"]), speaker=i % 3)
    writer.write(tmp_path / "data" / "cache" / "train", meta)
    cfg = make_tiny_config("model.n_speakers=3", "model.speaker_dim=8", "train.batch_size=2")
    trainer = make_trainer(cfg, tmp_path / "data", tmp_path / "run", max_steps=1, init_from=two_speaker_run)
    source = load_checkpoint(two_speaker_run)["ema"]["speaker_emb.weight"]
    table = trainer.model.speaker_emb.weight.detach()
    torch.testing.assert_close(table[1], source[1])
    torch.testing.assert_close(table[2], source[0])
    torch.testing.assert_close(table[0], source.mean(0))

    one = tmp_path / "one"
    write_one = CacheWriter()
    for i, u in enumerate(speech_utterances):
        write_one.add(f"u{i}", u["text"], u["ids"], np.asarray(u["mel"]))
    write_one.write(one / "cache" / "train", {k: v for k, v in meta.items() if k != "speakers"})
    with pytest.raises(TrainingError, match="2-speaker model and this one has no speaker table"):
        make_trainer(make_tiny_config(), one, tmp_path / "one_run", max_steps=1, init_from=two_speaker_run)


def test_finetune_a_multi_speaker_model_on_one_new_speaker(
    two_speaker_run: Path, prepared_data: Path, speech_utterances, tmp_path: Path
) -> None:
    """Minutes of one new speaker from a multi-speaker model: the fine-tuned model keeps the speaker-
    conditioned layers with a one-row table, the new speaker starting as the mean of the source's (or as
    the source's own row where the data names one of its speakers); the voice lists no speakers and speaks
    without one."""
    from conftest import write_ljspeech

    from fmtts.training.finetune import finetune_setup, fit_speakers

    source = load_checkpoint(two_speaker_run)["ema"]["speaker_emb.weight"]
    cfg, _ = finetune_setup(two_speaker_run, None, ["train.batch_size=2"])
    assert cfg.model.speaker_table and cfg.model.n_speakers == 2  # the source's count until the data says
    fit_speakers(cfg, prepared_data)  # one unnamed speaker
    assert cfg.model.n_speakers == 1
    trainer = make_trainer(cfg, prepared_data, tmp_path / "direct", max_steps=1, init_from=two_speaker_run)
    try:
        table = trainer.model.speaker_emb.weight.detach()
        assert table.shape == (1, source.shape[1])
        torch.testing.assert_close(table[0], source.mean(0))
    finally:
        trainer.close()

    named = write_ljspeech(tmp_path / "high_only", speech_utterances, prefix="h")
    lines = (named / "metadata.csv").read_text(encoding="utf-8").splitlines()
    (named / "metadata.csv").write_text("".join(f"{ln}|high\n" for ln in lines), encoding="utf-8")
    out = tmp_path / "run"
    args = ["finetune", "--voice", str(two_speaker_run), "--data", str(named), "--out", str(out)]
    assert main([*args, "--max-steps", "1", "--no-progress", "--set", "train.batch_size=2"]) == 0
    ckpt = load_checkpoint(list_checkpoints(out / "checkpoints")[-1])
    assert ckpt["config"]["model"]["n_speakers"] == 1 and ckpt["speakers"] == ["high"]
    row = ckpt["model"]["speaker_emb.weight"]
    assert row.shape == (1, source.shape[1])
    # one step at the fine-tuning rate from the source's "high" row, far from "low" and from the mean
    near = float((row[0] - source[1]).abs().max())
    assert near < 0.05 < float((source[0] - source[1]).abs().max())

    voice, last = tmp_path / "high.fmtts", list_checkpoints(out / "checkpoints")[-1]
    assert main(["export", str(last), str(voice), "--dtype", "fp32"]) == 0
    for loaded in (TTS.load(voice, vocoder="griffinlim"), TTS.load(last, vocoder="griffinlim", device="cpu")):
        assert loaded.speakers == []
        result = loaded.synthesize("A new voice.", seed=0)
        assert np.isfinite(result.audio).all() and result.audio.size > 0


def test_joe_heart_recipe_commands(tmp_path: Path) -> None:
    """egs/joe_heart/run.sh: both corpora prepared as one dataset (joe speaker 0), trained from joe."""
    import subprocess

    from fmtts.config import load_config

    assert load_config("joe_heart").model.n_speakers == 2
    repo = REPO
    proc = subprocess.run(
        [
            "bash",
            str(repo / "egs" / "joe_heart" / "run.sh"),
            "--dry-run",
            "--work",
            str(tmp_path),
            "--heart",
            "H",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    commands = [line for line in proc.stderr.splitlines() if line.startswith("+ ")]
    assert "corpus --source joe" in commands[0] and len(commands) == 6  # heart given: not rendered
    assert f"--data joe={tmp_path}/joe --data heart=H --out {tmp_path}/data" in commands[1]
    assert "recipes/joe_heart.yaml" in commands[2] and "--init-from joe" in commands[2]
    assert commands[-1].endswith("--speaker heart --seed 1")


# -------------------------------------------------------------------------------------------- evaluate

EVAL_OPTIONS = ["--asr", "pocketsphinx", "--vocoder", "griffinlim", "--steps", "2", "--device", "cpu"]
EVAL_OPTIONS += ["--no-dnsmos", "--no-hnr"]


@pytest.fixture
def speakers_said(monkeypatch) -> list[tuple[str, str | int | None]]:
    """(text, speaker) of every text that `fmtts evaluate` synthesises for the table (not its warm-up)."""
    said: list[tuple[str, str | int | None]] = []
    original = TTS.synthesize_batch

    def recording(self, texts, **options):
        if "speaker" in options:
            said.extend((text, options["speaker"]) for text in texts)
        return original(self, texts, **options)

    monkeypatch.setattr(TTS, "synthesize_batch", recording)
    return said


def one_speaker_folder(root: Path, utterances: list[dict], speaker: str = "") -> Path:
    """An LJSpeech-format folder of the first utterance (naming ``speaker`` in field 4 when given)."""
    (root / "wavs").mkdir(parents=True)
    sf.write(root / "wavs" / "u0.wav", utterances[0]["wav"], 22050)
    text = utterances[0]["text"]
    (root / "metadata.csv").write_text(f"u0|{text}|{text}" + (f"|{speaker}" if speaker else "") + "\n")
    return root


def test_evaluate_says_each_test_item_as_its_own_speaker(
    two_speaker_run: Path, two_speaker_data: Path, tmp_path: Path, speakers_said
) -> None:
    """A prepared two-speaker folder: each held-out clip is synthesised as the speaker its list line names
    (both passes, the log-mel L1 one included), the results say so, and speaker similarity compares each
    item with its own speaker's recordings (the recordings row is then 1 for each: its only reference)."""
    from fmtts.evaluate.speaker import speaker_similarity_available

    out = tmp_path / "eval"
    argv = ["evaluate", "--checkpoint", str(two_speaker_run), "--data", str(two_speaker_data)]
    assert main([*argv, "--out", str(out), *EVAL_OPTIONS]) == 0
    lines = (two_speaker_data / "filelists" / "test.txt").read_text().splitlines()
    speaker_of = {f[0]: f[3] for f in (line.split("|") for line in lines)}
    text_of = {f[0]: f[1] for f in (line.split("|") for line in lines)}
    assert sorted(speaker_of.values()) == sorted(SPEAKERS)
    assert sorted(speakers_said) == sorted((text_of[u], s) for u, s in speaker_of.items())

    result = json.loads((out / "results.json").read_text())
    assert result["speaker"] is None and sorted(result["speakers"]) == sorted(SPEAKERS)
    assert result["recording_speakers"] == speaker_of
    recordings, model = result["rows"][0], result["rows"][-1]
    assert model["kind"] == "model" and model["speaker"] == "each item's own"
    assert model["logmel_l1"] is not None
    for row in (recordings, model):
        assert {u["id"]: u["speaker"] for u in row["utterances"]} == speaker_of
    assert "(each item as its own speaker)" in (out / "results.md").read_text()
    if speaker_similarity_available():
        assert "each item against its own speaker's" in result["speaker_reference"]
        assert all(u["speaker_sim"] > 0.999 for u in recordings["utterances"])


def test_evaluate_speaker_option_says_every_item_as_that_speaker(
    two_speaker_run: Path, speech_utterances, tmp_path: Path, speakers_said
) -> None:
    """A one-speaker test set scored against speaker ``high`` of the two-speaker voice."""
    data = one_speaker_folder(tmp_path / "lj", speech_utterances)
    out = tmp_path / "eval"
    argv = ["evaluate", "--checkpoint", str(two_speaker_run), "--data", str(data), "--out", str(out)]
    assert main([*argv, *EVAL_OPTIONS, "--speaker", "high"]) == 0
    assert speakers_said == [(speech_utterances[0]["text"], "high")]
    result = json.loads((out / "results.json").read_text())
    assert result["speaker"] == "high" and result["speakers"] == ["high"]
    assert "recording_speakers" not in result
    assert result["rows"][-1]["speaker"] == "high"
    assert [u["speaker"] for u in result["rows"][-1]["utterances"]] == ["high"]
    assert "speaker" not in result["rows"][0]["utterances"][0]  # the recording names no speaker
    assert "- speaker: high (--speaker, every item)" in (out / "results.md").read_text()


def test_evaluate_unknown_speaker_fails_before_synthesis(
    two_speaker_run: Path, speech_utterances, tmp_path: Path, speakers_said, capsys
) -> None:
    data = one_speaker_folder(tmp_path / "lj", speech_utterances)
    out = tmp_path / "eval"
    argv = ["evaluate", "--checkpoint", str(two_speaker_run), "--out", str(out), *EVAL_OPTIONS]
    assert main([*argv, "--data", str(data), "--speaker", "nobody"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "error: --speaker nobody: unknown speaker 'nobody'; this voice has ['low', 'high']"
    # a test item naming a speaker the voice lacks: the same check, and how to go on
    named = one_speaker_folder(tmp_path / "named", speech_utterances, speaker="nobody")
    assert main([*argv, "--data", str(named)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: test item u0 is spoken by 'nobody': unknown speaker 'nobody'")
    assert err[-1].endswith("Pass --speaker NAME to say every item as one of the voice's speakers")
    assert not any(line.startswith("Traceback") for line in err)
    assert speakers_said == [] and not out.exists()
