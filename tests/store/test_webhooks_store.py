"""Webhook messages in the store, on both backends: written in the event's own transaction, one
per (event, endpoint that wants it), claimed by one sender at a time, recorded per attempt."""

from __future__ import annotations

from datetime import timedelta

import pytest

from u22a8.events import ModelDeleted
from u22a8.store import AttemptOutcome, SearchAlreadyActive, Store, utcnow
from u22a8.store.events import record
from u22a8.webhooks import new_secret

H = "acme.tone"


def _endpoint(store: Store, events: list[str], models: list[str] | None = None, owner: str = "acme") -> str:
    return store.webhooks.create(owner, "https://hooks.example.com/x", events, models, "", new_secret()).id


def _messages(store: Store, endpoint_id: str, owner: str = "acme") -> list[str]:
    return [d.event_type for d in reversed(store.webhooks.deliveries(endpoint_id, owner))]


def test_messages_are_written_with_their_events_and_filtered(store: Store) -> None:
    every = _endpoint(store, ["*"])
    ends = _endpoint(store, ["run.succeeded", "run.failed", "model.deleted"])
    other_model = _endpoint(store, ["*"], models=["acme.other"])
    other_owner = _endpoint(store, ["*"], owner="globex")
    store.models.create(H, "classify", quiet_seconds=0)
    run = store.runs.enqueue_search(H, "low")
    with pytest.raises(SearchAlreadyActive):  # rolled back: no event, no message
        store.runs.enqueue_search(H, "max")
    store.runs.request_cancel(H, run.id)
    store.models.delete(H)
    assert _messages(store, every) == ["run.queued", "run.canceled", "model.deleted"]
    assert _messages(store, ends) == ["model.deleted"]
    assert _messages(store, other_model) == []
    assert _messages(store, other_owner, "globex") == []
    queued = store.webhooks.deliveries(every, "acme")[-1]
    assert queued.payload["type"] == "run.queued" and queued.payload["data"]["state"] == "queued"
    assert queued.payload["data"]["id"] == run.id and queued.payload["data"]["model"] == H


def test_a_rolled_back_change_leaves_no_message(store: Store) -> None:
    ep = _endpoint(store, ["*"])
    with pytest.raises(RuntimeError):
        with store.db.session() as s:
            record(s, ModelDeleted(owner="acme", model_id=1, handle=H, at=utcnow()))
            raise RuntimeError("rolled back")
    assert _messages(store, ep) == []


def test_claims_retries_and_the_failure_clock(store: Store) -> None:
    ep = _endpoint(store, ["*"])
    store.webhooks.add_ping(ep, "acme")
    (claimed,) = store.webhooks.claim_due(lease_seconds=60, limit=10)
    assert store.webhooks.claim_due(lease_seconds=60, limit=10) == []  # held by the first sender
    fail = AttemptOutcome(False, 500, 3.0, "answered 500")
    after = store.webhooks.record_attempt(claimed, fail, retry_in=0.0, disable_after=timedelta(days=5))
    assert after is not None and after.state == "pending" and after.attempts == 1 and after.status_code == 500
    assert store.webhooks.get(ep, "acme").failing_since is not None
    # A stale claim (its message moved on) records nothing.
    assert store.webhooks.record_attempt(claimed, fail, retry_in=0.0, disable_after=timedelta(days=5)) is None
    (again,) = store.webhooks.claim_due(lease_seconds=60, limit=10)
    assert again.delivery.message_id == claimed.delivery.message_id
    after = store.webhooks.record_attempt(again, fail, retry_in=None, disable_after=timedelta(0))
    assert after is not None and after.state == "failed" and after.next_attempt_at is None
    endpoint = store.webhooks.get(ep, "acme")
    assert not endpoint.enabled and endpoint.disabled_reason and "answered 500" in endpoint.disabled_reason
    # Disabled: its messages wait; enabled again: a fresh failure clock, and a retry sends it.
    store.webhooks.retry(ep, "acme", after.id)
    assert store.webhooks.claim_due(lease_seconds=60, limit=10) == []
    assert store.webhooks.update(ep, "acme", enabled=True).failing_since is None
    (third,) = store.webhooks.claim_due(lease_seconds=60, limit=10)
    ok = AttemptOutcome(True, 204, 1.0, None)
    done = store.webhooks.record_attempt(third, ok, retry_in=None, disable_after=timedelta(days=5))
    assert done is not None and done.state == "succeeded" and done.attempts == 3


def test_rotation_keeps_the_old_secret_for_the_overlap(store: Store) -> None:
    ep = store.webhooks.create("acme", "https://hooks.example.com/x", ["*"], None, "", "whsec_b2xk")
    rotated = store.webhooks.rotate(ep.id, "acme", "whsec_bmV3", timedelta(hours=24))
    now = utcnow()
    assert rotated.signing_secrets(now) == ["whsec_bmV3", "whsec_b2xk"]
    assert rotated.signing_secrets(now + timedelta(hours=25)) == ["whsec_bmV3"]
