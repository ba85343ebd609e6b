"""Streaming synthesis (fmtts.streaming, TTS.stream, `fmtts synthesize TEXT -`): the pieces, joined, are the
non-streamed audio; pauses as synthesize_batch; windowed vocoding without clicks; bounded work per piece."""

from __future__ import annotations

import numpy as np
import pytest

from fmtts.api import TTS, SynthesisError
from fmtts.audio import MelConfig
from fmtts.mel import mel_spectrogram
from fmtts.text import TextError

TEXT = "The quick brown fox jumps over the lazy dog."
HOP = 256
# Measured on this voice (tiny model, 20 steps; the fox sentence, 24-frame windows, 16 frames of context):
# HiFi-GAN's windowed waveform vs the whole-mel waveform differs by at most 3.6e-7 (float rounding; with
# 12 frames of context 2.5e-4, with 8 frames 3.5e-2), its log-mel by 3e-7 on average. Short sentences in
# 16-frame windows reach 1.0e-5 (still rounding: "We like apples.").
HIFIGAN_WAVE_BOUND = 5e-5  # 3.4e-5 measured through ONNX Runtime's HiFi-GAN (the default backend)
# Griffin-Lim estimates phase per window, so only spectra compare: mean |log-mel difference| 0.09 nats.
GRIFFINLIM_LOGMEL_BOUND = 0.15
# synthesize() batches a text's sentences, padded to the longest; the decoder normalises over valid frames
# only, so a sentence's mel does not depend on its batch-mates (tests/models/test_flow.py). The stream runs
# sentences alone and vocodes by windows, so against synthesize() of a multi-sentence text through
# Griffin-Lim (phase estimated per window) the mean |log-mel difference| is 0.14 nats (0.16 while the
# decoder's statistics still included padding); each sentence equals synthesize() of that sentence alone
# to HIFIGAN_WAVE_BOUND through HiFi-GAN.
BATCHED_LOGMEL_BOUND = 0.25


def joined(pieces) -> np.ndarray:
    return np.concatenate([p.audio for p in pieces])


def log_mel(audio: np.ndarray) -> np.ndarray:
    return np.asarray(mel_spectrogram(audio, MelConfig()))


@pytest.fixture(scope="module")
def hifigan_voice(trained_run):
    return TTS.load(trained_run, device="cpu", vocoder="universal")


SHORT = "We like green apples."


def test_one_sentence_equals_synthesize_hifigan(hifigan_voice):
    offline = hifigan_voice.synthesize(SHORT, seed=7).audio
    pieces = list(hifigan_voice.stream(SHORT, seed=7, window=16))
    assert len(pieces) >= 3  # really windowed
    audio = joined(pieces)
    assert audio.dtype == np.float32 and len(audio) == len(offline)
    err = float(np.abs(audio - offline).max())
    assert err <= HIFIGAN_WAVE_BOUND, err
    assert float(np.abs(log_mel(audio) - log_mel(offline)).mean()) < 1e-4


def test_one_sentence_griffinlim_spectrum_and_no_clicks(voice):
    offline = voice.synthesize(TEXT, seed=3).audio
    pieces = list(voice.stream(TEXT, seed=3, window=24))
    audio = joined(pieces)
    assert len(pieces) >= 3 and len(audio) == len(offline)
    diff = float(np.abs(log_mel(audio) - log_mel(offline)).mean())
    assert diff <= GRIFFINLIM_LOGMEL_BOUND, diff
    # one piece, no windows: bit for bit
    np.testing.assert_array_equal(
        joined(voice.stream(TEXT, seed=3, window=100_000, first_window=100_000)), offline
    )
    # no clicks: the biggest sample-to-sample step around each join (measured: at most 0.44) stays below
    # the 99.9th percentile of the steps in the offline audio (1.69; Griffin-Lim audio is rough)
    steps = np.abs(np.diff(audio))
    ceiling = float(np.percentile(np.abs(np.diff(offline)), 99.9))
    joins = np.cumsum([len(p.audio) for p in pieces])[:-1]
    for j in joins:
        assert float(steps[max(j - 64, 0) : j + 64].max()) <= ceiling


def test_pieces_have_timings(voice):
    pieces = list(voice.stream(TEXT, seed=1, window=24))
    assert [p.offset for p in pieces] == pytest.approx(np.cumsum([0] + [p.seconds for p in pieces[:-1]]))
    elapsed = [p.elapsed for p in pieces]
    assert elapsed == sorted(elapsed) and elapsed[0] < elapsed[-1]
    assert pieces[-1].last and not pieces[0].last
    assert all(p.sample_rate == 22050 and p.text == TEXT for p in pieces)
    phonemes = pieces[0].phonemes
    assert phonemes and all(not p.phonemes for p in pieces[1:])
    assert phonemes[0][1] == 0.0 and phonemes[-1][2] == pytest.approx(len(joined(pieces)) / 22050)
    assert all(a <= b for _, a, b in phonemes)
    pcm = np.frombuffer(pieces[0].pcm16(), dtype="<i2")
    np.testing.assert_allclose(pcm / 32767.0, pieces[0].audio, atol=1 / 32767)


