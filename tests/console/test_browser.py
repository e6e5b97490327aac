"""End to end in a real browser against a real server: the console as a user drives it.

Debian's chromium, driven by Playwright's Python package; nothing downloads a browser.
Screenshots land in test-artifacts/console/ for a human to look at.
"""

from __future__ import annotations

import contextlib
import csv
import re
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ..conftest import ROOT, LiveServer, free_port, server_env, tone_samples

sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "console"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
TRAIN_TIMEOUT_MS = 90_000
MAX_BODY = 64 * 1024  # small, so the oversized-upload path is cheap to walk

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="run scripts/ensure-browser.sh for /usr/bin/chromium")


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The shared live server, with a small body limit."""
    home = tmp_path / "home"
    server = LiveServer(home=home, port=free_port(), env=server_env(home, U22A8_MAX_BODY_BYTES=str(MAX_BODY)))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def browser_page(live_server: LiveServer) -> Iterator[tuple[Any, list[str]]]:
    """A page whose requests may only reach the live server, and a list collecting its problems."""
    with _browser_page(live_server.url) as page_and_problems:
        yield page_and_problems


@contextlib.contextmanager
def _browser_page(base_url: str) -> Iterator[tuple[Any, list[str]]]:
    problems: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)

        def only_local(route: Any) -> None:
            # The console must work offline: any request leaving the server is a bug.
            if route.request.url.startswith(base_url):
                route.continue_()
            else:
                problems.append(f"external request: {route.request.url}")
                route.abort()

        page.route("**/*", only_local)
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        try:
            yield page, problems
        finally:
            context.close()
            browser.close()


# Checks any page of the console must pass: named controls, landmarks, one h1, a skip link.
_A11Y_PROBLEMS = """() => {
  const out = [];
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea, progress')) {
    if (!el.labels.length && !el.getAttribute('aria-label')) out.push('unlabelled ' + el.outerHTML.slice(0, 80));
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (!(el.getAttribute('aria-label') || el.textContent).trim()) out.push('nameless ' + el.outerHTML.slice(0, 80));
  }
  for (const sel of ['header', 'main#main', 'footer', 'a.skip-link[href="#main"]']) {
    if (!document.querySelector(sel)) out.push('missing ' + sel);
  }
  if (document.querySelectorAll('h1').length !== 1) out.push('not exactly one h1');
  return out;
}"""


def shot(page: Any, name: str) -> None:
    """Save a screenshot, and check the page's accessibility basics while we are here."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    assert page.evaluate(_A11Y_PROBLEMS) == [], name


def train_and_watch(page: Any, expect: Any, reoptimize: bool) -> None:
    """Start a low-effort search from the model page and follow its run page until it succeeds."""
    page.get_by_label("Effort").select_option("low")
    if reoptimize:
        page.get_by_label("Search parameters again").check()
    page.get_by_role("button", name="Start training").click()
    expect(page).to_have_url(re.compile(r"/runs/run_"))
    # Wait for any final state, so a failing run fails the test at once, with its error.
    expect(page.locator("#run-state")).to_have_text(re.compile("succeeded|failed|canceled"), timeout=TRAIN_TIMEOUT_MS)
    assert page.locator("#run-state").inner_text() == "succeeded", page.locator("#run-outcome").inner_text()
    expect(page.locator("#model-state")).to_have_text("ready")
    expect(page.locator("#run-status")).to_contain_text("version")
    expect(page.locator("#run-live")).to_contain_text("version")  # announced to screen readers too


