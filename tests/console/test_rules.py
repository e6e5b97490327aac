"""The console obeys the API's rules: sign-in cookie, CSRF, scopes, 404 for other owners' models."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

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
    cookie = next(v for k, v in r.headers.multi_items() if k == "set-cookie" and "u22a8_console_key" in v)
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
