"""The k nearest training rows of a query by dot product: one rule, reached two ways.

The rule (what :class:`~u22a8.engine.families.KNNHead` answers, alone or in a batch, through
scikit-learn or the serving plan): the k rows with the largest similarity, a tie going to the
earlier row, where a row's similarity is its dot product with the query summed in float64 (each
float32 × float32 product is exact there) and handed on rounded to float32. A float32 BLAS
product cannot be the definition: its last bits depend on where a row sits in the matrix and
on how many queries share the call, so one text and the same text in a batch could pick
different neighbours on a near tie, and a path that reads fewer rows could never agree with it.
Float32 sims serve only to find candidates: every row whose float32 sim is within twice the
product's error bound of the k-th largest is re-summed in float64, and the rule picks among them.

:func:`top_k` computes every float32 sim (one matrix product per block of queries).
:class:`PrunedIndex` answers one query without reading every row: the rows are rotated once onto
their principal axes (at load), the first ``r`` rotated coordinates of every row are kept in a
small matrix, and the rest of each row only as its norm. For a query, ``A_r · q_r`` plus
``|q_rest| · |x_rest|`` (Cauchy-Schwarz) bounds each row's sim from above; the exact sims of the
k rows the bound ranks first give a floor that the k-th sim cannot be below, and only the rows
whose bound reaches the floor are read. Every float error is bounded with room to spare (see
:func:`_dot_error`), so no row of the answer is ever pruned: the answer is the rule's, exactly.
"""

from __future__ import annotations

import numpy as np

__all__ = ["top_k", "max_norm", "PrunedIndex", "pruned_index"]

_U = 2.0**-24  # float32 unit roundoff
MIN_PRUNED_ROWS = 2048  # below this a full product is as cheap as the bounds (tests lower it)
MAX_PRUNED_DIM = 1024  # the rotation is d × d: fine for embeddings, not for n-gram columns
_BLOCK = 1 << 20  # elements of the float64 candidate rows re-summed at once in a batch


def _dot_error(d: int) -> float:
    """Bound on |float32 dot product of length d − exact| relative to |q|·|x| (BLAS or not)."""
    return d * _U / (1 - d * _U)


def _exact(X: np.ndarray, rows: np.ndarray, q64: np.ndarray) -> np.ndarray:
    """float64 sims of ``rows`` (any shape) with ``q64`` (broadcast on the last axis).

    Each row is summed on its own by numpy's reduction along the last axis, so its value does
    not depend on which other rows or queries are in the call."""
    return np.multiply(X[rows], q64).sum(axis=-1)  # type: ignore[no-any-return]


