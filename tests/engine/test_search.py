"""search(): what a user of the platform notices — right answers, progress, cancel, time, seeds."""

from __future__ import annotations

import time

import pytest

from u22a8 import engine
from u22a8.engine import Dataset, Progress, SearchCanceled

from .conftest import assert_jsonable, classify_data, multilabel_data, score_data


def _predictor(result: engine.TrainingResult) -> engine.Predictor:
    return engine.load_predictor(result.artifact, engine.artifact_checksum(result.artifact))


def test_classify_recovers_labels_with_calibrated_scores(clf_data: Dataset) -> None:
    result = engine.search(clf_data, "low")
    m = result.metrics
    assert m["primary_name"] == "accuracy" and m["primary"] >= 0.95 and m["accuracy"] == m["primary"]
    assert set(m["per_class"]) == {"friendly", "curt", "sorry"}
    assert m["confusion"]["labels"] == ["curt", "friendly", "sorry"]
    assert sum(map(sum, m["confusion"]["matrix"])) == len(clf_data.texts)
    assert "cross-validation" in m["protocol"] and m["n_samples"] == 60
    for part in (result.params, result.metrics, result.report):
        assert_jsonable(part)

    p = _predictor(result)
    assert p.task == "classify" and p.labels == ["curt", "friendly", "sorry"]
    out = p.predict(["thanks, wonderful and lovely", "sorry, our mistake, apologies", "denied by policy, closed"])
    assert [o["label"] for o in out] == ["friendly", "sorry", "curt"]
    for o in out:
        assert sum(o["scores"].values()) == pytest.approx(1.0, abs=1e-6)  # served to 7 digits
        assert o["confidence"] == max(o["scores"].values()) > 0.5
        assert o["confidence"] < 1.0  # calibrated, not a hard 0/1
    top = p.predict(["thanks a lot"], top_k=1)[0]
    assert list(top["scores"]) == [top["label"]]
    assert p.predict([]) == []


def test_multilabel_recovers_label_sets_with_thresholds() -> None:
    data = multilabel_data()
    result = engine.search(data, "low")
    assert result.metrics["primary_name"] == "micro_f1" and result.metrics["primary"] >= 0.9
    assert set(result.metrics["per_label"]) == {"billing", "login", "shipping"}
    assert set(result.metrics["thresholds"]) == {"billing", "login", "shipping"}
    for part in (result.params, result.metrics, result.report):
        assert_jsonable(part)
    p = _predictor(result)
    out = p.predict(["my invoice and the courier", "password locked please", "the order today"])
    assert sorted(out[0]["labels"]) == ["billing", "shipping"]
    assert out[1]["labels"] == ["login"]
    assert out[2]["labels"] == []
    assert set(out[0]["scores"]) == {"billing", "login", "shipping"}


def test_score_recovers_ordering() -> None:
    result = engine.search(score_data(), "low")
    m = result.metrics
    assert m["primary_name"] == "spearman" and m["spearman"] >= 0.8 and {"mae", "r2"} <= set(m)
    for part in (result.params, result.metrics, result.report):
        assert_jsonable(part)
    p = _predictor(result)
    assert p.labels is None
    good, bad = p.predict(["excellent excellent excellent the order", "awful awful awful the order"])
    assert good["score"] > 1 > -1 > bad["score"]


def _without_timing(metrics: dict) -> dict:
    return {**metrics, "search": {k: v for k, v in metrics["search"].items() if k != "seconds"}}


def test_same_seed_same_result(clf_data: Dataset) -> None:
    a = engine.search(clf_data, "low", seed=3)
    b = engine.search(clf_data, "low", seed=3)
    assert a.params == b.params and _without_timing(a.metrics) == _without_timing(b.metrics)
    texts = ["thanks so much", "closed, no"]
    assert _predictor(a).predict(texts) == _predictor(b).predict(texts)


def test_progress_after_every_trial() -> None:
    seen: list[Progress] = []
    result = engine.search(classify_data(), "low", on_progress=seen.append)
    assert [p.trials_done for p in seen] == list(range(1, len(seen) + 1))
    assert len(seen) == result.trials_done and seen[-1].trials_planned >= len(seen)
    assert all(p.best_score is not None and p.eta_seconds is not None and p.eta_seconds >= 0 for p in seen)
    assert [p.elapsed_seconds for p in seen] == sorted(p.elapsed_seconds for p in seen)
    first = seen[0].last_trial
    assert first is not None and first["number"] == 0 and set(first) >= {"number", "score", "params", "elapsed"}
    # Trial 0 is the known-good default.
    assert first["params"]["model"] == {"family": "svm", "C": 0.5, "class_weight": None}
    assert_jsonable(first)


def test_should_stop_cancels_promptly() -> None:
    calls = {"n": 0}

    def stop_after_first_trial() -> bool:
        return calls["n"] >= 1

    def progress(p: Progress) -> None:
        calls["n"] = p.trials_done

    t0 = time.monotonic()
    with pytest.raises(SearchCanceled):
        engine.search(classify_data(), "low", on_progress=progress, should_stop=stop_after_first_trial)
    assert calls["n"] == 1 and time.monotonic() - t0 < 5
    with pytest.raises(SearchCanceled):
        engine.search(classify_data(), "low", should_stop=lambda: True)


