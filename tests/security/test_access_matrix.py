"""Every route × every kind of caller → the documented status, on a live server.

The routes are read from the app itself, so a route added without a row here fails
``test_every_route_has_a_row``. Callers: no key, a revoked key, another owner's key (admin, so
only ownership stops it), a read-only key of the owner, and the owner's key with every scope.
Another owner meets 404, never 403 and never the owner's data. The console is driven the way a
browser is: each key signs in through the sign-in form and sends the session's cookie and the
page's CSRF token.

Requests that change something target a model (or key) made for that row, and the owner's key
goes last, so each row starts from the same state.
"""

from __future__ import annotations

import itertools
import re
from urllib.parse import urlsplit
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from u22a8.api.problem_docs import api_routes
from u22a8.server import create_app
from u22a8.settings import Settings

from .conftest import Trained

CALLERS = ("none", "revoked", "other", "read_only", "owner")
_counter = itertools.count()


@dataclass(frozen=True)
class Row:
    """One route: the scope it needs, what the owner's key gets, and what the request carries.

    ``scope`` is ``public`` for routes anyone may call, ``signed_in`` for those any live key may
    call whatever it owns (signing out; each caller then signs in anew). ``target`` says which model the path names:
    the ready one, or a fresh one made for this row (``fresh``). ``listing`` marks a route that
    answers every key with its own items (or acts on the key's own owner), so another owner gets
    200 without any of ours.
    """

    scope: str
    owner_status: int
    target: str = "ready"
    body: Callable[[str], dict[str, Any]] | None = None
    form: Callable[[str], dict[str, str]] | None = None
    listing: bool = False
    read_only_status: int | None = None
    other_status: int | None = None  # what another owner's key gets when it acts on its own (a create)
    extra: dict[str, str] = field(default_factory=dict)


# Never sent: the server under test runs no webhook senders (tests/security/conftest.py).
HOOK = "http://127.0.0.1:9/u22a8-hook"


def _new_handle(_: str) -> dict[str, Any]:
    return {"handle": f"acme.made-{next(_counter)}", "task": "classify"}


