"""One suite run over every registered artifact backend (as Optuna runs one over its storages)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from u22a8.errors import ArtifactUnavailable
from u22a8.store.artifacts import (
    ArtifactCorrupt,
    ArtifactStore,
    FsspecArtifacts,
    LocalArtifacts,
    open_artifacts,
    registered_backends,
)

# How the suite opens each backend class; a backend registered without a row here fails below.
OPENERS: dict[type, Callable[[Path], ArtifactStore]] = {
    LocalArtifacts: lambda tmp: open_artifacts(tmp / "artifacts"),
    FsspecArtifacts: lambda tmp: open_artifacts(f"memory://u22a8-artifacts-{uuid.uuid4().hex}"),
}


def test_every_registered_backend_is_in_the_suite() -> None:
    assert set(registered_backends().values()) <= set(OPENERS)


@pytest.fixture(params=sorted(OPENERS, key=lambda cls: cls.__name__), ids=lambda cls: cls.__name__)
def artifacts(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    store = OPENERS[request.param](tmp_path)
    assert isinstance(store, request.param)  # the location's scheme picked this backend
    return store


def test_what_is_put_comes_back_with_its_checksum(artifacts: ArtifactStore) -> None:
    sha = artifacts.put("acme.tone/run_1.u22a8", b"payload")
    assert artifacts.get("acme.tone/run_1.u22a8", sha) == b"payload"


def test_bytes_that_do_not_match_their_checksum_are_refused(artifacts: ArtifactStore) -> None:
    artifacts.put("acme.tone/run_1.u22a8", b"payload")
    with pytest.raises(ArtifactCorrupt):
        artifacts.get("acme.tone/run_1.u22a8", "0" * 64)


def test_a_second_put_replaces_the_first(artifacts: ArtifactStore) -> None:
    artifacts.put("acme.tone/run_1.u22a8", b"one")
    sha = artifacts.put("acme.tone/run_1.u22a8", b"two")
    assert artifacts.get("acme.tone/run_1.u22a8", sha) == b"two"


@pytest.mark.parametrize("key", ["../escape", "acme.tone/../../escape", "/abs", "", "a//b", "a\\b", "./a"])
def test_keys_cannot_leave_the_store(artifacts: ArtifactStore, key: str) -> None:
    with pytest.raises(ValueError):
        artifacts.put(key, b"x")


def test_deleting_a_prefix_removes_that_model_only(artifacts: ArtifactStore) -> None:
    kept = artifacts.put("acme.other/run_1.u22a8", b"other")
    artifacts.put("acme.tone/run_1.u22a8", b"one")
    artifacts.put("acme.tone/run_2.u22a8", b"two")
    artifacts.delete_prefix("acme.tone")
    for key in ("acme.tone/run_1.u22a8", "acme.tone/run_2.u22a8"):
        with pytest.raises(ArtifactUnavailable):
            artifacts.get(key, "0" * 64)
    assert artifacts.get("acme.other/run_1.u22a8", kept) == b"other"
    artifacts.delete_prefix("acme.tone")  # nothing left is not an error


def test_deleting_one_artifact_keeps_its_neighbours(artifacts: ArtifactStore) -> None:
    artifacts.put("acme.tone/run_1.u22a8", b"one")
    kept = artifacts.put("acme.tone/run_2.u22a8", b"two")
    artifacts.delete("acme.tone/run_1.u22a8")
    with pytest.raises(ArtifactUnavailable):
        artifacts.get("acme.tone/run_1.u22a8", "0" * 64)
    assert artifacts.get("acme.tone/run_2.u22a8", kept) == b"two"
    artifacts.delete("acme.tone/run_1.u22a8")  # already gone is not an error


def test_a_key_exists_once_put(artifacts: ArtifactStore) -> None:
    assert not artifacts.exists("acme.tone/run_1.u22a8")
    artifacts.put("acme.tone/run_1.u22a8", b"one")
    assert artifacts.exists("acme.tone/run_1.u22a8")
    assert artifacts.describe()
