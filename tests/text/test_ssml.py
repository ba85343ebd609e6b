"""SSML subset and inline phonemes -> segments (fmtts.text.ssml)."""

from __future__ import annotations

import warnings

import pytest

from fmtts.text import TextError
from fmtts.text.ssml import (
    BREAK_STRENGTHS,
    PARAGRAPH_PAUSE,
    RATE_NAMES,
    SENTENCE_PAUSE,
    PauseSegment,
    PhonemeSegment,
    SSMLError,
    SSMLWarning,
    TextSegment,
    is_ssml,
    parse_break_time,
    parse_rate,
    parse_ssml,
    split_inline_phonemes,
)


def speak(body: str) -> str:
    return f"<speak>{body}</speak>"


def parse_quietly(text: str, **kwargs: bool) -> list:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # supported markup must not warn
        return parse_ssml(text, **kwargs)


# --------------------------------------------------------------------------------------------------------
# Plain text and the <speak> root
# --------------------------------------------------------------------------------------------------------


def test_plain_text_is_one_normalised_segment() -> None:
    assert parse_quietly("It costs $5.") == [TextSegment("It costs five dollars.")]
    assert parse_quietly("It costs $5.", normalize=False) == [TextSegment("It costs $5.", normalized=False)]
    assert parse_quietly("   ") == []
    assert parse_quietly("<speak/>") == parse_quietly("<speak> </speak>") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<speak>hi</speak>", True),
        ('  <speak version="1.1">hi</speak>', True),
        ('<?xml version="1.0"?>\n<speak>hi</speak>', True),
        ("\ufeff<speak>hi</speak>", True),
        ("hi <speak>", False),
        ("<speak/>", True),
        ("<speaker>hi</speaker>", False),
        ("<p>hi</p>", False),
        ("a < b", False),
    ],
)
def test_is_ssml(text: str, expected: bool) -> None:
    assert is_ssml(text) is expected


def test_speak_root_with_namespace_and_text_normalised() -> None:
    root = '<speak version="1.1" xmlns="http://www.w3.org/2001/10/synthesis" xml:lang="en-US">'
    ssml = f"{root}On 3/4/2021.</speak>"
    assert parse_quietly(ssml) == [TextSegment("On March fourth, twenty twenty-one.")]
    assert parse_quietly(speak("a &amp; b &lt; c")) == [TextSegment("a and b less than c")]


# --------------------------------------------------------------------------------------------------------
# <break>
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("attrs", "seconds"),
    [
        ('time="500ms"', 0.5),
        ('time="1s"', 1.0),
        ('time="1.5s"', 1.5),
        ('time=" 250 ms "', 0.25),
        ('time="2s" strength="weak"', 2.0),  # the time wins
        ("", BREAK_STRENGTHS["medium"]),
        *[(f'strength="{name}"', value) for name, value in BREAK_STRENGTHS.items() if value > 0],
    ],
)
def test_break(attrs: str, seconds: float) -> None:
    segments = parse_quietly(speak(f"Hello <break {attrs}/> world"))
    assert segments == [TextSegment("Hello"), PauseSegment(seconds), TextSegment("world")]


def test_break_none_and_sums() -> None:
    assert parse_quietly(speak('a <break strength="none"/> b')) == [TextSegment("a"), TextSegment("b")]
    both = parse_quietly(speak('a <break time="1s"/><break time="500ms"/> b'))
    assert both == [TextSegment("a"), PauseSegment(1.5), TextSegment("b")]
    assert parse_quietly(speak('<break time="1s"/>a')) == [PauseSegment(1.0), TextSegment("a")]


def test_parse_break_time() -> None:
    assert parse_break_time("20ms") == pytest.approx(0.02)
    for bad in ("1", "fast", "1 min", "-1s", "100s"):
        with pytest.raises(ValueError):
            parse_break_time(bad)


@pytest.mark.parametrize("attrs", ['time="soon"', 'time="5"', 'strength="loud"', 'time="61s"'])
def test_bad_break_attribute_names_position(attrs: str) -> None:
    with pytest.raises(SSMLError) as info:
        parse_ssml(f"<speak>\n  Hi <break {attrs}/>\n</speak>")
    err = info.value
    assert (err.line, err.column) == (2, 6)  # where the <break> starts
    assert "line 2, column 6" in str(err) and "<break>" in str(err)


