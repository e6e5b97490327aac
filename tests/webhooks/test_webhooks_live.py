"""Webhooks against a real server process and a real receiver on loopback."""

from __future__ import annotations

import json
import time

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from u22a8.webhooks import new_secret, verify

from ..conftest import LiveServer, tone_samples, wait_for, wait_state
from .conftest import endpoint as _endpoint
from .receiver import Receiver

H = "acme.support-tone"


def test_training_sends_the_four_events_signed(server: LiveServer, receiver: Receiver) -> None:
    with server.client(server.key()) as http:
        ep = _endpoint(http, receiver.url)
        assert "secret" not in http.get(f"/v1/webhooks/{ep['id']}").json()  # shown once
        assert http.post("/v1/models", json={"handle": H, "task": "classify"}).status_code == 201
        assert http.post(f"/v1/models/{H}/samples", json={"samples": tone_samples(15)}).status_code == 200
        assert http.post(f"/v1/models/{H}/train", json={"effort": "low"}).status_code == 202
        wait_state(http, H, "ready")
        wanted = ["run.queued", "run.started", "run.succeeded", "version.promoted"]
        wait_for(lambda: all(receiver.of_type(t) for t in wanted), timeout=30)
        for t in wanted:
            (got,) = receiver.of_type(t)
            # As a receiver would: the spec's own verifier, with the secret shown at creation.
            event = Webhook(ep["secret"]).verify(got.body, got.headers)
            assert event["type"] == t and event["timestamp"]
            assert verify(ep["secret"], got.headers, got.body) == event
            with pytest.raises(WebhookVerificationError):
                Webhook(new_secret()).verify(got.body, got.headers)
            assert got.headers["webhook-id"].startswith("msg_")
            assert got.headers["content-type"] == "application/json"
        run = json.loads(receiver.of_type("run.succeeded")[0].body)["data"]
        assert run["state"] == "succeeded" and run["model"] == H and run["version"] == 1
        queued = json.loads(receiver.of_type("run.queued")[0].body)["data"]
        assert queued["state"] == "queued"  # the object as it stood when the event happened
        promoted = json.loads(receiver.of_type("version.promoted")[0].body)["data"]
        assert promoted["model"] == H and promoted["version"]["number"] == 1 and promoted["version"]["active"]
        assert "text" not in json.dumps(promoted) and "sample_ids" not in promoted["version"]
        assert not receiver.of_type("run.progress")
        # The delivery log says the same, once the sender has recorded what the receiver already
        # got (it writes the outcomes of attempts that end together in one transaction, after).
        def settled() -> list[dict] | None:
            items = http.get(f"/v1/webhooks/{ep['id']}/deliveries").json()["items"]
            return items if all(d["state"] != "pending" and d["status_code"] is not None for d in items) else None

        log = wait_for(settled, timeout=30)
        assert {d["event"] for d in log} >= set(wanted)
        assert all(d["state"] == "succeeded" and d["status_code"] == 200 and d["attempt"] == 1 for d in log), log


def test_retries_keep_one_webhook_id_with_growing_delays(server: LiveServer, receiver: Receiver) -> None:
    receiver.script = [500, 500]
    with server.client(server.key()) as http:
        ep = _endpoint(http, receiver.url)
        r = http.post(f"/v1/webhooks/{ep['id']}/ping")
        assert r.status_code == 202 and r.json()["event"] == "ping"
        wait_for(lambda: len(receiver.received) >= 3, timeout=30)
        time.sleep(0.5)
        got = receiver.received
        assert len(got) == 3
        assert len({g.headers["webhook-id"] for g in got}) == 1
        for g in got:
            Webhook(ep["secret"]).verify(g.body, g.headers)
        first_gap, second_gap = got[1].at - got[0].at, got[2].at - got[1].at
        assert 0.25 < first_gap < second_gap, (first_gap, second_gap)
        (d,) = wait_for(lambda: [d for d in http.get(f"/v1/webhooks/{ep['id']}/deliveries").json()["items"]
                                 if d["state"] == "succeeded"])
        assert d["attempt"] == 3 and d["status_code"] == 200 and d["next_attempt_at"] is None


def test_a_message_that_runs_out_of_retries_fails_and_can_be_retried_by_hand(
        server: LiveServer, receiver: Receiver) -> None:
    receiver.default_status = 503
    with server.client(server.key()) as http:
        ep = _endpoint(http, receiver.url)
        http.post(f"/v1/webhooks/{ep['id']}/ping")
        url = f"/v1/webhooks/{ep['id']}/deliveries"
        (d,) = wait_for(lambda: [d for d in http.get(url).json()["items"] if d["state"] == "failed"], timeout=30)
        assert d["attempt"] == 4 and d["status_code"] == 503 and "503" in d["error"]
        receiver.default_status = 200
        r = http.post(f"{url}/{d['id']}/retry")
        assert r.status_code == 202 and r.json()["state"] == "pending"
        wait_for(lambda: http.get(url).json()["items"][0]["state"] == "succeeded", timeout=15)
        assert len({g.headers["webhook-id"] for g in receiver.received}) == 1
        assert len(receiver.received) == 5


def test_rotation_overlap_both_secrets_verify(server: LiveServer, receiver: Receiver) -> None:
    with server.client(server.key()) as http:
        ep = _endpoint(http, receiver.url)
        rotated = http.post(f"/v1/webhooks/{ep['id']}/rotate")
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["secret"]
        assert new != ep["secret"] and rotated.json()["previous_secret_expires_at"]
        http.post(f"/v1/webhooks/{ep['id']}/ping")
        wait_for(lambda: receiver.received, timeout=15)
        got = receiver.received[0]
        assert len(got.headers["webhook-signature"].split(" ")) == 2
        assert Webhook(ep["secret"]).verify(got.body, got.headers)["type"] == "ping"
        assert Webhook(new).verify(got.body, got.headers)["type"] == "ping"
        with pytest.raises(WebhookVerificationError):
            Webhook(new_secret()).verify(got.body, got.headers)


def test_endpoints_belong_to_their_owner(server: LiveServer, receiver: Receiver) -> None:
    with server.client(server.key()) as acme, server.client(server.key("globex")) as globex, \
            server.client(server.key(scopes=("read", "write", "train"))) as no_admin:
        ep = _endpoint(acme, receiver.url)
        for method, path in [("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/rotate"), ("POST", "/ping"),
                             ("GET", "/deliveries"), ("POST", "/deliveries/1/retry")]:
            r = globex.request(method, f"/v1/webhooks/{ep['id']}{path}", json={} if method == "PATCH" else None)
            assert r.status_code == 404, (method, path, r.text)
        assert globex.get("/v1/webhooks").json() == []
        assert no_admin.get("/v1/webhooks").status_code == 403
        # Patch, list, delete by the owner.
        r = acme.patch(f"/v1/webhooks/{ep['id']}", json={"enabled": False, "events": ["run.failed"]})
        assert r.status_code == 200 and r.json()["enabled"] is False and r.json()["events"] == ["run.failed"]
        assert acme.post(f"/v1/webhooks/{ep['id']}/ping").status_code == 409
        assert [e["id"] for e in acme.get("/v1/webhooks").json()] == [ep["id"]]
        assert acme.delete(f"/v1/webhooks/{ep['id']}").status_code == 200
        assert acme.get(f"/v1/webhooks/{ep['id']}").status_code == 404
        bad = acme.post("/v1/webhooks", json={"url": receiver.url, "events": ["run.progress"]})
        assert bad.status_code == 422
