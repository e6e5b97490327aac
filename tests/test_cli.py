"""The CLI against a real server: exit codes, --json output, uploads, training with --wait, predict,
reports, and the examples of docs/cli.md run line by line."""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import u22a8
from u22a8.cli import app
from u22a8.client.cli import ExitCode

from .conftest import ROOT, LiveServer, free_port, server_env, tone_samples

ADMIN = ("read", "write", "train", "admin")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    home = tmp_path_factory.mktemp("cli") / "home"
    live = LiveServer(home=home, port=free_port(), env=server_env(home))
    live.start()
    yield live
    live.stop()


def run(server: LiveServer | None, key: str | None, *args: str, input: str | None = None) -> Any:
    """Invoke the CLI in-process; connection options as a user would pass them."""
    head = ["--base-url", server.url if server else f"http://127.0.0.1:{free_port()}"]
    if key:
        head += ["--api-key", key]
    env = {"U22A8_API_KEY": None, "U22A8_BASE_URL": None, "COLUMNS": "120"}
    return CliRunner().invoke(app, [*head, *args], input=input, env=env)  # type: ignore[arg-type]


def as_json(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def write_csv(path: Path, rows: list[dict[str, Any]], fields: tuple[str, ...] = ("text", "label")) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fields)
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_usage_errors_exit_2_and_help_lists_commands(tmp_path: Path) -> None:
    top = CliRunner().invoke(app, ["--help"])
    assert top.exit_code == 0
    for command in ("serve", "worker", "migrate", "keys", "quickstart", "models", "samples", "train", "runs",
                    "versions", "predict", "export", "estimate"):
        assert command in top.output
    assert run(None, "k", "models", "create").exit_code == ExitCode.USAGE  # missing handle
    assert run(None, "k", "models", "create", "acme.x", "--task", "nope").exit_code == ExitCode.USAGE
    assert run(None, "k", "train", "acme.x", "--effort", "huge").exit_code == ExitCode.USAGE
    missing = run(None, "k", "samples", "add", "acme.x", str(tmp_path / "missing.csv"))
    assert missing.exit_code == ExitCode.USAGE and "missing.csv" in missing.stderr
    assert run(None, "k", "samples", "add", "acme.x", "-").exit_code == ExitCode.USAGE  # stdin needs --format


def test_unreachable_server_exits_6() -> None:
    result = run(None, "k", "models", "list")
    assert result.exit_code == ExitCode.UNREACHABLE and "is a server running" in result.stderr


