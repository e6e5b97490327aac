"""Input that once answered 500 answers a clear 4xx problem+json with a stable code, and stores nothing.

Each case runs on both backends: SQLite and PostgreSQL refuse out-of-range integers and
over-long strings in different ways, and neither may leak out as a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from u22a8.server import create_app
from u22a8.settings import Settings

from ..conftest import throwaway_pg_database
from .conftest import make_key

H = "acme.tone"
HUGE = 2**70


@pytest.fixture(params=["sqlite", "postgresql"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    urls: Iterator[str | None] = iter([None]) if request.param == "sqlite" else throwaway_pg_database("u22a8_badin")
    url = next(urls)
    settings = Settings(home=tmp_path / "home", database_url=url)
    with TestClient(create_app(settings, with_executor=False), raise_server_exceptions=False) as c:
        auth = make_key(c)
        assert c.post("/v1/models", json={"handle": H, "task": "classify"}, headers=auth).status_code == 201
        yield c, auth
    next(urls, None)  # drops the PostgreSQL database


def _problem(r: Any, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["code"] == code and body["detail"]
    return body


def _samples(c: TestClient, auth: dict[str, str]) -> list[Any]:
    r = c.get(f"/v1/models/{H}/samples", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()["items"]


def test_csv_field_over_128_kib(client: tuple[TestClient, dict[str, str]]) -> None:
    c, auth = client
    body = b"text,label\nfine,good\n" + b"a" * (129 * 1024) + b",good\n"
    r = c.post(f"/v1/models/{H}/samples", content=body, headers={**auth, "Content-Type": "text/csv"})
    assert "line 3" in _problem(r, 422, "limit_exceeded")["detail"]
    assert _samples(c, auth) == []


@pytest.mark.parametrize("ctype", ["application/json", "application/x-ndjson"])
def test_deeply_nested_json_in_samples(client: tuple[TestClient, dict[str, str]], ctype: str) -> None:
    c, auth = client
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    item = b'{"text": "x", "label": "good", "metadata": ' + deep + b"}"
    body = b'{"samples": [' + item + b"]}" if ctype == "application/json" else item + b"\n"
    r = c.post(f"/v1/models/{H}/samples", content=body, headers={**auth, "Content-Type": ctype})
    _problem(r, 422, "invalid_request")
    assert _samples(c, auth) == []


def test_metadata_nested_past_the_limit_is_refused_not_stored(client: tuple[TestClient, dict[str, str]]) -> None:
    # Parsable, but too deep to answer as JSON later: refused when it comes in, not when it is read.
    c, auth = client
    metadata: Any = 1
    for _ in range(600):
        metadata = {"a": metadata}
    r = c.post(f"/v1/models/{H}/samples", json={"samples": [{"text": "x", "label": "good", "metadata": metadata}]},
               headers=auth)
    assert "metadata" in _problem(r, 422, "invalid_request")["detail"]
    assert _samples(c, auth) == []


@pytest.mark.parametrize("body", [b'{"inputs": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                                  b'{"handle": "acme.x", "task": "classify", "labels": ' + b"[" * 100_000 + b"}"])
def test_deeply_nested_json_in_other_bodies(client: tuple[TestClient, dict[str, str]], body: bytes) -> None:
    c, auth = client
    path = f"/v1/models/{H}/predict" if b"inputs" in body else "/v1/models"
    r = c.post(path, content=body, headers={**auth, "Content-Type": "application/json"})
    assert r.status_code in (400, 422), r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [m["handle"] for m in c.get("/v1/models", headers=auth).json()["items"]] == [H]


@pytest.mark.parametrize("number", [HUGE, 2**31, 2**63, 0, -1])
@pytest.mark.parametrize(("method", "suffix"), [("POST", "activate"), ("GET", "report"), ("GET", "export")])
def test_version_number_out_of_range_in_a_path(client: tuple[TestClient, dict[str, str]], number: int,
                                               method: str, suffix: str) -> None:
    c, auth = client
    r = c.request(method, f"/v1/models/{H}/versions/{number}/{suffix}", headers=auth)
    _problem(r, 404, "not_found")


@pytest.mark.parametrize("number", [HUGE, 2**31, 2**63])
def test_version_number_out_of_range_in_a_body(client: tuple[TestClient, dict[str, str]], number: int) -> None:
    c, auth = client
    r = c.post(f"/v1/models/{H}/predict", json={"inputs": ["hello"], "version": number}, headers=auth)
    _problem(r, 404, "not_found")


def test_long_idempotency_key(client: tuple[TestClient, dict[str, str]]) -> None:
    c, auth = client
    r = c.post("/v1/models", json={"handle": "acme.idem", "task": "classify"},
               headers={**auth, "Idempotency-Key": "k" * 5000})
    _problem(r, 400, "invalid_idempotency_key")
    assert c.get("/v1/models/acme.idem", headers=auth).status_code == 404


def test_idempotency_key_on_a_long_path(client: tuple[TestClient, dict[str, str]]) -> None:
    # The record's key joins the key id, the path and the header: a long path must not overflow it.
    c, auth = client
    r = c.post(f"/v1/models/{H}/runs/{'r' * 400}/cancel", headers={**auth, "Idempotency-Key": "k" * 200})
    _problem(r, 404, "not_found")


@pytest.mark.parametrize("handle", ["acme.tone2\n", "acme.tone2\r\n", "acme\n.tone2", "\nacme.tone2"])
def test_handle_with_a_newline_is_refused(client: tuple[TestClient, dict[str, str]], handle: str) -> None:
    c, auth = client
    r = c.post("/v1/models", json={"handle": handle, "task": "classify"}, headers=auth)
    _problem(r, 422, "invalid_request")
    assert [m["handle"] for m in c.get("/v1/models", headers=auth).json()["items"]] == [H]


@pytest.mark.parametrize("suffix", ["", "/samples", "/versions", "/runs", "/train/estimate"])
def test_path_handle_with_a_trailing_newline_is_404(client: tuple[TestClient, dict[str, str]], suffix: str) -> None:
    c, auth = client
    _problem(c.get(f"/v1/models/{H}%0A{suffix}", headers=auth), 404, "not_found")


def test_key_owner_with_a_trailing_newline_is_refused(client: tuple[TestClient, dict[str, str]]) -> None:
    c, auth = client
    _problem(c.post("/v1/keys", json={"owner": "bob\n", "scopes": ["read"]}, headers=auth), 422, "invalid_request")


# Found by probing past the fuzzer (which runs on SQLite): PostgreSQL refuses NUL bytes in text,
# and an integer past 64 bits cannot even be bound on SQLite.
NUL_REQUESTS = [
    ("GET", "/v1/models?cursor=a%00b", None),
    ("GET", f"/v1/models/{H}/runs?cursor=a%00b", None),
    ("GET", f"/v1/models/{H}/samples?label=a%00b", None),
    ("GET", f"/v1/models/{H}/runs/run%00x", None),
    ("DELETE", f"/v1/models/{H}/samples/a%00b", None),
    ("DELETE", "/v1/keys/key%00x", None),
    ("PATCH", f"/v1/models/{H}", {"description": "a\x00b"}),
    ("POST", "/v1/keys", {"scopes": ["read"], "name": "a\x00b"}),
    ("POST", f"/v1/models/{H}/samples", {"samples": [{"id": "a\x00", "text": "x", "label": "good"}]}),
    ("POST", f"/v1/models/{H}/samples", {"samples": [{"text": "x", "label": "good", "metadata": {"k": "a\x00"}}]}),
]


@pytest.mark.parametrize(("method", "path", "body"), NUL_REQUESTS, ids=[f"{m} {p} {bool(b)}" for m, p, b in NUL_REQUESTS])
def test_nul_bytes_are_never_a_500(client: tuple[TestClient, dict[str, str]], method: str, path: str,
                                   body: Any) -> None:
    c, auth = client
    r = c.request(method, path, json=body, headers=auth)
    # SQLite stores a NUL byte where PostgreSQL refuses it: either way a settled answer, never a 500.
    assert r.status_code < 500, r.text
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")
    assert c.get(f"/v1/models/{H}", headers=auth).json()["description"] in ("", "a\x00b")


def test_samples_cursor_past_64_bits(client: tuple[TestClient, dict[str, str]]) -> None:
    c, auth = client
    _problem(c.get(f"/v1/models/{H}/samples", params={"cursor": str(HUGE)}, headers=auth), 422, "invalid_request")


@pytest.mark.parametrize("last_event_id", [str(HUGE), "9" * 40, "abc"])
def test_last_event_id_past_64_bits_replays_from_the_start(client: tuple[TestClient, dict[str, str]],
                                                           last_event_id: str) -> None:
    c, auth = client
    run_id = c.app.state.platform.store.runs.enqueue_search(H, "low").id  # type: ignore[attr-defined]
    assert c.post(f"/v1/models/{H}/runs/{run_id}/cancel", headers=auth).status_code == 200
    r = c.get(f"/v1/models/{H}/runs/{run_id}/events", headers={**auth, "Last-Event-ID": last_event_id})
    assert r.status_code == 200
    assert "event: queued" in r.text and "event: canceled" in r.text
