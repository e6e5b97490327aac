"""Warm-started retrains: the SVM starts from the last run's solution and predicts like a cold fit."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.svm import LinearSVC

from u22a8 import engine
from u22a8.engine import Dataset
from u22a8.engine.counts_cache import forget_counts, wait_for_counts_saves
from u22a8.engine.dual_cd import dual_from_margins, solve
from u22a8.engine.training import Workspace, _warm_key
from u22a8.engine.warm_start import WarmStarts, svm_problem

from .conftest import classify_data

_FEATURES = {"word_ngrams": [1, 2], "char_ngrams": [2, 4], "lowercase": True}


def _plus(data: Dataset, more: Dataset, k: int) -> Dataset:
    return Dataset("classify", list(data.texts) + list(more.texts[:k]), list(data.targets) + list(more.targets[:k]))


@pytest.mark.parametrize(("labels", "class_weight"), [(3, None), (3, "balanced"), (2, None)])
def test_dual_descent_from_zero_finds_liblinears_model(labels: int, class_weight: str | None) -> None:
    data = classify_data(40, seed=3)
    keep = [i for i, t in enumerate(data.targets) if t in ("friendly", "curt", "sorry")[:labels]]
    data = Dataset("classify", [data.texts[i] for i in keep], [data.targets[i] for i in keep])
    ws = Workspace(data)
    _, x = ws.full(_FEATURES)
    classes = np.unique(ws.y)
    cold = LinearSVC(C=0.5, class_weight=class_weight, tol=1e-6, max_iter=20_000).fit(x, ws.y)
    problem = svm_problem(x, ws.y, classes, 0.5, class_weight, None)
    coef, intercept, alpha, _ = solve(problem, tol=1e-4, max_passes=500)
    assert np.allclose(coef, cold.coef_, atol=2e-3) and np.allclose(intercept, cold.intercept_, atol=2e-3)
    # At the optimum the dual variables are what the margins say (how a start is read off a model).
    margins = np.asarray(x @ coef.T) + intercept
    assert np.allclose(dual_from_margins(problem, margins), alpha, atol=1e-2)


def test_a_retrain_starts_warm_and_predicts_like_a_cold_fit(tmp_path: Path) -> None:
    base, extra = classify_data(60, seed=0), classify_data(10, seed=1)
    searched = engine.search(base, "low", cache_dir=tmp_path / "warm", counts_key="m")
    wait_for_counts_saves()
    grown = _plus(base, extra, 2)
    warm = engine.refit(grown, searched.params, cache_dir=tmp_path / "warm", counts_key="m")
    cold = engine.refit(grown, searched.params, cache_dir=tmp_path / "cold", counts_key="m")
    wait_for_counts_saves()
    assert warm.metrics["warm_fits"] == 2 and cold.metrics["warm_fits"] == 0  # the final fit and the holdout's
    probe = list(classify_data(15, seed=7).texts)
    a = engine.load_predictor(warm.artifact, engine.artifact_checksum(warm.artifact)).predict(probe)
    b = engine.load_predictor(cold.artifact, engine.artifact_checksum(cold.artifact)).predict(probe)
    agree = np.mean([x["label"] == y["label"] for x, y in zip(a, b)])
    assert agree >= 0.97
    assert abs(warm.metrics["primary"] - cold.metrics["primary"]) <= 0.03
    # The next retrain starts from this one's solution in turn.
    again = engine.refit(_plus(grown, classify_data(10, seed=2), 2), warm.params, cache_dir=tmp_path / "warm",
                         counts_key="m")
    assert again.metrics["warm_fits"] == 2


def test_many_new_samples_or_a_new_label_fit_from_zero(tmp_path: Path) -> None:
    base = classify_data(60, seed=0)
    searched = engine.search(base, "low", cache_dir=tmp_path, counts_key="m")
    wait_for_counts_saves()
    # A third more rows: too far from the last solution to start there.
    doubled = _plus(base, classify_data(30, seed=5), 60)
    assert engine.refit(doubled, searched.params, cache_dir=tmp_path, counts_key="m").metrics["warm_fits"] == 0
    wait_for_counts_saves()
    # A new label: the last solution has no column for it.
    relabeled = Dataset("classify", list(base.texts) + ["a brand new kind of text"] * 3,
                        list(base.targets) + ["new"] * 3)
    assert engine.refit(relabeled, searched.params, cache_dir=tmp_path, counts_key="m").metrics["warm_fits"] == 0
    wait_for_counts_saves()
    # Deleting the data set's counts deletes its warm starts too.
    assert forget_counts(tmp_path, "m") >= 3
    assert not list((tmp_path / "counts").glob("*warm*"))


def test_a_retrain_after_a_version_served_from_its_held_out_fit_starts_warm(tmp_path: Path) -> None:
    """A search out of time serves its held-out fit and keeps no ``full`` part: the first retrain's
    final fit starts from the held-out fit's rows (the others at zero) and still predicts like a
    cold fit."""
    base, extra = classify_data(60, seed=0), classify_data(10, seed=1)
    searched = engine.search(base, "low", cache_dir=tmp_path / "warm", counts_key="m")
    wait_for_counts_saves()
    stored = WarmStarts(tmp_path / "warm")
    svms = [m for m in searched.params["members"] if m["model"]["family"] == "svm"]
    assert svms
    for m in svms:  # as such a search leaves the cache: the held-out part only
        full = stored._path("m", _warm_key(m), "full")
        assert full.exists() and stored._path("m", _warm_key(m), "holdout").exists()
        full.unlink()
    grown = _plus(base, extra, 2)
    warm = engine.refit(grown, searched.params, cache_dir=tmp_path / "warm", counts_key="m")
    cold = engine.refit(grown, searched.params, cache_dir=tmp_path / "cold", counts_key="m")
    wait_for_counts_saves()
    assert warm.metrics["warm_fits"] == 2 * len(svms) and cold.metrics["warm_fits"] == 0
    probe = list(classify_data(15, seed=7).texts)
    a = engine.load_predictor(warm.artifact, engine.artifact_checksum(warm.artifact)).predict(probe)
    b = engine.load_predictor(cold.artifact, engine.artifact_checksum(cold.artifact)).predict(probe)
    assert np.mean([x["label"] == y["label"] for x, y in zip(a, b)]) >= 0.97
    assert abs(warm.metrics["primary"] - cold.metrics["primary"]) <= 0.03


def test_a_start_runs_one_pass_when_nearly_every_row_has_one_and_two_when_most_do(tmp_path: Path) -> None:
    texts = [f"text number {i}" for i in range(100)]
    stored = WarmStarts(tmp_path)
    stored.save("m", {"k": 1}, "holdout", texts[:80], ["a", "b"], np.ones((80, 1)))
    stored.save("m", {"k": 1}, "full", texts[:98], ["a", "b"], np.ones((98, 1)))
    close = stored.start("m", {"k": 1}, ("full",), texts, ["a", "b"])
    assert close is not None and close.covered == 0.98 and close.passes == 1
    partial = stored.start("m", {"k": 1}, ("holdout",), texts, ["a", "b"])
    assert partial is not None and partial.covered == 0.8 and partial.passes == 2
    assert not partial.alpha[80:].any() and partial.alpha[:80].all()  # rows without a start begin at zero
    assert stored.start("m", {"k": 1}, ("holdout",), texts + [f"more {i}" for i in range(10)], ["a", "b"]) is None
    assert stored.start("m", {"k": 1}, ("full",), texts, ["a", "c"]) is None  # another label set