def test_models_samples_train_predict_report_export(server: LiveServer, tmp_path: Path) -> None:
    key = server.key("acme", ADMIN)
    h = "acme.cli-flow"
    created = as_json(run(server, key, "models", "create", h, "--labels", "friendly,curt,sorry", "--json"))
    assert created["state"] == "draft" and created["labels"] == ["friendly", "curt", "sorry"]
    assert run(server, key, "models", "create", h).exit_code == ExitCode.API_ERROR  # conflict

    samples = tone_samples(15, seed=3)
    added = as_json(run(server, key, "samples", "add", h, str(write_csv(tmp_path / "a.csv", samples[:30])),
                        "--chunk-size", "7", "--json"))
    assert added == {"added": 30, "updated": 0, "unchanged": 0, "sample_count": 30}
    jsonl = tmp_path / "b.jsonl"
    jsonl.write_text("\n".join(json.dumps(s) for s in samples[30:]) + "\n")
    assert "15 added" in run(server, key, "samples", "add", h, str(jsonl)).stdout
    ndjson = "\n".join(json.dumps(s) for s in samples[:3])
    assert as_json(run(server, key, "samples", "add", h, "-", "--format", "ndjson", "--json",
                       input=ndjson))["unchanged"] == 3
    # Outside the label set: refused with the bad row named, nothing stored.
    bad = run(server, key, "samples", "add", h, str(write_csv(tmp_path / "bad.csv", [{"text": "hm", "label": "angry"}])))
    assert bad.exit_code == ExitCode.API_ERROR and "#0" in bad.stderr and "angry" in bad.stderr
    listed = as_json(run(server, key, "samples", "list", h, "--label", "curt", "--limit", "0", "--json"))
    assert len(listed) == 15 and {s["label"] for s in listed} == {"curt"}

    final = as_json(run(server, key, "train", h, "--effort", "low", "--wait", "--json"))
    assert final["state"] == "succeeded" and final["version"] == 1
    assert run(server, key, "train", h).stdout.startswith(f"{h} is ready")
    shown = as_json(run(server, key, "models", "show", h, "--json"))
    assert shown["state"] == "ready" and shown["active_version"]["number"] == 1

    lines = run(server, key, "predict", h, input="thanks, wonderful and lovely\n\nsorry, our mistake, apologies\n")
    assert lines.exit_code == 0, lines.output
    rows = [line.split("\t") for line in lines.stdout.splitlines()]
    assert [(r[0], r[2]) for r in rows] == [("friendly", "thanks, wonderful and lovely"),
                                            ("sorry", "sorry, our mistake, apologies")]
    predicted = as_json(run(server, key, "predict", h, "no, denied, policy", "--top-k", "1", "--json"))
    assert predicted["version"] == 1 and predicted["predictions"][0]["label"] == "curt"

    report = run(server, key, "versions", "report", h)
    assert report.exit_code == 0, report.output
    assert "confusion matrix" in report.stdout and "per class" in report.stdout
    assert re.search(r"curt\s.*\d+\s.*\d+\s.*\d+", report.stdout)
    assert as_json(run(server, key, "versions", "list", h, "--json"))[0]["active"] is True
    assert as_json(run(server, key, "versions", "activate", h, "1", "--json"))["number"] == 1
    runs = as_json(run(server, key, "runs", "list", h, "--json"))
    assert runs[0]["state"] == "succeeded"
    assert as_json(run(server, key, "runs", "show", h, runs[0]["id"], "--json"))["id"] == runs[0]["id"]
    assert as_json(run(server, key, "runs", "wait", h, runs[0]["id"], "--json"))["state"] == "succeeded"
    events = run(server, key, "runs", "events", h, runs[0]["id"]).stdout.splitlines()
    assert json.loads(events[-1])["type"] == "succeeded"
    assert set(as_json(run(server, key, "estimate", h, "--json"))["efforts"]) >= {"low", "medium"}

    exported = as_json(run(server, key, "export", h, "-o", str(tmp_path / "m.zip"), "--json"))
    assert exported["version"] == 1
    assert u22a8.load_export(exported["path"]).predict("thanks, lovely")[0].label == "friendly"
    texts = ["thanks, lovely", "sorry about that", "no. denied."]
    served = as_json(run(server, key, "predict", h, *texts, "--version", "1", "--json"))
    offline = as_json(run(None, None, "predict-offline", exported["path"], *texts, "--json"))
    assert offline == served  # the exported file answers what the server answers, without it
    lines = run(None, None, "predict-offline", exported["path"], "thanks, lovely").stdout.splitlines()
    assert lines[0].startswith("friendly\t") and lines[0].endswith("\tthanks, lovely")

    assert run(server, key, "models", "delete", h, "--yes").exit_code == 0
    assert run(server, key, "models", "show", h).exit_code == ExitCode.NOT_FOUND


def test_error_exit_codes(server: LiveServer, tmp_path: Path) -> None:
    key = server.key("acme", ADMIN)
    missing = run(server, key, "models", "show", "acme.nope", "--json")
    assert missing.exit_code == ExitCode.NOT_FOUND and json.loads(missing.stderr)["code"] == "not_found"
    assert run(server, "wrong-key", "models", "list").exit_code == ExitCode.AUTH
    no_key = run(server, None, "models", "list")
    assert no_key.exit_code == ExitCode.AUTH and "U22A8_API_KEY" in no_key.stderr
    reader = server.key("acme", ("read",))
    assert run(server, reader, "models", "create", "acme.x").exit_code == ExitCode.AUTH  # forbidden

    h = "acme.cli-fails"
    assert run(server, key, "models", "create", h).exit_code == 0
    assert run(server, key, "predict", h, "hello").exit_code == ExitCode.API_ERROR  # model_not_ready
    few = run(server, key, "train", h)
    assert few.exit_code == ExitCode.API_ERROR and "too_few_samples" in few.stderr
    run(server, key, "samples", "add", h, str(write_csv(tmp_path / "s.csv", tone_samples(5))))
    # A real failure: the model's artifact directory cannot be created.
    blocker = server.home / "artifacts" / h
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("not a directory")
    failed = run(server, key, "train", h, "--effort", "low", "--wait")
    assert failed.exit_code == ExitCode.RUN_FAILED and "failed" in failed.stdout


