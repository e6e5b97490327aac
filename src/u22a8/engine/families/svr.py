"""Linear support vector regression (squared epsilon-insensitive loss, primal): robust to outliers."""

from __future__ import annotations

from typing import Any

import optuna
from sklearn.svm import LinearSVR

from ._base import register_family
from ._linear import LinearRegressorFamily

__all__ = ["SVR"]


@register_family
class SVR(LinearRegressorFamily):
    name = "svr"
    estimator_types = (LinearSVR,)

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        return {"family": self.name, "C": round(trial.suggest_float("svr_C", 0.01, 3.0, log=True), 5)}

    def default_model(self) -> dict[str, Any]:
        return {"family": self.name, "C": 0.5}

    def default_suggestion(self) -> dict[str, Any]:
        return {"family": self.name, "svr_C": 0.5}

    def estimator(self, head: Any) -> Any:
        return LinearSVR(C=head.C, epsilon=0.0, loss="squared_epsilon_insensitive", dual=False, max_iter=5000,
                         random_state=head.seed)