# --------------------------------------------------------------------------------------------------------
# <prosody rate>
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "scale"),
    [
        *RATE_NAMES.items(),
        ("SLOW", RATE_NAMES["slow"]),
        ("80%", 1.25),
        ("100%", 1.0),
        ("200%", 0.5),
        ("+25%", 0.8),
        ("-20%", 1.25),
        ("1.25", 0.8),
        ("0.5", 2.0),
    ],
)
def test_parse_rate(rate: str, scale: float) -> None:
    assert parse_rate(rate) == pytest.approx(scale)


@pytest.mark.parametrize("rate", ["quick", "0%", "-100%", "1000%", "10", "%"])
def test_parse_rate_rejects(rate: str) -> None:
    with pytest.raises(ValueError):
        parse_rate(rate)


def test_prosody_rate_segments_and_nesting() -> None:
    ssml = speak(
        'Normal <prosody rate="slow">slow <prosody rate="fast">back</prosody> slow again</prosody> normal'
    )
    segments = parse_quietly(ssml)
    assert [s.text for s in segments] == ["Normal", "slow", "back", "slow again", "normal"]
    assert [s.rate for s in segments] == pytest.approx([1.0, 1.25, 1.0, 1.25, 1.0])


def test_prosody_errors_and_unsupported_attributes() -> None:
    with pytest.raises(SSMLError, match=r"line 1, column 11.*rate 'zippy'"):
        parse_ssml(speak('Hi <prosody rate="zippy">x</prosody>'))
    with pytest.warns(SSMLWarning, match="pitch"):
        segments = parse_ssml(speak('<prosody pitch="high" rate="x-slow">up</prosody>'))
    assert segments == [TextSegment("up", rate=RATE_NAMES["x-slow"])]


# --------------------------------------------------------------------------------------------------------
# <say-as>, <sub>, <phoneme>
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("interpret", "content", "words"),
    [
        ('interpret-as="characters"', "USA", "U-S-eh"),
        ('interpret-as="spell-out"', "hal9000", "H-A-L nine zero zero zero"),
        ('interpret-as="cardinal"', "1,234", "one thousand two hundred thirty-four"),
        ('interpret-as="cardinal"', "-3.5", "minus three point five"),
        ('interpret-as="cardinal"', "2024", "two thousand twenty-four"),  # a number, not a year
        ('interpret-as="ordinal"', "3", "third"),
        ('interpret-as="ordinal"', "22nd", "twenty-second"),
        ('interpret-as="digits"', "2024", "two zero two four"),
        ('interpret-as="date"', "03/04/2021", "March fourth, twenty twenty-one"),
        ('interpret-as="date" format="dmy"', "03/04/2021", "the third of April, twenty twenty-one"),
        ('interpret-as="date" format="ymd"', "2021-04-03", "April third, twenty twenty-one"),
        ('interpret-as="date"', "2021-04-03", "April third, twenty twenty-one"),
        ('interpret-as="date" format="md"', "12/25", "December twenty-fifth"),
        ('interpret-as="date" format="my"', "5/1999", "May nineteen ninety-nine"),
        ('interpret-as="date" format="y"', "1984", "nineteen eighty-four"),
        ('interpret-as="time"', "3:15pm", "three fifteen p m"),
        ('interpret-as="time"', "14:30", "fourteen thirty"),
        ('interpret-as="telephone"', "555-123-4567", "five five five, one two three, four five six seven"),
        ('interpret-as="telephone"', "5551234567", "five five five, one two three, four five six seven"),
    ],
)
def test_say_as(interpret: str, content: str, words: str) -> None:
    segments = parse_quietly(speak(f"Say <say-as {interpret}>{content}</say-as> now"))
    assert segments == [TextSegment(f"Say {words} now")]


def test_say_as_words_survive_without_normalisation() -> None:
    segments = parse_quietly(speak('$5 is <say-as interpret-as="cardinal">5</say-as>'), normalize=False)
    assert segments == [TextSegment("$5 is five", normalized=False)]
    only_words = parse_quietly(speak('<say-as interpret-as="digits">12</say-as>'), normalize=False)
    assert only_words == [TextSegment("one two")]


