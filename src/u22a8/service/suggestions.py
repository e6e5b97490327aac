"""What to label next: up to ``limit`` pool texts the active version is least sure about, spread out.

The scoring and its cache are :mod:`.suggestion_cache`'s; this is the action both front doors call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import ModelNotReady
from ..resources import Suggestion
from ..store import ApiKey
from .access import check_sample_access, checked_handle, enter
from .platform import Platform
from .samples import SampleUpload, add_samples

__all__ = ["SuggestionList", "suggestions", "label_suggestion", "SUGGESTIONS_MAX"]

SUGGESTIONS_MAX = 500


@dataclass(frozen=True)
class SuggestionList:
    version: int
    pool_count: int
    items: list[Suggestion]


def suggestions(platform: Platform, key: ApiKey, handle: str, *, limit: int = 50) -> SuggestionList:
    """Up to ``limit`` pool texts worth labeling next, most worth it first, from the active version."""
    # Counted like predict (the first call after a new version runs the model over the pool);
    # then the pool texts are the owner's alone, like samples.
    enter(platform, key, "read", handle, limit_class="predict")
    check_sample_access(key, checked_handle(handle))
    version = platform.store.models.active_version(handle)
    if version is None:
        raise ModelNotReady(f"{handle} has no trained version yet; train it, then ask what to label next")
    entry, picks = platform.suggestions.picks(version, limit)
    labeled = platform.store.pool.labeled_among(version.model_id, [entry.texts[i] for i in picks]) if picks else set()
    items = []
    for i in picks:
        if entry.texts[i] in labeled:
            continue
        items.append(Suggestion(id=entry.ids[i], text=entry.texts[i], rank=len(items) + 1,
                                uncertainty=round(float(entry.scored.uncertainty[i]), 6),
                                guess=entry.scored.guesses[i]))
    return SuggestionList(version=entry.version, pool_count=len(entry.ids), items=items)


def label_suggestion(platform: Platform, key: ApiKey, handle: str, pool_id: str, target: dict[str, Any]) -> SampleUpload:
    """Store a pool text as a sample with ``target`` (``{"label": ...}``, ``{"labels": [...]}`` or
    ``{"score": ...}``): an ordinary sample upload of one, so every rule of samples applies, the
    text leaves the pool and the guarded retrain follows."""
    check_sample_access(key, checked_handle(handle))
    pooled = platform.store.pool.get(handle, pool_id)
    body = json.dumps({"samples": [{"text": pooled.text, **target}]}).encode()
    return add_samples(platform, key, handle, body, "application/json")
