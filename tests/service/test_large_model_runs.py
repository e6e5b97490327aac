"""A model larger than its effort affords: the run reads and trains on a stable draw, says so,
and its retrains keep the share (issue 13, part 4), through the real store and worker code."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

from u22a8 import engine, service
from u22a8.engine.estimate import MIN_ROWS
from u22a8.runs import execute_run
from u22a8.server import build_platform
from u22a8.settings import Settings

from .conftest import make_key

H = "acme.big"


def _samples(n: int, start: int = 0) -> list[dict[str, Any]]:
    words = {"friendly": "thanks glad great", "curt": "no denied stop", "sorry": "sorry regret oops"}
    labels = list(words)
    return [{"text": f"{words[labels[i % 3]]} ticket {i}", "label": labels[i % 3]} for i in range(start, start + n)]


def _run(platform: Any, run: Any) -> None:
    claimed = platform.store.runs.claim(run.id, "test-worker", 60)
    assert claimed is not None
    execute_run(platform.store, platform.settings, claimed, "test-worker")


def test_a_search_and_its_retrain_train_on_the_rows_the_store_draws(tmp_path: Path) -> None:
    # A low ceiling cut to 0.5 s affords the fewest rows a search takes: 5,000 of 6,003.
    settings = Settings(home=tmp_path / "home", default_quiet_seconds=0.2, search_time_limit_seconds=0.5)
    platform = build_platform(settings, with_executor=False)
    platform.store.upgrade()
    try:
        key, _ = make_key(platform)
        model = service.create_model(platform, key, H, "classify")
        rare = [{"text": f"a rare one {i}", "label": "rare"} for i in range(3)]
        samples = _samples(6000)
        for x in samples[:300:3]:  # 100 friendly texts labeled curt
            x["label"] = "curt"
        body = json.dumps({"samples": samples + rare}).encode()
        service.add_samples(platform, key, H, body, "application/json")

        _run(platform, platform.store.runs.enqueue_search(H, "low"))

        first = platform.store.versions.get(H, 1)
        drawn = platform.store.samples.drawn_training_set(model.id, MIN_ROWS, engine.PER_LABEL_MIN)
        assert first.params["max_rows"] == MIN_ROWS
        assert first.sample_ids == [s.id for s in drawn]  # exactly the rows drawn, rare ones kept
        assert Counter(s.target["label"] for s in drawn)["rare"] == 3
        assert f"searched and fitted on {len(drawn):,} of 6,003 samples" in " ".join(first.report["notes"])

        more = json.dumps({"samples": _samples(10, start=6000)}).encode()
        service.add_samples(platform, key, H, more, "application/json")
        time.sleep(0.3)  # the quiet period
        (retrain,) = platform.store.runs.enqueue_due_retrains()
        _run(platform, retrain)

        run = platform.store.runs.get(H, retrain.id)
        assert run.state == "succeeded", run.error
        newest = platform.store.versions.list(H)[0]
        assert newest.number == 2, run.decision
        assert newest.params["max_rows"] == MIN_ROWS
        assert "of 6,013 samples" in " ".join(newest.report["notes"])
        # A stable draw: the new samples take the place of a few old ones at most.
        assert len(set(first.sample_ids) - set(newest.sample_ids)) <= 10
        # No time for label issues' extra folds: the held-out rows were looked at, and the
        # retrain kept what its version found about the others.
        found = {x["sample_id"] for x in platform.store.versions.label_issues(H, 1)}
        assert found and first.metrics["label_issues"]["probabilities_from"] == engine.HELD_OUT_ONLY
        assert found <= {x["sample_id"] for x in platform.store.versions.label_issues(H, 2)}
    finally:
        platform.store.close()


def test_a_search_trains_on_the_rows_its_training_memory_holds(tmp_path: Path) -> None:
    """``U22A8_TRAIN_MEMORY_GB`` caps the rows as the ceiling does: the estimate and the run agree."""
    settings = Settings(home=tmp_path / "home", train_memory_gb=1.0)  # below the base: the fewest rows
    platform = build_platform(settings, with_executor=False)
    platform.store.upgrade()
    try:
        key, _ = make_key(platform)
        service.create_model(platform, key, H, "classify")
        service.add_samples(platform, key, H, json.dumps({"samples": _samples(6000)}).encode(), "application/json")
        roomy = engine.estimate(6000, 3, "classify", 25.0)["low"]["seconds"]
        assert service.estimate_training(platform, key, H).efforts["low"]["seconds"] < roomy
        _run(platform, platform.store.runs.enqueue_search(H, "low"))
        first = platform.store.versions.get(H, 1)
        assert first.params["max_rows"] == MIN_ROWS
        assert "and 1 GiB of training memory afford" in " ".join(first.report["notes"])
    finally:
        platform.store.close()
