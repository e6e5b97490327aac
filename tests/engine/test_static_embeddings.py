"""Static embeddings at low effort: used when prepared, cleanly skipped when not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from u22a8 import engine
from u22a8.engine import static_embeddings
from u22a8.engine.embeddings import get_embedder

from .conftest import classify_data


@pytest.fixture
def models_dir() -> Iterator[None]:
    before = static_embeddings._models_dir
    yield
    static_embeddings.set_models_dir(before)


def test_static_vectors_are_normalised_and_deterministic() -> None:
    # `make install` runs `u22a8 prepare`, so the machine-wide models directory has them.
    assert engine.static_missing() is None
    emb = get_embedder(static_embeddings.STATIC)
    a = emb.encode(["my card has not arrived", "how do I top up?", ""])
    b = emb.encode(["my card has not arrived"])
    assert a.shape == (3, 256) and a.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(a[:2], axis=1), 1.0, rtol=1e-4)
    assert not a[2].any()  # no tokens, no direction (and no NaN)
    np.testing.assert_array_equal(a[0], b[0])


def test_two_threads_may_encode_at_once() -> None:
    """An API process predicts on its event loop and in worker threads at the same time; the
    tokenizer's truncation setting, changed on every call, must not fail one of them
    ("RuntimeError: Already borrowed", a 500 seen under two clients)."""
    from concurrent.futures import ThreadPoolExecutor

    emb = get_embedder(static_embeddings.STATIC)
    texts = [f"my card number {i} has not arrived, what should I do about it?" for i in range(64)]
    alone = emb.encode(texts)

    def run(i: int) -> np.ndarray:
        return emb.encode(texts if i % 2 else texts[:1])  # type: ignore[no-any-return]

    with ThreadPoolExecutor(4) as pool:
        for i, got in enumerate(pool.map(run, range(400))):
            np.testing.assert_array_equal(got, alone if i % 2 else alone[:1])


def test_low_effort_tries_knn_on_static_vectors_as_an_ensemble_partner() -> None:
    data = classify_data(20, seed=0)
    trials: list[dict] = []
    result = engine.search(data, "low", on_progress=lambda p: trials.append(p.last_trial or {}))
    knn = [t for t in trials if t["params"]["model"]["family"] == "knn"]
    assert knn and all(t["params"]["features"]["embed"] == static_embeddings.STATIC for t in knn)
    # Appending the vectors to the n-grams is not in low's space: it would slow every fit.
    assert all(not t["params"]["features"].get("embed") for t in trials if t["params"]["model"]["family"] != "knn")
    p = engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))
    assert p.predict(["glad and happy thanks"])[0]["label"] == "friendly"


def test_without_prepared_vectors_low_trains_sparse_and_says_why(tmp_path: Path, models_dir: None) -> None:
    static_embeddings.set_models_dir(tmp_path / "empty")
    assert "u22a8 prepare" in (engine.static_missing() or "")
    result = engine.search(classify_data(20, seed=0), "low")
    assert all(not m["features"].get("embed") for m in result.params["members"])
    assert any("minilm-static" in note and "not prepared" in note for note in result.report["notes"])


def test_one_text_is_embedded_bit_for_bit_as_model2vec_embeds_it_in_a_batch() -> None:
    """One text skips model2vec's per-call setup (issue 13); its vector must not move."""
    emb = get_embedder(static_embeddings.STATIC)
    texts = ["", " ", "?!", "my card has not arrived", "I still have not received my new card, what should I do?",
             "Ünïcödé résumé naïve café 你好", "😀 🙂", "top up my account " * 200, "a" * 5000]
    batch = emb.encode(texts)
    assert emb._one is not None  # model2vec as pinned: the one-text path is on
    for text, want in zip(texts, batch):
        np.testing.assert_array_equal(emb.encode([text])[0], want)
