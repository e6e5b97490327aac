"""The pool and suggestions operations as data (see ``_calls``), and reading texts to upload.

``texts`` to add are strings, dicts with ``text`` (and an optional ``id``), or a path to a CSV
(a ``text`` column, optional ``id``), JSON Lines/NDJSON or JSON file (a list, or ``{"texts": [...]}``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from os import PathLike
from pathlib import Path
from typing import Any, Union
from urllib.parse import quote

import httpx

from ._calls import Call, Page
from ._pool_types import PoolCounts, PoolText, Suggestions

__all__ = ["pool_calls", "PoolSource", "read_pool_texts", "chunks"]

_SUFFIXES = (".csv", ".json", ".jsonl", ".ndjson")
PoolSource = Union[str, "PathLike[str]", Sequence[Union[str, dict[str, Any]]]]


def _path(handle: str, *rest: str) -> str:
    return "/".join([f"/v1/models/{quote(handle, safe='')}", *(quote(r, safe="") for r in rest)])


def _none(_: httpx.Response, __: Any) -> None:
    return None


def _pool_page(r: httpx.Response, _: Any) -> Page[PoolText]:
    body = r.json()
    return Page([PoolText.from_json(d) for d in body["items"]], body.get("next_cursor"))


def read_pool_texts(source: PoolSource) -> list[Any]:
    """The texts as a list of JSON-ready items (strings or objects), from a list or a file."""
    if isinstance(source, PathLike) or (isinstance(source, str) and Path(source).suffix.lower() in _SUFFIXES):
        path = Path(source)
        kind = path.suffix.lower()
        with open(path, encoding="utf-8-sig", newline="") as f:
            if kind == ".csv":
                return [{k: v for k, v in row.items() if v not in (None, "")} for row in csv.DictReader(f)]
            if kind in (".jsonl", ".ndjson"):
                return [json.loads(line) for line in f if line.strip()]
            body = json.load(f)
            return list(body["texts"] if isinstance(body, dict) else body)
    if isinstance(source, str):
        raise ValueError("a single string is neither a list of texts nor a .csv/.json/.jsonl/.ndjson path")
    return list(source)


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    if size < 1:
        raise ValueError("chunk_size must be at least 1")
    for i in range(0, max(len(items), 1), size):
        yield items[i:i + size]


class pool_calls:  # noqa: N801 - a namespace of call builders, like ``calls``
    @staticmethod
    def add(handle: str, items: list[Any]) -> Call[PoolCounts]:
        return Call("POST", _path(handle, "pool"), lambda r, c: PoolCounts.from_json(r.json()), json={"texts": items})

    @staticmethod
    def list(handle: str, cursor: str | None, limit: int) -> Call[Page[PoolText]]:
        return Call("GET", _path(handle, "pool"), _pool_page, params={"cursor": cursor, "limit": limit})

    @staticmethod
    def delete(handle: str, pool_id: str) -> Call[None]:
        return Call("DELETE", _path(handle, "pool", pool_id), _none)

    @staticmethod
    def clear(handle: str) -> Call[None]:
        return Call("DELETE", _path(handle, "pool"), _none)

    @staticmethod
    def suggestions(handle: str, limit: int) -> Call[Suggestions]:
        return Call("GET", _path(handle, "suggestions"), lambda r, c: Suggestions.from_json(r.json()),
                    params={"limit": limit})
