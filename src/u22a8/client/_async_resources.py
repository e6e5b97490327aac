"""The async client's resource groups; each method mirrors the sync one in ``_resources.py``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from ._base import RETRYABLE_ERRORS, transport_error
from ._calls import UNSET, Call, Page, calls
from ._exceptions import InvalidRequest
from ._run import AsyncRun, Model
from ._sample_files import SampleSource, read_samples, relocate_error
from ._sse import SSEParser
from ._types import CreatedKey, Key, Report, RunEvent, Sample, SampleCounts, Version

if TYPE_CHECKING:
    from ._async_client import AsyncClient

__all__ = ["AsyncModels", "AsyncSamples", "AsyncRuns", "AsyncVersions", "AsyncKeys"]

T = TypeVar("T")


class _Resource:
    def __init__(self, client: AsyncClient) -> None:
        self._c = client

    async def _pages(self, page: Callable[[str | None], Call[Page[T]]]) -> AsyncIterator[T]:
        cursor: str | None = None
        while True:
            result = await self._c._call(page(cursor))
            for item in result.items:
                yield item
            if not result.next_cursor:
                return
            cursor = result.next_cursor


class AsyncModels(_Resource):
    async def create(self, handle: str, task: str, labels: Sequence[str] | None = None, description: str = "", *,
                     auto_retrain: bool | Mapping[str, Any] | None = None) -> Model[AsyncRun]:
        return await self._c._call(calls.create_model(handle, task, labels, description, auto_retrain))

    async def get(self, handle: str) -> Model[AsyncRun]:
        return await self._c._call(calls.get_model(handle))

    def list(self, *, page_size: int = 50) -> AsyncIterator[Model[AsyncRun]]:
        """``async for model in client.models.list(): ...``"""
        return self._pages(lambda cursor: calls.list_models(cursor, page_size))

    async def update(self, handle: str, *, description: str | None = UNSET, labels: Sequence[str] | None = UNSET,
                     auto_retrain: bool | Mapping[str, Any] = UNSET) -> Model[AsyncRun]:
        return await self._c._call(calls.update_model(handle, description, labels, auto_retrain))

    async def delete(self, handle: str) -> None:
        await self._c._call(calls.delete_model(handle))


class AsyncSamples(_Resource):
    async def add(self, handle: str, samples: SampleSource, *, format: str | None = None, chunk_size: int = 1000,
                  on_progress: Callable[[int, int], Any] | None = None) -> SampleCounts:
        batches = read_samples(samples, format)
        total: SampleCounts | None = None
        sent = 0
        for chunk in batches.chunks(chunk_size):
            try:
                counts = await self._c._call(calls.add_samples(handle, chunk.content, chunk.content_type))
            except InvalidRequest as exc:
                raise relocate_error(exc, chunk, sent) from None
            total = counts if total is None else total + counts
            sent += chunk.count
            if on_progress is not None:
                on_progress(sent, len(batches))
        assert total is not None
        return total

    def list(self, handle: str, label: str | None = None, *, page_size: int = 100) -> AsyncIterator[Sample]:
        return self._pages(lambda cursor: calls.list_samples(handle, label, cursor, page_size))

    async def delete(self, handle: str, sample_id: str) -> None:
        await self._c._call(calls.delete_sample(handle, sample_id))


class AsyncRuns(_Resource):
    async def get(self, handle: str, run_id: str) -> AsyncRun:
        return await self._c._call(calls.get_run(handle, run_id))

    def list(self, handle: str, *, page_size: int = 50) -> AsyncIterator[AsyncRun]:
        return self._pages(lambda cursor: calls.list_runs(handle, cursor, page_size))

    async def cancel(self, handle: str, run_id: str) -> AsyncRun:
        return await self._c._call(calls.cancel_run(handle, run_id))

    async def events(self, handle: str, run_id: str) -> AsyncIterator[RunEvent]:
        path = calls.run_events_path(handle, run_id)
        last: int | None = None
        attempt = 0
        while True:
            parser = SSEParser()
            try:
                async with self._c._stream("GET", path, {"Last-Event-ID": str(last)} if last else {}) as response:
                    async for line in response.aiter_lines():
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
                await asyncio.sleep(self._c._retry.wait(attempt))
                attempt += 1


class AsyncVersions(_Resource):
    async def list(self, handle: str) -> list[Version]:
        return await self._c._call(calls.list_versions(handle))

    async def activate(self, handle: str, number: int) -> Version:
        return await self._c._call(calls.activate_version(handle, number))

    async def report(self, handle: str, number: int) -> Report:
        return await self._c._call(calls.version_report(handle, number))

    async def export(self, handle: str, number: int, path: str | Path) -> Path:
        return await self._c._download(calls.export_path(handle, number), path, handle, number)


class AsyncKeys(_Resource):
    async def create(self, scopes: Sequence[str] = ("read", "write", "train"), *, owner: str | None = None,
                     name: str = "") -> CreatedKey:
        return await self._c._call(calls.create_key(scopes, owner, name))

    async def list(self) -> list[Key]:
        return await self._c._call(calls.list_keys())

    async def revoke(self, key_id: str) -> Key:
        return await self._c._call(calls.revoke_key(key_id))
