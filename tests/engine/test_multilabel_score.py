"""Multilabel and score models as a user sees them: per-label cuts and F1, scores on the trained scale."""

from __future__ import annotations

import random

import numpy as np
import pytest

from u22a8 import engine
from u22a8.engine import Dataset

from .conftest import FILLER, score_data


def _predictor(result: engine.TrainingResult) -> engine.Predictor:
    return engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))


def skewed_multilabel_data(n: int = 160, seed: int = 1) -> Dataset:
    """``common`` is on about half the samples, ``rare`` on about one in ten; each label's cue word
    shows up on some samples without the label too, so neither label is separable at one cut."""
    rng = random.Random(seed)
    texts, targets = [], []
    for _ in range(n):
        labels = [lab for lab, rate in (("common", 0.5), ("rare", 0.1)) if rng.random() < rate]
        words = rng.sample(FILLER, 4)
        if "common" in labels or rng.random() < 0.15:
            words.append(rng.choice(["delivery", "parcel", "courier"]))
        if "rare" in labels or rng.random() < 0.05:
            words.append(rng.choice(["password", "signin", "locked"]))
        rng.shuffle(words)
        texts.append(" ".join(words) + f" n{rng.randint(0, 999)}")
        targets.append(labels or ["other"])
    return Dataset("multilabel", texts, targets)


def test_multilabel_cuts_are_chosen_per_label_and_the_report_has_each_labels_f1() -> None:
    data = skewed_multilabel_data()
    result = engine.search(data, "low")
    m = result.metrics
    cuts = m["thresholds"]
    assert set(cuts) == set(m["per_label"]) == {"common", "rare", "other"}
    # Labels of different base rates get cuts of their own, not one global 0.5.
    assert len({round(c, 3) for c in cuts.values()}) > 1
    for lab, row in m["per_label"].items():
        assert 0.0 <= row["f1"] <= 1.0 and row["support"] > 0, lab
    assert m["per_label"]["common"]["f1"] > 0.7 and m["macro_f1"] > 0.5

    # The served model applies those cuts: a label is predicted exactly when its score reaches its cut.
    p = _predictor(result)
    for out in p.predict(["the parcel today", "my password is locked", "please the ticket"]):
        assert set(out["labels"]) == {lab for lab, s in out["scores"].items() if s >= cuts[lab] - 5e-5}
    assert "common" in p.predict(["courier delivery parcel"])[0]["labels"]


def test_score_predictions_stay_inside_the_trained_range() -> None:
    data = score_data()
    low, high = min(data.targets), max(data.targets)
    result = engine.search(data, "low")
    cal = result.metrics["calibration"]
    assert low <= cal["range"][0] <= cal["range"][1] <= high and cal["slope"] > 0
    p = _predictor(result)
    # Far more cue words than any training text had: a raw linear model would leave the scale.
    extreme = p.predict(["excellent " * 15 + "the order", "awful " * 15 + "the order"])
    # Calibrated, they would pass the ends of the scale: they stop at the highest and lowest score trained on.
    assert extreme[0]["score"] == pytest.approx(high) and extreme[1]["score"] == pytest.approx(low)
    # Ordinary texts keep their order and land on the scale too.
    good, mid, bad = (o["score"] for o in p.predict(["excellent excellent the order", "the order today",
                                                      "awful awful the order"]))
    assert high >= good > mid > bad >= low

    # On new data from the same source, the served numbers are closer to the truth than the raw
    # (shrunk) outputs of the model: the calibration was fitted on held-out outputs, not for show.
    fresh = score_data(n=80, seed=7)
    served = np.array([o["score"] for o in p.predict(fresh.texts)])
    raw = p.outputs(fresh.texts).ravel()
    truth = np.array(fresh.targets)
    assert np.abs(served - truth).mean() < np.abs(raw - truth).mean()
