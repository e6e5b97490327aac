"""The synchronous client: ``u22a8.Client``."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TypeVar

import httpx

from ._base import RETRYABLE_ERRORS, BaseClient, export_target, prepare, transport_error
from ._calls import Call, calls, train_result
from ._exceptions import U22A8Error, error_from_response
from ._resources import Keys, Models, Runs, Samples, Versions
from ._retry import Retry
from ._run import Run, TrainResult
from ._types import Estimate, PredictResult

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

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 timeout: float | httpx.Timeout | None = None, retry: Retry | int | None = None,
                 transport: httpx.BaseTransport | None = None, headers: Mapping[str, str] | None = None) -> None:
        self._setup(base_url, api_key, timeout, retry)
        self._http = httpx.Client(base_url=self._config.base_url, headers=self._headers(headers),
                                  timeout=self._config.timeout, transport=transport)
        self.models = Models(self)
        self.samples = Samples(self)
        self.runs = Runs(self)
        self.versions = Versions(self)
        self.keys = Keys(self)

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
        body = self._call(calls.train_model(handle, effort, reoptimize))
        run = self.runs.get(handle, body["run_id"]) if body.get("run_id") else None
        return train_result(body, run)

    def predict(self, handle: str, inputs: str | Sequence[str], top_k: int | None = None,
                version: int | None = None) -> PredictResult:
        """Predictions in input order from the active version (or ``version``)."""
        return self._call(calls.predict(handle, inputs, top_k, version))

    def estimate(self, handle: str) -> Estimate:
        """What each effort would likely cost on the model's current samples."""
        return self._call(calls.estimate_training(handle))

    def ready(self) -> bool:
        """Whether the server answers and its database does (GET /readyz)."""
        try:
            self._call(calls.readyz())
        except U22A8Error:
            return False
        return True

    # -- plumbing
    def _call(self, call: Call[T]) -> T:
        return call.parse(self._send(call.build(self._http)), self)

    def _send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """Send with retries; return a 2xx answer or raise the error the answer stands for."""
        request = prepare(request)
        attempt = 0
        while True:
            try:
                response = self._http.send(request, stream=stream)
            except RETRYABLE_ERRORS as exc:
                if not self._retry.can_retry(attempt):
                    raise transport_error(exc, request, attempt + 1) from exc
                time.sleep(self._retry.wait(attempt))
                attempt += 1
                continue
            except httpx.TransportError as exc:
                raise transport_error(exc, request, attempt + 1) from exc
            if response.is_success:
                return response
            try:
                response.read()
            finally:
                response.close()
            if self._retry.should_retry_status(response.status_code) and self._retry.can_retry(attempt):
                time.sleep(self._retry.wait(attempt, response.headers.get("retry-after")))
                attempt += 1
                continue
            raise error_from_response(response)

    @contextmanager
    def _stream(self, method: str, path: str, headers: Mapping[str, str] | None = None) -> Iterator[httpx.Response]:
        response = self._send(self._http.build_request(method, path, headers=dict(headers or {})), stream=True)
        try:
            yield response
        finally:
            response.close()

    def _download(self, path: str, target: str | Path, handle: str, number: int) -> Path:
        with self._stream("GET", path) as response:
            final = export_target(target, response, handle, number)
            final.parent.mkdir(parents=True, exist_ok=True)
            # Write beside the target and rename: an interrupted download never looks complete.
            fd, tmp = tempfile.mkstemp(prefix=".part-", dir=final.parent)
            try:
                with os.fdopen(fd, "wb") as out:
                    for block in response.iter_bytes():
                        out.write(block)
                os.replace(tmp, final)
            except httpx.TransportError as exc:
                Path(tmp).unlink(missing_ok=True)
                raise transport_error(exc, response.request, 1) from exc
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return final
