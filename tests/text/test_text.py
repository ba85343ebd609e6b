"""Tests for the text frontend (normaliser, eSpeak NG phonemizer, symbol table, TextProcessor)."""

from __future__ import annotations

import json
import pickle
import warnings
from pathlib import Path

import pytest

from fmtts.text import (
    Phonemizer,
    SymbolTable,
    TextError,
    TextProcessor,
    UnknownSymbolWarning,
    normalize_text,
    number_to_words,
    ordinal_to_words,
    split_sentences,
    year_to_words,
)


@pytest.fixture(scope="module")
def phonemizer() -> Phonemizer:
    return Phonemizer()


@pytest.fixture(scope="module")
def processor(phonemizer: Phonemizer) -> TextProcessor:
    return TextProcessor(phonemizer=phonemizer)


# --------------------------------------------------------------------------------------------------------
# Phonemizer
# --------------------------------------------------------------------------------------------------------


def test_backend_is_lazy() -> None:
    ph = Phonemizer()
    assert ph._backend is None
    pickle.dumps(ph)  # picklable before and after use


def test_uses_bundled_espeak(phonemizer: Phonemizer) -> None:
    import espeakng_loader
    from phonemizer.backend.espeak.wrapper import EspeakWrapper

    out = phonemizer("Hello world.")
    bundled_lib = Path(espeakng_loader.get_library_path()).resolve()
    assert Path(phonemizer.library_path).resolve() == bundled_lib
    assert Path(EspeakWrapper.library()).resolve() == bundled_lib
    assert Path(phonemizer.data_path).resolve() == Path(espeakng_loader.get_data_path()).resolve()
    assert phonemizer.backend_version.count(".") == 2 and phonemizer.backend_version[0].isdigit()
    for piece in ("h", "ə", "ˈ", "w"):
        assert piece in out, (piece, out)
    assert out.endswith(".")
    assert " " in out  # word boundary kept


def test_phonemizer_pickle_roundtrip(phonemizer: Phonemizer) -> None:
    phonemizer("warm")  # backend exists now; it must not be pickled
    clone = pickle.loads(pickle.dumps(phonemizer))
    assert clone._backend is None
    assert clone("Good morning!") == phonemizer("Good morning!")


def test_batch_keeps_line_count_and_alignment(phonemizer: Phonemizer) -> None:
    # punctuation-only, empty, multi-line and "3.5." lines make phonemizer's own restoration shift lines
    lines = [
        "Hello world.",
        "...",
        "",
        "!",
        "   ",
        "Hi, there! How are you?",
        "?!",
        "a\nb",
        "3.5.",
        "x (y) z",
        ",",
        "The end.",
    ]
    for normalize in (False, True):
        batched = phonemizer.phonemize(lines, normalize=normalize)
        assert len(batched) == len(lines)
        single = [phonemizer(t, normalize=normalize) for t in lines]
        assert batched == single
    raw = phonemizer.phonemize(lines, normalize=False)
    assert raw[1] == "..." and raw[3] == "!" and raw[6] == "?!" and raw[10] == ","
    assert raw[2] == "" and raw[4] == ""
    assert raw[-1].endswith(".") and "ɛ" in raw[-1]
    assert raw[5].count(",") == 1 and raw[5].endswith("?") and "!" in raw[5]


def test_phonemize_rejects_bare_string(phonemizer: Phonemizer) -> None:
    with pytest.raises(TypeError):
        phonemizer.phonemize("Hello")  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------------
# Normaliser
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "zero"),
        (13, "thirteen"),
        (21, "twenty-one"),
        (100, "one hundred"),
        (101, "one hundred one"),
        (1001, "one thousand one"),
        (-7, "minus seven"),
        (1_000_000_000_000, "one trillion"),
        (2_500_000_000_017, "two trillion five hundred billion seventeen"),
        (999_999, "nine hundred ninety-nine thousand nine hundred ninety-nine"),
    ],
)
def test_number_to_words(n: int, words: str) -> None:
    assert number_to_words(n) == words


