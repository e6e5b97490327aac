"""Out-of-scope fallback (classify): answer "none of these" instead of guessing.

A classify model may name a fallback label (say ``out_of_scope``). Samples carrying it are
examples of what the model must not answer: they are trained on as one more class, so a text
like them is answered by that class, and the probabilities of the real labels drop for it.

On top, a threshold: a text whose real labels all look unlikely falls back too. The rule and the
threshold are chosen on the protocol's held-out outputs (the same rows the metrics come from):

- the candidate rules (registered :class:`Rule` objects, tried in order) are a threshold on the
  largest real-label probability (``max_probability``), on the gap between the two largest
  (``margin``), on the negated entropy of the real labels' probabilities renormalised
  (``entropy``: a text spread over many labels is unlike any), and on the mean of two ranks
  among the held-out in-scope rows, that largest probability's and the text's nearness to the
  training texts in embedding space (``probability_and_nearness``, :mod:`.nearness`): a text
  of an unseen intent often lands confidently on a known label but lies farther from every
  training text (on Banking77's unseen intents it beat the plain threshold's accuracy + recall
  at low, medium and high, where the three others did not, bench/RESULTS.md);
- each candidate threshold is scored by in-scope accuracy (a fallen-back in-scope text counts as
  wrong) + fallback recall, among those whose fallback precision reaches ``min_precision``;
- the out-of-scope rows are the held-out fallback examples; with fewer than :data:`MIN_EXAMPLES`
  of them (a model may have none) held-out texts of classes the members were refitted without
  stand in (:mod:`.unseen`: what the model says about an intent it never saw). Where that extra
  fit cannot be made, held-out in-scope texts with their own label's column hidden (the rest
  renormalised) stand in; those are easier to tell apart than texts of a really unseen class
  (bench/RESULTS.md: the entropy rule won on them and lost on Banking77's unseen intents), so on
  them only ``max_probability`` is tuned. The metrics say which rows were used.

The decision is plain data (``{"label", "column", "rule", "threshold"}``, and for the nearness
rule ``params``, its rank tables, and ``neighbours``, the training vectors) stored on the
predictor and applied after :meth:`Predictor.outputs`: serving pays one comparison per row, and
with the nearness rule one product with the kept training vectors (the members' embeddings of
the text are reused; the static embedder costs next to nothing when no member embeds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .tasks._base import ranked_rows, served_values

__all__ = ["RULES", "MIN_EXAMPLES", "Rule", "register_rule", "choose_fallback", "fallback_mask", "uses_nearness",
           "fallback_predictions", "real_columns"]

# Fewer held-out fallback examples than this are topped up with simulated ones (see above).
MIN_EXAMPLES = 10
_CANDIDATES = 200  # thresholds tried per rule: quantiles of the held-out scores
_REFERENCE = np.linspace(0.0, 1.0, 101)  # quantiles kept to turn a score into a share of in-scope rows
REPORT_TEXTS = 25  # texts of each kind listed in the version's report
Params = dict[str, Any]


@dataclass(frozen=True)
class Rule:
    """How sure the model is of its best real label (higher: surer), from the real labels'
    probabilities and, for a rule that ``uses_nearness``, each text's nearness to the training
    texts (:mod:`.nearness`). ``fit`` learns what the score needs from the held-out in-scope rows
    (kept in the decision as plain data)."""

    name: str
    score: Callable[[np.ndarray, np.ndarray | None, Params], np.ndarray]
    uses_nearness: bool = False
    fit: Callable[[np.ndarray, np.ndarray | None], Params] = field(default=lambda real, near: {})


_RULES: dict[str, Rule] = {}
RULES: tuple[str, ...] = ()  # tried in this order; a tie keeps the earlier rule


def register_rule(rule: Rule) -> None:
    global RULES
    _RULES[rule.name] = rule
    RULES = tuple(_RULES)


def _top(real: np.ndarray) -> np.ndarray:
    return np.sort(real, axis=1)[:, ::-1] if real.shape[1] else np.zeros((real.shape[0], 1))


def _max_probability(real: np.ndarray, near: np.ndarray | None, params: Params) -> np.ndarray:
    return _top(real)[:, 0]  # type: ignore[no-any-return]


def _margin(real: np.ndarray, near: np.ndarray | None, params: Params) -> np.ndarray:
    top = _top(real)
    return top[:, 0] - (top[:, 1] if top.shape[1] > 1 else 0.0)  # type: ignore[no-any-return]


def _entropy(real: np.ndarray, near: np.ndarray | None, params: Params) -> np.ndarray:
    """Scaled into [0, 1]: 1 = all mass on one label (a text spread over many is unlike any)."""
    if real.shape[1] == 0:
        return np.zeros(real.shape[0])
    p = real / np.clip(real.sum(axis=1, keepdims=True), 1e-12, None)
    h = -(p * np.log(np.clip(p, 1e-12, None))).sum(axis=1)
    return 1.0 - h / np.log(max(real.shape[1], 2))  # type: ignore[no-any-return]


def _share(values: np.ndarray, reference: list[float]) -> np.ndarray:
    """Which share of the held-out in-scope rows scored at most ``values`` (0-1)."""
    return np.interp(values, np.asarray(reference), _REFERENCE)  # type: ignore[no-any-return]


def _fit_both(real: np.ndarray, near: np.ndarray | None) -> Params:
    assert near is not None
    return {"probability": np.quantile(_top(real)[:, 0], _REFERENCE).tolist(),
            "nearness": np.quantile(near, _REFERENCE).tolist()}


def _probability_and_nearness(real: np.ndarray, near: np.ndarray | None, params: Params) -> np.ndarray:
    """The mean of the two ranks among held-out in-scope rows: a text low on either is suspect.
    Ranks, not raw values, because a probability and a cosine similarity share no scale."""
    assert near is not None
    return (_share(_top(real)[:, 0], params["probability"]) + _share(near, params["nearness"])) / 2  # type: ignore[no-any-return]


for _rule in (Rule("max_probability", _max_probability), Rule("margin", _margin), Rule("entropy", _entropy),
              Rule("probability_and_nearness", _probability_and_nearness, uses_nearness=True, fit=_fit_both)):
    register_rule(_rule)


def real_columns(labels: list[str], column: int | None) -> np.ndarray:
    return np.array([j for j in range(len(labels)) if j != column], dtype=int)


def _score(real: np.ndarray, decision: dict[str, Any], near: np.ndarray | None) -> np.ndarray:
    return _RULES[decision["rule"]].score(real, near, decision.get("params") or {})


def fallback_mask(probs: np.ndarray, labels: list[str], decision: dict[str, Any],
                  near: np.ndarray | None = None) -> np.ndarray:
    """Which rows of mixed probabilities fall back under ``decision`` (``near``: the rows'
    nearness, for a rule that uses it)."""
    column = decision.get("column")
    real = probs[:, real_columns(labels, column)]
    best_real = real.max(axis=1) if real.shape[1] else np.zeros(len(probs))
    by_class = probs[:, column] > best_real if column is not None else np.zeros(len(probs), dtype=bool)
    return by_class | (_score(real, decision, near) < float(decision["threshold"]))  # type: ignore[no-any-return]


def _simulated(probs: np.ndarray, y: np.ndarray) -> np.ndarray:
    """In-scope rows with their own label's column emptied and renormalised: the model's view of
    a text whose class it does not know."""
    out = probs.copy()
    out[np.arange(len(y)), y] = 0.0
    total = out.sum(axis=1, keepdims=True)
    return out / np.where(total > 0, total, 1.0)  # type: ignore[no-any-return]


def choose_fallback(y: np.ndarray, probs: np.ndarray, labels: list[str], label: str,
                    min_precision: float | None, unseen: np.ndarray | None = None,
                    near: tuple[np.ndarray, np.ndarray | None] | None = None,
                    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, list[int]]]:
    """The decision, its metrics, and the held-out rows to show: in-scope rows that fell back
    (``in_scope_fell_back``) and fallback examples that did not (``fallback_missed``).
    ``near``: the nearness of the held-out rows and of the ``unseen`` rows (rules that use it are
    tried only with it)."""
    column = labels.index(label) if label in labels else None
    real_cols = real_columns(labels, column)
    in_rows = np.flatnonzero(y != column) if column is not None else np.arange(len(y))
    oos_rows = np.flatnonzero(y == column) if column is not None else np.array([], dtype=int)
    in_probs, oos_probs = probs[in_rows], probs[oos_rows]
    near_in = near[0][in_rows] if near is not None else None
    near_oos = near[0][oos_rows] if near is not None else None
    measured = "fallback examples"
    rules = RULES
    if len(oos_rows) < MIN_EXAMPLES and unseen is not None and len(unseen):
        oos_probs = np.vstack([oos_probs, unseen])
        measured = ("fallback examples and " if len(oos_rows) else "") + "held-out texts of classes left out of a refit"
        near_oos = (np.concatenate([near_oos, near[1]]) if near is not None and near_oos is not None
                    and near[1] is not None else None)
    elif len(oos_rows) < MIN_EXAMPLES and len(in_rows):
        oos_probs = np.vstack([oos_probs, _simulated(in_probs, y[in_rows])])
        measured = "fallback examples and simulated ones" if len(oos_rows) else "simulated"
        rules = RULES[:1]
        near_oos = None
    if near_in is None or near_oos is None:
        rules = tuple(r for r in rules if not _RULES[r].uses_nearness)
    in_correct = real_cols[in_probs[:, real_cols].argmax(axis=1)] == y[in_rows] if len(real_cols) else np.zeros(0, bool)
    need = float(min_precision or 0.0)
    cls_in = _by_class(in_probs, real_cols, column)
    cls_oos = _by_class(oos_probs, real_cols, column)

    best: tuple[float, float, str, float, Params] | None = None  # (objective, -threshold, rule, threshold, params)
    for name in rules:
        rule = _RULES[name]
        params = rule.fit(in_probs[:, real_cols], near_in) if len(in_rows) else {}
        s_in = rule.score(in_probs[:, real_cols], near_in, params)
        s_oos = rule.score(oos_probs[:, real_cols], near_oos, params)
        both = np.concatenate([s_in, s_oos])
        cands = np.unique(np.concatenate([[0.0], np.quantile(both, np.linspace(0, 1, _CANDIDATES))])) if len(both) else [0.0]
        for t in cands:
            fb_in = cls_in | (s_in < t)
            fb_oos = cls_oos | (s_oos < t)
            acc, rec, prec = _rates(in_correct, fb_in, fb_oos)
            if prec < need and t > 0:
                continue
            key = (acc + rec, -float(t), name, float(t), params)
            if best is None or key[:2] > best[:2]:
                best = key
    assert best is not None
    decision: dict[str, Any] = {"label": label, "column": column, "rule": best[2], "threshold": round(best[3], 6)}
    if best[4]:
        decision["params"] = best[4]
    fb_in = fallback_mask(in_probs, labels, decision, near_in)
    fb_oos = fallback_mask(oos_probs, labels, decision, near_oos)
    acc, rec, prec = _rates(in_correct, fb_in, fb_oos)
    metrics = {
        "label": label, "rule": decision["rule"], "threshold": decision["threshold"],
        "in_scope_accuracy": round(acc, 6), "fallback_recall": round(rec, 6), "fallback_precision": round(prec, 6),
        "min_precision": min_precision, "fallback_examples": int(len(oos_rows)), "measured_on": measured,
        "in_scope_fell_back": int(fb_in.sum()), "in_scope_evaluated": int(len(in_rows)),
    }
    real_oos_fb = fb_oos[:len(oos_rows)]
    shown = {"in_scope_fell_back": in_rows[fb_in][:REPORT_TEXTS].tolist(),
             "fallback_missed": oos_rows[~real_oos_fb][:REPORT_TEXTS].tolist()}
    return decision, metrics, shown


def uses_nearness(decision: dict[str, Any]) -> bool:
    return _RULES[decision["rule"]].uses_nearness


def _by_class(probs: np.ndarray, real_cols: np.ndarray, column: int | None) -> np.ndarray:
    if column is None or not len(real_cols):
        return np.zeros(len(probs), dtype=bool)
    return probs[:, column] > probs[:, real_cols].max(axis=1)  # type: ignore[no-any-return]


def _rates(in_correct: np.ndarray, fb_in: np.ndarray, fb_oos: np.ndarray) -> tuple[float, float, float]:
    """In-scope accuracy (a fallen-back in-scope text is wrong), fallback recall and precision."""
    acc = float(np.mean(in_correct & ~fb_in)) if len(fb_in) else 0.0
    rec = float(np.mean(fb_oos)) if len(fb_oos) else 0.0
    flagged = int(fb_in.sum() + fb_oos.sum())
    prec = float(fb_oos.sum() / flagged) if flagged else 1.0
    return acc, rec, prec


def fallback_predictions(out: np.ndarray, labels: list[str], decision: dict[str, Any],
                         top_k: int | None, near: np.ndarray | None = None) -> list[dict[str, Any]]:
    """Classify predictions with the fallback applied: ``fallback`` says whether it answered; the
    scores are the real labels' (the fallback label is an answer, not a class to rank)."""
    out = out / out.sum(axis=1, keepdims=True)
    mask = fallback_mask(out, labels, decision, near)
    cols = real_columns(labels, decision.get("column"))
    k = len(cols) if not top_k or top_k <= 0 else min(top_k, len(cols))
    real = out[:, cols]
    names, values = ranked_rows(real, [labels[int(j)] for j in cols], k)
    unsure = served_values(1.0 - real.max(axis=1)).tolist() if len(cols) else [1.0] * len(out)
    label = decision["label"]
    return [{"label": label, "confidence": c, "fallback": True, "scores": dict(zip(n, v))} if fell else
            {"label": n[0], "confidence": v[0], "fallback": False, "scores": dict(zip(n, v))}
            for n, v, c, fell in zip(names, values, unsure, mask.tolist())]
