"""What to label next, as a user would check it: no duplicates, nothing labeled, a guess each, fresh."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .conftest import POOL, auth, ready_model, store_of, train_version


def _suggest(client: TestClient, headers: dict[str, str], limit: int = 50, handle: str = "acme.intents") -> dict:  # type: ignore[type-arg]
    r = client.get(f"/v1/models/{handle}/suggestions", params={"limit": limit}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_suggestions_are_pool_texts_without_duplicates_or_labeled_texts_each_with_a_guess(app_client: TestClient) -> None:
    h = auth(app_client)
    ready_model(app_client, h)
    got = _suggest(app_client, h)
    texts = [s["text"] for s in got["items"]]
    assert got["version"] == 1 and got["pool_count"] == len(POOL)
    assert texts and len(texts) == len(set(texts)) and set(texts) <= set(POOL)
    assert [s["rank"] for s in got["items"]] == list(range(1, len(texts) + 1))
    for s in got["items"]:
        assert s["guess"]["label"] in {"card_arrival", "refund", "pin_blocked"} and 0 <= s["uncertainty"] <= 1
    # Two spellings of one text are one case: never both in a list.
    assert not {"DELIVERY of card late", "delivery of card late!"} <= set(texts)
    # Mixed-intent texts are what the model is least sure about: they come before plain ones.
    first = texts[: len(texts) // 2]
    assert any(t in first for t in ("refund or card, not sure which", "pin or refund question",
                                    "where is my refund and my card"))

    assert len(_suggest(app_client, h, limit=3)["items"]) == 3

    # Label the top suggestion through the ordinary samples route: it is no longer suggested.
    top = got["items"][0]
    r = app_client.post("/v1/models/acme.intents/samples", headers=h,
                        json={"samples": [{"text": top["text"], "label": top["guess"]["label"]}]})
    assert r.status_code == 200
    again = _suggest(app_client, h)
    assert top["text"] not in [s["text"] for s in again["items"]]
    assert again["pool_count"] == len(POOL) - 1


def test_new_pool_texts_are_scored_and_a_new_version_rescores(app_client: TestClient) -> None:
    h = auth(app_client)
    ready_model(app_client, h)
    _suggest(app_client, h)
    app_client.post("/v1/models/acme.intents/pool", json={"texts": ["refund for my blocked card pin"]}, headers=h)
    got = _suggest(app_client, h)
    assert got["pool_count"] == len(POOL) + 1
    assert "refund for my blocked card pin" in [s["text"] for s in got["items"]]

    train_version(app_client, "acme.intents")
    assert _suggest(app_client, h)["version"] == 2


def test_suggestions_need_a_trained_version(app_client: TestClient) -> None:
    h = auth(app_client)
    app_client.post("/v1/models", json={"handle": "acme.fresh", "task": "classify"}, headers=h)
    app_client.post("/v1/models/acme.fresh/pool", json={"texts": ["a text"]}, headers=h)
    r = app_client.get("/v1/models/acme.fresh/suggestions", headers=h)
    assert r.status_code == 409 and r.json()["code"] == "model_not_ready"
    documented = app_client.get("/openapi.json").json()["paths"]["/v1/models/{handle}/suggestions"]["get"]["responses"]
    assert "409" in documented  # the answer is in the API's document, as problem+json
    r = app_client.get("/v1/models/acme.fresh/suggestions", params={"limit": 0}, headers=h)
    assert r.status_code == 422


def test_another_owners_pool_and_suggestions_are_404(app_client: TestClient) -> None:
    h = auth(app_client)
    ready_model(app_client, h)
    other = auth(app_client, owner="globex")
    for method, path, kwargs in [
        ("GET", "/v1/models/acme.intents/pool", {}),
        ("POST", "/v1/models/acme.intents/pool", {"json": {"texts": ["steal"]}}),
        ("DELETE", "/v1/models/acme.intents/pool", {}),
        ("DELETE", "/v1/models/acme.intents/pool/p_x", {}),
        ("GET", "/v1/models/acme.intents/suggestions", {}),
    ]:
        r = app_client.request(method, path, headers=other, **kwargs)
        assert r.status_code == 404 and r.json()["code"] == "not_found", (method, path, r.text)
    model_id = store_of(app_client).models.get("acme.intents").id
    assert store_of(app_client).pool.state(model_id).count == len(POOL)


def test_the_cache_updated_in_place_answers_what_a_fresh_scoring_answers(app_client: TestClient) -> None:
    h = auth(app_client)
    ready_model(app_client, h)
    _suggest(app_client, h)  # scored and cached
    app_client.post("/v1/models/acme.intents/pool", json={"texts": ["is my refund on its way", "pin and card both gone"]},
                    headers=h)
    app_client.post("/v1/models/acme.intents/samples", json={"samples": [{"text": POOL[3], "label": "refund"}]}, headers=h)
    updated = _suggest(app_client, h)
    platform = app_client.app.state.platform  # type: ignore[attr-defined]
    platform.suggestions.forget_model(store_of(app_client).models.get("acme.intents").id)
    fresh = _suggest(app_client, h)
    assert [(s["id"], s["text"], s["guess"]["label"]) for s in updated["items"]] == \
        [(s["id"], s["text"], s["guess"]["label"]) for s in fresh["items"]]
    assert [s["uncertainty"] for s in updated["items"]] == pytest.approx([s["uncertainty"] for s in fresh["items"]],
                                                                         abs=1e-5)
    assert POOL[3] not in [s["text"] for s in fresh["items"]] and fresh["pool_count"] == len(POOL) + 1


def test_a_new_version_rescores_the_pool_before_anyone_asks(app_client: TestClient) -> None:
    from ..conftest import wait_for

    h = auth(app_client)
    ready_model(app_client, h)
    _suggest(app_client, h)
    platform = app_client.app.state.platform  # type: ignore[attr-defined]
    model_id = store_of(app_client).models.get("acme.intents").id
    train_version(app_client, "acme.intents")  # promoted: a version.promoted event in the outbox
    # The cache hears the event through the dispatcher and scores the pool in the background.
    wait_for(lambda: platform.suggestions.scored_version(model_id) == 2, timeout=120, interval=0.2)
    assert _suggest(app_client, h)["version"] == 2
