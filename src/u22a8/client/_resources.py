"""The sync client's resource groups: ``client.models``, ``.samples``, ``.runs``, ``.versions``, ``.keys``."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ._base import RETRYABLE_ERRORS, transport_error
from ._calls import UNSET, Call, Page, calls
from ._exceptions import InvalidRequest
from ._run import Model, Run
from ._sample_files import SampleSource, read_samples, relocate_error
from ._sse import SSEParser
from ._types import CreatedKey, Key, Report, RunEvent, Sample, SampleCounts, Version

if TYPE_CHECKING:
    from ._client import Client

__all__ = ["Models", "Samples", "Runs", "Versions", "Keys"]

T = TypeVar("T")


class _Resource:
    def __init__(self, client: Client) -> None:
        self._c = client

    def _pages(self, page: Callable[[str | None], Call[Page[T]]]) -> Iterator[T]:
        cursor: str | None = None
        while True:
            result = self._c._call(page(cursor))
            yield from result.items
            if not result.next_cursor:
                return
            cursor = result.next_cursor


class Models(_Resource):
    def create(self, handle: str, task: str, labels: Sequence[str] | None = None, description: str = "", *,
               auto_retrain: bool | Mapping[str, Any] | None = None) -> Model[Run]:
        """Create ``owner.name`` with task classify, multilabel or score. ``labels`` closes the label set."""
        return self._c._call(calls.create_model(handle, task, labels, description, auto_retrain))

    def get(self, handle: str) -> Model[Run]:
        return self._c._call(calls.get_model(handle))

    def list(self, *, page_size: int = 50) -> Iterator[Model[Run]]:
        """Every model this key can see (its owner's and the platform's), following cursors."""
        return self._pages(lambda cursor: calls.list_models(cursor, page_size))

    def update(self, handle: str, *, description: str | None = UNSET, labels: Sequence[str] | None = UNSET,
               auto_retrain: bool | Mapping[str, Any] = UNSET) -> Model[Run]:
        """Change only what is given; ``labels=None`` opens a closed label set."""
        return self._c._call(calls.update_model(handle, description, labels, auto_retrain))

    def delete(self, handle: str) -> None:
        self._c._call(calls.delete_model(handle))


class Samples(_Resource):
    def add(self, handle: str, samples: SampleSource, *, format: str | None = None, chunk_size: int = 1000,
            on_progress: Callable[[int, int], Any] | None = None) -> SampleCounts:
        """Upload samples: a list of dicts, or a path to a CSV, JSON Lines/NDJSON or JSON file.

        Sent ``chunk_size`` samples per request; ``on_progress(sent, total)`` after each. Each
        request is all-or-nothing; if one is refused, earlier chunks stay stored and the error's
        indexes count from the start of the whole upload.
        """
        batches = read_samples(samples, format)
        total: SampleCounts | None = None
        sent = 0
        for chunk in batches.chunks(chunk_size):
            try:
                counts = self._c._call(calls.add_samples(handle, chunk.content, chunk.content_type))
            except InvalidRequest as exc:
                raise relocate_error(exc, chunk, sent) from None
            total = counts if total is None else total + counts
            sent += chunk.count
            if on_progress is not None:
                on_progress(sent, len(batches))
        assert total is not None  # chunks() yields at least one chunk
        return total

    def list(self, handle: str, label: str | None = None, *, page_size: int = 100) -> Iterator[Sample]:
        return self._pages(lambda cursor: calls.list_samples(handle, label, cursor, page_size))

    def delete(self, handle: str, sample_id: str) -> None:
        self._c._call(calls.delete_sample(handle, sample_id))


class Runs(_Resource):
    def get(self, handle: str, run_id: str) -> Run:
        run: Run = self._c._call(calls.get_run(handle, run_id))
        return run

    def list(self, handle: str, *, page_size: int = 50) -> Iterator[Run]:
        """The model's runs, newest first."""
        return self._pages(lambda cursor: calls.list_runs(handle, cursor, page_size))

    def cancel(self, handle: str, run_id: str) -> Run:
        """A queued run ends at once; a running one stops at its next trial boundary."""
        run: Run = self._c._call(calls.cancel_run(handle, run_id))
        return run

    def events(self, handle: str, run_id: str) -> Iterator[RunEvent]:
        """The run's events as they happen, ending after the final one. A dropped connection is
        resumed where it stopped (``Last-Event-ID``)."""
        path = calls.run_events_path(handle, run_id)
        last: int | None = None
        attempt = 0
        while True:
            parser = SSEParser()
            try:
                with self._c._stream("GET", path, {"Last-Event-ID": str(last)} if last else {}) as response:
                    for line in response.iter_lines():
                        event = parser.feed(line)
                        if event is None:
                            continue
                        last, attempt = event.id or last, 0
                        yield event
                        if event.final:
                            return
                return
            except RETRYABLE_ERRORS as exc:
                if not self._c._retry.can_retry(attempt):
                    raise transport_error(exc, httpx.Request("GET", self._c.base_url + path), attempt + 1) from exc
                time.sleep(self._c._retry.wait(attempt))
                attempt += 1


class Versions(_Resource):
    def list(self, handle: str) -> list[Version]:
        return self._c._call(calls.list_versions(handle))

    def activate(self, handle: str, number: int) -> Version:
        """Serve version ``number`` from now on (roll back or forward)."""
        return self._c._call(calls.activate_version(handle, number))

    def report(self, handle: str, number: int) -> Report:
        return self._c._call(calls.version_report(handle, number))

    def export(self, handle: str, number: int, path: str | Path) -> Path:
        """Download version ``number`` to ``path`` (a file, or a directory to put it in).
        Load it offline with ``u22a8.load_export``. Returns the file written."""
        return self._c._download(calls.export_path(handle, number), path, handle, number)


class Keys(_Resource):
    """API keys of this key's owner (admin scope); a ``u22a8`` admin key manages every owner's."""

    def create(self, scopes: Sequence[str] = ("read", "write", "train"), *, owner: str | None = None,
               name: str = "") -> CreatedKey:
        """A new key; its secret is ``.key`` and is never shown again."""
        return self._c._call(calls.create_key(scopes, owner, name))

    def list(self) -> list[Key]:
        return self._c._call(calls.list_keys())

    def revoke(self, key_id: str) -> Key:
        return self._c._call(calls.revoke_key(key_id))
