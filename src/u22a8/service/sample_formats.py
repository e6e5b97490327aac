"""Sample uploads in JSON, NDJSON or CSV → a list of raw sample objects, for validation.

The API picks the format by Content-Type, the console by the uploaded file's extension; both
hand the bytes here.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

import orjson

from ..errors import InvalidRequest, LimitExceeded

__all__ = ["parse_sample_body"]

_CSV_FIELDS = {"id", "text", "label", "labels", "score", "weight"}


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
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest(f"the body is not UTF-8 (byte {exc.start})") from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    kind = content_type.split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv"):
        return _parse_csv(text)
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
    if not isinstance(body, dict) or set(body) != {"samples"} or not isinstance(body["samples"], list):
        raise InvalidRequest('the body must be {"samples": [...]} (or NDJSON, or CSV with a header row)')
    return body["samples"]


def _parse_csv(text: str) -> list[Any]:
    reader = csv.reader(io.StringIO(text, newline=""))
    done = [0]  # lines read up to the last whole row

    def rows() -> Iterator[list[str]]:
        for row in reader:
            done[0] = reader.line_num
            yield row

    try:
        return _csv_items(rows())
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
