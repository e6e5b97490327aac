"""The SDK against the real app in-process (real SQLite store; no run executor, so runs stay queued)."""

from __future__ import annotations

import asyncio
import csv
import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

import u22a8
from u22a8.server import create_app
from u22a8.settings import Settings

from ..conftest import tone_samples
from .conftest import H, InProcessApp


def test_models_create_get_list_update_delete(client: u22a8.Client) -> None:
    m = client.models.create(H, "classify", labels=["friendly", "curt", "sorry"], description="tone")
    assert (m.handle, m.owner, m.task, m.state, m.labels) == (H, "acme", "classify", "draft", ("friendly", "curt", "sorry"))
    assert m.active_version is None and m.last_run is None and m.auto_retrain.enabled
    assert client.models.get(H) == m
    for i in range(5):
        client.models.create(f"acme.m{i}", "score", auto_retrain=False)
    handles = [x.handle for x in client.models.list(page_size=2)]
    assert sorted(handles) == sorted([H] + [f"acme.m{i}" for i in range(5)]) and len(set(handles)) == 6
    updated = client.models.update(H, description="new", labels=None)
    assert updated.description == "new" and updated.labels is None
    assert client.models.update(H, description="newer").labels is None  # untouched fields stay
    with pytest.raises(u22a8.Conflict):
        client.models.create(H, "classify")
    client.models.delete(H)
    with pytest.raises(u22a8.NotFound):
        client.models.get(H)


def test_samples_from_objects_csv_and_jsonl_with_progress(client: u22a8.Client, tmp_path: Path) -> None:
    client.models.create(H, "classify", labels=["friendly", "curt", "sorry"])
    samples = tone_samples(10)
    counts = client.samples.add(H, samples[:10])
    assert (counts.added, counts.sample_count) == (10, 10)
    csv_path = tmp_path / "tone.csv"
    with csv_path.open("w", newline="") as f:
        w = csv.DictWriter(f, ["text", "label"])
        w.writeheader()
        w.writerows(samples[10:20])
    progress: list[tuple[int, int]] = []
    counts = client.samples.add(H, csv_path, chunk_size=3, on_progress=lambda done, total: progress.append((done, total)))
    assert (counts.added, counts.updated, counts.unchanged, counts.sample_count) == (10, 0, 0, 20)
    assert progress == [(3, 10), (6, 10), (9, 10), (10, 10)]
    jsonl = tmp_path / "tone.jsonl"
    jsonl.write_text("\n".join(json.dumps({**s, "id": f"s{i}"}) for i, s in enumerate(samples[20:])))
    assert client.samples.add(H, jsonl).added == 10
    # Same texts again: nothing new.
    assert client.samples.add(H, samples[:10]).unchanged == 10
    listed = list(client.samples.list(H, page_size=7))
    assert len(listed) == 30 and len({s.id for s in listed}) == 30
    curt = list(client.samples.list(H, label="curt"))
    assert curt and all(s.label == "curt" for s in curt)
    client.samples.delete(H, "s0")
    assert client.models.get(H).sample_count == 29
    with pytest.raises(u22a8.NotFound):
        client.samples.delete(H, "s0")


def test_bad_samples_name_their_place_in_the_whole_upload(client: u22a8.Client) -> None:
    client.models.create(H, "classify", labels=["friendly", "curt", "sorry"])
    samples = tone_samples(4)  # 12 samples
    samples[7] = {"text": "   ", "label": "friendly"}
    samples[8] = {"text": "rude", "label": "angry"}
    with pytest.raises(u22a8.InvalidRequest) as info:
        client.samples.add(H, samples, chunk_size=5)
    assert [e["index"] for e in info.value.errors] == [7, 8]
    assert "5 samples before them were stored" in info.value.detail
    assert client.models.get(H).sample_count == 5  # the first chunk; the refused one stored nothing


def test_train_states_without_an_executor(client: u22a8.Client) -> None:
    client.models.create(H, "classify")
    client.samples.add(H, [{"text": "only one", "label": "a"}])
    with pytest.raises(u22a8.TooFewSamples) as info:
        client.train(H, "low")
    assert info.value.status == 422 and info.value.body.get("missing")
    with pytest.raises(u22a8.ModelNotReady):
        client.predict(H, ["hello"])
    client.samples.add(H, tone_samples(5))
    first = client.train(H, "low")
    assert first.state == "busy" and first.queued and first.run is not None
    run = first.run
    assert (run.model, run.kind, run.state, run.effort) == (H, "search", "queued", "low")
    again = client.train(H, "high")
    assert again.run is not None and again.run.id == run.id  # busy: the run in flight, nothing new
    assert [r.id for r in client.runs.list(H)] == [run.id]
    assert client.models.get(H).last_run == run
    seen: list[str] = []
    canceled = client.runs.cancel(H, run.id)
    final = run.wait(on_progress=lambda r: seen.append(r.state), poll_interval=0.01)
    assert canceled.state == final.state == "canceled" and not final.succeeded
    assert seen == ["queued", "canceled"]
    assert [e.type for e in client.runs.events(H, run.id)][-1] == "canceled"
    assert client.models.get(H).state == "draft"
    assert client.estimate(H).n_samples == 16
    with pytest.raises(u22a8.NotFound):
        client.runs.get(H, "no-such-run")


