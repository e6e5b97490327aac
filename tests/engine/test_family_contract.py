"""One suite run over every registered model family (as Optuna runs one suite over its storages).

A new family passes these or it does not ship: its search space lives under its own Optuna
parameter names, its default is reachable from its default suggestion, and its head behaves
as a scikit-learn estimator whose raw output the task can read.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import optuna
import pytest
from sklearn.base import clone
from sklearn.feature_extraction.text import TfidfVectorizer

from u22a8.engine import Dataset, family_names, get_family, get_task, task_names

from .conftest import classify_data, multilabel_data, score_data

DATA = {"classify": classify_data, "multilabel": multilabel_data, "score": score_data}

# Pairs (family, task) the family serves, over every registered family and task.
SERVED = [(f, t) for f in family_names() for t in task_names() if get_family(f).serves(get_task(t))]
# Families whose head a search fits on features (the fine-tuned head comes out of fine-tuning).
FITTED = [(f, t) for f, t in SERVED if f != "finetuned"]


def _suggested_names(family: str) -> set[str]:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    names: set[str] = set()
    for _ in range(5):
        trial = study.ask()
        get_family(family).suggest(trial)
        names |= set(trial.params)
    return names


def _suggesting() -> list[str]:
    out = []
    for name in family_names():
        try:
            _suggested_names(name)
        except NotImplementedError:
            continue
        out.append(name)
    return out


def test_every_task_is_served_by_a_family_the_search_may_choose() -> None:
    for task in task_names():
        assert any(get_family(f).searched and get_family(f).serves(get_task(task)) for f in family_names()), task


def _distributions(family: str) -> dict[str, Any]:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    found: dict[str, Any] = {}
    for _ in range(5):
        trial = study.ask()
        get_family(family).suggest(trial)
        found.update(trial.distributions)
    return found


@pytest.mark.parametrize("family", _suggesting())
def test_a_family_suggests_under_its_own_parameter_names(family: str) -> None:
    """Each family has parameters no other family suggests; a name several families share (the
    classifiers' class weighting, from their common base) is one dimension with one distribution."""
    mine = _distributions(family)
    assert mine, f"{family} suggests nothing"
    others = [_distributions(other) for other in _suggesting() if other != family]
    assert set(mine) - {name for theirs in others for name in theirs}, f"{family} has no parameter of its own"
    for theirs in others:
        for name in set(mine) & set(theirs):
            assert mine[name] == theirs[name], f"{family} shares {name!r} with another family under another range"


@pytest.mark.parametrize("family", _suggesting())
def test_the_default_suggestion_gives_the_default_model(family: str) -> None:
    fam = get_family(family)
    suggestion = {k: v for k, v in fam.default_suggestion().items() if k != "family"}
    assert fam.suggest(optuna.trial.FixedTrial(suggestion)) == fam.default_model()
    assert fam.default_model()["family"] == family


def _features(data: Dataset) -> Any:
    return TfidfVectorizer().fit_transform(data.texts).toarray()


@pytest.mark.parametrize(("family", "task"), FITTED)
def test_a_head_fits_and_gives_the_task_its_raw_output(family: str, task: str) -> None:
    fam, tsk = get_family(family), get_task(task)
    data = DATA[task]()
    labels, y = tsk.encode(data.targets)
    X = _features(data)
    head = fam.make_head(tsk, fam.default_model(), seed=0)
    assert clone(head).get_params() == head.get_params()  # __init__ only stores parameters
    assert head.fit(X, y) is head
    n_labels = len(labels) if labels else 1
    raw = tsk.raw_output(head, X, n_labels)
    assert raw.shape[0] == len(data.texts)
    assert np.isfinite(raw).all()
    if labels:
        assert raw.shape[1] == tsk.output_columns(n_labels)


@pytest.mark.parametrize(("family", "task"), FITTED)
def test_a_head_is_deterministic_for_a_seed(family: str, task: str) -> None:
    fam, tsk = get_family(family), get_task(task)
    data = DATA[task]()
    labels, y = tsk.encode(data.targets)
    X = _features(data)
    n_labels = len(labels) if labels else 1
    first = tsk.raw_output(fam.make_head(tsk, fam.default_model(), seed=3).fit(X, y), X, n_labels)
    second = tsk.raw_output(fam.make_head(tsk, fam.default_model(), seed=3).fit(X, y), X, n_labels)
    np.testing.assert_allclose(first, second)
