"""Soft-voting ensembles of searched configurations, weighted on out-of-fold predictions.

Greedy forward selection with replacement (Caruana et al., 2004): start from the best single
configuration, repeatedly add the candidate whose inclusion most improves the held-out score of
the averaged calibrated outputs, and use the selection counts as weights. Because the best
single configuration is the starting point, the ensemble is never worse than it on the folds
used for selection.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .space import member_summary
from .training import Workspace

__all__ = ["select_ensemble", "blend_tuned"]

Candidate = tuple[dict[str, Any], dict[int, np.ndarray]]
_ROUNDS = 12


def _common_folds(candidates: list[Candidate]) -> list[int]:
    folds = set(candidates[0][1])
    for _, outs in candidates[1:]:
        folds &= set(outs)
    return sorted(folds)


def _calibrated(ws: Workspace, raw: np.ndarray, y: np.ndarray) -> np.ndarray:
    return ws.task_rules.selection_output(raw, y)


def _objective(ws: Workspace, y: np.ndarray, mixed: np.ndarray) -> tuple[float, float]:
    """(primary score, tie-breaker) of an averaged output; higher is better for both."""
    return ws.task_rules.fold_score(y, mixed), ws.task_rules.tie_breaker(y, mixed)


def select_ensemble(ws: Workspace, candidates: list[Candidate], size: int) -> tuple[list[Candidate], dict[str, Any]]:
    """Pick up to ``size`` distinct members from ``candidates`` (best first); weights sum to 1."""
    folds = _common_folds(candidates)
    if not folds or len(candidates) < 2:
        return candidates[:1], {}
    rows = np.concatenate([ws.folds[k][1] for k in folds])
    y = ws.y[rows]
    outs = [_calibrated(ws, np.concatenate([o[k] for k in folds]), y) for _, o in candidates]

    counts = np.zeros(len(candidates), dtype=int)
    counts[0] = 1
    total = outs[0].copy()
    current = _objective(ws, y, total)
    start = current
    for _ in range(_ROUNDS):
        best_gain, best_j = None, -1
        for j, out in enumerate(outs):
            if counts[j] == 0 and np.count_nonzero(counts) >= size:
                continue
            score = _objective(ws, y, (total + out) / (counts.sum() + 1))
            if best_gain is None or score > best_gain:
                best_gain, best_j = score, j
        if best_gain is None or best_gain <= current:
            break
        counts[best_j] += 1
        total += outs[best_j]
        current = best_gain
    chosen = [j for j in range(len(candidates)) if counts[j] > 0]
    weights = counts[chosen] / counts.sum()
    members = [({**candidates[j][0], "weight": round(float(w), 4)}, candidates[j][1]) for j, w in zip(chosen, weights)]
    info = {"ensemble": {
        "members": [member_summary(m) for m, _ in members],
        "weights": [m["weight"] for m, _ in members],
        "selection_folds": len(folds),
        "single_best_score": round(start[0], 6),
        "ensemble_score": round(current[0], 6),
    }}
    return members, info


_BLEND_STEPS = np.round(np.arange(0.0, 0.81, 0.1), 2)


def _protocol_probs(ws: Workspace, outputs: dict[int, np.ndarray], y: np.ndarray) -> np.ndarray:
    """Calibrated outputs on the protocol rows, exactly as :func:`.assemble.assemble` makes them."""
    return _calibrated(ws, np.concatenate([outputs[k] for k in range(ws.n_protocol)]), y)


def blend_tuned(ws: Workspace, base: list[Candidate], tuned: list[Candidate]) -> tuple[list[Candidate], dict[str, Any]]:
    """Mix the search's ensemble (``base``, weights set) with fine-tuned members, on the protocol rows.

    The tuned members exist on the protocol folds only (each fold's encoder is fine-tuned without
    its held-out rows; more folds would mean more fine-tunings), so their share is chosen there:
    a grid of shares in tenths for each (at most 0.8 in all), ranked like the ensemble's rounds
    (the task's score, then the mean log-likelihood of the true label among ties), and share 0
    is on the grid, so the blend cannot do worse on those rows than the base alone. It ranks by
    the score users are shown, not by log-likelihood alone, which optimises confidence instead
    (bench/RESULTS.md).
    The protocol metrics are then measured on the rows that chose two shares: a slight optimism,
    of the same kind as choosing the best trial on them, and far below their standard error.
    """
    rows = ws.protocol_rows()
    y = ws.y[rows]
    total = sum(float(m.get("weight", 1.0)) for m, _ in base)
    mixed = sum(_protocol_probs(ws, o, y) * (float(m.get("weight", 1.0)) / total) for m, o in base)
    parts = [_protocol_probs(ws, o, y) for _, o in tuned]
    best: tuple[tuple[float, float], tuple[float, ...]] | None = None
    for shares in _grid(len(parts)):
        rest = 1.0 - sum(shares)
        out = mixed * rest + sum((s * p for s, p in zip(shares, parts)), np.zeros_like(mixed))
        rank = _objective(ws, y, out)
        # Strictly better only: on a tie the grid's earlier point (smaller shares) stays.
        if best is None or rank[0] > best[0][0] + 1e-12 or (abs(rank[0] - best[0][0]) <= 1e-12 and rank[1] > best[0][1] + 1e-12):
            best = (rank, shares)
    assert best is not None
    shares = best[1]
    rest = 1.0 - sum(shares)
    members = [({**m, "weight": round(float(m.get("weight", 1.0)) / total * rest, 4)}, o) for m, o in base]
    members += [({**m, "weight": s}, o) for (m, o), s in zip(tuned, shares) if s > 0]
    base_acc = ws.task_rules.fold_score(y, mixed)
    final = mixed * rest + sum((s * p for s, p in zip(shares, parts)), np.zeros_like(mixed))
    info = {"tuned_blend": {
        "shares": [float(s) for s in shares], "base_score": round(base_acc, 6),
        "blend_score": round(ws.task_rules.fold_score(y, final), 6),
        "tuned_scores": [round(ws.task_rules.fold_score(y, p), 6) for p in parts],
    }}
    return members, info


def _grid(n: int) -> list[tuple[float, ...]]:
    out: list[tuple[float, ...]] = [()]
    for _ in range(n):
        out = [(*g, float(s)) for g in out for s in _BLEND_STEPS if sum(g) + s <= 0.8 + 1e-9]
    return out