MULTI = (
    "<speak>A cat sat on the mat. <break time='300ms'/> We like green apples. She sells sea shells.</speak>"
)


def test_multi_sentence_temperature_zero_matches_synthesize(voice):
    """At temperature 0 the noise does not matter, so the stream (chunks one by one) and synthesize
    (chunks batched, padded) give the same mel; lengths and silences must agree exactly."""
    offline = voice.synthesize(MULTI, temperature=0.0, pause=0.2).audio
    pieces = list(voice.stream(MULTI, temperature=0.0, pause=0.2, window=24))
    audio = joined(pieces)
    assert len(audio) == len(offline)
    silent = [p for p in pieces if not p.text]
    assert len(silent) == 2  # the <break> and the default pause between the last two sentences
    assert [len(p.audio) for p in silent] == [round(0.3 * 22050 / HOP) * HOP, round(0.2 * 22050 / HOP) * HOP]
    for p in silent:
        start = round(p.offset * 22050)
        assert not offline[start : start + len(p.audio)].any()
    assert [p.text for p in pieces if p.phonemes] == [
        "A cat sat on the mat.",
        "We like green apples.",
        "She sells sea shells.",
    ]
    diff = float(np.abs(log_mel(audio) - log_mel(offline)).mean())
    assert diff <= BATCHED_LOGMEL_BOUND, diff


def test_multi_sentence_hifigan_equals_sentences_alone(hifigan_voice):
    """Each sentence of a stream equals synthesize() of that sentence alone (temperature 0: the noise
    does not matter); the silences between them are exact zeros."""
    text = "<speak>We like apples. <break time='200ms'/> She sells shells.</speak>"
    pieces = list(hifigan_voice.stream(text, temperature=0.0, window=16))
    sentences = {}
    for p in pieces:
        if p.text:
            sentences.setdefault((p.index, p.text), []).append(p.audio)
        else:
            assert not p.audio.any()
    assert [t for _, t in sentences] == ["We like apples.", "She sells shells."]
    for (_, sentence), parts in sentences.items():
        alone = hifigan_voice.synthesize(sentence, temperature=0.0).audio
        err = float(np.abs(np.concatenate(parts) - alone).max())
        assert err <= HIFIGAN_WAVE_BOUND, (sentence, err)


def test_multi_sentence_stream_equals_synthesize(voice):
    """A chunk's noise depends only on the seed and its place in the text, so a streamed multi-sentence
    text is synthesize()'s text: the same lengths, the same pauses, the same spectrum."""
    text = "A cat sat on the mat. We like green apples."
    pieces = list(voice.stream(text, seed=11, window=100_000, first_window=100_000))
    speech = [p for p in pieces if p.text]
    assert [p.text for p in speech] == ["A cat sat on the mat.", "We like green apples."]
    assert len(pieces[1].audio) == round(0.15 * 22050 / HOP) * HOP and not pieces[1].audio.any()
    whole = voice.synthesize(text, seed=11).audio
    streamed = joined(pieces)
    assert len(streamed) == len(whole)
    assert float(np.abs(log_mel(streamed) - log_mel(whole)).mean()) < GRIFFINLIM_LOGMEL_BOUND
    other = joined(voice.stream(text, seed=12, window=100_000, first_window=100_000))
    assert float(np.abs(log_mel(other) - log_mel(whole)).mean()) > 1e-3  # the seed matters


def test_chunk_mels_do_not_depend_on_the_batch(voice):
    """acoustic_batch of two chunks together equals each alone (same seed and places)."""
    ids = [voice.text.text_to_ids(t) for t in ("A cat sat on the mat.", "We like green apples, she said.")]
    sampler = voice.sampler_config(steps=3)
    together = voice.pipeline.acoustic_batch(ids, sampler, 5, [0, 1])
    for k, x in enumerate(ids):
        (alone,) = voice.pipeline.acoustic_batch([x], sampler, 5, [k])
        np.testing.assert_allclose(together[k].mel, alone.mel, atol=2e-4)
        assert together[k].durations == alone.durations


def test_first_chunk_chars_splits_only_the_first_sentence_at_a_clause(voice):
    text = "The brown fox jumps over the lazy dog, and then it runs away. A cat sat on the mat, and slept."
    opts = dict(seed=4, window=100_000, first_window=100_000)
    speech = [p for p in voice.stream(text, first_chunk_chars=40, **opts) if p.text]
    assert [p.text for p in speech] == [
        "The brown fox jumps over the lazy dog,",
        "and then it runs away.",
        "A cat sat on the mat, and slept.",
    ]
    assert all(len(p.audio) and np.isfinite(p.audio).all() for p in speech)
    whole = [p.text for p in voice.stream(text, **opts) if p.text]
    assert whole == ["The brown fox jumps over the lazy dog, and then it runs away.", speech[2].text]
    with pytest.raises(SynthesisError, match="first_chunk_chars"):
        voice.stream(text, first_chunk_chars=0)


