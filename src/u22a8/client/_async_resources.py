"""The async client's resource groups; each method mirrors the sync one in ``_resources.py``
and has ``AsyncClient`` drive the same operation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import _operations as operations
from ._base import ResourceGroup
from ._calls import UNSET, calls
from ._run import AsyncRun, Model
from ._sample_files import SampleSource
from ._types import CreatedKey, Key, Report, RunEvent, Sample, SampleCounts, Version

if TYPE_CHECKING:
    from ._async_client import AsyncClient

__all__ = ["AsyncModels", "AsyncSamples", "AsyncRuns", "AsyncVersions", "AsyncKeys"]


class AsyncModels(ResourceGroup["AsyncClient"]):
    async def create(self, handle: str, task: str, labels: Sequence[str] | None = None, description: str = "", *,
                     auto_retrain: bool | Mapping[str, Any] | None = None, fallback_label: str | None = None,
               fallback_min_precision: float | None = None) -> Model[AsyncRun]:
        return await self._c._call(calls.create_model(handle, task, labels, description, auto_retrain, fallback_label,
                                                 fallback_min_precision))

    async def get(self, handle: str) -> Model[AsyncRun]:
        return await self._c._call(calls.get_model(handle))

    def list(self, *, page_size: int = 50) -> AsyncIterator[Model[AsyncRun]]:
        """``async for model in client.models.list(): ...``"""
        return self._c._iterate(operations.pages(self._c, lambda cursor: calls.list_models(cursor, page_size)))

    async def update(self, handle: str, *, description: str | None = UNSET, labels: Sequence[str] | None = UNSET,
                     auto_retrain: bool | Mapping[str, Any] = UNSET, fallback_label: str | None = UNSET,
               fallback_min_precision: float | None = UNSET) -> Model[AsyncRun]:
        return await self._c._call(calls.update_model(handle, description, labels, auto_retrain, fallback_label,
                                                 fallback_min_precision))

    async def delete(self, handle: str) -> None:
        await self._c._call(calls.delete_model(handle))


class AsyncSamples(ResourceGroup["AsyncClient"]):
    async def add(self, handle: str, samples: SampleSource, *, format: str | None = None, chunk_size: int = 1000,
                  on_progress: Callable[[int, int], Any] | None = None) -> SampleCounts:
        return await self._c._drive(operations.upload_samples(self._c, handle, samples, format, chunk_size,
                                                               on_progress))

    def list(self, handle: str, label: str | None = None, *, page_size: int = 100) -> AsyncIterator[Sample]:
        return self._c._iterate(operations.pages(self._c, lambda cursor: calls.list_samples(handle, label, cursor,
                                                                                             page_size)))

    async def delete(self, handle: str, sample_id: str) -> None:
        await self._c._call(calls.delete_sample(handle, sample_id))


class AsyncRuns(ResourceGroup["AsyncClient"]):
    async def get(self, handle: str, run_id: str) -> AsyncRun:
        return await self._c._call(calls.get_run(handle, run_id))

    def list(self, handle: str, *, page_size: int = 50) -> AsyncIterator[AsyncRun]:
        return self._c._iterate(operations.pages(self._c, lambda cursor: calls.list_runs(handle, cursor, page_size)))

    async def cancel(self, handle: str, run_id: str) -> AsyncRun:
        return await self._c._call(calls.cancel_run(handle, run_id))

    def events(self, handle: str, run_id: str) -> AsyncIterator[RunEvent]:
        """``async for event in client.runs.events(handle, run_id): ...``"""
        return self._c._iterate(operations.run_events(self._c, handle, run_id))


class AsyncVersions(ResourceGroup["AsyncClient"]):
    async def list(self, handle: str) -> list[Version]:
        return await self._c._call(calls.list_versions(handle))

    async def activate(self, handle: str, number: int) -> Version:
        return await self._c._call(calls.activate_version(handle, number))

    async def report(self, handle: str, number: int) -> Report:
        return await self._c._call(calls.version_report(handle, number))

    async def export(self, handle: str, number: int, path: str | Path) -> Path:
        return await self._c._drive(operations.download_export(self._c, handle, number, path))


class AsyncKeys(ResourceGroup["AsyncClient"]):
    async def create(self, scopes: Sequence[str] = ("read", "write", "train"), *, owner: str | None = None,
                     name: str = "", rate_limits: str | None = None) -> CreatedKey:
        return await self._c._call(calls.create_key(scopes, owner, name, rate_limits))

    async def list(self) -> list[Key]:
        return await self._c._call(calls.list_keys())

    async def revoke(self, key_id: str) -> Key:
        return await self._c._call(calls.revoke_key(key_id))
