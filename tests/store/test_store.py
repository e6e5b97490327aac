"""Store behaviour every backend must share."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from u22a8.errors import Conflict, NotFound
from u22a8.store import NewSample, NewVersion, SampleStats, SearchAlreadyActive, Store, utcnow
from u22a8.store.artifacts import ArtifactCorrupt
from u22a8.store.tables import ModelRow, RunRow


def _model(store: Store, handle: str = "acme.tone", quiet: float = 0.0) -> None:
    store.models.create(handle, "classify", quiet_seconds=quiet)


def _version() -> NewVersion:
    return NewVersion(params={"c": 1}, metrics={"primary": 0.9}, report={}, sample_ids=["a"], artifact_key="k",
                      artifact_sha256="0" * 64)


def test_model_create_get_list_delete(store: Store) -> None:
    _model(store)
    _model(store, "acme.other")
    _model(store, "globex.tone")
    with pytest.raises(Conflict):
        _model(store)
    m = store.models.get("acme.tone")
    assert (m.owner, m.name, m.state, m.sample_count) == ("acme", "tone", "draft", 0)
    assert [x.handle for x in store.models.list(["acme"])] == ["acme.other", "acme.tone"]
    assert [x.handle for x in store.models.list(["acme"], after="acme.other")] == ["acme.tone"]
    store.models.delete("acme.tone")
    with pytest.raises(NotFound):
        store.models.get("acme.tone")


def test_sample_upsert_counts_and_all_or_nothing(store: Store) -> None:
    _model(store)
    counts = store.samples.upsert("acme.tone", [NewSample("a", {"label": "x"}, id="1"), NewSample("b", {"label": "y"})],
                                  max_per_model=10)
    assert (counts.added, counts.updated, counts.unchanged) == (2, 0, 0)
    counts = store.samples.upsert("acme.tone", [NewSample("a", {"label": "x"}, id="1"), NewSample("b", {"label": "x"}),
                                                NewSample("c", {"label": "x"})], max_per_model=10)
    assert (counts.added, counts.updated, counts.unchanged) == (1, 1, 1)
    before = store.samples.snapshot(store.models.get("acme.tone").id)
    with pytest.raises(Exception):
        store.samples.upsert("acme.tone", [NewSample(f"t{i}", {"label": "x"}) for i in range(20)], max_per_model=10)
    assert store.samples.snapshot(store.models.get("acme.tone").id) == before
    # What a run trains on: the same samples in the same order, without metadata and timestamps.
    training = store.samples.training_set(store.models.get("acme.tone").id)
    assert [(t.id, t.text, t.target, t.weight) for t in training] == [(s.id, s.text, s.target, s.weight) for s in before]


def test_sample_paging_and_label_filter(store: Store) -> None:
    _model(store)
    store.samples.upsert("acme.tone", [NewSample(f"t{i}", {"label": "even" if i % 2 == 0 else "odd"}) for i in range(25)],
                         max_per_model=100)
    seen, cursor = [], None
    while True:
        page, cursor = store.samples.list("acme.tone", after=cursor, limit=10)
        seen += [s.text for s in page]
        if cursor is None:
            break
    assert seen == [f"t{i}" for i in range(25)]
    odd, _ = store.samples.list("acme.tone", label="odd", limit=100)
    assert len(odd) == 12
    store.samples.delete("acme.tone", odd[0].id)
    with pytest.raises(NotFound):
        store.samples.delete("acme.tone", odd[0].id)


def test_label_counts_come_from_the_database_in_counter_order(store: Store) -> None:
    store.models.create("acme.tone", "classify", quiet_seconds=0)
    labels = ["curt", "sorry", "sorry", "odd one", "curt", "thanks", "sorry", "thanks", "ünïcode"]
    store.samples.upsert("acme.tone", [NewSample(f"t{i}", {"label": lab}) for i, lab in enumerate(labels)],
                         max_per_model=100)
    model = store.models.get("acme.tone")
    stats = store.samples.stats(model.id)
    # Most frequent first, ties in order of first appearance: what Counter.most_common gives.
    assert list(stats.label_counts.items()) == [("sorry", 3), ("curt", 2), ("thanks", 2), ("odd one", 1),
                                                ("ünïcode", 1)]
    assert (stats.n_samples, stats.distinct_scores) == (9, 0)
    assert store.models.labels_in_use("acme.tone") == set(labels)
    assert store.samples.summary(model.id)["n_labels"] == 5
    # Relabeling moves the count; the database, not a cached copy, answers.
    store.samples.upsert("acme.tone", [NewSample("t0", {"label": "sorry"})], max_per_model=100)
    assert store.samples.stats(model.id).label_counts["sorry"] == 4


def test_multilabel_and_score_stats_come_from_the_database(store: Store) -> None:
    store.models.create("acme.topics", "multilabel", quiet_seconds=0)
    targets = [["billing"], ["billing", "urgent"], ["urgent"], ["billing", "refund", "urgent"], ["refund"]]
    store.samples.upsert("acme.topics", [NewSample(f"m{i}", {"labels": t}) for i, t in enumerate(targets)],
                         max_per_model=100)
    topics = store.models.get("acme.topics")
    stats = store.samples.stats(topics.id)
    assert list(stats.label_counts.items()) == [("billing", 3), ("urgent", 3), ("refund", 2)]
    assert stats.n_samples == 5
    assert store.models.labels_in_use("acme.topics") == {"billing", "urgent", "refund"}
    assert store.samples.summary(topics.id)["n_labels"] == 3

    store.models.create("acme.stars", "score", quiet_seconds=0)
    stars = store.models.get("acme.stars")
    assert store.samples.stats(stars.id) == SampleStats(n_samples=0, label_counts={}, distinct_scores=0)
    store.samples.upsert("acme.stars", [NewSample(f"s{i}", {"score": x}) for i, x in enumerate([1.0, 0.5, 1.0, 0.0])],
                         max_per_model=100)
    stats = store.samples.stats(stars.id)
    assert (stats.n_samples, stats.label_counts, stats.distinct_scores) == (4, {}, 3)
    assert store.models.labels_in_use("acme.stars") == set()


def test_one_search_per_model_even_under_concurrency(store: Store) -> None:
    _model(store)
    results: list[str] = []

    def enqueue() -> None:
        try:
            results.append(store.runs.enqueue_search("acme.tone", "low").id)
        except SearchAlreadyActive as hit:
            results.append(hit.run.id)

    threads = [threading.Thread(target=enqueue) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 1
    assert store.models.get("acme.tone").state == "busy"


def test_claim_heartbeat_finish_promote_once(store: Store) -> None:
    _model(store)
    run = store.runs.enqueue_search("acme.tone", "low")
    assert store.runs.claim(run.id, "w1", 30) is not None
    assert store.runs.claim(run.id, "w2", 30) is None
    assert store.runs.heartbeat(run.id, "w2", 30) is None
    assert store.runs.heartbeat(run.id, "w1", 30) is not None
    done = store.runs.finish(run.id, "w1", "succeeded", version=_version(), promote=True)
    assert done is not None and done.version_number == 1
    # A second finish (the run executed twice after a lost lease) changes nothing.
    assert store.runs.finish(run.id, "w1", "succeeded", version=_version(), promote=True) is None
    assert [v.number for v in store.versions.list("acme.tone")] == [1]
    assert store.models.get("acme.tone").state == "ready"


def test_progress_phase_is_stored_then_cleared_by_a_trial_and_by_the_finish(store: Store) -> None:
    _model(store)
    run = store.runs.enqueue_search("acme.tone", "max")
    assert run.phase is None
    assert store.runs.claim(run.id, "w1", 30) is not None
    # What the worker writes while a max search fine-tunes MiniLM before its first trial.
    fine_tuning = {"trials_planned": 40, "trials_done": 0, "best_score": None, "eta_seconds": 300.0}
    phase = "fine-tuning MiniLM: 120/940 steps"
    assert store.runs.progress(run.id, "w1", {**fine_tuning, "phase": phase}, None)
    got = store.runs.get("acme.tone", run.id)
    assert (got.phase, got.trials_done, got.eta_seconds) == (phase, 0, 300.0)
    assert store.runs.get_by_id(run.id).phase == phase  # type: ignore[union-attr]
    assert store.runs.list("acme.tone")[0].phase == phase
    assert store.models.get("acme.tone").active_search.phase == phase  # type: ignore[union-attr]
    [event] = [e for e in store.runs.events(run.id) if e.type == "progress"]
    assert event.data["phase"] == phase and "trial" not in event.data
    # The first trial clears it, even if the caller did not say so.
    trial = {"number": 0, "score": 0.8, "params": {"c": 1.0}, "elapsed": 0.5}
    assert store.runs.progress(run.id, "w1", {**fine_tuning, "trials_done": 1, "best_score": 0.8,
                                              "phase": "stale"}, trial)
    got = store.runs.get("acme.tone", run.id)
    assert got.phase is None and got.trials_done == 1
    assert store.runs.events(run.id)[-1].data["phase"] is None
    # A snapshot without a phase clears it too; the finish clears whatever is left.
    assert store.runs.progress(run.id, "w1", {**fine_tuning, "phase": phase}, None)
    assert store.runs.progress(run.id, "w1", fine_tuning, None)
    assert store.runs.get("acme.tone", run.id).phase is None
    assert store.runs.progress(run.id, "w1", {**fine_tuning, "phase": phase}, None)
    done = store.runs.finish(run.id, "w1", "canceled", error="canceled")
    assert done is not None and done.phase is None
    assert store.runs.get("acme.tone", run.id).phase is None


def test_a_reaped_run_forgets_its_phase(store: Store) -> None:
    import time

    _model(store)
    run = store.runs.enqueue_search("acme.tone", "max")
    store.runs.claim(run.id, "w1", 0.01)
    assert store.runs.progress(run.id, "w1", {"trials_done": 0, "phase": "fine-tuning MiniLM: 1/9 steps"}, None)
    time.sleep(0.05)
    [reaped] = store.runs.reap_expired(max_attempts=2)
    assert reaped.state == "queued" and reaped.phase is None


def test_lost_lease_is_requeued_then_failed(store: Store) -> None:
    _model(store)
    run = store.runs.enqueue_search("acme.tone", "low")
    store.runs.claim(run.id, "w1", 0.01)
    import time

    time.sleep(0.05)
    [reaped] = store.runs.reap_expired(max_attempts=2)
    assert reaped.state == "queued" and "worker lost" in (reaped.error or "")
    assert store.models.get("acme.tone").state == "busy"
    assert store.runs.progress(run.id, "w1", {"trials_done": 3}, None) is False
    store.runs.claim(run.id, "w2", 0.01)
    time.sleep(0.05)
    [reaped] = store.runs.reap_expired(max_attempts=2)
    assert reaped.state == "failed" and reaped.attempts == 2
    assert store.models.get("acme.tone").state == "draft"


def test_due_retrains_are_coalesced(store: Store) -> None:
    _model(store)
    run = store.runs.enqueue_search("acme.tone", "low")
    store.runs.claim(run.id, "w", 30)
    store.runs.finish(run.id, "w", "succeeded", version=_version(), promote=True)
    for i in range(3):
        store.samples.upsert("acme.tone", [NewSample(f"new {i}", {"label": "x"})], max_per_model=100)
    made = store.runs.enqueue_due_retrains()
    assert len(made) == 1 and made[0].kind == "retrain"
    store.samples.upsert("acme.tone", [NewSample("newer", {"label": "x"})], max_per_model=100)
    assert store.runs.enqueue_due_retrains() == []  # one is already queued
    assert store.models.get("acme.tone").state == "ready"


def test_retrain_waits_for_quiet_period(store: Store) -> None:
    _model(store, quiet=3600)
    run = store.runs.enqueue_search("acme.tone", "low")
    store.runs.claim(run.id, "w", 30)
    store.runs.finish(run.id, "w", "succeeded", version=_version(), promote=True)
    store.samples.upsert("acme.tone", [NewSample("new", {"label": "x"})], max_per_model=100)
    assert store.runs.enqueue_due_retrains() == []
    due = store.models.get("acme.tone").retrain_due_at
    assert due is not None and due > utcnow() + timedelta(seconds=3000)


def test_cancel_queued_and_running(store: Store) -> None:
    _model(store)
    run = store.runs.enqueue_search("acme.tone", "low")
    assert store.runs.request_cancel("acme.tone", run.id).state == "canceled"
    assert store.models.get("acme.tone").state == "draft"
    run = store.runs.enqueue_search("acme.tone", "low")
    store.runs.claim(run.id, "w", 30)
    assert store.runs.request_cancel("acme.tone", run.id).cancel_requested
    assert store.runs.heartbeat(run.id, "w", 30).cancel_requested  # type: ignore[union-attr]


def test_rollback_activates_an_earlier_version(store: Store) -> None:
    _model(store)
    for _ in range(2):
        run = store.runs.enqueue_search("acme.tone", "low")
        store.runs.claim(run.id, "w", 30)
        store.runs.finish(run.id, "w", "succeeded", version=_version(), promote=True)
    assert store.models.get("acme.tone").active_version.number == 2  # type: ignore[union-attr]
    store.versions.activate("acme.tone", 1)
    assert store.models.active_version("acme.tone").number == 1  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        store.versions.activate("acme.tone", 9)


def test_keys_hashed_and_revocable(store: Store) -> None:
    key, secret = store.keys.create("acme", ["read"])
    assert store.keys.authenticate(secret) == key
    assert store.keys.authenticate(secret + "x") is None
    store.keys.revoke(key.id, "acme")
    assert store.keys.authenticate(secret) is None
    with pytest.raises(NotFound):
        store.keys.revoke(key.id, "globex")


def test_artifacts_checksummed(store: Store) -> None:
    sha = store.artifacts.put("acme.tone/run_1.bin", b"payload")
    assert store.artifacts.get("acme.tone/run_1.bin", sha) == b"payload"
    with pytest.raises(ArtifactCorrupt):
        store.artifacts.get("acme.tone/run_1.bin", "f" * 64)
    with pytest.raises(ValueError):
        store.artifacts.put("../escape", b"x")


def test_idempotency_reserve_complete_replay(store: Store) -> None:
    assert store.idempotency.reserve("k1", "h") is None
    in_flight = store.idempotency.reserve("k1", "h")
    assert in_flight is not None and in_flight.in_flight
    store.idempotency.complete("k1", 202, '{"ok": 1}', "application/json")
    got = store.idempotency.reserve("k1", "h")
    assert got is not None and (got.status, got.body, got.content_type) == (202, '{"ok": 1}', "application/json")
    assert store.idempotency.reserve("k2", "h") is None
    store.idempotency.release("k2")
    assert store.idempotency.reserve("k2", "h") is None


def test_migrations_are_idempotent_and_reach_head(store: Store) -> None:
    from sqlalchemy import inspect, text

    _model(store)
    store.upgrade()  # a second start must not touch existing data
    with store.db.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM u22a8_schema_version")).scalar() == "0014"
    tables = set(inspect(store.db.engine).get_table_names())
    assert {ModelRow.__tablename__, RunRow.__tablename__, "samples", "versions", "api_keys"} <= tables
    assert store.models.get("acme.tone").handle == "acme.tone"


def test_upgrade_to_text_keys_keeps_matching_drawing_and_never_reusing_ids(store: Store) -> None:
    """Migrations 0012 and 0013 on a database that already holds samples: every stored text gets
    its key, the model its count, an upload of a stored text still matches it, and a deleted
    sample's row id stays retired."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import select

    from u22a8.store import text_hash, text_key
    from u22a8.store.database import _MIGRATIONS
    from u22a8.store.tables import SampleRow

    _model(store)
    texts = [f"text number {i}" for i in range(30)]
    store.samples.upsert("acme.tone", [NewSample(t, {"label": "x"}) for t in texts], max_per_model=100)
    store.samples.upsert("acme.tone", [NewSample("about to go", {"label": "x"}, id="gone")], max_per_model=100)
    store.samples.delete("acme.tone", "gone")
    with store.db.session(write=False) as s:
        deleted_pk = 31
        assert s.scalar(select(SampleRow.pk).order_by(SampleRow.pk.desc()).limit(1)) == 30
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["engine"] = store.db.engine
    command.downgrade(cfg, "0011")
    store.upgrade()

    assert store.models.get("acme.tone").sample_count == 30  # 0013 counts what the model holds
    with store.db.session(write=False) as s:
        keys = dict(s.execute(select(SampleRow.text_hash, SampleRow.text_key)).all())
    assert keys == {text_hash(t): text_key(text_hash(t)) for t in texts}
    again = store.samples.upsert("acme.tone", [NewSample(texts[3], {"label": "x"}), NewSample("new", {"label": "x"})],
                                 max_per_model=100)
    assert (again.added, again.unchanged) == (1, 1)
    with store.db.session(write=False) as s:
        assert s.scalar(select(SampleRow.pk).where(SampleRow.text == "new")) > deleted_pk
    model_id = store.models.get("acme.tone").id
    drawn = store.samples.drawn_training_set(model_id, 5, 0)
    assert sorted(x.text for x in drawn) == sorted(sorted([*texts, "new"], key=text_hash)[:5])


