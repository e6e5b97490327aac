"""A server killed between a state change and its delivery loses no message (its own file: ten
server starts take minutes, and files are what the parallel test run spreads over processes)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook

from ..conftest import LiveServer, wait_for
from .conftest import endpoint as _endpoint
from .conftest import webhook_server as _server
from .receiver import Receiver


def _restart(server: LiveServer) -> None:
    """Start again, waiting as long as a busy machine needs (the fixture's own wait is shorter)."""
    try:
        server.start()
    except RuntimeError as exc:
        if "did not start" not in str(exc):
            raise
        wait_for(lambda: _healthy(server), timeout=240, interval=0.5)


def _healthy(server: LiveServer) -> bool:
    try:
        return httpx.get(f"{server.url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.timeout(1500)  # ten server starts on a busy machine
def test_sigkill_after_the_state_change_loses_no_message(tmp_path: Path, receiver: Receiver) -> None:
    """10 times: a state change commits, the server is killed at once (its message not yet
    delivered: the receiver refuses everything until then), the server restarts, and the
    message arrives."""
    # Retried every second for long enough to outlast the crashes; a killed sender's claim lapses fast.
    server = _server(tmp_path, U22A8_WEBHOOKS_LEASE_SECONDS="3")
    server.env["U22A8_WEBHOOKS_RETRY_SCHEDULE"] = ",".join(["1"] * 300)
    _restart(server)  # the first start too: a busy machine can take longer than the fixture waits
    key = server.key()
    with server.client(key) as http:
        ep = _endpoint(http, receiver.url, ["model.deleted"])
    # Ten: twenty took three minutes of the CI budget on this machine, and each kill lands at the
    # same place (right after the delete's commit) whatever the count.
    tries = 10
    receiver.default_status = 503
    try:
        for i in range(tries):
            with server.client(key) as http:
                handle = f"acme.crash-{i}"
                assert http.post("/v1/models", json={"handle": handle, "task": "classify"}).status_code == 201
                assert http.delete(f"/v1/models/{handle}").status_code in (200, 204)
            assert server.proc is not None
            os.kill(server.proc.pid, signal.SIGKILL)
            server.proc.wait()
            _restart(server)
        with receiver.lock:
            receiver.default_status = 200
            came_back = len(receiver.received)

        def delivered() -> set[str]:
            with receiver.lock:
                done = {json.loads(r.body)["data"]["model"] for r in receiver.received}
            return done if len(done) == tries else set()

        # Arrivals after the receiver came back: every handle, whatever the crash interrupted.
        with server.client(key) as http:
            wait_for(lambda: all(d["state"] == "succeeded"
                                 for d in http.get(f"/v1/webhooks/{ep['id']}/deliveries?limit=100").json()["items"])
                     and len(http.get(f"/v1/webhooks/{ep['id']}/deliveries?limit=100").json()["items"]) == tries,
                     timeout=60)
        assert delivered() == {f"acme.crash-{i}" for i in range(tries)}
        # Each message's accepted attempt came after the receiver was back, signed and fresh.
        accepted = receiver.received[came_back:]
        assert {json.loads(r.body)["data"]["model"] for r in accepted} == {f"acme.crash-{i}" for i in range(tries)}
        for r in accepted:
            Webhook(ep["secret"]).verify(r.body, r.headers)
    finally:
        server.stop()
