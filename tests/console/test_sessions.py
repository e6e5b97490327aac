"""Finding 11: the console's cookie holds a server-side session, not the API key.

The session is a random id stored hashed; it expires, ends at sign-out, and ends when its key
is revoked (through this process or any other). A stolen cookie is worth nothing after that.
"""

from __future__ import annotations

import time
from pathlib import Path

from fastapi.testclient import TestClient

from u22a8.server import create_app
from u22a8.settings import Settings

from .conftest import make_key, sign_in, store_of


def _console_cookies(client: TestClient) -> dict[str, str]:
    return {c.name: c.value for c in client.cookies.jar}


def _thief(client: TestClient, stolen: dict[str, str]) -> int:
    """What the console answers a browser that copied the cookies: 200 means it is signed in."""
    client.cookies.clear()
    for name, value in stolen.items():
        client.cookies.set(name, value, path="/console")
    return client.get("/console/models").status_code


def test_the_cookie_holds_no_key_and_the_database_no_session_id(client: TestClient) -> None:
    secret = make_key(client)
    sign_in(client, secret)
    cookies = _console_cookies(client)
    assert cookies and not any(secret in v or secret[6:20] in v for v in cookies.values())
    assert client.get("/console/models").status_code == 200
    # The session id is stored hashed: the database holds nothing a cookie could be made from.
    from sqlalchemy import text

    with store_of(client).db.engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM console_sessions")).all()
    assert len(rows) == 1
    assert not any(v in str(tuple(rows[0])) for v in cookies.values())


def test_a_stolen_cookie_stops_working_at_sign_out(client: TestClient) -> None:
    csrf = sign_in(client, make_key(client))
    stolen = _console_cookies(client)
    assert client.post("/console/sign-out", data={"csrf": csrf}).status_code == 303
    assert _thief(client, stolen) == 303


def test_a_stolen_cookie_stops_working_when_the_key_is_revoked(client: TestClient) -> None:
    admin = make_key(client)
    victim = make_key(client)
    sign_in(client, victim)
    stolen = _console_cookies(client)
    victim_id = store_of(client).keys.authenticate(victim).id  # type: ignore[union-attr]
    revoked = client.delete(f"/v1/keys/{victim_id}", headers={"Authorization": f"Bearer {admin}"})
    assert revoked.status_code == 200
    assert _thief(client, stolen) == 303


def test_revoking_through_another_process_ends_the_session_too(client: TestClient) -> None:
    secret = make_key(client)
    sign_in(client, secret)
    stolen = _console_cookies(client)
    key = store_of(client).keys.authenticate(secret)
    assert key is not None
    store_of(client).keys.revoke(key.id, None)  # as `u22a8 keys revoke` on another machine would
    assert _thief(client, stolen) == 303


def test_sessions_expire(tmp_path: Path) -> None:
    # Long enough that signing in and the first page fit in it on a loaded CI machine (1 s did not).
    settings = Settings(home=tmp_path / "home", console_session_seconds=4)
    with TestClient(create_app(settings, with_executor=False), follow_redirects=False) as client:
        sign_in(client, make_key(client))
        assert client.get("/console/models").status_code == 200
        time.sleep(4.5)
        assert client.get("/console/models").status_code == 303


def test_secure_cookies_can_be_forced_behind_a_tls_proxy(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", cookie_secure=True)
    with TestClient(create_app(settings, with_executor=False), follow_redirects=False,
                    base_url="http://testserver") as client:
        page = client.get("/console/sign-in")
        assert "secure" in page.headers["set-cookie"].lower()
        cookies = {c.name: c.value for c in client.cookies.jar}
        pre = cookies["u22a8_console_pre"]
        signed = client.post("/console/sign-in", data={"key": make_key(client), "pre": pre},
                             headers={"Cookie": f"u22a8_console_pre={pre}"})
        assert signed.status_code == 303
        assert all("secure" in v.lower() for k, v in signed.headers.multi_items() if k == "set-cookie")


def test_trusted_hosts_refuse_other_host_headers(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home", trusted_hosts="console.acme.example, *.internal.example")
    with TestClient(create_app(settings, with_executor=False), follow_redirects=False) as client:
        assert client.get("/healthz").status_code == 400  # Host: testserver
        assert client.get("/healthz", headers={"Host": "console.acme.example"}).status_code == 200
        assert client.get("/healthz", headers={"Host": "api.internal.example"}).status_code == 200
        assert client.get("/console/sign-in", headers={"Host": "evil.example"}).status_code == 400
