"""Multinomial logistic regression."""

from __future__ import annotations

from typing import Any

import optuna
from sklearn.linear_model import LogisticRegression

from ._base import register_family
from ._linear import LinearClassifierFamily

__all__ = ["LogReg", "MAX_SAMPLE_LABELS"]

# Its fit grows with samples × labels much faster than an SVM's: offered only below this product.
MAX_SAMPLE_LABELS = 100_000


@register_family
class LogReg(LinearClassifierFamily):
    name = "logreg"
    estimator_types = (LogisticRegression,)

    def offered(self, n_samples: int, n_labels: int) -> bool:
        return n_samples * max(n_labels, 2) <= MAX_SAMPLE_LABELS

    def suggest_own(self, trial: optuna.Trial) -> dict[str, Any]:
        return {"C": round(trial.suggest_float("logreg_C", 1.0, 200.0, log=True), 5)}

    def default_model(self) -> dict[str, Any]:
        return {"family": self.name, "C": 10.0, "class_weight": None}

    def default_own_suggestion(self) -> dict[str, Any]:
        return {"logreg_C": 10.0}

    def estimator(self, head: Any) -> Any:
        return LogisticRegression(C=head.C, class_weight=head.class_weight, max_iter=300, tol=1e-3)
