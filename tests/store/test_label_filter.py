"""The label filter of a sample listing is answered by the database on every backend.

A multilabel model's label sits inside a JSON list; the filter must not load every sample
into Python to look for it (a model of a million samples and one rare label would read them
all for one page).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event

from u22a8.store import NewSample, Store
from u22a8.store.tables import SampleRow


@pytest.fixture
def loaded_rows() -> Iterator[list[int]]:
    """How many sample rows the ORM builds while the test runs."""
    seen: list[int] = []

    def _on_load(target: SampleRow, _context: object) -> None:
        seen.append(target.pk)

    event.listen(SampleRow, "load", _on_load)
    yield seen
    event.remove(SampleRow, "load", _on_load)


def test_multilabel_filter_reads_only_matching_rows(store: Store, loaded_rows: list[int]) -> None:
    store.models.create("acme.topics", "multilabel", quiet_seconds=0)
    common = [NewSample(f"text {i}", {"labels": ["billing", "common"]}) for i in range(300)]
    rare = [NewSample(f"rare {i}", {"labels": ["common", "rare-one"]}) for i in range(3)]
    store.samples.upsert("acme.topics", common + rare, max_per_model=10_000)
    loaded_rows.clear()
    page, cursor = store.samples.list("acme.topics", label="rare-one", limit=2)
    assert [s.text for s in page] == ["rare 0", "rare 1"] and cursor is not None
    assert len(loaded_rows) <= 3, f"{len(loaded_rows)} rows loaded for a page of 2"
    rest, end = store.samples.list("acme.topics", label="rare-one", after=cursor, limit=2)
    assert [s.text for s in rest] == ["rare 2"] and end is None
    assert store.samples.list("acme.topics", label="rare", limit=5) == ([], None)  # a whole label, not a prefix
    assert store.samples.list("acme.topics", label='rare-one"]', limit=5) == ([], None)


def test_score_models_have_no_labels_to_filter(store: Store, loaded_rows: list[int]) -> None:
    store.models.create("acme.rating", "score", quiet_seconds=0)
    store.samples.upsert("acme.rating", [NewSample(f"t{i}", {"score": float(i)}) for i in range(50)],
                         max_per_model=100)
    loaded_rows.clear()
    assert store.samples.list("acme.rating", label="1.0", limit=5) == ([], None)
    assert loaded_rows == []
