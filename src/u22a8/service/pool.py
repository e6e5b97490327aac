"""A model's pool of unlabeled texts: add (validated, all or nothing), list, delete.

The same formats, limits and all-or-nothing validation as samples (:mod:`.sample_formats`,
``U22A8_MAX_SAMPLES_PER_REQUEST``, ``U22A8_MAX_TEXT_CHARS``, ``U22A8_MAX_SAMPLES_PER_MODEL`` for
the pool's size): one bad text and nothing is stored, with the index and reason of each.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import InvalidRequest, LimitExceeded
from ..settings import Settings
from ..store import ApiKey, NewPoolText, PoolCounts, PoolText
from .access import check_sample_access, checked_handle, enter
from .platform import Platform
from .sample_formats import parse_pool_body
from .samples import TextWithId, validated_item

__all__ = ["PoolUpload", "PoolPage", "validate_pool_texts", "add_pool_texts", "list_pool", "delete_pool_text",
           "clear_pool"]


class PoolTextIn(TextWithId):
    """One pool text as sent: the same id and text rules as a sample's."""


@dataclass(frozen=True)
class PoolUpload:
    counts: PoolCounts
    pool_count: int


@dataclass(frozen=True)
class PoolPage:
    items: list[PoolText]
    next_cursor: str | None


def validate_pool_texts(items: list[Any], settings: Settings) -> list[NewPoolText]:
    """Every text checked, or every problem at once (nothing stored)."""
    if not items:
        raise InvalidRequest("no texts in the request")
    if len(items) > settings.max_samples_per_request:
        raise LimitExceeded(f"{len(items)} texts in one request; the limit is {settings.max_samples_per_request}")
    errors: list[dict[str, Any]] = []
    good: list[NewPoolText] = []
    for i, item in enumerate(items):
        problem = _one(item, settings)
        if isinstance(problem, str):
            errors.append({"index": i, "error": problem})
        else:
            good.append(problem)
    if errors:
        shown = "; ".join(f"#{e['index']}: {e['error']}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        raise InvalidRequest(f"{len(errors)} bad text(s), nothing stored: {shown}{more}", errors=errors)
    return good


def _one(item: Any, settings: Settings) -> NewPoolText | str:
    if isinstance(item, str):  # a bare string in JSON is a text without an id
        item = {"text": item}
    if not isinstance(item, dict):
        return "a pool text must be an object with a text (or a string)"
    t = validated_item(PoolTextIn, item, settings.max_text_chars)
    if isinstance(t, str):
        return t
    return NewPoolText(text=t.text, id=t.id)


def add_pool_texts(platform: Platform, key: ApiKey, handle: str, raw: bytes, content_type: str) -> PoolUpload:
    """Parse, validate and store one pool upload (the API's POST body or the console's file), all or nothing."""
    enter(platform, key, "write", handle)
    platform.store.models.get(handle)  # an unknown model is a 404 before the body is judged
    texts = validate_pool_texts(parse_pool_body(raw, content_type), platform.settings)
    counts, total = platform.store.pool.add(handle, texts, max_per_model=platform.settings.max_samples_per_model)
    return PoolUpload(counts, total)


def list_pool(platform: Platform, key: ApiKey, handle: str, *, cursor: str | None, limit: int) -> PoolPage:
    """Pool texts in upload order, ``limit`` at a time; only the model's owner reads them."""
    check_sample_access(key, checked_handle(handle))
    after = None
    if cursor is not None:
        if not cursor.isdigit() or len(cursor) > 19:
            raise InvalidRequest("cursor is not one this API gave out")
        after = int(cursor)
    items, next_pk = platform.store.pool.list(handle, after=after, limit=limit)
    return PoolPage(items, str(next_pk) if next_pk else None)


def delete_pool_text(platform: Platform, key: ApiKey, handle: str, pool_id: str) -> None:
    enter(platform, key, "write", handle)
    platform.store.pool.delete(handle, pool_id)


def clear_pool(platform: Platform, key: ApiKey, handle: str) -> int:
    """Empty the pool; how many texts went."""
    enter(platform, key, "write", handle)
    return platform.store.pool.clear(handle)
