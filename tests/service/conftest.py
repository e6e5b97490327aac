"""A platform on a SQLite file, without an executor: the service's functions called directly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from u22a8.server import build_platform
from u22a8.service import ApiKey, Platform
from u22a8.settings import Settings

ALL_SCOPES = ["read", "write", "train", "admin"]


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    built = build_platform(Settings(home=tmp_path / "home", default_quiet_seconds=0.5), with_executor=False)
    built.store.upgrade()
    yield built
    built.store.close()


def make_key(platform: Platform, owner: str = "acme", scopes: list[str] = ALL_SCOPES) -> tuple[ApiKey, str]:
    return platform.store.keys.create(owner, list(scopes), f"{owner}-test")
