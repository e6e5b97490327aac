"""`u22a8 serve --workers 2`: two API processes answer on one port, and the supervising process
alone runs the embedded executor (so a run is never dispatched twice); Ctrl-C stops them all."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import httpx
import pytest

from .conftest import LiveServer, descendants, free_port, server_env, still_running_after, tone_samples, wait_state

_PROCESS = re.compile(r'^u22a8_api_process\{executor="(\d)",pid="(\d+)"\} 1\.0$', re.M)


def _answering(server: LiveServer, tries: int = 200) -> dict[str, str]:
    """pid → executor flag of the API processes that answered; a new connection per request, so
    the kernel hands them to whichever process accepts first."""
    seen: dict[str, str] = {}
    for _ in range(tries):
        text = httpx.get(f"{server.url}/metrics", timeout=10).text
        seen.update({pid: flag for flag, pid in _PROCESS.findall(text)})
        if len(seen) >= 2:
            break
    return seen


@pytest.mark.timeout(1500)  # three processes start and one trains: minutes on a busy machine
def test_two_api_processes_answer_and_one_executor_trains(tmp_path: Path) -> None:
    home = tmp_path / "home"
    server = LiveServer(home=home, port=free_port(), env=server_env(home), workers=2)
    server.start()
    try:
        seen = _answering(server)
        assert len(seen) == 2, seen
        assert set(seen.values()) == {"0"}  # neither API process runs an executor
        assert server.proc is not None and str(server.proc.pid) not in seen
        key = server.key()
        with server.client(key) as http:
            assert http.post("/v1/models", json={"handle": "acme.tone", "task": "classify"}).status_code == 201
            assert http.post("/v1/models/acme.tone/samples", json={"samples": tone_samples()}).status_code < 300
            run_id = http.post("/v1/models/acme.tone/train", json={"effort": "low"}).json()["run_id"]
            model = wait_state(http, "acme.tone", "ready", timeout=240)
            assert model["active_version"]["number"] == 1
            run = http.get(f"/v1/models/acme.tone/runs/{run_id}").json()
            assert run["state"] == "succeeded"
            # Every API process answers predictions from the version the one executor made.
            for _ in range(10):
                # A first predict in a process loads the version: seconds on a busy machine, not a latency test.
                with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as fresh:
                    got = fresh.post("/v1/models/acme.tone/predict", json={"inputs": ["thanks, wonderful"]})
                    assert got.status_code == 200 and got.json()["version"] == 1
        # Ctrl-C: the training process and the webhook sender printed a KeyboardInterrupt
        # traceback each; the server stops them itself. The training process, terminated, left
        # the semaphore its run made, which Python reported as leaked at the server's exit.
        code, stopping = server.interrupt()
        assert code == 0 and "Traceback" not in stopping and "KeyboardInterrupt" not in stopping, stopping
        assert "leaked semaphore" not in stopping, stopping
    finally:
        server.stop()


@pytest.mark.timeout(900)
@pytest.mark.parametrize("workers", [1, 2])
def test_a_killed_server_leaves_no_process_behind(tmp_path: Path, workers: int) -> None:
    """kill -9 of `serve` runs no clean-up of its own: its training workers and API processes
    must notice and end, or they hold memory, a run's lease and (API processes) the port."""
    home = tmp_path / "home"
    server = LiveServer(home=home, port=free_port(), env=server_env(home), workers=workers)
    server.start()
    assert server.proc is not None
    try:
        if workers == 2:
            assert len(_answering(server)) == 2  # both API processes are up, not only the supervisor
        deadline = time.time() + 120
        # The embedded executor's training processes start at boot: wait until they are there.
        while len(descendants(server.proc.pid)) < 2 and time.time() < deadline:
            time.sleep(0.2)
        children = descendants(server.proc.pid)
        assert len(children) >= 2, children
    finally:
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait(10)
    left = still_running_after(children, 30)
    assert left == [], f"still running 30 s after kill -9 of the server: {left}"
    with pytest.raises(httpx.HTTPError):
        httpx.get(f"{server.url}/healthz", timeout=2)
