"""What the sync and async clients share: configuration, retry policy, request preparation."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
import httpx

from ._config import ClientConfig, resolve_config
from ._exceptions import TransportError
from ._retry import Retry, new_idempotency_key

__all__ = ["BaseClient", "RETRYABLE_ERRORS", "transport_error", "export_target"]

# Failures where the request may not have reached the server, or its answer was lost.
# Others (a malformed URL, an unsupported scheme) will fail the same way every time.
RETRYABLE_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


class BaseClient:
    _config: ClientConfig
    _retry: Retry

    def _setup(self, base_url: str | None, api_key: str | None, timeout: float | httpx.Timeout | None,
               retry: Retry | int | None) -> None:
        self._config = resolve_config(base_url, api_key, timeout)
        if retry is None:
            retry = Retry()
        elif isinstance(retry, int):
            retry = Retry(attempts=retry)
        self._retry = retry

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        return {**self._config.headers(), **(extra or {})}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


def prepare(request: httpx.Request) -> httpx.Request:
    """Give a POST its Idempotency-Key once, before the first try, so every retry repeats it."""
    if request.method == "POST" and "idempotency-key" not in request.headers:
        request.headers["Idempotency-Key"] = new_idempotency_key()
    return request


def transport_error(exc: Exception, request: httpx.Request, tries: int) -> TransportError:
    where = f"{request.method} {request.url.copy_with(query=None)}"
    return TransportError(f"{where} got no answer after {tries} tr{'y' if tries == 1 else 'ies'}: "
                          f"{type(exc).__name__}: {exc}")


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

