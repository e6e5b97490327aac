"""The SSRF guard: https and public addresses only, at creation and again before every attempt;
redirects are never followed. No traffic goes to the refused addresses: the guard refuses from
the resolved address before any connection (the loopback receivers here run only where the
setting allows private addresses, or to prove that nothing reached them)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from u22a8.runs import WebhookDeliverer
from u22a8.runs.webhook_delivery import retry_delay
from u22a8.runs.webhook_guard import UnsafeUrl, resolve_target
from u22a8.server import create_app
from u22a8.settings import Settings
from u22a8.store import Store
from u22a8.webhooks import new_secret

from .receiver import Receiver, running_receiver

REFUSED = ["127.0.0.1", "10.0.0.1", "169.254.169.254", "::1"]


def _url(address: str, port: int = 443, scheme: str = "https") -> str:
    host = f"[{address}]" if ":" in address else address
    return f"{scheme}://{host}:{port}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as r:
        yield r


@pytest.fixture
def strict_client(tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(home=tmp_path / "home"), with_executor=False)) as client:
        store = client.app.state.platform.store  # type: ignore[attr-defined]
        _, secret = store.keys.create("acme", ["admin"])
        client.headers["Authorization"] = f"Bearer {secret}"
        yield client


@pytest.mark.parametrize("address", REFUSED)
def test_creating_an_endpoint_on_a_private_address_is_refused(strict_client: TestClient, address: str) -> None:
    r = strict_client.post("/v1/webhooks", json={"url": _url(address), "events": ["*"]})
    assert r.status_code == 422, r.text
    assert "not a public address" in r.json()["detail"]


def test_names_that_resolve_to_loopback_and_plain_http_are_refused(strict_client: TestClient) -> None:
    r = strict_client.post("/v1/webhooks", json={"url": "https://localhost/hook", "events": ["*"]})
    assert r.status_code == 422 and "127.0.0.1" in r.json()["detail"] or "::1" in r.json()["detail"]
    r = strict_client.post("/v1/webhooks", json={"url": "http://93.184.216.34/hook", "events": ["*"]})
    assert r.status_code == 422 and "https" in r.json()["detail"]


@pytest.mark.parametrize("address", REFUSED)
def test_every_resolved_address_must_be_public(address: str) -> None:
    with pytest.raises(UnsafeUrl):
        resolve_target("https://hooks.example.test/x", allow_private=False,
                       resolver=lambda host, port: ["93.184.216.34", address])
    target = resolve_target("https://hooks.example.test/x", allow_private=False,
                            resolver=lambda host, port: ["93.184.216.34"])
    assert target.address == "93.184.216.34" and target.host_header == "hooks.example.test"


def _store_with_endpoint(tmp_path: Path, url: str) -> tuple[Store, str]:
    store = Store(f"sqlite:///{tmp_path / 'db.sqlite'}", tmp_path / "artifacts")
    store.upgrade()
    # Written straight to the store: the name resolved to a public address when it was created.
    ep = store.webhooks.create("acme", url, ["*"], None, "", new_secret())
    store.webhooks.add_ping(ep.id, "acme")
    return store, ep.id


@pytest.mark.parametrize("address", REFUSED)
def test_each_attempt_resolves_again_and_refuses_a_private_answer(
        tmp_path: Path, receiver: Receiver, address: str) -> None:
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    store, endpoint_id = _store_with_endpoint(tmp_path, f"https://hooks.example.test:{port}/hook")
    settings = Settings(home=tmp_path, webhooks_retry_schedule="60")
    deliverer = WebhookDeliverer(store, settings, resolver=lambda host, p: [address])  # DNS changed since
    (claimed,) = deliverer.claim(10)
    after = deliverer.deliver(claimed)
    assert after is not None and after.state == "pending" and after.attempts == 1
    assert after.error is not None and after.error.startswith("refused:") and address in after.error
    assert receiver.received == []


def test_a_redirect_is_not_followed(tmp_path: Path, receiver: Receiver) -> None:
    receiver.redirect_to = "http://169.254.169.254/latest/meta-data/"
    store, _ = _store_with_endpoint(tmp_path, receiver.url)
    deliverer = WebhookDeliverer(store, Settings(home=tmp_path, webhooks_allow_private=True))
    (claimed,) = deliverer.claim(10)
    after = deliverer.deliver(claimed)
    assert after is not None and after.status_code == 307 and after.state == "pending"
    assert after.error is not None and "not followed" in after.error
    assert len(receiver.received) == 1


def test_without_the_setting_even_a_loopback_receiver_gets_nothing(tmp_path: Path, receiver: Receiver) -> None:
    store, _ = _store_with_endpoint(tmp_path, receiver.url)
    deliverer = WebhookDeliverer(store, Settings(home=tmp_path))
    after = deliverer.deliver(deliverer.claim(10)[0])
    assert after is not None and after.error is not None and "https" in after.error
    assert receiver.received == []


def test_the_response_read_is_capped_and_a_2xx_succeeds(tmp_path: Path, receiver: Receiver) -> None:
    receiver.default_status = 204
    store, _ = _store_with_endpoint(tmp_path, receiver.url)
    deliverer = WebhookDeliverer(store, Settings(home=tmp_path, webhooks_allow_private=True,
                                                 webhooks_max_response_bytes=1))
    after = deliverer.deliver(deliverer.claim(10)[0])
    assert after is not None and after.state == "succeeded" and after.status_code == 204


def test_retry_delays_grow_with_jitter_then_stop() -> None:
    schedule = (5.0, 300.0, 1800.0)
    low = [retry_delay(schedule, n, lambda a, b: a) for n in (1, 2, 3)]
    high = [retry_delay(schedule, n, lambda a, b: b) for n in (1, 2, 3)]
    assert low == [4.0, 240.0, 1440.0] and high == [6.0, 360.0, 2160.0]
    assert retry_delay(schedule, 4, lambda a, b: 1.0) is None
