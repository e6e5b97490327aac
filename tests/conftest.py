"""Shared fixtures: a real SQLite file per test, a real server process when needed."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from u22a8.settings import Settings
from u22a8.store import Store

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN_URL = os.environ.get("U22A8_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def throwaway_pg_database(prefix: str) -> Iterator[str]:
    """Create a PostgreSQL database, yield its URL, drop it afterwards (for fixtures)."""
    import uuid

    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    # NullPool: a test may restart PostgreSQL, so never reuse a pooled connection for the drop.
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (children, their children...), read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # ended while we looked
                continue
            # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ")"
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has ended; only its parent's wait is missing


def still_running_after(pids: set[int], seconds: float = 30) -> list[int]:
    """Those of ``pids`` still alive after waiting up to ``seconds`` for all to end; they are
    killed before returning, so a failing test leaves no process to the next one."""
    deadline = time.time() + seconds
    while time.time() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.2)
    left = sorted(pid for pid in pids if alive(pid))
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return left


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tone_samples(n_per_label: int = 20, seed: int = 0) -> list[dict[str, Any]]:
    """Separable three-class data, made here so tests need no files."""
    rng = random.Random(seed)
    words = {
        "friendly": ["thanks", "happy", "glad", "wonderful", "great", "cheers", "lovely"],
        "curt": ["no", "denied", "stop", "policy", "closed", "refused", "never"],
        "sorry": ["sorry", "apologies", "regret", "mistake", "unfortunately", "oops", "forgive"],
    }
    filler = ["the", "order", "account", "refund", "card", "today", "your", "we", "it", "ticket"]
    out = []
    for label, vocab in words.items():
        for i in range(n_per_label):
            text = " ".join(rng.sample(vocab, 3) + rng.sample(filler, 4)) + f" #{i}"
            out.append({"text": text, "label": label})
    rng.shuffle(out)
    return out


@dataclass
class LiveServer:
    """A real ``u22a8 serve`` process on a free port with its own data directory."""

    home: Path
    port: int
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    workers: int = 1  # API processes (`serve --workers`); one keeps a test's caches in one process
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.home / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "u22a8.cli", "serve", "--workers", str(self.workers), "--port", str(self.port), "--log-level", "warning"],
            env=self.env, stdout=logf, stderr=subprocess.STDOUT, cwd=ROOT,
        )
        # Several API processes each import the app: on a busy machine that takes minutes.
        deadline = time.time() + (180 if self.workers == 1 else 600)
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.proc.kill()  # a server that came up too late must not outlive the test run
        self.proc.wait(10)
        raise RuntimeError(f"server did not start within 60 s: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def interrupt(self) -> tuple[int | None, str]:
        """Ctrl-C in the terminal it runs in, which interrupts every process of the group: SIGINT
        to the server and every process below it. Its exit code (None: still running after 60 s,
        then killed) and what it printed from then on."""
        assert self.proc is not None
        printed = len(self.log.read_text())
        for pid in {self.proc.pid, *descendants(self.proc.pid)}:
            try:
                os.kill(pid, signal.SIGINT)
            except ProcessLookupError:
                pass
        try:
            code: int | None = self.proc.wait(60)
        except subprocess.TimeoutExpired:
            code = None
            self.proc.kill()
            self.proc.wait()
        return code, self.log.read_text()[printed:]

    def store(self) -> Store:
        s = Settings(home=self.home, database_url=self.env.get("U22A8_DATABASE_URL"),
                     artifacts_dir=self.env.get("U22A8_ARTIFACTS_DIR"))
        return Store(s.resolved_database_url, s.resolved_artifacts)

    def key(self, owner: str = "acme", scopes: tuple[str, ...] = ("read", "write", "train", "admin")) -> str:
        store = self.store()
        store.upgrade()
        _, secret = store.keys.create(owner, list(scopes))
        store.close()
        return secret

    def client(self, key: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {key}"}, timeout=60)


def server_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("U22A8_")}
    env.update({"U22A8_HOME": str(home), "U22A8_DEFAULT_QUIET_SECONDS": "0.5", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    server = LiveServer(home=tmp_path / "home", port=free_port(), env=server_env(tmp_path / "home"))
    server.start()
    yield server
    server.stop()


def wait_for(predicate: Any, timeout: float = 120, interval: float = 0.2) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def wait_state(http: httpx.Client, handle: str, state: str, timeout: float = 120) -> dict[str, Any]:
    return wait_for(lambda: (m := http.get(f"/v1/models/{handle}").json())["state"] == state and m, timeout)  # type: ignore[no-any-return]


# Rule: the scale-out tests restart PostgreSQL and share RabbitMQ's default vhost, so nothing may
# run beside them; `make test` runs them after the parallel part (scripts/run-tests.sh).
_SERIAL_DIRS = ("runs",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests_root = Path(__file__).resolve().parent
    for item in items:
        parts = Path(str(item.path)).resolve().relative_to(tests_root).parts
        if parts and parts[0] in _SERIAL_DIRS:
            item.add_marker(pytest.mark.serial)
