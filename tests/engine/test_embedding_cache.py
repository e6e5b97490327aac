"""Embedding with a deadline (engine/cache.py): given up as soon as the pace shows it cannot end in
time, not only once the deadline has passed."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from u22a8.engine.cache import CachedEmbedder, EmbeddingTimeout, FeatureCache


class _PacedEmbedder:
    """Takes ``per_text`` seconds a text, and ``first_call`` more on its first call (as a network
    that loads on first use does)."""

    name = "paced"
    version = "paced:1"

    def __init__(self, per_text: float, first_call: float = 0.0) -> None:
        self.per_text, self.first_call, self.calls = per_text, first_call, 0

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(self.per_text * len(texts) + (self.first_call if self.calls == 0 else 0.0))
        self.calls += 1
        return np.ones((len(texts), 4), dtype=np.float32)


def _texts(n: int) -> list[str]:
    return [f"text number {i:06d}" for i in range(n)]  # all of one length


def test_embeddings_that_cannot_end_by_the_deadline_are_given_up_early(tmp_path: Path) -> None:
    cache = FeatureCache(tmp_path)
    emb = CachedEmbedder(_PacedEmbedder(per_text=0.001), cache)  # 0.128 s a chunk, 40 chunks: 5 s
    emb.deadline = time.monotonic() + 2.5
    t0 = time.monotonic()
    with pytest.raises(EmbeddingTimeout):
        emb.encode(_texts(40 * 128))
    # Without the pace it ran to the deadline (2.5 s) for nothing.
    assert time.monotonic() - t0 < 1.5
    # What was embedded is kept: a later run on these texts starts from it.
    assert 0 < emb.missing(_texts(40 * 128)) < 40 * 128


def test_a_slow_first_chunk_does_not_count_in_the_pace(tmp_path: Path) -> None:
    """The first call loads the network: judged by it, 10 chunks that end in 2.5 s looked like 4.5 s."""
    emb = CachedEmbedder(_PacedEmbedder(per_text=0.1 / 128, first_call=1.5), FeatureCache(tmp_path))
    emb.deadline = time.monotonic() + 3.5
    vectors = emb.encode(_texts(10 * 128))
    assert vectors.shape == (10 * 128, 4) and emb.embedded == 10 * 128
