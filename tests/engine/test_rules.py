"""check_trainable, the data report, the cost estimate and the public surface."""

from __future__ import annotations

import pytest

from u22a8 import engine
from u22a8.engine import Dataset, TooFewSamples

from .conftest import assert_jsonable, classify_data


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (Dataset("classify", [], []), ["2 labels", "no samples"]),
        (Dataset("classify", ["a", "b", "c"], ["x", "x", "x"]), ["2 labels", "'x': 3"]),
        (Dataset("classify", ["a", "b", "c"], ["x", "x", "y"]), ["2 or more", "'y': 1"]),
        (Dataset("score", ["a"] * 5, [1.0] * 5), ["at least 8", "have 5"]),
        (Dataset("score", list("abcdefgh"), [2.0] * 8), ["same score"]),
        (Dataset("multilabel", ["a", "b"], [["x"], []]), ["at least 4", "'x' is on 1"]),
        (Dataset("multilabel", list("abcd"), [["x"], ["x"], ["x"], []]), ["'x' is on 3 of 4", "must lack it"]),
        (Dataset("multilabel", list("abcd"), [[], [], [], []]), ["no sample carries a label"]),
    ],
)
def test_too_few_samples_says_what_is_missing(data: Dataset, words: list[str]) -> None:
    with pytest.raises(TooFewSamples) as err:
        engine.check_trainable(data)
    text = " ".join(err.value.missing)
    assert isinstance(err.value, ValueError)
    for w in words:
        assert w in text


@pytest.mark.parametrize(
    "data",
    [
        Dataset("classify", list("abcd"), ["x", "x", "y", "y"]),
        Dataset("classify", list("abcde"), ["x", "x", "y", "y", "z"]),  # z is reported, not refused
        Dataset("score", list("abcdefgh"), [0, 1, 2, 3, 4, 5, 6, 7]),
        Dataset("multilabel", list("abcd"), [["x"], ["x", "y"], ["y"], []]),
    ],
)
def test_enough_samples_pass_and_train(data: Dataset) -> None:
    engine.check_trainable(data)
    result = engine.search(data, "low")
    assert result.metrics["n_samples"] == len(data.texts)


def test_data_report_flags_duplicates_conflicts_and_imbalance() -> None:
    base = classify_data(10)
    texts = list(base.texts) + ["Same Text", "same text", "same  text", "other"]
    targets = list(base.targets) + ["curt", "friendly", "curt", "curt"]
    result = engine.search(Dataset("classify", texts, targets), "low")
    r = result.report
    assert r["duplicate_texts"] == 2 and r["conflicting_texts"] == 1
    assert r["conflict_examples"][0] == {"text": "same text", "targets": ["curt", "friendly"]}
    assert r["label_counts"] == {"curt": 13, "friendly": 11, "sorry": 10}
    assert r["imbalance_ratio"] == 1.3
    assert_jsonable(r)


def test_estimate_grows_with_data_and_effort() -> None:
    small = engine.estimate(100, 3, "classify", 40.0)
    big = engine.estimate(10_000, 77, "classify", 55.0)
    assert set(small) == set(engine.EFFORTS) and set(big) == set(engine.EFFORTS)
    for effort in engine.EFFORTS:
        assert set(big[effort]) == {"seconds", "trials"}
        assert 0 < small[effort]["seconds"] <= big[effort]["seconds"]
        assert big[effort]["trials"] >= 1
    assert big["low"]["seconds"] <= big["medium"]["seconds"] <= big["high"]["seconds"] <= big["max"]["seconds"]
    assert big["low"]["seconds"] <= 20
    assert engine.estimate(0, 0, "score", 0.0)["low"]["seconds"] >= 0
    assert_jsonable(big)


def test_public_surface_is_pinned() -> None:
    assert set(engine.__all__) >= {
        "check_trainable", "search", "refit", "should_promote", "estimate", "load_predictor", "artifact_checksum",
        "Predictor", "ArtifactIntegrityError", "Dataset", "TrainingResult", "SearchCanceled", "TooFewSamples",
        "Progress", "EFFORTS",
    }
    for name in engine.__all__:
        assert hasattr(engine, name)
    assert issubclass(engine.ArtifactIntegrityError, ValueError)
