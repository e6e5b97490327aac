"""Ridge regression: the default for number targets."""

from __future__ import annotations

from typing import Any

import optuna
from sklearn.linear_model import Ridge

from ._base import register_family
from ._linear import LinearRegressorFamily

__all__ = ["RidgeFamily"]


@register_family
class RidgeFamily(LinearRegressorFamily):
    name = "ridge"
    estimator_types = (Ridge,)

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        return {"family": self.name, "alpha": round(trial.suggest_float("alpha", 0.1, 30.0, log=True), 5)}

    def default_model(self) -> dict[str, Any]:
        return {"family": self.name, "alpha": 1.0}

    def default_suggestion(self) -> dict[str, Any]:
        return {"family": self.name, "alpha": 1.0}

    def estimator(self, head: Any) -> Any:
        return Ridge(alpha=head.alpha, solver="auto")
