"""Stored predictors are data: every member kind and task predicts after loading exactly what it
predicted in memory, and the stored form holds no pickle and names only trusted types."""

from __future__ import annotations

import io
import pickle
import zipfile
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import skops.io

from u22a8 import engine
from u22a8.engine import assemble as assemble_module
from u22a8.engine.artifact_format import HEADER
from u22a8.engine.bundle import BUNDLE_FORMAT, load_bundle, write_bundle
from u22a8.engine.embeddings import MINILM
from u22a8.engine.static_embeddings import STATIC

from .conftest import classify_data, multilabel_data, score_data

SPARSE = {"word_ngrams": [1, 2], "char_ngrams": [2, 5], "word_weight": 1.0, "char_weight": 1.0,
          "lowercase": True, "edges": True, "embed": None, "embed_weight": 2.0}
KNN_STATIC = {"features": {**SPARSE, "word_ngrams": None, "char_ngrams": None, "embed": STATIC, "embed_weight": 1.0},
              "model": {"family": "knn", "k": 5, "tau": 0.05}}
PROBES = ["thanks, glad and happy", "refused by policy", "sorry for the mistake", "", "invoice payment delivery",
          "excellent excellent awful", "password locked", "Ünïcödé ✓ text\nwith a newline"]


@pytest.fixture
def in_memory(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[engine.Predictor]]:
    """The predictors as assembled in memory, next to the bytes the engine stores for them."""
    made: list[engine.Predictor] = []
    real = assemble_module.dump_predictor

    def keep(predictor: engine.Predictor) -> bytes:
        made.append(predictor)
        return real(predictor)

    monkeypatch.setattr(assemble_module, "dump_predictor", keep)
    yield made


def _member(features: dict[str, Any], model: dict[str, Any], weight: float = 1.0) -> dict[str, Any]:
    return {"features": {**SPARSE, **features}, "model": model, "weight": weight}


def _params(task: str, *members: dict[str, Any]) -> dict[str, Any]:
    return {"format": 1, "task": task, "members": list(members)}


CASES = {
    "classify-svm-knn-static": (classify_data, _params("classify", _member({}, {"family": "svm", "C": 0.5}), KNN_STATIC)),
    "classify-sgd-cues": (classify_data, _params("classify", _member({"cues_weight": 1.0}, {"family": "sgd", "alpha": 1e-4}))),
    "classify-logreg-balanced": (classify_data, _params("classify", _member(
        {"char_ngrams": None}, {"family": "logreg", "C": 10.0, "class_weight": "balanced"}))),
    "multilabel-svm-knn-static": (multilabel_data, _params("multilabel", _member({}, {"family": "svm", "C": 0.5}),
                                                           KNN_STATIC)),
    "multilabel-logreg-cues": (multilabel_data, _params("multilabel", _member({"cues_weight": 1.0},
                                                                              {"family": "logreg", "C": 10.0}))),
    "score-ridge-knn-static": (score_data, _params("score", _member({}, {"family": "ridge", "alpha": 1.0}), KNN_STATIC)),
    "score-svr-cues": (score_data, _params("score", _member({"cues_weight": 1.0}, {"family": "svr", "C": 0.5}))),
}


def _stored_types(artifact: bytes) -> set[str]:
    return set(skops.io.get_untrusted_types(data=artifact[len(HEADER):]))


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_member_kind_predicts_after_loading_exactly_as_in_memory(case: str, in_memory: list[Any]) -> None:
    make, params = CASES[case]
    result = engine.refit(make(), params)
    original = in_memory[-1]
    assert result.artifact.startswith(HEADER) and b"\x80\x04\x95" not in result.artifact[:64]
    loaded = engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))
    assert loaded is not original
    np.testing.assert_array_equal(loaded.outputs(PROBES), original.outputs(PROBES))
    assert loaded.predict(PROBES) == original.predict(PROBES)
    assert loaded.predict(PROBES, top_k=1) == original.predict(PROBES, top_k=1)
    assert loaded.thresholds == original.thresholds
    assert [m.temperature for m in loaded.members] == [m.temperature for m in original.members]
    trusted = {f"{t.__module__}.{t.__qualname__}" for t in engine.trusted_types()}
    assert _stored_types(result.artifact) <= trusted
    # Through an export too: the file a user downloads predicts the same.
    bundle = write_bundle(result.artifact, engine.artifact_checksum(result.artifact), {"task": make().task})
    exported, manifest = load_bundle(bundle)
    assert manifest["format"] == BUNDLE_FORMAT and exported.predict(PROBES) == original.predict(PROBES)


def test_a_searched_ensemble_round_trips_and_keeps_its_size_and_members(in_memory: list[Any]) -> None:
    result = engine.search(classify_data(), "low")
    original = in_memory[-1]
    loaded = engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))
    assert [type(m.head) for m in loaded.members] == [type(m.head) for m in original.members]
    assert loaded.predict(PROBES) == original.predict(PROBES)
    legacy_size = len(pickle.dumps(original, protocol=pickle.HIGHEST_PROTOCOL))
    # Vocabularies are arrays, not one node per term: the size follows the pickle's, plus the
    # fixed cost of the file's JSON tree.
    assert len(result.artifact) < 1.5 * legacy_size + 200_000


def test_frozen_minilm_member_round_trips(in_memory: list[Any]) -> None:
    pytest.importorskip("sentence_transformers")
    result = engine.refit(classify_data(8), _params("classify", _member({"embed": MINILM}, {"family": "svm", "C": 0.5})))
    loaded = engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))
    assert loaded.members[0].features.embedder is not None  # reattached by name, never stored
    assert loaded.predict(PROBES) == in_memory[-1].predict(PROBES)


def test_stored_predictor_is_a_skops_file_with_no_pickle_inside() -> None:
    result = engine.refit(classify_data(), _params("classify", _member({}, {"family": "svm", "C": 0.5})))
    with zipfile.ZipFile(io.BytesIO(result.artifact[len(HEADER):])) as zf:
        names = zf.namelist()
        assert "schema.json" in names
        for name in names:
            if name.endswith(".npy"):
                with zf.open(name) as f:  # numeric arrays only: numpy reads them without pickle
                    np.lib.format.read_array(f, allow_pickle=False)
