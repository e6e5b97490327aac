"""multilabel: any set of labels per sample, ``{"labels": [str, …]}``; a prediction is a label set.

Minimum: at least 4 samples, and every label used must be present on at least 2 samples and
absent on at least 2, so each per-label decision has both sides in training and in evaluation
(and a threshold can be tuned).
"""

from __future__ import annotations

from collections import Counter
from itertools import compress
from collections.abc import Collection, Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

from ..calibration import fit_multilabel_temperature, fit_thresholds, sigmoid
from ._base import Task, label_problem, register_task, served_values

__all__ = ["MultiLabel", "MIN_MULTILABEL_SIDE"]

MIN_MULTILABEL_SIDE = 2


def _as_set(target: Any) -> set[str]:
    return {target} if isinstance(target, str) else {str(t) for t in target}


@register_task
class MultiLabel(Task):
    name = "multilabel"
    target_shape = "labels"
    primary_metric = "micro_f1"
    default_family = "svm"
    min_per_label: ClassVar[int] = MIN_MULTILABEL_SIDE
    per_label_heads = True

    def parse_target(self, stored: Mapping[str, Any]) -> Any:
        return list(stored["labels"])

    def checked_target(self, value: Any, allowed: Collection[str] | None, max_label_chars: int) -> dict[str, Any] | str:
        found = list(value)
        if not found:
            return "labels is empty"
        for label in found:
            problem = label_problem(label, allowed, max_label_chars)
            if problem:
                return problem
        return {"labels": sorted(set(found))}

    def encode(self, targets: Sequence[Any]) -> tuple[list[str] | None, np.ndarray]:
        sets = [_as_set(t) for t in targets]
        labels = sorted(set().union(*sets)) if sets else []
        return labels, np.array([[lab in s for lab in labels] for s in sets], dtype=int).reshape(len(sets), -1)

    def label_counts(self, targets: Sequence[Any]) -> Counter[str]:
        return Counter(lab for t in targets for lab in self.report_key(t))

    def report_key(self, target: Any) -> Any:
        return tuple(sorted(_as_set(target)))

    def missing_for_counts(self, n_samples: int, label_counts: Mapping[str, int], distinct: int = 0) -> list[str]:
        missing: list[str] = []
        n, side = n_samples, MIN_MULTILABEL_SIDE
        if n < 2 * side:
            missing.append(f"multilabel needs at least {2 * side} samples (have {n})")
        if not label_counts:
            missing.append("no sample carries a label yet")
        for lab in sorted(label_counts):
            c = label_counts[lab]
            if c < side:
                missing.append(f"label {lab!r} is on {c} sample(s); it needs at least {side}")
            elif n - c < side:
                missing.append(f"label {lab!r} is on {c} of {n} samples; at least {side} samples must lack it")
        return missing

    def fold_score(self, y: np.ndarray, output: np.ndarray) -> float:
        return float(f1_score(y, (output > 0).astype(int), average="micro", zero_division=0))  # at margin 0

    def calibrate(self, raw: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
        t = fit_multilabel_temperature(raw, y)
        return sigmoid(raw, t), t

    def apply_temperature(self, raw: np.ndarray, temperature: float) -> np.ndarray:
        return sigmoid(raw, temperature)

    def selection_output(self, raw: np.ndarray, y: np.ndarray) -> np.ndarray:
        # Centre on 0 like a margin, so fold_score's "> 0" rule means p > 0.5.
        return self.calibrate(raw, y)[0] - 0.5

    def metrics(self, y: np.ndarray, mixed: np.ndarray, labels: list[str], n_samples: int,
                protocol: str) -> tuple[dict[str, Any], list[float] | None]:
        thresholds = fit_thresholds(mixed, y)
        P = (mixed >= thresholds).astype(int)
        p, r, f, s = precision_recall_fscore_support(y, P, zero_division=0)
        micro = float(f1_score(y, P, average="micro", zero_division=0))
        out = self.base_metrics(micro, n_samples, protocol, len(y))
        out.update({
            "micro_f1": round(micro, 6),
            "macro_f1": round(float(f1_score(y, P, average="macro", zero_division=0)), 6),
            "subset_accuracy": round(float(np.mean((y == P).all(axis=1))), 6),
            "per_label": {
                labels[j]: {"precision": round(float(p[j]), 6), "recall": round(float(r[j]), 6),
                            "f1": round(float(f[j]), 6), "support": int(s[j])}
                for j in range(len(labels))
            },
        })
        out["thresholds"] = {lab: round(float(c), 4) for lab, c in zip(labels, thresholds)}
        return out, [float(c) for c in thresholds]

    def predictions(self, out: np.ndarray, labels: list[str], thresholds: list[float] | None,
                    top_k: int | None) -> list[dict[str, Any]]:
        cut = np.asarray(thresholds if thresholds is not None else [0.5] * len(labels))
        if not labels:
            return [{"labels": [], "scores": {}} for _ in range(out.shape[0])]
        # Whole-matrix calls (see ranked_rows); argsort's default sort, whose tie order this
        # task has always served.
        order = np.argsort(-out, axis=1)
        names = np.asarray(labels, dtype=object)[order].tolist()
        values = served_values(np.take_along_axis(out, order, axis=1)).tolist()
        passed = np.take_along_axis(out >= cut, order, axis=1).tolist()
        k = top_k or len(labels)
        return [{"labels": list(compress(n, p)), "scores": dict(zip(n[:k], v[:k]))}
                for n, v, p in zip(names, values, passed)]

    def neighbour_output(self, weights: np.ndarray, neighbours: np.ndarray, n_classes: int) -> np.ndarray:
        share = np.einsum("nk,nkl->nl", weights, neighbours.astype(np.float64))
        share = np.clip(share, 1e-3, 1 - 1e-3)
        return np.log(share / (1 - share))  # type: ignore[no-any-return]
