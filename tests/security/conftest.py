"""One live server with a ready model, shared by the fuzz and the access matrix (training it once)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from ..conftest import LiveServer, free_port, server_env, tone_samples, wait_state

READY = "acme.ready"
SAMPLE_ID = "s0"


@dataclass
class Trained:
    """The server, a key of owner ``acme`` with every scope, and its ready model's run and version."""

    server: LiveServer
    key: str
    run_id: str
    http: httpx.Client = field(repr=False)
    handle: str = READY
    version: int = 1
    sample_id: str = SAMPLE_ID

    def new_model(self, handle: str, **fields: Any) -> None:
        """A draft model of ``acme`` (auto-retrain off) with two samples, for requests that change it."""
        r = self.http.post("/v1/models", json={"handle": handle, "task": "classify", "auto_retrain": False, **fields})
        assert r.status_code in (201, 409), r.text
        r = self.http.post(f"/v1/models/{handle}/samples", json={"samples": [
            {"id": "x1", "text": "thanks a lot", "label": "friendly"}, {"id": "x2", "text": "no way", "label": "curt"}]})
        assert r.status_code == 200, r.text


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Trained]:
    home = tmp_path_factory.mktemp("security") / "home"
    # Webhooks are made here but never sent: the fuzzer's URLs must not become traffic.
    server = LiveServer(home=home, port=free_port(),
                        env=server_env(home, U22A8_WEBHOOKS_SENDERS="0", U22A8_WEBHOOKS_ALLOW_PRIVATE="true"))
    server.start()
    key = server.key()
    try:
        with server.client(key) as http:
            r = http.post("/v1/models", json={"handle": READY, "task": "classify", "auto_retrain": False})
            assert r.status_code == 201, r.text
            samples = [{**s, "id": f"s{i}"} for i, s in enumerate(tone_samples(12))]
            assert http.post(f"/v1/models/{READY}/samples", json={"samples": samples}).status_code == 200
            run_id = http.post(f"/v1/models/{READY}/train", json={"effort": "low"}).json()["run_id"]
            wait_state(http, READY, "ready", timeout=300)
            yield Trained(server, key, run_id, http)
    finally:
        server.stop()
