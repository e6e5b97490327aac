"""Webhook actions pass the same door as every other action: counted against the key's limit."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from u22a8.server import create_app
from u22a8.settings import Settings

from ..api.conftest import make_key

# Nothing listens there: the app is built without senders, so no attempt is made.
URL = "http://127.0.0.1:9/hook"


def _assert_limited(r) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "rate_limited" and r.json()["limit_class"] == "writes"
    assert int(r.headers["retry-after"]) >= 1


def test_a_key_over_its_writes_limit_gets_429_on_webhook_calls(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", rate_limit_writes="3/minute", webhooks_allow_private=True)
    with TestClient(create_app(settings, with_executor=False)) as client:
        auth, other = make_key(client), make_key(client)
        created = client.post("/v1/webhooks", json={"url": URL, "events": ["*"]}, headers=auth)
        assert created.status_code == 201, created.text
        hook = created.json()["id"]
        assert client.post(f"/v1/webhooks/{hook}/ping", headers=auth).status_code == 202
        assert client.patch(f"/v1/webhooks/{hook}", json={"description": "x"}, headers=auth).status_code == 200
        # The fourth write in the minute: a ping (which would make the platform send a request),
        # and every other webhook write, is refused before anything is queued or changed.
        _assert_limited(client.post(f"/v1/webhooks/{hook}/ping", headers=auth))
        _assert_limited(client.post(f"/v1/webhooks/{hook}/rotate", headers=auth))
        _assert_limited(client.delete(f"/v1/webhooks/{hook}", headers=auth))
        _assert_limited(client.post("/v1/webhooks", json={"url": URL, "events": ["*"]}, headers=auth))
        deliveries = client.get(f"/v1/webhooks/{hook}/deliveries", headers=auth)
        assert deliveries.status_code == 200  # reads are not counted
        assert [d["event"] for d in deliveries.json()["items"]] == ["ping"]  # the refused ping queued nothing
        _assert_limited(client.post(f"/v1/webhooks/{hook}/deliveries/{deliveries.json()['items'][0]['id']}/retry",
                                    headers=auth))
        assert client.get(f"/v1/webhooks/{hook}", headers=auth).json()["description"] == "x"
        # Another key of the same owner has its own count; it may still act on the endpoint.
        assert client.post(f"/v1/webhooks/{hook}/ping", headers=other).status_code == 202


def test_the_count_comes_before_the_owner_check(tmp_path: Path) -> None:
    """A key cannot probe for other owners' endpoints faster than its limit: a 404 counts too."""
    settings = Settings(home=tmp_path / "home", rate_limit_writes="2/minute", webhooks_allow_private=True)
    with TestClient(create_app(settings, with_executor=False)) as client:
        acme, globex = make_key(client), make_key(client, owner="globex")
        hook = client.post("/v1/webhooks", json={"url": URL, "events": ["*"]}, headers=acme).json()["id"]
        for _ in range(2):
            assert client.post(f"/v1/webhooks/{hook}/ping", headers=globex).status_code == 404
        _assert_limited(client.post(f"/v1/webhooks/{hook}/ping", headers=globex))
