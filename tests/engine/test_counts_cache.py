"""The n-gram counts cache: a retrain counts only new texts and still fits exactly the same model."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from u22a8 import engine
from u22a8.engine import Dataset
from u22a8.engine.counts_cache import CountsCache
from u22a8.engine.features import CountedTexts

from .conftest import classify_data


def _same_counts(a: CountedTexts, b: CountedTexts) -> None:
    """Equal after dropping columns no row uses (a snapshot keeps terms of removed texts)."""
    for (name, _, ca), (_, _, cb) in zip(a.blocks, b.blocks):
        used = np.flatnonzero(np.bincount(cb.indices, minlength=cb.shape[1]))
        assert list(b.terms[name][used]) == list(a.terms[name])
        assert (cb[:, used] != ca).nnz == 0


def test_snapshot_plus_new_texts_equals_a_fresh_count(tmp_path: Path) -> None:
    old = [f"please refund order {i} today" for i in range(30)] + ["why is my card blocked?"]
    cache = CountsCache(tmp_path)
    cache.save("m", old, CountedTexts(old, [1, 2], [2, 4]))
    # Some texts removed, some reordered, new ones with unseen words and characters, a duplicate.
    now = old[5:][::-1] + ["zebra quokka £42", "¡hola!", "zebra quokka £42", "..."]
    got = cache.counted("m", now, [1, 2], [2, 4])
    _same_counts(CountedTexts(now, [1, 2], [2, 4]), got)


def test_other_configuration_or_name_is_a_fresh_count(tmp_path: Path) -> None:
    texts = ["a b c", "d e f", "a d"]
    cache = CountsCache(tmp_path)
    cache.save("m", texts, CountedTexts(texts, [1, 1], None))
    _same_counts(CountedTexts(texts, [1, 2], None), cache.counted("m", texts, [1, 2], None))
    _same_counts(CountedTexts(texts, [1, 1], None), cache.counted("other", texts, [1, 1], None))


def test_unreadable_snapshot_is_recounted(tmp_path: Path) -> None:
    texts = ["a b c", "d e f"]
    cache = CountsCache(tmp_path)
    cache.save("m", texts, CountedTexts(texts, [1, 1], [2, 3]))
    for f in (tmp_path / "counts").iterdir():
        f.write_bytes(b"not an npz file")
    _same_counts(CountedTexts(texts, [1, 1], [2, 3]), cache.counted("m", texts, [1, 1], [2, 3]))


def test_refit_with_counts_cache_fits_the_same_model(tmp_path: Path) -> None:
    first = classify_data(20, seed=0)
    searched = engine.search(first, "low", cache_dir=tmp_path, counts_key="model-1")
    deadline = time.monotonic() + 10  # written in the background, off the run's path
    while not list((tmp_path / "counts").glob("*.npz")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list((tmp_path / "counts").glob("*.npz")), "the search leaves a snapshot for the first retrain"
    more = classify_data(25, seed=1)
    grown = Dataset("classify", list(first.texts) + list(more.texts), list(first.targets) + list(more.targets))
    cached = engine.refit(grown, searched.params, cache_dir=tmp_path, counts_key="model-1")
    plain = engine.refit(grown, searched.params)
    assert cached.metrics["primary"] == plain.metrics["primary"]
    assert cached.metrics["confusion"] == plain.metrics["confusion"]
    texts = ["glad and happy", "no refund policy", "sorry our mistake", "zzz unseen"]
    a = engine.load_predictor(cached.artifact, engine.artifact_checksum(cached.artifact)).outputs(texts)
    b = engine.load_predictor(plain.artifact, engine.artifact_checksum(plain.artifact)).outputs(texts)
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
