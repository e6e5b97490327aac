from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from u22a8.server import create_app
from u22a8.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", max_text_chars=20_000, default_quiet_seconds=0.5)


@pytest.fixture
def app_client(settings: Settings) -> Iterator[TestClient]:
    """The app in-process on a real SQLite file, without an executor (runs stay queued)."""
    with TestClient(create_app(settings, with_executor=False)) as client:
        yield client


def make_key(client: TestClient, owner: str = "acme", scopes: tuple[str, ...] = ("read", "write", "train", "admin")) -> dict[str, str]:
    store = client.app.state.platform.store  # type: ignore[attr-defined]
    _, secret = store.keys.create(owner, list(scopes))
    return {"Authorization": f"Bearer {secret}"}
