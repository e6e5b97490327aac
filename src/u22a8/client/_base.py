"""What the sync and async clients share: configuration, retry policy, and what flows need of a client.

Flows (``_sending``, ``_operations``) get the client as a :class:`BaseClient`: they build
requests with its ``httpx`` client (building needs no I/O), follow its retry policy, and bind
the runs they parse to it. ``Client`` and ``AsyncClient`` add only the I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

import httpx

from ._config import ClientConfig, resolve_config
from ._retry import Retry

__all__ = ["BaseClient", "ResourceGroup"]

C = TypeVar("C", bound="BaseClient")


class BaseClient:
    _config: ClientConfig
    _retry: Retry
    _http: httpx.Client | httpx.AsyncClient
    # httpx.Client or httpx.AsyncClient: what sends this client's requests.
    _http_type: Any
    # Run or AsyncRun: what the runs parsed from this client's answers are.
    _run_type: Any

    def _setup(self, base_url: str | None, api_key: str | None, timeout: float | httpx.Timeout | None,
               retry: Retry | int | None, transport: Any, headers: Mapping[str, str] | None) -> None:
        """Arguments, then the environment, then defaults: see ``resolve_config``."""
        self._config = resolve_config(base_url, api_key, timeout)
        if retry is None:
            retry = Retry()
        elif isinstance(retry, int):
            retry = Retry(attempts=retry)
        self._retry = retry
        self._http = self._http_type(base_url=self._config.base_url, headers=self._headers(headers),
                                     timeout=self._config.timeout, transport=transport)

    @property
    def base_url(self) -> str:
        return self._config.base_url

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        return {**self._config.headers(), **(extra or {})}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"


class ResourceGroup(Generic[C]):
    """One of a client's groups of operations (``client.models``…); it only names operations."""

    def __init__(self, client: C) -> None:
        self._c = client
