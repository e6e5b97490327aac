"""Blending fine-tuned members into a search's ensemble: shares chosen on the protocol rows by the
score users are shown, never worse than the ensemble alone there."""

from __future__ import annotations

import numpy as np

from u22a8.engine.ensemble import _grid, _protocol_probs, blend_tuned
from u22a8.engine.evaluation import fold_score
from u22a8.engine.training import Workspace

from .conftest import classify_data


BASE = {"features": {"word_ngrams": [1, 1]}, "model": {"family": "svm"}, "weight": 1.0}
TUNED = {"features": {"finetune": {}}, "model": {"family": "finetuned"}}


def _outputs(ws: Workspace, right: np.ndarray, margin: float, seed: int) -> dict[int, np.ndarray]:
    """Held-out margins per protocol fold: the true label ahead by ``margin`` where ``right``,
    a random wrong label ahead elsewhere."""
    rng = np.random.default_rng(seed)
    n_labels = int(ws.y.max()) + 1
    out = {}
    for k in range(ws.n_protocol):
        rows = ws.folds[k][1]
        m = rng.normal(0, 0.1, size=(len(rows), n_labels))
        for i, r in enumerate(rows):
            wrong = (ws.y[r] + 1 + rng.integers(n_labels - 1)) % n_labels
            m[i, ws.y[r] if right[r] else wrong] += margin
        out[k] = m
    return out


def test_blend_takes_the_share_with_the_best_held_out_score() -> None:
    ws = Workspace(classify_data(20))
    rng = np.random.default_rng(0)
    # The base is right on 60% of rows, the tuned member on an independent 80%. Here the share
    # with the best mean log-likelihood (0.7) is 8 points of accuracy below the best share.
    base_out = _outputs(ws, rng.random(ws.n) < 0.6, 2.0, 1)
    tuned_out = _outputs(ws, rng.random(ws.n) < 0.8, 2.0, 2)
    members, info = blend_tuned(ws, [(BASE, base_out)], [(TUNED, tuned_out)])

    rows = ws.protocol_rows()
    y = ws.y[rows]
    blend = info["tuned_blend"]
    assert blend["blend_score"] >= blend["base_score"]
    # Recompute every grid point the way a user would score it: the chosen share is the best.

    b, t = _protocol_probs(ws, base_out, y), _protocol_probs(ws, tuned_out, y)
    scores = {g: fold_score("classify", y, b * (1 - g[0]) + t * g[0]) for g in _grid(1)}
    assert blend["blend_score"] == round(max(scores.values()), 6)
    assert blend["shares"][0] > 0 and scores[tuple(blend["shares"])] == max(scores.values())
    assert abs(sum(m["weight"] for m, _ in members) - 1) < 1e-3


def test_a_useless_tuned_member_gets_no_share() -> None:
    ws = Workspace(classify_data(20))
    rng = np.random.default_rng(1)
    base_out = _outputs(ws, rng.random(ws.n) < 0.9, 3.0, 3)
    tuned_out = _outputs(ws, np.zeros(ws.n, dtype=bool), 3.0, 4)  # always wrong
    members, info = blend_tuned(ws, [(BASE, base_out)], [(TUNED, tuned_out)])
    assert info["tuned_blend"]["shares"] == [0.0]
    assert [m["model"]["family"] for m, _ in members] == ["svm"]
    assert info["tuned_blend"]["blend_score"] == info["tuned_blend"]["base_score"]
