"""MiniLM on ONNX Runtime: the vectors of the torch path, whatever the batch or thread count, and
torch again when the exported file is missing."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from u22a8 import engine
from u22a8.engine import static_embeddings
from u22a8.engine.embeddings import MINILM, MiniLM, minilm_costs, unavailable_reason
from u22a8.engine.minilm_onnx import OnnxMiniLM

pytest.importorskip("onnxruntime")
pytest.importorskip("torch")
pytest.importorskip("sentence_transformers")

LONG = " ".join(f"word{i} and some more words about card payments" for i in range(60))  # ~500 tokens
TEXTS = [
    "", " ", "?", "a", "hi",
    "I lost my card, what should I do?", "my card has not arrived yet", "How do I top up my account?",
    "Why was I charged a fee for the transfer I made yesterday evening?",
    "can i change my PIN at an ATM", "The exchange rate on my last payment looks wrong to me.",
    "Is there a limit on how much I can withdraw?", "cancel my transfer please!!!",
    "Pourquoi ma carte est-elle bloquée ?", "¿Dónde está mi tarjeta?", "Почему мой платёж отклонён?",
    "カードが届きません", "我的卡丢了", "refund 😀🙏 asap", "naïve café crème brûlée",
    "  leading and trailing spaces  ", "tabs\tand\nnewlines", "UPPER CASE TEXT", "1234 5678 9012 3456",
    "e-mail: someone@example.com, url: https://example.com/a?b=c", LONG, LONG[:300],
    "thanks, that is wonderful", "sorry, our mistake", "what a sunny day",
]


@pytest.fixture(scope="module")
def exported() -> Path:
    # `make install` runs `u22a8 prepare`, which exports it; a no-op then.
    path = engine.prepare_onnx()
    assert path is not None and engine.onnx_missing() is None
    return path


@pytest.fixture(scope="module")
def on_torch() -> np.ndarray:
    """The torch path's vectors: a MiniLM that loaded where no ONNX file is."""
    import tempfile

    before = static_embeddings._models_dir
    with tempfile.TemporaryDirectory() as empty:
        static_embeddings.set_models_dir(empty)
        try:
            torch_minilm = MiniLM()
            assert torch_minilm.backend == "torch"
            vecs = torch_minilm.encode(TEXTS)
            assert torch_minilm.backend == "torch"
        finally:
            static_embeddings.set_models_dir(before)
    return vecs


@pytest.fixture
def no_export(tmp_path: Path) -> Iterator[Path]:
    before = static_embeddings._models_dir
    static_embeddings.set_models_dir(tmp_path)
    yield tmp_path
    static_embeddings.set_models_dir(before)


def test_minilm_encodes_on_onnx_with_the_torch_vectors(exported: Path, on_torch: np.ndarray) -> None:
    minilm = MiniLM()
    assert minilm.backend == "onnx"
    got = minilm.encode(TEXTS)
    assert minilm.backend == "onnx" and minilm.loaded
    assert got.shape == (len(TEXTS), 384) and got.dtype == np.float32
    # A long text is cut at 128 tokens on both paths: its vector equals its first 128 tokens'.
    assert np.abs(got - on_torch).max() <= 1e-5
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)


def test_a_text_gets_the_same_vector_alone_or_in_a_batch(exported: Path) -> None:
    batch = OnnxMiniLM(exported, threads=1).encode(TEXTS)
    alone = np.vstack([OnnxMiniLM(exported, threads=1).encode([t]) for t in TEXTS[:8]] +
                      [OnnxMiniLM(exported, threads=1).encode(TEXTS[8:][::-1])[::-1]])
    assert np.abs(batch - alone).max() <= 1e-6
    assert OnnxMiniLM(exported, threads=1).encode([]).shape == (0, 384)


def test_vectors_do_not_depend_on_the_thread_count_or_on_threads_sharing_it(exported: Path) -> None:
    many = TEXTS * 5  # several batches, spread over the threads
    one = OnnxMiniLM(exported, threads=1).encode(many)
    shared = OnnxMiniLM(exported, threads=2)
    np.testing.assert_array_equal(shared.encode(many), one)

    # An API process encodes on its event loop and in worker threads at once.
    def run(i: int) -> np.ndarray:
        return shared.encode(many if i % 2 else many[:3])

    with ThreadPoolExecutor(4) as pool:
        for i, got in enumerate(pool.map(run, range(24))):
            np.testing.assert_array_equal(got, one if i % 2 else one[:3])


def test_minilm_falls_back_to_torch_without_the_exported_file(no_export: Path, on_torch: np.ndarray) -> None:
    assert "u22a8 prepare" in (engine.onnx_missing() or "")
    assert unavailable_reason(MINILM) is None  # torch is installed: MiniLM still serves
    minilm = MiniLM()
    assert minilm.backend == "torch"
    assert minilm_costs()[1] == minilm.seconds_per_text
    np.testing.assert_allclose(minilm.encode(TEXTS[:6]), on_torch[:6], atol=1e-6)
    assert minilm.backend == "torch"


def test_the_cost_model_counts_the_faster_backend(exported: Path, no_export: Path) -> None:
    torch_load, torch_per_text = minilm_costs()  # no_export: nothing exported here
    static_embeddings.set_models_dir(exported.parent.parent)
    onnx_load, onnx_per_text = minilm_costs()
    assert onnx_per_text < torch_per_text / 1.5 and onnx_load < torch_load
    # The medium search embeds 20k texts only when the faster backend is there (its skip rule:
    # expected embedding seconds over a quarter of the ceiling).
    assert onnx_load + onnx_per_text * 20_000 <= 180 / 4 < torch_load + torch_per_text * 20_000
