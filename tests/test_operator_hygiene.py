"""Finding 12: what an operator meets running u22a8 (make run, the data directory, failed runs,
an artifact store the API does not share with its workers)."""

from __future__ import annotations

import io
import logging
import stat
from contextlib import redirect_stdout
from pathlib import Path
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from u22a8.quickstart import prepare_demo
from u22a8.runs.worker import execute_run
from u22a8.server import create_app
from u22a8.settings import Settings
from u22a8.store import NewSample, NewVersion, Store

from .conftest import LiveServer, tone_samples


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_directory_and_database_are_the_owners_alone(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "fresh" / "home")
    store = Store(settings.resolved_database_url, settings.resolved_artifacts)
    store.upgrade()
    store.close()
    home = settings.home
    assert _mode(home) == 0o700, oct(_mode(home))
    assert _mode(home / "u22a8.db") == 0o600, oct(_mode(home / "u22a8.db"))
    assert _mode(home / "artifacts") == 0o700
    for extra in home.glob("u22a8.db-*"):  # SQLite's WAL files take the database file's mode
        assert _mode(extra) == 0o600, extra


def test_quickstart_reuses_one_demo_key(live_server: LiveServer) -> None:
    settings = Settings(home=live_server.home)
    server = SimpleNamespace(started=True)
    printed = []
    for _ in range(2):
        out = io.StringIO()
        with redirect_stdout(out):
            prepare_demo(server, settings, live_server.url, "low")
        printed.append(out.getvalue())
    keys = [line.rsplit(" ", 1)[1] for text in printed for line in text.splitlines() if line.startswith("demo key")]
    assert len(keys) == 2 and keys[0] == keys[1], printed
    saved = live_server.home / "demo-key"
    assert saved.read_text().strip() == keys[0] and _mode(saved) == 0o600
    store = live_server.store()
    live = [k for k in store.keys.list("demo") if k.revoked_at is None]
    store.close()
    assert len(live) == 1


def test_a_failed_run_shows_a_short_reason_and_logs_the_details(tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(home=tmp_path / "home", prepare_models=False)
    store = Store(settings.resolved_database_url, settings.resolved_artifacts)
    store.upgrade()
    store.models.create("acme.tone", "classify", quiet_seconds=1)
    store.samples.upsert("acme.tone", [NewSample(s["text"], {"label": s["label"]}) for s in tone_samples()],
                         max_per_model=1000)
    # A file where the model's artifact folder should be: storing the artifact fails with an
    # OSError whose message names the server's paths.
    (Path(settings.resolved_artifacts) / "acme.tone").write_text("in the way")
    run = store.runs.enqueue_search("acme.tone", "low")
    claimed = store.runs.claim(run.id, "test-worker", 60)
    assert claimed is not None
    with caplog.at_level(logging.ERROR, logger="u22a8.runs"):
        execute_run(store, settings, claimed, "test-worker")
    failed = store.runs.get_by_id(run.id)
    store.close()
    assert failed is not None and failed.state == "failed"
    assert failed.error and len(failed.error) < 200
    assert str(tmp_path) not in failed.error and "Errno" not in failed.error and "Traceback" not in failed.error
    assert run.id in failed.error or "log" in failed.error  # says where the details are
    assert str(tmp_path) in caplog.text  # the details went to the log


def test_an_artifact_the_api_cannot_read_is_503_with_what_to_check(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "api")
    app = create_app(settings, with_executor=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.get("/readyz").status_code == 200
        api_store: Store = app.state.platform.store
        api_store.models.create("acme.tone", "classify", quiet_seconds=1)
        _, secret = api_store.keys.create("acme", ["read"])
        # A worker on the same database writing to an artifacts directory the API does not share.
        worker = Store(settings.resolved_database_url, tmp_path / "worker-artifacts")
        run = worker.runs.enqueue_search("acme.tone", "low")
        assert worker.runs.claim(run.id, "w", 30) is not None
        sha = worker.artifacts.put(f"acme.tone/{run.id}.u22a8", b"bytes the API never sees")
        worker.runs.finish(run.id, "w", "succeeded", promote=True, version=NewVersion(
            params={}, metrics={"primary": 0.9}, report={}, sample_ids=[], artifact_key=f"acme.tone/{run.id}.u22a8",
            artifact_sha256=sha))
        worker.close()

        bearer = {"Authorization": f"Bearer {secret}"}
        answer = client.post("/v1/models/acme.tone/predict", json={"inputs": ["hello"]}, headers=bearer)
        assert answer.status_code == 503, answer.text
        problem = answer.json()
        assert problem["code"] == "artifact_unavailable" and "U22A8_ARTIFACTS_DIR" in problem["detail"]
        assert str(tmp_path) not in answer.text  # server paths stay in the log
        export = client.get("/v1/models/acme.tone/versions/1/export", headers=bearer)
        assert export.status_code == 503 and export.json()["code"] == "artifact_unavailable"
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["code"] == "artifact_unavailable"
        assert "U22A8_ARTIFACTS_DIR" in ready.json()["detail"]
