"""The asynchronous client: ``u22a8.AsyncClient`` (same surface as ``Client``, with ``await``).

It performs the steps of the same flows as ``Client``, with ``await``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from . import _operations as operations
from ._async_resources import AsyncKeys, AsyncModels, AsyncRuns, AsyncSamples, AsyncVersions
from ._webhook_resources import AsyncWebhooks
from ._base import BaseClient
from ._calls import Call, calls
from ._pool_calls import pool_calls
from ._pool_resources import AsyncPool
from ._pool_types import Suggestions
from ._retry import Retry
from ._run import AsyncRun, TrainResult
from ._sending import call
from ._steps import END, Chunks, Close, Drain, Emit, Flow, Lines, Next, Send, Sleep, Stepper
from ._types import Estimate, LabelIssue, PredictResult

__all__ = ["AsyncClient"]

T = TypeVar("T")


class AsyncClient(BaseClient):
    """Like :class:`~u22a8.Client`, for asyncio. ``transport`` may be ``httpx.ASGITransport(app=...)``
    to call an app in-process. Use ``async with``, or ``await client.aclose()``."""

    _run_type = AsyncRun
    _http: httpx.AsyncClient
    _http_type = httpx.AsyncClient

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 timeout: float | httpx.Timeout | None = None, retry: Retry | int | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, headers: Mapping[str, str] | None = None) -> None:
        self._setup(base_url, api_key, timeout, retry, transport, headers)
        self.models = AsyncModels(self)
        self.samples = AsyncSamples(self)
        self.runs = AsyncRuns(self)
        self.versions = AsyncVersions(self)
        self.keys = AsyncKeys(self)
        self.webhooks = AsyncWebhooks(self)
        self.pool = AsyncPool(self)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def train(self, handle: str, effort: str | None = None, reoptimize: bool = False) -> TrainResult[AsyncRun]:
        """See :meth:`Client.train`."""
        return await self._drive(operations.train(self, handle, effort, reoptimize))

    async def predict(self, handle: str, inputs: str | Sequence[str], top_k: int | None = None,
                      version: int | None = None) -> PredictResult:
        return await self._call(calls.predict(handle, inputs, top_k, version))

    async def label_issues(self, handle: str, limit: int = 50) -> list[LabelIssue]:
        return await self._call(calls.list_label_issues(handle, limit))

    async def dismiss_label_issue(self, handle: str, sample_id: str) -> None:
        await self._call(calls.dismiss_label_issue(handle, sample_id))
    async def suggestions(self, handle: str, limit: int = 50) -> Suggestions:
        """See :meth:`Client.suggestions`."""
        return await self._call(pool_calls.suggestions(handle, limit))

    async def estimate(self, handle: str) -> Estimate:
        return await self._call(calls.estimate_training(handle))

    async def ready(self) -> bool:
        return await self._drive(operations.ready(self))

    # -- I/O: performing the steps of the flows that Client drives too
    async def _call(self, operation: Call[T]) -> T:
        return await self._drive(call(self, operation))

    async def _drive(self, flow: Flow[T]) -> T:
        steps = Stepper(flow)
        async for _ in self._perform_all(steps):
            pass
        return steps.result  # type: ignore[no-any-return]

    def _iterate(self, flow: Flow[None]) -> AsyncIterator[Any]:
        return self._perform_all(Stepper(flow))

    async def _perform_all(self, steps: Stepper[Any]) -> AsyncIterator[Any]:
        try:
            for step in steps:
                if not isinstance(step, Emit):
                    try:
                        steps.answer(await self._perform(step))
                    except BaseException as exc:  # the flow decides: retry, translate, or let it through
                        steps.fail(exc)
                else:
                    yield step.item
        finally:
            await self._close(*steps.finish())

    async def _perform(self, step: Any) -> Any:
        match step:
            case Send(request, stream):
                return await self._http.send(request, stream=stream)
            case Sleep(seconds):
                return await asyncio.sleep(seconds)
            case Drain(response):
                try:
                    return await response.aread()
                finally:
                    await response.aclose()
            case Close(response):
                return await response.aclose()
            case Lines(response):
                return response.aiter_lines()
            case Chunks(response):
                return response.aiter_bytes()
            case Next(source):
                return await anext(source, END)
        raise TypeError(f"not a step: {step!r}")

    @staticmethod
    async def _close(*responses: httpx.Response) -> None:
        for response in responses:
            await response.aclose()
