"""fmtts corpus from either source voice: hibari heart (resampled, seeded, no alignments) and the source
abstraction itself; piper joe's own corpus is tested in test_recipes.py (the demo recipe)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf

from fmtts.cli import build_parser
from fmtts.cli import main as fmtts_main
from fmtts.corpus.build import PROMPTS_FILE, CorpusError, build_corpus, plan_clips, read_prompts
from fmtts.corpus.sources import SOURCES, HeartSource, JoeSource, get_source

SR = 22050


def test_sources_are_registered_by_name_and_an_unknown_one_is_a_clear_error() -> None:
    assert isinstance(get_source("joe"), JoeSource) and isinstance(get_source("heart"), HeartSource)
    with pytest.raises(CorpusError, match="unknown corpus source 'kore'.*joe, heart"):
        get_source("kore")
    assert build_parser().parse_args(["corpus", "--out", "x"]).source == "joe"  # the default voice's corpus
    assert build_parser().parse_args(["corpus", "--out", "x", "--source", "heart"]).source == "heart"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["corpus", "--out", "x", "--source", "kore"])
    assert set(SOURCES) == {"joe", "heart"}


def test_a_missing_source_package_names_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "hibari", None)  # import hibari now fails
    with pytest.raises(CorpusError, match=r"hibari-tts: pip install 'fmtts\[corpus-heart\]'"):
        HeartSource().check()


@pytest.fixture(scope="module")
def heart_corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    pytest.importorskip("hibari", reason="hibari-tts is not installed: pip install 'fmtts[corpus-heart]'")
    out = tmp_path_factory.mktemp("heart_corpus")
    info = build_corpus(out, source="heart", limit=3, workers=1, progress=False)
    return out, info


def test_heart_corpus_is_an_ljspeech_folder_at_the_corpus_rate(heart_corpus: tuple[Path, dict]) -> None:
    out, info = heart_corpus
    rows = [ln.split("|") for ln in (out / "metadata.csv").read_text(encoding="utf-8").splitlines()]
    planned = plan_clips(read_prompts(PROMPTS_FILE), seed=1234, limit=3, prefix="heart")
    assert [r[0] for r in rows] == [c.clip_id for c in planned]
    assert [r[1] for r in rows] == [r[2] for r in rows] == [c.text for c in planned]
    seconds = 0.0
    for utt, *_ in rows:
        wav = sf.info(str(out / "wavs" / f"{utt}.wav"))
        assert wav.samplerate == SR and wav.channels == 1 and wav.subtype == "PCM_16"  # 24 kHz resampled
        assert wav.duration > 0.5
        seconds += wav.duration
        audio, _ = sf.read(str(out / "wavs" / f"{utt}.wav"))
        assert abs(abs(audio).max() - 0.9) < 1e-3  # levelled like piper's: peak at volume 0.9
    assert not (out / "alignments").exists()  # hibari reports no alignments; nothing downstream needs them

    recorded = json.loads((out / "corpus.json").read_text())
    assert recorded == info
    assert recorded["source"]["name"] == "heart" and recorded["source"]["licence"] == "Apache-2.0"
    assert "hibari" in recorded["voice"] and "Apache-2.0" in recorded["voice"]
    assert "Kokoro-82M" in recorded["source"]["derived_from"]
    assert recorded["source"]["native_sample_rate"] == 24000 and recorded["sample_rate"] == SR
    assert recorded["clips"] == 3 and recorded["alignments"] is False
    assert recorded["hours"] == pytest.approx(seconds / 3600, rel=1e-3)


def test_heart_corpus_resumes_without_rendering_again_and_renders_the_same_audio(
    heart_corpus: tuple[Path, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, info = heart_corpus
    copy = tmp_path / "copy"
    (copy / "wavs").mkdir(parents=True)
    wavs = sorted((out / "wavs").glob("*.wav"))
    for w in wavs:
        (copy / "wavs" / w.name).write_bytes(w.read_bytes())
    stamps = {w.name: (copy / "wavs" / w.name).stat().st_mtime_ns for w in wavs}

    # complete: not one clip rendered, no worker started
    from fmtts.corpus import build

    def no_workers(*args, **kwargs):
        raise AssertionError("a complete corpus started rendering workers")

    with monkeypatch.context() as m:
        m.setattr(build, "ProcessPoolExecutor", no_workers)
        again = build_corpus(copy, source="heart", limit=3, workers=1, progress=False)
    assert again["clips"] == 3 and again["hours"] == pytest.approx(info["hours"])
    assert {w.name: w.stat().st_mtime_ns for w in (copy / "wavs").glob("*.wav")} == stamps

    # one clip lost: only that one is rendered again, and (seeded by its prompt index) to the same audio
    lost = wavs[1].name
    (copy / "wavs" / lost).unlink()
    build_corpus(copy, source="heart", limit=3, workers=1, progress=False)
    for w in wavs:
        if w.name != lost:
            assert (copy / "wavs" / w.name).stat().st_mtime_ns == stamps[w.name]
    assert (copy / "wavs" / lost).read_bytes() == (out / "wavs" / lost).read_bytes()


def test_a_corpus_of_another_voice_is_not_mixed_in(tmp_path: Path) -> None:
    pytest.importorskip("hibari", reason="hibari-tts is not installed: pip install 'fmtts[corpus-heart]'")
    (tmp_path / "corpus.json").write_text(json.dumps({"voice": "en_US-joe-medium", "sample_rate": SR}))
    with pytest.raises(CorpusError, match="holds a joe corpus"):
        build_corpus(tmp_path, source="heart", limit=1, workers=1, progress=False)
    assert not (tmp_path / "wavs").exists()


def test_heart_corpus_prepares_as_a_training_set(heart_corpus: tuple[Path, dict], tmp_path: Path) -> None:
    """`fmtts prepare` needs no alignments/ folder (only data.use_durations reads external durations)."""
    out, _ = heart_corpus
    prep = tmp_path / "data"
    assert fmtts_main(["prepare", "--data", str(out), "--out", str(prep), "--config", "tiny"]) == 0
    report = json.loads((prep / "prepare_report.json").read_text())
    assert report["skipped"] == [] and report["resampled"] == 0
    assert sum(report["kept"].values()) == 3
    from fmtts.data.cache import FeatureCache

    train = FeatureCache(prep / "cache" / "train")
    assert len(train) >= 1 and train.meta["mel_config"]["sample_rate"] == SR
