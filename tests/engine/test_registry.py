"""Tasks and model families are registered objects: a new one is one module, as shown here by a
test-only family and a test-only task that a search then trains and serves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import optuna
import pytest
from sklearn.base import BaseEstimator

from u22a8 import engine
from u22a8.engine import Dataset, Family, get_family, get_task, register_family, register_task, task_names
from u22a8.engine.families import searched_families, unregister_family
from u22a8.engine.artifact_format import load_predictor
from u22a8.engine.tasks import unregister_task
from u22a8.engine.tasks.classify import Classify

from .conftest import classify_data


class CentroidHead(BaseEstimator):  # type: ignore[misc]
    """Cosine similarity to each class's mean row, sharpened by ``sharpness``."""

    def __init__(self, sharpness: float = 1.0) -> None:
        self.sharpness = sharpness

    def fit(self, X: Any, y: np.ndarray, sample_weight: np.ndarray | None = None) -> "CentroidHead":
        self.classes_ = np.unique(y)
        rows = np.asarray(X.todense() if hasattr(X, "todense") else X)
        means = np.vstack([rows[y == c].mean(axis=0) for c in self.classes_])
        self.centroids_ = means / np.clip(np.linalg.norm(means, axis=1, keepdims=True), 1e-12, None)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        rows = np.asarray(X.todense() if hasattr(X, "todense") else X)
        return self.sharpness * (rows @ self.centroids_.T)  # type: ignore[no-any-return]


class Centroid(Family):
    name = "centroid"

    def serves(self, task: Any) -> bool:
        return bool(task.has_labels and not task.per_label_heads)

    def suggest(self, trial: optuna.Trial) -> dict[str, Any]:
        return {"family": self.name, "sharpness": round(trial.suggest_float("centroid_sharpness", 1.0, 20.0), 3)}

    def default_model(self) -> dict[str, Any]:
        return {"family": self.name, "sharpness": 5.0}

    def default_suggestion(self) -> dict[str, Any]:
        return {"family": self.name, "centroid_sharpness": 5.0}

    def make_head(self, task: Any, model: dict[str, Any], seed: int = 0) -> Any:
        return CentroidHead(sharpness=model["sharpness"])

    def artifact_types(self) -> tuple[type, ...]:
        return (CentroidHead,)  # what a stored predictor may hold for this family


class YesNo(Classify):
    """Single-label classification whose known-good default is the centroid family."""

    name = "yesno"
    default_family = "centroid"


@pytest.fixture
def centroid() -> Iterator[None]:
    register_family(Centroid)
    register_task(YesNo)
    yield
    unregister_task("yesno")
    unregister_family("centroid")


def test_built_in_tasks_are_registered_in_the_order_users_see() -> None:
    assert task_names() == ("classify", "multilabel", "score")
    assert [f.name for f in searched_families(get_task("classify"), 60, 3)] == ["svm", "sgd", "logreg"]
    assert [f.name for f in searched_families(get_task("score"), 60, 1)] == ["ridge", "svr"]
    with pytest.raises(ValueError, match="unknown task"):
        get_task("regress")
    with pytest.raises(ValueError, match="unknown model family"):
        get_family("forest")


def test_a_family_registered_from_a_test_is_searched_and_its_predictor_predicts(centroid: None) -> None:
    assert "centroid" in [f.name for f in searched_families(get_task("classify"), 60, 3)]
    assert "centroid" not in [f.name for f in searched_families(get_task("multilabel"), 60, 3)]
    base = classify_data()
    data = Dataset("yesno", base.texts, base.targets)
    seen: list[engine.Progress] = []
    result = engine.search(data, "low", seed=1, on_progress=seen.append)
    tried = {p.last_trial["params"]["model"]["family"] for p in seen if p.last_trial}
    assert "centroid" in tried  # trial 0 is the task's default: the new family
    assert result.params["task"] == "yesno"
    assert result.metrics["primary_name"] == "accuracy"
    predictor = load_predictor(result.artifact, engine.artifact_checksum(result.artifact))
    out = predictor.predict(["thanks happy glad the order", "sorry apologies regret my card"])
    assert [p["label"] for p in out] == ["friendly", "sorry"]
    refitted = engine.refit(data, result.params)
    assert refitted.metrics["primary"] >= 0.9


def test_the_same_family_name_cannot_be_registered_twice(centroid: None) -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_family(Centroid)