def test_a_text_sharing_another_texts_key_is_not_taken_for_it(store: Store) -> None:
    """Texts are found by 64 bits of their hash; two texts may share them (made here by hand: a
    real pair is some 2^32 texts away), and the whole hash decides."""
    from sqlalchemy import update

    from u22a8.store import text_hash, text_key
    from u22a8.store.tables import SampleRow

    _model(store)
    store.samples.upsert("acme.tone", [NewSample("first text", {"label": "x"})], max_per_model=10)
    with store.db.session() as s:
        s.execute(update(SampleRow).values(text_key=text_key(text_hash("second text"))))
    counts = store.samples.upsert("acme.tone", [NewSample("second text", {"label": "y"})], max_per_model=10)
    assert (counts.added, counts.updated) == (1, 0)
    model_id = store.models.get("acme.tone").id
    assert {x.text: x.target for x in store.samples.snapshot(model_id)} == {
        "first text": {"label": "x"}, "second text": {"label": "y"}}


def test_every_kind_of_value_an_upload_writes_comes_back_as_it_was(store: Store) -> None:
    """Bulk writes go through COPY on PostgreSQL and executemany on SQLite: characters COPY
    escapes (tab, newline, backslash), quotes, emoji, nested metadata, weights, timestamps."""
    from datetime import timedelta

    from u22a8.store import text_hash, utcnow

    _model(store)
    odd = "tab\there, new\nline, back\\slash \\N, 'single' \"double\" ünï 😀 \r end"
    meta = {"source": "crm\tticket", "nested": {"n": [1, 2.5, None, True]}, "ü": "\\"}
    before = utcnow()
    store.samples.upsert("acme.tone", [NewSample(odd, {"label": "tab\tlabel"}, id="x\\1", weight=2.5, metadata=meta),
                                       NewSample("\\N", {"label": "plain"})], max_per_model=10)
    rows, _ = store.samples.list("acme.tone")
    assert [(r.id, r.text, r.target, r.weight, r.metadata) for r in rows] == [
        ("x\\1", odd, {"label": "tab\tlabel"}, 2.5, meta),
        ("s_" + text_hash("\\N")[:20], "\\N", {"label": "plain"}, 1.0, None)]
    assert all(before - timedelta(seconds=5) <= r.created_at <= utcnow() and r.created_at.tzinfo for r in rows)
    again = store.samples.upsert("acme.tone", [NewSample(odd, {"label": "tab\tlabel"}, weight=2.5, metadata=meta)],
                                 max_per_model=10)
    assert (again.added, again.unchanged) == (0, 1)  # matched by its text's hash, nothing changed


