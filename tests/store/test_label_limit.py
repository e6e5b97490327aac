"""The per-model label limit, checked against the labels kept on the model's row (issue 13).

An upload whose labels the model has seen skips counting; these tests pin the cases where that
bound is not the truth: labels deleted since, a model migrated without it, and two uploads at once.
"""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import update

from u22a8.errors import LimitExceeded
from u22a8.store import NewSample, Store
from u22a8.store.tables import ModelRow

LIMIT = 3


def _put(store: Store, *pairs: tuple[str, str]) -> None:
    store.samples.upsert("acme.tone", [NewSample(t, {"label": lab}) for t, lab in pairs],
                         max_per_model=1000, max_labels=LIMIT)


def _labels_seen(store: Store) -> list[str] | None:
    with store.db.session() as s:
        return s.query(ModelRow.labels_seen).filter(ModelRow.handle == "acme.tone").scalar()


def test_a_label_deleted_frees_its_place_and_the_limit_still_holds(store: Store) -> None:
    store.models.create("acme.tone", "classify", quiet_seconds=0)
    _put(store, ("one", "a"), ("two", "b"), ("three", "c"))
    assert _labels_seen(store) == ["a", "b", "c"]
    with pytest.raises(LimitExceeded):
        _put(store, ("four", "d"))
    gone = next(x for x in store.samples.list("acme.tone")[0] if x.target == {"label": "a"})
    store.samples.delete("acme.tone", gone.id)
    # "a" is still in the bound, so "d" makes four: the labels are counted, and there are three.
    _put(store, ("four", "d"))
    assert _labels_seen(store) == ["b", "c", "d"]
    with pytest.raises(LimitExceeded):
        _put(store, ("five", "a"))
    assert store.models.get("acme.tone").sample_count == 3
    _put(store, ("six", "b"))


def test_a_relabel_counts_the_label_it_removes(store: Store) -> None:
    store.models.create("acme.tone", "classify", quiet_seconds=0)
    _put(store, ("one", "a"), ("two", "b"), ("three", "c"))
    _put(store, ("one", "d"))  # the only "a" becomes "d": still three labels
    assert sorted(x.target["label"] for x in store.samples.list("acme.tone")[0]) == ["b", "c", "d"]


def test_a_model_without_the_bound_counts_its_labels(store: Store) -> None:
    store.models.create("acme.tone", "classify", quiet_seconds=0)
    _put(store, ("one", "a"), ("two", "b"), ("three", "c"))
    with store.db.session() as s:  # as migration 0014 leaves a model that held samples
        s.execute(update(ModelRow).values(labels_seen=None))
    with pytest.raises(LimitExceeded):
        _put(store, ("four", "d"))
    assert _labels_seen(store) is None and store.models.get("acme.tone").sample_count == 3
    _put(store, ("again", "a"))  # counted, which fills the bound in
    assert _labels_seen(store) == ["a", "b", "c"]


def test_two_uploads_racing_for_the_last_place_let_one_through(store: Store) -> None:
    store.models.create("acme.tone", "classify", quiet_seconds=0)
    _put(store, ("one", "a"), ("two", "b"))
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def upload(label: str) -> None:
        start.wait()
        try:
            _put(store, (f"text {label}", label))
            outcomes.append("stored")
        except LimitExceeded:
            outcomes.append("refused")

    threads = [threading.Thread(target=upload, args=(lab,)) for lab in ("c", "d")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused", "stored"]
    labels = {x.target["label"] for x in store.samples.list("acme.tone")[0]}
    assert len(labels) == LIMIT and store.models.get("acme.tone").sample_count == 3
