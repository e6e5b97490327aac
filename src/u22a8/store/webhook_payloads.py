"""The body of each webhook message, built in the transaction of the event it reports.

``{"type", "timestamp", "data"}``: ``data`` holds the object the event is about with the fields
the API shows for it (declared once in ``u22a8.resources``), as it stood when the event was
recorded, so a late retry still says what happened then. No sample texts: neither a run nor a
version shows any. A new event type that webhooks carry is one entry in ``_DATA``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..events import (
    Event,
    ModelDeleted,
    RunCanceled,
    RunEvent,
    RunFailed,
    RunQueued,
    RunStarted,
    RunSucceeded,
    VersionActivated,
    VersionKept,
    VersionPromoted,
)
from ..resources import public_values
from ._convert import run_record, version_record
from .tables import ModelRow, RunRow, VersionRow

__all__ = ["WEBHOOK_EVENT_TYPES", "PING", "event_body", "ping_body", "jsonable"]

PING = "ping"


def jsonable(value: Any) -> Any:
    """``value`` with datetimes as ISO 8601 strings, ready for a JSON column and the wire."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def _run_data(s: Session, event: Event) -> dict[str, Any]:
    assert isinstance(event, RunEvent)
    row = s.get(RunRow, event.run_id)
    if row is None:  # the run went with its model in the same transaction
        return {"id": event.run_id, "model": event.handle}
    return public_values(run_record(row, event.handle))


def _version_public(s: Session, model_id: int, number: int | None) -> dict[str, Any] | None:
    if number is None:
        return None
    row = s.scalar(select(VersionRow).where(VersionRow.model_id == model_id, VersionRow.number == number))
    if row is None:
        return None
    model = s.get(ModelRow, model_id)
    active = model is not None and model.active_version_id == row.id
    return public_values(version_record(row), active=active)


def _promoted_data(s: Session, event: Event) -> dict[str, Any]:
    assert isinstance(event, VersionPromoted)
    return {"model": event.handle, "run": event.run_id, "version": _version_public(s, event.model_id, event.version),
            "previous": event.previous, "decision": event.decision}


def _kept_data(s: Session, event: Event) -> dict[str, Any]:
    assert isinstance(event, VersionKept)
    return {"model": event.handle, "run": event.run_id,
            "version": _version_public(s, event.model_id, event.candidate),
            "active_version": event.version, "decision": event.decision}


def _activated_data(s: Session, event: Event) -> dict[str, Any]:
    assert isinstance(event, VersionActivated)
    return {"model": event.handle, "version": _version_public(s, event.model_id, event.version),
            "previous": event.previous}


def _deleted_data(s: Session, event: Event) -> dict[str, Any]:
    return {"model": event.handle, "owner": event.owner}


# Event types webhooks carry -> the data of their body. Progress and cancel requests are not
# sent (a run's event stream has them), nor samples.changed.
_DATA: dict[str, Callable[[Session, Event], dict[str, Any]]] = {
    RunQueued.type: _run_data,
    RunStarted.type: _run_data,
    RunSucceeded.type: _run_data,
    RunFailed.type: _run_data,
    RunCanceled.type: _run_data,
    VersionPromoted.type: _promoted_data,
    VersionKept.type: _kept_data,
    VersionActivated.type: _activated_data,
    ModelDeleted.type: _deleted_data,
}

WEBHOOK_EVENT_TYPES: tuple[str, ...] = (*_DATA, PING)


def event_body(s: Session, event: Event) -> dict[str, Any] | None:
    """The message for ``event``, or None when webhooks do not carry its type."""
    build = _DATA.get(event.type)
    if build is None:
        return None
    return {"type": event.type, "timestamp": event.at.isoformat(), "data": jsonable(build(s, event))}


def ping_body(endpoint_id: str, at: datetime) -> dict[str, Any]:
    return {"type": PING, "timestamp": at.isoformat(), "data": {"webhook": endpoint_id}}
