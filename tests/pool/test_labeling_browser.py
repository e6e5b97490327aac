"""The labeling page in a real browser against a real server: keys label, "s" skips, screenshots.

Debian's chromium driven by Playwright (see tests/console/test_browser.py); screenshots land in
test-artifacts/console/ for a human to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import httpx

from ..conftest import LiveServer, free_port, server_env, tone_samples, wait_for, wait_state
from ..console.test_browser import CHROMIUM, _browser_page, shot

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="run scripts/ensure-browser.sh for /usr/bin/chromium")

POOL = ["thanks so much, lovely work on the refund", "no, the policy says refused", "sorry, our mistake with the card",
        "glad it worked, cheers", "denied: the account is closed", "apologies, we regret the delay",
        "thanks but sorry about the ticket", "never again, stop", "great, happy to help today"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    home = tmp_path / "home"
    live = LiveServer(home=home, port=free_port(), env=server_env(home))
    try:
        live.start()
    except RuntimeError as exc:
        # On a shared, loaded machine the first start can outlast start()'s minute: keep waiting.
        if "did not start" not in str(exc):
            raise
        wait_for(lambda: _healthy(live.url), timeout=300, interval=1)
    yield live
    live.stop()


def _healthy(url: str) -> bool:
    try:
        return httpx.get(url + "/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_labeling_with_the_keyboard(server: LiveServer) -> None:
    secret = server.key()
    with server.client(secret) as http:
        assert http.post("/v1/models", json={"handle": "acme.tone", "task": "classify", "auto_retrain": False}).status_code == 201
        assert http.post("/v1/models/acme.tone/samples", json={"samples": tone_samples(8)}).status_code == 200
        http.post("/v1/models/acme.tone/train", json={"effort": "low"}).raise_for_status()
        wait_state(http, "acme.tone", "ready", timeout=300)
        assert http.post("/v1/models/acme.tone/pool", json={"texts": POOL}).json()["pool_count"] == len(POOL)
        n_samples = http.get("/v1/models/acme.tone").json()["sample_count"]

        with _browser_page(server.url) as (page, problems):
            expect = sync_api.expect
            page.goto(server.url + "/console/sign-in")
            page.get_by_label("API key").fill(secret)
            page.keyboard.press("Enter")
            expect(page.get_by_role("heading", name="Models", exact=True)).to_be_visible()
            page.goto(server.url + "/console/models/acme.tone")
            page.get_by_role("link", name="Label next").click()
            expect(page.get_by_role("heading", name="What to label next")).to_be_visible()
            first = page.locator("#label-text").inner_text()
            assert first in POOL
            shot(page, "20-label-next")

            labels = page.locator(".label-buttons button")
            names = [b.inner_text() for b in labels.all()]
            assert len(names) == 3 and names[0].startswith("1")
            first_label = names[0].split(" ", 1)[1]
            page.wait_for_load_state("load")
            page.keyboard.press("1")  # stores the first label
            expect(page.locator(".flash")).to_contain_text(f'Stored as "{first_label}"', timeout=30_000)
            second = page.locator("#label-text").inner_text()
            assert second != first

            # The keys work once the page's deferred script has run: a key pressed while the new
            # page is still loading is lost (CI under load pressed it too early).
            page.wait_for_load_state("load")
            page.keyboard.press("s")  # skips
            expect(page).to_have_url(re.compile(r"skip="), timeout=30_000)
            third = page.locator("#label-text").inner_text()
            assert third not in (first, second)
            shot(page, "21-label-after-skip")
            assert problems == []

        samples = http.get("/v1/models/acme.tone/samples", params={"limit": 1000}).json()["items"]
        assert http.get("/v1/models/acme.tone").json()["sample_count"] == n_samples + 1
        assert {"text": first, "label": first_label} in [{"text": s["text"], "label": s["label"]} for s in samples]
        pool = [t["text"] for t in http.get("/v1/models/acme.tone/pool").json()["items"]]
        assert first not in pool and second in pool and len(pool) == len(POOL) - 1
        suggested = [s["text"] for s in http.get("/v1/models/acme.tone/suggestions").json()["items"]]
        assert first not in suggested and len(suggested) == len(set(suggested))
