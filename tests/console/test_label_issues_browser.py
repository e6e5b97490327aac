"""The label-issues page in a real browser: a planted mislabeled sample shown, fixed in one click,
another dismissed; a fallback answer shown as one; a classify model's fallback settings saved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import LiveServer, free_port, server_env, tone_samples, wait_state
from .test_browser import CHROMIUM, _browser_page, shot, sync_api

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="run scripts/ensure-browser.sh for /usr/bin/chromium")

H = "acme.tone"


@pytest.fixture
def trained(tmp_path: Path) -> Iterator[tuple[LiveServer, str, dict[str, Any]]]:
    """A live server with a ready model in which one friendly sample is labeled curt."""
    home = tmp_path / "home"
    server = LiveServer(home=home, port=free_port(), env=server_env(home))
    server.start()
    try:
        secret = server.key("acme")
        samples = [{**s, "id": f"s{i}"} for i, s in enumerate(tone_samples(15))]
        planted = next(s for s in samples if s["label"] == "friendly")
        planted["label"] = "curt"
        with server.client(secret) as http:
            assert http.post("/v1/models", json={"handle": H, "task": "classify", "fallback_label": "out_of_scope",
                                                 "auto_retrain": {"enabled": True, "quiet_seconds": 0.5}}).status_code == 201
            assert http.post(f"/v1/models/{H}/samples", json={"samples": samples}).status_code == 200
            assert http.post(f"/v1/models/{H}/train", json={"effort": "low"}).status_code == 202
            wait_state(http, H, "ready", timeout=300)
        yield server, secret, planted
    finally:
        server.stop()


def test_relabel_and_dismiss_from_the_label_issues_page(trained: tuple[LiveServer, str, dict[str, Any]]) -> None:
    server, secret, planted = trained
    expect = sync_api.expect
    with _browser_page(server.url) as (page, problems):
        page.goto(server.url + "/console/sign-in")
        page.locator("#key").fill(secret)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Models", exact=True)).to_be_visible()
        page.goto(f"{server.url}/console/models/{H}")
        # A model with a fallback label says when it falls back.
        page.get_by_label("Texts, one per line").fill("qzxv blorptk fnarglwup zzyx")
        page.get_by_role("button", name="Predict").click()
        expect(page.locator(".predicted").first).to_have_text("out_of_scope")
        expect(page.get_by_text("(fallback: not sure)")).to_be_visible()
        page.get_by_role("link", name="Review likely label errors").click()
        expect(page.get_by_role("heading", name="Likely label errors")).to_be_visible()
        row = page.locator(f'#label-issues tr[data-sample="{planted["id"]}"]')
        expect(row).to_contain_text(planted["text"])
        expect(row.locator("td").nth(2)).to_have_text("curt")
        expect(row.locator("td").nth(3)).to_have_text("friendly")
        expect(row.locator("td").nth(5)).to_have_text("flagged")  # safe to relabel to the suggestion
        shot(page, "20-label-issues")

        row.get_by_role("button", name=f"Relabel {planted['id']} as friendly").click()
        expect(page.get_by_role("status").first).to_contain_text(f"Relabeled {planted['id']} as friendly")
        expect(page.locator(f'#label-issues tr[data-sample="{planted["id"]}"]')).to_have_count(0)

        others = page.locator("#label-issues tbody tr")
        if others.count():  # a reviewed sample whose label is right: dismissed, gone from the list
            other_id = others.first.get_attribute("data-sample")
            others.first.get_by_role("button", name=re.compile("^Dismiss")).click()
            expect(page.get_by_role("status").first).to_contain_text(f"Dismissed {other_id}")
            expect(page.locator(f'#label-issues tr[data-sample="{other_id}"]')).to_have_count(0)
        shot(page, "21-label-issues-reviewed")

        # The fallback settings of a classify model, saved from its settings page.
        page.goto(f"{server.url}/console/models/{H}/settings")
        page.get_by_label("Fallback label").fill("out_of_scope")
        page.get_by_label("Least fallback precision").fill("0.8")
        page.get_by_role("button", name="Save settings").click()
        expect(page.get_by_role("status").first).to_contain_text("Saved the settings")
        expect(page.locator(".facts")).to_contain_text("out_of_scope (precision ≥ 0.8)")
        shot(page, "22-fallback-setting")
        assert problems == []

    with server.client(secret) as http:
        stored = http.get(f"/v1/models/{H}/samples", params={"limit": 1000}).json()["items"]
        assert next(s for s in stored if s["id"] == planted["id"])["label"] == "friendly"
        assert http.get(f"/v1/models/{H}").json()["fallback_label"] == "out_of_scope"
