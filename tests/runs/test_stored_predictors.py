"""The server's artifact loading path: current artifacts load as data; legacy pickles load only
from the platform's own store at a row's key and checksum; crafted bytes never run."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from u22a8 import engine
from u22a8.engine.bundle import BUNDLE_FORMAT, load_bundle
from u22a8.engine.features import TextFeatures
from u22a8.engine.bundle import write_bundle
from u22a8.runs import portable_artifact
from u22a8.service import PredictorCache
from u22a8.store import Store, Version
from u22a8.store.artifacts import ArtifactCorrupt
from u22a8.store.versions import NewVersion

from .._crafted import reduce_pickle, sha256, skops_with_function, skops_with_untrusted_type
from ..engine.conftest import classify_data

PARAMS = {"format": 1, "task": "classify", "members": [{
    "features": {"word_ngrams": [1, 2], "char_ngrams": [2, 5], "word_weight": 1.0, "char_weight": 1.0,
                 "lowercase": True, "edges": True, "embed": None, "embed_weight": 2.0, "cues_weight": 1.0},
    "model": {"family": "svm", "C": 0.5}, "weight": 1.0}]}
TEXTS = ["thanks, glad", "refused by policy", "apologies for the mistake", ""]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(f"sqlite:///{tmp_path / 'u22a8.db'}", tmp_path / "artifacts")
    s.upgrade()
    s.models.create("acme.tone", "classify", quiet_seconds=1.0)
    yield s
    s.close()


def _add_version(store: Store, artifact: bytes) -> Version:
    """A version row as a worker records it: the bytes stored first, the row with their checksum."""
    run = store.runs.enqueue_search("acme.tone", "low")
    assert store.runs.claim(run.id, "w", 60) is not None
    key = f"acme.tone/{run.id}.u22a8"
    sha = store.artifacts.put(key, artifact)
    store.runs.finish(run.id, "w", "succeeded", version=NewVersion(
        params=PARAMS, metrics={"primary": 1.0}, report={}, sample_ids=[], artifact_key=key, artifact_sha256=sha),
        promote=True)
    return store.versions.list("acme.tone")[-1]


def _legacy_state(self: TextFeatures) -> dict[str, Any]:
    # What TextFeatures pickled before the current format: fitted CountVectorizers, no embedder.
    return {**self.__dict__, "embedder": None}


@pytest.fixture(scope="module")
def predictor() -> engine.Predictor:
    result = engine.refit(classify_data(), PARAMS)
    return engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))


def test_current_artifacts_serve_from_the_store(store: Store, predictor: engine.Predictor) -> None:
    version = _add_version(store, engine.dump_predictor(predictor))
    assert PredictorCache(store).get(version).predict(TEXTS) == predictor.predict(TEXTS)


def test_a_legacy_pickle_in_the_own_store_still_serves_and_exports_in_the_current_format(
        store: Store, predictor: engine.Predictor, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        m.setattr(TextFeatures, "__getstate__", _legacy_state)
        legacy = pickle.dumps(predictor, protocol=pickle.HIGHEST_PROTOCOL)
    assert engine.is_legacy_artifact(legacy)
    version = _add_version(store, legacy)
    assert PredictorCache(store).get(version).predict(TEXTS) == predictor.predict(TEXTS)
    export = export_version(store, "acme.tone", version.number)
    loaded, manifest = load_bundle(export.data)
    assert manifest["format"] == BUNDLE_FORMAT and manifest["sha256"] != version.artifact_sha256
    assert loaded.predict(TEXTS) == predictor.predict(TEXTS)
    # The legacy bytes themselves are refused outside the server's own store path.
    with pytest.raises(engine.LegacyArtifactError):
        engine.load_predictor(legacy, version.artifact_sha256)


def test_the_deserializer_refuses_a_crafted_pickle_whose_checksum_matches(tmp_path: Path) -> None:
    """What the server hands its bytes to: a pickle that is not from a store row never runs."""
    marker = tmp_path / "pwned"
    crafted = reduce_pickle(marker)
    with pytest.raises(engine.ArtifactIntegrityError):
        engine.load_predictor(crafted, sha256(crafted))
    assert not marker.exists()


def test_crafted_bytes_in_place_of_a_stored_artifact_are_refused(store: Store, predictor: engine.Predictor,
                                                                tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    version = _add_version(store, engine.dump_predictor(predictor))
    store.artifacts.put(version.artifact_key, reduce_pickle(marker))  # bytes the row did not record
    with pytest.raises(ArtifactCorrupt):
        PredictorCache(store).get(version)
    assert not marker.exists()


@pytest.mark.parametrize("craft", [skops_with_untrusted_type, skops_with_function])
def test_a_stored_artifact_naming_untrusted_types_is_refused_even_with_a_matching_row(
        store: Store, tmp_path: Path, craft: Any) -> None:
    marker = tmp_path / "pwned"
    version = _add_version(store, craft(marker))
    with pytest.raises(engine.UntrustedArtifactError):
        PredictorCache(store).get(version)
    with pytest.raises(engine.UntrustedArtifactError):  # and so would any user loading its export
        load_bundle(export_version(store, "acme.tone", version.number).data)
    assert not marker.exists()


class _Export:
    def __init__(self, data: bytes) -> None:
        self.data = data


def export_version(store: Store, handle: str, number: int) -> _Export:
    """What the service's export writes: the version's portable artifact in a bundle."""
    artifact, sha256 = portable_artifact(store, store.versions.get(handle, number))
    return _Export(write_bundle(artifact, sha256, {"handle": handle, "version": number}))
