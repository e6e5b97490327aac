"""The selection behind suggestions: uncertain first, no near-duplicates, spread over clusters."""

from __future__ import annotations

import numpy as np

from u22a8.engine.suggestions import select_diverse, uncertainty


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_margin_uncertainty_ranks_a_tie_above_a_sure_answer() -> None:
    p = np.array([[0.5, 0.5, 0.0], [0.98, 0.01, 0.01], [0.6, 0.3, 0.1]])
    u = uncertainty("classify", p)
    assert u[0] == 1.0 and u[1] < u[2] < u[0]


def test_multilabel_uncertainty_is_closeness_to_the_threshold() -> None:
    p = np.array([[0.31, 0.9], [0.95, 0.02]])
    u = uncertainty("multilabel", p, thresholds=[0.3, 0.5])
    assert u[0] > 0.95 and u[1] < 0.5


def test_selection_skips_near_duplicates_and_covers_every_cluster() -> None:
    rng = np.random.default_rng(0)
    centres = _unit(rng.normal(size=(4, 16)))
    # 40 near-copies of cluster 0, all very uncertain; 5 texts in each other cluster, less uncertain.
    rows = [centres[0] + 0.01 * rng.normal(size=16) for _ in range(40)]
    rows += [centres[c] + 0.3 * rng.normal(size=16) for c in (1, 2, 3) for _ in range(5)]
    vectors = _unit(np.array(rows)).astype(np.float32)
    unsure = np.array([0.99] * 40 + [0.6] * 15, dtype=np.float32)
    picks = select_diverse(unsure, vectors, 4)
    assert picks[0] < 40  # the most uncertain case first
    assert sum(p < 40 for p in picks) == 1  # one of the 40 near-copies, not four
    clusters = {0 if p < 40 else 1 + (p - 40) // 5 for p in picks}
    assert clusters == {0, 1, 2, 3}
    assert len(set(picks)) == len(picks)


def test_selection_is_deterministic_and_bounded() -> None:
    rng = np.random.default_rng(1)
    vectors = _unit(rng.normal(size=(300, 8))).astype(np.float32)
    unsure = rng.random(300).astype(np.float32)
    assert select_diverse(unsure, vectors, 20) == select_diverse(unsure, vectors, 20)
    assert len(select_diverse(unsure, vectors, 20)) <= 20
    assert select_diverse(unsure[:0], vectors[:0], 5) == []
