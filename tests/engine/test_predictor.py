"""Artifacts: checksums first, faithful round trips, the predict output shape."""

from __future__ import annotations

import pickle

import pytest

from u22a8 import engine
from u22a8.engine.bundle import load_bundle, write_bundle

from .conftest import classify_data


@pytest.fixture(scope="module")
def result() -> engine.TrainingResult:
    return engine.search(classify_data(), "low")


def test_checksum_is_hex_sha256(result: engine.TrainingResult) -> None:
    import hashlib

    assert engine.artifact_checksum(result.artifact) == hashlib.sha256(result.artifact).hexdigest()


def test_tampered_bytes_are_refused_before_unpickling(result: engine.TrainingResult) -> None:
    sha = engine.artifact_checksum(result.artifact)
    tampered = bytearray(result.artifact)
    tampered[len(tampered) // 2] ^= 0xFF
    with pytest.raises(engine.ArtifactIntegrityError):
        engine.load_predictor(bytes(tampered), sha)

    class Boom:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            raise AssertionError("unpickled despite a bad checksum")

    evil = pickle.dumps(Boom.__new__(Boom)) if False else b"\x80\x04not-a-pickle"
    with pytest.raises(ValueError):  # ArtifactIntegrityError is a ValueError
        engine.load_predictor(evil, sha)


def test_only_predictors_are_accepted() -> None:
    blob = pickle.dumps({"not": "a predictor"})
    with pytest.raises(engine.ArtifactIntegrityError):
        engine.load_predictor(blob, engine.artifact_checksum(blob))


def test_export_round_trip_predicts_identically(result: engine.TrainingResult) -> None:
    sha = engine.artifact_checksum(result.artifact)
    original = engine.load_predictor(result.artifact, sha)
    bundle = write_bundle(result.artifact, sha, {"task": "classify", "params": result.params})
    loaded, manifest = load_bundle(bundle)
    texts = ["thanks, glad", "refused by policy", "apologies for the mistake", ""]
    assert loaded.predict(texts) == original.predict(texts)
    assert manifest["params"] == result.params


def test_top_k_keeps_the_best_scores_in_order(result: engine.TrainingResult) -> None:
    p = engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))
    full = p.predict(["sorry for the mistake"])[0]
    two = p.predict(["sorry for the mistake"], top_k=2)[0]
    assert list(two["scores"]) == list(full["scores"])[:2]
    assert list(full["scores"].values()) == sorted(full["scores"].values(), reverse=True)
    assert two["label"] == full["label"] and two["confidence"] == full["confidence"]
    assert len(p.predict(["x"], top_k=10)[0]["scores"]) == 3


def test_predictions_keep_input_order(result: engine.TrainingResult) -> None:
    p = engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))
    texts = ["thanks, glad", "refused by policy", "apologies for the mistake"] * 5
    single = [p.predict([t])[0] for t in texts]
    assert p.predict(texts) == single


def test_artifacts_naming_the_renamed_members_module_still_load() -> None:
    """Max artifacts written before ``ftmembers`` became ``finetuned_members`` name the old module."""
    import io
    import pickle

    from u22a8.engine.finetuned_members import PassThroughHead
    from u22a8.engine.legacy_pickle import _Unpickler

    old = pickle.dumps(PassThroughHead(3), protocol=0).replace(b"u22a8.engine.finetuned_members",
                                                               b"u22a8.engine.ftmembers")
    head = _Unpickler(io.BytesIO(old)).load()
    assert isinstance(head, PassThroughHead) and list(head.classes_) == [0, 1, 2]
