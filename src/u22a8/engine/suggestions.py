"""What to label next: unlabeled texts the predictor is least sure about, spread over the input space.

Two steps, both on what a predictor already computes when it predicts:

1. :func:`score_pool` runs the predictor's members once over the texts and keeps, per text, how
   unsure the mixed output is (:func:`uncertainty`), the model's current guess, and a short
   vector for diversity: the feature matrix of the heaviest member (TF-IDF blocks ⊕ embedding
   ⊕ cues, whichever it uses) sent through a seeded sparse random projection to
   :data:`VECTOR_DIM` dimensions and L2-normalised, so cosine similarities survive (Johnson–
   Lindenstrauss) while a pool of 100k texts costs 100k × 64 floats.
2. :func:`select_diverse` takes the most uncertain candidates and picks greedily the one with the
   largest uncertainty × distance to everything picked so far (an uncertainty-weighted k-center),
   skipping any candidate closer than :data:`NEAR_DUPLICATE` cosine to a pick: a list of 50
   paraphrases of one hard case teaches the model one thing, not 50.

Uncertainty per task: classify, 1 - (p₁ - p₂), the margin between the two likeliest labels (the
rule that is hard to beat in active-learning studies for many classes); multilabel, how close the
closest label's probability is to its decision threshold; score, the spread of the members'
values (0 for a single member, where selection falls back to diversity alone).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .tasks import get_task

__all__ = ["ScoredPool", "score_pool", "uncertainty", "select_diverse", "VECTOR_DIM", "NEAR_DUPLICATE"]

VECTOR_DIM = 64
# Cosine similarity (in the projected space) above which two texts count as the same case.
NEAR_DUPLICATE = 0.92
# How many of the most uncertain texts the diversity step looks at, per text asked for.
CANDIDATES_PER_PICK = 10
_MIN_CANDIDATES = 200
_CHUNK = 2000
_SEED = 20261201


@dataclass
class ScoredPool:
    """Per text, in input order: uncertainty in [0, 1], the model's guess, and a unit vector."""

    uncertainty: np.ndarray  # (n,) float32
    guesses: list[dict[str, Any]]
    vectors: np.ndarray  # (n, VECTOR_DIM) float32, rows of norm 1 (or 0 for an empty text)

    def __len__(self) -> int:
        return len(self.guesses)


def uncertainty(task: str, mixed: np.ndarray, *, thresholds: Sequence[float] | None = None,
                members: list[np.ndarray] | None = None) -> np.ndarray:
    """How unsure the mixed outputs are, per row, in [0, 1] (1: as unsure as can be)."""
    if task == "classify":
        p = mixed / np.maximum(mixed.sum(axis=1, keepdims=True), 1e-12)
        if p.shape[1] < 2:
            return np.zeros(p.shape[0], dtype=np.float32)
        top2 = -np.partition(-p, 1, axis=1)[:, :2]
        return (1.0 - (top2[:, 0] - top2[:, 1])).astype(np.float32)  # type: ignore[no-any-return]
    if task == "multilabel":
        t = np.asarray(thresholds if thresholds is not None else [0.5] * mixed.shape[1], dtype=np.float64)
        # Distance to the threshold, scaled by how far the probability could go on that side.
        span = np.where(mixed >= t, 1.0 - t, t)
        closeness = 1.0 - np.abs(mixed - t) / np.maximum(span, 1e-12)
        return np.clip(closeness.max(axis=1), 0.0, 1.0).astype(np.float32)  # type: ignore[no-any-return]
    if members and len(members) > 1:
        spread = np.std(np.stack([m.reshape(m.shape[0], -1)[:, 0] for m in members]), axis=0)
        top = float(spread.max()) if spread.size else 0.0
        return (spread / top if top > 0 else spread).astype(np.float32)  # type: ignore[no-any-return]
    return np.zeros(mixed.shape[0], dtype=np.float32)


