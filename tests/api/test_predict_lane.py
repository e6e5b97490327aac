"""The predict fast lane (api/predict_lane.py) answers what the FastAPI route answers, and hands
every unusual or unauthorised call to the route unchanged; the serving version it remembers
follows activations and deletes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from u22a8 import service
from u22a8.runs import execute_run
from u22a8.server import create_app
from u22a8.settings import Settings

from ..conftest import tone_samples
from .conftest import make_key

H = "acme.tone"
URL = f"/v1/models/{H}/predict"


def _train(client: TestClient) -> None:
    platform = client.app.state.platform  # type: ignore[attr-defined]
    run = platform.store.runs.enqueue_search(H, "low")
    claimed = platform.store.runs.claim(run.id, "test-worker", 60)
    assert claimed is not None
    execute_run(platform.store, platform.settings, claimed, "test-worker")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home: Path = tmp_path_factory.mktemp("lane") / "home"
    with TestClient(create_app(Settings(home=home, poll_seconds=0.05), with_executor=False)) as c:
        auth = make_key(c)
        assert c.post("/v1/models", json={"handle": H, "task": "classify"}, headers=auth).status_code == 201
        c.post(f"/v1/models/{H}/samples", content=json.dumps({"samples": tone_samples(12)}),
               headers={**auth, "Content-Type": "application/json"}).raise_for_status()
        _train(c)
        _train(c)  # a second version, to switch between
        yield c


def _lane_answers(client: TestClient, handle: str = H) -> bool:
    """Whether the next ordinary call would be answered by the lane (all it needs is in memory)."""
    platform = client.app.state.platform  # type: ignore[attr-defined]
    return service.predict_is_quick(platform, handle, 1, None)


def test_the_lane_answers_exactly_what_the_route_answers(client: TestClient) -> None:
    auth = make_key(client)
    body = {"inputs": ["thanks, wonderful", "sorry, our mistake"], "top_k": 2}
    first = client.post(URL, json=body, headers=auth)  # loads the predictor: through the route
    assert first.status_code == 200
    assert _lane_answers(client)
    second = client.post(URL, json=body, headers=auth)
    assert second.status_code == 200
    assert second.content == first.content
    assert second.headers["content-type"] == first.headers["content-type"] == "application/json"
    by_route = client.post(URL, json={**body, "version": second.json()["version"]}, headers=auth)  # never the lane
    assert by_route.json()["predictions"] == second.json()["predictions"]


@pytest.mark.parametrize("body,status", [
    ({"inputs": []}, 422), ({"inputs": ["a\x00b"]}, 422), ({"inputs": "one text"}, 422),
    ({"inputs": ["x"], "top_k": 0}, 422), ({"inputs": ["x"], "top_k": True}, 200), ({"inputs": ["x"], "extra": 1}, 422),
    ({"inputs": [1]}, 422),
])
def test_unusual_bodies_get_the_routes_answer(client: TestClient, body: object, status: int) -> None:
    auth = make_key(client)
    client.post(URL, json={"inputs": ["warm"]}, headers=auth)
    assert _lane_answers(client)
    got = client.post(URL, json=body, headers=auth)
    assert got.status_code == status  # the route's own answer (pydantic takes true for 1)
    if status != 200:
        assert got.headers["content-type"] == "application/problem+json"


def test_no_key_another_owner_and_a_revoked_key_are_refused(client: TestClient) -> None:
    auth = make_key(client)
    client.post(URL, json={"inputs": ["warm"]}, headers=auth)
    assert client.post(URL, json={"inputs": ["x"]}).status_code == 401
    other = make_key(client, owner="other")
    client.post(URL, json={"inputs": ["x"]}, headers=other)  # its key is now in the cache
    got = client.post(URL, json={"inputs": ["x"]}, headers=other)
    assert got.status_code == 404 and got.json()["code"] == "not_found"
    reader = make_key(client, scopes=("write",))
    assert client.post(URL, json={"inputs": ["x"]}, headers=reader).status_code == 403
    store = client.app.state.platform.store  # type: ignore[attr-defined]
    made, secret = store.keys.create("acme", ["read"])
    victim = {"Authorization": f"Bearer {secret}"}
    assert client.post(URL, json={"inputs": ["x"]}, headers=victim).status_code == 200  # cached now
    assert client.delete(f"/v1/keys/{made.id}", headers=auth).status_code == 200
    assert client.post(URL, json={"inputs": ["x"]}, headers=victim).status_code == 401


def test_an_activation_is_served_at_once(client: TestClient) -> None:
    auth = make_key(client)
    client.post(URL, json={"inputs": ["warm"]}, headers=auth)
    serving = client.post(URL, json={"inputs": ["x"]}, headers=auth).json()["version"]
    other = 1 if serving == 2 else 2
    assert client.post(f"/v1/models/{H}/versions/{other}/activate", headers=auth).status_code == 200
    assert client.post(URL, json={"inputs": ["x"]}, headers=auth).json()["version"] == other


def test_a_promotion_by_another_process_reaches_this_one_through_the_outbox(tmp_path: Path) -> None:
    """Two API processes on one database: the version one activates, the other serves as soon as
    its dispatcher reads the event (U22A8_POLL_SECONDS), not after the cache's bound."""
    import time

    from u22a8.server import build_platform

    settings = Settings(home=tmp_path / "home", poll_seconds=0.05, active_version_cache_seconds=600)
    with TestClient(create_app(settings, with_executor=False)) as c:
        auth = make_key(c)
        c.post("/v1/models", json={"handle": H, "task": "classify"}, headers=auth).raise_for_status()
        c.post(f"/v1/models/{H}/samples", content=json.dumps({"samples": tone_samples(12)}),
               headers={**auth, "Content-Type": "application/json"}).raise_for_status()
        _train(c)
        _train(c)
        assert c.post(URL, json={"inputs": ["x"]}, headers=auth).json()["version"] == 2
        other = build_platform(settings, with_executor=False)
        key = c.app.state.platform.store.keys.authenticate(auth["Authorization"].split()[1])  # type: ignore[attr-defined]
        service.activate_version(other, key, H, 1)
        deadline = time.time() + 10
        while c.post(URL, json={"inputs": ["x"]}, headers=auth).json()["version"] != 1:
            assert time.time() < deadline, "the other process's activation never reached this one"
            time.sleep(0.05)
        other.store.close()


