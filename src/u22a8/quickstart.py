"""The README's first command: a running platform with a demo model trained and a curl to paste."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx

from .demo import DEMO_HANDLE, support_tone_samples
from .settings import Settings
from .store import Store

__all__ = ["prepare_demo", "demo_secret", "DEMO_KEY_FILE"]

DEMO_KEY_FILE = "demo-key"
_DEMO_OWNER, _DEMO_KEY_NAME = "demo", "quickstart"


def demo_secret(store: Store, home: Path) -> str:
    """The demo key's secret: the one saved in the data directory while it still works.

    Otherwise a new key is made and saved (owner-only file), and every other live quickstart
    key is revoked, so restarts never pile up admin keys.
    """
    saved = home / DEMO_KEY_FILE
    if saved.exists():
        secret = saved.read_text().strip()
        if secret and store.keys.authenticate(secret) is not None:
            return secret
    key, secret = store.keys.create(_DEMO_OWNER, ["read", "write", "train", "admin"], _DEMO_KEY_NAME)
    for old in store.keys.list(_DEMO_OWNER):
        if old.name == _DEMO_KEY_NAME and old.id != key.id and old.revoked_at is None:
            store.keys.revoke(old.id, None)
    fd = os.open(saved, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w") as f:
        os.fchmod(f.fileno(), 0o600)  # an existing file keeps its mode through O_CREAT
        f.write(secret + "\n")
    return secret


def prepare_demo(server: Any, settings: Settings, base_url: str, effort: str) -> None:
    while not server.started:
        time.sleep(0.1)
    store = Store(settings.resolved_database_url, settings.resolved_artifacts)
    try:
        secret = demo_secret(store, settings.home)
    finally:
        store.close()
    auth = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=base_url, headers=auth, timeout=60) as http:
        if http.get(f"/v1/models/{DEMO_HANDLE}").status_code == 404:
            http.post("/v1/models", json={"handle": DEMO_HANDLE, "task": "classify",
                                          "description": "Tone of support replies (demo data)"}).raise_for_status()
        http.post(f"/v1/models/{DEMO_HANDLE}/samples", json={"samples": support_tone_samples()}).raise_for_status()
        print(f"u22a8 is running at {base_url} (data in {settings.home.resolve()})", flush=True)
        print(f"demo key (owner 'demo', all scopes; kept in {settings.home.resolve() / DEMO_KEY_FILE}): {secret}",
              flush=True)
        started = http.post(f"/v1/models/{DEMO_HANDLE}/train", json={"effort": effort}).json()
        print(f"training {DEMO_HANDLE} at effort {effort}: {started}", flush=True)
        while (model := http.get(f"/v1/models/{DEMO_HANDLE}").json())["state"] == "busy":
            time.sleep(0.5)
        if model["state"] != "ready":
            run = model.get("last_run") or {}
            print(f"demo training did not finish: {run.get('error')}", flush=True)
            return
        metrics = model["active_version"]["metrics"]
        print(f"{DEMO_HANDLE} is ready: version {model['active_version']['number']}, "
              f"{metrics.get('primary_name', 'score')} {metrics.get('primary', 0):.3f}", flush=True)
    payload = '{"inputs": ["So sorry for the delay, we will fix it today."]}'
    print(
        "\nPredict with:\n"
        f"curl -s -X POST {base_url}/v1/models/{DEMO_HANDLE}/predict \\\n"
        f"  -H 'Authorization: Bearer {secret}' -H 'Content-Type: application/json' \\\n"
        f"  -d '{payload}'\n\nStop with Ctrl-C.",
        flush=True,
    )
