"""A small labeled dataset the project writes itself, for the quickstart and the tests.

Support replies in three tones (:mod:`.demo_replies`: about a hundred hand-written replies per
tone). It needs no files and no downloads.
"""

from __future__ import annotations

import random

from .demo_replies import REPLIES

__all__ = ["support_tone_samples", "DEMO_HANDLE"]

DEMO_HANDLE = "demo.support-tone"


def support_tone_samples(per_label: int | None = None, seed: int = 7) -> list[dict[str, str]]:
    """Every reply (or the first ``per_label`` of each tone), shuffled deterministically."""
    rng = random.Random(seed)
    out = [{"text": text, "label": label} for label, texts in REPLIES.items() for text in texts[:per_label]]
    rng.shuffle(out)
    return out
