"""The pool's store on SQLite and PostgreSQL: dedupe, all or nothing, labeled texts leave, the fingerprint moves."""

from __future__ import annotations

import pytest

from u22a8.errors import LimitExceeded, NotFound
from u22a8.store import NewPoolText, NewSample, Store


def test_pool_dedupes_refuses_over_the_limit_and_loses_texts_that_become_samples(store: Store) -> None:
    store.models.create("acme.tone", "classify", quiet_seconds=60)
    model_id = store.models.get("acme.tone").id
    store.samples.upsert("acme.tone", [NewSample("already labeled", {"label": "a"})], max_per_model=100)
    counts, total = store.pool.add("acme.tone", [NewPoolText("one"), NewPoolText("two", id="t2"), NewPoolText("one"),
                                                 NewPoolText("already labeled")], max_per_model=10)
    assert (counts.added, counts.unchanged, counts.labeled, total) == (2, 1, 1, 2)
    empty = store.pool.state(model_id)

    with pytest.raises(LimitExceeded):
        store.pool.add("acme.tone", [NewPoolText(f"x{i}") for i in range(9)], max_per_model=10)
    assert store.pool.state(model_id) == empty  # nothing of the refused batch was stored

    counts, _ = store.pool.add("acme.tone", [NewPoolText("two, reworded", id="t2")], max_per_model=10)
    assert counts.updated == 1
    moved = store.pool.state(model_id)
    assert moved != empty and moved.count == 2

    store.samples.upsert("acme.tone", [NewSample("two, reworded", {"label": "b"}), NewSample("new", {"label": "a"})],
                         max_per_model=100)
    rows, state = store.pool.rows(model_id)
    assert rows.texts == ["one"] and state.count == 1
    assert store.pool.labeled_among(model_id, ["one", "new", "two, reworded"]) == {"new", "two, reworded"}

    store.pool.delete("acme.tone", "p_" + __import__("hashlib").sha256(b"one").hexdigest()[:20])
    with pytest.raises(NotFound):
        store.pool.get("acme.tone", "t2")
    assert store.pool.state(model_id).count == 0
