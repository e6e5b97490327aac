"""The README's first command: a running platform with a demo model trained and a curl to paste."""

from __future__ import annotations

import time
from typing import Any

import httpx

from .demo import DEMO_HANDLE, support_tone_samples
from .settings import Settings
from .store import Store

__all__ = ["prepare_demo"]


def prepare_demo(server: Any, settings: Settings, base_url: str, effort: str) -> None:
    while not server.started:
        time.sleep(0.1)
    store = Store(settings.resolved_database_url, settings.resolved_artifacts)
    _, secret = store.keys.create("demo", ["read", "write", "train", "admin"], "quickstart")
    auth = {"Authorization": f"Bearer {secret}"}
    with httpx.Client(base_url=base_url, headers=auth, timeout=60) as http:
        if http.get(f"/v1/models/{DEMO_HANDLE}").status_code == 404:
            http.post("/v1/models", json={"handle": DEMO_HANDLE, "task": "classify",
                                          "description": "Tone of support replies (demo data)"}).raise_for_status()
        http.post(f"/v1/models/{DEMO_HANDLE}/samples", json={"samples": support_tone_samples()}).raise_for_status()
        print(f"u22a8 is running at {base_url} (data in {settings.home.resolve()})", flush=True)
        print(f"demo key (owner 'demo', all scopes): {secret}", flush=True)
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
