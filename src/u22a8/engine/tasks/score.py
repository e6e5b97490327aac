"""score: one number per sample, ``{"score": float}``; a prediction is a number.

Minimum: at least 8 samples with at least 2 distinct values; a rank correlation on fewer
held-out points is noise.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import numpy as np
from scipy.stats import spearmanr
from sklearn.metrics import mean_absolute_error, r2_score

from ._base import Task, register_task

__all__ = ["Score", "MIN_SCORE_SAMPLES", "spearman"]

MIN_SCORE_SAMPLES = 8


def spearman(y: np.ndarray, yhat: np.ndarray) -> float:
    if len(y) < 2 or np.ptp(y) == 0 or np.ptp(yhat) == 0:
        return 0.0
    return float(spearmanr(y, yhat).statistic)


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
        rho = spearman(y, mixed)
        out = self.base_metrics(rho, n_samples, protocol, len(y))
        out.update({
            "spearman": round(rho, 6),
            "mae": round(float(mean_absolute_error(y, mixed)), 6),
            "r2": round(float(r2_score(y, mixed)) if len(y) > 1 else 0.0, 6),
        })
        return out, None

    def predictions(self, out: np.ndarray, labels: list[str], thresholds: list[float] | None,
                    top_k: int | None) -> list[dict[str, Any]]:
        return [{"score": float(v)} for v in out]

    def output_columns(self, n_labels: int) -> int:
        return 1

    def neighbour_output(self, weights: np.ndarray, neighbours: np.ndarray, n_classes: int) -> np.ndarray:
        return (weights * neighbours).sum(axis=1)  # type: ignore[no-any-return]
