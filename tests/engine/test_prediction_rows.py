"""The JSON-ready predictions built from a whole matrix at once (tasks' ``predictions`` and
``fallback_predictions``) equal, value for value and key order for key order, what the former
row-by-row loops built: same labels, same floats, same score order, ties included. The loops
round each served number as its definition says (the nearest double to the value written with
``SERVED_DIGITS`` significant digits), independently of the vectorised rounding."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import pytest

from u22a8.engine import get_task
from u22a8.engine.fallback import fallback_mask, fallback_predictions, real_columns
from u22a8.engine.tasks import SERVED_DIGITS

LABELS = [f"label_{i}" for i in range(9)]


def _outputs(seed: int, rows: int = 40) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = rng.dirichlet(np.ones(len(LABELS)), size=rows)
    out[:5, 2:5] = out[:5, 1:2]  # ties: the order among equal scores must not change either
    out[5] = 1.0 / len(LABELS)  # all tied
    return out


def _served(value: Any) -> float:
    return float(f"{float(value):.{SERVED_DIGITS - 1}e}")


# -- the loops the predictions were built with before (one row, one numpy scalar at a time) ----
def _classify_rows(out: np.ndarray, labels: list[str], top_k: int | None) -> list[dict[str, Any]]:
    out = out / out.sum(axis=1, keepdims=True)
    k = len(labels) if not top_k or top_k <= 0 else min(top_k, len(labels))
    results = []
    for row in out:
        order = np.argsort(-row, kind="stable")[:k]
        best = int(order[0])
        results.append({"label": labels[best], "confidence": _served(row[best]),
                        "scores": {labels[j]: _served(row[j]) for j in order}})
    return results


def _multilabel_rows(out: np.ndarray, labels: list[str], thresholds: list[float] | None,
                     top_k: int | None) -> list[dict[str, Any]]:
    cut = np.asarray(thresholds if thresholds is not None else [0.5] * len(labels))
    results = []
    for row in out:
        order = np.argsort(-row)
        results.append({"labels": [labels[j] for j in order if row[j] >= cut[j]],
                        "scores": {labels[j]: _served(row[j]) for j in order[: top_k or len(labels)]}})
    return results


def _fallback_rows(out: np.ndarray, labels: list[str], decision: dict[str, Any], top_k: int | None) -> list[dict[str, Any]]:
    out = out / out.sum(axis=1, keepdims=True)
    mask = fallback_mask(out, labels, decision)
    cols = real_columns(labels, decision.get("column"))
    k = len(cols) if not top_k or top_k <= 0 else min(top_k, len(cols))
    results = []
    for row, fell in zip(out, mask):
        real = row[cols]
        order = np.argsort(-real, kind="stable")[:k]
        scores = {labels[int(cols[j])]: _served(real[j]) for j in order}
        if fell:
            results.append({"label": decision["label"], "confidence": _served(1.0 - real.max()) if len(real) else 1.0,
                            "fallback": True, "scores": scores})
        else:
            best = int(order[0])
            results.append({"label": labels[int(cols[best])], "confidence": _served(real[best]), "fallback": False,
                            "scores": scores})
    return results


def _same(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert got == want
    for g, w in zip(got, want):  # dict equality ignores order; the JSON a client reads does not
        assert list(g["scores"]) == list(w["scores"])
        assert all(type(v) is float for v in g["scores"].values())


@pytest.mark.parametrize("top_k", [None, 0, 1, 3, 9, 50])
def test_classify_predictions_equal_the_row_loop(top_k: int | None) -> None:
    out = _outputs(1)
    _same(get_task("classify").predictions(out, LABELS, None, top_k), _classify_rows(out, LABELS, top_k))
    one = out[:1]  # one text takes the same code
    _same(get_task("classify").predictions(one, LABELS, None, top_k), _classify_rows(one, LABELS, top_k))


@pytest.mark.parametrize("top_k", [None, 1, 4])
@pytest.mark.parametrize("thresholds", [None, [0.1] * 4 + [0.3] * 5])
def test_multilabel_predictions_equal_the_row_loop(top_k: int | None, thresholds: list[float] | None) -> None:
    out = np.random.default_rng(2).random((40, len(LABELS)))
    out[:5, 2:6] = 0.5  # ties at the default threshold itself
    _same(get_task("multilabel").predictions(out, LABELS, thresholds, top_k),
          _multilabel_rows(out, LABELS, thresholds, top_k))
    for got, want in zip(get_task("multilabel").predictions(out, LABELS, thresholds, top_k),
                         _multilabel_rows(out, LABELS, thresholds, top_k)):
        assert got["labels"] == want["labels"]  # a list: order included


@pytest.mark.parametrize("top_k", [None, 1, 3])
@pytest.mark.parametrize("column", [None, 4])
@pytest.mark.parametrize("rule,threshold", [("max_probability", 0.2), ("margin", 0.05), ("entropy", 0.1)])
def test_fallback_predictions_equal_the_row_loop(top_k: int | None, column: int | None, rule: str,
                                                 threshold: float) -> None:
    out = _outputs(3)
    decision = {"label": "out_of_scope", "column": column, "rule": rule, "threshold": threshold}
    got, want = fallback_predictions(out, LABELS, decision, top_k), _fallback_rows(out, LABELS, decision, top_k)
    assert any(p["fallback"] for p in want) and not all(p["fallback"] for p in want)  # both branches
    _same(got, want)


def _decoded_like(raw: bytes, want: list[dict[str, Any]]) -> None:
    got = orjson.loads(raw)
    assert got == want
    for g, w in zip(got, want):  # key order too: the JSON a client reads
        assert list(g) == list(w) and list(g["scores"]) == list(w["scores"])


@pytest.mark.parametrize("top_k", [None, 0, 1, 3, 9, 50])
@pytest.mark.parametrize("labels", [LABELS, ['say "hi"', "naïve\\path", "日本", "tab\there", "a", "b", "c", "d", "e"]])
def test_classify_json_decodes_to_the_predictions(top_k: int | None, labels: list[str]) -> None:
    """What the API sends (written from the arrays) is what predict() returns, ties, escapes
    and values from 1e-16 to 1 included."""
    out = _outputs(2)
    out[6] = [1.0, 1e-3, 1e-5, 2.5e-6, 1e-9, 3e-12, 1e-15, 0.25, 0.5]
    task = get_task("classify")
    _decoded_like(task.predictions_json(out, labels, None, top_k), task.predictions(out, labels, None, top_k))


def test_classify_json_with_values_served_as_they_are_still_decodes_to_the_predictions() -> None:
    out = _outputs(3)
    out[0, 3], out[1, 4] = 1e-30, 0.0  # below what the compiled writer writes: orjson writes the batch
    task = get_task("classify")
    _decoded_like(task.predictions_json(out, LABELS, None, None), task.predictions(out, LABELS, None, None))


@pytest.mark.parametrize("task", ["multilabel", "score"])
def test_other_tasks_send_their_predictions_as_json(task: str) -> None:
    out = _outputs(4) if task == "multilabel" else _outputs(4)[:, 0] * 10  # score: one value per row
    t = get_task(task)
    labels = LABELS if task == "multilabel" else []
    thresholds = None if task == "multilabel" else [0.0, 1.0, 0.0, 10.0]
    assert orjson.loads(t.predictions_json(out, labels, thresholds, None)) == t.predictions(out, labels, thresholds, None)