@pytest.mark.parametrize(
    ("element", "message"),
    [
        ('<say-as interpret-as="cardinal">many</say-as>', "not a number"),
        ('<say-as interpret-as="ordinal">first</say-as>', "not an ordinal"),
        ('<say-as interpret-as="digits">none</say-as>', "no digits"),
        ('<say-as interpret-as="date" format="qq">1/2/2000</say-as>', "format 'qq'"),
        ('<say-as interpret-as="date" format="mdy">1/2</say-as>', "3 numbers"),
        ('<say-as interpret-as="date">13/13/2000</say-as>', "month"),
        ("<say-as>5</say-as>", "interpret-as"),
        ('<say-as interpret-as="digits">1<break/>2</say-as>', "only text"),
        ("<sub>WWW</sub>", "alias"),
        ("<phoneme>tomato</phoneme>", "ph"),
    ],
)
def test_text_only_element_errors(element: str, message: str) -> None:
    with pytest.raises(SSMLError, match=message) as info:
        parse_ssml(speak(f"Hello {element}"))
    assert info.value.line == 1 and info.value.column in (13, 14, 15, 45, 46)


def test_unsupported_say_as_keeps_text_and_warns() -> None:
    with pytest.warns(SSMLWarning, match='interpret-as="currency"'):
        segments = parse_ssml(speak('<say-as interpret-as="currency">$5</say-as>'))
    assert segments == [TextSegment("five dollars")]


def test_sub_alias_is_normalised_in_context() -> None:
    segments = parse_quietly(speak('The <sub alias="World Wide Web">WWW</sub> is 30 years old.'))
    assert segments == [TextSegment("The World Wide Web is thirty years old.")]
    assert parse_quietly(speak('<sub alias="">gone</sub>')) == []


def test_phoneme() -> None:
    segments = parse_quietly(speak('Say <phoneme alphabet="ipa" ph="təˈmɑːtoʊ">tomato</phoneme> please'))
    assert segments == [TextSegment("Say"), PhonemeSegment("təˈmɑːtoʊ"), TextSegment("please")]
    default_alphabet = parse_quietly(speak('<phoneme ph=" h ə  l oʊ ">x</phoneme>'))
    assert default_alphabet == [PhonemeSegment("h ə l oʊ")]
    with pytest.warns(SSMLWarning, match='alphabet="x-sampa"'):
        fallback = parse_ssml(speak('<phoneme alphabet="x-sampa" ph="t@\'mA:toU">tomato</phoneme>'))
    assert fallback == [TextSegment("tomato")]


def test_phoneme_keeps_prosody_rate() -> None:
    segments = parse_quietly(speak('<prosody rate="50%"><phoneme ph="hi">hi</phoneme></prosody>'))
    assert segments == [PhonemeSegment("hi", rate=2.0)]


# --------------------------------------------------------------------------------------------------------
# <p>, <s>, nesting, unknown tags
# --------------------------------------------------------------------------------------------------------


def test_sentences_and_paragraphs() -> None:
    ssml = speak("<p><s>One.</s><s>Two.</s></p><p><s>Three.</s></p>")
    assert parse_quietly(ssml) == [
        TextSegment("One."),
        PauseSegment(SENTENCE_PAUSE),
        TextSegment("Two."),
        PauseSegment(PARAGRAPH_PAUSE),  # the larger boundary wins; no leading or trailing pause
        TextSegment("Three."),
    ]
    with_break = parse_quietly(speak('<s>One.</s><break time="1s"/><s>Two.</s>'))
    assert with_break == [TextSegment("One."), PauseSegment(SENTENCE_PAUSE + 1.0), TextSegment("Two.")]


def test_deep_nesting() -> None:
    ssml = speak(
        '<p><s>Call <prosody rate="slow"><say-as interpret-as="telephone">555-0100</say-as> or '
        '<sub alias="the help desk">HD</sub></prosody> by '
        '<say-as interpret-as="date">1/2/2025</say-as>.</s></p>'
    )
    assert parse_quietly(ssml) == [
        TextSegment("Call"),
        TextSegment("five five five, zero one zero zero or the help desk", rate=1.25),
        TextSegment("by January second, twenty twenty-five."),
    ]


