"""Webhook fixtures: a server that may deliver to loopback receivers, and a receiver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..conftest import LiveServer, free_port, server_env
from .receiver import Receiver, running_receiver


def webhook_server(tmp_path: Path, **extra: str) -> LiveServer:
    """A server (not started) allowed to deliver to the tests' receivers on 127.0.0.1."""
    env = server_env(tmp_path / "home", U22A8_WEBHOOKS_ALLOW_PRIVATE="true",
                     U22A8_WEBHOOKS_RETRY_SCHEDULE="0.4,1.6,3", **extra)
    return LiveServer(home=tmp_path / "home", port=free_port(), env=env)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    s = webhook_server(tmp_path)
    s.start()
    yield s
    s.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


def endpoint(http: httpx.Client, url: str, events: list[str] | None = None) -> dict:
    """Subscribe ``url`` through the API and return the new endpoint (its secret included)."""
    r = http.post("/v1/webhooks", json={"url": url, "events": events or ["*"], "description": "test"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["secret"].startswith("whsec_")
    return body
