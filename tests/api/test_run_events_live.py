"""A run's event stream follows the dispatcher: events written after it opened arrive without
the stream polling the database, and it closes after the final one."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from fastapi.testclient import TestClient

from u22a8.server import create_app
from u22a8.settings import Settings
from u22a8.store import Store

from .conftest import make_key

H = "acme.tone"


def test_events_written_while_the_stream_is_open_arrive_in_order(tmp_path: Path) -> None:
    # A poll far longer than the test: only the dispatcher's nudge can bring the events in time.
    settings = Settings(home=tmp_path / "home", poll_seconds=60)
    with TestClient(create_app(settings, with_executor=False)) as client:
        auth = make_key(client)
        assert client.post("/v1/models", json={"handle": H, "task": "classify"}, headers=auth).status_code == 201
        store: Store = client.app.state.platform.store  # type: ignore[attr-defined]
        run = store.runs.enqueue_search(H, "low")
        answer: dict[str, str] = {}

        def read() -> None:
            answer["text"] = client.get(f"/v1/models/{H}/runs/{run.id}/events", headers=auth).text

        reader = threading.Thread(target=read)
        reader.start()
        time.sleep(0.5)  # the stream has replayed "queued" and waits for live events
        assert store.runs.claim(run.id, "w1", 30) is not None
        values = {"trials_planned": 2, "trials_done": 1, "best_score": 0.5, "eta_seconds": 1.0, "phase": None}
        store.runs.progress(run.id, "w1", values, {"number": 0})
        store.runs.finish(run.id, "w1", "failed", error="boom")
        reader.join(timeout=10)  # sooner than a quiet stream re-reads the outbox
        assert not reader.is_alive()

    frames = [f for f in answer["text"].split("\n\n") if f.strip()]
    names = [line.split(": ", 1)[1] for f in frames for line in f.splitlines() if line.startswith("event: ")]
    assert names == ["queued", "started", "progress", "failed"]
    ids = [int(line.split(": ", 1)[1]) for f in frames for line in f.splitlines() if line.startswith("id: ")]
    assert ids == sorted(set(ids))
    last = json.loads(frames[-1].split("data: ", 1)[1])
    assert {k: last[k] for k in ("type", "error", "decision", "version")} == {
        "type": "failed", "error": "boom", "decision": None, "version": None}
