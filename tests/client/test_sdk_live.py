"""The SDK through a real ``u22a8 serve`` process: training, waiting, events, predict, export."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import u22a8

from ..conftest import LiveServer, tone_samples
from .conftest import H


def test_train_wait_with_progress_then_events(trained_server: tuple[LiveServer, str]) -> None:
    server, key = trained_server
    handle = "acme.progress"
    with u22a8.Client(server.url, key) as c:
        c.models.create(handle, "classify")
        c.samples.add(handle, tone_samples(15, seed=1))
        result = c.train(handle, effort="low")
        assert result.state == "busy" and result.run is not None
        seen: list[u22a8.client.Run] = []
        final = result.run.wait(on_progress=seen.append, timeout=120, poll_interval=0.1)
        assert final.succeeded and final.version == 1 and final.trials_done >= 1
        assert seen[0].state in ("queued", "running") and seen[-1] == final
        assert len({r._progress_key() for r in seen}) == len(seen)  # called on change only
        assert all(r.phase is None for r in seen)  # low effort: trials from the start
        events = list(c.runs.events(handle, final.id))
        types = [e.type for e in events]
        assert types[0] == "queued" and "started" in types and types[-1] == "succeeded"
        assert [e.id for e in events] == sorted(e.id for e in events if e.id is not None)
        model = c.models.get(handle)
        assert model.state == "ready" and model.active_version is not None and model.active_version.number == 1
        assert c.train(handle).state == "ready"  # ready, no reoptimize: nothing queued
        c.models.delete(handle)


def test_predict_report_versions(trained_server: tuple[LiveServer, str]) -> None:
    server, key = trained_server
    with u22a8.Client(server.url, key) as c:
        result = c.predict(H, ["thanks, wonderful and lovely", "sorry, our mistake, apologies"], top_k=2)
        assert result.version == 1 and len(result) == 2
        assert [p.label for p in result] == ["friendly", "sorry"]
        assert all(p.confidence is not None and 0 <= p.confidence <= 1 and len(p.scores or {}) == 2 for p in result)
        (version,) = c.versions.list(H)
        assert version.active and version.number == 1 and version.sample_count == 45
        report = c.versions.report(H, 1)
        assert report.model == H and report.version == 1 and report.metrics
        confusion = report.confusion
        assert confusion is not None
        labels, matrix = confusion
        assert sorted(labels) == ["curt", "friendly", "sorry"] and len(matrix) == 3
        assert c.versions.activate(H, 1).active
        with pytest.raises(u22a8.NotFound):
            c.versions.report(H, 99)


def test_export_loads_offline_and_predicts_like_the_server(trained_server: tuple[LiveServer, str],
                                                           tmp_path: Path) -> None:
    server, key = trained_server
    texts = ["thanks so much, glad to help", "no. denied. policy.", "oops, we regret the mistake"]
    with u22a8.Client(server.url, key) as c:
        path = c.versions.export(H, 1, tmp_path)
        online = c.predict(H, texts)
    assert path == tmp_path / f"{H}-v1.u22a8.zip" and path.stat().st_size > 0
    assert not list(tmp_path.glob(".part-*"))
    exported = u22a8.load_export(path)
    assert exported.manifest["handle"] == H and exported.version == 1 and exported.task == "classify"
    offline = exported.predict(texts)
    assert [p.label for p in offline] == [p.label for p in online]
    assert [p.confidence for p in offline] == pytest.approx([p.confidence for p in online])
    # A tampered file is refused before anything is loaded.
    broken = tmp_path / "broken.zip"
    import zipfile

    with zipfile.ZipFile(path) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data + b"x" if item.filename == "predictor.bin" else data)
    with pytest.raises(Exception):
        u22a8.load_export(broken)


def test_async_client_against_the_server(trained_server: tuple[LiveServer, str], tmp_path: Path) -> None:
    server, key = trained_server

    async def main() -> None:
        async with u22a8.AsyncClient(server.url, key) as c:
            got = await c.predict(H, "thanks, wonderful")
            assert got[0].label == "friendly"
            model = await c.models.get(H)
            assert model.last_run is not None and isinstance(model.last_run, u22a8.client.AsyncRun)
            final = await model.last_run.wait(timeout=30)
            assert final.done
            path = await c.versions.export(H, 1, tmp_path / "v1.zip")
            assert path.stat().st_size > 0
            assert (await c.estimate(H)).n_samples == 45

    asyncio.run(main())


def test_unreachable_server_is_a_transport_error() -> None:
    from ..conftest import free_port

    with u22a8.Client(f"http://127.0.0.1:{free_port()}", "k", retry=u22a8.client.Retry(attempts=2, backoff=0.01)) as c:
        with pytest.raises(u22a8.TransportError):
            c.models.get(H)


def test_multilabel_and_score_models_predict_their_shapes(trained_server: tuple[LiveServer, str]) -> None:
    server, key = trained_server
    base = tone_samples(12, seed=5)
    with u22a8.Client(server.url, key) as c:
        c.models.create("acme.tags", "multilabel")
        c.samples.add("acme.tags", [{"text": s["text"], "labels": [s["label"], "reply"] if i % 2 else [s["label"]]}
                                    for i, s in enumerate(base)])
        c.models.create("acme.politeness", "score")
        c.samples.add("acme.politeness", [{"text": s["text"], "score": {"friendly": 1.0, "sorry": 0.5}.get(s["label"], 0.0)}
                                          for s in base])
        runs = [c.train(h, "low").run for h in ("acme.tags", "acme.politeness")]
        assert all(r is not None and r.wait(timeout=120).succeeded for r in runs)
        (tags,) = c.predict("acme.tags", "thanks, wonderful, glad")
        assert tags.labels is not None and "friendly" in tags.labels and tags.label is None and tags.scores
        (politeness,) = c.predict("acme.politeness", "thanks, wonderful, glad")
        assert politeness.score is not None and politeness.label is None and politeness.labels is None
        assert c.versions.report("acme.politeness", 1).confusion is None
        for h in ("acme.tags", "acme.politeness"):
            c.models.delete(h)
