"""N-gram counts kept between runs of one data set, so a retrain counts only its new texts.

Counting n-grams is the costliest step of TF-IDF, and a retrain after a few new samples would
otherwise count every text again.
A *snapshot* is every text's counts for one n-gram configuration, stored under a caller-given
name for the data set (the runs layer passes the model's id), next to the embedding cache.

Loading a snapshot and counting the missing texts gives exactly the matrix a fresh count would:
per-text counts do not depend on the other texts, and the columns are put back in sorted term
order, which is the order a fresh :class:`~sklearn.feature_extraction.text.CountVectorizer`
uses. Columns of terms that only removed texts had stay in the snapshot with no counts, and
fitting on any rows drops them (see :meth:`.TextFeatures._fit_from`).

Files are plain ``.npz`` arrays read with ``allow_pickle=False`` and written to a temporary
name first, so a crashed writer or two concurrent workers never leave a torn snapshot. A
snapshot that cannot be read is ignored (and recounted), never fatal.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from .cache import text_key
from .features import CountedTexts, _block_texts, _vectorizers

__all__ = ["CountsCache", "forget_counts", "wait_for_counts_saves"]

log = logging.getLogger("u22a8.engine")

_FORMAT = 1

# Snapshots being written off the caller's path; a deleted data set's cleanup waits for them.
_saving: set[threading.Thread] = set()
_saving_lock = threading.Lock()


def _config(word_ngrams: Sequence[int] | None, char_ngrams: Sequence[int] | None, lowercase: bool,
            edges: bool) -> dict[str, Any]:
    return {"format": _FORMAT, "word": list(word_ngrams) if word_ngrams else None,
            "char": list(char_ngrams) if char_ngrams else None, "lowercase": bool(lowercase), "edges": bool(edges)}


def _digest(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()[:20]


class CountsCache:
    def __init__(self, cache_dir: Path) -> None:
        self.root = Path(cache_dir) / "counts"

    def _path(self, name: str, config: dict[str, Any]) -> Path:
        return self.root / f"{_digest(name)}-{_digest(config)}.npz"

    def forget(self, name: str) -> int:
        """Delete every snapshot stored under ``name`` (each configuration, and temp files of
        writes in progress); returns how many files went."""
        if not self.root.is_dir():
            return 0
        gone = 0
        for path in self.root.glob(f"{_digest(name)}-*"):
            path.unlink(missing_ok=True)
            gone += 1
        return gone

    def counted(self, name: str, texts: Sequence[str], word_ngrams: Sequence[int] | None,
                char_ngrams: Sequence[int] | None, lowercase: bool = True, edges: bool = True) -> CountedTexts:
        """``texts`` counted, reusing the snapshot stored under ``name`` for the texts it holds."""
        config = _config(word_ngrams, char_ngrams, lowercase, edges)
        snapshot = self._load(self._path(name, config), len(_vectorizers(word_ngrams, char_ngrams, lowercase)))
        if snapshot is None:
            return CountedTexts(texts, word_ngrams, char_ngrams, lowercase, edges)
        keys, blocks = snapshot
        row_of = {bytes(k): i for i, k in enumerate(keys)}
        texts = list(texts)
        old_rows = np.array([row_of.get(text_key(t), -1) for t in texts], dtype=np.int64)
        fresh = old_rows < 0
        new_texts = [t for t, f in zip(texts, fresh) if f]
        parts = []
        for (name_, vec), (counts, terms) in zip(_vectorizers(word_ngrams, char_ngrams, lowercase), blocks):
            counts, terms = _with_new_texts(counts, terms, vec, _block_texts(name_, new_texts, edges), old_rows, fresh)
            parts.append((name_, vec, counts, terms))
        return CountedTexts.from_parts(len(texts), parts, word_ngrams=word_ngrams, char_ngrams=char_ngrams,
                                       lowercase=lowercase, edges=edges)

    def save(self, name: str, texts: Sequence[str], counted: CountedTexts) -> None:
        """Store ``counted`` under ``name``, replacing the earlier snapshot of that configuration."""
        config = _config(counted.word_ngrams, counted.char_ngrams, counted.lowercase, counted.edges)
        path = self._path(name, config)
        arrays: dict[str, np.ndarray] = {
            "keys": np.frombuffer(b"".join(text_key(t) for t in texts), dtype=np.uint8).reshape(-1, 32),
        }
        for i, (block, _, counts) in enumerate(counted.blocks):
            arrays[f"indptr{i}"] = counts.indptr
            arrays[f"indices{i}"] = counts.indices
            arrays[f"data{i}"] = counts.data
            arrays[f"shape{i}"] = np.array(counts.shape, dtype=np.int64)
            arrays[f"terms{i}"] = np.asarray(counted.terms[block], dtype=str)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            with open(tmp, "wb") as f:
                np.savez(f, **arrays)
            os.replace(tmp, path)
        except OSError:  # a full disk costs the next retrain a recount, nothing more
            log.warning("n-gram counts snapshot not written", exc_info=True)
            tmp.unlink(missing_ok=True)

    def save_in_background(self, name: str, texts: Sequence[str], counted: CountedTexts) -> threading.Thread:
        """:meth:`save` off the caller's path (a retrain is waiting to be served)."""
        return track_save(self.save, name, list(texts), counted, name="counts-snapshot")

    def _load(self, path: Path, n_blocks: int) -> tuple[np.ndarray, list[tuple[sp.csr_matrix, np.ndarray]]] | None:
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                keys = z["keys"]
                blocks = []
                for i in range(n_blocks):
                    shape = tuple(int(v) for v in z[f"shape{i}"])
                    counts = sp.csr_matrix((z[f"data{i}"], z[f"indices{i}"], z[f"indptr{i}"]), shape=shape)
                    blocks.append((counts, z[f"terms{i}"]))
        except (OSError, ValueError, KeyError):
            log.warning("n-gram counts snapshot %s unreadable; counting afresh", path, exc_info=True)
            return None
        if any(c.shape[0] != len(keys) or c.shape[1] != len(t) for c, t in blocks):
            return None
        return keys, blocks


