"""From chosen configuration(s) to a :class:`TrainingResult`: calibrate, score, fit on all, pack.

Search and refit both end here, which is what makes their metrics comparable: calibration
(temperatures, multilabel thresholds) is fitted on the protocol folds' held-out outputs, the
metrics are computed on those same outputs after calibration, and then every member is fitted
once more on all rows for serving.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .artifact_format import dump_predictor
from .fallback import MIN_EXAMPLES, choose_fallback, uses_nearness
from .label_issues import HELD_OUT_ONLY, out_of_fold_probabilities, rank_label_issues
from .nearness import embedder_for, kept_vectors, nearness, unit
from .predictor import Member, Predictor
from .space import chosen_summary
from .training import Workspace
from .types import SearchCanceled, TrainingResult
from .unseen import unseen_class_outputs

__all__ = ["protocol_outputs", "assemble", "PARAMS_FORMAT"]

PARAMS_FORMAT = 1
Outputs = dict[int, np.ndarray]


def protocol_outputs(ws: Workspace, member: dict[str, Any], known: Outputs | None = None) -> Outputs:
    """Held-out outputs of ``member`` on every protocol fold, reusing those already computed."""
    out = dict(known or {})
    for k in range(ws.n_protocol):
        if k not in out:
            out[k] = ws.fold_output(member, k)[0]
    return out


def _stack(ws: Workspace, outputs: Outputs) -> np.ndarray:
    return np.concatenate([outputs[k] for k in range(ws.n_protocol)])


def assemble(ws: Workspace, members: list[dict[str, Any]], outputs: list[Outputs], *, trials_done: int,
             cpu0: float, report: dict[str, Any], extra_metrics: dict[str, Any] | None = None,
             fitted: list[tuple[Any, Any] | None] | None = None, issue_folds: bool = True) -> TrainingResult:
    """``fitted``: (features, head) per member already fitted on all rows, if the caller did it
    (None for a member it left to this function). ``issue_folds``: whether label issues may fit
    the cheap member on the folds the protocol does not hold out (see :mod:`.label_issues`);
    else they are looked for among the held-out rows only."""
    rows = ws.protocol_rows()
    y = ws.y[rows]
    total = sum(float(m.get("weight", 1.0)) for m in members)
    mixed: np.ndarray | None = None
    temps = []
    for member, outs in zip(members, outputs):
        probs, t = ws.task_rules.calibrate(_stack(ws, outs), y)
        temps.append(t)
        part = probs * (float(member.get("weight", 1.0)) / total)
        mixed = part if mixed is None else mixed + part
    assert mixed is not None

    metrics, thresholds = ws.task_rules.metrics(y, mixed, ws.labels or [], ws.n, ws.protocol)
    metrics["chosen"] = chosen_summary(members)
    if extra_metrics:
        metrics.update(extra_metrics)
    report = dict(report)
    decision = _fallback(ws, rows, y, mixed, metrics, report, members, temps, total)
    issues = _label_issues(ws, rows, mixed, metrics, issue_folds)
    checked = None if issue_folds or len(rows) == ws.n or not issues_apply(ws) else [int(i) for i in rows]

    predictor = Predictor(
        task=ws.task, labels=ws.labels, members=_fit_all(ws, members, temps, total, fitted),
        thresholds=thresholds,
        info={"protocol": ws.protocol, "n_samples": ws.n},
        fallback=decision,
    )
    params = {"format": PARAMS_FORMAT, "task": ws.task, "members": members}
    return TrainingResult(
        artifact=dump_predictor(predictor), params=params, metrics=metrics,
        report={**report, "notes": list(report.get("notes", [])) + [n for n in ws.notes if n not in report.get("notes", [])]},
        trials_done=trials_done, cpu_seconds=round(time.process_time() - cpu0, 3), label_issues=issues,
        issues_checked=checked,
    )


def _fallback(ws: Workspace, rows: np.ndarray, y: np.ndarray, mixed: np.ndarray, metrics: dict[str, Any],
              report: dict[str, Any], members: list[dict[str, Any]], temps: list[float],
              total: float) -> dict[str, Any] | None:
    """The fallback decision chosen on the protocol's held-out outputs, its metrics and the
    held-out texts it got wrong (see :mod:`.fallback`); None for a model without a fallback label."""
    if not ws.fallback_label or not ws.labels:
        return None
    column = ws.labels.index(ws.fallback_label) if ws.fallback_label in ws.labels else None
    examples = int(np.sum(y == column)) if column is not None else 0
    unseen = unseen_class_outputs(ws, members, temps, total, column) if examples < MIN_EXAMPLES else None
    name, vectors, near = _nearness(ws, members, unseen)
    decision, fb_metrics, shown = choose_fallback(y, mixed, ws.labels, ws.fallback_label, ws.fallback_min_precision,
                                                  unseen[0] if unseen is not None else None, near)
    if uses_nearness(decision):
        assert vectors is not None
        decision["neighbours"] = {"embedder": name, "vectors": kept_vectors(vectors)}
        fb_metrics["nearness_from"] = name
    metrics["fallback"] = fb_metrics
    report["fallback"] = {kind: [ws.texts[int(rows[i])] for i in found] for kind, found in shown.items()}
    return decision


def _nearness(ws: Workspace, members: list[dict[str, Any]], unseen: tuple[np.ndarray, np.ndarray, np.ndarray] | None,
              ) -> tuple[str | None, np.ndarray | None, tuple[np.ndarray, np.ndarray | None] | None]:
    """The embedder, every row's unit vector, and the nearness of the held-out rows (each against
    the rows its fold's model was fitted on) and of the unseen rows (against the refit's rows);
    Nones when no embedder can run (see :mod:`.nearness`)."""
    name = embedder_for(members)
    if not name:
        return None, None, None
    try:
        vectors = unit(ws.dense(name))
    except SearchCanceled:
        raise
    except Exception as exc:  # nearness is one more rule to try: its embedder failing must not fail the run
        ws.notes.append(f"fallback tuned without nearness: embedder {name} failed ({type(exc).__name__})")
        return None, None, None
    held = np.concatenate([nearness(vectors[ws.folds[k][1]], vectors[ws.folds[k][0]]) for k in range(ws.n_protocol)])
    return name, vectors, (held, nearness(vectors[unseen[1]], vectors[unseen[2]]) if unseen is not None else None)


def issues_apply(ws: Workspace) -> bool:
    return ws.task_rules.target_shape == "label" and bool(ws.labels)


def _label_issues(ws: Workspace, rows: np.ndarray, mixed: np.ndarray, metrics: dict[str, Any],
                  issue_folds: bool = True) -> list[dict[str, Any]]:
    """Likely label errors from out-of-fold probabilities of every sample (see :mod:`.label_issues`),
    or, without ``issue_folds``, of the held-out rows: on large data the other folds' fits cost more
    than the rest of a low run or a retrain (bench/RESULTS.md)."""
    if not issues_apply(ws):
        return []
    if issue_folds or len(rows) == ws.n:
        probs, source = out_of_fold_probabilities(ws, rows, mixed)
        issues = rank_label_issues(probs, ws.y, ws.labels)
    else:
        issues = rank_label_issues(mixed, ws.y[rows], ws.labels)
        for issue in issues:  # positions among the held-out rows → in the data set
            issue["index"] = int(rows[issue["index"]])
        source = HELD_OUT_ONLY
    metrics["label_issues"] = {"listed": len(issues), "flagged": sum(1 for i in issues if i["flagged"]),
                               "probabilities_from": source}
    return issues


def _fit_all(ws: Workspace, members: list[dict[str, Any]], temps: list[float], total: float,
             fitted: list[tuple[Any, Any] | None] | None) -> list[Member]:
    everything = np.arange(ws.n)

    def one(i: int) -> Member:
        member = members[i]
        done = fitted[i] if fitted is not None else None
        if done is not None:
            features, head = done
        else:
            features, x = ws.full(member["features"])
            head = ws.fit_head(member, x, everything, "full")
        return Member(features=features, head=head, weight=float(member.get("weight", 1.0)) / total,
                      temperature=temps[i])

    # Featurizing uses the workspace's memo (not thread-safe), so do it first in this thread.
    todo = [m for i, m in enumerate(members) if fitted is None or fitted[i] is None]
    for m in todo:
        ws.counted(m["features"])
        if m["features"].get("embed"):
            ws.dense(m["features"]["embed"])
    if len(todo) <= 1:
        return [one(i) for i in range(len(members))]
    with ThreadPoolExecutor(max_workers=2) as pool:  # liblinear releases the GIL
        return list(pool.map(one, range(len(members))))
