"""Reading sample files into chunks, and reading Server-Sent Events: pure client logic."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

import u22a8
from u22a8.client._sample_files import Chunk, parse_samples_text, read_samples, relocate_error
from u22a8.client._sse import SSEParser


def test_csv_chunks_each_carry_the_header_and_keep_quoted_newlines(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "labels"])
        for i in range(5):
            w.writerow([f"line one\nline two, {i}", "a|b"])
    batches = read_samples(path)
    chunks = list(batches.chunks(2))
    assert len(batches) == 5 and [c.count for c in chunks] == [2, 2, 1] and [c.offset for c in chunks] == [0, 2, 4]
    assert all(c.content_type == "text/csv" for c in chunks)
    rows = list(csv.DictReader(io.StringIO(chunks[2].content.decode(), newline="")))
    assert rows == [{"text": "line one\nline two, 4", "labels": "a|b"}]


def test_jsonl_ndjson_and_json_files(tmp_path: Path) -> None:
    lines = [json.dumps({"text": f"t{i}", "label": "x"}) for i in range(3)]
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n\n")
    (tmp_path / "a.ndjson").write_text("\n".join(lines))
    (tmp_path / "a.json").write_text(json.dumps({"samples": [json.loads(x) for x in lines]}))
    (tmp_path / "b.json").write_text(json.dumps([json.loads(x) for x in lines]))
    for name, kind in [("a.jsonl", "application/x-ndjson"), ("a.ndjson", "application/x-ndjson"),
                       ("a.json", "application/json"), ("b.json", "application/json")]:
        (chunk,) = list(read_samples(tmp_path / name).chunks(10))
        assert chunk.count == 3 and chunk.content_type == kind, name
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(ValueError, match="cannot tell the format"):
        read_samples(tmp_path / "a.txt")
    assert len(read_samples(tmp_path / "a.txt", format="jsonl")) == 1
    assert len(parse_samples_text("text,label\nhi,x\n", "csv")) == 1
    with pytest.raises(TypeError):
        read_samples({"text": "one sample", "label": "x"})


def test_errors_of_a_later_chunk_count_from_the_start_of_the_upload() -> None:
    exc = u22a8.InvalidRequest("2 bad sample(s)", status=422, code="invalid_request",
                               body={"errors": [{"index": 0, "error": "text is empty"}, {"index": 3, "error": "bad"}]})
    moved = relocate_error(exc, Chunk(b"", "application/json", offset=100, count=50), stored_before=100)
    assert type(moved) is u22a8.InvalidRequest
    assert [e["index"] for e in moved.errors] == [100, 103]
    assert "#100: text is empty" in moved.detail and "100 samples before them were stored" in moved.detail


def test_sse_parser_reads_events_comments_and_multiline_data() -> None:
    parser = SSEParser()
    stream = [": keep-alive", "", "id: 7", "event: progress",
              'data: {"type": "progress", "at": "2024-05-01T10:00:00+00:00",', 'data:  "trials_done": 2}', "",
              "id: 8", "event: succeeded", "data: {}", ""]
    events = [e for e in map(parser.feed, stream) if e is not None]
    assert [(e.id, e.type, e.final) for e in events] == [(7, "progress", False), (8, "succeeded", True)]
    assert events[0].data["trials_done"] == 2 and events[0].at is not None and events[0].at.year == 2024