def track_save(save: Any, *args: Any, name: str) -> threading.Thread:
    """Run ``save(*args)`` in a thread that :func:`wait_for_counts_saves` waits for; not a daemon,
    so a worker that exits still finishes the file."""

    def tracked() -> None:
        try:
            save(*args)
        except Exception:  # a cache file is never worth a failed run
            log.warning("%s not written", name, exc_info=True)
        finally:
            with _saving_lock:
                _saving.discard(threading.current_thread())

    thread = threading.Thread(target=tracked, name=name)
    with _saving_lock:
        _saving.add(thread)
    thread.start()
    return thread


def forget_counts(cache_dir: Path, name: str) -> int:
    """Delete the n-gram count snapshots of the data set ``name`` under ``cache_dir``."""
    return CountsCache(cache_dir).forget(name)


def wait_for_counts_saves(timeout: float | None = None) -> None:
    """Return once this process writes no snapshot any more (or ``timeout`` passed for each)."""
    with _saving_lock:
        pending = list(_saving)
    for thread in pending:
        thread.join(timeout)


def _with_new_texts(counts: sp.csr_matrix, terms: np.ndarray, vec: Any, new_texts: list[str],
                    old_rows: np.ndarray, fresh: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """Rows for every current text (old ones from ``counts``, new ones counted now), columns in
    sorted term order over the union of old and new terms."""
    n_cols = len(terms)
    if new_texts:
        try:
            new_counts = sp.csr_matrix(vec.fit_transform(new_texts), dtype=np.float32)
            new_terms = vec.get_feature_names_out()
        except ValueError:  # no n-gram at all in the new texts (e.g. punctuation only)
            new_counts = sp.csr_matrix((len(new_texts), 0), dtype=np.float32)
            new_terms = np.array([], dtype=str)
        # Union of the two sorted vocabularies, and where each side's columns land in it.
        union = np.union1d(terms, new_terms)
        old_to_union = np.searchsorted(union, terms)
        new_to_union = np.searchsorted(union, new_terms)
        n_cols = len(union)
        counts = sp.csr_matrix((counts.data, old_to_union[counts.indices], counts.indptr), shape=(counts.shape[0], n_cols))
        new_counts = sp.csr_matrix((new_counts.data, new_to_union[new_counts.indices], new_counts.indptr),
                                   shape=(new_counts.shape[0], n_cols))
        terms = union
    else:
        new_counts = sp.csr_matrix((0, n_cols), dtype=np.float32)
    # Current row i is old row old_rows[i], or the next new row; stack old then new, then reorder.
    order = np.where(fresh, counts.shape[0] + np.cumsum(fresh) - 1, old_rows)
    stacked = sp.vstack([counts, new_counts], format="csr")
    out = sp.csr_matrix(stacked[order], dtype=np.float32)
    out.sort_indices()
    return out, terms
