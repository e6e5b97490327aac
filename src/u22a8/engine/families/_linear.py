"""What the linear families share: classifiers choose a class weighting, regressors do not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from ._base import Family
from ._heads import LinearHead, MultiLabelHead, ScoreHead

if TYPE_CHECKING:
    import optuna

    from ..tasks import Task

__all__ = ["LinearClassifierFamily", "LinearRegressorFamily"]


class LinearClassifierFamily(Family):
    """A linear classifier for label tasks: :class:`LinearHead`, or one per label
    (:class:`MultiLabelHead`) when the task decides labels independently."""

    # One-vs-rest: the cost grows with rows × output columns (see bench/RESULTS.md).
    fit_rates = (2.5e-6, 1.0e-5)
    estimator_types: ClassVar[tuple[type, ...]] = ()  # what :meth:`estimator` returns, stored in heads

    def serves(self, task: "Task") -> bool:
        return task.has_labels

    def suggest(self, trial: "optuna.Trial") -> dict[str, Any]:
        balanced = trial.suggest_categorical("class_weight", ["none", "balanced"])
        return {"family": self.name, "class_weight": None if balanced == "none" else "balanced",
                **self.suggest_own(trial)}

    def suggest_own(self, trial: "optuna.Trial") -> dict[str, Any]:
        """This family's own parameters (after the class weighting every classifier chooses)."""
        raise NotImplementedError

    def default_suggestion(self) -> dict[str, Any]:
        return {"family": self.name, "class_weight": "none", **self.default_own_suggestion()}

    def default_own_suggestion(self) -> dict[str, Any]:
        """The trial parameters of :meth:`suggest_own` that give the default model."""
        raise NotImplementedError

    def make_head(self, task: "Task", model: dict[str, Any], seed: int = 0) -> Any:
        kwargs = {k: v for k, v in model.items() if k != "family"}
        head = MultiLabelHead if task.per_label_heads else LinearHead
        return head(family=self.name, seed=seed, **kwargs)

    def estimator(self, head: Any) -> Any:
        """The scikit-learn model a head fits, from the head's parameters."""
        raise NotImplementedError

    def artifact_types(self) -> tuple[type, ...]:
        return (LinearHead, MultiLabelHead, *self.estimator_types)


class LinearRegressorFamily(Family):
    """A linear regressor for number targets, in a :class:`ScoreHead`."""

    # One output, but ridge (conjugate gradients) and the primal SVR iterate over every n-gram
    # column until they converge, which the classifiers' per-label rate does not describe.
    fit_rates = (4.0e-5, 5.0e-4)
    estimator_types: ClassVar[tuple[type, ...]] = ()  # what :meth:`estimator` returns, stored in heads

    def serves(self, task: "Task") -> bool:
        return not task.has_labels

    def make_head(self, task: "Task", model: dict[str, Any], seed: int = 0) -> Any:
        kwargs = {k: v for k, v in model.items() if k != "family"}
        return ScoreHead(family=self.name, seed=seed, **kwargs)

    def estimator(self, head: Any) -> Any:
        raise NotImplementedError

    def artifact_types(self) -> tuple[type, ...]:
        return (ScoreHead, *self.estimator_types)