def test_ordinals_and_years_helpers() -> None:
    assert [ordinal_to_words(i) for i in (1, 2, 3, 5, 12, 20, 22, 103, 1000)] == [
        "first",
        "second",
        "third",
        "fifth",
        "twelfth",
        "twentieth",
        "twenty-second",
        "one hundred third",
        "one thousandth",
    ]
    assert year_to_words(1905) == "nineteen oh five"
    assert year_to_words(1900) == "nineteen hundred"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # cardinals, negatives, commas
        ("I have 42 cats.", "I have forty-two cats."),
        ("It is -15 outside", "It is minus fifteen outside"),
        ("1,000,000 people", "one million people"),
        ("7000000000000", "seven trillion"),
        ("Call 007.", "Call zero zero seven."),
        # ordinals
        ("the 1st, 22nd and 103rd", "the first, twenty-second and one hundred third"),
        ("January 5, 2020", "January fifth, twenty twenty"),
        # decimals
        ("pi is 3.14", "pi is three point one four"),
        ("-2.5", "minus two point five"),
        # years vs quantities
        ("In 1999.", "In nineteen ninety-nine."),
        ("In 2005", "In two thousand five"),
        ("In 2010", "In twenty ten"),
        ("the 1990s", "the nineteen nineties"),
        ("1999 dollars", "one thousand nine hundred ninety-nine dollars"),
        ("2048 bytes", "two thousand forty-eight bytes"),
        ("1099 and 2100", "one thousand ninety-nine and two thousand one hundred"),
        # currency
        ("$3.50", "three dollars and fifty cents"),
        ("$1", "one dollar"),
        ("It cost $1.01!", "It cost one dollar and one cent!"),
        ("$0.50", "fifty cents"),
        ("£5", "five pounds"),
        ("€10", "ten euros"),
        ("$1,250", "one thousand two hundred fifty dollars"),
        ("$2.5 million", "two point five million dollars"),
        # times
        ("3:15 pm", "three fifteen p m"),
        ("at 10:00", "at ten o'clock"),
        ("10:05 a.m.", "ten oh five a-m."),
        ("7 PM tonight", "seven p m tonight"),
        # percent
        ("50%", "fifty percent"),
        ("up 3.5 %", "up three point five percent"),
        # abbreviations
        ("Mr. and Mrs. Smith", "Mister and Missus Smith"),
        ("Dr. Who met Prof. Oak", "Doctor Who met Professor Oak"),
        ("St. Louis is on Main St.", "Saint Louis is on Main Street."),
        ("Martin Luther King Jr. was there", "Martin Luther King Junior was there"),
        ("apples, pears, etc. and more", "apples, pears, et cetera and more"),
        ("cats vs. dogs", "cats versus dogs"),
        ("fruit, e.g. apples, i.e. red ones", "fruit, for example apples, that is red ones"),
        ("Acme Co. Ltd. is big", "Acme Company Limited is big"),
        ("No. 5 is best", "number five is best"),
        # symbols and unicode
        ("you & me + them @ home", "you and me plus them at home"),
        ("\u201cHi\u201d \u2014 she said\u2026", '"Hi", she said...'),
        ("it\u2019s\u00a0fine", "it's fine"),
        ("  lots \t of \n space ", "lots of space"),
        ("r\u00e9sum\u00e9 \u0141\u00f3d\u017a \ufb01ne", "r\u00e9sum\u00e9 L\u00f3dz fine"),
        ("Hello \U0001f642 world!", "Hello world!"),
        ("\U0001f642\U0001f642", ""),
        ("x (y) z", "x, y, z"),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


def test_normalize_keeps_sentence_punctuation() -> None:
    out = normalize_text("Wait; what? Yes: no, maybe! Done.")
    assert out == "Wait; what? Yes: no, maybe! Done."


# --------------------------------------------------------------------------------------------------------
# Symbol table
# --------------------------------------------------------------------------------------------------------


def test_default_symbols_cover_espeak_en_us() -> None:
    table = SymbolTable()
    assert table.symbols[0] == "_" and table.pad_id == 0
    assert len(set(table.symbols)) == len(table)
    for ch in 'ˈˌːˑᵻɚɝɾʔɐɜɪʊʌɔæɑɒəɛɡŋθðʃʒʧʤɹɬɫʲ\u0303çxaz;:,.!?¡¿—…"«»“” ':
        assert ch in table, ch


