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

:func:`top_k` computes every float32 sim (one matrix product per block of queries) and takes
each query's candidates in one compiled pass (:func:`._kernels.largest_per_row`).
:class:`PrunedIndex` answers one query without reading every row: the rows are rotated once onto
their principal axes (at load), the first ``r`` rotated coordinates of every row are kept in a
small int8 matrix with a scale per row, and the rest of each row only as its norm. For a query,
``scale · A8_r · q_r`` plus ``|x_r − scale · A8_r| · |q|`` plus ``|q_rest| · |x_rest|``
(Cauchy-Schwarz twice) bounds each row's sim from above (one compiled pass,
:func:`._kernels.int8_bounds`); the sims of the k
rows the projection ranks first give a floor that the k-th sim cannot be below, and only the
rows whose bound reaches the floor are read whole. Every float error is bounded with room to
spare (see ``PrunedIndex.bound_error``), so no row of the answer is ever pruned: the answer is
the rule's, exactly. The index is built when a version is loaded, from the fitted rows alone:
artifacts do not change.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["top_k", "max_norm", "PrunedIndex", "pruned_index"]

_U = 2.0**-24  # float32 unit roundoff
MIN_PRUNED_ROWS = 2048  # below this a full product is as cheap as the bounds (tests lower it)
MAX_PRUNED_DIM = 1024  # the rotation is d × d: fine for embeddings, not for n-gram columns
_BLOCK = 1 << 20  # elements of the float64 candidate rows re-summed at once in a batch