def test_wait_calls_on_progress_when_the_phase_or_the_eta_changes(inproc: InProcessApp) -> None:
    """A max search's fine-tuning (minutes at trials_done 0) shows through ``run.phase``.

    Each on_progress call writes the next snapshot, as a worker would, so every step must be
    seen for the wait to end; steps 2 and 3 differ from the one before only in phase or ETA.
    """
    store = inproc.store
    phase_a, phase_b = "fine-tuning MiniLM: 120/940 steps", "fine-tuning MiniLM: 240/940 steps"
    snapshot = {"trials_planned": 40, "trials_done": 0, "best_score": None}
    steps = [
        lambda run_id: store.runs.claim(run_id, "w1", 30),
        lambda run_id: store.runs.progress(run_id, "w1", {**snapshot, "eta_seconds": 600.0, "phase": phase_a}, None),
        lambda run_id: store.runs.progress(run_id, "w1", {**snapshot, "eta_seconds": 600.0, "phase": phase_b}, None),
        lambda run_id: store.runs.progress(run_id, "w1", {**snapshot, "eta_seconds": 540.0, "phase": phase_b}, None),
        lambda run_id: store.runs.progress(run_id, "w1", {**snapshot, "trials_done": 1, "best_score": 0.8,
                                                          "eta_seconds": 300.0},
                                           {"number": 0, "score": 0.8, "params": {}, "elapsed": 1.0}),
        lambda run_id: store.runs.finish(run_id, "w1", "canceled", error="canceled"),
    ]
    seen: list[u22a8.client.Run] = []

    def on_progress(r: u22a8.client.Run) -> None:
        seen.append(r)
        if len(seen) <= len(steps):
            assert steps[len(seen) - 1](r.id)

    with inproc.client() as c:
        c.models.create(H, "classify")
        c.samples.add(H, tone_samples(5))
        run = c.train(H, "max").run
        assert run is not None and run.phase is None
        final = run.wait(on_progress=on_progress, timeout=30, poll_interval=0.01)
    assert [(r.state, r.phase, r.trials_done) for r in seen] == [
        ("queued", None, 0), ("running", None, 0), ("running", phase_a, 0), ("running", phase_b, 0),
        ("running", phase_b, 0), ("running", None, 1), ("canceled", None, 1),
    ]
    assert [r.eta_seconds for r in seen[2:5]] == [600.0, 600.0, 540.0]
    assert final.state == "canceled" and final.phase is None
    # The ETA counts in whole seconds: a re-estimate is a change, float noise is not.
    running = seen[3]
    assert replace(running, eta_seconds=600.3)._progress_key() == running._progress_key()
    assert replace(running, eta_seconds=598.0)._progress_key() != running._progress_key()


def test_keys_scopes_and_owners(inproc: InProcessApp) -> None:
    with inproc.client() as admin:
        created = admin.keys.create(["read"], name="reader")
        assert created.key and created.owner == "acme" and created.scopes == ("read",)
        assert created.id in {k.id for k in admin.keys.list()}
        admin.models.create(H, "classify")
        with inproc.client(created.key) as reader:
            assert reader.models.get(H).handle == H
            with pytest.raises(u22a8.Forbidden):
                reader.models.create("acme.other", "classify")
            with pytest.raises(u22a8.Forbidden):
                reader.keys.list()
            assert admin.keys.revoke(created.id).revoked_at is not None
            with pytest.raises(u22a8.Unauthorized):
                reader.models.get(H)
    with inproc.client(inproc.key("globex")) as other:
        with pytest.raises(u22a8.NotFound):  # another owner's model does not exist for this key
            other.models.get(H)
    with u22a8.Client("http://testserver", api_key=None, transport=inproc.transport()) as anonymous:
        with pytest.raises(u22a8.Unauthorized):
            list(anonymous.models.list())
        assert anonymous.ready()


def test_the_server_replays_a_repeated_idempotency_key(inproc: InProcessApp) -> None:
    # What a retried POST looks like to the server: the same key and body again.
    with inproc.client(headers={"Idempotency-Key": "fixed-key"}) as c:
        first = c.models.create(H, "classify")
        assert c.models.create(H, "classify") == first  # replayed, not a 409
        with pytest.raises(u22a8.IdempotencyKeyReused):
            c.models.create("acme.another", "classify")


def test_async_client_in_process(tmp_path: Path) -> None:
    app = create_app(Settings(home=tmp_path / "home"), with_executor=False)
    store = app.state.platform.store
    store.upgrade()
    _, secret = store.keys.create("acme", ["read", "write", "train", "admin"])

    async def main() -> None:
        async with u22a8.AsyncClient("http://testserver", secret, transport=httpx.ASGITransport(app=app)) as c:
            await c.models.create(H, "classify")
            counts = await c.samples.add(H, tone_samples(5), chunk_size=4)
            assert counts.sample_count == 15
            assert len([s async for s in c.samples.list(H, page_size=4)]) == 15
            assert [m.handle async for m in c.models.list()] == [H]
            result = await c.train(H, "low")
            assert isinstance(result.run, u22a8.client.AsyncRun) and result.run.state == "queued"
            await result.run.cancel()
            states: list[str] = []

            async def note(r: u22a8.client.AsyncRun) -> None:
                states.append(r.state)

            final = await result.run.wait(on_progress=note, poll_interval=0.01)
            assert final.state == "canceled" and states == ["queued", "canceled"]
            assert [e.type async for e in c.runs.events(H, final.id)][-1] == "canceled"
            with pytest.raises(u22a8.ModelNotReady):
                await c.predict(H, "hello")
            with pytest.raises(u22a8.NotFound):
                await c.versions.report(H, 1)

    try:
        asyncio.run(main())
    finally:
        store.close()
