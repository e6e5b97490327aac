"""Finding 10: every key reads and predicts with the platform's ``u22a8.*`` models, but only the
platform owner reads their training samples (listings, and the texts a version report quotes)."""

from __future__ import annotations

import json

import pytest

from u22a8.errors import Forbidden
from u22a8 import service
from u22a8.service import Platform, add_samples, list_samples, version_report
from u22a8.store import NewVersion

from .conftest import make_key

_CONFLICT = {"text": "the same words, two labels", "targets": ["curt", "friendly"]}


def _platform_model(platform: Platform, owner_key: object) -> None:
    platform.store.models.create("u22a8.tone", "classify", quiet_seconds=1)
    body = {"samples": [{"text": f"private customer text {i}", "label": "curt" if i % 2 else "friendly"}
                        for i in range(6)]}
    add_samples(platform, owner_key, "u22a8.tone", json.dumps(body).encode(), "application/json")  # type: ignore[arg-type]
    run = platform.store.runs.enqueue_search("u22a8.tone", "low")
    assert platform.store.runs.claim(run.id, "w", 30) is not None
    sha = platform.store.artifacts.put("u22a8.tone/v1", b"x")
    report = {"n_samples": 6, "conflicting_texts": 1, "conflict_examples": [_CONFLICT]}
    platform.store.runs.finish(run.id, "w", "succeeded", promote=True, version=NewVersion(
        params={}, metrics={"primary": 0.9}, report=report, sample_ids=["a"], artifact_key="u22a8.tone/v1",
        artifact_sha256=sha))


def test_only_the_platform_owner_reads_platform_samples(platform: Platform) -> None:
    owner, _ = make_key(platform, owner="u22a8")
    tenant, _ = make_key(platform, owner="acme")
    _platform_model(platform, owner)

    assert len(list_samples(platform, owner, "u22a8.tone", cursor=None, limit=10).items) == 6
    with pytest.raises(Forbidden):
        list_samples(platform, tenant, "u22a8.tone", cursor=None, limit=10)
    with pytest.raises(Forbidden):
        list_samples(platform, tenant, "u22a8.tone", cursor=None, limit=10, label="curt")

    assert version_report(platform, owner, "u22a8.tone", 1)["data"]["conflict_examples"] == [_CONFLICT]
    seen = version_report(platform, tenant, "u22a8.tone", 1)
    assert seen["data"]["conflict_examples"] == [] and seen["data"]["conflicting_texts"] == 1
    assert "the same words" not in json.dumps(seen)
    assert service.may_read_samples(owner, "u22a8.tone") and not service.may_read_samples(tenant, "u22a8.tone")