def test_long_text_work_is_bounded(voice, monkeypatch):
    """The first piece of a 40-sentence text costs one sentence of phonemizing and one acoustic pass."""
    calls, phonemized = [], []
    prior, phonemize = voice.acoustic.prior, voice.text.phonemize
    vocoder = voice.vocoder
    vocoded = []

    def spy_prior(ids, *args, **kw):
        calls.append((len(ids),))
        return prior(ids, *args, **kw)

    def spy_phonemize(texts, **kw):
        phonemized.extend(texts)
        return phonemize(texts, **kw)

    def spy_vocoder(mel):
        vocoded.append(mel.shape[-1])
        return vocoder(mel)

    monkeypatch.setattr(voice.acoustic, "prior", spy_prior)
    monkeypatch.setattr(voice.text, "phonemize", spy_phonemize)
    monkeypatch.setattr(voice.pipeline, "vocoder", spy_vocoder)
    text = " ".join(f"Sentence number {n} is here." for n in range(40))
    stream = voice.stream(text, seed=0, window=16)
    first = next(stream)
    assert len(calls) == 1 and calls[0][0] == 1
    assert len(phonemized) == 1
    assert len(vocoded) == 1 and vocoded[0] <= 16 + 2 * 16  # one window with its context
    assert first.text == "Sentence number 0 is here." and first.offset == 0.0
    for _ in range(6):
        next(stream)
    assert all(c[0] == 1 for c in calls) and len(calls) <= 3
    stream.close()


def test_freed_memory_is_released_after_each_sentence(voice, monkeypatch):
    """glibc keeps memory freed between sentences of new lengths; the stream trims it once per sentence."""
    import fmtts.memory

    trims = []
    monkeypatch.setattr(fmtts.memory, "release_freed_host_memory", lambda: trims.append(1))
    pieces = list(voice.stream("One sentence here. And a second one. A third.", seed=0, window=16))
    sentences = {p.index for p in pieces if p.text}
    assert len(sentences) == 3 and len(trims) == 3


def test_bad_options_and_text(voice):
    with pytest.raises(SynthesisError):
        voice.stream(TEXT, steps=0)
    with pytest.raises(SynthesisError):
        voice.stream(TEXT, window=0)
    with pytest.raises(SynthesisError):
        voice.stream(TEXT, pause=-1)
    with pytest.raises(SynthesisError, match="unknown synthesis option"):
        voice.stream(TEXT, batch_size=2)
    with pytest.raises(TextError):
        next(voice.stream("   "))
    with pytest.raises(TextError):
        next(voice.stream("... !"))


def test_cli_streams_raw_pcm(trained_run, voice, capsysbinary):
    from fmtts.cli import main

    args = ["synthesize", SHORT, "-", "--checkpoint", str(trained_run), "--vocoder", "griffinlim"]
    assert main([*args, "--device", "cpu", "--seed", "5"]) == 0
    out, err = capsysbinary.readouterr()
    expected = b"".join(p.pcm16() for p in voice.stream(SHORT, seed=5))
    assert out == expected
    assert b"streamed" in err and b"22050 Hz" in err
    assert main([*args[:2], "--output-raw", *args[3:], "--device", "cpu", "--seed", "5", "--steps", "4"]) == 0
    assert capsysbinary.readouterr().out == b"".join(p.pcm16() for p in voice.stream(SHORT, seed=5, steps=4))


def test_windows_cover_the_mel_exactly():
    """vocode_windows with an identity-like vocoder (each frame → hop copies of its value) gives every
    sample once, whatever the window, context and cross-fade (also a cross-fade longer than a window, or
    than the short last window: the fades shrink to fit)."""
    from fmtts.streaming import vocode_windows

    def repeat(mel):
        return np.repeat(mel[0, 0], 4)[None]

    mel = np.broadcast_to(np.arange(37, dtype=np.float32)[None], (80, 37))
    cases = ((5, 0, 0), (5, 2, 4), (8, 3, 8), (40, 2, 4), (1, 1, 2), (5, 3, 40), (8, 8, 64), (2, 4, 30))
    for window, context, crossfade in cases:
        for first in (None, 1, 2, 100):
            pieces = [p for p, _ in vocode_windows(repeat, mel, 4, window, context, crossfade, first)]
            np.testing.assert_allclose(np.concatenate(pieces), repeat(mel[None])[0], atol=1e-5)


def test_window_bounds_start_small_and_double():
    from fmtts.streaming import window_bounds

    assert window_bounds(100, 64, 16) == [(0, 16), (16, 48), (48, 100)]
    assert window_bounds(200, 64, 16) == [(0, 16), (16, 48), (48, 112), (112, 176), (176, 200)]
    assert window_bounds(10, 64, 16) == [(0, 10)]
    assert window_bounds(130, 64, None) == [(0, 64), (64, 128), (128, 130)]
    assert window_bounds(130, 64, 500) == window_bounds(130, 64, None)


def test_first_piece_is_small(voice):
    """The stream's first piece is first_window frames (the rest of the chunk comes in larger pieces)."""
    hop = voice.mel_config.hop_length
    pieces = [p for p in voice.stream("We like green apples.", seed=2, first_window=8, window=64) if p.text]
    assert 0 < len(pieces[0].audio) <= 8 * hop
    assert len(pieces[1].audio) > len(pieces[0].audio)
