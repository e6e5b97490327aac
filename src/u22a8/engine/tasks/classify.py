"""classify: one label per sample, ``{"label": str}``; a prediction is a label with its confidence.

Minimum: at least 2 labels with at least 2 samples each. One sample of a label can be either
trained on or held out, never both, so the label could never be evaluated. Labels with a single
sample are trained on but named in the data report.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from functools import lru_cache
from typing import Any, ClassVar

import numpy as np
import orjson
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support

from ..calibration import fit_temperature, softmax
from ._base import Task, label_problem, ranked_rows, register_task, served_parts
from ._words import describe_counts

__all__ = ["Classify", "MIN_CLASSES", "MIN_PER_CLASS", "MISSING_CLASS_MARGIN"]

MIN_CLASSES = 2
MIN_PER_CLASS = 2
# Margin given to a class absent from a fold's training rows: far below any real margin.
MISSING_CLASS_MARGIN = -10.0


# Below this many rows orjson of the Python dicts is quicker: the compiled writer's fixed cost
# (the labels' JSON, a few small numpy calls) outweighs what it saves per row.
_WRITER_MIN_ROWS = 8


@register_task
class Classify(Task):
    name = "classify"
    target_shape = "label"
    primary_metric = "accuracy"
    default_family = "svm"
    stratified = True
    fine_tunable = True
    min_per_label: ClassVar[int] = MIN_PER_CLASS

    def parse_target(self, stored: Mapping[str, Any]) -> Any:
        return stored["label"]

    def checked_target(self, value: Any, allowed: Collection[str] | None, max_label_chars: int) -> dict[str, Any] | str:
        return label_problem(value, allowed, max_label_chars) or {"label": value}

    def encode(self, targets: Sequence[Any]) -> tuple[list[str] | None, np.ndarray]:
        labels = sorted({str(t) for t in targets})
        index = {lab: i for i, lab in enumerate(labels)}
        return labels, np.array([index[str(t)] for t in targets], dtype=int)

    def label_counts(self, targets: Sequence[Any]) -> Counter[str]:
        return Counter(str(t) for t in targets)

    def missing_for_counts(self, n_samples: int, label_counts: Mapping[str, int], distinct: int = 0) -> list[str]:
        if sum(c >= MIN_PER_CLASS for c in label_counts.values()) >= MIN_CLASSES:
            return []
        return [f"classify needs at least {MIN_CLASSES} labels with {MIN_PER_CLASS} or more samples each; "
                f"{describe_counts(label_counts)}"]

    def fold_stratum(self, y: np.ndarray) -> np.ndarray | None:
        return y

    def raw_output(self, head: Any, X: Any, n_labels: int) -> np.ndarray:
        d = np.asarray(head.decision_function(X))
        if len(head.classes_) < n_labels:  # classes missing from the fit get a margin far below
            full = np.full((d.shape[0], n_labels), MISSING_CLASS_MARGIN)
            full[:, head.classes_] = d
            d = full
        return d

    def lone_label_output(self, y_train: np.ndarray, n_test: int, n_labels: int) -> np.ndarray | None:
        if len(np.unique(y_train)) >= 2:
            return None
        # A tiny dataset can leave one class alone in a fold's training rows: predict it.
        out = np.full((n_test, n_labels), MISSING_CLASS_MARGIN)
        out[:, int(y_train[0])] = 0.0
        return out

    def fold_score(self, y: np.ndarray, output: np.ndarray) -> float:
        return float(np.mean(output.argmax(axis=1) == y))  # accuracy of the arg-max margin

    def calibrate(self, raw: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
        t = fit_temperature(raw, y)
        return softmax(raw, t), t

    def apply_temperature(self, raw: np.ndarray, temperature: float) -> np.ndarray:
        return softmax(raw, temperature)

    def tie_breaker(self, y: np.ndarray, mixed: np.ndarray) -> float:
        return float(np.log(np.clip(mixed[np.arange(len(y)), y], 1e-12, None)).mean())

    def metrics(self, y: np.ndarray, mixed: np.ndarray, labels: list[str], n_samples: int,
                protocol: str) -> tuple[dict[str, Any], list[float] | None]:
        pred = mixed.argmax(axis=1)
        idx = list(range(len(labels)))
        p, r, f, s = precision_recall_fscore_support(y, pred, labels=idx, zero_division=0)
        acc = float(np.mean(pred == y))
        present = sorted(set(y.tolist()))  # macro-F1 over labels that were held out at least once
        out = self.base_metrics(acc, n_samples, protocol, len(y))
        out.update({
            "accuracy": round(acc, 6),
            "macro_f1": round(float(f1_score(y, pred, labels=present, average="macro", zero_division=0)), 6),
            "log_loss": round(float(-np.log(np.clip(mixed[np.arange(len(y)), y], 1e-12, None)).mean()), 6),
            "per_class": {
                labels[i]: {"precision": round(float(p[i]), 6), "recall": round(float(r[i]), 6),
                            "f1": round(float(f[i]), 6), "support": int(s[i])}
                for i in idx
            },
            "confusion": {"labels": list(labels),
                          "matrix": confusion_matrix(y, pred, labels=idx).astype(int).tolist()},
        })
        return out, None

    def predictions(self, out: np.ndarray, labels: list[str], thresholds: list[float] | None,
                    top_k: int | None) -> list[dict[str, Any]]:
        out = out / out.sum(axis=1, keepdims=True)  # exact sum to 1 after mixing and rounding
        k = len(labels) if not top_k or top_k <= 0 else min(top_k, len(labels))
        names, values = ranked_rows(out, labels, k)
        return [{"label": n[0], "confidence": v[0], "scores": dict(zip(n, v))} for n, v in zip(names, values)]

    def predictions_json(self, out: np.ndarray, labels: list[str], thresholds: list[float] | None,
                         top_k: int | None) -> bytes:
        """Written from the arrays by one compiled loop (:func:`.._kernels.write_ranked_json`):
        building 7,700 Python floats and 100 dicts for a batch of 100 on 77 labels, then
        encoding them, cost more than the batch's own kNN search (bench/RESULTS.md)."""
        if not labels or len(out) < _WRITER_MIN_ROWS:
            return super().predictions_json(out, labels, thresholds, top_k)
        out = out / out.sum(axis=1, keepdims=True)  # as predictions() does
        k = len(labels) if not top_k or top_k <= 0 else min(top_k, len(labels))
        order = np.ascontiguousarray(np.argsort(-out, axis=1, kind="stable")[:, :k])
        mantissas, places, ok = served_parts(np.take_along_axis(out, order, axis=1))
        if not ok.all():  # a value served as it is (a zero, a NaN, below 1e-16): orjson writes it
            return super().predictions_json(out, labels, thresholds, top_k)
        from .. import _kernels  # numba: loaded with the serving plan

        names, starts, longest = _encoded_labels(tuple(labels))
        room = 2 + len(out) * (64 + (k + 1) * (longest + 32))
        buffer = np.empty(room, dtype=np.uint8)
        end = _kernels.write_ranked_json(order, mantissas, places, names, starts, buffer)
        return buffer[:end].tobytes()

    def neighbour_targets(self, y: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        classes = np.unique(y)
        return classes, np.searchsorted(classes, y)

    def neighbour_output(self, weights: np.ndarray, neighbours: np.ndarray, n_classes: int) -> np.ndarray:
        votes = np.zeros((weights.shape[0], n_classes))
        np.add.at(votes, (np.arange(weights.shape[0])[:, None], neighbours), weights)
        return np.log(votes + 1e-4)  # type: ignore[no-any-return]


@lru_cache(maxsize=256)
def _encoded_labels(labels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray, int]:
    """The labels' JSON strings end to end, where each starts (and the end), and the longest:
    the same for every batch a version serves, so encoded once per label set (a served process
    holds a few hundred versions at most). Shared between calls: callers only read them."""
    encoded = [orjson.dumps(label) for label in labels]
    starts = np.zeros(len(encoded) + 1, dtype=np.intp)
    np.cumsum([len(n) for n in encoded], out=starts[1:])
    return np.frombuffer(b"".join(encoded), dtype=np.uint8), starts, int(np.diff(starts).max())
