"""The SDK and the CLI over the pool and suggestions, in-process against the real app."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import u22a8
from u22a8.cli import app
from u22a8.client import PoolCounts

from ..client.conftest import InProcessApp
from .conftest import POOL, labeled_samples, train_version


@pytest.fixture
def inproc(tmp_path: Path):  # type: ignore[no-untyped-def]
    with InProcessApp(tmp_path / "home") as running:
        yield running


def test_sdk_pool_and_suggestions(inproc: InProcessApp, tmp_path: Path) -> None:
    with inproc.client() as client:
        client.models.create("acme.intents", "classify")
        client.samples.add("acme.intents", labeled_samples())
        train_version(inproc.store, "acme.intents")

        counts = client.pool.add("acme.intents", POOL[:5] + [labeled_samples()[0]["text"]], chunk_size=2)
        assert counts == PoolCounts(added=5, updated=0, unchanged=0, labeled=1, pool_count=5)
        csv_file = tmp_path / "pool.csv"
        csv_file.write_text("id,text\n" + "\n".join(f"c{i},{t}" for i, t in enumerate(POOL[5:])) + "\n")
        assert client.pool.add("acme.intents", csv_file).pool_count == len(POOL)
        assert [t.text for t in client.pool.list("acme.intents", page_size=3)] == POOL

        found = client.suggestions("acme.intents", limit=5)
        assert found.version == 1 and len(found) == 5
        texts = [s.text for s in found]
        assert len(set(texts)) == 5 and set(texts) <= set(POOL)
        top = found.items[0]
        client.samples.add("acme.intents", [{"text": top.text, "label": top.guess["label"]}])
        assert top.text not in [s.text for s in client.suggestions("acme.intents", limit=50)]

        client.pool.delete("acme.intents", "c0")
        with pytest.raises(u22a8.NotFound):
            client.pool.delete("acme.intents", "c0")
        client.pool.clear("acme.intents")
        assert list(client.pool.list("acme.intents")) == []
        with pytest.raises(u22a8.InvalidRequest) as bad:
            client.pool.add("acme.intents", [{"text": " "}])
        assert bad.value.code == "invalid_request"


def test_cli_pool_suggestions_and_label(inproc: InProcessApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = inproc.key()
    # The CLI builds its client from the global options; here it reaches the in-process app.
    import u22a8.client.cli._common as common
    monkeypatch.setattr(common, "Client", functools.partial(u22a8.Client, transport=inproc.transport()))
    runner = CliRunner()

    def run(*args: str, input: str | None = None):  # type: ignore[no-untyped-def]
        return runner.invoke(app, ["--base-url", "http://testserver", "--api-key", key, *args], input=input)

    with inproc.client(key) as client:
        client.models.create("acme.intents", "classify")
        client.samples.add("acme.intents", labeled_samples())
        train_version(inproc.store, "acme.intents")

    jsonl = tmp_path / "pool.jsonl"
    jsonl.write_text("".join(json.dumps({"text": t}) + "\n" for t in POOL))
    added = run("pool", "add", "acme.intents", str(jsonl))
    assert added.exit_code == 0 and f"{len(POOL)} added" in added.stdout, added.stdout
    assert "1 added" in run("pool", "add", "acme.intents", "--text", "one more").stdout
    listed = json.loads(run("pool", "list", "acme.intents", "--limit", "0", "--json").stdout)
    assert len(listed) == len(POOL) + 1

    shown = run("suggestions", "acme.intents", "--limit", "3")
    assert shown.exit_code == 0 and "uncertainty" in shown.stdout
    got = json.loads(run("suggestions", "acme.intents", "--limit", "3", "--json").stdout)
    assert len(got["items"]) == 3

    labeled = run("label", "acme.intents", "--count", "3", input="2\ns\n\n")
    assert labeled.exit_code == 0 and "stored 2 sample(s)" in labeled.stdout, labeled.stdout
    left = json.loads(run("pool", "list", "acme.intents", "--limit", "0", "--json").stdout)
    assert len(left) == len(POOL) - 1

    assert run("pool", "add", "acme.intents").exit_code == 2
    missing = run("suggestions", "acme.nope")
    assert missing.exit_code != 0 and "not_found" in (missing.stderr or missing.stdout)
