"""The console obeys the API's rules: sign-in cookie, CSRF, scopes, 404 for other owners' models."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from u22a8.server import create_app
from u22a8.settings import Settings

from .conftest import TONE_CSV, csrf_of, fake_version, follow, make_key, sign_in, store_of


def test_pages_need_a_signed_in_key(client: TestClient) -> None:
    r = client.get("/console/models/acme.x?label=a")
    assert r.status_code == 303
    assert r.headers["location"] == "/console/sign-in?next=/console/models/acme.x%3Flabel%3Da"
    assert client.get("/console").headers["location"] == "/console/models"


def test_sign_in_sets_a_strict_httponly_cookie_and_sign_out_clears_it(client: TestClient) -> None:
    secret = make_key(client)
    page = client.get("/console/sign-in")
    pre = re.search(r'name="pre" value="([^"]+)"', page.text)
    assert pre
    r = client.post("/console/sign-in", data={"key": secret, "pre": pre.group(1), "next": "/console/keys"})
    assert r.status_code == 303 and r.headers["location"] == "/console/keys"
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "u22a8_console_session" in v)
    assert "HttpOnly" in cookie and "Path=/console" in cookie and "samesite=strict" in cookie.lower()
    csrf = csrf_of(client.get("/console/models").text)
    out = client.post("/console/sign-out", data={"csrf": csrf})
    assert out.status_code == 303
    assert client.get("/console/models").status_code == 303  # signed out: back to the sign-in page


def test_sign_in_refuses_bad_keys_missing_tokens_and_open_redirects(client: TestClient) -> None:
    secret = make_key(client)
    page = client.get("/console/sign-in")
    pre = re.search(r'name="pre" value="([^"]+)"', page.text)
    assert pre
    bad = client.post("/console/sign-in", data={"key": "u22a8_nope", "pre": pre.group(1)})
    assert bad.status_code == 401 and "unknown or revoked" in bad.text
    no_token = client.post("/console/sign-in", data={"key": secret, "pre": "0" * 32})
    assert no_token.status_code == 403 and "expired" in no_token.text
    for target in ("https://evil.example/console/x", "//evil.example/console/x", "/console/../v1/keys", "/elsewhere"):
        r = client.post("/console/sign-in", data={"key": secret, "pre": pre.group(1), "next": target})
        assert r.headers["location"] == "/console/models", target


def test_form_posts_need_the_session_csrf_token(client: TestClient) -> None:
    csrf = sign_in(client, make_key(client))
    form = {"handle": "acme.tone", "task": "classify", "labels": "", "description": ""}
    assert client.post("/console/models", data=form).status_code == 403
    assert client.post("/console/models", data={**form, "csrf": "f" * 40}).status_code == 403
    foreign = client.post("/console/models", data={**form, "csrf": csrf}, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert store_of(client).models.list(["acme"]) == []
    behind_proxy = {"Origin": "https://console.acme.example", "X-Forwarded-Host": "console.acme.example"}
    proxied = client.post("/console/models", data={**form, "handle": "acme.proxied", "csrf": csrf},
                          headers=behind_proxy)
    assert proxied.status_code == 303  # behind a proxy that rewrites Host
    made = follow(client, client.post("/console/models", data={**form, "csrf": csrf}))
    assert made.status_code == 200 and "Created acme.tone" in made.text


def test_the_token_belongs_to_one_session(client: TestClient) -> None:
    first = sign_in(client, make_key(client))
    second = sign_in(client, make_key(client))
    assert first != second
    r = client.post("/console/models", data={"handle": "acme.a", "task": "classify", "csrf": first})
    assert r.status_code == 403


def test_other_owners_models_are_404_everywhere(client: TestClient) -> None:
    store_of(client).models.create("globex.secret", "classify", quiet_seconds=1)
    csrf = sign_in(client, make_key(client, "acme"))
    missing = client.get("/console/models/acme.nothing-here")
    hidden = client.get("/console/models/globex.secret")
    assert hidden.status_code == missing.status_code == 404
    assert "globex.secret" not in client.get("/console/models").text
    for path in ("/train", "/predict", "/versions/1/activate", "/runs/run_x/cancel"):
        assert client.post(f"/console/models/globex.secret{path}", data={"csrf": csrf}).status_code == 404
    assert client.get("/console/models/globex.secret/runs/run_x").status_code == 404
    assert client.get("/console/models/globex.secret/runs/run_x/events").status_code == 404
    assert client.get("/console/models/globex.secret/versions/1").status_code == 404
    assert client.get("/console/models/..%2F..%2Fetc").status_code == 404


def test_platform_models_are_readable_but_not_writable(client: TestClient) -> None:
    store_of(client).models.create("u22a8.shared", "classify", quiet_seconds=1)
    csrf = sign_in(client, make_key(client, "acme"))
    page = client.get("/console/models/u22a8.shared")
    assert page.status_code == 200 and "Upload a CSV" not in page.text and "Start training" not in page.text
    files = {"file": ("s.csv", TONE_CSV, "text/csv")}
    assert client.post("/console/models/u22a8.shared/samples", data={"csrf": csrf}, files=files).status_code == 404


def test_scopes_limit_what_a_key_may_do(client: TestClient) -> None:
    store_of(client).models.create("acme.tone", "classify", quiet_seconds=1)
    csrf = sign_in(client, make_key(client, "acme", ("read",)))
    page = client.get("/console/models/acme.tone")
    assert page.status_code == 200 and "cannot train this model" in page.text
    denied = client.post("/console/models/acme.tone/train", data={"csrf": csrf, "effort": "low"})
    assert denied.status_code == 403 and "lacks the &#39;train&#39; scope" in denied.text
    assert client.get("/console/keys").status_code == 403
    create = client.post("/console/models", data={"csrf": csrf, "handle": "acme.b", "task": "classify"})
    assert create.status_code == 403


def test_input_errors_come_back_as_readable_messages(client: TestClient) -> None:
    store_of(client).models.create("acme.tone", "classify", labels=["friendly", "curt"], quiet_seconds=1)
    csrf = sign_in(client, make_key(client))
    bad_csv = "text,label\nhello,friendly\n,curt\nhi,unknown\n"
    page = follow(client, client.post("/console/models/acme.tone/samples", data={"csrf": csrf},
                                      files={"file": ("bad.csv", bad_csv, "text/csv")}))
    assert "2 bad sample(s), nothing stored" in page.text and 'role="alert"' in page.text
    assert store_of(client).models.get("acme.tone").sample_count == 0
    page = follow(client, client.post("/console/models/acme.tone/train", data={"csrf": csrf, "effort": "low"}))
    assert "cannot be trained yet" in page.text
    for handle, message in (("Bad Handle", "handle must be owner.name"), ("acme.tone", "already exists")):
        page = follow(client, client.post("/console/models", data={"csrf": csrf, "handle": handle, "task": "classify"}))
        assert message in page.text
    r = client.post("/console/models/acme.tone/predict", data={"csrf": csrf, "inputs": "hello"})
    assert r.status_code == 409 and "no trained version yet" in r.text


def test_upload_train_report_rollback_and_events(client: TestClient) -> None:
    store_of(client).models.create("acme.tone", "classify", quiet_seconds=1)
    csrf = sign_in(client, make_key(client))
    page = follow(client, client.post("/console/models/acme.tone/samples", data={"csrf": csrf},
                                      files={"file": ("tone.csv", TONE_CSV, "text/csv")}))
    assert "8 added" in page.text
    filtered = client.get("/console/models/acme.tone?label=curt")
    assert filtered.text.count("denied the order") == 2 and "thanks the order" not in filtered.text
    first = client.get("/console/models/acme.tone?label=friendly")
    assert "Next page" not in first.text

    queued = client.post("/console/models/acme.tone/train", data={"csrf": csrf, "effort": "low"})
    assert queued.status_code == 303 and "/runs/run_" in queued.headers["location"]
    run_path = queued.headers["location"]
    assert "Cancel this run" in client.get(run_path).text
    canceled = follow(client, client.post(f"{run_path}/cancel", data={"csrf": csrf}))
    assert "Canceled." in canceled.text and "badge-run-canceled" in canceled.text

    metrics = {"primary": 0.9, "primary_name": "macro_f1", "accuracy": 0.92,
               "confusion": {"labels": ["curt", "friendly"], "matrix": [[3, 1], [0, 4]]},
               "per_class": {"curt": {"precision": 1.0, "recall": 0.75, "f1": 0.857, "support": 4},
                             "friendly": {"precision": 0.8, "recall": 1.0, "f1": 0.889, "support": 4}}}
    run1 = fake_version(client, "acme.tone", metrics)
    fake_version(client, "acme.tone", {**metrics, "primary": 0.95})
    report = client.get("/console/models/acme.tone/versions/1")
    assert report.status_code == 200
    assert "heat-7 diag" in report.text and "75%" in report.text  # 3 of 4 curt samples right
    assert "0.857" in report.text and "macro f1 <span class=\"small\">(optimised)" in report.text
    model_page = client.get("/console/models/acme.tone")
    assert "Roll back to v1" in model_page.text
    done = follow(client, client.post("/console/models/acme.tone/versions/1/activate", data={"csrf": csrf}))
    assert "Version 1 now serves predictions" in done.text
    assert store_of(client).models.get("acme.tone").active_version.number == 1  # type: ignore[union-attr]

    events = client.get(f"/console/models/acme.tone/runs/{run1}/events")
    assert events.headers["content-type"].startswith("text/event-stream")
    assert "event: progress" in events.text and '"score": 0.8' in events.text and "event: succeeded" in events.text
    run_page = client.get(f"/console/models/acme.tone/runs/{run1}")
    assert run_page.status_code == 200 and 'aria-live="polite"' in run_page.text


def test_run_page_serves_the_phase_while_it_is_set(client: TestClient) -> None:
    store = store_of(client)
    store.models.create("acme.tone", "classify", quiet_seconds=1)
    sign_in(client, make_key(client))
    run = store.runs.enqueue_search("acme.tone", "max")
    assert store.runs.claim(run.id, "test-worker", 30) is not None
    snapshot = {"trials_planned": 40, "trials_done": 0, "best_score": None, "eta_seconds": 600.0}
    store.runs.progress(run.id, "test-worker", {**snapshot, "phase": "fine-tuning MiniLM: 120/940 steps"}, None)
    page = client.get(f"/console/models/acme.tone/runs/{run.id}").text
    assert '<div id="phase-fact"><dt>Phase</dt><dd id="phase">fine-tuning MiniLM: 120/940 steps</dd></div>' in page
    assert "Before the first trial: fine-tuning MiniLM: 120/940 steps." in page
    store.runs.progress(run.id, "test-worker", {**snapshot, "trials_done": 1, "best_score": 0.8},
                        {"number": 0, "score": 0.8, "params": {}, "elapsed": 1.0})
    page = client.get(f"/console/models/acme.tone/runs/{run.id}").text
    assert '<div id="phase-fact" hidden>' in page and "fine-tuning" not in page


def test_keys_page_shows_a_secret_once_and_revokes(client: TestClient) -> None:
    csrf = sign_in(client, make_key(client))
    created = client.post("/console/keys", data={"csrf": csrf, "name": "ci", "scopes": ["read", "train"]})
    assert created.status_code == 200 and created.headers["cache-control"] == "no-store"
    secret = re.search(r'id="new-secret"[^>]*value="(u22a8_[^"]+)"', created.text)
    assert secret and store_of(client).keys.authenticate(secret.group(1)) is not None
    listing = client.get("/console/keys")
    assert secret.group(1) not in listing.text and "ci" in listing.text
    new_id = next(k.id for k in store_of(client).keys.list("acme") if k.name == "ci")
    bearer = {"Authorization": f"Bearer {secret.group(1)}"}
    assert client.get("/v1/models", headers=bearer).status_code == 200  # the API now has it cached
    done = follow(client, client.post(f"/console/keys/{new_id}/revoke", data={"csrf": csrf}))
    assert "Revoked key" in done.text
    assert store_of(client).keys.authenticate(secret.group(1)) is None
    assert client.get("/v1/models", headers=bearer).status_code == 401  # and stops at once
    other = client.post("/console/keys", data={"csrf": csrf, "owner": "globex", "scopes": ["read"]})
    assert other.status_code == 404


def test_revoking_the_sessions_own_key_signs_it_out(client: TestClient) -> None:
    secret = make_key(client)
    csrf = sign_in(client, secret)
    own = store_of(client).keys.authenticate(secret)
    assert own is not None
    r = client.post(f"/console/keys/{own.id}/revoke", data={"csrf": csrf})
    assert r.headers["location"] == "/console/sign-in"
    assert client.get("/console/models").status_code == 303


def test_every_asset_is_served_by_u22a8(client: TestClient) -> None:
    sign_in(client, make_key(client))
    html = client.get("/console/models").text
    assert "Content-Security-Policy" in client.get("/console/models").headers
    urls = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert urls and all(u.startswith("/") or u.startswith("#") for u in urls), urls
    for url in (u for u in urls if "/static/" in u):
        assert client.get(url).status_code == 200
    assert client.get("/console/static/nope.js").status_code == 404
    assert not any(r.startswith("/console") for r in client.get("/openapi.json").json()["paths"])


def _href(html: str, text: str) -> str | None:
    """The address of the link with this text (HTML entities undone), or None."""
    found = re.search(r'<a href="([^"]+)"[^>]*>' + re.escape(text) + "</a>", html)
    return found.group(1).replace("&amp;", "&") if found else None


def _sample_ids(html: str) -> list[str]:
    return re.findall(r'name="id" value="([^"]+)"', html)


def test_deleting_a_sample_needs_csrf_and_write_scope_and_comes_back_to_the_page(client: TestClient) -> None:
    store = store_of(client)
    store.models.create("acme.tone", "classify", quiet_seconds=1)
    store.models.create("globex.secret", "classify", quiet_seconds=1)
    reader = make_key(client, "acme", ("read",))
    csrf = sign_in(client, make_key(client))
    rows = "\n".join(f"n/{i},text {i},{'curt' if i % 2 else 'friendly'}" for i in range(60))
    follow(client, client.post("/console/models/acme.tone/samples", data={"csrf": csrf},
                               files={"file": ("s.csv", "id,text,label\n" + rows, "text/csv")}))
    page = client.get("/console/models/acme.tone?label=curt")
    ids = _sample_ids(page.text)
    assert len(ids) == 25 and ids[0] == "n/1" and 'aria-label="Delete sample n/1"' in page.text
    second = client.get(_href(page.text, "Next page") or "")
    form = {"csrf": csrf, "id": _sample_ids(second.text)[0], "after": re.search(
        r'name="after" value="(\d+)"', second.text).group(1), "back": "", "label": "curt"}  # type: ignore[union-attr]

    assert client.post("/console/models/acme.tone/samples/delete", data={**form, "csrf": ""}).status_code == 403
    done = client.post("/console/models/acme.tone/samples/delete", data=form)
    assert done.headers["location"] == f"/console/models/acme.tone?label=curt&after={form['after']}"
    shown = client.get(done.headers["location"])
    assert "Deleted sample n/51." in shown.text and 'value="n/51"' not in shown.text
    assert store.models.get("acme.tone").sample_count == 59
    again = follow(client, client.post("/console/models/acme.tone/samples/delete", data=form))
    assert "no sample &#39;n/51&#39;" in again.text and 'role="alert"' in again.text

    hidden = client.post("/console/models/globex.secret/samples/delete", data={**form, "id": "x"})
    assert hidden.status_code == 404
    sign_in(client, reader)
    read_page = client.get("/console/models/acme.tone")
    assert "Delete sample" not in read_page.text and "Edit settings" not in read_page.text
    csrf = csrf_of(read_page.text)
    denied = client.post("/console/models/acme.tone/samples/delete", data={**form, "csrf": csrf, "id": "n/0"})
    assert denied.status_code == 403 and store.models.get("acme.tone").sample_count == 59


def test_sample_pages_go_back_through_a_cursor_stack(client: TestClient) -> None:
    store_of(client).models.create("acme.tone", "classify", quiet_seconds=1)
    csrf = sign_in(client, make_key(client))
    rows = "\n".join(f"text {i},{'curt' if i % 3 else 'friendly'}" for i in range(90))
    follow(client, client.post("/console/models/acme.tone/samples", data={"csrf": csrf},
                               files={"file": ("s.csv", "text,label\n" + rows, "text/csv")}))
    pages = [client.get("/console/models/acme.tone?label=curt")]  # 60 curt samples: 25 + 25 + 10
    assert _href(pages[0].text, "Previous page") is None and _href(pages[0].text, "First page") is None
    while (nxt := _href(pages[-1].text, "Next page")) is not None:
        assert "label=curt" in nxt
        pages.append(client.get(nxt))
    assert len(pages) == 3 and len(_sample_ids(pages[2].text)) == 10
    back_to_2 = client.get(_href(pages[2].text, "Previous page") or "")
    assert _sample_ids(back_to_2.text) == _sample_ids(pages[1].text)
    assert _href(pages[2].text, "First page") == "/console/models/acme.tone?label=curt"
    back_to_1 = client.get(_href(back_to_2.text, "Previous page") or "")
    assert _sample_ids(back_to_1.text) == _sample_ids(pages[0].text)
    assert _href(back_to_2.text, "First page") is None  # it would repeat "Previous page"
    tampered = client.get("/console/models/acme.tone?after=3&back=1,x")
    assert tampered.status_code == 200 and _href(tampered.text, "Previous page") == "/console/models/acme.tone"


def test_model_settings_use_the_patch_routes_rules(client: TestClient) -> None:
    store = store_of(client)
    store.models.create("acme.tone", "classify", labels=["friendly", "curt", "sorry"], quiet_seconds=1)
    store.models.create("acme.rating", "score", quiet_seconds=1)
    secret = make_key(client)
    csrf = sign_in(client, secret)
    follow(client, client.post("/console/models/acme.tone/samples", data={"csrf": csrf},
                               files={"file": ("tone.csv", TONE_CSV, "text/csv")}))
    page = client.get("/console/models/acme.tone/settings")
    assert page.status_code == 200 and 'value="friendly, curt, sorry"' in page.text and "checked" in page.text
    assert 'for="labels"' in page.text and 'for="quiet_seconds"' in page.text
    assert "Closed label set" not in client.get("/console/models/acme.rating/settings").text

    form = {"csrf": csrf, "description": "Tone of replies", "labels": "friendly, curt", "quiet_seconds": "30"}
    saved = follow(client, client.post("/console/models/acme.tone/settings", data=form))
    assert "Saved the settings of acme.tone." in saved.text and "off" in saved.text
    model = store.models.get("acme.tone")
    assert (model.description, model.labels, model.auto_retrain, model.quiet_seconds) == (
        "Tone of replies", ["friendly", "curt"], False, 30.0)

    # The label set may not leave out labels in use: the API's own message, on the form as typed.
    api = client.patch("/v1/models/acme.tone", json={"labels": ["friendly"]},
                       headers={"Authorization": f"Bearer {secret}"})
    assert api.status_code == 422
    refused = client.post("/console/models/acme.tone/settings", data={**form, "labels": "friendly",
                                                                      "auto_retrain": "1"})
    assert refused.status_code == 422 and api.json()["detail"] in refused.text
    assert 'role="alert"' in refused.text and re.search(r'id="labels"[^>]*aria-invalid="true"', refused.text)
    assert 'value="friendly"' in refused.text and store.models.get("acme.tone").labels == ["friendly", "curt"]
    for quiet, message in (("soon", "enter a number of seconds"), ("-1", "greater than or equal to 0")):
        bad = client.post("/console/models/acme.tone/settings", data={**form, "quiet_seconds": quiet})
        assert bad.status_code == 422 and message in bad.text
        assert re.search(r'id="quiet_seconds"[^>]*aria-invalid="true"', bad.text)
    opened = follow(client, client.post("/console/models/acme.tone/settings",
                                        data={**form, "labels": "", "auto_retrain": "1", "quiet_seconds": ""}))
    assert "<dd>open set</dd>" in opened.text and "on, after 30 s quiet" in opened.text
    assert store.models.get("acme.tone").labels is None
    assert client.post("/console/models/acme.tone/settings", data={**form, "csrf": "x"}).status_code == 403

    store.models.create("globex.secret", "classify", quiet_seconds=1)
    assert client.get("/console/models/globex.secret/settings").status_code == 404
    assert client.post("/console/models/globex.secret/settings", data=form).status_code == 404
    csrf = sign_in(client, make_key(client, "acme", ("read", "train")))
    assert client.get("/console/models/acme.tone/settings").status_code == 403
    assert client.post("/console/models/acme.tone/settings", data={**form, "csrf": csrf}).status_code == 403


def test_deleting_a_model_asks_for_its_handle(client: TestClient) -> None:
    store = store_of(client)
    store.models.create("acme.tone", "classify", quiet_seconds=1)
    store.models.create("globex.secret", "classify", quiet_seconds=1)
    csrf = sign_in(client, make_key(client))
    follow(client, client.post("/console/models/acme.tone/samples", data={"csrf": csrf},
                               files={"file": ("tone.csv", TONE_CSV, "text/csv")}))
    page = client.get("/console/models/acme.tone/delete")
    assert page.status_code == 200 and "8 samples" in page.text and 'for="confirm"' in page.text
    wrong = client.post("/console/models/acme.tone/delete", data={"csrf": csrf, "confirm": "acme.ton"})
    assert wrong.status_code == 422 and "nothing was deleted" in wrong.text and 'aria-invalid="true"' in wrong.text
    assert client.post("/console/models/acme.tone/delete", data={"confirm": "acme.tone"}).status_code == 403
    assert store.models.get("acme.tone").sample_count == 8
    assert client.get("/console/models/globex.secret/delete").status_code == 404
    hidden = client.post("/console/models/globex.secret/delete", data={"csrf": csrf, "confirm": "globex.secret"})
    assert hidden.status_code == 404 and store.models.get("globex.secret")

    done = client.post("/console/models/acme.tone/delete", data={"csrf": csrf, "confirm": " acme.tone "})
    assert done.headers["location"] == "/console/models"
    listing = client.get("/console/models")
    assert "Deleted acme.tone, with its samples, versions and runs." in listing.text
    assert client.get("/console/models/acme.tone").status_code == 404

    store.models.create("acme.kept", "classify", quiet_seconds=1)
    csrf = sign_in(client, make_key(client, "acme", ("read", "train")))
    assert client.get("/console/models/acme.kept/delete").status_code == 403
    assert client.post("/console/models/acme.kept/delete", data={"csrf": csrf, "confirm": "acme.kept"}).status_code == 403


def test_version_export_downloads_the_api_file_by_cookie(client: TestClient) -> None:
    import io
    import zipfile

    store = store_of(client)
    store.models.create("acme.tone", "classify", quiet_seconds=1)
    store.models.create("globex.secret", "classify", quiet_seconds=1)
    fake_version(client, "acme.tone", {"primary": 0.9})
    fake_version(client, "globex.secret", {"primary": 0.9})
    secret = make_key(client, "acme", ("read",))
    anonymous = client.get("/console/models/acme.tone/versions/1/export")
    assert anonymous.status_code == 303 and "/console/sign-in" in anonymous.headers["location"]
    sign_in(client, secret)
    page = client.get("/console/models/acme.tone")
    assert 'href="/console/models/acme.tone/versions/1/export" download' in page.text
    assert "/versions/1/export" in client.get("/console/models/acme.tone/versions/1").text
    got = client.get("/console/models/acme.tone/versions/1/export")
    api = client.get("/v1/models/acme.tone/versions/1/export", headers={"Authorization": f"Bearer {secret}"})
    assert got.status_code == api.status_code == 200
    assert got.headers["content-type"] == api.headers["content-type"] == "application/zip"
    assert got.headers["content-disposition"] == api.headers["content-disposition"]
    assert got.headers["cache-control"] == "no-store"
    with zipfile.ZipFile(io.BytesIO(got.content)) as a, zipfile.ZipFile(io.BytesIO(api.content)) as b:
        assert {n: a.read(n) for n in a.namelist()} == {n: b.read(n) for n in b.namelist()}  # zip dates differ
    assert client.get("/console/models/globex.secret/versions/1/export").status_code == 404
    missing = client.get("/console/models/acme.tone/versions/9/export")
    assert missing.status_code == 404 and "text/html" in missing.headers["content-type"]


def test_revoking_a_key_asks_first(client: TestClient) -> None:
    secret = make_key(client)
    store = store_of(client)
    other, _ = store.keys.create("acme", ["read"], name="ci bot")
    foreign, _ = store.keys.create("globex", ["read"], name="theirs")
    csrf = sign_in(client, secret)
    listing = client.get("/console/keys")
    assert f'href="/console/keys/{other.id}/revoke"' in listing.text
    assert f'action="/console/keys/{other.id}/revoke"' not in listing.text  # no one-click revoke
    confirm = client.get(f"/console/keys/{other.id}/revoke")
    assert confirm.status_code == 200 and "ci bot" in confirm.text and "cannot be undone" in confirm.text
    assert "signed in with" not in confirm.text
    assert store.keys.authenticate(secret) is not None  # looking is not revoking
    own = store.keys.authenticate(secret)
    assert own is not None and "signs you out" in client.get(f"/console/keys/{own.id}/revoke").text
    assert client.get(f"/console/keys/{foreign.id}/revoke").status_code == 404
    assert client.get("/console/keys/key_nope/revoke").status_code == 404
    follow(client, client.post(f"/console/keys/{other.id}/revoke", data={"csrf": csrf}))
    again = client.get(f"/console/keys/{other.id}/revoke")
    assert "already revoked" in again.text and 'method="post"' not in again.text.split("<main")[1]
    sign_in(client, make_key(client, "acme", ("read", "write")))
    assert client.get(f"/console/keys/{other.id}/revoke").status_code == 403


def test_oversized_uploads_are_caught_in_the_page(tmp_path: Path) -> None:
    """The body limit answers 413 before the console runs; the page checks sizes and reads that answer."""
    settings = Settings(home=tmp_path / "home", max_body_bytes=4096)
    with TestClient(create_app(settings, with_executor=False), follow_redirects=False) as small:
        store_of(small).models.create("acme.tone", "classify", quiet_seconds=1)
        csrf = sign_in(small, make_key(small))
        page = small.get("/console/models/acme.tone")
        assert 'data-max-bytes="4096"' in page.text and "Up to 4 KB a file" in page.text
        script = re.search(r'src="(/console/static/upload\.js\?v=\w+)"', page.text)
        assert script and "problem" not in small.get(script.group(1)).headers["content-type"]
        big = small.post("/console/models/acme.tone/samples", data={"csrf": csrf},
                         files={"file": ("big.csv", "text,label\n" + "x,y\n" * 2000, "text/csv")})
        # What upload.js turns into a sentence: the middleware's problem, with a detail to show.
        assert big.status_code == 413 and big.json()["detail"] == "the body is over 4096 bytes"
        # Without JavaScript the browser's own form post asks for HTML, and gets a page.
        plain = small.post("/console/models/acme.tone/samples", data={"csrf": csrf},
                           files={"file": ("big.csv", "text,label\n" + "x,y\n" * 2000, "text/csv")},
                           headers={"Accept": "text/html,application/xhtml+xml"})
        assert plain.status_code == 413 and plain.headers["content-type"].startswith("text/html")
        assert "Upload too large" in plain.text and "4096 bytes" in plain.text


def test_model_pages_go_back_too(client: TestClient) -> None:
    store = store_of(client)
    for i in range(120):
        store.models.create(f"acme.m{i:03d}", "classify", quiet_seconds=1)
    sign_in(client, make_key(client))
    first = client.get("/console/models")
    second = client.get(_href(first.text, "Next page") or "")
    third = client.get(_href(second.text, "Next page") or "")
    assert "acme.m100" in third.text and _href(third.text, "Next page") is None
    assert str(third.url).endswith("?after=acme.m099&back=acme.m049")  # the stack that led here
    assert _href(third.text, "Previous page") == "/console/models?after=acme.m049"
    again = client.get(_href(third.text, "Previous page") or "")
    assert "acme.m050" in again.text and _href(again.text, "Previous page") == "/console/models"