def test_unknown_symbols_dropped_with_one_warning() -> None:
    table = SymbolTable()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ids = table.encode("hə☃lˈoʊ\U0001f642☃", intersperse_blank=False)
    relevant = [w for w in caught if issubclass(w.category, UnknownSymbolWarning)]
    assert len(relevant) == 1
    assert relevant[0].filename == __file__, "attributed to the caller, not to fmtts"
    msg = str(relevant[0].message)
    assert "☃" in msg and "\U0001f642" in msg
    assert table.decode(ids) == "həlˈoʊ"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # known symbols: no warning at all
        assert table.encode("həlˈoʊ") == ids


def test_intersperse_blank() -> None:
    table = SymbolTable()
    plain = table.encode("abc")
    inter = table.encode("abc", intersperse_blank=True)
    assert len(inter) == 2 * len(plain) + 1
    assert inter[1::2] == plain and set(inter[0::2]) == {table.blank_id} == {0}
    assert table.decode(inter) == "abc"
    with_blank = SymbolTable(blank="#")
    assert with_blank.symbols[-1] == "#" and with_blank.blank_id == len(with_blank) - 1
    assert with_blank.encode("ab", intersperse_blank=True)[0::2] == [with_blank.blank_id] * 3
    assert table.encode("", intersperse_blank=True) == []


def test_symbol_table_roundtrip() -> None:
    for table in (SymbolTable(), SymbolTable(symbols=list("abc"), blank="~")):
        d = json.loads(json.dumps(table.to_dict()))
        clone = SymbolTable.from_dict(d)
        assert clone == table and len(clone) == len(table)
        assert clone.encode("ab", intersperse_blank=True) == table.encode("ab", intersperse_blank=True)
    small = SymbolTable(symbols=list("abc"))
    assert small.symbols == ["_", "a", "b", "c"]
    with pytest.raises(ValueError):
        SymbolTable(symbols=["a", "_", "b"])  # pad not first
    with pytest.raises(ValueError):
        SymbolTable(symbols=["_", "a", "a"])


