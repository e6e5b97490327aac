"""The console's webhook pages in a real browser (Debian's chromium through Playwright) against a
real server, with a real receiver on loopback."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks import Webhook

from ..conftest import LiveServer, free_port, server_env, wait_for
from ..console.test_browser import CHROMIUM, _browser_page, shot
from .receiver import running_receiver

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="run scripts/ensure-browser.sh for /usr/bin/chromium")


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    home = tmp_path / "home"
    server = LiveServer(home=home, port=free_port(), env=server_env(home, U22A8_WEBHOOKS_ALLOW_PRIVATE="true"))
    server.start()
    yield server
    server.stop()


def test_console_webhook_page_shows_deliveries(live_server: LiveServer) -> None:
    expect = sync_api.expect
    secret = live_server.key("acme")
    with running_receiver() as receiver, _browser_page(live_server.url) as (page, problems):
        page.goto(live_server.url + "/console/sign-in")
        page.get_by_label("API key").fill(secret)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Models", exact=True)).to_be_visible()

        page.get_by_role("link", name="Webhooks").click()
        expect(page.get_by_role("heading", name="Webhooks", exact=True)).to_be_visible()
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Description").fill("ops receiver")
        page.get_by_label("run.succeeded").check()
        page.get_by_role("button", name="Add endpoint").click()
        signing_secret = page.locator("#new-secret").input_value()
        assert signing_secret.startswith("whsec_")
        shot(page, "webhooks-01-created")

        page.get_by_role("link", name="Open the endpoint").click()
        expect(page.locator("h1")).to_have_text(receiver.url)
        page.get_by_role("button", name="Send a ping").click()
        expect(page.get_by_role("status").first).to_contain_text("Ping queued")
        wait_for(lambda: receiver.received, timeout=20)
        got = receiver.received[0]
        assert Webhook(signing_secret).verify(got.body, got.headers)["type"] == "ping"

        def delivered() -> bool:
            page.reload()
            return "succeeded" in page.locator("#deliveries tbody tr").first.inner_text()

        wait_for(delivered, timeout=20, interval=0.5)
        row = page.locator("#deliveries tbody tr").first
        expect(row).to_contain_text("ping")
        expect(row).to_contain_text("200")
        shot(page, "webhooks-02-deliveries")

        # Retry by hand: the same message again.
        row.get_by_role("button", name=re.compile("Retry delivery")).click()
        expect(page.get_by_role("status").first).to_contain_text("due again")
        wait_for(lambda: len(receiver.received) == 2, timeout=20)
        assert receiver.received[1].headers["webhook-id"] == got.headers["webhook-id"]
        assert problems == []
