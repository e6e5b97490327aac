"""Scale-out fixtures: PostgreSQL, a Celery broker, API processes and `u22a8 worker` processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ..conftest import ROOT, LiveServer, free_port, server_env, throwaway_pg_database

@pytest.fixture
def pg_url() -> Iterator[str]:
    yield from throwaway_pg_database("u22a8_scale")


@dataclass
class Cluster:
    """API processes and worker processes sharing one PostgreSQL, one broker and one artifact dir."""

    home: Path
    env: dict[str, str]
    apis: list[LiveServer] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def add_api(self) -> LiveServer:
        home = self.home / f"api{len(self.apis)}"
        server = LiveServer(home=home, port=free_port(), env={**self.env})
        server.start()
        self.apis.append(server)
        return server

    def add_worker(self) -> subprocess.Popen[bytes]:
        log = open(self.home / f"worker{len(self.workers)}.log", "ab")
        proc = subprocess.Popen([sys.executable, "-m", "u22a8.cli", "worker"], env=self.env, cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.workers.append(proc)
        time.sleep(0.5)
        return proc

    def key(self) -> str:
        return self.apis[0].key()

    def stop(self) -> None:
        for api in self.apis:
            api.stop()
        for w in self.workers:
            if w.poll() is None:
                try:
                    os.killpg(w.pid, 15)
                    w.wait(20)
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    os.killpg(w.pid, 9)


def _make_cluster(tmp_path: Path, pg_url: str, broker: str) -> Cluster:
    home = tmp_path / "cluster"
    home.mkdir()
    env = server_env(home, U22A8_DATABASE_URL=pg_url, U22A8_BROKER_URL=broker,
                     U22A8_ARTIFACTS_DIR=str(home / "shared-artifacts"), U22A8_LEASE_SECONDS="4")
    return Cluster(home=home, env=env)


@pytest.fixture(params=["redis", "rabbitmq"])
def cluster(request: pytest.FixtureRequest, tmp_path: Path, pg_url: str) -> Iterator[Cluster]:
    if request.param == "redis":
        broker = f"redis://127.0.0.1:6379/{int(uuid.uuid4().int % 14) + 1}"
    else:
        broker = "amqp://guest:guest@127.0.0.1:5672//"
    c = _make_cluster(tmp_path, pg_url, broker)
    yield c
    c.stop()


@pytest.fixture
def redis_cluster(tmp_path: Path, pg_url: str) -> Iterator[Cluster]:
    c = _make_cluster(tmp_path, pg_url, f"redis://127.0.0.1:6379/{int(uuid.uuid4().int % 14) + 1}")
    yield c
    c.stop()
