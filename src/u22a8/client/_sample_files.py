"""Samples to upload, cut into request-sized chunks: from Python objects, CSV, JSON Lines or JSON.

Files are sent in their own format (CSV stays CSV, each chunk with the header row) so the
server's parsing rules apply unchanged; Python objects go as ``{"samples": [...]}``.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

from ._exceptions import InvalidRequest

__all__ = ["SampleSource", "Chunk", "SampleBatches", "read_samples", "parse_samples_text", "relocate_error"]

SampleSource = Union[str, "os.PathLike[str]", Iterable[Mapping[str, Any]], "SampleBatches"]

_FORMATS = {".csv": "csv", ".jsonl": "ndjson", ".ndjson": "ndjson", ".json": "json"}


@dataclass(frozen=True)
class Chunk:
    """One request: ``count`` samples starting at ``offset`` in the whole upload."""

    content: bytes
    content_type: str
    offset: int
    count: int


class SampleBatches:
    """All samples of one upload, known in number before anything is sent (for progress)."""

    def __init__(self, kind: str, rows: list[Any], header: list[str] | None = None) -> None:
        self.kind, self.rows, self.header = kind, rows, header

    def __len__(self) -> int:
        return len(self.rows)

    def chunks(self, size: int) -> Iterator[Chunk]:
        if size < 1:
            raise ValueError("chunk_size must be at least 1")
        for start in range(0, len(self.rows), size):
            part = self.rows[start:start + size]
            yield Chunk(self._encode(part), _CONTENT_TYPES[self.kind], start, len(part))

    def _encode(self, part: list[Any]) -> bytes:
        if self.kind == "csv":
            buf = io.StringIO(newline="")
            writer = csv.writer(buf)
            writer.writerow(self.header or [])
            writer.writerows(part)
            return buf.getvalue().encode()
        if self.kind == "ndjson":
            return "\n".join(part).encode() + b"\n"
        return json.dumps({"samples": part}, ensure_ascii=False, allow_nan=False).encode()


_CONTENT_TYPES = {"csv": "text/csv", "ndjson": "application/x-ndjson", "json": "application/json"}


def read_samples(source: SampleSource, format: str | None = None) -> SampleBatches:
    """Read ``source``: a path (``.csv``, ``.jsonl``/``.ndjson``, ``.json``) or an iterable of dicts.

    ``format`` ("csv", "jsonl", "ndjson" or "json") overrides the file extension.
    """
    if isinstance(source, SampleBatches):
        return source
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        return parse_samples_text(path.read_text(encoding="utf-8-sig"), _kind(path, format), str(path))
    if isinstance(source, Mapping):
        raise TypeError("pass a list of samples (or a file path), not a single sample")
    return SampleBatches("json", [dict(s) for s in source])


def parse_samples_text(text: str, format: str, name: str = "the input") -> SampleBatches:
    """Samples from text already read (e.g. stdin) in ``format``: csv, jsonl, ndjson or json."""
    kind = _kind(Path(name), format)
    text = text.removeprefix("\ufeff")
    if kind == "csv":
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        if header is None:
            raise ValueError(f"{name} is empty: a CSV needs a header row such as text,label")
        return SampleBatches("csv", [row for row in reader if row], header)
    if kind == "ndjson":
        return SampleBatches("ndjson", [line for line in text.splitlines() if line.strip()])
    try:
        body = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"{name} is not valid JSON: {exc}") from exc
    return SampleBatches("json", _json_samples(body, name))


def _kind(path: Path, format: str | None) -> str:
    if format is not None:
        wanted = {"csv": "csv", "jsonl": "ndjson", "ndjson": "ndjson", "json": "json"}.get(format.lower())
        if wanted is None:
            raise ValueError(f"unknown format {format!r}: use csv, jsonl, ndjson or json")
        return wanted
    kind = _FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ValueError(f"cannot tell the format of {path.name}: name it .csv, .jsonl, .ndjson or .json, or pass a format")
    return kind


def _json_samples(body: Any, name: str) -> list[Any]:
    if isinstance(body, dict) and isinstance(body.get("samples"), list):
        return list(body["samples"])
    if isinstance(body, list):
        return body
    raise ValueError(f"{name} must hold a list of samples or {{\"samples\": [...]}}")


def relocate_error(exc: InvalidRequest, chunk: Chunk, stored_before: int) -> InvalidRequest:
    """The same error with sample indexes counted in the whole upload instead of the chunk.

    Validation is all-or-nothing per request; earlier chunks were stored, and the message says so.
    """
    errors = [{**e, "index": e["index"] + chunk.offset} if isinstance(e.get("index"), int) else e for e in exc.errors]
    body = {**exc.body, "errors": errors} if exc.errors else dict(exc.body)
    if errors:
        shown = "; ".join(f"#{e.get('index')}: {e.get('error')}" for e in errors[:5])
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        detail = f"{len(errors)} bad sample(s) among samples #{chunk.offset}-#{chunk.offset + chunk.count - 1}: {shown}{more}"
    else:
        detail = f"{exc.detail} (samples #{chunk.offset}-#{chunk.offset + chunk.count - 1})"
    if stored_before:
        detail += f"; the {stored_before} samples before them were stored"
    body["detail"] = detail
    return type(exc)(detail, status=exc.status, code=exc.code, body=body)
