"""Where the client connects and how: base URL, key, timeouts, from arguments or the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

import httpx

from .._version import __version__

__all__ = ["DEFAULT_BASE_URL", "DEFAULT_TIMEOUT", "ClientConfig", "resolve_config"]

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_TIMEOUT = 30.0
USER_AGENT = f"u22a8-python/{__version__}"


@dataclass(frozen=True)
class ClientConfig:
    base_url: str
    api_key: str | None
    timeout: httpx.Timeout

    def headers(self) -> dict[str, str]:
        out = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        if self.api_key:
            out["Authorization"] = f"Bearer {self.api_key}"
        return out


def resolve_config(base_url: str | None, api_key: str | None, timeout: float | httpx.Timeout | None) -> ClientConfig:
    """Explicit arguments win; then ``U22A8_BASE_URL`` / ``U22A8_API_KEY``; then defaults.

    A missing key is not an error here: health endpoints need none, and the server's 401
    says clearly what is wrong.
    """
    url = base_url or os.environ.get("U22A8_BASE_URL") or DEFAULT_BASE_URL
    key = api_key or os.environ.get("U22A8_API_KEY") or None
    if not isinstance(timeout, httpx.Timeout):
        timeout = httpx.Timeout(DEFAULT_TIMEOUT if timeout is None else timeout)
    return ClientConfig(base_url=url.rstrip("/"), api_key=key, timeout=timeout)
