"""Sentences the benchmarks speak: unseen by the default voice and by the demo vocoder."""

from __future__ import annotations


def unseen_sentences(n: int) -> list[str]:
    """The last ``n`` prompts of the demo corpus's seeded prompt order (the corpus renders the first ones).
    ``unseen_sentences(n + 1)[1:] == unseen_sentences(n)``: n + 1 adds a warm-up sentence outside
    the set."""
    from fmtts.corpus.build import PROMPTS_FILE, plan_clips, read_prompts

    clips = plan_clips(read_prompts(PROMPTS_FILE), seed=1234)
    return [c.text for c in clips[-n:]]