ROWS: dict[tuple[str, str], Row] = {
    # Public: the same answer for everyone.
    ("GET", "/healthz"): Row("public", 200),
    ("GET", "/readyz"): Row("public", 200),
    ("GET", "/metrics"): Row("public", 200),
    ("GET", "/openapi.json"): Row("public", 200),
    ("GET", "/docs"): Row("public", 200),
    ("GET", "/docs/oauth2-redirect"): Row("public", 200),
    ("GET", "/redoc"): Row("public", 200),
    ("GET", "/console/static/{name}"): Row("public", 200, extra={"name": "console.css"}),
    ("GET", "/console"): Row("public", 303),
    ("GET", "/console/sign-in"): Row("public", 200),
    ("POST", "/console/sign-in"): Row("public", 403),  # no pre-session token: the form is refused
    # /v1
    ("GET", "/v1/keys"): Row("admin", 200, listing=True),
    ("POST", "/v1/keys"): Row("admin", 201, body=lambda _: {"owner": "acme", "scopes": ["read"]}),
    ("DELETE", "/v1/keys/{key_id}"): Row("admin", 200, target="key"),
    ("GET", "/v1/models"): Row("read", 200, listing=True),
    ("POST", "/v1/models"): Row("write", 201, body=_new_handle),
    ("GET", "/v1/models/{handle}"): Row("read", 200),
    ("PATCH", "/v1/models/{handle}"): Row("write", 200, target="fresh", body=lambda _: {"description": "changed"}),
    ("DELETE", "/v1/models/{handle}"): Row("write", 204, target="fresh"),
    ("POST", "/v1/models/{handle}/samples"): Row("write", 200, target="fresh", body=lambda _: {
        "samples": [{"text": "glad to help", "label": "friendly"}]}),
    ("GET", "/v1/models/{handle}/samples"): Row("read", 200),
    ("DELETE", "/v1/models/{handle}/samples/{sample_id}"): Row("write", 204, target="fresh"),
    # The pool of unlabeled texts and what to label next (issue 12): the owner's, like samples.
    ("POST", "/v1/models/{handle}/pool"): Row("write", 200, target="fresh", body=lambda _: {"texts": ["a new text"]}),
    ("GET", "/v1/models/{handle}/pool"): Row("read", 200),
    ("DELETE", "/v1/models/{handle}/pool"): Row("write", 204, target="fresh"),
    ("DELETE", "/v1/models/{handle}/pool/{pool_id}"): Row("write", 204, target="fresh"),
    ("GET", "/v1/models/{handle}/suggestions"): Row("read", 200),
    ("POST", "/v1/models/{handle}/train"): Row("train", 200, body=lambda _: {}),  # ready: nothing to queue
    ("GET", "/v1/models/{handle}/train/estimate"): Row("read", 200),
    ("GET", "/v1/models/{handle}/runs"): Row("read", 200),
    ("GET", "/v1/models/{handle}/runs/{run_id}"): Row("read", 200),
    ("POST", "/v1/models/{handle}/runs/{run_id}/cancel"): Row("train", 200),  # ended: answers the run as it is
    ("GET", "/v1/models/{handle}/runs/{run_id}/events"): Row("read", 200),
    ("GET", "/v1/models/{handle}/versions"): Row("read", 200),
    ("POST", "/v1/models/{handle}/versions/{number}/activate"): Row("train", 200),
    ("GET", "/v1/models/{handle}/versions/{number}/report"): Row("read", 200),
    ("GET", "/v1/models/{handle}/versions/{number}/export"): Row("read", 200),
    ("POST", "/v1/models/{handle}/predict"): Row("read", 200, body=lambda _: {"inputs": ["thanks, lovely"]}),
    ("GET", "/v1/models/{handle}/label-issues"): Row("read", 200),
    ("POST", "/v1/models/{handle}/label-issues/{sample_id}/dismiss"): Row("write", 204, target="fresh"),
    # The console: pages answer 200, forms redirect (303) after doing what they say.
    ("POST", "/console/sign-out"): Row("signed_in", 303, form=lambda _: {}),
    ("GET", "/console/models"): Row("read", 200, listing=True),
    ("POST", "/console/models"): Row("write", 303, form=lambda _: {
        "handle": _new_handle("")["handle"], "task": "classify"}),
    ("GET", "/console/models/{handle}"): Row("read", 200),
    ("POST", "/console/models/{handle}/samples"): Row("write", 303, target="fresh", form=lambda _: {
        "samples": "text,label\nglad to help,friendly\n"}),
    ("POST", "/console/models/{handle}/samples/delete"): Row("write", 303, target="fresh", form=lambda _: {"id": "x1"}),
    ("GET", "/console/models/{handle}/label"): Row("read", 200),
    ("POST", "/console/models/{handle}/label"): Row("write", 303, target="fresh", form=lambda _: {
        "pool_id": "x1", "label": "friendly"}),
    ("POST", "/console/models/{handle}/pool"): Row("write", 303, target="fresh", form=lambda _: {"texts": "a new text"}),
    ("POST", "/console/models/{handle}/train"): Row("train", 303, form=lambda _: {}),
    ("POST", "/console/models/{handle}/versions/{number}/activate"): Row("train", 303, form=lambda _: {}),
    ("POST", "/console/models/{handle}/predict"): Row("read", 200, form=lambda _: {"inputs": "thanks, lovely"}),
    ("GET", "/console/models/{handle}/settings"): Row("write", 200),
    ("GET", "/console/models/{handle}/label-issues"): Row("read", 200),
    ("POST", "/console/models/{handle}/label-issues/relabel"): Row("write", 303, target="fresh", form=lambda _: {
        "id": "x1", "label": "curt"}),
    ("POST", "/console/models/{handle}/label-issues/dismiss"): Row("write", 303, target="fresh",
                                                                  form=lambda _: {"id": "x1"}),
    ("POST", "/console/models/{handle}/settings"): Row("write", 303, target="fresh", form=lambda _: {
        "description": "changed"}),
    ("GET", "/console/models/{handle}/delete"): Row("write", 200),
    ("POST", "/console/models/{handle}/delete"): Row("write", 303, target="fresh", form=lambda h: {"confirm": h}),
    ("GET", "/console/models/{handle}/runs/{run_id}"): Row("read", 200),
    ("POST", "/console/models/{handle}/runs/{run_id}/cancel"): Row("train", 303, form=lambda _: {}),
    ("GET", "/console/models/{handle}/runs/{run_id}/events"): Row("read", 200),
    ("GET", "/console/models/{handle}/versions/{number}"): Row("read", 200),
    ("GET", "/console/models/{handle}/versions/{number}/export"): Row("read", 200),
    ("GET", "/console/keys"): Row("admin", 200, listing=True),
    # The form names no owner: each admin key makes a key of its own owner.
    ("POST", "/console/keys"): Row("admin", 200, listing=True, form=lambda _: {"scopes": "read", "name": "made"}),
    ("GET", "/console/keys/{key_id}/revoke"): Row("admin", 200, target="key"),
    ("POST", "/console/keys/{key_id}/revoke"): Row("admin", 303, target="key", form=lambda _: {}),
    # Webhooks: admin, the owner's own endpoints only; a create makes one of the caller's owner.
    ("GET", "/v1/webhooks"): Row("admin", 200, listing=True),
    ("POST", "/v1/webhooks"): Row("admin", 201, other_status=201, body=lambda _: {"url": HOOK, "events": ["*"]}),
    ("GET", "/v1/webhooks/{webhook_id}"): Row("admin", 200, target="webhook"),
    ("PATCH", "/v1/webhooks/{webhook_id}"): Row("admin", 200, target="webhook", body=lambda _: {"enabled": True}),
    ("DELETE", "/v1/webhooks/{webhook_id}"): Row("admin", 200, target="webhook"),
    ("POST", "/v1/webhooks/{webhook_id}/rotate"): Row("admin", 200, target="webhook"),
    ("GET", "/v1/webhooks/{webhook_id}/deliveries"): Row("admin", 200, target="webhook"),
    ("POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"): Row("admin", 202, target="webhook"),
    ("POST", "/v1/webhooks/{webhook_id}/ping"): Row("admin", 202, target="webhook"),
    ("GET", "/console/webhooks"): Row("admin", 200, listing=True),
    ("POST", "/console/webhooks"): Row("admin", 200, listing=True, form=lambda _: {"url": HOOK, "events": "*"}),
    ("GET", "/console/webhooks/{webhook_id}"): Row("admin", 200, target="webhook"),
    ("POST", "/console/webhooks/{webhook_id}/ping"): Row("admin", 303, target="webhook", form=lambda _: {}),
    ("POST", "/console/webhooks/{webhook_id}/enabled"): Row("admin", 303, target="webhook",
                                                            form=lambda _: {"enabled": "true"}),
    ("POST", "/console/webhooks/{webhook_id}/rotate"): Row("admin", 200, target="webhook", form=lambda _: {}),
    ("POST", "/console/webhooks/{webhook_id}/deliveries/{delivery_id}/retry"): Row(
        "admin", 303, target="webhook", form=lambda _: {}),
    ("POST", "/console/webhooks/{webhook_id}/delete"): Row("admin", 303, target="webhook", form=lambda _: {}),
}