def test_console_end_to_end(live_server: LiveServer, browser_page: tuple[Any, list[str]], tmp_path: Path) -> None:
    page, problems = browser_page
    expect = sync_api.expect
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    secret = live_server.key("acme")
    samples_csv = tmp_path / "tone.csv"
    with samples_csv.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["text", "label"])
        writer.writeheader()
        writer.writerows(tone_samples())

    # Sign in, with the keyboard: the skip link comes first, then the key field.
    page.goto(live_server.url + "/console")
    expect(page).to_have_url(re.compile(r"/console/sign-in"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"
    page.keyboard.press("Enter")  # follows the skip link: the next Tab lands in main content
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "key"
    shot(page, "01-sign-in")
    page.keyboard.type(secret)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Models", exact=True)).to_be_visible()

    # Create a model.
    page.get_by_label("Handle").fill("acme.support-tone")
    page.get_by_label("Task").select_option("classify")
    page.get_by_label("Description").fill("Tone of support replies")
    page.get_by_role("button", name="Create model").click()
    expect(page.get_by_role("status").first).to_contain_text("Created acme.support-tone")
    expect(page.locator("h1 .badge")).to_have_text("draft")

    # An oversized file is refused in the page before it is sent, in words, with focus on the field.
    upload = page.get_by_label("Upload a CSV file")
    big_csv = tmp_path / "big.csv"
    big_csv.write_text("text,label\n" + "a long line of text,friendly\n" * 4000)
    upload.set_input_files(str(big_csv))
    upload_error = page.locator("#upload-error")
    expect(upload_error).to_contain_text("uploads are limited to 64 KB a file")
    page.get_by_role("button", name="Upload samples", exact=True).click()
    expect(upload).to_be_focused()
    expect(upload).to_have_attribute("aria-invalid", "true")
    # Should the server refuse it anyway (a limit the page did not know), its 413 is read, not shown raw.
    page.evaluate("document.getElementById('upload-form').dataset.maxBytes = '0'")
    page.get_by_role("button", name="Upload samples", exact=True).click()
    expect(upload_error).to_contain_text(f"The server refused this upload as too large (the body is over {MAX_BODY}")
    expect(page).to_have_url(re.compile(r"/console/models/acme\.support-tone$"))
    shot(page, "02a-upload-too-large")

    # Upload samples from a CSV file (sent by upload.js), then page back and forth and filter them.
    upload.set_input_files(str(samples_csv))
    expect(upload_error).to_be_hidden()
    page.get_by_role("button", name="Upload samples", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text("60 added")
    first_page = page.locator("section:has(#samples-title) tbody tr td:first-child").all_inner_texts()
    page.get_by_role("link", name="Next page").click()
    page.get_by_role("link", name="Next page").click()
    page.get_by_role("link", name="Previous page").click()
    expect(page.get_by_role("link", name="First page")).to_be_hidden()  # page 2: "Previous" is the first page
    page.get_by_role("link", name="Previous page").click()
    expect(page.get_by_role("link", name="Previous page")).to_have_count(0)
    assert page.locator("section:has(#samples-title) tbody tr td:first-child").all_inner_texts() == first_page
    page.get_by_label("Show label").select_option("curt")
    page.get_by_role("button", name="Filter").click()
    rows = page.locator("section:has(#samples-title) tbody tr")
    expect(rows).to_have_count(20)
    assert set(rows.locator("td:nth-child(2)").all_inner_texts()) == {"curt"}
    shot(page, "02-model-draft")
    # Delete one sample: back on the same filtered page, one row fewer.
    doomed = rows.first.get_by_role("button").get_attribute("aria-label") or ""
    rows.first.get_by_role("button", name=re.compile(r"^Delete sample ")).click()
    expect(page.get_by_role("status").first).to_contain_text(doomed.replace("Delete sample ", "Deleted sample "))
    expect(rows).to_have_count(19)
    expect(page.get_by_label("Show label")).to_have_value("curt")

    # Train at low effort and watch the run page's live progress reach ready.
    train_and_watch(page, expect, reoptimize=False)
    assert int(page.locator("#trials-done").inner_text()) >= 1
    expect(page.locator("#trial-plot circle").first).to_be_attached()
    expect(page.locator("#trial-rows tr").first).to_be_attached()
    shot(page, "03-run-succeeded")

    # Predict from the model page.
    page.get_by_role("link", name="acme.support-tone").first.click()
    page.get_by_label("Texts, one per line").fill("thanks, wonderful and glad\nsorry, our mistake, apologies")
    page.get_by_role("button", name="Predict").click()
    predicted = page.locator(".result tbody tr td:nth-child(2)")
    expect(predicted).to_have_count(2)
    assert predicted.all_inner_texts() == ["friendly", "sorry"]
    shot(page, "04-model-ready-predict")

    # A second version with a fresh search, then roll back to the first.
    train_and_watch(page, expect, reoptimize=True)
    page.get_by_role("link", name="acme.support-tone").first.click()
    expect(page.locator(".row-active th")).to_contain_text("v2")
    page.get_by_role("button", name="Roll back to v1").click()
    expect(page.get_by_role("status").first).to_contain_text("Version 1 now serves predictions")
    expect(page.locator(".row-active th")).to_contain_text("v1")
    shot(page, "05-rolled-back")

    # The version report.
    page.get_by_role("link", name="v1", exact=True).first.click()
    expect(page.get_by_role("heading", name="Metrics")).to_be_visible()
    heat = page.locator("table.heatmap")
    expect(heat.locator("tbody tr")).to_have_count(3)  # friendly, curt, sorry
    expect(heat.locator("td.diag")).to_have_count(3)
    expect(page.get_by_role("heading", name="Per class")).to_be_visible()
    shot(page, "06-version-report")
    # The export downloads by cookie (the /v1 route wants a Bearer header a link cannot send).
    with page.expect_download() as fetched:
        page.get_by_role("link", name="Download v1 (.zip)").click()
    assert fetched.value.suggested_filename == "acme.support-tone-v1.u22a8.zip"
    assert Path(fetched.value.path()).read_bytes()[:2] == b"PK"

    # Settings: a label set leaving out labels in use is refused with the API's message.
    page.get_by_role("link", name="acme.support-tone").first.click()
    page.get_by_role("link", name="Edit settings").click()
    page.get_by_label("Closed label set").fill("friendly, curt")
    page.get_by_label("Description").fill("Tone of support replies, v2")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("alert")).to_contain_text("stored samples use labels outside the new set: sorry")
    expect(page.get_by_label("Closed label set")).to_be_focused()
    shot(page, "06a-settings-refused")
    page.get_by_label("Closed label set").fill("friendly, curt, sorry")
    page.get_by_label("Retrain when samples change").uncheck()
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved the settings")
    expect(page.locator(".lede")).to_have_text("Tone of support replies, v2")

    # Keys: create one (the secret shows once), then revoke it.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Keys").click()
    page.get_by_label("Name").fill("ci bot")
    page.get_by_role("button", name="Create key").click()
    secret_box = page.get_by_label("Secret")
    expect(secret_box).to_have_value(re.compile(r"^u22a8_"))
    shot(page, "07-key-created")
    page.get_by_role("link", name=re.compile(r"^Revoke key .*\(ci bot\)…$")).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Revoke key"))).to_be_visible()
    shot(page, "07a-revoke-confirm")
    page.get_by_role("button", name=re.compile(r"^Revoke key")).click()
    expect(page.get_by_role("status").first).to_contain_text("Revoked key")
    expect(page.locator("tr.row-revoked")).to_contain_text("ci bot")
    shot(page, "08-key-revoked")

    # Delete the model: only once its handle is typed.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Models").click()
    page.get_by_role("link", name="acme.support-tone").click()
    page.get_by_role("link", name="Delete this model…").click()
    page.get_by_label("Type acme.support-tone to confirm").fill("acme.support")
    page.get_by_role("button", name="Delete acme.support-tone").click()
    expect(page.get_by_role("alert")).to_contain_text("nothing was deleted")
    shot(page, "09-delete-model-confirm")
    page.get_by_label("Type acme.support-tone to confirm").fill("acme.support-tone")
    page.get_by_role("button", name="Delete acme.support-tone").click()
    expect(page.get_by_role("status").first).to_contain_text("Deleted acme.support-tone")
    expect(page.get_by_role("link", name="acme.support-tone")).to_have_count(0)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    # Chromium logs every 4xx answer; these three were asked for: the oversized upload (413), the
    # refused label set and the mistyped handle (422: forms coming back with their error).
    refused = [p for p in problems if re.fullmatch(r"console error: Failed to load resource: "
                                                   r"the server responded with a status of (413|422) .*", p)]
    assert len(refused) == 3 and [p for p in problems if p not in refused] == [], problems


@pytest.fixture
def app_server(tmp_path: Path) -> Iterator[tuple[str, Any]]:
    """The app in this process under uvicorn, without an executor: the test writes runs' progress
    into its store (real SQLite) as a worker would. Yields the base URL and the store."""
    import uvicorn

    from u22a8.server import create_app
    from u22a8.settings import Settings

    app = create_app(Settings(home=tmp_path / "home"), with_executor=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app.state.platform.store
    finally:
        server.should_exit = True
        thread.join(10)


def test_run_page_shows_the_phase_before_the_first_trial(app_server: tuple[str, Any]) -> None:
    """A max search fine-tunes MiniLM for minutes before its first trial: the page says so, as served
    and live (run.js), and drops it once the trials start."""
    base, store = app_server
    expect = sync_api.expect
    _, secret = store.keys.create("acme", ["read", "write", "train"])
    store.models.create("acme.tone", "classify", quiet_seconds=1.0)
    run = store.runs.enqueue_search("acme.tone", "max")
    assert store.runs.claim(run.id, "w1", 300) is not None
    snapshot = {"trials_planned": 40, "trials_done": 0, "best_score": None, "eta_seconds": 600.0}
    store.runs.progress(run.id, "w1", {**snapshot, "phase": "fine-tuning MiniLM: 120/940 steps"}, None)

    with _browser_page(base) as (page, problems):
        page.goto(base + "/console/sign-in")
        page.get_by_label("API key").fill(secret)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Models", exact=True)).to_be_visible()
        page.goto(f"{base}/console/models/acme.tone/runs/{run.id}")
        expect(page.locator("#phase")).to_have_text("fine-tuning MiniLM: 120/940 steps")
        expect(page.locator("#phase")).to_be_visible()
        expect(page.locator("#run-status")).to_contain_text("fine-tuning MiniLM: 120/940 steps")
        # Live: the next snapshot comes through the event stream.
        store.runs.progress(run.id, "w1", {**snapshot, "eta_seconds": 540.0,
                                           "phase": "fine-tuning MiniLM: 240/940 steps"}, None)
        expect(page.locator("#phase")).to_have_text("fine-tuning MiniLM: 240/940 steps")
        expect(page.locator("#run-status")).to_have_text(
            "Before the first trial: fine-tuning MiniLM: 240/940 steps, about 9 min 00 s left.")
        shot(page, "10-run-phase")
        # The first trial: the phase goes away.
        store.runs.progress(run.id, "w1", {**snapshot, "trials_done": 1, "best_score": 0.8, "eta_seconds": 300.0},
                            {"number": 0, "score": 0.8, "params": {"c": 1.0}, "elapsed": 2.0})
        expect(page.locator("#run-status")).to_contain_text("Trial 1 of 40 done")
        expect(page.locator("#phase-fact")).to_be_hidden()
        store.runs.finish(run.id, "w1", "canceled", error="canceled")
        expect(page.locator("#run-state")).to_have_text("canceled")
        page.reload()
        expect(page.locator("#phase-fact")).to_be_hidden()
        assert problems == []
