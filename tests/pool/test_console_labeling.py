"""The labeling page in-process: a suggestion shown with keys, an answer stored as a sample, skip, pool upload."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from .conftest import POOL, auth, ready_model, store_of


def _sign_in(client: TestClient, owner: str = "acme") -> str:
    _, secret = store_of(client).keys.create(owner, ["read", "write", "train", "admin"])
    page = client.get("/console/sign-in")
    pre = re.search(r'name="pre" value="([^"]+)"', page.text)
    assert pre
    assert client.post("/console/sign-in", data={"key": secret, "pre": pre.group(1), "next": ""}).status_code == 303
    found = re.search(r'name="csrf" value="([^"]+)"', client.get("/console/models").text)
    assert found
    return found.group(1)


def _current(html: str) -> tuple[str, str]:
    pool_id = re.search(r'name="pool_id" value="([^"]+)"', html)
    text = re.search(r'id="label-text">([^<]+)<', html)
    assert pool_id and text, html[:2000]
    return pool_id.group(1), text.group(1)


def test_label_a_suggestion_skip_one_and_add_to_the_pool(app_client: TestClient) -> None:
    ready_model(app_client, auth(app_client))
    csrf = _sign_in(app_client)
    model_page = app_client.get("/console/models/acme.intents").text
    assert "/console/models/acme.intents/label" in model_page

    page = app_client.get("/console/models/acme.intents/label")
    assert page.status_code == 200
    assert "<kbd>1</kbd> card_arrival" in page.text and "<kbd>s</kbd> Skip" in page.text
    pool_id, text = _current(page.text)
    assert text.replace("&#39;", "'") in POOL

    r = app_client.post("/console/models/acme.intents/label",
                        data={"csrf": csrf, "pool_id": pool_id, "label": "refund", "skip_list": ""})
    assert r.status_code == 303
    after = app_client.get(r.headers["location"]).text
    assert "Stored as &#34;refund&#34;" in after or 'Stored as "refund"' in after
    store = store_of(app_client)
    model = store.models.get("acme.intents")
    stored = {s.text: s.target for s in store.samples.training_set(model.id)}
    assert stored[text.replace("&#39;", "'")] == {"label": "refund"}
    assert store.pool.state(model.id).count == len(POOL) - 1
    next_id, _ = _current(after)
    assert next_id != pool_id

    r = app_client.post("/console/models/acme.intents/label",
                        data={"csrf": csrf, "pool_id": next_id, "action": "skip", "skip_list": ""})
    assert r.status_code == 303 and f"skip={next_id}" in r.headers["location"]
    skipped = app_client.get(r.headers["location"]).text
    assert _current(skipped)[0] != next_id and "Skipped" in skipped
    assert store.pool.state(model.id).count == len(POOL) - 1  # a skip stores nothing

    r = app_client.post("/console/models/acme.intents/pool", files={"texts": (None, "one more text\n\nand another\n"),
                                                                   "csrf": (None, csrf)})
    assert r.status_code == 303
    assert "2 added" in app_client.get(r.headers["location"]).text
    assert store.pool.state(model.id).count == len(POOL) + 1


def test_the_labeling_page_of_another_owner_is_404_and_a_bad_label_is_said_on_the_page(app_client: TestClient) -> None:
    ready_model(app_client, auth(app_client))
    csrf = _sign_in(app_client)
    pool_id, _ = _current(app_client.get("/console/models/acme.intents/label").text)
    r = app_client.post("/console/models/acme.intents/label", data={"csrf": csrf, "pool_id": pool_id, "label": " "})
    assert r.status_code == 303
    assert "bad label" in app_client.get(r.headers["location"]).text

    other = TestClient(app_client.app, follow_redirects=False)
    _sign_in(other, owner="globex")
    assert other.get("/console/models/acme.intents/label").status_code == 404