def test_keys_create_list_revoke(server: LiveServer) -> None:
    env = {**server.env, "U22A8_BASE_URL": server.url}
    made = subprocess.run([sys.executable, "-m", "u22a8.cli", "keys", "create", "--owner", "acme", "--scopes",
                           "read,admin", "--name", "ci", "--json"], env=env, capture_output=True, text=True, check=True)
    secret = json.loads(made.stdout)
    listed = as_json(run(server, secret["key"], "keys", "list", "--json"))
    assert secret["id"] in {k["id"] for k in listed}
    other = server.key("acme", ("read",))
    other_id = next(k["id"] for k in as_json(run(server, secret["key"], "keys", "list", "--json"))
                    if other.startswith(k["prefix"]))
    revoked = as_json(run(server, secret["key"], "keys", "revoke", other_id, "--json"))
    assert revoked["revoked_at"] is not None
    assert run(server, other, "models", "list").exit_code == ExitCode.AUTH


def test_migrate_still_works(tmp_path: Path) -> None:
    env = server_env(tmp_path / "home")
    done = subprocess.run([sys.executable, "-m", "u22a8.cli", "migrate"], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and "up to date" in done.stdout


def test_prepare_reports_where_the_models_are(tmp_path: Path) -> None:
    # `make install` prepared the machine-wide copy; the command finds it and says where.
    env = server_env(tmp_path / "home")
    done = subprocess.run([sys.executable, "-m", "u22a8.cli", "prepare"], env=env, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.strip() == f"models ready in {Path.home() / '.cache' / 'u22a8' / 'models'}"


# --- docs/cli.md: every "$ " line of its console blocks runs, in order, in one shell ----------------

def doc_script(text: str) -> tuple[dict[str, str], list[tuple[str, list[str]]]]:
    """The files (``<!-- file: NAME -->`` then a fenced block) and (command, shown output) pairs."""
    files: dict[str, str] = {}
    steps: list[tuple[str, list[str]]] = []
    for match in re.finditer(r"<!-- file: (\S+) -->\s*```\w*\n(.*?)```", text, re.S):
        files[match.group(1)] = match.group(2)
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
    return files, steps


def test_docs_cli_examples_run(server: LiveServer, tmp_path: Path) -> None:
    files, steps = doc_script((ROOT / "docs" / "cli.md").read_text())
    assert len(steps) >= 15
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    # After each command: note its status, then restore it so a documented `echo $?` sees it.
    script = ["set -o pipefail"]
    for i, (command, _) in enumerate(steps):
        script += [command, f'__rc=$?; printf "\\n@@step {i} %s\\n" "$__rc"; (exit $__rc)']
    env = {**server.env, "U22A8_BASE_URL": server.url, "COLUMNS": "100",
           "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=180)
    outputs: dict[int, tuple[int, str]] = {}
    chunk: list[str] = []
    for line in done.stdout.splitlines():
        marker = re.fullmatch(r"@@step (\d+) (\d+)", line)
        if marker:
            outputs[int(marker.group(1))] = (int(marker.group(2)), "\n".join(chunk).strip())
            chunk = []
        else:
            chunk.append(line)
    assert len(outputs) == len(steps), done.stderr[-3000:]
    for i, (command, shown) in enumerate(steps):
        status, output = outputs[i]
        if command == "echo $?":
            assert output == "\n".join(shown).strip(), f"{steps[i - 1][0]!r} exited {output}\n{done.stderr[-2000:]}"
        elif i + 1 >= len(steps) or steps[i + 1][0] != "echo $?":
            assert status == 0, f"{command!r} exited {status}:\n{output}\n{done.stderr[-2000:]}"


def test_docs_cli_names_every_command_and_exit_code() -> None:
    text = (ROOT / "docs" / "cli.md").read_text()
    import typer.main

    group = typer.main.get_command(app)
    names: list[str] = []
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        subs = getattr(command, "commands", None)
        names += [f"u22a8 {name} {sub}" for sub in subs] if subs else [f"u22a8 {name}"]
    assert [n for n in names if n not in text] == []
    for code in ExitCode:
        assert re.search(rf"\|\s*`?{int(code)}`?\s*\|", text), f"exit code {int(code)} is not documented"


def test_predict_lines_for_each_task() -> None:
    from u22a8.client import Prediction
    from u22a8.client.cli._predict import _line

    assert _line(Prediction(label="curt", confidence=0.91234)) == "curt\t0.9123"
    assert _line(Prediction(labels=("billing", "urgent"))) == "billing|urgent"
    assert _line(Prediction(labels=())) == "-"
    assert _line(Prediction(score=0.4123456)) == "0.412346"


def _run_snapshots(*changes: dict[str, Any]) -> list[u22a8.client.Run]:
    """Successive views of one max run, as polling it would see them (the test hands them out)."""
    base = {"id": "run_1", "model": "acme.tone", "kind": "search", "state": "running", "effort": "max",
            "created_at": "2026-12-01T10:00:00+00:00", "trials_planned": 40, "trials_done": 0}
    return [u22a8.client.Run.from_json({**base, **c}, None) for c in changes]


def test_waiting_shows_the_phase_before_the_trials(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import time
    from types import SimpleNamespace

    from rich.console import Console
    from rich.progress import Progress

    from u22a8.client.cli import _training
    from u22a8.client.cli._render import run_details

    phase = "fine-tuning MiniLM: 120/940 steps"
    changes = ({"phase": phase, "eta_seconds": 600.0}, {"phase": phase, "eta_seconds": 540.0},
               {"trials_done": 1, "best_score": 0.8, "eta_seconds": 300.0},
               {"state": "canceled", "trials_done": 1, "best_score": 0.8})
    # Polling without the pauses between polls.
    monkeypatch.setattr("u22a8.client._run.time", SimpleNamespace(monotonic=time.monotonic, sleep=lambda s: None))
    # In logs: one line per change, with the phase while it is set.
    logs = io.StringIO()
    monkeypatch.setattr(_training, "err", lambda: Console(file=logs, force_terminal=False, width=200))
    first, *rest = _run_snapshots(*changes)
    monkeypatch.setattr(u22a8.client.Run, "refresh", lambda self: rest.pop(0))
    assert _training.wait_with_bar(first, show=True, timeout=None).state == "canceled"
    lines = logs.getvalue().splitlines()
    assert lines[0] == f"search running: 0/40 trials, best -, eta 10m00s ({phase})"
    assert lines[1].endswith(f"eta 9m00s ({phase})") and lines[2].endswith("1/40 trials, best 0.8000, eta 5m00s")
    assert lines[3] == "search canceled: 1/40 trials, best 0.8000" and len(lines) == 4

    # On a terminal: the phase stands next to the bar (every update drawn at once, for the test).
    class Drawn(Progress):
        def update(self, *args: Any, **kwargs: Any) -> None:
            super().update(*args, **{**kwargs, "refresh": True})

    screen = io.StringIO()
    monkeypatch.setattr(_training, "err", lambda: Console(file=screen, force_terminal=True, width=200))
    monkeypatch.setattr(_training, "Progress", Drawn)
    first, *rest = _run_snapshots(*changes)
    assert _training.wait_with_bar(first, show=True, timeout=None).state == "canceled" and not rest
    assert phase in screen.getvalue()
    assert ("phase", phase) in [(row[0], row[1]) for row in _cells(run_details(first))]


def _cells(table: Any) -> list[tuple[str, ...]]:
    columns = [[str(c) for c in col._cells] for col in table.columns]
    return list(zip(*columns))


def test_the_cli_offers_exactly_the_registered_tasks() -> None:
    from u22a8.client.cli._models import TASKS
    from u22a8.engine import task_names

    assert TASKS == task_names()


def test_keys_create_takes_the_keys_own_rate_limits(tmp_path: Path) -> None:
    env = {**os.environ, "U22A8_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-m", "u22a8.cli", "keys", "create", "--owner", "acme", "--json"]
    bad = subprocess.run([*cmd, "--rate-limits", "writes=often"], capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "writes" in bad.stderr
    made = subprocess.run([*cmd, "--rate-limits", "writes=5/minute"], capture_output=True, text=True, env=env)
    assert made.returncode == 0, made.stderr
    from u22a8.settings import Settings
    from u22a8.store import Store

    settings = Settings(home=tmp_path / "home")
    store = Store(settings.resolved_database_url, settings.resolved_artifacts)
    try:
        assert [k.rate_limits for k in store.keys.list("acme")] == ["writes=5/minute"]
    finally:
        store.close()
