"""The asynchronous client: ``u22a8.AsyncClient`` (same surface as ``Client``, with ``await``)."""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import httpx

from ._async_resources import AsyncKeys, AsyncModels, AsyncRuns, AsyncSamples, AsyncVersions
from ._base import RETRYABLE_ERRORS, BaseClient, export_target, prepare, transport_error
from ._calls import Call, calls, train_result
from ._exceptions import U22A8Error, error_from_response
from ._retry import Retry
from ._run import AsyncRun, TrainResult
from ._types import Estimate, PredictResult

__all__ = ["AsyncClient"]

T = TypeVar("T")


class AsyncClient(BaseClient):
    """Like :class:`~u22a8.Client`, for asyncio. ``transport`` may be ``httpx.ASGITransport(app=...)``
    to call an app in-process. Use ``async with``, or ``await client.aclose()``."""

    _run_type = AsyncRun

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 timeout: float | httpx.Timeout | None = None, retry: Retry | int | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, headers: Mapping[str, str] | None = None) -> None:
        self._setup(base_url, api_key, timeout, retry)
        self._http = httpx.AsyncClient(base_url=self._config.base_url, headers=self._headers(headers),
                                       timeout=self._config.timeout, transport=transport)
        self.models = AsyncModels(self)
        self.samples = AsyncSamples(self)
        self.runs = AsyncRuns(self)
        self.versions = AsyncVersions(self)
        self.keys = AsyncKeys(self)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def train(self, handle: str, effort: str | None = None, reoptimize: bool = False) -> TrainResult[AsyncRun]:
        """See :meth:`Client.train`."""
        body = await self._call(calls.train_model(handle, effort, reoptimize))
        run = await self.runs.get(handle, body["run_id"]) if body.get("run_id") else None
        return train_result(body, run)

    async def predict(self, handle: str, inputs: str | Sequence[str], top_k: int | None = None,
                      version: int | None = None) -> PredictResult:
        return await self._call(calls.predict(handle, inputs, top_k, version))

    async def estimate(self, handle: str) -> Estimate:
        return await self._call(calls.estimate_training(handle))

    async def ready(self) -> bool:
        try:
            await self._call(calls.readyz())
        except U22A8Error:
            return False
        return True

    async def _call(self, call: Call[T]) -> T:
        return call.parse(await self._send(call.build(self._http)), self)

    async def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        request = prepare(request)
        attempt = 0
        while True:
            try:
                response = await self._http.send(request, stream=stream)
            except RETRYABLE_ERRORS as exc:
                if not self._retry.can_retry(attempt):
                    raise transport_error(exc, request, attempt + 1) from exc
                await asyncio.sleep(self._retry.wait(attempt))
                attempt += 1
                continue
            except httpx.TransportError as exc:
                raise transport_error(exc, request, attempt + 1) from exc
            if response.is_success:
                return response
            try:
                await response.aread()
            finally:
                await response.aclose()
            if self._retry.should_retry_status(response.status_code) and self._retry.can_retry(attempt):
                await asyncio.sleep(self._retry.wait(attempt, response.headers.get("retry-after")))
                attempt += 1
                continue
            raise error_from_response(response)

    @asynccontextmanager
    async def _stream(self, method: str, path: str,
                      headers: Mapping[str, str] | None = None) -> AsyncIterator[httpx.Response]:
        response = await self._send(self._http.build_request(method, path, headers=dict(headers or {})), stream=True)
        try:
            yield response
        finally:
            await response.aclose()

    async def _download(self, path: str, target: str | Path, handle: str, number: int) -> Path:
        async with self._stream("GET", path) as response:
            final = export_target(target, response, handle, number)
            final.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".part-", dir=final.parent)
            try:
                with os.fdopen(fd, "wb") as out:
                    async for block in response.aiter_bytes():
                        out.write(block)
                os.replace(tmp, final)
            except httpx.TransportError as exc:
                Path(tmp).unlink(missing_ok=True)
                raise transport_error(exc, response.request, 1) from exc
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return final
