#!/usr/bin/env python3
"""Build the demo corpus prompt list from Jane Austen's six novels (public domain).

Source: Debian's ``r-cran-janeaustenr`` (``apt-get install r-cran-janeaustenr``), whose novels are stored
as R lazy-load files. We read them without R: ``Rdata.rdx`` is a gzip'ed serialized index
(name -> offset, length in ``Rdata.rdb``), and each ``.rdb`` chunk is a 4-byte length followed by a
zlib stream of a serialized R object, which PyPI ``rdata`` parses.

The committed output (``fmtts/corpus/prompts.txt``, package data, one sentence a line) is what the
corpus builder reads, so
nobody needs Debian to rebuild the corpus.

    python egs/demo/make_prompts.py [--src /usr/lib/R/site-library/janeaustenr/data/Rdata] [--out prompts.txt]
"""

from __future__ import annotations

import argparse
import gzip
import re
import unicodedata
import warnings
import zlib
from pathlib import Path

NOVELS = ["sensesensibility", "prideprejudice", "mansfieldpark", "emma", "northangerabbey", "persuasion"]
DEFAULT_SRC = "/usr/lib/R/site-library/janeaustenr/data/Rdata"

_HEADING = re.compile(r"^(chapter|volume|vol\.|book|the end|finis)\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r'(?<=[.!?])["\')\]]*\s+(?=["\'(\[]*[A-Z])')
_ALLOWED = re.compile(r"^[A-Za-z0-9 ,.;:!?'\"()-]+$")
# Honorifics whose full stop does not end a sentence.
_ABBREV_END = re.compile(r"\b(Mr|Mrs|Dr|St|Col|Capt|Gen|Sir|Messrs)\.$")


def read_novels(src: str) -> dict[str, list[str]]:
    """Return {novel name: list of text lines} from the R lazy-load database ``src`` (no extension)."""
    import rdata

    warnings.simplefilter("ignore")  # rdata warns about R version details we do not care about
    index = rdata.conversion.convert(
        rdata.parser.parse_data(gzip.decompress(Path(src + ".rdx").read_bytes()))
    )
    blob = Path(src + ".rdb").read_bytes()
    novels = {}
    for name, (offset, length) in index["variables"].items():
        chunk = blob[int(offset) : int(offset) + int(length)]
        obj = rdata.conversion.convert(rdata.parser.parse_data(zlib.decompress(chunk[4:])))
        novels[str(name)] = [str(x) for x in obj]
    return novels


def paragraphs(lines: list[str]) -> list[str]:
    """Join wrapped lines into paragraphs (blank lines separate them); drop headings."""
    out, cur = [], []
    for line in lines + [""]:
        line = line.strip()
        if not line:
            if cur:
                out.append(" ".join(cur))
                cur = []
            continue
        if _HEADING.match(line) and not cur:
            continue
        cur.append(line)
    return out


def clean(sentence: str) -> str:
    s = unicodedata.normalize("NFKD", sentence).encode("ascii", "ignore").decode()
    s = s.replace("_", "").replace("--", ", ").replace("`", "'")
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"\s+([,.;:!?])", r"\1", s)
    s = re.sub(r",\s*,", ",", s)
    return s


def split_sentences(paragraph: str) -> list[str]:
    parts = _SENTENCE_END.split(paragraph)
    merged: list[str] = []
    for p in parts:
        if merged and _ABBREV_END.search(merged[-1]):
            merged[-1] = merged[-1] + " " + p
        else:
            merged.append(p)
    return merged


def usable(s: str, min_words: int, max_words: int) -> bool:
    n = len(s.split())
    if not (min_words <= n <= max_words):
        return False
    if not _ALLOWED.match(s) or s[-1] not in ".!?\"'":
        return False
    if s.count('"') % 2 or s.count("(") != s.count(")"):
        return False  # quotation or bracket split across sentences
    return sum(c.isupper() for c in s) < 0.3 * sum(c.isalpha() for c in s)


def build_prompts(src: str = DEFAULT_SRC, min_words: int = 3, max_words: int = 25) -> list[str]:
    novels = read_novels(src)
    seen: set[str] = set()
    prompts = []
    for name in NOVELS:
        for para in paragraphs(novels[name]):
            for raw in split_sentences(para):
                s = clean(raw)
                key = s.lower()
                if usable(s, min_words, max_words) and key not in seen:
                    seen.add(key)
                    prompts.append(s)
    return prompts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", default=DEFAULT_SRC, help="R lazy-load database path without extension")
    ap.add_argument(
        "--out", default=str(Path(__file__).resolve().parents[2] / "fmtts" / "corpus" / "prompts.txt")
    )
    ap.add_argument("--min-words", type=int, default=3)
    ap.add_argument("--max-words", type=int, default=25)
    args = ap.parse_args()
    if not Path(args.src + ".rdx").is_file():
        raise SystemExit(f"{args.src}.rdx not found: install Debian's r-cran-janeaustenr or pass --src")
    prompts = build_prompts(args.src, args.min_words, args.max_words)
    Path(args.out).write_text("\n".join(prompts) + "\n", encoding="utf-8")
    words = sum(len(p.split()) for p in prompts)
    print(f"wrote {len(prompts)} prompts ({words} words) to {args.out}")


if __name__ == "__main__":
    main()