def _up(x: np.ndarray) -> np.ndarray:
    """float64 values as float32, each rounded up (so a bound built from them stays a bound)."""
    return np.nextafter(x.astype(np.float32), np.float32(np.inf))


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
    numpy's introselect picked for it before this rule existed, so such texts answer as they did.
    A query that is not finite (no embedder here makes one) answers the same, on every path."""
    return np.argpartition(np.zeros(n, dtype=np.float32), k - 1)[:k]


def _refine(X: np.ndarray, q64: np.ndarray, rows: np.ndarray, sims32: np.ndarray, k: int,
            err: float) -> tuple[np.ndarray, np.ndarray]:
    """One query (``q64``: float64): ``rows`` ⊇ the answer with float32 ``sims32`` (each within
    ``err`` of exact)."""
    m = len(rows)
    if m > k:
        rows = rows[sims32 >= np.partition(sims32, m - k)[m - k] - 2 * err]
    sims = _exact(X, rows, q64)
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
    # Candidates: the m largest float32 sims of each row (one partition, as the k largest took),
    # enough unless a row has more than m within its margin (ties): such rows go one at a time.
    m = min(n, k + 16)
    if m < n:
        from . import _kernels  # numba: loaded with the serving plan, or here by a training fit

        cand = np.empty((len(Q), m), dtype=np.intp)
        _kernels.largest_per_row(np.ascontiguousarray(sims, dtype=np.float32), cand)
    else:
        cand = np.ascontiguousarray(np.broadcast_to(np.arange(n), sims.shape))
    csims = np.take_along_axis(sims, cand, axis=1)
    kth = np.partition(csims, m - k, axis=1)[:, m - k]
    zero = ~((qnorm > 0) & np.isfinite(qnorm))  # a zero query, or one with a NaN or an infinity: no direction
    alone = ~zero & (m < n) & (csims.min(axis=1) >= kth - 2 * err)
    idx[zero], top[zero] = _no_direction(n, k), 0
    for i in np.flatnonzero(alone):
        idx[i], top[i] = _refine(X, Q[i].astype(np.float64), np.arange(n), sims[i], k, err[i])
    together = np.flatnonzero(~zero & ~alone)
    step = max(1, _BLOCK // (m * d))
    for s in range(0, len(together), step):
        rows_i = together[s : s + step]
        idx[rows_i], top[rows_i] = _pick(cand[rows_i], _exact(X, cand[rows_i], Q[rows_i, None, :].astype(np.float64)), k)
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
        # 5/16 of the axes: fewer leave more rows to read whole, more make the bounds' matrix
        # larger (bench/RESULTS.md); one stage beat two (a second on the rows the first kept).
        self.r = r = min(d, int(r if r is not None else max(1, 5 * d // 16)))
        x64 = X.astype(np.float64)
        _, V = np.linalg.eigh(x64.T @ x64)  # orthonormal columns, whatever the Gram's own rounding
        V = V[:, ::-1]  # largest axes first
        rot = x64 @ V
        head = rot[:, :r]
        # The first r coordinates as int8 with a scale per row (an eighth of float32: it stays in
        # cache between calls), and what that rounding leaves of each row as its norm, rounded
        # up: A8 · q_r is then within |residual|·|q| of the true head · q_r.
        peak = np.abs(head).max(axis=1) if r else np.zeros(n)
        self.scale = np.where(peak > 0, peak / 127, 1.0).astype(np.float32)
        self.A8T = np.ascontiguousarray(np.clip(np.rint(head / self.scale.astype(np.float64)[:, None]),
                                                -127, 127).astype(np.int8).T)
        residual = np.linalg.norm(head - self.A8T.T * self.scale.astype(np.float64)[:, None], axis=1)
        self.slack = _up(residual * (1 + 1e-9))
        # The rest of each row as its norm, rounded up so the bound stays a bound in float32.
        self.rest = _up(np.linalg.norm(rot[:, r:], axis=1))
        self.V = np.ascontiguousarray(V[:, :r], dtype=np.float32)
        self.xmax = max_norm(X)
        # Float error, relative to |q|·xmax, of what a search computes (first order, u = 2^-24):
        # each rotated query coordinate (q @ V in float32, V rounded to float32) is off by at most
        # (d + 1)·u·|q| (``_coordinate_error``); scale · (A8 · q_r) is then off by √r·(d + 1)·u
        # (the query's coordinates, as |scale·A8| ≤ xmax + slack) + (r + 3)·u (the product, its
        # sums and the scale); the bound's own roundings a few u more. About 4e-4 at d = 256:
        # a few more rows read, never one fewer.
        self.bound_error = _U * (2 * np.sqrt(d) * (d + 1) + r + 24)
        self.dot_error = _dot_error(d)
        self._coordinate_error = (d + 1) * _U
        from . import _kernels  # numba: imported where a search is built, not with the engine

        self._candidates = _kernels.int8_candidates
        # Compiles the kernel (or loads it from numba's cache) at load, not on the first request.
        self.search(np.ones(d, dtype=np.float32), 1)

    def search(self, q: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, float32 sims) of the rule for the float32 vector ``q``, as :func:`top_k` gives."""
        n, r = len(self.X), self.r
        q64 = q.astype(np.float64)
        qq = float(q64 @ q64)
        qnorm = math.sqrt(qq)
        if not (0 < qnorm < math.inf):  # zero, or not finite: no direction to search in (as top_k does)
            return _no_direction(n, k), np.zeros(k, dtype=np.float32)
        tol = (self.dot_error + self.bound_error) * qnorm * self.xmax
        qr = q @ self.V
        # |the query beyond the r axes|, bounded from above: the rotation keeps |q|, and the
        # first r coordinates are each within _coordinate_error·|q| of exact.
        head = qr.astype(np.float64)
        low = max(0.0, math.sqrt(float(head @ head)) - math.sqrt(r) * self._coordinate_error * qnorm)
        qrest = np.float32(math.sqrt(max(0.0, qq - low * low)) * (1 + 1e-9) + 1e-30)
        # A floor for the k-th sim: the k-th float32 sim (less its error) among the k rows the
        # projection ranks first; only rows whose bound reaches it can be among the k.
        rows = self._candidates(self.A8T, self.scale, self.slack, self.rest, self.X, q, qr,
                                np.float32(qnorm * (1 + 1e-6)), qrest, k, tol)
        return _refine(self.X, q64, rows, self.X[rows] @ q, k, self.dot_error * qnorm * self.xmax)