def test_unknown_tags_keep_text_and_warn_once() -> None:
    ssml = speak(
        'It is un<emphasis level="strong">believ</emphasis>able. <voice name="x"><emphasis>Really</emphasis>'
        '</voice> <audio src="a.wav">beep</audio><mark name="m1"/>'
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        segments = parse_ssml(ssml)
    assert segments == [TextSegment("It is unbelievable. Really beep")]
    relevant = [w for w in caught if issubclass(w.category, SSMLWarning)]
    assert len(relevant) == 1
    message = str(relevant[0].message)
    for tag in ("<emphasis>", "<voice>", "<audio>", "<mark>"):
        assert message.count(tag) == 1, message
    assert relevant[0].filename == __file__, "attributed to the caller"


def test_break_content_is_not_spoken() -> None:
    assert parse_quietly(speak("a<break>junk</break>b")) == [
        TextSegment("a"),
        PauseSegment(BREAK_STRENGTHS["medium"]),
        TextSegment("b"),
    ]


# --------------------------------------------------------------------------------------------------------
# Malformed SSML
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "column", "reason"),
    [
        ("<speak>Hello <s>world</p></speak>", 1, 24, "mismatched tag"),  # at the name in </p>
        ("<speak>\nHello\n  <s>world</speak>", 3, 13, "mismatched tag"),
        ("<speak>Tom & Jerry</speak>", 1, 13, "&amp;"),  # just after the "&"
        ("<speak>a &nbsp; b</speak>", 1, 10, "undefined entity"),
        ("<speak>Hello", 1, 13, "no element found"),
        ("<speak>a</speak> b", 1, 18, "junk after document element"),
        ('<speak><break time="1s></speak>', 1, 24, "not well-formed"),  # the "<" inside the value
        ('<?xml version="1.0"?><!DOCTYPE speak><speak>x</speak>', 1, 37, "DOCTYPE"),  # its end
    ],
)
def test_malformed_ssml_names_line_and_column(text: str, line: int, column: int, reason: str) -> None:
    with pytest.raises(SSMLError) as info:
        parse_ssml(text)
    err = info.value
    assert (err.line, err.column) == (line, column), str(err)
    assert f"line {line}, column {column}" in str(err)
    assert reason in str(err)
    assert isinstance(err, TextError) and isinstance(err, ValueError)


# --------------------------------------------------------------------------------------------------------
# Inline phonemes
# --------------------------------------------------------------------------------------------------------


def test_split_inline_phonemes() -> None:
    assert split_inline_phonemes("Say [[ h ə l oʊ ]] twice") == [
        TextSegment("Say ", normalized=False),
        PhonemeSegment("h ə l oʊ"),
        TextSegment(" twice", normalized=False),
    ]
    assert split_inline_phonemes("[[bˈætmæn]][[ ˈɹɑːbɪn ]]") == [
        PhonemeSegment("bˈætmæn"),
        PhonemeSegment("ˈɹɑːbɪn"),
    ]
    assert split_inline_phonemes("no phonemes") == [TextSegment("no phonemes", normalized=False)]
    assert split_inline_phonemes("empty [[ ]] here") == [
        TextSegment("empty ", normalized=False),
        TextSegment(" here", normalized=False),
    ]
    assert split_inline_phonemes("open [[ only") == [TextSegment("open [[ only", normalized=False)]
    assert split_inline_phonemes("[[ a\n  b ]]", rate=2.0) == [PhonemeSegment("a b", rate=2.0)]


def test_inline_phonemes_in_plain_text_and_ssml() -> None:
    assert parse_quietly("I said [[ həlˈoʊ ]] at 5 pm.") == [
        TextSegment("I said"),
        PhonemeSegment("həlˈoʊ"),
        TextSegment("at five p m."),
    ]
    ssml = speak('<prosody rate="fast">The [[ bˈætmæn ]] returns</prosody>')
    assert parse_quietly(ssml) == [
        TextSegment("The", rate=0.8),
        PhonemeSegment("bˈætmæn", rate=0.8),
        TextSegment("returns", rate=0.8),
    ]


def test_nested_rates_and_many_breaks_stay_bounded() -> None:
    """Nested rates multiply only up to what one <prosody rate> may ask for, adjacent breaks merge into at
    most one longest break, and a document's breaks together have a ceiling: markup within the text
    limit cannot ask for hours of audio."""
    nested = '<prosody rate="20%">' * 6 + "Hello" + "</prosody>" * 6
    assert [s.rate for s in parse_ssml(speak(nested))] == pytest.approx([5.0])
    fast = '<prosody rate="x-fast">' * 3 + "Hello" + "</prosody>" * 3
    assert [s.rate for s in parse_ssml(speak(fast))] == pytest.approx([0.625**3])
    merged = parse_ssml(speak('One <break time="50s"/><break time="50s"/> two'))
    assert [s.seconds for s in merged if isinstance(s, PauseSegment)] == [60.0]
    with pytest.raises(SSMLError, match="add up"):
        parse_ssml(speak(" word ".join(['<break time="60s"/>'] * 11)))
