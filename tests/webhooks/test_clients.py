"""The SDK's ``client.webhooks`` (sync and async), ``u22a8.webhooks.verify`` and ``u22a8 webhooks``
against a real server and a real receiver on loopback."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

import u22a8.client as sdk
from u22a8.cli import app
from u22a8.webhooks import WebhookVerificationError, new_secret, verify

from ..conftest import LiveServer, free_port, server_env, wait_for
from .receiver import running_receiver


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("webhook-clients") / "home"
    live = LiveServer(home=home, port=free_port(), env=server_env(home, U22A8_WEBHOOKS_ALLOW_PRIVATE="true"))
    live.start()
    yield live
    live.stop()


def test_sdk_webhooks_round_trip(server: LiveServer) -> None:
    with running_receiver() as receiver, sdk.Client(server.url, api_key=server.key()) as client:
        created = client.webhooks.create(receiver.url, ["run.succeeded", "version.promoted"], description="sdk")
        assert created.secret.startswith("whsec_") and created.events == ("run.succeeded", "version.promoted")
        assert [w.id for w in client.webhooks.list()] == [created.id]
        assert client.webhooks.get(created.id).url == receiver.url
        updated = client.webhooks.update(created.id, events=["*"], models=["acme.some-model"])
        assert updated.events == ("*",) and updated.models == ("acme.some-model",)
        assert client.webhooks.update(created.id, models=None).models is None
        ping = client.webhooks.ping(created.id)
        assert ping.event == "ping" and ping.state == "pending"
        wait_for(lambda: receiver.received, timeout=20)
        got = receiver.received[0]
        assert verify(created.secret, got.headers, got.body)["data"] == {"webhook": created.id}
        with pytest.raises(WebhookVerificationError):
            verify(new_secret(), got.headers, got.body)
        (done,) = wait_for(lambda: [d for d in client.webhooks.deliveries(created.id) if d.state == "succeeded"])
        assert done.message_id == got.headers["webhook-id"] and done.attempt == 1
        again = client.webhooks.retry(created.id, done.id)
        assert again.state == "pending"
        rotated = client.webhooks.rotate(created.id)
        assert rotated.secret != created.secret and rotated.previous_secret_expires_at is not None
        client.webhooks.delete(created.id)
        with pytest.raises(sdk.NotFound):
            client.webhooks.get(created.id)


def test_async_sdk_webhooks(server: LiveServer) -> None:
    async def go() -> None:
        async with sdk.AsyncClient(server.url, api_key=server.key("globex")) as client:
            created = await client.webhooks.create("http://127.0.0.1:9/hook")
            assert [w.id async for w in _aiter(await client.webhooks.list())] == [created.id]
            await client.webhooks.ping(created.id)
            assert [d.event async for d in client.webhooks.deliveries(created.id)] == ["ping"]
            await client.webhooks.delete(created.id)

    asyncio.run(go())


async def _aiter(items: list[sdk.Webhook]):  # type: ignore[no-untyped-def]
    for item in items:
        yield item


def _cli(server: LiveServer, key: str, *args: str) -> object:
    env = {"U22A8_API_KEY": None, "U22A8_BASE_URL": None, "COLUMNS": "160"}
    return CliRunner().invoke(app, ["--base-url", server.url, "--api-key", key, *args], env=env)  # type: ignore[arg-type]


def test_cli_webhooks(server: LiveServer) -> None:
    key = server.key("initech")
    with running_receiver() as receiver:
        r = _cli(server, key, "webhooks", "create", receiver.url, "--event", "run.failed", "--json")
        assert r.exit_code == 0, r.output  # type: ignore[attr-defined]
        created = json.loads(r.output)  # type: ignore[attr-defined]
        assert created["secret"].startswith("whsec_") and created["events"] == ["run.failed"]
        r = _cli(server, key, "webhooks", "ping", created["id"])
        assert r.exit_code == 0 and "ping queued" in r.output  # type: ignore[attr-defined]
        wait_for(lambda: receiver.received, timeout=20)
        r = _cli(server, key, "webhooks", "deliveries", created["id"], "--json")
        assert [d["event"] for d in json.loads(r.output)] == ["ping"]  # type: ignore[attr-defined]
        r = _cli(server, key, "webhooks", "update", created["id"], "--disable", "--json")
        assert json.loads(r.output)["enabled"] is False  # type: ignore[attr-defined]
        r = _cli(server, key, "webhooks", "get", "wh_nope")
        assert r.exit_code == 3  # type: ignore[attr-defined]
        assert _cli(server, key, "webhooks", "delete", created["id"]).exit_code == 0  # type: ignore[attr-defined]