# --------------------------------------------------------------------------------------------------------
# TextProcessor
# --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", ["", "   \n\t", "\U0001f642\U0001f642", "..."])
def test_text_errors_name_the_text(processor: TextProcessor, bad: str) -> None:
    with pytest.raises(TextError) as info:
        processor.text_to_ids(bad)
    assert repr(bad) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_text_to_ids(processor: TextProcessor) -> None:
    ids = processor.text_to_ids("Hello world.")
    assert processor.intersperse_blank and ids[0::2] == [0] * (len(ids) // 2 + 1)
    assert processor.symbols.decode(ids) == processor.phonemizer("Hello world.")
    assert all(0 <= i < processor.n_symbols for i in ids)
    batch = processor.batch_text_to_ids(["Hello world.", "It cost $5."])
    assert batch[0] == ids and len(batch) == 2
    with pytest.raises(TextError, match="index 1"):
        processor.batch_text_to_ids(["fine", "\U0001f642"])


def test_text_processor_roundtrip(processor: TextProcessor) -> None:
    d = json.loads(json.dumps(processor.to_dict()))
    assert d["phonemizer"]["backend_version"] == processor.phonemizer.backend_version
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clone = TextProcessor.from_dict(d)
    assert clone.text_to_ids("One more test.") == processor.text_to_ids("One more test.")
    d["phonemizer"]["backend_version"] = "0.0.1"
    with pytest.warns(UserWarning, match="0.0.1") as record:
        TextProcessor.from_dict(d)
    assert record[0].filename == __file__


# --------------------------------------------------------------------------------------------------------
# Sentence splitting
# --------------------------------------------------------------------------------------------------------

LONG_TEXT = (
    'Mr. Smith went to Washington on Jan. 5. He said: "Hello there!" Then, after a very long pause, '
    "J. R. R. Tolkien arrived; everyone cheered... Was the U.S. Army there too? Yes, it was, and the band "
    "played on and on, louder and louder, until the neighbours, who had been patient all evening long, "
    "finally called the police at half past eleven.\n\nA new paragraph starts here. "
    + "word " * 60
    + "pneumonoultramicroscopicsilicovolcanoconiosis end."
)


@pytest.mark.parametrize("max_chars", [20, 45, 80, 200])
def test_split_sentences_respects_words_and_length(max_chars: int) -> None:
    chunks = split_sentences(LONG_TEXT, max_chars=max_chars)
    assert " ".join(chunks).split() == LONG_TEXT.split()  # nothing lost, no word cut
    for c in chunks:
        assert c == c.strip() and c
        assert len(c) <= max_chars or len(c.split()) == 1, c


def test_split_first_clause() -> None:
    from fmtts.text.sentences import split_first_clause

    s = "The quick brown fox jumps over the lazy dog, and then it runs far away into the woods."
    assert split_first_clause(s, 60) == (
        "The quick brown fox jumps over the lazy dog,",
        "and then it runs far away into the woods.",
    )
    assert split_first_clause(s, 200) is None  # fits already
    assert split_first_clause(s, 20) is None  # first clause too long: words are not split
    two = "Well, then, we shall see: the rest of it comes later, when it comes."
    head, rest = split_first_clause(two, 40)
    assert head == "Well, then, we shall see:" and f"{head} {rest}" == two  # leading clauses packed
    assert split_first_clause("Yes, and a very long sentence without any more commas at all.", 30) is None
    assert split_first_clause("A long sentence with a comma right at the end, yes.", 48) is None


def test_split_sentences_boundaries() -> None:
    chunks = split_sentences(LONG_TEXT, max_chars=400)
    assert chunks[0] == "Mr. Smith went to Washington on Jan. 5."
    assert chunks[1] == 'He said: "Hello there!"'
    assert "Then, after a very long pause, J. R. R. Tolkien arrived;" in chunks
    assert "everyone cheered..." in chunks
    assert "Was the U.S. Army there too?" in chunks
    assert chunks[-2] == "A new paragraph starts here."
    long = split_sentences(LONG_TEXT, max_chars=60)
    assert any(c.endswith(",") for c in long)  # long sentence split at commas
    assert split_sentences("") == [] and split_sentences("  \n ") == []
    with pytest.raises(ValueError):
        split_sentences("x", max_chars=0)


@pytest.mark.parametrize(
    "text, first",
    [
        ("See Fig. 3 for details. Then go.", "See Fig. 3 for details."),
        ("Read Vol. IV now. Ok.", "Read Vol. IV now."),
        ("She has a Ph.D. in physics. Good.", "She has a Ph.D. in physics."),
        ("Apples, pears etc. are fruit. Yes.", "Apples, pears etc. are fruit."),
        ("John Smith Jr. said hi. Bye.", "John Smith Jr. said hi."),
        ("He works at Acme Inc. The firm is big.", "He works at Acme Inc."),  # may end a sentence
        ("I said no. Five people came.", "I said no."),  # "No." is a reference only before a number
        ("I said no. I went home.", "I said no."),  # nor before the pronoun "I"
        ("Just a sec. I will check.", "Just a sec."),
    ],
)
def test_sentences_do_not_end_at_the_normalizers_abbreviations(text: str, first: str) -> None:
    """The splitter runs before the normalizer: an abbreviation it reads with the next word ("Fig. 3"
    → "figure three") must stay in one chunk with it."""
    assert split_sentences(text)[0] == first


def test_split_sentences_keeps_punctuation_only_pieces_with_their_neighbours() -> None:
    for text in ['He said "Stop!" ... and left.', "Well . . . okay.", "... Then silence."]:
        chunks = split_sentences(text)
        assert all(any(c.isalnum() for c in chunk) for chunk in chunks), chunks
        assert " ".join(chunks).split() == text.split()


def test_a_sentence_the_voice_cannot_say_is_left_out_with_a_warning(text_processor) -> None:
    """A sentence in another script (or of emoji) is left out, as such words are inside a sentence; only
    text with nothing speakable at all is an error. The stream plans the same way."""
    from fmtts.streaming import iter_plan
    from fmtts.text.plan import plan_speech

    text = "I love Tokyo. 東京が大好き! See you."
    with pytest.warns(UserWarning, match="cannot say"):
        plan = plan_speech(text, text_processor)
    assert [c.text for c in plan] == ["I love Tokyo.", "See you."]
    with pytest.warns(UserWarning, match="cannot say"):
        assert [c.text for c in iter_plan(text, text_processor)] == ["I love Tokyo.", "See you."]
    with pytest.warns(UserWarning), pytest.raises(TextError, match="nothing to speak"):
        plan_speech("東京が大好き!", text_processor)
    with pytest.warns(UserWarning), pytest.raises(TextError, match="nothing to speak"):
        list(iter_plan("東京が大好き! 😀 Привет.", text_processor))
