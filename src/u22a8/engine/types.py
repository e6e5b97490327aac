"""Value objects that cross the engine's boundary.

The engine takes arrays in and gives estimators out: it knows neither HTTP nor the database.
Callers (``u22a8.runs``) build a :class:`Dataset` from stored samples, call
:func:`u22a8.engine.search` or :func:`u22a8.engine.refit`, and persist the
:class:`TrainingResult` they get back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Sequence, Union

__all__ = [
    "TaskName",
    "Effort",
    "EFFORTS",
    "Target",
    "Dataset",
    "Progress",
    "ProgressCallback",
    "StopCheck",
    "TrainingResult",
    "SearchCanceled",
    "SharedStudy",
    "TooFewSamples",
]

TaskName = str  # a registered task's name (see :mod:`.tasks`)
Effort = Literal["low", "medium", "high", "max"]
EFFORTS: tuple[Effort, ...] = ("low", "medium", "high", "max")

# A sample's target as its task parses it: a label, a list of labels, a number.
Target = Union[str, list[str], float]


@dataclass(frozen=True)
class Dataset:
    """Training data for one model, in the order the store returned it."""

    task: TaskName
    texts: Sequence[str]
    targets: Sequence[Target]
    weights: Sequence[float] | None = None
    # The closed label set declared on the model, if any (tasks with labels).
    labels: Sequence[str] | None = None
    # classify: samples of this label are examples of what not to answer (see .fallback); None: off
    fallback_label: str | None = None
    # the least fallback precision the fallback threshold may have (None: no floor)
    fallback_min_precision: float | None = None

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.targets):
            raise ValueError("texts and targets differ in length")
        if self.weights is not None and len(self.weights) != len(self.texts):
            raise ValueError("texts and weights differ in length")


@dataclass(frozen=True)
class Progress:
    """A snapshot of a search in flight, reported after every trial.

    At effort max, MiniLM is fine-tuned before the first trial; meanwhile snapshots come at most
    once a second with ``trials_done`` 0, ``best_score`` and ``last_trial`` None, an ETA for the
    fine-tuning and the search after it, and ``phase`` saying how far the fine-tuning is.
    """

    trials_planned: int
    trials_done: int
    best_score: float | None
    elapsed_seconds: float
    eta_seconds: float | None
    # The trial just finished, for a plot of scores over time (None before the first).
    last_trial: dict[str, Any] | None = None
    # What runs before the trials, e.g. "fine-tuning MiniLM: 120/940 steps"; None: the trials.
    phase: str | None = None


ProgressCallback = Callable[[Progress], None]
StopCheck = Callable[[], bool]


@dataclass
class TrainingResult:
    """What a search or a refit produced.

    ``artifact`` is the serialized predictor (see :mod:`u22a8.engine.predictor`); ``params`` is a
    JSON-serializable description that :func:`u22a8.engine.refit` accepts to rebuild the same
    model on new data; ``metrics`` is JSON-serializable and holds at least ``primary`` (the
    higher-is-better score the search optimised) and ``primary_name``.
    """

    artifact: bytes
    params: dict[str, Any]
    metrics: dict[str, Any]
    report: dict[str, Any] = field(default_factory=dict)
    trials_done: int = 0
    cpu_seconds: float = 0.0
    # Likely label errors, most suspect first (classify): ``{index, label, suggested_label,
    # self_confidence, score, flagged}`` with ``index`` the sample's position in the Dataset (see .label_issues)
    label_issues: list[dict[str, Any]] = field(default_factory=list)
    # The positions label issues were looked for at, when not every sample's (a retrain, a low
    # search on large data: the held-out rows); None: all of them
    issues_checked: list[int] | None = None


@dataclass(frozen=True)
class SharedStudy:
    """An Optuna study in an RDB storage that several processes add trials to (effort max, scale-out).

    ``storage`` is a SQLAlchemy URL; ``name`` is unique per run attempt.
    """

    storage: str
    name: str


class SearchCanceled(Exception):
    """Raised by a search when its stop check returned True."""


class TooFewSamples(ValueError):
    """The dataset cannot be trained on; ``missing`` says what is lacking, in words."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("; ".join(missing))
        self.missing = missing
