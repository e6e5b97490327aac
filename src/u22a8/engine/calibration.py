"""Raw margins → calibrated probabilities, and per-label thresholds, fitted on held-out margins.

Temperature scaling (one scalar ``T``, probabilities ``softmax(d / T)``) keeps the ranking of
classes intact, so it cannot change accuracy; it only makes the confidence mean what it says.
A single parameter fitted on a few hundred held-out rows does not overfit, unlike per-class
Platt scaling on 77 classes.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar

__all__ = ["softmax", "sigmoid", "fit_temperature", "fit_multilabel_temperature", "fit_thresholds"]


def softmax(d: np.ndarray, temperature: float) -> np.ndarray:
    z = d / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)  # type: ignore[no-any-return]


def sigmoid(d: np.ndarray, temperature: float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(d / temperature, -50, 50)))  # type: ignore[no-any-return]


def _fit_log_t(nll: object) -> float:
    # Search log T in [1/100, 100]: margins of linear SVMs are O(1), so T lands around 0.05-1.
    res = minimize_scalar(nll, bounds=(np.log(0.01), np.log(100.0)), method="bounded", options={"xatol": 1e-3})
    return float(np.exp(res.x))


def _smoothing(n: int) -> float:
    # Held-out rows that are all classified right would push T → 0 and confidences to exactly 1;
    # smoothing the targets by about one sample's worth keeps "certain" at ~1 - 1/n instead.
    return 1.0 / (n + 2)


def fit_temperature(d: np.ndarray, y: np.ndarray) -> float:
    """``T`` minimising the cross-entropy of (lightly smoothed) class indices ``y`` and ``softmax(d / T)``."""
    if len(y) == 0:
        return 1.0
    eps = _smoothing(len(y))
    target = np.full(d.shape, eps / max(d.shape[1] - 1, 1))
    target[np.arange(len(y)), y] = 1.0 - eps

    def nll(log_t: float) -> float:
        p = softmax(d, float(np.exp(log_t)))
        return float(-(target * np.log(np.clip(p, 1e-12, None))).sum(axis=1).mean())

    return _fit_log_t(nll)


def fit_multilabel_temperature(d: np.ndarray, Y: np.ndarray) -> float:
    """One ``T`` for all labels, minimising the binary log-loss of ``sigmoid(d / T)``."""
    if d.size == 0:
        return 1.0
    eps = _smoothing(len(Y))
    Y = Y * (1 - 2 * eps) + eps

    def nll(log_t: float) -> float:
        p = np.clip(sigmoid(d, float(np.exp(log_t))), 1e-12, 1 - 1e-12)
        return float(-(Y * np.log(p) + (1 - Y) * np.log(1 - p)).mean())

    return _fit_log_t(nll)


def fit_thresholds(p: np.ndarray, Y: np.ndarray, min_positives: int = 2) -> np.ndarray:
    """Per label, the probability cut that maximises F1 on held-out rows.

    With fewer than ``min_positives`` held-out positives a tuned cut would chase one or two
    samples, so the label keeps 0.5. Cuts sit halfway between adjacent candidate scores, which
    generalises better than a cut exactly on a training score.
    """
    out = np.full(p.shape[1], 0.5)
    for j in range(p.shape[1]):
        y, s = Y[:, j].astype(bool), p[:, j]
        if y.sum() < min_positives or (~y).sum() == 0:
            continue
        order = np.argsort(-s)
        s_sorted, y_sorted = s[order], y[order]
        tp = np.cumsum(y_sorted)
        k = np.arange(1, len(s) + 1)
        f1 = 2 * tp / (k + y.sum())
        # Only cut between distinct scores.
        distinct = np.append(s_sorted[:-1] > s_sorted[1:], True)
        f1 = np.where(distinct, f1, -1)
        best = int(np.argmax(f1))
        nxt = s_sorted[best + 1] if best + 1 < len(s_sorted) else max(s_sorted[best] - 0.1, 0.0)
        out[j] = float(np.clip((s_sorted[best] + nxt) / 2, 0.05, 0.95))
    return out
