"""The outbox: typed events written in the transaction of the state change they report.

A repository calls :func:`record` inside its session; the rows are inserted just before that
session commits, so a transaction that rolls back leaves no event, and one that commits leaves
each of its events exactly once.

Readers follow the outbox by id, so ids must become visible in increasing order. SQLite
serializes writers already (``BEGIN IMMEDIATE``); on PostgreSQL a transaction-scoped advisory
lock taken right before the insert does the same for the short moment from insert to commit,
so no reader's cursor can pass an id whose transaction has not committed yet.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, event, func, select, text
from sqlalchemy.orm import Session

from ..events import EVENT_TYPES, Event, ModelDeleted, RunEvent, SamplesChanged, event_from_json, event_to_json
from .database import Database
from .tables import EventRow, ModelRow

__all__ = ["EventRepository", "OutboxHook", "record"]

# Called in the writing transaction with its events (ids assigned), before it commits.
OutboxHook = Callable[[Session, Sequence[Event]], None]

_PENDING = "u22a8_pending_events"
_WROTE = "u22a8_wrote_events"
# Any constant works, as long as every process uses the same one.
_OUTBOX_LOCK = 0x75_22_A8_E0
_COLUMNS = ("type", "owner", "model_id", "handle", "run_id", "at", "id")
_RUN_TYPES = tuple(name for name, cls in EVENT_TYPES.items() if issubclass(cls, RunEvent))
# Events that mean nothing once acted on, and may be pruned whatever their model.
_TRANSIENT_TYPES = (SamplesChanged.type, ModelDeleted.type)


def record(s: Session, event: Event) -> None:
    """Add ``event`` to the outbox in ``s``'s transaction (inserted when it commits)."""
    s.info.setdefault(_PENDING, []).append(event)


def _to_row(event: Event) -> EventRow:
    data = event_to_json(event)
    payload = {k: v for k, v in data.items() if k not in _COLUMNS}
    return EventRow(type=event.type, owner=event.owner, model_id=event.model_id, handle=event.handle,
                    run_id=getattr(event, "run_id", None), payload=payload, created_at=event.at)


def _from_row(row: EventRow) -> Event:
    return event_from_json({**row.payload, "type": row.type, "owner": row.owner, "model_id": row.model_id,
                            "handle": row.handle, "run_id": row.run_id, "at": row.created_at, "id": row.id})


class EventRepository:
    """Reads the outbox, prunes it, and tells listeners in this process when it was written to."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._listeners: list[Callable[[], None]] = []
        self._hooks: list[OutboxHook] = []
        self._lock = threading.Lock()
        event.listen(db.session_factory, "before_commit", self._insert_pending)
        event.listen(db.session_factory, "after_commit", self._tell_listeners)

    def on_written(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (quickly, without arguments) after each commit that wrote events here."""
        with self._lock:
            self._listeners.append(listener)

    def on_insert(self, hook: OutboxHook) -> None:
        """Call ``hook`` with each transaction's events as they are inserted, inside that
        transaction: what it writes commits or rolls back with them (webhook deliveries do this)."""
        with self._lock:
            self._hooks.append(hook)

    def last_id(self) -> int:
        with self._db.session(write=False) as s:
            return int(s.scalar(select(func.max(EventRow.id))) or 0)

    def after(self, cursor: int, *, limit: int = 500) -> list[Event]:
        """Events with an id above ``cursor``, oldest first."""
        with self._db.session(write=False) as s:
            q = select(EventRow).where(EventRow.id > cursor).order_by(EventRow.id).limit(limit)
            return [_from_row(r) for r in s.scalars(q)]

    def for_run(self, run_id: str, after: int = 0) -> list[RunEvent]:
        """One run's events (``run.*`` only) with an id above ``after``, oldest first."""
        with self._db.session(write=False) as s:
            q = (select(EventRow)
                 .where(EventRow.run_id == run_id, EventRow.type.in_(_RUN_TYPES), EventRow.id > after)
                 .order_by(EventRow.id))
            return [e for e in map(_from_row, s.scalars(q)) if isinstance(e, RunEvent)]

    def prune(self, before: datetime) -> int:
        """Delete events older than ``before`` that nobody needs to replay: transient ones, and
        those of models that no longer exist. A live model's run events are its runs' history."""
        with self._db.session() as s:
            gone = ~EventRow.model_id.in_(select(ModelRow.id))
            result = s.execute(delete(EventRow).where(
                EventRow.created_at < before, EventRow.type.in_(_TRANSIENT_TYPES) | gone))
            return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def _insert_pending(self, s: Session) -> None:
        pending: Iterable[Event] = s.info.pop(_PENDING, ())
        pending_list = list(pending)
        rows = [_to_row(e) for e in pending_list]
        if not rows:
            return
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _OUTBOX_LOCK})
        s.add_all(rows)
        s.info[_WROTE] = True
        with self._lock:
            hooks = list(self._hooks)
        if hooks:
            s.flush()  # the hooks see each event with its outbox id
            recorded = [dataclasses.replace(e, id=row.id) for e, row in zip(pending_list, rows)]
            for hook in hooks:
                hook(s, recorded)

    def _tell_listeners(self, s: Session) -> None:
        if not s.info.pop(_WROTE, False):
            return
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            listener()
