"""score: one number per sample, ``{"score": float}``; a prediction is a number.

Minimum: at least 8 samples with at least 2 distinct values; a rank correlation on fewer
held-out points is noise.

Calibration: a ridge-like model's raw outputs are shrunk towards the mean and a linear model can
still step outside the scale users scored on (a valence of 5.3 on a 1-5 scale). On the held-out
outputs the task fits ``y ≈ a + b·output`` (so a served 4.0 means "about 4.0 on average"), then
clips to the range of the held-out targets. The four numbers travel in the predictor's
``thresholds`` slot as ``[a, b, low, high]`` (a predictor without them serves raw outputs).
Ranks do not change except where clipping ties the extremes.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import mean_absolute_error, r2_score

from ._base import Task, register_task, served_values

__all__ = ["Score", "MIN_SCORE_SAMPLES", "spearman", "fit_range_calibration", "apply_range_calibration"]

MIN_SCORE_SAMPLES = 8


def spearman(y: np.ndarray, yhat: np.ndarray) -> float:
    if len(y) < 2 or np.ptp(y) == 0 or np.ptp(yhat) == 0:
        return 0.0
    return float(spearmanr(y, yhat).statistic)


def fit_range_calibration(y: np.ndarray, output: np.ndarray) -> list[float]:
    """``[a, b, low, high]``: least squares of ``y`` on held-out ``output``, then the targets' range.

    A slope that is not positive (outputs unrelated to or against the targets) would flip or flatten
    every prediction: the map then stays the identity, and only the clip applies.
    """
    low, high = float(np.min(y)), float(np.max(y))
    a, b = 0.0, 1.0
    if len(y) >= 3 and np.ptp(output) > 0:
        slope, intercept = np.polyfit(output, y, 1)
        if slope > 0 and np.isfinite(slope) and np.isfinite(intercept):
            a, b = float(intercept), float(slope)
    return [a, b, low, high]


def apply_range_calibration(output: np.ndarray, calibration: list[float] | None) -> np.ndarray:
    if not calibration or len(calibration) != 4:
        return output  # a predictor from before calibration: raw outputs as they were served
    a, b, low, high = calibration
    return np.clip(a + b * np.asarray(output, dtype=np.float64), low, high)  # type: ignore[no-any-return]


@register_task
class Score(Task):
    name = "score"
    target_shape = "score"
    primary_metric = "spearman"
    default_family = "ridge"
    has_labels = False

    def parse_target(self, stored: Mapping[str, Any]) -> Any:
        return float(stored["score"])

    def checked_target(self, value: Any, allowed: Collection[str] | None, max_label_chars: int) -> dict[str, Any] | str:
        return {"score": value}  # finite: the sample schema refuses NaN and infinities

    def encode(self, targets: Sequence[Any]) -> tuple[list[str] | None, np.ndarray]:
        return None, np.array([float(t) for t in targets], dtype=np.float64)

    def distinct_values(self, targets: Sequence[Any]) -> int:
        return len({float(t) for t in targets})

    def report_key(self, target: Any) -> Any:
        return round(float(target), 6)

    def report(self, targets: Sequence[Any], declared: Sequence[str]) -> dict[str, Any]:
        y = np.array([float(t) for t in targets], dtype=float)
        return {"score_range": [float(y.min()), float(y.max())] if len(y) else None,
                "score_mean": round(float(y.mean()), 6) if len(y) else None}

    def missing_for_counts(self, n_samples: int, label_counts: Mapping[str, int], distinct: int = 0) -> list[str]:
        if n_samples < MIN_SCORE_SAMPLES:
            return [f"score needs at least {MIN_SCORE_SAMPLES} samples (have {n_samples})"]
        if distinct < 2:
            return ["every sample has the same score; at least 2 distinct scores are needed"]
        return []

    def raw_output(self, head: Any, X: Any, n_labels: int) -> np.ndarray:
        return np.asarray(head.predict(X))

    def fold_score(self, y: np.ndarray, output: np.ndarray) -> float:
        return spearman(y, output)

    def standard_error(self, score: float, n_eval: int) -> float:
        return float((1 - min(score * score, 0.99)) / max(n_eval - 3, 1) ** 0.5)  # of a correlation

    def metrics(self, y: np.ndarray, mixed: np.ndarray, labels: list[str], n_samples: int,
                protocol: str) -> tuple[dict[str, Any], list[float] | None]:
        calibration = fit_range_calibration(y, mixed)
        served = apply_range_calibration(mixed, calibration)
        rho = spearman(y, served)
        out = self.base_metrics(rho, n_samples, protocol, len(y))
        out.update({
            "spearman": round(rho, 6),
            "pearson": round(float(np.corrcoef(y, served)[0, 1]) if np.ptp(served) > 0 and np.ptp(y) > 0 else 0.0, 6),
            "mae": round(float(mean_absolute_error(y, served)), 6),
            "r2": round(float(r2_score(y, served)) if len(y) > 1 else 0.0, 6),
            "calibration": {"intercept": round(calibration[0], 6), "slope": round(calibration[1], 6),
                            "range": [calibration[2], calibration[3]]},
        })
        return out, calibration

    def predictions(self, out: np.ndarray, labels: list[str], thresholds: list[float] | None,
                    top_k: int | None) -> list[dict[str, Any]]:
        return [{"score": v} for v in served_values(apply_range_calibration(out, thresholds)).tolist()]

    def output_columns(self, n_labels: int) -> int:
        return 1

    def neighbour_output(self, weights: np.ndarray, neighbours: np.ndarray, n_classes: int) -> np.ndarray:
        return (weights * neighbours).sum(axis=1)  # type: ignore[no-any-return]
