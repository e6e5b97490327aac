"""Sample uploads in JSON, NDJSON or CSV → a list of raw sample objects, for validation.

The API picks the format by Content-Type, the console by the uploaded file's extension; both
hand the bytes here.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import orjson

from ..errors import InvalidRequest, LimitExceeded

__all__ = ["parse_sample_body", "parse_pool_body"]

_CSV_FIELDS = {"id", "text", "label", "labels", "score", "weight"}
_POOL_CSV_FIELDS = {"id", "text"}


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _loads(text: str) -> Any:
    # orjson reads strict JSON several times faster; whatever it refuses (bad syntax, but also
    # lone surrogates or integers past 64 bits, which json takes) goes to json, whose answer or
    # message then stands, so both parsers accept exactly what json alone did.
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        pass
    # Python's json accepts NaN and Infinity; JSON does not, and neither do we. Nesting deep enough
    # to exhaust the parser's recursion is bad input like any other syntax error.
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("it nests too deeply") from None


def parse_sample_body(raw: bytes, content_type: str) -> list[Any]:
    """Decode the request body into a list of raw sample objects."""
    return _parse_body(raw, content_type, "samples", _parse_csv)


def parse_pool_body(raw: bytes, content_type: str) -> list[Any]:
    """Decode a pool upload (unlabeled texts: ``text`` and an optional ``id``) into raw objects.

    The same formats and errors as samples; JSON is ``{"texts": [...]}``, CSV has a text column."""
    return _parse_body(raw, content_type, "texts", _parse_pool_csv)


def _parse_body(raw: bytes, content_type: str, field: str, parse_csv: Any) -> list[Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"the body is not UTF-8 (byte {exc.start})") from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        return parse_csv(text)  # type: ignore[no-any-return]
    if kind in ("application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines"):
        items = []
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    items.append(_loads(line))
                except ValueError as exc:
                    raise InvalidRequest(f"line {n} is not valid JSON: {exc}") from exc
        return items
    try:
        body = _loads(text)
    except ValueError as exc:
        raise InvalidRequest(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(body, dict) or set(body) != {field} or not isinstance(body[field], list):
        raise InvalidRequest(f'the body must be {{"{field}": [...]}} (or NDJSON, or CSV with a header row)')
    return body[field]  # type: ignore[no-any-return]


def _parse_csv(text: str) -> list[Any]:
    return _read_csv(text, _csv_items)


def _parse_pool_csv(text: str) -> list[Any]:
    return _read_csv(text, _pool_csv_items)


def _read_csv(text: str, items: Callable[[Iterator[list[str]]], list[Any]]) -> list[Any]:
    reader = csv.reader(io.StringIO(text, newline=""))
    done = [0]  # lines read up to the last whole row

    def rows() -> Iterator[list[str]]:
        for row in reader:
            done[0] = reader.line_num
            yield row

    try:
        return items(rows())
    except csv.Error as exc:
        # The line it stopped in is the one after the last whole row.
        line = done[0] + 1
        # The csv module refuses a field longer than its limit; no text that long is a valid sample.
        if "field limit" in str(exc):
            raise LimitExceeded(f"CSV line {line}: a field is over {csv.field_size_limit()} characters") from None
        raise InvalidRequest(f"CSV line {line}: {exc}") from None


def _csv_items(reader: Any) -> list[Any]:
    """Rows as sample objects, as ``csv.DictReader`` reads them (blank lines skipped, missing
    fields empty, extra fields an error), without building its dict per row first."""
    header: list[str] = next(reader, [])  # the first line, blank or not, as DictReader takes it
    fields = set(header)
    if "text" not in fields or not fields & {"label", "labels", "score"}:
        raise InvalidRequest(
            "the CSV header must name a text column and one of label, labels or score "
            f"(found: {', '.join(sorted(fields)) or 'no header'})"
        )
    unknown = fields - _CSV_FIELDS
    if unknown:
        raise InvalidRequest(f"unknown CSV columns: {', '.join(sorted(unknown))}")
    width = len(header)
    plain = header in (["text", "label"], ["label", "text"])
    items: list[Any] = []
    for row in reader:
        if not row:
            continue
        if len(row) > width:
            items.append({"__error__": "the row has more fields than the header"})
            continue
        if plain and len(row) == 2:  # the common file: two columns, nothing to convert
            item: dict[str, Any] = {k: v for k, v in zip(header, row) if v}
            if "text" not in item:
                item["text"] = ""
            items.append(item)
            continue
        named: dict[str, Any] = dict(zip(header, row))  # a later duplicate column wins, as in DictReader
        named.update((k, None) for k in header[len(row):])
        item = {k: v for k, v in named.items() if v not in (None, "")}
        if "text" not in item:
            item["text"] = named.get("text") or ""
        if "labels" in item:
            item["labels"] = [x for x in item["labels"].split("|") if x]
        for number in ("score", "weight"):
            if number in item:
                try:
                    item[number] = float(item[number])
                except ValueError:
                    item[number] = item[number]  # left as text so validation names it
        items.append(item)
    return items


def _pool_csv_items(reader: Iterator[list[str]]) -> list[Any]:
    """Rows as pool objects, read the way :func:`_csv_items` reads samples."""
    header: list[str] = next(reader, [])
    fields = set(header)
    if "text" not in fields:
        raise InvalidRequest(f"the CSV header must name a text column (found: {', '.join(sorted(fields)) or 'no header'})")
    unknown = fields - _POOL_CSV_FIELDS
    if unknown:
        raise InvalidRequest(f"unknown CSV columns: {', '.join(sorted(unknown))} (a pool text has text and id)")
    width = len(header)
    items: list[Any] = []
    for row in reader:
        if not row:
            continue
        if len(row) > width:
            items.append({"__error__": "the row has more fields than the header"})
            continue
        item: dict[str, Any] = {k: v for k, v in zip(header, row) if v}
        item.setdefault("text", "")
        items.append(item)
    return items
