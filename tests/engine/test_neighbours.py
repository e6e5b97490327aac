"""kNN neighbours (engine/neighbours.py): the pruned search for one text, the batch product and
a brute force over every row all pick the same rows, ties and duplicates included.

The brute force here is the rule written out: every row's float64 sum, the k largest, a tie to
the earlier row. A pruned search that dropped a row it should have kept, or a batch path that
broke a tie another way, gives other rows and fails here.
"""

from __future__ import annotations

import numpy as np
import pytest

from u22a8.engine import neighbours
from u22a8.engine.neighbours import PrunedIndex, top_k


def _rule(X: np.ndarray, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    sims = np.multiply(X, q.astype(np.float64)).sum(axis=1)
    if not q.any():
        order = np.argpartition(np.zeros(len(X), dtype=np.float32), k - 1)[:k]
    else:
        order = np.lexsort((np.arange(len(X)), -sims))[:k]
    return order, sims[order].astype(np.float32)


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def _data(kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "clustered":  # like sentence embeddings: intents around a few directions
        centres = rng.standard_normal((20, 64))
        return _unit(centres[rng.integers(0, 20, 1500)] + 0.6 * rng.standard_normal((1500, 64)))
    if kind == "spread":  # no structure at all: the bounds prune little
        return _unit(rng.standard_normal((800, 48)))
    if kind == "duplicates":  # the same text many times (and float16-rounded, as static vectors are)
        base = _unit(rng.standard_normal((300, 32))).astype(np.float16).astype(np.float32)
        return base[rng.integers(0, 300, 1200)]
    if kind == "low_rank":  # the rest of every row is exactly zero
        return _unit(rng.standard_normal((600, 5)) @ rng.standard_normal((5, 40)))
    if kind == "scaled":  # rows of different norms (an embedding block times its weight, padded rows)
        X = _unit(rng.standard_normal((700, 24))) * rng.uniform(0.1, 3.0, (700, 1)).astype(np.float32)
        X[::50] = 0
        return X
    raise AssertionError(kind)


def _queries(X: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    rows = X[rng.integers(0, len(X), 25)]  # a training text itself: ties with its duplicates
    noisy = rows + 0.05 * rng.standard_normal(rows.shape).astype(np.float32)
    far = rng.standard_normal((10, X.shape[1])).astype(np.float32)
    return np.concatenate([rows, noisy, far, np.zeros((1, X.shape[1]), dtype=np.float32)]).astype(np.float32)


@pytest.mark.parametrize("kind", ["clustered", "spread", "duplicates", "low_rank", "scaled"])
@pytest.mark.parametrize("k", [1, 7, 40, "all"])
def test_one_text_and_a_batch_find_the_rules_neighbours(kind: str, k: int | str) -> None:
    rng = np.random.default_rng(7)
    X = _data(kind, rng)
    kk = len(X) if k == "all" else int(k)
    index = PrunedIndex(X)
    Q = _queries(X, rng)
    idx, top = top_k(X, Q, kk)
    for i, q in enumerate(Q):
        want, want_top = _rule(X, q, kk)
        got, got_top = index.search(q, kk)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(got_top, want_top)
        np.testing.assert_array_equal(idx[i], want)
        np.testing.assert_array_equal(top[i], want_top)


def test_the_pruned_search_reads_a_fraction_of_the_rows_on_clustered_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of the index: on embedding-like data one text re-reads few training rows."""
    rng = np.random.default_rng(3)
    centres = rng.standard_normal((40, 128))
    X = _unit(centres[rng.integers(0, 40, 6000)] + 0.5 * rng.standard_normal((6000, 128)))
    index = PrunedIndex(X)
    read: list[int] = []
    refine = neighbours._refine
    monkeypatch.setattr(neighbours, "_refine", lambda X, q, rows, *a: read.append(len(rows)) or refine(X, q, rows, *a))
    for q in X[:50] + 0.1 * rng.standard_normal((50, 128)).astype(np.float32):
        index.search(q.astype(np.float32), 10)
    assert np.median(read) < len(X) / 10, read


def test_the_index_is_built_only_where_it_pays() -> None:
    rng = np.random.default_rng(0)
    assert neighbours.pruned_index(_unit(rng.standard_normal((100, 16)))) is None  # few rows: one product
    wide = np.zeros((neighbours.MIN_PRUNED_ROWS, neighbours.MAX_PRUNED_DIM + 1), dtype=np.float32)
    assert neighbours.pruned_index(wide) is None  # n-gram columns: the rotation would be huge
    assert neighbours.pruned_index(_unit(rng.standard_normal((neighbours.MIN_PRUNED_ROWS, 16)))) is not None


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_query_that_is_not_finite_gets_k_rows_alike_on_both_paths(bad: float) -> None:
    """A NaN or infinity makes every comparison of sims false or meaningless: one text and a batch
    both answer as for a query without direction (k rows, sims 0), and the compiled search never
    reads past the rows it ranked."""
    rng = np.random.default_rng(5)
    X = _unit(rng.standard_normal((3000, 32)))
    q = _unit(rng.standard_normal((1, 32)))[0]
    q[3] = bad
    with np.errstate(invalid="ignore"):  # the batch product meets the NaN or infinity before it is set aside
        rows, sims = PrunedIndex(X).search(q, 7)
        idx, top = top_k(X, q[None, :], 7)
    assert len(rows) == 7 and len(set(rows.tolist())) == 7 and not sims.any()
    np.testing.assert_array_equal(idx[0], rows)
    np.testing.assert_array_equal(top[0], sims)


def test_the_batch_candidates_are_the_largest_sims_of_each_row() -> None:
    """The compiled selection keeps, per row, values equal to the m largest (what argpartition
    kept before it), ties and NaN included: the rule then picks among them."""
    from u22a8.engine import _kernels

    rng = np.random.default_rng(0)
    for case in range(200):
        q, n = int(rng.integers(1, 20)), int(rng.integers(2, 300))
        m = int(rng.integers(1, n))
        sims = rng.normal(size=(q, n)).astype(np.float32)
        if case % 3 == 0:
            sims = np.round(sims, 1)  # many ties, some across the cut
        if case % 5 == 0:
            sims[rng.random(sims.shape) < 0.1] = np.nan
        got = np.empty((q, m), dtype=np.intp)
        _kernels.largest_per_row(sims, got)
        want = np.argpartition(-sims, m - 1, axis=1)[:, :m]
        as_values = lambda cols: np.sort(np.nan_to_num(np.take_along_axis(sims, cols, 1), nan=-np.inf), 1)  # noqa: E731
        assert np.array_equal(as_values(got), as_values(want)), case
        assert all(len(set(row)) == m for row in got.tolist())
