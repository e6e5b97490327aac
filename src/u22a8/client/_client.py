"""The synchronous client: ``u22a8.Client``. It performs the steps of the shared flows by blocking."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, TypeVar

import httpx

from . import _operations as operations
from ._base import BaseClient
from ._calls import Call, calls
from ._resources import Keys, Models, Runs, Samples, Versions
from ._webhook_resources import Webhooks
from ._pool_calls import pool_calls
from ._pool_resources import Pool
from ._pool_types import Suggestions
from ._retry import Retry
from ._run import Run, TrainResult
from ._sending import call
from ._steps import END, Chunks, Close, Drain, Emit, Flow, Lines, Next, Send, Sleep, Stepper
from ._types import Estimate, LabelIssue, PredictResult

__all__ = ["Client"]

T = TypeVar("T")


class Client(BaseClient):
    """Talks to a u22a8 server.

    ``base_url`` and ``api_key`` default to ``U22A8_BASE_URL`` (else http://127.0.0.1:8000) and
    ``U22A8_API_KEY``. ``retry`` is a :class:`Retry` or a number of tries in all (1 = never
    retry). ``transport`` is any ``httpx.BaseTransport``, e.g. ``httpx.MockTransport`` in tests.
    Use it as a context manager, or call :meth:`close`.
    """

    _run_type = Run
    _http: httpx.Client
    _http_type = httpx.Client

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 timeout: float | httpx.Timeout | None = None, retry: Retry | int | None = None,
                 transport: httpx.BaseTransport | None = None, headers: Mapping[str, str] | None = None) -> None:
        self._setup(base_url, api_key, timeout, retry, transport, headers)
        self.models = Models(self)
        self.samples = Samples(self)
        self.runs = Runs(self)
        self.versions = Versions(self)
        self.keys = Keys(self)
        self.webhooks = Webhooks(self)
        self.pool = Pool(self)

    # -- lifetime
    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- top-level operations
    def train(self, handle: str, effort: str | None = None, reoptimize: bool = False) -> TrainResult[Run]:
        """Ask for training. From draft (or with ``reoptimize`` on a ready model) a search run is
        queued and returned; on a busy model the run in flight is returned; a ready model without
        ``reoptimize`` answers state "ready" and no run. ``effort``: low, medium (default), high, max."""
        return self._drive(operations.train(self, handle, effort, reoptimize))

    def predict(self, handle: str, inputs: str | Sequence[str], top_k: int | None = None,
                version: int | None = None) -> PredictResult:
        """Predictions in input order from the active version (or ``version``)."""
        return self._call(calls.predict(handle, inputs, top_k, version))

    def label_issues(self, handle: str, limit: int = 50) -> list[LabelIssue]:
        """Samples whose label the active version finds unlikely, most suspect first. Relabel one
        with ``samples.add(handle, [{"id": issue.sample_id, "text": issue.text, "label": ...}])``."""
        return self._call(calls.list_label_issues(handle, limit))

    def dismiss_label_issue(self, handle: str, sample_id: str) -> None:
        """The sample's label is right: keep it off the list until its label changes."""
        self._call(calls.dismiss_label_issue(handle, sample_id))
    def suggestions(self, handle: str, limit: int = 50) -> Suggestions:
        """Up to ``limit`` pool texts (``client.pool``) worth labeling next, most worth it first, each
        with the active version's guess: the ones it is least sure about, no two alike, none labeled."""
        return self._call(pool_calls.suggestions(handle, limit))

    def estimate(self, handle: str) -> Estimate:
        """What each effort would likely cost on the model's current samples."""
        return self._call(calls.estimate_training(handle))

    def ready(self) -> bool:
        """Whether the server answers and its database does (GET /readyz)."""
        return self._drive(operations.ready(self))

    # -- I/O: performing the steps of the flows that AsyncClient drives too
    def _call(self, operation: Call[T]) -> T:
        return self._drive(call(self, operation))

    def _drive(self, flow: Flow[T]) -> T:
        """Perform ``flow``'s steps and return its result (a flow run for its result emits nothing)."""
        steps = Stepper(flow)
        for _ in self._perform_all(steps):
            pass
        return steps.result  # type: ignore[no-any-return]

    def _iterate(self, flow: Flow[None]) -> Iterator[Any]:
        """The items ``flow`` emits, its steps performed as the caller asks for more."""
        return self._perform_all(Stepper(flow))

    def _perform_all(self, steps: Stepper[Any]) -> Iterator[Any]:
        try:
            for step in steps:
                if not isinstance(step, Emit):
                    try:
                        steps.answer(self._perform(step))
                    except BaseException as exc:  # the flow decides: retry, translate, or let it through
                        steps.fail(exc)
                else:
                    yield step.item
        finally:
            self._close(*steps.finish())

    def _perform(self, step: Any) -> Any:
        match step:
            case Send(request, stream):
                return self._http.send(request, stream=stream)
            case Sleep(seconds):
                return time.sleep(seconds)
            case Drain(response):
                try:
                    return response.read()
                finally:
                    response.close()
            case Close(response):
                return response.close()
            case Lines(response):
                return response.iter_lines()
            case Chunks(response):
                return response.iter_bytes()
            case Next(source):
                return next(source, END)
        raise TypeError(f"not a step: {step!r}")

    @staticmethod
    def _close(*responses: httpx.Response) -> None:
        for response in responses:
            response.close()
