"""A linear SVM (squared hinge, L2, one-vs-rest) solved by dual coordinate descent from a start.

The problem is LinearSVC's (liblinear's ``L2R_L2LOSS_SVC_DUAL``, which scikit-learn's
``LinearSVC`` fits): per output column ``k``, minimise ``½‖w_k‖² + Σ_i C_ik ξ_ik²`` with
``ξ_ik = max(0, 1 - y_ik (w_k·x_i + b_k))``, the intercept being an extra, regularised feature
of value 1. Its dual has one variable ``α_ik ≥ 0`` per row and column and ``w_k = Σ_i α_ik y_ik x_i``.

liblinear starts from ``α = 0``. A retrain after a few new samples is close to the previous
solution, so starting there (the previous ``α``, looked up by text; 0 for new rows) leaves only
a little work. At an optimum ``α_ik = 2 C_ik ξ_ik``, so any fitted model's ``α`` can be read
off its margins (:func:`dual_from_margins`): a start needs no solver internals.

The coordinate steps are liblinear's, done for every output column at once, in blocks of rows:
a block's margins come from one sparse product, its rows are stepped in turn with the block's
Gram matrix carrying each step into the later rows' margins (so the steps are exactly the
sequential ones), and the block's change goes into ``w`` in one product. Rows whose projected
gradients all vanish on a pass are skipped (liblinear's shrinking, by whole rows).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

__all__ = ["DualProblem", "solve", "dual_from_margins"]

_BLOCK = 128


@dataclass
class DualProblem:
    """``x``: rows × features (CSR); ``signs``: rows × columns of ±1; ``c``: rows × columns of
    the per-row cost (C times the class and sample weights)."""

    x: sp.csr_matrix
    signs: np.ndarray
    c: np.ndarray

    @property
    def diag(self) -> np.ndarray:
        """``1 / 2C``: the squared hinge's term on the dual's diagonal."""
        return 0.5 / self.c


def dual_from_margins(problem: DualProblem, margins: np.ndarray) -> np.ndarray:
    """The ``α`` an optimum with these margins has: ``2 C ξ``."""
    return 2.0 * problem.c * np.maximum(0.0, 1.0 - problem.signs * margins)


def solve(problem: DualProblem, alpha: np.ndarray | None = None, *, tol: float = 0.1, max_passes: int = 20,
          seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Coefficients (columns × features), intercepts, ``α`` and the number of passes made.

    Each pass steps, in a seeded random order, every row with a nonzero projected gradient (the
    others would not move); it stops once no projected gradient exceeds ``tol`` in size, or
    after ``max_passes``. From a warm start one pass already predicts like a converged fit
    (bench/RESULTS.md); rows are not shrunk by a looser rule, since the shared intercept couples
    every row's step to all the others.
    """
    x, y = problem.x, problem.signs
    n, p = y.shape
    a = np.zeros((n, p)) if alpha is None else np.array(alpha, dtype=np.float64)
    diag = problem.diag
    sq = np.asarray(x.multiply(x).sum(axis=1)).ravel() + 1.0  # + the intercept's feature
    qd = sq[:, None] + diag
    ay = a * y
    w = np.asarray(x.T @ ay, dtype=np.float64)  # features × columns
    b = ay.sum(axis=0)
    rng = np.random.default_rng(seed)
    done = 0
    for done in range(1, max_passes + 1):
        margins = np.asarray(x @ w) + b
        worst = np.abs(_projected(y * margins - 1.0 + diag * a, a)).max(axis=1)
        if worst.max(initial=0.0) <= tol:
            done -= 1
            break
        order = rng.permutation(np.flatnonzero(worst > 1e-12))
        for start in range(0, len(order), _BLOCK):
            _block(x, y, a, w, b, diag, qd, order[start : start + _BLOCK])
    return w.T.copy(), b.copy(), a, done


def _projected(g: np.ndarray, a: np.ndarray) -> np.ndarray:
    """The gradient where α may move both ways, its negative part where α sits at 0."""
    return np.where(a > 0, g, np.minimum(g, 0.0))


def _block(x: sp.csr_matrix, y: np.ndarray, a: np.ndarray, w: np.ndarray, b: np.ndarray, diag: np.ndarray,
           qd: np.ndarray, rows: np.ndarray) -> None:
    """Step every row of ``rows`` in turn, updating ``a``, ``w`` and ``b`` in place."""
    from . import _kernels  # numba: imported where a fit first needs it, not with the engine
    xb = x[rows]
    cols, inverse = np.unique(xb.indices, return_inverse=True)
    compact = sp.csr_matrix((xb.data, inverse.ravel(), xb.indptr), shape=(len(rows), len(cols)))
    wb = w[cols]
    margins = np.asarray(compact @ wb) + b
    gram = np.asarray((compact @ compact.T).todense()) + 1.0
    yb, ab, db, qb = y[rows], a[rows], diag[rows], qd[rows]
    change = np.zeros_like(ab)
    _kernels.dual_steps(margins, gram, yb, ab, db, qb, change)  # row by row, compiled (no GIL)
    a[rows] = ab
    w[cols] = wb + np.asarray(compact.T @ change)
    b += change.sum(axis=0)
