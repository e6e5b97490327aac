"""A run on a large model reads only the rows it trains on: the database draws them.

The draw must be the engine's own sub-sample (:func:`u22a8.engine.sizing.subsample`): the
same rows, in the same order, rare labels kept, on every backend.
"""

from __future__ import annotations

from collections import Counter

from u22a8.engine import PER_LABEL_MIN, Dataset, get_task
from u22a8.engine.sizing import subsample
from u22a8.store import NewSample, Store


def _as_data(store: Store, task: str, model_id: int) -> Dataset:
    rows = store.samples.training_set(model_id)
    parse = get_task(task).parse_target
    return Dataset(task, [s.text for s in rows], [parse(s.target) for s in rows], weights=[s.weight for s in rows])


def test_a_drawn_classify_set_is_the_engines_sub_sample_in_snapshot_order(store: Store) -> None:
    model = store.models.create("acme.big", "classify", quiet_seconds=0)
    common = [NewSample(f"text {i}", {"label": "abc"[i % 3]}) for i in range(600)]
    thin = [NewSample(f"thin {i}", {"label": "thin"}) for i in range(40)]  # ~6 in a prefix of 100
    rare = [NewSample(f"rare {i}", {"label": "rare"}, weight=2.0) for i in range(3)]
    store.samples.upsert("acme.big", common[:300] + thin + common[300:] + rare, max_per_model=10_000)

    drawn = store.samples.drawn_training_set(model.id, 100, PER_LABEL_MIN)

    whole = _as_data(store, "classify", model.id)
    expected = subsample(whole, 100)
    assert [s.text for s in drawn] == list(expected.texts)  # the same rows, in the stored order
    labels = Counter(s.target["label"] for s in drawn)
    assert labels["rare"] == 3 and labels["thin"] == PER_LABEL_MIN
    assert [s.weight for s in drawn if s.target["label"] == "rare"] == [2.0] * 3
    # More rows than stored: all of them.
    assert [s.text for s in store.samples.drawn_training_set(model.id, 10_000, PER_LABEL_MIN)] == list(whole.texts)


def test_a_drawn_multilabel_set_keeps_each_labels_first_rows(store: Store) -> None:
    model = store.models.create("acme.topics", "multilabel", quiet_seconds=0)
    common = [NewSample(f"text {i}", {"labels": ["billing", "common"] if i % 2 else ["common"]}) for i in range(400)]
    rare = [NewSample(f"rare {i}", {"labels": ["common", "rare-one"]}) for i in range(30)]
    store.samples.upsert("acme.topics", common + rare, max_per_model=10_000)

    drawn = store.samples.drawn_training_set(model.id, 60, PER_LABEL_MIN)

    expected = subsample(_as_data(store, "multilabel", model.id), 60)
    assert [s.text for s in drawn] == list(expected.texts)
    assert sum("rare-one" in s.target["labels"] for s in drawn) == PER_LABEL_MIN


def test_a_drawn_score_set_is_the_first_rows_by_text_hash(store: Store) -> None:
    model = store.models.create("acme.rating", "score", quiet_seconds=0)
    store.samples.upsert("acme.rating", [NewSample(f"t{i}", {"score": float(i)}) for i in range(200)],
                         max_per_model=1000)
    drawn = store.samples.drawn_training_set(model.id, 50, PER_LABEL_MIN)
    assert [s.text for s in drawn] == list(subsample(_as_data(store, "score", model.id), 50).texts)
    assert store.samples.count(model.id) == 200


def test_a_large_models_labels_counted_in_one_pass_over_the_table_are_the_same(store: Store) -> None:
    from u22a8.store._labels import WHOLE_TABLE_ABOVE, label_counts

    model = store.models.create("acme.big", "classify", quiet_seconds=0)
    other = store.models.create("acme.other", "classify", quiet_seconds=0)
    store.samples.upsert("acme.big", [NewSample(f"text {i}", {"label": "abc"[i % 3]}) for i in range(90)],
                         max_per_model=1000)
    store.samples.upsert("acme.other", [NewSample(f"text {i}", {"label": "z"}) for i in range(30)], max_per_model=1000)
    with store.db.session(write=False) as s:
        by_index = label_counts(s, model.id)
        in_one_pass = label_counts(s, model.id, n_samples=WHOLE_TABLE_ABOVE + 1)
    assert by_index == in_one_pass == {"a": 30, "b": 30, "c": 30}
    assert other.id != model.id and store.samples.summary(model.id)["label_counts"] == by_index
