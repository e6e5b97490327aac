"""Tenants' models: create, read, list, change settings, delete.

Every function takes the acting key and checks its access first; the field rules here are the
ones the API's request schemas state, so a console form meets the same refusals. Errors are
domain errors, which the API renders as problem+json and the console as a message on the page.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from .. import engine
from ..errors import InvalidRequest, LimitExceeded
from ..runs import remove_model_files
from ..store import ApiKey, Model
from .access import HANDLE_RE, check_model_access, checked_handle, enter, readable_owners, require
from .fields import InvalidField, check_labels, check_max_length, check_number_range
from .platform import Platform

__all__ = [
    "TASKS",
    "AutoRetrain",
    "Keep",
    "ModelPage",
    "get_model",
    "list_models",
    "create_model",
    "update_model",
    "delete_model",
    "labels_in_use",
    "task_has_labels",
]

TASKS: tuple[str, ...] = tuple(engine.task_names())
DESCRIPTION_MAX = 2000
QUIET_SECONDS_MAX = 86400


def task_has_labels(task: str) -> bool:
    """Whether the task's samples carry labels (so a closed label set and a label filter make sense)."""
    return engine.get_task(task).has_labels


class Keep(enum.Enum):
    """An update argument left out: unlike ``None``, which is a value (an open label set)."""

    KEEP = "keep"


@dataclass(frozen=True)
class AutoRetrain:
    """Auto-retrain as a request states it; ``None`` keeps a setting (on create: its default)."""

    enabled: bool | None = None
    quiet_seconds: float | None = None

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.enabled is not None:
            out["auto_retrain"] = self.enabled
        if self.quiet_seconds is not None:
            out["quiet_seconds"] = self.quiet_seconds
        return out


@dataclass(frozen=True)
class ModelPage:
    items: list[Model]
    next_cursor: str | None


def get_model(platform: Platform, key: ApiKey, handle: str, scope: str = "read") -> Model:
    """The model, if ``key`` may act on it with ``scope``; any other model is a 404."""
    check_model_access(key, checked_handle(handle), scope)
    model = platform.store.models.get(handle)
    platform.active_versions.saw(handle, model.active_version.id if model.active_version else None)
    return model


def list_models(platform: Platform, key: ApiKey, *, after: str | None, limit: int) -> ModelPage:
    """The key's owner's models and the platform's, by handle, ``limit`` at a time."""
    require(key, "read")
    found = platform.store.models.list(readable_owners(key), after=after, limit=limit + 1)
    more = len(found) > limit
    found = found[:limit]
    return ModelPage(found, found[-1].handle if more else None)


def _check_auto_retrain(auto_retrain: AutoRetrain) -> None:
    if auto_retrain.quiet_seconds is not None:
        check_number_range("auto_retrain.quiet_seconds", auto_retrain.quiet_seconds, 0, QUIET_SECONDS_MAX)


def _check_fallback(task: str, labels: list[str] | None, fallback_label: str | None | Keep,
                    min_precision: float | None | Keep) -> None:
    """A fallback label is a classify label like any other; a closed label set must hold it."""
    if isinstance(fallback_label, str):
        if engine.get_task(task).target_shape != "label":
            raise InvalidField("fallback_label", f"fallback_label: only a classify model falls back; this one is {task}")
        check_labels([fallback_label])
        if labels is not None and fallback_label not in labels:
            raise InvalidField("fallback_label", "fallback_label: the model's closed label set must hold the "
                                                 f"fallback label {fallback_label!r}")
    if isinstance(min_precision, (int, float)):
        if isinstance(min_precision, bool):
            raise InvalidField("fallback_min_precision", "fallback_min_precision: must be a number from 0 to 1")
        check_number_range("fallback_min_precision", float(min_precision), 0, 1)


def _check_labels_fit(platform: Platform, task: str, labels: list[str] | None) -> None:
    if labels and not task_has_labels(task):
        raise InvalidRequest("a score model takes no labels")
    limit = platform.settings.max_labels_per_model
    if labels is not None and len(labels) > limit:
        raise LimitExceeded(f"a closed label set of {len(labels)} labels; a model may hold {limit}")