def _pick(rows: np.ndarray, sims: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The rule among candidate ``rows`` (a superset of the answer) with their float64 ``sims``:
    the k largest, ties to the earlier row, largest first; along the last axis."""
    order = np.lexsort((rows, -sims), axis=-1)[..., :k]
    return np.take_along_axis(rows, order, -1), np.take_along_axis(sims, order, -1).astype(np.float32)


def _no_direction(n: int, k: int) -> np.ndarray:
    """A zero query (a text with no known token) has every sim exactly 0: it keeps the rows
    numpy's introselect picked for it before this rule existed, so such texts answer as they did."""
    return np.argpartition(np.zeros(n, dtype=np.float32), k - 1)[:k]


def _refine(X: np.ndarray, q: np.ndarray, rows: np.ndarray, sims32: np.ndarray, k: int,
            err: float) -> tuple[np.ndarray, np.ndarray]:
    """One query: ``rows`` ⊇ the answer with float32 ``sims32`` (each within ``err`` of exact)."""
    m = len(rows)
    if m > k:
        rows = rows[sims32 >= np.partition(sims32, m - k)[m - k] - 2 * err]
    sims = _exact(X, rows, q.astype(np.float64))
    order = np.lexsort((rows, -sims))[:k]
    return rows[order], sims[order].astype(np.float32)


def top_k(X: np.ndarray, Q: np.ndarray, k: int, xmax: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(rows, float32 sims), each (queries × k), of the rule for every query row of ``Q``.

    ``X`` (n × d) and ``Q`` are float32; ``k`` ≤ n; ``xmax``: :func:`max_norm` of ``X`` (a
    caller with several blocks of queries computes it once)."""
    n, d = X.shape
    idx = np.empty((len(Q), k), dtype=np.intp)
    top = np.zeros((len(Q), k), dtype=np.float32)
    if not len(Q):
        return idx, top
    sims = Q @ X.T
    qnorm = np.sqrt(np.einsum("ij,ij->i", Q, Q, dtype=np.float64))
    err = _dot_error(d) * qnorm * (max_norm(X) if xmax is None else xmax)
    kth = np.partition(sims, n - k, axis=1)[:, n - k]
    wide = (sims >= (kth - 2 * err)[:, None]).sum(axis=1)
    zero = qnorm == 0
    idx[zero], top[zero] = _no_direction(n, k), 0
    # Candidates of every row at once (the m largest float32 sims, m the widest row's count),
    # unless one row's ties would make that block huge: those rows go one at a time.
    alone = ~zero & (wide > 4 * k + 64)
    together = np.flatnonzero(~zero & ~alone)
    for i in np.flatnonzero(alone):
        idx[i], top[i] = _refine(X, Q[i], np.arange(n), sims[i], k, err[i])
    if len(together):
        m = int(wide[together].max())
        step = max(1, _BLOCK // (m * d))
        for s in range(0, len(together), step):
            rows_i = together[s : s + step]
            part = sims[rows_i]
            cand = np.argpartition(-part, m - 1, axis=1)[:, :m] if m < n else np.broadcast_to(np.arange(n), part.shape)
            cand = np.ascontiguousarray(cand)
            idx[rows_i], top[rows_i] = _pick(cand, _exact(X, cand, Q[rows_i, None, :].astype(np.float64)), k)
    return idx, top


def max_norm(X: np.ndarray) -> float:
    """An upper bound on the largest row norm of float32 ``X`` (its float32 sums of squares,
    rounded up by their own error bound)."""
    if not len(X):
        return 0.0
    return float(np.sqrt(float(np.einsum("ij,ij->i", X, X).max()) * (1 + 2 * _dot_error(X.shape[1]))))


def pruned_index(X: np.ndarray) -> "PrunedIndex | None":
    """The index when it pays (enough rows, few enough columns), else None."""
    return PrunedIndex(X) if X.shape[0] >= MIN_PRUNED_ROWS and X.shape[1] <= MAX_PRUNED_DIM else None


class PrunedIndex:
    """:func:`top_k` for one query, reading a fraction of ``X`` (built once, read-only after:
    safe to share between threads)."""

    def __init__(self, X: np.ndarray, r: int | None = None) -> None:
        self.X = X = np.ascontiguousarray(X, dtype=np.float32)
        n, d = X.shape
        self.r = r = int(r if r is not None else max(1, 5 * d // 16))
        x64 = X.astype(np.float64)
        gram = x64.T @ x64
        _, V = np.linalg.eigh(gram)  # orthonormal columns, whatever the Gram's own rounding
        V = V[:, ::-1]  # largest axes first
        rot = x64 @ V
        self.A = np.ascontiguousarray(rot[:, :r], dtype=np.float32)
        # The rest of each row as its norm, rounded up so the bound stays a bound in float32.
        self.rest = np.nextafter(np.linalg.norm(rot[:, r:], axis=1).astype(np.float32), np.float32(np.inf))
        self.V = np.ascontiguousarray(V, dtype=np.float32)
        self.xmax = max_norm(X)
        # |approx − its exact part| and the rounding of the rotated query, relative to |q|·xmax
        # (derivation in the tests' docstring; it is about 5e-4 at d = 256, a few extra rows).
        self.bound_error = _U * (2 * np.sqrt(d) * (d + 1) + r + 16)
        self.dot_error = _dot_error(d)

    def search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, float32 sims) of the rule for the float32 vector ``q``, as :func:`top_k` gives."""
        n = len(self.X)
        qnorm = float(np.sqrt(np.dot(q.astype(np.float64), q.astype(np.float64))))
        if qnorm == 0:
            return _no_direction(n, k), np.zeros(k, dtype=np.float32)
        scale = qnorm * self.xmax
        qrot = q @ self.V
        approx = self.A @ qrot[: self.r]
        qrest = np.float32(np.linalg.norm(qrot[self.r :].astype(np.float64)) + self.bound_error * qnorm)
        # A floor for the k-th sim: the k-th exact sim among the rows the projection ranks first.
        first = np.partition(approx, n - k)[n - k]
        seeds = np.flatnonzero(approx >= first)
        seed_sims = self.X[seeds] @ q
        floor = np.partition(seed_sims, len(seeds) - k)[len(seeds) - k] - self.dot_error * scale
        bound = approx + qrest * self.rest
        rows = np.flatnonzero(bound >= floor - self.bound_error * scale)
        return _refine(self.X, q, rows, self.X[rows] @ q, k, self.dot_error * scale)
