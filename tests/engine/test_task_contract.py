"""One suite run over every registered task: targets in, a model's outputs out, shaped for users.

A new task passes these or it does not ship. Each case walks the path a search takes with the
task's default family: encode the targets, fit, read raw outputs, calibrate, report metrics,
and shape predictions a client receives as JSON.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from u22a8.engine import get_family, get_task, task_names
from u22a8.engine.tasks import SERVED_DIGITS, TARGET_FIELDS, served_values


from .conftest import classify_data, multilabel_data, score_data

DATA = {"classify": classify_data, "multilabel": multilabel_data, "score": score_data}


def test_every_registered_task_has_test_data_here() -> None:
    assert set(task_names()) <= set(DATA), "add a small dataset for the new task to this suite"


@pytest.mark.parametrize("task", task_names())
def test_a_task_declares_what_the_engine_reads(task: str) -> None:
    t = get_task(task)
    assert t.name == task
    assert t.target_shape in TARGET_FIELDS
    assert get_family(t.default_family).serves(t)
    assert t.primary_metric


@pytest.mark.parametrize("task", task_names())
def test_no_data_is_never_enough(task: str) -> None:
    assert get_task(task).missing_for_counts(0, {}, 0)


@pytest.mark.parametrize("task", task_names())
def test_a_target_of_another_shape_is_refused_with_a_reason(task: str) -> None:
    t = get_task(task)
    other = next(f for f in TARGET_FIELDS if f != t.target_shape)
    given: dict[str, Any] = {f: None for f in TARGET_FIELDS}
    given[other] = 1.0 if other == "score" else ("a" if other == "label" else ["a"])
    refused = t.stored_target(given)
    assert isinstance(refused, str) and t.target_shape in refused


@pytest.mark.parametrize("task", task_names())
def test_stored_targets_round_trip(task: str) -> None:
    t = get_task(task)
    for target in DATA[task]().targets:
        if t.target_shape == "labels" and not target:
            continue  # an empty label list is data the engine may hold, not a target users submit
        value = target if t.target_shape != "score" else float(target)
        stored = t.stored_target({**{f: None for f in TARGET_FIELDS}, t.target_shape: value})
        assert isinstance(stored, dict), stored
        parsed = t.parse_target(stored)
        assert (sorted(parsed) if isinstance(parsed, list) else parsed) == (sorted(value) if isinstance(value, list) else value)


@pytest.mark.parametrize("task", task_names())
def test_outputs_become_metrics_and_json_predictions(task: str) -> None:
    t = get_task(task)
    data = DATA[task]()
    labels, y = t.encode(data.targets)
    X = TfidfVectorizer().fit_transform(data.texts).toarray()
    family = get_family(t.default_family)
    n_labels = len(labels) if labels else 1
    head = family.make_head(t, family.default_model(), seed=0).fit(X, y)
    raw = t.raw_output(head, X, n_labels)
    assert np.isfinite(t.fold_score(y, raw))
    calibrated, temperature = t.calibrate(raw, y)
    assert temperature > 0
    np.testing.assert_allclose(t.apply_temperature(raw, temperature), calibrated, rtol=1e-6, atol=1e-9)
    metrics, thresholds = t.metrics(y, calibrated, labels or [], len(data.texts), "cv")
    assert metrics["primary_name"] == t.primary_metric
    predictions = t.predictions(calibrated, labels or [], thresholds, None)
    assert len(predictions) == len(data.texts)
    json.dumps(predictions)  # what a client receives
    # Every number in it is short in JSON: at most SERVED_DIGITS significant digits.
    numbers = _floats(predictions)
    assert numbers and max(_significant_digits(f) for f in numbers) <= SERVED_DIGITS


def _floats(value: Any) -> list[float]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list):
        return [f for v in value for f in _floats(v)]
    return []


def _significant_digits(value: float) -> int:
    mantissa = repr(abs(value)).split("e")[0].replace(".", "")
    return len(mantissa.strip("0")) or 1


def test_served_values_are_the_nearest_short_decimals() -> None:
    rng = np.random.default_rng(0)
    exact = np.concatenate([rng.dirichlet(np.full(77, 0.1), size=200).ravel(), rng.normal(0, 50, 500),
                            [0.0, 1.0, 0.099999999999, 1e-300, np.inf]])
    served = served_values(exact)
    finite = np.isfinite(exact) & (exact != 0) & (np.abs(exact) > 1e-16)
    rel = np.abs(served[finite] - exact[finite]) / np.abs(exact[finite])
    assert rel.max() <= 5e-7 + 1e-15  # half a unit in the 7th digit
    assert all(_significant_digits(v) <= SERVED_DIGITS for v in served[finite].tolist())
    assert served[-5:-1].tolist() == [0.0, 1.0, 0.1, 1e-300] and served[-1] == np.inf
    # A probability moves by at most 5e-7 of itself: within 1e-6 of what was computed.
    probabilities = exact[: 200 * 77]
    assert np.abs(served[: 200 * 77] - probabilities).max() <= 1e-6