def _app_routes() -> list[tuple[str, str]]:
    app = create_app(Settings(), with_executor=False)
    found = {(method, route.path_format) for route in api_routes(app) for method in route.methods}
    found |= {(method, route.path) for route in app.routes if hasattr(route, "methods") and route.methods
              for method in route.methods}
    return sorted((m, p) for m, p in found if m != "HEAD")


def test_every_route_has_a_row(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("U22A8_HOME", str(tmp_path))
    routes = _app_routes()
    missing = [route for route in routes if route not in ROWS]
    stale = [route for route in ROWS if route not in routes]
    assert not missing, f"routes without a row in the access matrix: {missing}"
    assert not stale, f"rows for routes that no longer exist: {stale}"


# --- callers -----------------------------------------------------------------------------------


@dataclass
class Caller:
    name: str
    secret: str | None
    http: httpx.Client


def _sign_in(http: httpx.Client, secret: str) -> None:
    page = http.get("/console/sign-in")
    pre = re.search(r'name="pre" value="([^"]+)"', page.text)
    assert pre, page.text[:500]
    r = http.post("/console/sign-in", data={"key": secret, "pre": pre.group(1), "next": ""})
    assert r.status_code == 303, r.text[:500]


def _csrf(http: httpx.Client) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', http.get("/console/models").text)
    return found.group(1) if found else ""


def _signed_in_callers(trained: Trained, secrets: dict[str, str]) -> dict[str, Caller]:
    made: dict[str, Caller] = {"none": Caller("none", None, httpx.Client(base_url=trained.server.url, timeout=60))}
    for name, secret in secrets.items():
        http = httpx.Client(base_url=trained.server.url, timeout=60)
        _sign_in(http, secret)
        made[name] = Caller(name, secret, http)
    return made


@pytest.fixture(scope="module")
def secrets(trained: Trained) -> dict[str, str]:
    server = trained.server
    return {"other": server.key("globex"), "read_only": server.key("acme", ("read",)), "owner": trained.key,
            "revoked": server.key("acme")}


@pytest.fixture(scope="module")
def callers(trained: Trained, secrets: dict[str, str]) -> dict[str, Caller]:
    made = _signed_in_callers(trained, secrets)
    # Revoked after signing in: its Bearer header and its console session must both stop working.
    revoked_id = next(k["id"] for k in trained.http.get("/v1/keys").json()
                      if secrets["revoked"].startswith(k["prefix"]) and not k.get("revoked_at"))
    assert trained.http.delete(f"/v1/keys/{revoked_id}").status_code == 200
    return made


# --- the matrix -------------------------------------------------------------------------------


def _expected(row: Row, caller: str, path: str) -> int:
    if row.scope == "public":
        return row.owner_status
    console = path.startswith("/console")
    if caller in ("none", "revoked"):
        return 303 if console else 401
    if row.scope == "signed_in":
        return row.owner_status
    if caller == "other":
        if row.other_status is not None:
            return row.other_status
        return 200 if row.listing else 404
    if caller == "read_only":
        if row.scope == "read":
            return row.owner_status
        return row.read_only_status or 403
    return row.owner_status


def _path(template: str, row: Row, trained: Trained) -> tuple[str, str]:
    handle = trained.handle
    if row.target == "fresh":
        handle = f"acme.row-{next(_counter)}"
        trained.new_model(handle)
    values = {"handle": handle, "run_id": trained.run_id, "number": str(trained.version),
              "sample_id": "x1" if row.target == "fresh" else trained.sample_id, **row.extra}
    if "{pool_id}" in template or template.endswith("/label"):
        # A pool text to delete or label, in the row's own fresh model.
        made = trained.http.post(f"/v1/models/{handle}/pool", json={"texts": [{"id": "x1", "text": "to label"}]})
        assert made.status_code == 200, made.text
        values["pool_id"] = "x1"
    if "{webhook_id}" in template:
        made = trained.http.post("/v1/webhooks", json={"url": HOOK, "events": ["*"]})
        assert made.status_code == 201, made.text
        values["webhook_id"] = made.json()["id"]
        ping = trained.http.post(f"/v1/webhooks/{values['webhook_id']}/ping")
        assert ping.status_code == 202, ping.text
        values["delivery_id"] = str(ping.json()["id"])
    if "{key_id}" in template:
        made = trained.http.post("/v1/keys", json={"owner": "acme", "scopes": ["read"], "name": "to revoke"})
        values["key_id"] = made.json()["id"]
    return handle, re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values[m.group(1)], template)


