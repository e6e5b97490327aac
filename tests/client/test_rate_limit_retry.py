"""The SDK honours the server's Retry-After on 429 rate_limited (against the real limiter)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

import u22a8
from u22a8.server import create_app
from u22a8.settings import Settings

from .conftest import InProcessApp


def _limited_app(home: Path) -> InProcessApp:
    inproc = InProcessApp(home)
    inproc.app = create_app(Settings(home=home, rate_limit_writes="1/second"), with_executor=False)
    inproc.store = inproc.app.state.platform.store
    return inproc


def test_a_limited_write_is_retried_after_retry_after(tmp_path: Path) -> None:
    with _limited_app(tmp_path / "home") as inproc, inproc.client() as c:
        c.models.create("acme.first", "classify")
        t0 = time.perf_counter()
        c.models.create("acme.second", "classify")  # 429 with Retry-After, then the retry succeeds
        assert time.perf_counter() - t0 >= 0.2
        assert {m.handle for m in c.models.list()} == {"acme.first", "acme.second"}


def test_without_retries_the_429_surfaces(tmp_path: Path) -> None:
    with _limited_app(tmp_path / "home") as inproc, inproc.client(retry=1) as c:
        c.models.create("acme.first", "classify")
        with pytest.raises(u22a8.RateLimited):
            c.models.create("acme.second", "classify")