def _projection(n_features: int) -> sp.csr_matrix:
    """A seeded sparse random projection (Achlioptas / Li et al.): the same matrix for the same width."""
    rng = np.random.default_rng(_SEED + n_features)
    density = 1.0 / np.sqrt(max(n_features, 1))
    nnz = rng.binomial(n_features * VECTOR_DIM, density)
    rows = rng.integers(0, n_features, size=nnz)
    cols = rng.integers(0, VECTOR_DIM, size=nnz)
    signs = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=nnz)
    return sp.csr_matrix((signs, (rows, cols)), shape=(n_features, VECTOR_DIM), dtype=np.float32)


def _vectors(X: Any) -> np.ndarray:
    proj = _projection(X.shape[1])
    V = X @ proj if sp.issparse(X) else np.asarray(X, dtype=np.float32) @ proj.toarray()
    V = np.asarray(V.toarray() if sp.issparse(V) else V, dtype=np.float32)
    norms = np.linalg.norm(V, axis=1, keepdims=True)
    return V / np.where(norms > 0, norms, 1.0)  # type: ignore[no-any-return]


def score_pool(predictor: Any, texts: Sequence[str]) -> ScoredPool:
    """Uncertainty, guess and diversity vector for each text, in one pass of the members per chunk."""
    task = get_task(predictor.task)
    labels = list(predictor.labels or [])
    heaviest = max(range(len(predictor.members)), key=lambda i: predictor.members[i].weight)
    unsure: list[np.ndarray] = []
    guesses: list[dict[str, Any]] = []
    vectors: list[np.ndarray] = []
    for start in range(0, len(texts), _CHUNK):
        chunk = [str(t) for t in texts[start:start + _CHUNK]]
        embeddings: dict[str, np.ndarray] = {}  # members sharing an embedder run it once
        total: np.ndarray | None = None
        outs: list[np.ndarray] = []
        for i, m in enumerate(predictor.members):
            X = m.features.transform(chunk, embeddings=embeddings)
            out = task.apply_temperature(task.raw_output(m.head, X, len(labels)), m.temperature)
            outs.append(out)
            total = out * m.weight if total is None else total + out * m.weight
            if i == heaviest:
                vectors.append(_vectors(X))
        assert total is not None
        unsure.append(uncertainty(predictor.task, total, thresholds=predictor.thresholds, members=outs))
        guesses.extend(task.predictions(total, labels, predictor.thresholds, 3))
    if not guesses:
        return ScoredPool(np.zeros(0, np.float32), [], np.zeros((0, VECTOR_DIM), np.float32))
    return ScoredPool(np.concatenate(unsure), guesses, np.vstack(vectors))


def select_diverse(unsure: np.ndarray, vectors: np.ndarray, limit: int, *,
                   near_duplicate: float = NEAR_DUPLICATE) -> list[int]:
    """Indices of up to ``limit`` rows: uncertain ones, no two closer than ``near_duplicate`` cosine.

    Greedy on the ``limit × CANDIDATES_PER_PICK`` most uncertain rows: first the most uncertain,
    then each time the row maximising uncertainty × (1 - max cosine to a pick). Deterministic:
    ties go to the earlier row.
    """
    n = len(unsure)
    if n == 0 or limit <= 0:
        return []
    m = min(n, max(limit * CANDIDATES_PER_PICK, _MIN_CANDIDATES))
    order = np.argsort(-unsure, kind="stable")[:m]
    u = unsure[order].astype(np.float64) + 1e-6  # a pool the model is sure about still spreads out
    V = vectors[order]
    closest = np.full(m, -np.inf)  # max cosine to any pick so far
    alive = np.ones(m, dtype=bool)
    picks: list[int] = []
    while len(picks) < limit and alive.any():
        gain = np.where(alive, u * np.minimum(1.0 - closest, 1.0), -np.inf) if picks else np.where(alive, u, -np.inf)
        j = int(np.argmax(gain))
        picks.append(int(order[j]))
        alive[j] = False
        sims = V @ V[j]
        closest = np.maximum(closest, sims)
        alive &= closest < near_duplicate
    return picks
