"""Model rules shared by the ``/v1`` routes and the console: create, change settings, export.

Callers check the key's access first (they know how it was presented); these functions decide
what a request may do and raise domain errors, which the API renders as problem+json and the
console as a message on the page.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from ..engine.bundle import write_bundle
from ..errors import InvalidRequest
from ..store import Model, Store
from .stored_predictors import portable_artifact

__all__ = ["AutoRetrain", "Keep", "ExportFile", "create_model", "update_model", "export_version"]


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
class ExportFile:
    """A version as one self-contained file (``u22a8.load_export`` reads it offline)."""

    filename: str
    data: bytes


def _check_labels_fit(task: str, labels: list[str] | None) -> None:
    if labels and task == "score":
        raise InvalidRequest("a score model takes no labels")


def create_model(
    store: Store,
    handle: str,
    task: str,
    *,
    description: str = "",
    labels: list[str] | None = None,
    auto_retrain: AutoRetrain = AutoRetrain(),
    default_quiet_seconds: float,
) -> Model:
    """A new draft model; auto-retrain is on, after the platform's quiet period, unless stated."""
    _check_labels_fit(task, labels)
    enabled = True if auto_retrain.enabled is None else auto_retrain.enabled
    quiet = default_quiet_seconds if auto_retrain.quiet_seconds is None else auto_retrain.quiet_seconds
    return store.models.create(handle, task, description=description, labels=labels, auto_retrain=enabled,
                               quiet_seconds=quiet)


def update_model(
    store: Store,
    handle: str,
    *,
    description: str | None = None,
    labels: list[str] | None | Keep = Keep.KEEP,
    auto_retrain: AutoRetrain = AutoRetrain(),
) -> Model:
    """Change what is given. A closed label set must still hold every label the stored samples
    use: the set is a promise about the samples, which uploads outside it are refused to keep."""
    model = store.models.get(handle)
    changes: dict[str, Any] = {}
    if description is not None:
        changes["description"] = description
    if labels is not Keep.KEEP:
        _check_labels_fit(model.task, labels)
        if labels is not None:
            outside = store.models.labels_in_use(handle) - set(labels)
            if outside:
                raise InvalidRequest(
                    "stored samples use labels outside the new set: " + ", ".join(sorted(outside)[:20]),
                    labels_outside=sorted(outside),
                )
        changes["labels"] = labels
    changes.update(auto_retrain.changes())
    return store.models.update(handle, changes)


def export_version(store: Store, handle: str, number: int) -> ExportFile:
    """The version's artifact (checksum verified) with a manifest of what it is and how it scored."""
    model = store.models.get(handle)
    v = store.versions.get(handle, number)
    artifact, sha256 = portable_artifact(store, v)
    manifest = {"handle": handle, "version": v.number, "task": model.task, "labels": model.labels,
                "params": v.params, "metrics": v.metrics, "created_at": v.created_at.isoformat()}
    return ExportFile(f"{handle}-v{v.number}.u22a8.zip", write_bundle(artifact, sha256, manifest))
