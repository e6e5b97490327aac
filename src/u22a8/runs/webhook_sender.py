"""One webhook attempt over HTTP: the only module under ``runs/`` that speaks HTTP (httpx).

The attempt connects to the address the SSRF guard checked (``Target.connect_url``), naming the
host in ``Host:`` and in TLS (SNI and certificate check), follows no redirect, uses no proxy from
the environment, gives up after the connect timeout or the total timeout, and reads at most
``max_response_bytes`` of the answer. Any 2xx is success.

Attempts are coroutines on one event loop (``httpx.AsyncClient``): many attempts waiting on slow
receivers cost one thread and no timer thread each, the total timeout being a deadline on the
coroutine (``asyncio.timeout``) that covers connect, send and the whole capped read.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import time
from functools import cache

import httpx

from .._version import __version__
from ..store import AttemptOutcome
from .webhook_guard import Target

__all__ = ["Client", "new_client", "send_attempt"]

# What an attempt is sent with, named here so that no other module of runs/ imports httpx.
Client = httpx.AsyncClient

_USER_AGENT = f"u22a8-webhooks/{__version__}"
_ERROR_CHARS = 300


@cache
def _tls_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def new_client() -> httpx.AsyncClient:
    """A client for one event loop, keeping no connection between attempts (each attempt
    connects to the address its own check allowed)."""
    return httpx.AsyncClient(verify=_tls_context(), follow_redirects=False, trust_env=False,
                             limits=httpx.Limits(max_connections=None, max_keepalive_connections=0))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def send_attempt(client: httpx.AsyncClient, target: Target, headers: dict[str, str], body: bytes, *,
                       connect_timeout: float, total_timeout: float, max_response_bytes: int) -> AttemptOutcome:
    """POST ``body`` with ``headers`` to ``target`` once and say how it went (never raises but
    for cancellation)."""
    started = time.monotonic()
    extensions = {}
    if target.scheme == "https" and not _is_ip(target.host):
        extensions["sni_hostname"] = target.host
    all_headers = {**headers, "host": target.host_header, "content-type": "application/json",
                   "user-agent": _USER_AGENT}
    timeout = httpx.Timeout(total_timeout, connect=min(connect_timeout, total_timeout))
    try:
        # The deadline bounds the whole attempt, however slowly the receiver trickles bytes.
        async with asyncio.timeout(total_timeout):
            request = client.build_request("POST", target.connect_url, headers=all_headers, content=body,
                                           extensions=extensions, timeout=timeout)
            response = await client.send(request, stream=True, follow_redirects=False)
            try:
                snippet = await _read_capped(response, max_response_bytes)
            finally:
                await response.aclose()
    except TimeoutError:  # before OSError: TimeoutError is one
        return AttemptOutcome(False, None, _ms(started), f"TimeoutError: no answer within {total_timeout:g} s")
    except (httpx.HTTPError, httpx.StreamError, OSError) as exc:
        return AttemptOutcome(False, None, _ms(started), f"{type(exc).__name__}: {exc}"[:_ERROR_CHARS] or type(exc).__name__)
    status = response.status_code
    if 200 <= status < 300:
        return AttemptOutcome(True, status, _ms(started), None)
    return AttemptOutcome(False, status, _ms(started), _status_error(response, snippet))


async def _read_capped(response: httpx.Response, limit: int) -> bytes:
    out = bytearray()
    async for chunk in response.aiter_raw():
        out += chunk[: limit - len(out)]
        if len(out) >= limit:
            break
    return bytes(out)


def _status_error(response: httpx.Response, snippet: bytes) -> str:
    if response.is_redirect:
        where = response.headers.get("location", "")
        return f"answered {response.status_code} (redirects are not followed) to {where}"[:_ERROR_CHARS]
    text = snippet.decode("utf-8", "replace").strip()
    return (f"answered {response.status_code}" + (f": {text}" if text else ""))[:_ERROR_CHARS]


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)