def test_large_upserts_match_by_id_and_by_text_and_leave_the_pool(store: Store) -> None:
    """Thousands of keys looked up at once (each lookup binds its keys as one parameter) on both backends."""
    from u22a8.store import NewPoolText

    _model(store)
    n = 5000
    store.pool.add("acme.tone", [NewPoolText(f"text {i}") for i in range(0, n, 1000)], max_per_model=100)
    first = [NewSample(f"text {i}", {"label": "x"}, id=f"id{i}" if i % 2 else None) for i in range(n)]
    counts = store.samples.upsert("acme.tone", first, max_per_model=3 * n)
    assert (counts.added, counts.updated, counts.unchanged, counts.sample_count) == (n, 0, 0, n)
    model_id = store.models.get("acme.tone").id
    assert store.pool.state(model_id).count == 0  # every pool text became a sample

    again = [NewSample(f"text {i}", {"label": "y" if i % 3 == 0 else "x"}, id=f"id{i}" if i % 2 else None)
             for i in range(n // 2, n + n // 2)]
    counts = store.samples.upsert("acme.tone", again, max_per_model=3 * n)
    changed = sum(1 for i in range(n // 2, n) if i % 3 == 0)
    assert (counts.added, counts.updated, counts.unchanged) == (n // 2, changed, n // 2 - changed)
    assert counts.sample_count == store.samples.count(model_id) == n + n // 2
    store.samples.delete("acme.tone", "id1")
    # The count kept on the model's row (what the limit and GET /models read) agrees with the rows.
    assert store.models.get("acme.tone").sample_count == store.samples.count(model_id) == n + n // 2 - 1
    store.samples.upsert("acme.tone", first[:10] + first[:10], max_per_model=3 * n)  # repeats: nothing added
    assert store.models.get("acme.tone").sample_count == store.samples.count(model_id) == n + n // 2
    stored = {s.text: s.target for s in store.samples.snapshot(model_id)}
    assert stored["text 2501"] == {"label": "x"}  # by id, unchanged
    assert stored["text 2505"] == {"label": "y"} and stored["text 2508"] == {"label": "y"}  # by id and by text


def test_concurrent_uploads_keep_the_count_and_the_limit(store: Store) -> None:
    """Eight uploads at once, room for five: the count kept on the model's row is the rows'
    count, and no upload passed the limit on a count another one was about to change."""
    from u22a8.errors import LimitExceeded

    _model(store)
    model_id = store.models.get("acme.tone").id
    outcomes: list[str] = []

    def upload(j: int) -> None:
        batch = [NewSample(f"upload {j} text {i}", {"label": "x"}) for i in range(40)]
        try:
            store.samples.upsert("acme.tone", batch, max_per_model=200)
            outcomes.append("stored")
        except LimitExceeded:
            outcomes.append("refused")

    threads = [threading.Thread(target=upload, args=(j,)) for j in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused"] * 3 + ["stored"] * 5
    assert store.models.get("acme.tone").sample_count == store.samples.count(model_id) == 200
