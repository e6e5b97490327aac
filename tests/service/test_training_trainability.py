"""A train request refuses untrainable data with the engine's own words, from database counts.

``request_train`` no longer loads the training set: it decides from aggregates. A user must not
notice: the refusal (code, detail, ``missing``) is the one the engine's check on the full
dataset gives, on every backend.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from u22a8 import engine
from u22a8.errors import TooFewSamples
from u22a8.runs.dataset import build_dataset
from u22a8.service import lacking, request_train
from u22a8.store import NewSample, Store

from ..store.conftest import pg_database, store  # noqa: F401  (the two-backend store fixture)


def _engine_verdict(store: Store, handle: str) -> list[str]:
    model = store.models.get(handle)
    try:
        engine.check_trainable(build_dataset(model.task, model.labels, store.samples.training_set(model.id)))
    except engine.TooFewSamples as exc:
        return exc.missing
    return []


def _datasets(seed: int) -> list[tuple[str, list[dict[str, Any]]]]:
    """Small datasets around every minimum, with many ties in label counts."""
    rng = random.Random(seed)
    out: list[tuple[str, list[dict[str, Any]]]] = [
        ("classify", []),
        ("classify", [{"label": f"l{i}"} for i in range(8)]),  # more labels than the message lists
        ("classify", [{"label": "a"}] * 2 + [{"label": f"l{i}"} for i in range(7)]),
        ("multilabel", []),
        ("score", []),
        ("score", [{"score": 0.5}] * 9),
        ("score", [{"score": 0.0}, {"score": -0.0}] * 5),
    ]
    for _ in range(12):
        pool = ["curt", "sorry", "thanks", "odd 'quoted'", "ünï"][: rng.randint(1, 5)]
        out.append(("classify", [{"label": rng.choice(pool)} for _ in range(rng.randint(1, 7))]))
        out.append(("multilabel", [{"labels": sorted(set(rng.sample(pool, rng.randint(1, len(pool)))))}
                                   for _ in range(rng.randint(1, 7))]))
        out.append(("score", [{"score": float(rng.choice([0, 1, 2]) if rng.random() < 0.7 else 1)}
                              for _ in range(rng.randint(1, 10))]))
    return out


def test_counts_give_the_engines_verdict_word_for_word(store: Store) -> None:  # noqa: F811
    for i, (task, targets) in enumerate(_datasets(seed=7)):
        handle = f"acme.m{i}"
        store.models.create(handle, task, quiet_seconds=0)
        store.samples.upsert(handle, [NewSample(f"text {j}", t) for j, t in enumerate(targets)], max_per_model=100)
        model = store.models.get(handle)
        assert lacking(task, store.samples.stats(model.id)) == _engine_verdict(store, handle), (task, targets)


def test_a_refused_train_says_what_is_missing_and_queues_nothing(store: Store) -> None:  # noqa: F811
    store.models.create("acme.tone", "classify", quiet_seconds=0)
    few = [NewSample(f"t{i}", {"label": lab}) for i, lab in enumerate(["curt", "sorry", "curt"])]
    store.samples.upsert("acme.tone", few, max_per_model=100)
    with pytest.raises(TooFewSamples) as refused:
        request_train(store, "acme.tone", "low", False)
    assert refused.value.detail == ("acme.tone cannot be trained yet: classify needs at least 2 labels with 2 or "
                                    "more samples each; have 'curt': 2, 'sorry': 1")
    assert refused.value.extra == {"missing": _engine_verdict(store, "acme.tone")}
    assert store.runs.list("acme.tone") == []

    store.samples.upsert("acme.tone", [NewSample("t3", {"label": "sorry"})], max_per_model=100)
    outcome = request_train(store, "acme.tone", "low", False)
    assert (outcome.state, outcome.queued, outcome.status_code) == ("busy", True, 202)
    assert [r.id for r in store.runs.list("acme.tone")] == [outcome.run_id]
