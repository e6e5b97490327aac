"""Stochastic gradient descent on the modified Huber loss: a cheap classifier with probabilities."""

from __future__ import annotations

from typing import Any

import optuna
from sklearn.linear_model import SGDClassifier

from ._base import register_family
from ._linear import LinearClassifierFamily

__all__ = ["SGD"]


@register_family
class SGD(LinearClassifierFamily):
    name = "sgd"
    estimator_types = (SGDClassifier,)

    def suggest_own(self, trial: optuna.Trial) -> dict[str, Any]:
        return {"alpha": round(trial.suggest_float("sgd_alpha", 1e-6, 1e-3, log=True), 8)}

    def default_model(self) -> dict[str, Any]:
        return {"family": self.name, "alpha": 1e-4, "class_weight": None}

    def default_own_suggestion(self) -> dict[str, Any]:
        return {"sgd_alpha": 1e-4}

    def estimator(self, head: Any) -> Any:
        return SGDClassifier(loss="modified_huber", alpha=head.alpha, class_weight=head.class_weight, max_iter=100,
                             tol=1e-4, random_state=head.seed)
