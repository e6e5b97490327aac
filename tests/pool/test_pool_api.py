"""The pool over the API as a user meets it: formats, dedupe, paging, bad input, labeled texts leave."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from .conftest import auth, labeled_samples, store_of


def _model(client: TestClient, headers: dict[str, str], handle: str = "acme.intents") -> str:
    assert client.post("/v1/models", json={"handle": handle, "task": "classify"}, headers=headers).status_code == 201
    return handle


def _pool_texts(client: TestClient, headers: dict[str, str], handle: str) -> list[str]:
    out, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(f"/v1/models/{handle}/pool", params=params, headers=headers).json()
        out += [t["text"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def test_json_ndjson_and_csv_uploads_are_deduplicated_and_listed_in_pages(app_client: TestClient) -> None:
    h = auth(app_client)
    handle = _model(app_client, h)
    r = app_client.post(f"/v1/models/{handle}/pool", headers=h,
                        json={"texts": [{"text": "where is my card"}, "refund me", {"text": "where is my card"},
                                        {"id": "t-7", "text": "pin blocked"}]})
    assert r.status_code == 200, r.text
    assert r.json() == {"added": 3, "updated": 0, "unchanged": 1, "labeled": 0, "pool_count": 3}

    ndjson = '{"text": "refund me"}\n{"text": "card late"}\n'
    r = app_client.post(f"/v1/models/{handle}/pool", content=ndjson, headers={**h, "Content-Type": "application/x-ndjson"})
    assert r.json()["added"] == 1 and r.json()["unchanged"] == 1 and r.json()["pool_count"] == 4

    csv = "id,text\nt-7,pin blocked\n,exchange rate please\n"
    r = app_client.post(f"/v1/models/{handle}/pool", content=csv, headers={**h, "Content-Type": "text/csv"})
    assert r.json()["added"] == 1 and r.json()["unchanged"] == 1 and r.json()["pool_count"] == 5

    assert _pool_texts(app_client, h, handle) == ["where is my card", "refund me", "pin blocked", "card late",
                                                  "exchange rate please"]
    listed = app_client.get(f"/v1/models/{handle}/pool", headers=h).json()["items"]
    assert listed[2]["id"] == "t-7" and listed[0]["id"].startswith("p_")

    # Same id, new text: the text is replaced.
    r = app_client.post(f"/v1/models/{handle}/pool", json={"texts": [{"id": "t-7", "text": "pin locked"}]}, headers=h)
    assert r.json()["updated"] == 1
    assert "pin locked" in _pool_texts(app_client, h, handle) and "pin blocked" not in _pool_texts(app_client, h, handle)

    assert app_client.delete(f"/v1/models/{handle}/pool/t-7", headers=h).status_code == 204
    gone = app_client.delete(f"/v1/models/{handle}/pool/t-7", headers=h)
    assert gone.status_code == 404 and gone.json()["code"] == "not_found"
    assert app_client.delete(f"/v1/models/{handle}/pool", headers=h).status_code == 204
    assert _pool_texts(app_client, h, handle) == []


def test_bad_input_is_problem_json_with_a_stable_code_and_nothing_is_stored(app_client: TestClient) -> None:
    h = auth(app_client)
    handle = _model(app_client, h)
    bad_bodies = [
        ({"texts": [{"text": "fine"}, {"text": "   "}, {"text": "x", "label": "no labels here"}]}, "invalid_request"),
        ({"texts": [{"text": "fine"}, {"text": "nul \x00 byte"}]}, "invalid_request"),
        ({"texts": []}, "invalid_request"),
        ({"samples": [{"text": "wrong field"}]}, "invalid_request"),
        ({"texts": [{"text": "x" * 20_001}]}, "invalid_request"),
        ({"texts": [{"text": f"t{i}"} for i in range(101)]}, "limit_exceeded"),  # the per-request limit: 100 here
    ]
    for body, code in bad_bodies:
        r = app_client.post(f"/v1/models/{handle}/pool", json=body, headers=h)
        assert r.status_code in (400, 413, 422), (body, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == code, (body, r.json())
    first = app_client.post(f"/v1/models/{handle}/pool", json=bad_bodies[0][0], headers=h).json()
    assert [e["index"] for e in first["errors"]] == [1, 2]

    for content, kind in [("label,text\na,b\n", "text/csv"), ("id\nx\n", "text/csv"), ("{not json\n", "application/x-ndjson"),
                          (b"\xff\xfe", "application/json")]:
        r = app_client.post(f"/v1/models/{handle}/pool", content=content, headers={**h, "Content-Type": kind})
        assert r.status_code == 422 and r.json()["code"] == "invalid_request", (content, r.text)
    assert app_client.get(f"/v1/models/{handle}/pool", headers=h).json()["items"] == []


def test_the_pool_holds_at_most_the_samples_limit(tmp_path: object) -> None:
    from pathlib import Path

    from u22a8.server import create_app
    from u22a8.settings import Settings

    settings = Settings(home=Path(str(tmp_path)) / "home", max_samples_per_model=3)
    with TestClient(create_app(settings, with_executor=False)) as client:
        h = auth(client)
        handle = _model(client, h)
        assert client.post(f"/v1/models/{handle}/pool", json={"texts": ["a", "b"]}, headers=h).status_code == 200
        r = client.post(f"/v1/models/{handle}/pool", json={"texts": ["c", "d"]}, headers=h)
        assert r.status_code == 422 and r.json()["code"] == "limit_exceeded"
        assert [t["text"] for t in client.get(f"/v1/models/{handle}/pool", headers=h).json()["items"]] == ["a", "b"]


def test_a_pool_text_that_becomes_a_sample_leaves_the_pool_and_labeled_texts_are_not_added(app_client: TestClient) -> None:
    h = auth(app_client)
    handle = _model(app_client, h)
    app_client.post(f"/v1/models/{handle}/samples", json={"samples": labeled_samples()[:3]}, headers=h)
    already = labeled_samples()[0]["text"]
    r = app_client.post(f"/v1/models/{handle}/pool", json={"texts": [already, "new one", "other one", "third"]}, headers=h)
    assert r.json() == {"added": 3, "updated": 0, "unchanged": 0, "labeled": 1, "pool_count": 3}

    # JSON samples upload
    app_client.post(f"/v1/models/{handle}/samples", json={"samples": [{"text": "new one", "label": "refund"}]}, headers=h)
    # CSV samples upload, and a sample whose text is changed under its id to a pool text
    app_client.post(f"/v1/models/{handle}/samples", content="text,label\nother one,refund\n",
                    headers={**h, "Content-Type": "text/csv"})
    app_client.post(f"/v1/models/{handle}/samples", json={"samples": [{"id": "s1", "text": "something", "label": "refund"}]},
                    headers=h)
    app_client.post(f"/v1/models/{handle}/samples", json={"samples": [{"id": "s1", "text": "third", "label": "refund"}]},
                    headers=h)
    assert _pool_texts(app_client, h, handle) == []


def test_a_deleted_model_takes_its_pool_along(app_client: TestClient) -> None:
    h = auth(app_client)
    handle = _model(app_client, h)
    app_client.post(f"/v1/models/{handle}/pool", json={"texts": ["a", "b"]}, headers=h)
    assert app_client.delete(f"/v1/models/{handle}", headers=h).status_code == 204
    _model(app_client, h)
    assert app_client.get(f"/v1/models/{handle}/pool", headers=h).json()["items"] == []
    model_id = store_of(app_client).models.get(handle).id
    assert store_of(app_client).pool.state(model_id).count == 0


def test_a_lone_surrogate_is_bad_input_for_pool_texts_and_samples_not_a_server_error(app_client: TestClient) -> None:
    h = auth(app_client)
    handle = _model(app_client, h)
    json_h = {**h, "Content-Type": "application/json"}
    for path, body in [("pool", b'{"texts": ["a\\ud800b"]}'), ("pool", b'{"texts": [{"id": "\\udfff", "text": "ok"}]}'),
                       ("samples", b'{"samples": [{"text": "a\\ud800b", "label": "x"}]}'),
                       ("samples", b'{"samples": [{"text": "fine", "label": "\\ud800"}]}'),
                       ("samples", b'{"samples": [{"id": "\\ud800", "text": "fine", "label": "x"}]}')]:
        r = app_client.post(f"/v1/models/{handle}/{path}", content=body, headers=json_h)
        assert r.status_code == 422 and r.json()["code"] == "invalid_request", (path, body, r.text)
    assert app_client.get(f"/v1/models/{handle}/pool", headers=h).json()["items"] == []
    assert app_client.get(f"/v1/models/{handle}/samples", headers=h).json()["items"] == []


def test_samples_and_pool_texts_refuse_the_same_ids(app_client: TestClient) -> None:
    h = auth(app_client)
    handle = _model(app_client, h)
    for bad, problem in (("a\x00b", "id contains a NUL byte"), ("a\ud800", "id: ")):
        sent = {**h, "Content-Type": "application/json"}  # json.dumps spells the lone surrogate as JSON may
        sample = app_client.post(f"/v1/models/{handle}/samples", headers=sent,
                                 content=json.dumps({"samples": [{"id": bad, "text": "x", "label": "a"}]}))
        pooled = app_client.post(f"/v1/models/{handle}/pool", headers=sent,
                                 content=json.dumps({"texts": [{"id": bad, "text": "x"}]}))
        for r in (sample, pooled):
            assert r.status_code == 422 and r.json()["code"] == "invalid_request", r.text
            assert problem in r.json()["detail"], r.json()
