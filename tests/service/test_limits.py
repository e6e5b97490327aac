"""Finding 8: the label limits are enforced by the service, answered as ``limit_exceeded``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from u22a8.errors import LimitExceeded
from u22a8.server import build_platform
from u22a8.service import Keep, Platform, add_samples, create_model, update_model
from u22a8.settings import Settings

from .conftest import make_key


@pytest.fixture
def small(tmp_path: Path) -> Platform:
    built = build_platform(Settings(home=tmp_path / "home", max_labels_per_model=3), with_executor=False)
    built.store.upgrade()
    return built


def _body(samples: list[dict[str, object]]) -> bytes:
    return json.dumps({"samples": samples}).encode()


def test_closed_label_sets_are_capped_on_create_and_update(small: Platform) -> None:
    key, _ = make_key(small)
    with pytest.raises(LimitExceeded) as refused:
        create_model(small, key, "acme.big", "classify", labels=["a", "b", "c", "d"])
    assert refused.value.code == "limit_exceeded" and "3" in refused.value.detail
    create_model(small, key, "acme.tone", "classify", labels=["a", "b", "c"])
    with pytest.raises(LimitExceeded):
        update_model(small, key, "acme.tone", labels=["a", "b", "c", "d"])
    assert update_model(small, key, "acme.tone", labels=Keep.KEEP).labels == ["a", "b", "c"]


def test_open_label_sets_stop_at_the_limit_and_store_nothing(small: Platform) -> None:
    key, _ = make_key(small)
    create_model(small, key, "acme.tone", "classify")
    add_samples(small, key, "acme.tone", _body([{"text": f"t{i}", "label": "abc"[i]} for i in range(3)]),
                "application/json")
    with pytest.raises(LimitExceeded) as refused:
        add_samples(small, key, "acme.tone", _body([{"text": "new", "label": "d"}]), "application/json")
    assert refused.value.code == "limit_exceeded"
    assert small.store.models.get("acme.tone").sample_count == 3
    # Labels already held are fine.
    add_samples(small, key, "acme.tone", _body([{"text": "more", "label": "a"}]), "application/json")

    create_model(small, key, "acme.topics", "multilabel")
    with pytest.raises(LimitExceeded):
        add_samples(small, key, "acme.topics", _body([{"text": "x", "labels": ["p", "q", "r", "s"]}]),
                    "application/json")
    add_samples(small, key, "acme.topics", _body([{"text": "x", "labels": ["p", "q"]}]), "application/json")
    with pytest.raises(LimitExceeded):
        add_samples(small, key, "acme.topics", _body([{"text": "y", "labels": ["r"]}, {"text": "z", "labels": ["s"]}]),
                    "application/json")
    assert small.store.models.get("acme.topics").sample_count == 1