def _send(caller: Caller, method: str, template: str, path: str, row: Row, handle: str) -> httpx.Response:
    if template.startswith("/console"):
        data = row.form(handle) if row.form else None
        if method == "POST" and caller.secret is not None:
            data = {**(data or {}), "csrf": _csrf(caller.http)}
        return caller.http.request(method, path, data=data)
    headers = {"Authorization": f"Bearer {caller.secret}"} if caller.secret else {}
    body = row.body(handle) if row.body else None
    return caller.http.request(method, path, headers=headers, json=body)


MATRIX = [(m, p) for (m, p) in ROWS]


@pytest.mark.parametrize(("method", "template"), MATRIX, ids=[f"{m} {p}" for m, p in MATRIX])
def test_access_matrix(trained: Trained, callers: dict[str, Caller], secrets: dict[str, str], method: str,
                       template: str) -> None:
    row = ROWS[(method, template)]
    if row.scope == "signed_in":
        # Signing out ends the session: this row signs in on its own clients (the revoked key cannot).
        callers = {**_signed_in_callers(trained, {k: v for k, v in secrets.items() if k != "revoked"}),
                   "revoked": callers["revoked"]}
    handle, path = _path(template, row, trained)
    seen: dict[str, int] = {}
    for name in CALLERS:
        response = _send(callers[name], method, template, path, row, handle)
        seen[name] = response.status_code
        expected = _expected(row, name, template)
        assert response.status_code == expected, (name, method, path, seen, response.text[:400])
        if name in ("none", "revoked") and row.scope != "public" and template.startswith("/console"):
            assert urlsplit(response.headers["location"]).path.endswith("/console/sign-in"), response.headers
        if name == "other" and template.startswith("/console") and row.scope != "signed_in":
            assert response.status_code != 303 or "sign-in" not in response.headers["location"]
        if name == "other" and row.listing:
            # Another owner's listing holds none of ours.
            assert "acme." not in response.text and trained.key[:12] not in response.text
        if template.startswith("/v1") and response.status_code >= 400:
            assert response.headers["content-type"].startswith("application/problem+json")
    assert trained.http.get(f"/v1/models/{trained.handle}").json()["state"] == "ready"
