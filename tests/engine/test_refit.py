"""refit(), should_promote() and the feature cache: retraining on new samples."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest

from u22a8 import engine
from u22a8.engine import Dataset
from u22a8.engine.embeddings import register_embedder

from .conftest import classify_data, score_data


def test_refit_same_params_on_more_data_same_protocol() -> None:
    small, big = classify_data(20, seed=0), classify_data(40, seed=1)
    searched = engine.search(small, "low")
    again = engine.refit(big, searched.params)
    assert again.params["members"] == searched.params["members"]
    assert again.metrics["n_samples"] == 120 and again.metrics["primary_name"] == "accuracy"
    assert again.metrics["protocol"] == searched.metrics["protocol"]
    assert again.trials_done == 0
    # Refit on identical data reproduces the search's final metrics: one protocol for both.
    same = engine.refit(small, searched.params)
    assert same.metrics["primary"] == searched.metrics["primary"]
    assert same.metrics["per_class"] == searched.metrics["per_class"]
    p = engine.load_predictor(again.artifact, engine.artifact_checksum(again.artifact))
    assert p.predict(["glad and happy"])[0]["label"] == "friendly"


def test_refit_accepts_interim_flat_params() -> None:
    result = engine.refit(score_data(), {"alpha": 2.0, "word_max": 1, "char": False})
    member = result.params["members"][0]
    assert member["model"] == {"family": "ridge", "alpha": 2.0}
    assert member["features"]["char_ngrams"] is None and member["features"]["word_ngrams"] == [1, 1]


def test_refit_refuses_params_of_another_task() -> None:
    searched = engine.search(score_data(), "low")
    with pytest.raises(ValueError):
        engine.refit(classify_data(), searched.params)


@pytest.mark.parametrize(
    ("new", "old", "tol", "promote"),
    [(0.90, 0.90, 0.01, True), (0.95, 0.90, 0.0, True), (0.895, 0.90, 0.01, True), (0.85, 0.90, 0.01, False)],
)
def test_should_promote(new: float, old: float, tol: float, promote: bool) -> None:
    ok, reason = engine.should_promote({"primary": new, "primary_name": "accuracy"},
                                       {"primary": old, "primary_name": "accuracy"}, tol)
    assert ok is promote and "accuracy" in reason and f"{new:.4f}" in reason
    if not promote:
        assert "worse" in reason and "tolerance" in reason


def test_should_promote_without_old_score() -> None:
    ok, reason = engine.should_promote({"primary": 0.5, "primary_name": "spearman"}, {}, 0.01)
    assert ok and "no score" in reason


class CountingEmbedder:
    """A cheap stand-in for MiniLM: hashed bag of words, counting every text it embeds."""

    name = "counting"
    version = "counting:1"
    texts_embedded = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        CountingEmbedder.texts_embedded += len(texts)
        out = np.zeros((len(texts), 16), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.split():
                out[i, zlib.crc32(w.encode()) % 16] += 1.0  # hash() is salted per process
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


def test_feature_cache_embeds_only_new_texts(tmp_path: Path) -> None:
    register_embedder("counting", CountingEmbedder)
    params = {"format": 1, "task": "classify", "members": [{
        "features": {"word_ngrams": [1, 1], "char_ngrams": None, "embed": "counting", "embed_weight": 2.0},
        "model": {"family": "svm", "C": 0.5}, "weight": 1.0}]}
    first = classify_data(20, seed=0)
    CountingEmbedder.texts_embedded = 0
    engine.refit(first, params, cache_dir=tmp_path)
    assert CountingEmbedder.texts_embedded == len(set(first.texts))

    more = Dataset("classify", list(first.texts) + ["thanks so much", "no, closed"],
                   list(first.targets) + ["friendly", "curt"])
    CountingEmbedder.texts_embedded = 0
    result = engine.refit(more, params, cache_dir=tmp_path)
    assert CountingEmbedder.texts_embedded == 2  # only the new texts; the rest came from disk
    assert result.params["members"][0]["features"]["embed"] == "counting"

    # Without a cache directory everything is embedded again.
    CountingEmbedder.texts_embedded = 0
    engine.refit(more, params)
    assert CountingEmbedder.texts_embedded == len(set(more.texts))


def test_unavailable_embedder_falls_back_to_sparse() -> None:
    register_embedder("broken", CountingEmbedder, check=lambda: "ImportError: no torch here")
    params = {"members": [{"features": {"word_ngrams": [1, 2], "char_ngrams": [2, 5], "embed": "broken"},
                           "model": {"family": "svm", "C": 0.5}}]}
    result = engine.refit(classify_data(), params)
    assert result.params["members"][0]["features"]["embed"] is None
    assert any("broken" in n and "sparse" in n for n in result.report["notes"])
    assert result.metrics["primary"] >= 0.9


def test_large_data_uses_a_holdout_and_refit_matches_search() -> None:
    data = classify_data(700, seed=2)  # 2100 samples: above the cross-validation cut-off
    searched = engine.search(data, "low", time_limit_seconds=15)
    assert searched.metrics["protocol"].startswith("holdout")
    assert searched.metrics["n_evaluated"] == 420
    again = engine.refit(data, searched.params)
    for key in ("primary", "accuracy", "macro_f1", "log_loss", "per_class", "confusion"):
        assert again.metrics[key] == searched.metrics[key], key


@pytest.mark.parametrize("task", ["classify", "multilabel", "score"])
def test_knn_family_on_embeddings_for_every_task(task: str) -> None:
    from .conftest import multilabel_data

    register_embedder("counting", CountingEmbedder)
    data = {"classify": classify_data, "multilabel": multilabel_data, "score": score_data}[task]()
    params = {"members": [{"features": {"word_ngrams": None, "char_ngrams": None, "embed": "counting",
                                        "embed_weight": 1.0}, "model": {"family": "knn", "k": 5, "tau": 0.1}}]}
    result = engine.refit(data, params)
    p = engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))
    out = p.predict(list(data.texts[:5]))
    assert len(out) == 5
    if task == "classify":
        assert all(abs(sum(o["scores"].values()) - 1) < 1e-6 for o in out)
        assert result.metrics["accuracy"] > 0.5
    elif task == "score":
        assert result.metrics["spearman"] > 0.3


def test_ensemble_members_share_one_embedding_per_predict() -> None:
    register_embedder("counting", CountingEmbedder)
    emb = {"embed": "counting", "embed_weight": 1.0}
    params = {"members": [
        {"features": {"word_ngrams": [1, 2], "char_ngrams": None, **emb}, "model": {"family": "svm", "C": 0.5},
         "weight": 0.6},
        {"features": {"word_ngrams": None, "char_ngrams": None, **emb}, "model": {"family": "knn", "k": 5, "tau": 0.1},
         "weight": 0.4},
    ]}
    result = engine.refit(classify_data(), params)
    assert [m["weight"] for m in result.params["members"]] == [0.6, 0.4]
    p = engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))
    p.members[0].features.embedder = p.members[1].features.embedder = CountingEmbedder()
    CountingEmbedder.texts_embedded = 0
    out = p.predict(["thanks, wonderful", "sorry, our mistake"])
    assert CountingEmbedder.texts_embedded == 2
    assert [o["label"] for o in out] == ["friendly", "sorry"]
    assert all(abs(sum(o["scores"].values()) - 1) < 1e-6 for o in out)
