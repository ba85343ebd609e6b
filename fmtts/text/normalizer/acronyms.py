"""Acronyms: all-caps tokens of 2-5 letters, and dotted ones ("U.S.").

eSpeak spells an all-caps token itself when it starts with letters that cannot start an English syllable
(FBI, HTML, NBA), with natural acronym stress, so those are left alone; so are the ones it reads as words
(NASA, a shouted STOP). A token that starts like a word is read as one at the end of a phrase ("the NIH,"
-> "nih", "the IQ" -> "ick"): the normaliser spells those that are not pronounceable (OTC, UCSB, NIH) and
those listed in :data:`SPELLED_ACRONYMS`.
"""

from __future__ import annotations

import re

from fmtts.text.normalizer.context import Rule, alternation
from fmtts.text.normalizer.verbalize import spell_letters

# Pronounceable-looking acronyms that people spell.
SPELLED_ACRONYMS = frozenset(
    """
    AD AI AKA AOL API AR CE DIY DOA DOD EA EEG EOD EOF EPA EST ETA FYI ICU IDE IOU IP IPA IPO IRA IRS IV
    LED MIT NYSE NYU RAF SEC SEO SOS UAE UFO UI UPS URI URL UX VIP XX XXX YMCA
    """.split()
)

# Read as words even though the pronounceability test might disagree (it is consulted first).
WORD_ACRONYMS = frozenset(
    """
    NASA NATO UNESCO SCUBA LASER RADAR SONAR UNICEF NAFTA OPEC FIFA AIDS COVID IKEA CUDA JSON JPEG MPEG
    GIF PIN RAM SIM ZIP RAID LAN WAN WIFI ASCII BIOS OLED CERN SARS NOAA OSHA HIPAA GUI AJAX FEMA DARPA
    NIST ANSI ASAP YOLO NIMBY POTUS SWAT TASER AWOL EFTA ASEAN ANZAC IMAX SIMD AHH ARGH UGH HMM
    """.split()
)

# Fixed readings.
ACRONYM_READINGS: dict[str, str] = {
    "NCAA": "N-C-double-A", "NAACP": "N-double-A-C-P", "AAA": "triple-A", "IEEE": "I-triple-E",
    "WWI": "World War one", "WWII": "World War two",
}  # fmt: skip

# English syllable onsets and codas, for the pronounceability test (upper case).
ONSETS = """
    B BL BR C CH CHR CL CR D DR DW F FL FR G GL GN GR H J K KL KN KR L M N P PH PHR PL PR PS QU R RH S SC
    SCH SCR SH SHR SK SL SM SN SP SPH SPL SPR SQU ST STR SW T TH THR TR TW V W WH WR Y Z
""".split()
CODAS = """
    B BS CH CK CKS CT D DS F FF FS FT G GH GS GHT K KS L LD LF LK LL LM LP LS LT M MB MP MPS MS N NCH ND NDS
    NG NGS NK NKS NS NT NTH NTS P PS PT R RB RCH RD RF RG RK RM RN RP RS RST RT RTH S SH SK SP SS ST T TCH
    TH TS W WN X Z
""".split()

_ONSET_RE = "(?:" + alternation(ONSETS) + ")"
_CODA_RE = "(?:" + alternation(CODAS) + ")"
_NUCLEUS_RE = "(?:[AEIOU]+Y?|Y)"
_PRONOUNCEABLE_RE = re.compile(f"(?:{_ONSET_RE}?{_NUCLEUS_RE}{_CODA_RE}?)+")
# roughly when eSpeak tries a token as a word: a vowel first, or a consonant (cluster) and then a vowel
_WORD_START_RE = re.compile(f"(?:{_ONSET_RE}|[B-DF-HJ-NP-TV-Z])?{_NUCLEUS_RE}")


def _acronym(m: re.Match[str]) -> str:
    letters, suffix = m.group(1), m.group(2) or ""
    if letters in ACRONYM_READINGS:
        return ACRONYM_READINGS[letters] + ("'s" if suffix else "")
    if letters in WORD_ACRONYMS:
        return m.group(0)
    spell = (
        letters in SPELLED_ACRONYMS
        or suffix == "s"  # eSpeak drops or misreads the plural: "TVs" -> "T V", "ICUs" -> "icus"
        or (not _PRONOUNCEABLE_RE.fullmatch(letters) and _WORD_START_RE.match(letters))
    )
    if not spell:
        return m.group(0)
    if suffix:
        return "-".join(letters) + "'s"  # "E-P-A's": before "'s" the A is read as a letter
    return spell_letters(letters)


def _dotted(m: re.Match[str]) -> str:
    """ "U.S." -> "US", which the acronym rule then reads (eSpeak spells "US" itself)."""
    letters = m.group(1).replace(".", "")
    # "U.S. Army": a capital after the last dot is no evidence of a sentence end here
    return letters + ("." if not m.string[m.end() :].strip() else "")


DOTTED = Rule(re.compile(r"(?<![\w.])((?:[A-Z]\.){2,})"), _dotted)
ACRONYM = Rule(re.compile(r"(?<![\w'])([A-Z]{2,5})(s|'s)?(?![\w'])"), _acronym)
