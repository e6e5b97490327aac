"""Console fixtures: the app in-process (fast rule tests) and helpers to sign in and post forms."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from u22a8.server import create_app
from u22a8.settings import Settings
from u22a8.store import NewVersion, Store

ALL_SCOPES = ("read", "write", "train", "admin")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    """The app on a real SQLite file, without an executor: runs stay queued unless a test finishes them."""
    settings = Settings(home=tmp_path / "home", default_quiet_seconds=0.5)
    with TestClient(create_app(settings, with_executor=False), follow_redirects=False) as c:
        yield c


def store_of(client: TestClient) -> Store:
    return client.app.state.platform.store  # type: ignore[attr-defined,no-any-return]


def make_key(client: TestClient, owner: str = "acme", scopes: tuple[str, ...] = ALL_SCOPES) -> str:
    _, secret = store_of(client).keys.create(owner, list(scopes), name=f"{owner}-test")
    return secret


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def sign_in(client: TestClient, secret: str) -> str:
    """Sign in through the form; returns the session's CSRF token."""
    page = client.get("/console/sign-in")
    pre = re.search(r'name="pre" value="([^"]+)"', page.text)
    assert pre
    r = client.post("/console/sign-in", data={"key": secret, "pre": pre.group(1), "next": ""})
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/console/models").text)


def follow(client: TestClient, response: Any) -> Any:
    """Follow one post/redirect/get hop, as a browser would."""
    assert response.status_code == 303, (response.status_code, response.text[:500])
    return client.get(response.headers["location"])


def fake_version(client: TestClient, handle: str, metrics: dict[str, Any]) -> str:
    """Finish a search run by hand, with a version: the report and rollback need no real training."""
    store = store_of(client)
    run = store.runs.enqueue_search(handle, "low")
    assert store.runs.claim(run.id, "test-worker", 30) is not None
    store.runs.progress(run.id, "test-worker", {"trials_planned": 2, "trials_done": 1, "best_score": 0.8,
                                                "eta_seconds": 1.0},
                        {"number": 0, "score": 0.8, "params": {"c": 1.0}, "elapsed": 0.5})
    sha = store.artifacts.put(f"{handle}/{run.id}.u22a8", b"not a real model")
    store.runs.finish(run.id, "test-worker", "succeeded", decision="first version", cpu_seconds=0.1, promote=True,
                      version=NewVersion(params={"family": "linear"}, metrics=metrics, report={"n": 3},
                                         sample_ids=[], artifact_key=f"{handle}/{run.id}.u22a8", artifact_sha256=sha))
    return run.id


TONE_CSV = "text,label\n" + "\n".join(
    f"{w} the order #{i},{label}"
    for label, words in {"friendly": ["thanks", "great"], "curt": ["no", "denied"]}.items()
    for i, w in enumerate(words * 2)
)
