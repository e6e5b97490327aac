"""Operations of more than one request, as flows both clients drive (see ``_steps``).

Following cursors, training and fetching the queued run, uploading samples in chunks, following
a run's events across dropped connections, downloading an export: the decisions are made here
once; the clients only perform the I/O each step asks for.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ._base import BaseClient
from ._calls import Call, Page, calls, train_result
from ._exceptions import InvalidRequest, U22A8Error
from ._run import TrainResult
from ._sample_files import SampleSource, read_samples, relocate_error
from ._sending import RETRYABLE_ERRORS, call, send, transport_error
from ._sse import SSEParser
from ._steps import END, Chunks, Close, Emit, Flow, Lines, Next, Sleep
from ._types import SampleCounts

__all__ = ["pages", "train", "ready", "upload_samples", "run_events", "download_export", "export_target"]

T = TypeVar("T")


def pages(client: BaseClient, page: Callable[[str | None], Call[Page[T]]]) -> Flow[None]:
    """Emit every item of a listing, asking ``page(cursor)`` for each page until no cursor comes back."""
    cursor: str | None = None
    while True:
        result = yield from call(client, page(cursor))
        for item in result.items:
            yield Emit(item)
        if not result.next_cursor:
            return
        cursor = result.next_cursor


def train(client: BaseClient, handle: str, effort: str | None, reoptimize: bool) -> Flow[TrainResult[Any]]:
    """Ask for training, then fetch the run the answer names (if any)."""
    body = yield from call(client, calls.train_model(handle, effort, reoptimize))
    run = (yield from call(client, calls.get_run(handle, body["run_id"]))) if body.get("run_id") else None
    return train_result(body, run)


def ready(client: BaseClient) -> Flow[bool]:
    """Whether the server and its database answer: any error answer or no answer means no."""
    try:
        yield from call(client, calls.readyz())
    except U22A8Error:
        return False
    return True


def upload_samples(client: BaseClient, handle: str, samples: SampleSource, format: str | None, chunk_size: int,
                   on_progress: Callable[[int, int], Any] | None) -> Flow[SampleCounts]:
    """Send the samples ``chunk_size`` per request and add up the counts.

    Each request is all-or-nothing; a refused chunk's error counts sample indexes from the start
    of the whole upload and says how many samples before it were stored.
    """
    batches = read_samples(samples, format)
    total: SampleCounts | None = None
    sent = 0
    for chunk in batches.chunks(chunk_size):
        try:
            counts = yield from call(client, calls.add_samples(handle, chunk.content, chunk.content_type))
        except InvalidRequest as exc:
            raise relocate_error(exc, chunk, sent) from None
        total = counts if total is None else total + counts
        sent += chunk.count
        if on_progress is not None:
            on_progress(sent, len(batches))
    assert total is not None  # chunks() yields at least one chunk
    return total


def run_events(client: BaseClient, handle: str, run_id: str) -> Flow[None]:
    """Emit a run's events until the final one. A dropped connection is opened again, with
    ``Last-Event-ID`` set to the last event seen, so nothing is repeated or lost; the retry
    budget starts afresh after every event that gets through."""
    path = calls.run_events_path(handle, run_id)
    last: int | None = None
    attempt = 0
    while True:
        parser = SSEParser()
        request = client._http.build_request("GET", path, headers={"Last-Event-ID": str(last)} if last else {})
        response = yield from send(request, client._retry, stream=True)
        try:
            lines = yield Lines(response)
            while (line := (yield Next(lines))) is not END:
                event = parser.feed(line)
                if event is None:
                    continue
                last, attempt = event.id or last, 0
                yield Emit(event)
                if event.final:
                    return
            return
        except RETRYABLE_ERRORS as exc:
            yield Close(response)
            if not client._retry.can_retry(attempt):
                raise transport_error(exc, httpx.Request("GET", client.base_url + path), attempt + 1) from exc
            yield Sleep(client._retry.wait(attempt))
            attempt += 1


def download_export(client: BaseClient, handle: str, number: int, path: str | Path) -> Flow[Path]:
    """Stream version ``number``'s export to ``path`` (a file, or a directory to put it in)."""
    request = client._http.build_request("GET", calls.export_path(handle, number), headers={})
    response = yield from send(request, client._retry, stream=True)
    final = export_target(path, response, handle, number)
    final.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename: an interrupted download never looks complete.
    fd, tmp = tempfile.mkstemp(prefix=".part-", dir=final.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            chunks = yield Chunks(response)
            while (block := (yield Next(chunks))) is not END:
                out.write(block)
        os.replace(tmp, final)
    except httpx.TransportError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise transport_error(exc, response.request, 1) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return final


def export_target(path: str | Path, response: httpx.Response, handle: str, number: int) -> Path:
    """Where an export goes: ``path`` itself, or a file named by the server inside directory ``path``."""
    target = Path(path)
    if not target.is_dir():
        return target
    name = f"{handle}-v{number}.u22a8.zip"
    found = re.search(r'filename="?([^";]+)"?', response.headers.get("content-disposition", ""))
    if found:
        # Only the last component: a server must not be able to write outside the directory.
        name = Path(found.group(1)).name or name
    return target / name
