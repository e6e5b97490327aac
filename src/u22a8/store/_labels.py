"""Per-label sample counts, aggregated by the database so that no caller loads every target.

The store knows targets by their stored shape, never by task: a sample's target is one of
``{"label": str}``, ``{"labels": [str, …]}`` or ``{"score": float}``, and its key is the
:data:`TargetShape` (the task object upstream says which one a model's samples carry). Callers
pass it; without it, it is read off a stored sample. Counting labels inside a JSON list needs
each backend's own set-returning function; the rest is the same SQL on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any, Literal

from sqlalchemy import ColumnElement, distinct, exists, false, func, literal, select, true
from sqlalchemy.orm import Session

from .tables import SampleRow

__all__ = ["TargetShape", "TARGET_SHAPES", "label_counts", "stored_shape", "carries_label", "carries_any_label",
           "of_model", "WHOLE_TABLE_ABOVE"]

TargetShape = Literal["label", "labels", "score"]
TARGET_SHAPES: tuple[TargetShape, ...] = ("label", "labels", "score")


def stored_shape(s: Session, model_id: int) -> TargetShape | None:
    """The shape of the model's stored targets (all share one), None while it has no sample."""
    target = s.scalar(select(SampleRow.target).where(SampleRow.model_id == model_id).limit(1))
    return next((key for key in TARGET_SHAPES if key in (target or {})), None)


def _labels_of(s: Session) -> Any:
    """The labels of a sample's ``{"labels": [...]}`` target as a table of one ``value`` column."""
    if s.get_bind().dialect.name == "sqlite":
        return func.json_each(SampleRow.target, "$.labels").table_valued("value")
    # Functions in FROM may read earlier FROM items in PostgreSQL, so no LATERAL is needed.
    return func.json_array_elements_text(SampleRow.target["labels"]).table_valued("value")


def carries_label(s: Session, shape: TargetShape | None, label: str | ColumnElement[str]) -> ColumnElement[bool]:
    """A WHERE clause: the sample's target carries ``label`` (a whole label, compared exactly;
    a bound parameter, to run one statement for many labels).

    Answered by the database on both backends, so a filter on a rare label reads only the rows
    that match. Targets without labels (scores, or a model without samples) match nothing.
    """
    if shape == "label":
        return SampleRow.target["label"].as_string() == label
    if shape == "labels":
        each = _labels_of(s)
        return exists(select(literal(1)).select_from(each).where(each.c.value == label))
    return false()


def carries_any_label(s: Session, shape: TargetShape | None, labels: list[str]) -> ColumnElement[bool]:
    """A WHERE clause: the sample's target carries one of ``labels`` (see :func:`carries_label`)."""
    if shape == "label":
        return SampleRow.target["label"].as_string().in_(labels)
    if shape == "labels":
        each = _labels_of(s)
        return exists(select(literal(1)).select_from(each).where(each.c.value.in_(labels)))
    return false()


# A model holding more samples than this has its labels counted in one pass over the table: walking
# the (model, text hash) index visits rows in hash order, a random read each, which cost a million
# samples 5 CPU seconds in SQLite against 1 for the pass (bench/RESULTS.md, scale).
WHOLE_TABLE_ABOVE = 50_000


def of_model(model_id: int, n_samples: int = 0) -> ColumnElement[bool]:
    """WHERE the sample belongs to the model; for a model of over :data:`WHOLE_TABLE_ABOVE`
    samples written so that no index on ``model_id`` applies (the planner then reads the table in
    storage order; on PostgreSQL it chooses a sequential scan for so many rows anyway)."""
    if n_samples > WHOLE_TABLE_ABOVE:
        return (SampleRow.model_id + 0) == model_id
    return SampleRow.model_id == model_id


def label_counts(s: Session, model_id: int, shape: TargetShape | None = None, *, n_samples: int = 0) -> dict[str, int]:
    """Label → number of samples carrying it (a label listed twice on one sample counts once).

    Ordered most frequent first, ties in the order the labels first appear in the samples:
    the order a ``Counter`` over the training set gives, so messages built from it read the same.
    Targets without labels count nothing. ``n_samples``: how many the model holds, if known
    (a large model is counted in one pass, see :func:`of_model`).
    """
    shape = shape or stored_shape(s, model_id)
    if shape == "label":
        label: Any = SampleRow.target["label"].as_string()
        q = select(label, func.count(), func.min(SampleRow.pk)).where(of_model(model_id, n_samples))
    elif shape == "labels":
        each = _labels_of(s)
        label = each.c.value
        q = (select(label, func.count(distinct(SampleRow.pk)), func.min(SampleRow.pk))
             .select_from(SampleRow).join(each, true()).where(of_model(model_id, n_samples)))
    else:
        return {}
    rows = sorted(s.execute(q.group_by(label)).all(), key=lambda r: (-r[1], r[2]))
    return {str(lab): int(n) for lab, n, _ in rows if lab is not None}