def create_model(
    platform: Platform,
    key: ApiKey,
    handle: str,
    task: str,
    *,
    description: str = "",
    labels: list[str] | None = None,
    auto_retrain: AutoRetrain = AutoRetrain(),
    fallback_label: str | None = None,
    fallback_min_precision: float | None = None,
) -> Model:
    """A new draft model; auto-retrain is on, after the platform's quiet period, unless stated.
    ``fallback_label`` (classify): samples of it are examples of what not to answer, and predict
    answers it when the model is not sure (see engine/fallback.py)."""
    if not HANDLE_RE.fullmatch(handle):
        raise InvalidField("handle", "handle: handle must be owner.name: owner [a-z0-9][a-z0-9-]{0,38}, "
                                     "name [a-z0-9][a-z0-9_-]{0,63}")
    if task not in TASKS:
        choices = ", ".join(repr(t) for t in TASKS[:-1]) + f" or {TASKS[-1]!r}"
        raise InvalidField("task", f"task: Input should be {choices}")
    check_max_length("description", description, DESCRIPTION_MAX)
    check_labels(labels)
    _check_auto_retrain(auto_retrain)
    _check_fallback(task, labels, fallback_label, fallback_min_precision)
    enter(platform, key, "write", handle)
    _check_labels_fit(platform, task, labels)
    enabled = True if auto_retrain.enabled is None else auto_retrain.enabled
    quiet = platform.settings.default_quiet_seconds if auto_retrain.quiet_seconds is None else auto_retrain.quiet_seconds
    return platform.store.models.create(handle, task, description=description, labels=labels, auto_retrain=enabled,
                                        quiet_seconds=quiet, fallback_label=fallback_label,
                                        fallback_min_precision=fallback_min_precision)


def update_model(
    platform: Platform,
    key: ApiKey,
    handle: str,
    *,
    description: str | None = None,
    labels: list[str] | None | Keep = Keep.KEEP,
    auto_retrain: AutoRetrain = AutoRetrain(),
    fallback_label: str | None | Keep = Keep.KEEP,
    fallback_min_precision: float | None | Keep = Keep.KEEP,
) -> Model:
    """Change what is given. A closed label set must still hold every label the stored samples
    use: the set is a promise about the samples, which uploads outside it are refused to keep.
    A fallback change takes effect with the next version (train, or the next retrain)."""
    enter(platform, key, "write", handle)
    model = get_model(platform, key, handle, "write")
    _check_auto_retrain(auto_retrain)
    changes: dict[str, Any] = {}
    if description is not None:
        check_max_length("description", description, DESCRIPTION_MAX)
        changes["description"] = description
    if labels is not Keep.KEEP:
        check_labels(labels)
        _check_labels_fit(platform, model.task, labels)
        if labels is not None:
            outside = platform.store.models.labels_in_use(handle) - set(labels)
            if outside:
                raise InvalidRequest(
                    "stored samples use labels outside the new set: " + ", ".join(sorted(outside)[:20]),
                    labels_outside=sorted(outside),
                )
        changes["labels"] = labels
    new_labels = model.labels if labels is Keep.KEEP else labels
    new_fallback = model.fallback_label if fallback_label is Keep.KEEP else fallback_label
    _check_fallback(model.task, new_labels, new_fallback, fallback_min_precision)
    if fallback_label is not Keep.KEEP:
        changes["fallback_label"] = fallback_label
    if fallback_min_precision is not Keep.KEEP:
        changes["fallback_min_precision"] = fallback_min_precision
    changes.update(auto_retrain.changes())
    return platform.store.models.update(handle, changes)


def delete_model(platform: Platform, key: ApiKey, handle: str) -> None:
    """The model with its samples, versions and runs, for every key, and every file it left:
    artifacts, n-gram count snapshots, stored idempotent answers (a run still in flight removes
    what it writes when it ends). Every API process's predictor cache forgets the model when
    the ``model.deleted`` event reaches it; this process's forgets it at once."""
    enter(platform, key, "write", handle)
    deleted = platform.store.models.delete(handle)
    platform.predictors.forget_model(deleted.model_id)
    platform.active_versions.forget(handle)
    remove_model_files(platform.store, platform.settings, deleted)


def labels_in_use(platform: Platform, key: ApiKey, handle: str) -> list[str]:
    """The labels the model's stored samples carry, sorted."""
    check_model_access(key, checked_handle(handle), "read")
    return sorted(platform.store.models.labels_in_use(handle))
