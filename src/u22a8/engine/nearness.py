"""How close a text is to the texts a model trained on: one more out-of-scope signal.

A text of an intent the model never saw can still land confidently on its nearest known label,
so the largest probability alone misses it; its sentence embedding, though, is often farther
from every training text than an in-scope text's is. ``nearness`` is the mean cosine similarity
to the :data:`K` nearest training texts, on the embeddings the version already computes (its
members' embedder: MiniLM at medium and high), or on the nearly free static embedding when no
member embeds (low's members may not). :mod:`.fallback` combines it with the largest
probability when the search finds that better on held-out outputs.

Held-out rows are compared with the training rows of their own fold (what the model that made
their outputs saw); served texts with every training text, kept with the decision as float16
unit vectors (at most :data:`MAX_KEPT`, a seeded sample beyond: 384 dimensions × 20,000 rows
is 15 MB).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from .embeddings import get_embedder, unavailable_reason
from .static_embeddings import STATIC

__all__ = ["K", "MAX_KEPT", "nearness", "embedder_for", "unit", "served_nearness"]

K = 5
MAX_KEPT = 20_000
_CHUNK = 1024  # query rows per matrix product: bounds memory at CHUNK × training rows


def unit(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)  # type: ignore[no-any-return]


def nearness(queries: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Mean cosine similarity of each query (unit rows) to its K nearest reference rows."""
    if len(reference) == 0:
        return np.zeros(len(queries))
    k = min(K, len(reference))
    ref = reference if reference.dtype == np.float32 else np.asarray(reference, dtype=np.float32)
    out = np.empty(len(queries))
    for start in range(0, len(queries), _CHUNK):
        sims = np.asarray(queries[start:start + _CHUNK], dtype=np.float32) @ ref.T
        top = np.partition(sims, sims.shape[1] - k, axis=1)[:, -k:]
        out[start:start + _CHUNK] = top.mean(axis=1)
    return out


def embedder_for(members: list[dict[str, Any]]) -> str | None:
    """The embedder a version's nearness uses: its members' own (they computed it already), else
    the static one; None when neither can run here."""
    for m in members:
        if m.get("features", {}).get("finetune"):  # a fine-tuned encoder's vectors move with each fit
            continue
        name = m.get("features", {}).get("embed")
        if name and unavailable_reason(name) is None:
            return str(name)
    return STATIC if unavailable_reason(STATIC) is None else None


def kept_vectors(vectors: np.ndarray, seed: int = 0) -> np.ndarray:
    """The training vectors served texts are compared with: unit, float16, at most MAX_KEPT."""
    if len(vectors) > MAX_KEPT:
        vectors = vectors[np.sort(np.random.default_rng(seed).choice(len(vectors), MAX_KEPT, replace=False))]
    return unit(vectors).astype(np.float16)


# float32 copies of kept float16 vectors, per loaded version (converting on every request would
# cost more than the product itself); a few versions at a time, like a server holds.
_F32: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
_F32_VERSIONS = 8
_f32_lock = threading.Lock()


def _as_f32(vectors: np.ndarray) -> np.ndarray:
    with _f32_lock:
        found = _F32.get(id(vectors))
        if found is not None and found[0] is vectors:
            _F32.move_to_end(id(vectors))
            return found[1]
        f32 = np.asarray(vectors, dtype=np.float32)
        _F32[id(vectors)] = (vectors, f32)
        while len(_F32) > _F32_VERSIONS:
            _F32.popitem(last=False)
        return f32


def served_nearness(neighbours: dict[str, Any], texts: Sequence[str], memo: dict[str, np.ndarray]) -> np.ndarray:
    """Nearness of served texts; ``memo`` holds the embeddings the members already computed."""
    name = str(neighbours["embedder"])
    if name not in memo:
        memo[name] = np.asarray(get_embedder(name).encode(list(texts)), dtype=np.float32)
    return nearness(unit(memo[name]), _as_f32(neighbours["vectors"]))
