"""Typed events: what happened to a tenant's model, its runs and its versions.

Every state change the store makes records one of these in the outbox (the ``events`` table)
in the same transaction; one dispatcher per process reads them back in order of id and hands
them to its subscribers (a run's SSE stream, the executor's wake-ups, later webhooks).

    Event                      owner, model (id, handle), at, id once recorded
    ├── RunEvent               + run_id, details (what the run's event stream shows as data)
    │   ├── RunQueued          run.queued             queued, or re-queued after a lost worker
    │   ├── RunStarted         run.started            claimed by a worker
    │   ├── RunProgress        run.progress           a snapshot, after a trial or a phase
    │   ├── RunCancelRequested run.cancel_requested   a running run was asked to stop
    │   ├── RunSucceeded       run.succeeded          } final: the stream
    │   ├── RunFailed          run.failed             } of a run ends
    │   └── RunCanceled        run.canceled           } with one of these
    ├── VersionPromoted        version.promoted       a run's new version serves
    ├── VersionKept            version.kept           a run ended without replacing the active version
    ├── VersionActivated       version.activated      a rollback or a roll forward
    ├── ModelDeleted           model.deleted
    └── SamplesChanged         samples.changed        starts a ready model's quiet period

Each class has a stable ``type`` string; :func:`event_to_json` and :func:`event_from_json` turn
any event into JSON and back from its fields alone, so a new event is one class here.
"""

from __future__ import annotations

import dataclasses
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any, ClassVar

__all__ = [
    "Event",
    "RunEvent",
    "RunQueued",
    "RunStarted",
    "RunProgress",
    "RunCancelRequested",
    "RunSucceeded",
    "RunFailed",
    "RunCanceled",
    "VersionPromoted",
    "VersionKept",
    "VersionActivated",
    "ModelDeleted",
    "SamplesChanged",
    "EVENT_TYPES",
    "RUN_FINAL_EVENTS",
    "event_to_json",
    "event_from_json",
]

# type string -> class; filled as the classes below are declared.
EVENT_TYPES: dict[str, type[Event]] = {}


@dataclass(frozen=True, kw_only=True)
class Event:
    """What every event says: whose model, which one, when; ``id`` is its place in the outbox."""

    type: ClassVar[str]
    owner: str
    model_id: int
    handle: str
    at: datetime
    id: int | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        name = cls.__dict__.get("type")
        if isinstance(name, str):
            if name in EVENT_TYPES:
                raise ValueError(f"event type {name!r} is declared twice")
            EVENT_TYPES[name] = cls


@dataclass(frozen=True, kw_only=True)
class RunEvent(Event):
    """Something that happened to one run. ``details`` are the data its event stream shows."""

    run_id: str
    details: Mapping[str, Any] = field(default_factory=dict)
    final: ClassVar[bool] = False

    @property
    def stream_name(self) -> str:
        """The name the run's event stream gives it: the type without ``run.``."""
        return self.type.split(".", 1)[1]


@dataclass(frozen=True, kw_only=True)
class RunQueued(RunEvent):
    """Queued (details: kind, and effort for a search), or re-queued after its worker was lost
    (details: reason)."""

    type: ClassVar[str] = "run.queued"


@dataclass(frozen=True, kw_only=True)
class RunStarted(RunEvent):
    """Claimed by a worker (details: attempt, worker)."""

    type: ClassVar[str] = "run.started"


@dataclass(frozen=True, kw_only=True)
class RunProgress(RunEvent):
    """The run's snapshot (details: trials_planned, trials_done, best_score, eta_seconds, phase,
    and the trial just finished, if any)."""

    type: ClassVar[str] = "run.progress"


@dataclass(frozen=True, kw_only=True)
class RunCancelRequested(RunEvent):
    """A running run was asked to stop; it does at its next trial boundary."""

    type: ClassVar[str] = "run.cancel_requested"


@dataclass(frozen=True, kw_only=True)
class RunSucceeded(RunEvent):
    """Ended well (details: error, decision, version)."""

    type: ClassVar[str] = "run.succeeded"
    final: ClassVar[bool] = True


@dataclass(frozen=True, kw_only=True)
class RunFailed(RunEvent):
    """Ended with an error (details: error, decision, version; or reason when its worker was lost)."""

    type: ClassVar[str] = "run.failed"
    final: ClassVar[bool] = True


@dataclass(frozen=True, kw_only=True)
class RunCanceled(RunEvent):
    """Ended by a cancel request (details: error, and decision and version when it was running;
    or reason when its worker was lost)."""

    type: ClassVar[str] = "run.canceled"
    final: ClassVar[bool] = True


RUN_FINAL_EVENTS: tuple[type[RunEvent], ...] = (RunSucceeded, RunFailed, RunCanceled)


@dataclass(frozen=True, kw_only=True)
class VersionPromoted(Event):
    """A run's new version became the one that serves; ``previous`` was serving before it."""

    type: ClassVar[str] = "version.promoted"
    run_id: str
    version: int
    previous: int | None
    decision: str | None


@dataclass(frozen=True, kw_only=True)
class VersionKept(Event):
    """A run succeeded without replacing the active ``version`` (a retrain that lost to it);
    ``candidate`` is the version it recorded, if any, and ``decision`` says why."""

    type: ClassVar[str] = "version.kept"
    run_id: str
    version: int | None
    candidate: int | None
    decision: str | None


@dataclass(frozen=True, kw_only=True)
class VersionActivated(Event):
    """Someone made ``version`` the one that serves (a rollback or a roll forward)."""

    type: ClassVar[str] = "version.activated"
    version: int
    previous: int | None


@dataclass(frozen=True, kw_only=True)
class ModelDeleted(Event):
    """The model, its samples, runs and versions are gone."""

    type: ClassVar[str] = "model.deleted"


@dataclass(frozen=True, kw_only=True)
class SamplesChanged(Event):
    """Samples were added, changed or deleted; a ready model with auto-retrain on is due for a
    retrain at ``retrain_due_at`` (None when no retrain follows)."""

    type: ClassVar[str] = "samples.changed"
    retrain_due_at: datetime | None


def event_to_json(event: Event) -> dict[str, Any]:
    """Every field of an event, plus its ``type``, as JSON-ready values (datetimes in ISO 8601)."""
    out: dict[str, Any] = {"type": event.type}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, Mapping):
            value = dict(value)
        out[f.name] = value
    return out


def event_from_json(data: Mapping[str, Any]) -> Event:
    """The event :func:`event_to_json` made (datetimes may come as ISO strings or as datetimes).

    Unknown keys are ignored and missing optional fields take their defaults, so stored events
    stay readable when a class gains a field.
    """
    cls = EVENT_TYPES.get(str(data.get("type")))
    if cls is None:
        raise ValueError(f"unknown event type {data.get('type')!r}")
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name not in data:
            continue
        value = data[f.name]
        if f.name in _datetime_fields(cls) and isinstance(value, str):
            value = datetime.fromisoformat(value)
        values[f.name] = value
    return cls(**values)


@cache
def _datetime_fields(cls: type[Event]) -> frozenset[str]:
    hints = typing.get_type_hints(cls)
    return frozenset(name for name, hint in hints.items()
                     if hint is datetime or datetime in typing.get_args(hint))
