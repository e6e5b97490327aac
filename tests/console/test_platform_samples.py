"""Finding 10 through both front doors: a platform model's samples stay with the platform owner."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import TONE_CSV, follow, make_key, sign_in, store_of


def _platform_model_with_samples(client: TestClient) -> str:
    store_of(client).models.create("u22a8.tone", "classify", quiet_seconds=1)
    owner = make_key(client, "u22a8")
    csrf = sign_in(client, owner)
    follow(client, client.post("/console/models/u22a8.tone/samples", data={"csrf": csrf},
                               files={"file": ("tone.csv", TONE_CSV, "text/csv")}))
    return owner


def test_tenants_see_platform_models_but_not_their_samples(client: TestClient) -> None:
    owner = _platform_model_with_samples(client)
    assert "denied the order" in client.get("/console/models/u22a8.tone").text

    tenant = make_key(client, "acme")
    bearer = {"Authorization": f"Bearer {tenant}"}
    assert client.get("/v1/models/u22a8.tone", headers=bearer).status_code == 200
    listed = client.get("/v1/models/u22a8.tone/samples", headers=bearer)
    assert listed.status_code == 403 and listed.json()["code"] == "forbidden"
    assert "denied" not in listed.text
    assert client.get("/v1/models/u22a8.tone/samples?label=curt", headers=bearer).status_code == 403
    own = client.get("/v1/models/u22a8.tone/samples", headers={"Authorization": f"Bearer {owner}"})
    assert own.status_code == 200 and len(own.json()["items"]) == 8

    sign_in(client, tenant)
    page = client.get("/console/models/u22a8.tone")
    assert page.status_code == 200 and "denied the order" not in page.text and "thanks the order" not in page.text
    assert "shown only to its owner" in page.text
    filtered = client.get("/console/models/u22a8.tone?label=curt")
    assert filtered.status_code == 200 and "denied the order" not in filtered.text
