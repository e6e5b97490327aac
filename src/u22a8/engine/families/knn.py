"""Nearest neighbours on a sentence embedding alone, for every task.

Not in the search's ``family`` choice: the search space picks it first, as an alternative to
the n-gram members (see :func:`u22a8.engine.space.suggest_member`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import optuna

from ._base import Family, register_family
from ._heads import KNNHead

if TYPE_CHECKING:
    from ..tasks import Task

__all__ = ["KNN"]


@register_family
class KNN(Family):
    name = "knn"
    searched = False

    def serves(self, task: "Task") -> bool:
        return True

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        return {"family": self.name, "k": trial.suggest_int("knn_k", 3, 40, log=True),
                "tau": round(trial.suggest_float("knn_tau", 0.01, 0.3, log=True), 5)}

    def default_model(self) -> dict[str, Any]:
        return {"family": self.name, "k": 10, "tau": 0.05}

    def default_suggestion(self) -> dict[str, Any]:
        return {"knn_k": 10, "knn_tau": 0.05}

    def make_head(self, task: "Task", model: dict[str, Any], seed: int = 0) -> Any:
        kwargs = {k: v for k, v in model.items() if k != "family"}
        return KNNHead(task=task.name, **kwargs)

    def artifact_types(self) -> tuple[type, ...]:
        return (KNNHead,)
