"""Issue 10 at the edge: who is asked before the body, body limits per route, Idempotency-Key
replays after authentication, per-key request limits and capped event streams (in-process)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from u22a8 import service
from u22a8.errors import RateLimited
from u22a8.server import create_app
from u22a8.settings import Settings
from u22a8.store.tables import IdempotencyRow

from .conftest import make_key

H = "acme.tone"


def _client(tmp_path: Path, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(home=tmp_path / "home", **settings), with_executor=False))


@pytest.fixture
def edge(tmp_path: Path) -> Iterator[TestClient]:
    with _client(tmp_path) as client:
        yield client


def _rows(client: TestClient) -> list[IdempotencyRow]:
    with client.app.state.platform.store.db.session(write=False) as s:  # type: ignore[attr-defined]
        return list(s.scalars(select(IdempotencyRow)))


# --- Finding 3: the key before the body; a limit per route -------------------------------------

def test_anonymous_body_is_refused_before_it_is_read(edge: TestClient) -> None:
    read = 0

    def body() -> Iterator[bytes]:  # a streamed body: counts what the server pulls
        nonlocal read
        for _ in range(64):
            read += 1
            yield b"x" * 65536

    r = edge.post(f"/v1/models/{H}/samples", content=body(), headers={"content-type": "application/json"})
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    assert r.headers["connection"] == "close"
    assert read <= 2  # the transport may have pulled a chunk; the route read none of it
    r = edge.post("/v1/models", json={"handle": H, "task": "classify"}, headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401


def test_each_route_has_its_own_body_limit(tmp_path: Path) -> None:
    with _client(tmp_path, max_small_body_bytes=2000, max_body_bytes=200_000) as client:
        auth = make_key(client)
        long = "d" * 3000
        r = client.post("/v1/models", json={"handle": H, "task": "classify", "description": long}, headers=auth)
        assert r.status_code == 413 and r.json()["code"] == "payload_too_large"
        assert client.post("/v1/models", json={"handle": H, "task": "classify"}, headers=auth).status_code == 201
        samples = {"samples": [{"text": f"text number {i} " * 5, "label": "a"} for i in range(200)]}
        r = client.post(f"/v1/models/{H}/samples", json=samples, headers=auth)
        assert r.status_code == 200 and r.json()["added"] == 200  # uploads take the larger limit
        r = client.post(f"/v1/models/{H}/predict", json={"inputs": [long]}, headers=auth)
        assert r.status_code == 413


def test_sign_in_form_is_capped_hard(edge: TestClient) -> None:
    boundary = "b0undary"
    parts = "".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nx\r\n" for i in range(300))
    body = (parts + f"--{boundary}--\r\n").encode()
    r = edge.post("/console/sign-in", content=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413
    few = "".join(f"--{boundary}\r\nContent-Disposition: form-data; name=\"f{i}\"\r\n\r\nx\r\n" for i in range(20))
    r = edge.post("/console/sign-in", content=(few + f"--{boundary}--\r\n").encode(),
                  headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 422 and "parts" in r.text
    r = edge.post("/console/sign-in", content="&".join(f"f{i}=1" for i in range(50)),
                  headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 422 and "fields" in r.text


# --- Finding 4: Idempotency-Key after authentication -------------------------------------------

def test_anonymous_and_unknown_callers_write_no_idempotency_rows(edge: TestClient) -> None:
    for auth in ({}, {"Authorization": "Bearer u22a8_unknown"}):
        r = edge.post("/v1/models", json={"handle": H, "task": "classify"}, headers={**auth, "Idempotency-Key": "a1"})
        assert r.status_code == 401
    assert _rows(edge) == []


def test_replays_are_keyed_by_the_key_not_shared(edge: TestClient) -> None:
    first, second = make_key(edge), make_key(edge)
    body = {"handle": H, "task": "classify"}
    a = edge.post("/v1/models", json=body, headers={**first, "Idempotency-Key": "same"})
    b = edge.post("/v1/models", json=body, headers={**second, "Idempotency-Key": "same"})
    assert a.status_code == 201
    assert b.status_code == 409 and "idempotent-replayed" not in b.headers  # ran, not replayed from another key
    rows = _rows(edge)
    assert len(rows) == 2 and all(row.key_id for row in rows) and len({row.key_id for row in rows}) == 2
    assert all("same" not in row.key for row in rows)  # the record key is a digest


def test_revoked_key_gets_no_replay(edge: TestClient) -> None:
    admin = make_key(edge)
    created = edge.post("/v1/keys", json={"scopes": ["write"]}, headers=admin).json()
    worker = {"Authorization": f"Bearer {created['key']}"}
    body = {"handle": H, "task": "classify"}
    assert edge.post("/v1/models", json=body, headers={**worker, "Idempotency-Key": "k"}).status_code == 201
    assert len(_rows(edge)) == 1
    assert edge.delete(f"/v1/keys/{created['id']}", headers=admin).status_code == 200
    again = edge.post("/v1/models", json=body, headers={**worker, "Idempotency-Key": "k"})
    assert again.status_code == 401 and "idempotent-replayed" not in again.headers
    assert _rows(edge) == []  # its answers went with it


def test_a_created_key_secret_is_never_kept_nor_replayed(edge: TestClient) -> None:
    admin = make_key(edge)
    headers = {**admin, "Idempotency-Key": "mint-1"}
    first = edge.post("/v1/keys", json={"scopes": ["read"]}, headers=headers)
    assert first.status_code == 201
    secret = first.json()["key"]
    assert all(secret not in row.body and secret[:12] not in row.body for row in _rows(edge))
    again = edge.post("/v1/keys", json={"scopes": ["read"]}, headers=headers)
    assert again.status_code == 409 and again.json()["code"] == "idempotency_secret_withheld"
    assert again.json()["key_id"] == first.json()["id"] and secret not in again.text
    assert len(edge.get("/v1/keys", headers=admin).json()) == 2  # no second key was made


def test_only_retry_prone_writes_are_kept(edge: TestClient) -> None:
    auth = make_key(edge)
    edge.post("/v1/models", json={"handle": H, "task": "classify"}, headers=auth)
    edge.patch(f"/v1/models/{H}", json={"description": "x"}, headers={**auth, "Idempotency-Key": "p"})
    edge.post(f"/v1/models/{H}/predict", json={"inputs": ["a"]}, headers={**auth, "Idempotency-Key": "q"})
    assert _rows(edge) == []
    r = edge.post(f"/v1/models/{H}/samples", json={"samples": [{"text": "a", "label": "x"}]},
                  headers={**auth, "Idempotency-Key": "s"})
    assert r.status_code == 200 and len(_rows(edge)) == 1


def test_stored_answers_are_capped(tmp_path: Path) -> None:
    with _client(tmp_path, idempotency_max_body_bytes=50) as client:
        auth = make_key(client)
        r = client.post("/v1/models", json={"handle": H, "task": "classify"}, headers={**auth, "Idempotency-Key": "c"})
        assert r.status_code == 201 and len(r.content) > 50
        assert _rows(client) == []  # too large to keep: a retry runs again (and meets a 409)


def test_a_long_idempotency_key_is_a_clear_400(edge: TestClient) -> None:
    auth = make_key(edge)
    r = edge.post("/v1/models", json={"handle": H, "task": "classify"}, headers={**auth, "Idempotency-Key": "k" * 300})
    assert r.status_code == 400 and r.json()["code"] == "invalid_idempotency_key"
    assert "Idempotency-Key" in r.json()["detail"]


# --- Limits per key ------------------------------------------------------------------------------

def _assert_limited(r: Any, limit_class: str) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "rate_limited" and r.json()["limit_class"] == limit_class
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert r.headers["ratelimit-policy"].startswith(f'"{limit_class}";q=')
    assert r.headers["ratelimit"].startswith(f'"{limit_class}";r=0;t=')


def test_writes_are_limited_per_key_with_headers(tmp_path: Path) -> None:
    with _client(tmp_path, rate_limit_writes="2/minute") as client:
        auth, other = make_key(client), make_key(client)
        for i in range(2):
            assert client.post("/v1/models", json={"handle": f"acme.m{i}", "task": "classify"},
                               headers=auth).status_code == 201
        _assert_limited(client.post("/v1/models", json={"handle": "acme.m9", "task": "classify"}, headers=auth),
                        "writes")
        assert client.get("/v1/models", headers=auth).status_code == 200  # reads are not counted
        assert client.post("/v1/models", json={"handle": "acme.o1", "task": "classify"},
                           headers=other).status_code == 201  # another key has its own count


def test_predict_and_train_have_their_own_classes(tmp_path: Path) -> None:
    with _client(tmp_path, rate_limit_predict="1/minute", rate_limit_train="1/minute") as client:
        auth = make_key(client)
        client.post("/v1/models", json={"handle": H, "task": "classify"}, headers=auth)
        assert client.post(f"/v1/models/{H}/predict", json={"inputs": ["a"]}, headers=auth).status_code == 409
        _assert_limited(client.post(f"/v1/models/{H}/predict", json={"inputs": ["a"]}, headers=auth), "predict")
        assert client.post(f"/v1/models/{H}/train", headers=auth).status_code == 422  # too few samples
        _assert_limited(client.post(f"/v1/models/{H}/train", headers=auth), "train")


def test_a_key_can_carry_its_own_limits(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        admin = make_key(client)
        bad = client.post("/v1/keys", json={"scopes": ["write"], "rate_limits": "writes=often"}, headers=admin)
        assert bad.status_code == 422
        created = client.post("/v1/keys", json={"scopes": ["write"], "rate_limits": "writes=1/minute"}, headers=admin)
        assert created.status_code == 201
        own = {"Authorization": f"Bearer {created.json()['key']}"}
        assert client.post("/v1/models", json={"handle": "acme.a", "task": "classify"}, headers=own).status_code == 201
        _assert_limited(client.post("/v1/models", json={"handle": "acme.b", "task": "classify"}, headers=own), "writes")


def test_the_console_is_counted_in_the_same_place(tmp_path: Path) -> None:
    with _client(tmp_path, rate_limit_writes="1/minute") as client:
        auth = make_key(client)
        platform = client.app.state.platform  # type: ignore[attr-defined]
        key = platform.authenticator.authenticate(auth["Authorization"].split()[1])
        service.create_model(platform, key, "acme.console", "classify")  # what a console form calls
        r = client.post("/v1/models", json={"handle": H, "task": "classify"}, headers=auth)
        _assert_limited(r, "writes")


@pytest.mark.parametrize("storage", ["database", "redis://127.0.0.1:6379/15"])
def test_counters_are_shared_by_api_processes(tmp_path: Path, storage: str) -> None:
    settings = Settings(home=tmp_path / "home", rate_limit_writes="3/minute", rate_limit_storage=storage)
    first, second = create_app(settings, with_executor=False), create_app(settings, with_executor=False)
    with TestClient(first) as a, TestClient(second) as b:
        if storage.startswith("redis"):
            first.state.platform.limits._storage.reset()  # a clean database 15 for this test
        auth = make_key(a)
        codes = [(a if i % 2 else b).post("/v1/models", json={"handle": f"acme.s{i}", "task": "classify"},
                                          headers=auth).status_code for i in range(4)]
        assert codes == [201, 201, 201, 429]


def test_event_streams_per_key_are_capped(tmp_path: Path) -> None:
    with _client(tmp_path, max_event_streams_per_key=1) as client:
        auth = make_key(client)
        platform = client.app.state.platform  # type: ignore[attr-defined]
        key = platform.authenticator.authenticate(auth["Authorization"].split()[1])
        client.post("/v1/models", json={"handle": H, "task": "classify"}, headers=auth)
        client.post(f"/v1/models/{H}/samples", headers=auth,
                    json={"samples": [{"text": f"t{i}", "label": "ab"[i % 2]} for i in range(8)]})
        run_id = client.post(f"/v1/models/{H}/train", headers=auth).json()["run_id"]

        async def open_two() -> None:
            async def never() -> bool:
                return False

            frames = await service.open_run_events(platform, key, H, run_id, last_event_id=None, disconnected=never)
            with pytest.raises(RateLimited):
                await service.open_run_events(platform, key, H, run_id, last_event_id=None, disconnected=never)
            assert "queued" in await frames.__anext__()
            await frames.aclose()  # type: ignore[attr-defined]
            again = await service.open_run_events(platform, key, H, run_id, last_event_id=None, disconnected=never)
            await again.aclose()  # type: ignore[attr-defined]

        asyncio.run(open_two())
