"""Linear SVM (liblinear): the default classifier."""

from __future__ import annotations

from typing import Any

import optuna
from sklearn.svm import LinearSVC

from ._base import register_family
from ._linear import LinearClassifierFamily

__all__ = ["SVM"]


@register_family
class SVM(LinearClassifierFamily):
    name = "svm"
    estimator_types = (LinearSVC,)

    def suggest_own(self, trial: optuna.Trial) -> dict[str, Any]:
        return {"C": round(trial.suggest_float("svm_C", 0.05, 5.0, log=True), 5)}

    def default_model(self) -> dict[str, Any]:
        return {"family": self.name, "C": 0.5, "class_weight": None}

    def default_own_suggestion(self) -> dict[str, Any]:
        return {"svm_C": 0.5}

    def estimator(self, head: Any) -> Any:
        # tol 1e-3 instead of the library's 1e-4: as accurate on text and faster (bench/RESULTS.md).
        return LinearSVC(C=head.C, class_weight=head.class_weight, tol=1e-3, max_iter=2000, random_state=head.seed)
