"""SDK fixtures: the real app in-process behind a sync httpx transport, and a shared trained server.

Starlette's TestClient is built on a different HTTP library here, so its transport cannot be
handed to an ``httpx.Client``; :class:`InProcessApp` does the same job with ``httpx.ASGITransport``
on an event loop in a background thread, lifespan included.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio.from_thread
import httpx
import pytest

import u22a8
from u22a8.server import create_app
from u22a8.settings import Settings

from ..conftest import LiveServer, free_port, server_env, tone_samples

H = "acme.support-tone"
ALL_SCOPES = ("read", "write", "train", "admin")


class _PortalTransport(httpx.BaseTransport):
    """A sync transport that runs each request through ``httpx.ASGITransport`` on the app's loop."""

    def __init__(self, portal: Any, app: Any) -> None:
        self._portal = portal
        self._inner = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def call() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            response = await self._inner.handle_async_request(request)
            body = await response.aread()
            return response.status_code, response.headers.raw, body

        status, headers, body = self._portal.call(call)
        return httpx.Response(status, headers=headers, content=body, request=request)


class InProcessApp:
    """``create_app`` without a run executor (runs stay queued), with its lifespan, in this process."""

    def __init__(self, home: Path) -> None:
        self.app = create_app(Settings(home=home, default_quiet_seconds=0.5), with_executor=False)
        self.store = self.app.state.platform.store

    def __enter__(self) -> InProcessApp:
        self._portal_cm = anyio.from_thread.start_blocking_portal()
        self.portal = self._portal_cm.__enter__()
        self._lifespan = self.portal.wrap_async_context_manager(self.app.router.lifespan_context(self.app))
        self._lifespan.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._lifespan.__exit__(None, None, None)
        self._portal_cm.__exit__(None, None, None)

    def key(self, owner: str = "acme", scopes: tuple[str, ...] = ALL_SCOPES) -> str:
        return str(self.store.keys.create(owner, list(scopes))[1])

    def transport(self) -> httpx.BaseTransport:
        return _PortalTransport(self.portal, self.app)

    def client(self, key: str | None = None, **kwargs: Any) -> u22a8.Client:
        return u22a8.Client("http://testserver", key or self.key(), transport=self.transport(), **kwargs)


@pytest.fixture
def inproc(tmp_path: Path) -> Iterator[InProcessApp]:
    with InProcessApp(tmp_path / "home") as app:
        yield app


@pytest.fixture
def client(inproc: InProcessApp) -> Iterator[u22a8.Client]:
    with inproc.client() as c:
        yield c


@pytest.fixture(scope="session")
def trained_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    """One real server for the whole session with ``acme.support-tone`` trained (effort low, 45 samples).

    Tests using it must not change that model; they make their own models for anything else.
    """
    home = tmp_path_factory.mktemp("trained") / "home"
    server = LiveServer(home=home, port=free_port(), env=server_env(home))
    server.start()
    try:
        key = server.key("acme", ALL_SCOPES)
        with u22a8.Client(server.url, key) as c:
            c.models.create(H, "classify", labels=["friendly", "curt", "sorry"], description="tone of replies")
            c.samples.add(H, tone_samples(15))
            run = c.train(H, "low").run
            assert run is not None
            final = run.wait(timeout=120)
            assert final.succeeded, final.error
        yield server, key
    finally:
        server.stop()