def test_time_limit_is_respected() -> None:
    engine.warm_training()  # as every training process does at start (its imports are not the search's)
    data = classify_data(n_per_label=150)
    limit = 3.0
    t0 = time.monotonic()
    result = engine.search(data, "max", time_limit_seconds=limit)
    wall = time.monotonic() - t0
    assert wall <= limit * 1.1
    assert 1 <= result.trials_done < 100
    assert result.metrics["search"]["stopped_for_time"] is True


def test_a_tiny_time_limit_still_gives_a_result() -> None:
    result = engine.search(classify_data(n_per_label=150), "max", time_limit_seconds=0.01)
    assert result.trials_done == 1 and result.metrics["primary"] > 0.9


def test_a_run_out_of_time_serves_its_held_out_fit_instead_of_fitting_again() -> None:
    """A default trial that overran the ceiling (a slow or busy machine) must not be followed by
    a fit on all rows that overruns it again: the model the metrics were measured on is served."""
    data = classify_data(n_per_label=150)
    late = engine.search(data, "low", time_limit_seconds=0.01)
    notes = " ".join(late.report["notes"])
    assert "final fit skipped" in notes and "of them" in notes
    predictor = _predictor(late)
    got = [p["label"] for p in predictor.predict(list(data.texts[:60]))]
    assert sum(g == t for g, t in zip(got, data.targets[:60])) >= 55
    on_time = engine.search(data, "low")
    assert not any("final fit skipped" in n for n in on_time.report["notes"])


def test_sample_weights_are_respected() -> None:
    base = classify_data()
    # The same new phrase labelled both ways; the weights say which one counts.
    texts = list(base.texts) + ["zebra crossing"] * 4
    targets = list(base.targets) + ["curt", "curt", "friendly", "friendly"]
    for heavy in ("curt", "friendly"):
        weights = [1.0] * len(base.texts) + [10.0 if t == heavy else 0.1 for t in targets[-4:]]
        result = engine.search(Dataset("classify", texts, targets, weights=weights), "low")
        assert _predictor(result).predict(["zebra crossing"])[0]["label"] == heavy


def test_unknown_effort_is_refused(clf_data: Dataset) -> None:
    with pytest.raises(ValueError):
        engine.search(clf_data, "extreme")  # type: ignore[arg-type]


def test_the_final_fit_counts_its_members_side_by_side_as_it_runs_them() -> None:
    """Two members are fitted at once (two threads): after the trials, a two-member final fit
    that fits side by side is made on all rows, though the trials kept time for one after the other."""
    from u22a8.engine.trials import Clock

    clock = Clock(limit=20.0)
    clock.add_fold(3.0)
    clock.t0 -= 12.0  # 12 s spent: 8 s left
    assert not clock.fits(0, 2)  # one after the other: 2 x 1.4 x 3 s + 0.2 s = 8.6 s
    assert clock.final_fit_fits(2)  # side by side: about 5.7 s
    assert clock.final_fit_fits(1) and clock.final_fit_fits(0)
    clock.t0 -= 3.0  # 15 s spent: 5 s left
    assert not clock.final_fit_fits(2)


def test_the_final_fit_is_not_judged_by_what_the_first_fold_computed_once() -> None:
    """Trial 0's first fold counts the n-grams of every row, which the final fit reuses: its
    reserve leaves that out, while the next trial's folds are still judged by what folds took."""
    from u22a8.engine.trials import Clock

    clock = Clock(limit=17.5)
    clock.add_fold(7.3, once=3.0)  # trial 0, 3 s of it counting
    clock.add_fold(0.3)  # its kNN partner
    clock.t0 -= 7.6  # 9.9 s left
    assert clock.final_fit_fits(1)  # 1.4 x 4.3 s + 0.2 s = 6.2 s (10.4 s with the counting)
    assert not clock.fits(1, 1)  # one more 7.3 s fold and the final fit: 13.5 s


def test_a_trial_s_fold_time_leaves_out_the_counting_done_once(clf_data: Dataset) -> None:
    """The first fold of a configuration counts the n-grams of every row; the next fold with the
    same features reuses them, and the clock records the first fold without that time."""
    import optuna

    from u22a8.engine.training import Workspace
    from u22a8.engine.trials import Clock, run_trial

    ws = Workspace(clf_data)
    clock = Clock(limit=600.0)
    study = optuna.create_study(direction="maximize")
    member = {"features": {"word_ngrams": [1, 2], "char_ngrams": [2, 5]},
              "model": {"family": "svm", "C": 1.0, "class_weight": None}, "weight": 1.0}
    run_trial(ws, study.ask(), member, 2, clock, 1, first=True)
    assert ws.once_seconds > 0
    first_fold, first_fit = clock.fold_seconds[0], clock.fit_seconds[0]
    assert first_fit == pytest.approx(first_fold - ws.once_seconds)
    once = ws.once_seconds
    run_trial(ws, study.ask(), member, 2, clock, 1, first=False)
    assert ws.once_seconds == once  # counted once: the second trial reused the counts
    assert clock.fit_seconds[2:] == clock.fold_seconds[2:]
