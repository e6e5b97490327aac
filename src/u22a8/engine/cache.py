"""Per-text feature cache on disk: a refit embeds only the texts it has not seen before.

Vectors are keyed by the SHA-256 of the text and namespaced by the embedder's ``version``, so a
changed embedder never serves stale vectors. One SQLite file under ``cache_dir`` is shared by
every search and refit of every model (same text → same vector whatever the model), and
SQLite's locking makes concurrent workers safe.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from .embeddings import Embedder
from .types import SearchCanceled

__all__ = ["FeatureCache", "CachedEmbedder", "EmbeddingTimeout", "text_key"]

log = logging.getLogger("u22a8.engine")

_CHUNK = 500  # keys per SQL query
_EMBED_CHUNK = 128  # texts embedded between two stop / deadline checks


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class FeatureCache:
    def __init__(self, cache_dir: Path) -> None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        self.path = cache_dir / "features.sqlite3"
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS vectors (version TEXT NOT NULL, key BLOB NOT NULL, "
                       "dim INTEGER NOT NULL, vec BLOB NOT NULL, PRIMARY KEY (version, key))")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def get(self, version: str, keys: Sequence[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        with self._connect() as db:
            for i in range(0, len(keys), _CHUNK):
                chunk = list(keys[i : i + _CHUNK])
                marks = ",".join("?" * len(chunk))
                rows = db.execute(f"SELECT key, vec FROM vectors WHERE version = ? AND key IN ({marks})",
                                  [version, *chunk])
                for key, blob in rows:
                    found[bytes(key)] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put(self, version: str, keys: Sequence[bytes], vectors: np.ndarray) -> None:
        rows = [(version, k, int(v.shape[0]), np.ascontiguousarray(v, dtype=np.float32).tobytes())
                for k, v in zip(keys, vectors)]
        with self._connect() as db:
            db.executemany("INSERT OR REPLACE INTO vectors (version, key, dim, vec) VALUES (?, ?, ?, ?)", rows)


class EmbeddingTimeout(Exception):
    """Embedding would run past the deadline the caller gave."""


# Chunks embedded after the first (which may load the network) before the pace is trusted to
# say that the rest would run past the deadline.
_PACE_CHUNKS = 3


def _past_deadline(deadline: float, now: float, paced_since: float | None, paced_chars: int,
                   left_chars: int) -> bool:
    """Whether embedding is past ``deadline`` now, or will be at the pace of the chunks since
    ``paced_since`` (``paced_chars`` characters in that time; ``left_chars`` still to embed).
    Characters, not texts: the chunks go shortest first, so a pace in texts would flatter."""
    if now > deadline:
        return True
    if paced_since is None or paced_chars <= 0:
        return False
    return now + (now - paced_since) * left_chars / paced_chars > deadline


class CachedEmbedder:
    """Wraps an embedder: cached vectors come from disk, the rest are embedded in chunks.

    ``should_stop`` is checked between chunks, so a cancel does not wait for every embedding;
    so is the optional ``deadline`` (a ``time.monotonic()`` value).
    """

    def __init__(self, inner: Embedder, cache: FeatureCache | None,
                 should_stop: Callable[[], bool] | None = None) -> None:
        self.inner = inner
        self.cache = cache
        self.should_stop = should_stop
        self.name, self.version = inner.name, inner.version
        self.embedded = 0  # texts actually sent to the network, for reports and tests
        self.deadline: float | None = None

    def missing(self, texts: Sequence[str]) -> int:
        """How many distinct texts are not in the cache yet (what an encode would cost)."""
        keys = list(dict.fromkeys(text_key(t) for t in texts))
        return len(keys) - (len(self.cache.get(self.version, keys)) if self.cache else 0)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        keys = [text_key(t) for t in texts]
        known = self.cache.get(self.version, list(dict.fromkeys(keys))) if self.cache else {}
        by_key = {k: t for k, t in zip(keys, texts)}
        # Chunks of texts of like length: the embedder pads each of its batches to its longest
        # text, and pads less when a chunk's texts are alike (a quarter less CPU on Banking77).
        todo = sorted(dict.fromkeys(k for k in keys if k not in known), key=lambda k: len(by_key[k]))
        # A deadline is also judged by the pace so far: run to the deadline, embeddings that
        # could not finish by it cost a search that time for nothing (max on 300k rows spent half
        # its 1800 s ceiling so before its first trial).
        left_chars = sum(len(by_key[k]) for k in todo)
        paced_since: float | None = None
        paced_chars = chunks = 0
        for i in range(0, len(todo), _EMBED_CHUNK):
            if self.should_stop and self.should_stop():
                raise SearchCanceled()
            if self.deadline is not None and _past_deadline(
                    self.deadline, time.monotonic(), paced_since if chunks > _PACE_CHUNKS else None, paced_chars,
                    left_chars):
                raise EmbeddingTimeout()
            chunk = todo[i : i + _EMBED_CHUNK]
            vecs = self.inner.encode([by_key[k] for k in chunk])
            chars = sum(len(by_key[k]) for k in chunk)
            left_chars -= chars
            chunks += 1
            if chunks == 1:
                paced_since = time.monotonic()  # the pace leaves out the first chunk
            else:
                paced_chars += chars
            self.embedded += len(chunk)
            known.update(zip(chunk, vecs))
            if self.cache:
                try:
                    self.cache.put(self.version, chunk, vecs)
                except sqlite3.Error:  # a full disk must not fail the training run
                    log.warning("feature cache write failed", exc_info=True)
        return np.vstack([known[k] for k in keys]).astype(np.float32)
