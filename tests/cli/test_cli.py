"""The fmtts command line on a tiny trained voice: synthesize, --file batches, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import HOP, SR, TEXT, read_wav

from fmtts.api import TTS
from fmtts.cli import main

pytestmark = pytest.mark.usefixtures("torch_single_thread")


def test_cli_synthesize_writes_a_wav(trained_run: Path, voice: TTS, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out.wav"
    rc = main(
        [
            "synthesize",
            TEXT,
            str(out),
            "--checkpoint",
            str(trained_run),
            "--vocoder",
            "griffinlim",
            "--steps",
            "3",
            "--seed",
            "1",
            "--device",
            "cpu",
        ]
    )
    assert rc == 0, capsys.readouterr().err
    info = sf.info(str(out))
    assert info.samplerate == SR and info.channels == 1
    assert 0.2 < info.duration < 30
    assert info.frames % HOP == 0
    audio, _ = read_wav(out)
    expected = voice.synthesize(TEXT, steps=3, seed=1).audio
    np.testing.assert_allclose(audio, expected, atol=1.5 / 32768)  # 16-bit PCM rounding
    assert "wrote" in capsys.readouterr().err


def test_cli_file_mode_writes_one_wav_per_line(trained_run: Path, voice: TTS, tmp_path: Path) -> None:
    lines = ["Good morning.", "How are you today?", "Fine, thank you."]
    listing = tmp_path / "lines.txt"
    listing.write_text(f"{lines[0]}\n\n{lines[1]}\n{lines[2]}\n", encoding="utf-8")
    out_dir = tmp_path / "wavs"
    opts = ["--checkpoint", str(trained_run), "--vocoder", "griffinlim", "--steps", "2", "--device", "cpu"]
    rc = main(["synthesize", "--file", str(listing), "--out-dir", str(out_dir), *opts, "--save-mel"])
    assert rc == 0
    assert sorted(p.name for p in out_dir.glob("*.wav")) == ["0000.wav", "0001.wav", "0002.wav"]
    for i, line in enumerate(lines):
        audio, sr = read_wav(out_dir / f"{i:04d}.wav")
        mel = np.load(out_dir / f"{i:04d}.npy")
        assert sr == SR and len(audio) == mel.shape[1] * HOP
        # durations come from the text alone, so each file has its own sentence's length
        assert mel.shape[1] == sum(d for _, d in voice.synthesize(line, steps=1).durations)


def test_cli_empty_text_is_an_error(trained_run: Path, tmp_path: Path, capsys) -> None:
    for text in ("", "   "):
        rc = main(
            [
                "synthesize",
                text,
                str(tmp_path / "empty.wav"),
                "--checkpoint",
                str(trained_run),
                "--vocoder",
                "griffinlim",
                "--device",
                "cpu",
            ]
        )
        err = capsys.readouterr().err
        assert rc == 2, f"text {text!r}: exit code {rc}"
        assert "error:" in err and "empty" in err
        assert not (tmp_path / "empty.wav").exists()
    rc = main(
        [
            "synthesize",
            TEXT,
            str(tmp_path / "x.wav"),
            "--checkpoint",
            str(tmp_path / "missing.pt"),
            "--vocoder",
            "griffinlim",
        ]
    )
    assert rc == 2 and "error:" in capsys.readouterr().err


def test_cli_normalize_prints_what_will_be_spoken(capsys, monkeypatch) -> None:
    import io

    assert main(["normalize", "Chapter IV starts at 10:30 am on 2024-05-17."]) == 0
    out = capsys.readouterr().out.strip()
    assert "chapter four" in out.lower() and "ten thirty" in out and "twenty twenty-four" in out
    assert not any(c.isdigit() for c in out)
    monkeypatch.setattr("sys.stdin", io.StringIO("It weighs 70 kg.\n<speak>Hi <break time='1s'/></speak>\n"))
    assert main(["normalize"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "It weighs seventy kilograms." and lines[1] == "Hi <1s>"


def test_cli_phonemize_shows_what_the_model_is_given(capsys, monkeypatch) -> None:
    import io

    from fmtts.text import TextProcessor
    from fmtts.text.plan import SpeechChunk, plan_speech

    assert main(["phonemize", "Hello world."]) == 0
    plain = capsys.readouterr().out.strip()
    ssml = (
        "<speak>Hello world. <break time='500ms'/>"
        "<phoneme alphabet='ipa' ph='təmˈɑːtoʊ'>tomato</phoneme></speak>"
    )
    inline = "Say [[təmˈɑːtoʊ]] please."
    stdin = f"Hello world.\n{ssml}\nIt weighs 70 kg.\n\n{inline}\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    assert main(["phonemize"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and lines[0] == plain and lines[3] == ""
    assert lines[1] == f"{plain} <0.5s> təmˈɑːtoʊ"  # no "speak", "break" or "phoneme" read aloud
    assert "sˈɛvənti" in lines[2]
    assert "təmˈɑːtoʊ" in lines[4] and "[" not in lines[4]  # inline IPA as synthesis reads it
    assert main(["phonemize", "--ids", inline]) == 0
    ids = [int(x) for x in capsys.readouterr().out.split()]
    tp = TextProcessor()
    assert ids == [i for c in plan_speech(inline, tp) if isinstance(c, SpeechChunk) for i in c.ids]


def test_cli_synthesize_reads_ssml(trained_run: Path, tmp_path: Path) -> None:
    out = tmp_path / "ssml.wav"
    text = '<speak>One. <break time="1s"/> Two.</speak>'
    assert (
        main(
            [
                "synthesize",
                text,
                str(out),
                "--checkpoint",
                str(trained_run),
                "--vocoder",
                "griffinlim",
                "--steps",
                "1",
            ]
        )
        == 0
    )
    audio, sr = read_wav(out)
    assert sr == SR and len(audio) > 1.0 * SR


def test_cli_output_and_input_files_are_checked(trained_run: Path, tmp_path: Path, capsys) -> None:
    """A bad output path fails before synthesis, with a message, not a traceback after it; --file reads
    UTF-8 with or without a byte-order mark (SSML detected after it) and names other encodings."""
    opts = ["--checkpoint", str(trained_run), "--vocoder", "griffinlim", "--steps", "2", "--device", "cpu"]
    for bad in (tmp_path / "out", tmp_path / "out.aiff", tmp_path):
        assert main(["synthesize", TEXT, str(bad), *opts]) == 2
        err = capsys.readouterr().err
        assert "error:" in err and ("must end in" in err or "folder" in err) and "voice:" not in err
    assert main(["synthesize", TEXT, str(tmp_path / "out.flac"), *opts]) == 0
    assert sf.info(str(tmp_path / "out.flac")).format == "FLAC"
    assert not list(tmp_path.glob(".*.tmp"))  # written through a temporary file, then renamed

    ssml = tmp_path / "bom.txt"
    ssml.write_bytes('<speak>Good <break time="300ms"/> morning.</speak>'.encode("utf-8-sig"))
    assert main(["synthesize", "--file", str(ssml), "--out-dir", str(tmp_path / "s"), *opts]) == 0
    assert [p.name for p in (tmp_path / "s").glob("*.wav")] == ["0000.wav"]  # one document, not lines
    latin = tmp_path / "latin.txt"
    latin.write_bytes("Caf\xe9 au lait.".encode("cp1252"))
    with pytest.raises(SystemExit, match="not UTF-8"):
        main(["synthesize", "--file", str(latin), "--out-dir", str(tmp_path / "l"), *opts])


def test_cli_file_mode_writes_as_it_goes(trained_run: Path, tmp_path: Path, capsys) -> None:
    """Long files are synthesized a slice of lines at a time (8 batches), each written before the next."""
    listing = tmp_path / "lines.txt"
    listing.write_text("".join(f"Line number {i}.\n" for i in range(9)), encoding="utf-8")
    opts = ["--checkpoint", str(trained_run), "--vocoder", "griffinlim", "--steps", "1", "--device", "cpu"]
    args = ["synthesize", "--file", str(listing), "--out-dir", str(tmp_path / "w"), "--batch-size", "1"]
    assert main([*args, *opts]) == 0
    assert sorted(p.name for p in (tmp_path / "w").glob("*.wav")) == [f"{i:04d}.wav" for i in range(9)]
    err = capsys.readouterr().err
    assert "8/9 lines" in err and "wrote 9 files" in err
