"""Keys, scopes, and owners that never see each other's models."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import make_key

H = "acme.tone"


def _setup(client: TestClient) -> dict[str, str]:
    acme = make_key(client)
    assert client.post("/v1/models", json={"handle": H, "task": "classify"}, headers=acme).status_code == 201
    client.post(f"/v1/models/{H}/samples", headers=acme, json={"samples": [{"text": "hi", "label": "a"}]})
    return acme


def test_no_key_or_a_bad_key_is_401(app_client: TestClient) -> None:
    _setup(app_client)
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        r = app_client.get(f"/v1/models/{H}", headers=headers)
        assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    assert app_client.get("/healthz").status_code == 200


def test_another_owner_sees_nothing(app_client: TestClient) -> None:
    _setup(app_client)
    other = make_key(app_client, owner="globex")
    for method, path, body in [
        ("GET", f"/v1/models/{H}", None),
        ("PATCH", f"/v1/models/{H}", {"description": "mine now"}),
        ("GET", f"/v1/models/{H}/samples", None),
        ("POST", f"/v1/models/{H}/samples", {"samples": [{"text": "x", "label": "a"}]}),
        ("POST", f"/v1/models/{H}/train", {"effort": "low"}),
        ("POST", f"/v1/models/{H}/predict", {"inputs": ["hi"]}),
        ("GET", f"/v1/models/{H}/runs", None),
        ("GET", f"/v1/models/{H}/versions", None),
        ("DELETE", f"/v1/models/{H}", None),
    ]:
        r = app_client.request(method, path, json=body, headers=other)
        assert r.status_code == 404, (method, path, r.status_code)
        assert r.json()["code"] == "not_found"
    # and the 404 is the same as for a model that does not exist at all
    ghost = app_client.get("/v1/models/acme.ghost", headers=other).json()
    real = app_client.get(f"/v1/models/{H}", headers=other).json()
    assert ghost["code"] == real["code"] and ghost["status"] == real["status"]
    assert app_client.get("/v1/models", headers=other).json()["items"] == []
    assert app_client.post("/v1/models", json={"handle": "acme.stolen", "task": "classify"}, headers=other).status_code == 404
    acme = make_key(app_client)
    assert app_client.get(f"/v1/models/{H}", headers=acme).json()["description"] == ""


def test_read_only_key_cannot_write_or_train(app_client: TestClient) -> None:
    _setup(app_client)
    ro = make_key(app_client, scopes=("read",))
    assert app_client.get(f"/v1/models/{H}", headers=ro).status_code == 200
    for method, path, body in [
        ("POST", f"/v1/models/{H}/samples", {"samples": [{"text": "x", "label": "a"}]}),
        ("POST", f"/v1/models/{H}/train", {"effort": "low"}),
        ("PATCH", f"/v1/models/{H}", {"description": "x"}),
        ("DELETE", f"/v1/models/{H}", None),
        ("POST", "/v1/models", {"handle": "acme.new", "task": "classify"}),
        ("POST", "/v1/keys", {"scopes": ["read"]}),
    ]:
        r = app_client.request(method, path, json=body, headers=ro)
        assert r.status_code == 403, (method, path, r.status_code)
        assert r.json()["code"] == "forbidden"
    assert app_client.get(f"/v1/models/{H}", headers=ro).json()["sample_count"] == 1


def test_platform_models_are_readable_by_every_key(app_client: TestClient) -> None:
    platform = make_key(app_client, owner="u22a8")
    app_client.post("/v1/models", json={"handle": "u22a8.technical-writing", "task": "classify"}, headers=platform)
    acme = make_key(app_client)
    assert app_client.get("/v1/models/u22a8.technical-writing", headers=acme).status_code == 200
    assert app_client.post("/v1/models/u22a8.technical-writing/predict", json={"inputs": ["x"]},
                           headers=acme).json()["code"] == "model_not_ready"
    r = app_client.post("/v1/models/u22a8.technical-writing/samples", json={"samples": [{"text": "x", "label": "a"}]},
                        headers=acme)
    assert r.status_code == 404
    listed = [m["handle"] for m in app_client.get("/v1/models", headers=acme).json()["items"]]
    assert listed == ["u22a8.technical-writing"]


def test_keys_are_shown_once_and_revocable(app_client: TestClient) -> None:
    admin = make_key(app_client)
    created = app_client.post("/v1/keys", json={"scopes": ["read"], "name": "ci"}, headers=admin)
    assert created.status_code == 201
    secret = created.json()["key"]
    new = {"Authorization": f"Bearer {secret}"}
    assert app_client.get("/v1/models", headers=new).status_code == 200
    listed = app_client.get("/v1/keys", headers=admin).json()
    assert all("key" not in k for k in listed) and created.json()["id"] in [k["id"] for k in listed]
    assert app_client.delete(f"/v1/keys/{created.json()['id']}", headers=admin).status_code == 200
    assert app_client.get("/v1/models", headers=new).status_code == 401
    other_admin = make_key(app_client, owner="globex")
    assert app_client.post("/v1/keys", json={"owner": "acme", "scopes": ["read"]}, headers=other_admin).status_code == 404
