"""Bad input gets a 4xx problem+json, and the samples already stored stay exactly as they were."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from .conftest import make_key

H = "acme.tone"


@pytest.fixture
def ready(app_client: TestClient) -> tuple[TestClient, dict[str, str]]:
    auth = make_key(app_client)
    app_client.post("/v1/models", json={"handle": H, "task": "classify", "labels": ["good", "bad"]}, headers=auth)
    r = app_client.post(f"/v1/models/{H}/samples", headers=auth, json={"samples": [
        {"id": "a", "text": "lovely service", "label": "good"},
        {"text": "awful wait", "label": "bad"},
    ]})
    assert r.status_code == 200 and r.json()["added"] == 2
    return app_client, auth


def _stored(client: TestClient, auth: dict[str, str]) -> list[dict[str, Any]]:
    return client.get(f"/v1/models/{H}/samples", headers=auth).json()["items"]


def _assert_problem(r: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["code"] and body["detail"]
    if code:
        assert body["code"] == code
    return body


BAD_JSON_BODIES = [
    ("malformed json", b'{"samples": [', "application/json"),
    ("not an object", b"[1,2,3]", "application/json"),
    ("wrong type of text", b'{"samples": [{"text": 5, "label": "good"}]}', "application/json"),
    ("unknown field", b'{"samples": [{"text": "x", "label": "good", "colour": "red"}]}', "application/json"),
    ("unknown top-level field", b'{"samples": [], "extra": 1}', "application/json"),
    ("empty text", b'{"samples": [{"text": "   ", "label": "good"}]}', "application/json"),
    ("missing label", b'{"samples": [{"text": "fine"}]}', "application/json"),
    ("label outside the set", b'{"samples": [{"text": "fine", "label": "meh"}]}', "application/json"),
    ("NUL byte", b'{"samples": [{"text": "a\\u0000b", "label": "good"}]}', "application/json"),
    ("non-UTF-8 CSV", "text,label\ncafé,good\n".encode("latin-1"), "text/csv"),
    ("CSV without label column", b"text\nhello\n", "text/csv"),
    ("CSV with a missing cell", b"text,label\nhello,\n", "text/csv"),
    ("bad NDJSON line", b'{"text": "ok", "label": "good"}\n{oops\n', "application/x-ndjson"),
    ("no samples", b'{"samples": []}', "application/json"),
]


@pytest.mark.parametrize(("name", "body", "ctype"), BAD_JSON_BODIES, ids=[b[0] for b in BAD_JSON_BODIES])
def test_bad_sample_bodies(ready: tuple[TestClient, dict[str, str]], name: str, body: bytes, ctype: str) -> None:
    client, auth = ready
    before = _stored(client, auth)
    r = client.post(f"/v1/models/{H}/samples", content=body, headers={**auth, "Content-Type": ctype})
    _assert_problem(r, 422)
    assert _stored(client, auth) == before


def test_one_bad_sample_refuses_the_batch_and_lists_every_bad_index(ready: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = ready
    before = _stored(client, auth)
    batch = [
        {"text": "fine one", "label": "good"},
        {"text": "", "label": "good"},
        {"text": "fine two", "label": "bad"},
        {"text": "bad label", "label": "nope"},
        {"text": "fine three"},
    ]
    body = _assert_problem(client.post(f"/v1/models/{H}/samples", json={"samples": batch}, headers=auth), 422)
    assert [e["index"] for e in body["errors"]] == [1, 3, 4]
    assert _stored(client, auth) == before


def test_nan_and_infinite_scores(app_client: TestClient) -> None:
    auth = make_key(app_client)
    app_client.post("/v1/models", json={"handle": "acme.polite", "task": "score"}, headers=auth)
    app_client.post("/v1/models/acme.polite/samples", json={"samples": [{"text": "please", "score": 0.5}]}, headers=auth)
    for raw in (b'{"samples": [{"text": "x", "score": NaN}]}', b'{"samples": [{"text": "x", "score": Infinity}]}',
                b'{"samples": [{"text": "x", "score": -Infinity}]}', b'{"samples": [{"text": "x", "score": 1e999}]}'):
        r = app_client.post("/v1/models/acme.polite/samples", content=raw,
                            headers={**auth, "Content-Type": "application/json"})
        _assert_problem(r, 422)
    r = app_client.post("/v1/models/acme.polite/samples", content=b"text,score\nhey,nan\n",
                        headers={**auth, "Content-Type": "text/csv"})
    _assert_problem(r, 422)
    items = app_client.get("/v1/models/acme.polite/samples", headers=auth).json()["items"]
    assert [(i["text"], i["score"]) for i in items] == [("please", 0.5)]


def test_ten_megabyte_text(ready: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = ready
    before = _stored(client, auth)
    huge = "a" * (10 * 1024 * 1024)
    r = client.post(f"/v1/models/{H}/samples", json={"samples": [{"text": huge, "label": "good"}]}, headers=auth)
    body = _assert_problem(r, 422)
    assert "characters" in body["detail"]
    assert _stored(client, auth) == before
    # A predict body is held to U22A8_MAX_SMALL_BODY_BYTES (issue 10): refused before it is parsed.
    r = client.post(f"/v1/models/{H}/predict", json={"inputs": [huge]}, headers=auth)
    _assert_problem(r, 413, "payload_too_large")
    r = client.post(f"/v1/models/{H}/predict", json={"inputs": ["a" * 100_000]}, headers=auth)
    _assert_problem(r, 422, "limit_exceeded")


def test_body_over_the_limit_is_413(tmp_path: Any) -> None:
    from u22a8.server import create_app
    from u22a8.settings import Settings

    with TestClient(create_app(Settings(home=tmp_path / "h", max_body_bytes=1000), with_executor=False)) as client:
        auth = make_key(client)
        client.post("/v1/models", json={"handle": H, "task": "classify"}, headers=auth)
        r = client.post(f"/v1/models/{H}/samples", json={"samples": [{"text": "x" * 5000, "label": "a"}]}, headers=auth)
        _assert_problem(r, 413, "payload_too_large")
        assert client.get(f"/v1/models/{H}/samples", headers=auth).json()["items"] == []


@pytest.mark.parametrize("handle", ["Acme.Tone", "acme", "acme..tone", "..%2F..%2Fetc", "acme.tone;drop", "a" * 50 + ".x"])
def test_bad_handles(app_client: TestClient, handle: str) -> None:
    auth = make_key(app_client)
    r = app_client.post("/v1/models", json={"handle": handle, "task": "classify"}, headers=auth)
    _assert_problem(r, 422, "invalid_request")
    r = app_client.get(f"/v1/models/{handle}", headers=auth)
    assert r.status_code == 404
    r = app_client.post(f"/v1/models/{handle}/samples", json={"samples": [{"text": "x", "label": "a"}]}, headers=auth)
    assert r.status_code == 404
    assert app_client.get("/v1/models", headers=auth).json()["items"] == []


def test_path_traversal_in_handle(app_client: TestClient) -> None:
    auth = make_key(app_client)
    r = app_client.get("/v1/models/..%2F..%2Fetc%2Fpasswd", headers=auth)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


def test_wrong_types_on_create_and_duplicate(app_client: TestClient) -> None:
    auth = make_key(app_client)
    _assert_problem(app_client.post("/v1/models", json={"handle": "acme.x", "task": "regress"}, headers=auth), 422)
    _assert_problem(app_client.post("/v1/models", json={"handle": 7, "task": "classify"}, headers=auth), 422)
    assert app_client.post("/v1/models", json={"handle": "acme.x", "task": "classify"}, headers=auth).status_code == 201
    _assert_problem(app_client.post("/v1/models", json={"handle": "acme.x", "task": "score"}, headers=auth), 409, "conflict")
    assert app_client.get("/v1/models/acme.x", headers=auth).json()["task"] == "classify"


def test_upsert_counts_by_id_then_by_text(ready: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = ready
    r = client.post(f"/v1/models/{H}/samples", headers=auth, json={"samples": [
        {"id": "a", "text": "lovely service", "label": "good"},      # unchanged
        {"id": "a2", "text": "new one", "label": "good"},            # added
        {"text": "awful wait", "label": "good"},                     # same text: updated
    ]})
    assert r.json() == {"added": 1, "updated": 1, "unchanged": 1, "sample_count": 3}
    labels = {s["text"]: s["label"] for s in _stored(client, auth)}
    assert labels == {"lovely service": "good", "awful wait": "good", "new one": "good"}


def test_ndjson_and_csv_uploads(app_client: TestClient) -> None:
    auth = make_key(app_client)
    app_client.post("/v1/models", json={"handle": "acme.tags", "task": "multilabel"}, headers=auth)
    csv_body = b"text,labels\nfast and cheap,speed|price\n\"slow, pricey\",speed|price\nok,quality\n"
    r = app_client.post("/v1/models/acme.tags/samples", content=csv_body, headers={**auth, "Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["added"] == 3
    nd = b'{"text": "great build", "labels": ["quality"]}\n\n{"text": "cheap", "labels": ["price"]}\n'
    r = app_client.post("/v1/models/acme.tags/samples", content=nd, headers={**auth, "Content-Type": "application/x-ndjson"})
    assert r.status_code == 200 and r.json()["added"] == 2
    items = app_client.get("/v1/models/acme.tags/samples", headers=auth).json()["items"]
    assert {i["text"]: i["labels"] for i in items}["slow, pricey"] == ["price", "speed"]