def test_a_batch_is_answered_by_the_lane_through_the_thread_pool(client: TestClient,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch too long for the event loop still skips FastAPI: the lane hands the predictor to
    a worker thread itself, and answers the bytes the route answers."""
    from u22a8.api import predict_lane

    auth = make_key(client)
    client.post(URL, json={"inputs": ["warm"]}, headers=auth)
    texts = [f"thanks, that was wonderful {i}" if i % 2 else f"sorry, denied {i}" for i in range(100)]
    platform = client.app.state.platform  # type: ignore[attr-defined]
    cost = service.predict_cost(platform, None, H, len(texts), None)
    assert cost is not None and cost.seconds > service.QUICK_SECONDS and not cost.quick
    hops: list[object] = []
    hop = predict_lane.run_in_threadpool

    async def counted(fn: object, *args: object, **kwargs: object) -> object:
        hops.append(fn)
        return await hop(fn, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(predict_lane, "run_in_threadpool", counted)
    lane = client.post(URL, json={"inputs": texts}, headers=auth)
    assert lane.status_code == 200 and hops == [service.predict]
    assert len(lane.json()["predictions"]) == 100
    by_route = client.post(URL, json={"inputs": texts, "version": lane.json()["version"]}, headers=auth)
    assert hops == [service.predict]  # the route made its own hop
    assert by_route.content == lane.content


def test_where_counters_are_in_the_database_the_lane_counts_through_a_thread(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """Several API processes count rate limits in the database: the lane still answers, a key
    with a predict limit through a worker thread (the count is a database write), a key without
    one on the event loop; both get the same answer, and the count holds."""
    from u22a8.api import predict_lane

    home = client.app.state.platform.settings.home  # type: ignore[attr-defined]
    settings = Settings(home=home, rate_limit_storage="database", rate_limit_predict="3/minute")
    with TestClient(create_app(settings, with_executor=False)) as db:
        platform = db.app.state.platform  # type: ignore[attr-defined]
        assert not platform.limits.in_process
        _, free = platform.store.keys.create("acme", ["read"], rate_limits="predict=none")
        _, counted = platform.store.keys.create("acme", ["read"])
        free_auth, counted_auth = {"Authorization": f"Bearer {free}"}, {"Authorization": f"Bearer {counted}"}
        db.post(URL, json={"inputs": ["warm"]}, headers=free_auth)  # loads the predictor, caches the key
        db.post(URL, json={"inputs": ["warm"]}, headers=counted_auth)  # caches this key (1 of 3)
        for key, quick in ((platform.store.keys.authenticate(free), True), (platform.store.keys.authenticate(counted), False)):
            assert service.predict_is_quick(platform, H, 1, None, key) is quick
        assert not service.predict_is_quick(platform, H, 1, None)  # no key named: only counters here are free
        hops: list[object] = []
        hop = predict_lane.run_in_threadpool

        async def counted_hop(fn: object, *args: object, **kwargs: object) -> object:
            hops.append(fn)
            return await hop(fn, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(predict_lane, "run_in_threadpool", counted_hop)
        by_free = db.post(URL, json={"inputs": ["x"]}, headers=free_auth)
        assert by_free.status_code == 200 and hops == []
        by_counted = db.post(URL, json={"inputs": ["x"]}, headers=counted_auth)
        assert by_counted.status_code == 200 and hops == [service.predict]
        assert by_counted.content == by_free.content
        assert db.post(URL, json={"inputs": ["x"]}, headers=counted_auth).status_code == 200  # 3 of 3
        limited = db.post(URL, json={"inputs": ["x"]}, headers=counted_auth)
        assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
        assert len(hops) == 3
