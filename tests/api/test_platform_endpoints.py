"""Health, readiness, metrics, OpenAPI, Idempotency-Key, limits and pagination."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import make_key


def test_health_ready_metrics_openapi_without_a_key(app_client: TestClient) -> None:
    assert app_client.get("/healthz").json() == {"status": "ok"}
    assert app_client.get("/readyz").json() == {"status": "ready"}
    app_client.get("/v1/models")  # a 401 to count
    metrics = app_client.get("/metrics")
    assert metrics.status_code == 200
    assert 'u22a8_http_requests_total{method="GET",route="/v1/models",status="401"}' in metrics.text
    assert "u22a8_runs_active" in metrics.text
    spec = app_client.get("/openapi.json").json()
    assert "/v1/models/{handle}/train" in spec["paths"]
    train = spec["paths"]["/v1/models/{handle}/train"]["post"]
    assert train["operationId"] == "train_model" and {"200", "202"} <= set(train["responses"])


def test_idempotency_key_replays_the_first_answer(app_client: TestClient) -> None:
    auth = make_key(app_client)
    headers = {**auth, "Idempotency-Key": "create-tone-1"}
    first = app_client.post("/v1/models", json={"handle": "acme.tone", "task": "classify"}, headers=headers)
    again = app_client.post("/v1/models", json={"handle": "acme.tone", "task": "classify"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true" and again.json() == first.json()
    other = app_client.post("/v1/models", json={"handle": "acme.tone2", "task": "classify"}, headers=headers)
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    without = app_client.post("/v1/models", json={"handle": "acme.tone", "task": "classify"}, headers=auth)
    assert without.status_code == 409


def test_limits_are_configurable_and_explained(tmp_path: object) -> None:
    from u22a8.server import create_app
    from u22a8.settings import Settings

    settings = Settings(home=tmp_path / "h", max_samples_per_request=3, max_samples_per_model=4,  # type: ignore[operator]
                        max_inputs_per_predict=2, max_text_chars=50)
    with TestClient(create_app(settings, with_executor=False)) as client:
        auth = make_key(client)
        client.post("/v1/models", json={"handle": "acme.tone", "task": "classify"}, headers=auth)
        four = {"samples": [{"text": f"t{i}", "label": "a"} for i in range(4)]}
        r = client.post("/v1/models/acme.tone/samples", json=four, headers=auth)
        assert r.status_code == 422 and r.json()["code"] == "limit_exceeded"
        three = {"samples": [{"text": f"t{i}", "label": "a"} for i in range(3)]}
        assert client.post("/v1/models/acme.tone/samples", json=three, headers=auth).json()["added"] == 3
        two = {"samples": [{"text": f"u{i}", "label": "a"} for i in range(2)]}
        r = client.post("/v1/models/acme.tone/samples", json=two, headers=auth)
        assert r.status_code == 422 and r.json()["code"] == "limit_exceeded"
        assert client.get("/v1/models/acme.tone", headers=auth).json()["sample_count"] == 3
        r = client.post("/v1/models/acme.tone/predict", json={"inputs": ["a", "b", "c"]}, headers=auth)
        assert r.status_code == 422 and r.json()["code"] == "limit_exceeded"
        r = client.post("/v1/models/acme.tone/predict", json={"inputs": ["a"]}, headers=auth)
        assert r.status_code == 409 and r.json()["code"] == "model_not_ready"


def test_model_list_and_sample_list_paginate(app_client: TestClient) -> None:
    auth = make_key(app_client)
    for i in range(5):
        app_client.post("/v1/models", json={"handle": f"acme.m{i}", "task": "classify"}, headers=auth)
    seen, cursor = [], None
    while True:
        page = app_client.get("/v1/models", params={"limit": 2, **({"cursor": cursor} if cursor else {})},
                              headers=auth).json()
        seen += [m["handle"] for m in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"acme.m{i}" for i in range(5)]
    app_client.post("/v1/models/acme.m0/samples", headers=auth,
                    json={"samples": [{"text": f"t{i}", "label": "x" if i % 2 else "y"} for i in range(9)]})
    page = app_client.get("/v1/models/acme.m0/samples", params={"limit": 3, "label": "x"}, headers=auth).json()
    assert [s["label"] for s in page["items"]] == ["x", "x", "x"] and page["next_cursor"]
    rest = app_client.get("/v1/models/acme.m0/samples", params={"limit": 3, "label": "x", "cursor": page["next_cursor"]},
                          headers=auth).json()
    assert [s["text"] for s in rest["items"]] == ["t7"] and rest["next_cursor"] is None


def test_patch_labels_and_auto_retrain(app_client: TestClient) -> None:
    auth = make_key(app_client)
    app_client.post("/v1/models", json={"handle": "acme.tone", "task": "classify"}, headers=auth)
    app_client.post("/v1/models/acme.tone/samples", json={"samples": [{"text": "a", "label": "good"}]}, headers=auth)
    r = app_client.patch("/v1/models/acme.tone", json={"labels": ["bad"]}, headers=auth)
    assert r.status_code == 422 and r.json()["labels_outside"] == ["good"]
    r = app_client.patch("/v1/models/acme.tone", json={"labels": ["good", "bad"], "description": "tone",
                                                        "auto_retrain": {"enabled": False, "quiet_seconds": 30}},
                         headers=auth)
    body = r.json()
    assert body["labels"] == ["good", "bad"] and body["description"] == "tone"
    assert body["auto_retrain"] == {"enabled": False, "quiet_seconds": 30.0}


def test_replayed_problem_keeps_its_content_type(app_client: TestClient) -> None:
    auth = make_key(app_client)
    app_client.post("/v1/models", json={"handle": "acme.tone", "task": "classify"}, headers=auth)
    headers = {**auth, "Idempotency-Key": "dup"}
    first = app_client.post("/v1/models", json={"handle": "acme.tone", "task": "classify"}, headers=headers)
    again = app_client.post("/v1/models", json={"handle": "acme.tone", "task": "classify"}, headers=headers)
    assert first.status_code == again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.headers["idempotent-replayed"] == "true"


def test_sample_ids_with_slashes_can_be_deleted(app_client: TestClient) -> None:
    auth = make_key(app_client)
    app_client.post("/v1/models", json={"handle": "acme.tone", "task": "classify"}, headers=auth)
    app_client.post("/v1/models/acme.tone/samples", json={"samples": [{"id": "tickets/42", "text": "x", "label": "a"}]},
                    headers=auth)
    assert app_client.delete("/v1/models/acme.tone/samples/tickets%2F42", headers=auth).status_code == 204
    assert app_client.get("/v1/models/acme.tone", headers=auth).json()["sample_count"] == 0
