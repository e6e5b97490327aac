"""Pool and suggestions fixtures: the app in-process, and a real trained version made in the test.

The version is a real predictor (the engine's default configuration refitted on small data the
test writes), stored and promoted through the store like a worker would, so suggestions are
scored by the same code that serves them; no executor, no queue to wait for.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from u22a8 import engine
from u22a8.server import create_app
from u22a8.settings import Settings
from u22a8.store import NewVersion, Store

INTENTS = {
    "card_arrival": ["where is my new card", "my card has not arrived yet", "when will the card be delivered",
                     "card still not here after a week", "how long does card delivery take",
                     "tracking my card delivery", "the card never came in the post", "is my card on its way"],
    "refund": ["i want my money back", "please refund this purchase", "how do i get a refund",
               "refund the wrong charge", "money back for the cancelled order", "the refund is missing",
               "when will my refund arrive", "return the item and refund me"],
    "pin_blocked": ["my pin is blocked", "i entered the wrong pin three times", "unblock my pin please",
                    "pin locked at the atm", "cannot use card pin blocked", "how to reset a blocked pin",
                    "forgot my pin and now it is locked", "the machine blocked my pin"],
}

POOL = [
    "has my card been posted", "card delivery is late", "i would like a refund for the shoes",
    "refund or card, not sure which", "the atm kept my pin and my card", "where is my refund and my card",
    "pin or refund question", "can you send the card again", "my pin stopped working",
    "weather is nice today", "what is the exchange rate", "i lost the card you sent",
    "DELIVERY of card late", "delivery of card late!",
]


def labeled_samples() -> list[dict[str, str]]:
    return [{"text": t, "label": label} for label, texts in INTENTS.items() for t in texts]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", default_quiet_seconds=60, max_samples_per_request=100)


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, with_executor=False), follow_redirects=False) as client:
        yield client


def store_of(client: TestClient) -> Store:
    return client.app.state.platform.store  # type: ignore[attr-defined,no-any-return]


def auth(client: TestClient, owner: str = "acme",
         scopes: tuple[str, ...] = ("read", "write", "train", "admin")) -> dict[str, str]:
    _, secret = store_of(client).keys.create(owner, list(scopes))
    return {"Authorization": f"Bearer {secret}"}


def train_version(client: TestClient | Store, handle: str) -> int:
    """Fit the engine's default on the model's samples and promote it, as a worker's run would."""
    store = client if isinstance(client, Store) else store_of(client)
    model = store.models.get(handle)
    samples = store.samples.training_set(model.id)
    data = engine.Dataset("classify", [s.text for s in samples], [s.target["label"] for s in samples])
    result = engine.search(data, "low", time_limit_seconds=3)
    run = store.runs.enqueue_search(handle, "low")
    assert store.runs.claim(run.id, "test-worker", 30) is not None
    key = f"{handle}/{run.id}.u22a8"
    sha = store.artifacts.put(key, result.artifact)
    store.runs.finish(run.id, "test-worker", "succeeded", decision="first version", cpu_seconds=0.1, promote=True,
                      version=NewVersion(params=result.params, metrics=result.metrics, report={},
                                         sample_ids=[s.id for s in samples], artifact_key=key, artifact_sha256=sha))
    active = store.models.active_version(handle)
    assert active is not None
    return active.number


def ready_model(client: TestClient, headers: dict[str, str], handle: str = "acme.intents") -> dict[str, Any]:
    """A classify model with labeled samples, a real active version, and POOL in its pool."""
    assert client.post("/v1/models", json={"handle": handle, "task": "classify"}, headers=headers).status_code == 201
    r = client.post(f"/v1/models/{handle}/samples", json={"samples": labeled_samples()}, headers=headers)
    assert r.status_code == 200, r.text
    train_version(client, handle)
    r = client.post(f"/v1/models/{handle}/pool", json={"texts": [{"text": t} for t in POOL]}, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()
