"""The task contract and its registry: what kind of target a model learns.

A :class:`Task` owns everything that depends on the shape of a sample's target: parsing a
stored target, the minimum data, whether folds are stratified, the primary metric and the
metrics report, how raw outputs are calibrated and mixed, and the shape of a prediction. The
rest of the engine asks the task object and never compares task names.

Adding a task is one module: subclass :class:`Task`, decorate it with :func:`register_task`,
and import the module in :mod:`u22a8.engine.tasks` (registration order is the order users see).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any, ClassVar, Literal, TypeVar

import numpy as np
import orjson

from ..registry import Registry

__all__ = ["Task", "TargetShape", "TARGET_FIELDS", "SERVED_DIGITS", "label_problem", "ranked_rows", "served_parts", "served_values", "register_task", "unregister_task", "get_task", "task_names", "tasks"]

# How a stored target is written: {"label": str} | {"labels": [str, …]} | {"score": float}.
TargetShape = Literal["label", "labels", "score"]

# The target fields a sample may carry; exactly the task's ``target_shape`` one is accepted.
TARGET_FIELDS: tuple[TargetShape, ...] = ("label", "labels", "score")

T = TypeVar("T", bound=type)


class Task:
    """One kind of target. Subclasses set the class attributes and implement the methods.

    Contract:

    - ``target_shape`` names the key of the stored JSON target; :meth:`parse_target` turns a
      stored target into the engine's value and :meth:`encode` turns all of a dataset's values
      into ``(labels, y)``: the sorted label set (None without labels) and the array fitted on.
    - :meth:`missing_for_counts` says in words what data with these counts lacks (empty: enough);
      it needs counts only, so a database can answer it from aggregates.
    - Raw outputs are margins (one column per label) or values; :meth:`fold_score` scores them
      before calibration, :meth:`calibrate` fits one temperature on held-out rows,
      :meth:`apply_temperature` applies it at serving time, :meth:`metrics` reports the mixed
      calibrated outputs and :meth:`predictions` shapes them into JSON-ready predictions.
    """

    name: ClassVar[str]
    target_shape: ClassVar[TargetShape]
    primary_metric: ClassVar[str]
    default_family: ClassVar[str]  # the family of the known-good first trial
    stratified: ClassVar[bool] = False  # folds keep each label's share
    fine_tunable: ClassVar[bool] = False  # a fine-tuned MiniLM softmax member can join (effort max)
    has_labels: ClassVar[bool] = True  # targets are labels (classifier families serve it), else numbers
    per_label_heads: ClassVar[bool] = False  # one binary model per label instead of one multiclass model
    # Classes of the task's own that a predictor stores (none of the built-in tasks has any: their
    # calibration is numbers); the artifact loader trusts them, like each family's artifact_types.
    artifact_types: ClassVar[tuple[type, ...]] = ()

    # -- targets --------------------------------------------------------------------------
    def stored_target(self, fields: Mapping[str, Any], allowed: Collection[str] | None = None,
                      max_label_chars: int = 200) -> dict[str, Any] | str:
        """The target to store from a submitted sample's target fields, or why they are refused.

        ``fields`` maps each of :data:`TARGET_FIELDS` to its value (None: not given);
        ``allowed`` is the model's closed label set, if any.
        """
        given = [name for name in TARGET_FIELDS if fields.get(name) is not None]
        need = self.target_shape
        if given != [need]:
            return f"a {self.name} sample needs exactly a {need!r} field" + (f" (got {', '.join(given)})" if given else "")
        return self.checked_target(fields[need], allowed, max_label_chars)

    def checked_target(self, value: Any, allowed: Collection[str] | None, max_label_chars: int) -> dict[str, Any] | str:
        """The stored target for a submitted value of the task's field, or why it is refused."""
        raise NotImplementedError

    def parse_target(self, stored: Mapping[str, Any]) -> Any:
        """The engine's target value from a stored target (see ``target_shape``)."""
        raise NotImplementedError

    def encode(self, targets: Sequence[Any]) -> tuple[list[str] | None, np.ndarray]:
        raise NotImplementedError

    def label_counts(self, targets: Sequence[Any]) -> Counter[str]:
        """Samples per label (a label counted once per sample); empty for tasks without labels."""
        return Counter()

    def distinct_values(self, targets: Sequence[Any]) -> int:
        """Distinct target values, for tasks whose minimum depends on them (else 0)."""
        return 0

    def report_key(self, target: Any) -> Any:
        """A hashable form of one target: two samples of one text conflict when these differ."""
        return str(target)

    def report(self, targets: Sequence[Any], declared: Sequence[str]) -> dict[str, Any]:
        """The data report's part about targets: label balance, or the range of values."""
        counts = self.label_counts(targets)
        under = {lab: c for lab, c in counts.items() if c < self.min_per_label}
        return {
            "label_counts": dict(sorted(counts.items())),
            "labels_under_minimum": dict(sorted(under.items())),
            "declared_labels_without_samples": [lab for lab in declared if lab not in counts],
            "imbalance_ratio": round(max(counts.values()) / min(counts.values()), 3) if counts else None,
        }

    min_per_label: ClassVar[int] = 0

    def missing_for_counts(self, n_samples: int, label_counts: Mapping[str, int], distinct: int = 0) -> list[str]:
        raise NotImplementedError

    # -- fitting and scoring --------------------------------------------------------------
    def fold_stratum(self, y: np.ndarray) -> np.ndarray | None:
        """Labels to stratify the folds by (None: plain shuffled folds)."""
        return None

    def raw_output(self, head: Any, X: Any, n_labels: int) -> np.ndarray:
        """A fitted head's raw output on ``X``: margins per label (the default) or values."""
        return np.asarray(head.decision_function(X))

    def lone_label_output(self, y_train: np.ndarray, n_test: int, n_labels: int) -> np.ndarray | None:
        """The output for a fold whose training rows cannot be fitted (None: fit as usual)."""
        return None

    def fold_score(self, y: np.ndarray, output: np.ndarray) -> float:
        """The primary metric on raw outputs, before calibration."""
        raise NotImplementedError

    def standard_error(self, score: float, n_eval: int) -> float:
        """The standard error of the primary metric at ``score`` on ``n_eval`` held-out rows."""
        p = min(max(score, 0.01), 0.99)
        return float((p * (1 - p) / max(n_eval, 1)) ** 0.5)

    def calibrate(self, raw: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
        """Calibrated outputs of held-out ``raw`` outputs and the temperature fitted on them."""
        return raw, 1.0

    def apply_temperature(self, raw: np.ndarray, temperature: float) -> np.ndarray:
        return raw

    def selection_output(self, raw: np.ndarray, y: np.ndarray) -> np.ndarray:
        """What ensemble selection averages: calibrated outputs that :meth:`fold_score` can score."""
        return self.calibrate(raw, y)[0]

    def tie_breaker(self, y: np.ndarray, mixed: np.ndarray) -> float:
        """Ranks ensembles of equal primary score (higher is better)."""
        return 0.0

    def metrics(self, y: np.ndarray, mixed: np.ndarray, labels: list[str], n_samples: int,
                protocol: str) -> tuple[dict[str, Any], list[float] | None]:
        """The metrics of mixed calibrated outputs, and per-label thresholds if the task uses them."""
        raise NotImplementedError

    def predictions(self, out: np.ndarray, labels: list[str], thresholds: list[float] | None,
                    top_k: int | None) -> list[dict[str, Any]]:
        """One JSON-ready prediction per row of mixed calibrated outputs."""
        raise NotImplementedError

    def predictions_json(self, out: np.ndarray, labels: list[str], thresholds: list[float] | None,
                         top_k: int | None) -> bytes:
        """:meth:`predictions` as the JSON array a client receives (what an API process sends).
        A task may write it straight from the arrays; the JSON must decode to :meth:`predictions`,
        keys in the same order."""
        return orjson.dumps(self.predictions(out, labels, thresholds, top_k))

    def output_columns(self, n_labels: int) -> int:
        """Output columns a one-vs-rest fit produces (the estimate's cost driver)."""
        return 1 if n_labels <= 2 else int(n_labels)

    # -- nearest neighbours ---------------------------------------------------------------
    def neighbour_targets(self, y: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """(classes, targets as neighbours vote them): class indices for single labels, else ``y``."""
        return None, y

    def neighbour_output(self, weights: np.ndarray, neighbours: np.ndarray, n_classes: int) -> np.ndarray:
        """kNN output from normalised neighbour ``weights`` and the neighbours' encoded targets."""
        raise NotImplementedError

    def base_metrics(self, value: float, n_samples: int, protocol: str, n_eval: int) -> dict[str, Any]:
        return {"primary": round(float(value), 6), "primary_name": self.primary_metric, "n_samples": int(n_samples),
                "n_evaluated": int(n_eval), "protocol": protocol}


# A served score or confidence keeps this many significant digits (relative error ≤ 5e-7, so
# within 1e-6 of the computed value however large a probability is). The digits beyond are
# float noise: the kNN similarities are float32 (about 7 digits) and every calibration is
# fitted on held-out rows. All 17 digits made a batch's answer a fifth larger and slower to
# encode and to decode (bench/RESULTS.md, predict latency).
SERVED_DIGITS = 7
_POW10 = 10.0 ** np.arange(23)  # exact as doubles up to 1e22


def served_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mantissas, places, ok): where ``ok``, the served value of ``x`` is the double nearest to
    ``mantissa · 10^-places``, a decimal of at most :data:`SERVED_DIGITS` significant digits
    (``0 ≤ places ≤ 22``). Zeros, non-finite values and values whose rounding would need a
    power of ten beyond 1e22 (above 1e7 or below 1e-16) are not ``ok``: they are served as
    they are."""
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    ok = (a > 0) & (a < np.inf)  # NaN compares false: no value here makes log10 warn
    places = (SERVED_DIGITS - 1) - np.floor(np.log10(np.where(ok, a, 1.0)))
    ok &= (places >= 0) & (places < len(_POW10))
    places = np.where(ok, places, 0.0).astype(np.intp)
    return np.rint(np.where(ok, x, 0.0) * _POW10[places]).astype(np.int64), places, ok


def served_values(x: np.ndarray) -> np.ndarray:
    """``x`` rounded to :data:`SERVED_DIGITS` significant digits, each the double nearest to a
    decimal of that many digits (so JSON writes it short); see :func:`served_parts`."""
    x = np.asarray(x, dtype=np.float64)
    mantissas, places, ok = served_parts(x)
    # The mantissa is an integer below 10^7 and 10^p is exact: one division rounds once, to the
    # double nearest the decimal.
    return np.where(ok, mantissas / _POW10[places], x)  # type: ignore[no-any-return]


def ranked_rows(out: np.ndarray, names: Sequence[str], k: int | None = None,
                ) -> tuple[list[list[str]], list[list[float]]]:
    """Per row of ``out``, the names and values of its ``k`` largest columns (all when None),
    largest first: what ``np.argsort(-row, kind="stable")`` orders, for the whole matrix in one call.

    A prediction of 100 texts on 77 labels used to index 7,700 numpy scalars one by one; here
    the sort, the gather and the conversion to Python floats are each one vectorised call. The
    values are served ones (:func:`served_values`); the order is the exact values'. Ties keep
    column order (a stable sort, row by row: a row ranks the same whatever the batch).
    """
    order = np.argsort(-out, axis=1, kind="stable")
    if k is not None:
        order = order[:, :k]
    labels = np.asarray(list(names), dtype=object)
    if not len(labels):  # no columns to rank: one empty ranking per row
        return [[] for _ in range(out.shape[0])], [[] for _ in range(out.shape[0])]
    return labels[order].tolist(), served_values(np.take_along_axis(out, order, axis=1)).tolist()


def label_problem(label: str, allowed: Collection[str] | None, max_chars: int) -> str | None:
    """Why a submitted label is refused (None: it is fine)."""
    if not label.strip() or len(label) > max_chars or "\x00" in label:
        return f"bad label {label[:40]!r}"
    if allowed is not None and label not in allowed:
        return f"label {label[:40]!r} is not one of the model's labels"
    return None


_TASKS: Registry[Task] = Registry("task")


def register_task(cls: T) -> T:
    """Class decorator: one instance of ``cls`` becomes the task named ``cls.name``."""
    return _TASKS.register(cls)  # type: ignore[no-any-return]


def unregister_task(name: str) -> None:
    _TASKS.unregister(name)


def get_task(name: str) -> Task:
    return _TASKS.get(name)


def task_names() -> tuple[str, ...]:
    """Registered task names, in registration order."""
    return _TASKS.names()


def tasks() -> Iterator[Task]:
    return iter(_TASKS)
