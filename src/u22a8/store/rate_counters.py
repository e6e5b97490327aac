"""Request counters in the platform database, behind the `limits` library's storage interface.

Used when the API runs as several processes without Redis: every process counts in one table.
A counter is one row per key, class and limit (the window is not in the row's key); ``incr`` is
one upsert, so concurrent processes never lose a hit, and a row whose window has passed starts
over on its next hit.
"""

from __future__ import annotations

import time

from limits.storage import Storage
from sqlalchemy import case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from .database import Database
from .tables import RateCounterRow

__all__ = ["DatabaseCounterStorage"]


class DatabaseCounterStorage(Storage):
    """Fixed-window counters in the ``rate_counters`` table (the fixed-window strategy's interface)."""

    STORAGE_SCHEME = ["u22a8-database"]

    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db
        insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
        self._insert = insert

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        table = RateCounterRow.__table__
        stmt = self._insert(table).values(key=key, count=amount, expires_at=now + expiry)
        lapsed = table.c.expires_at <= now
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"count": case((lapsed, amount), else_=table.c.count + amount),
                  "expires_at": case((lapsed, now + expiry), else_=table.c.expires_at)},
        ).returning(table.c.count)
        with self._db.session() as s:
            return int(s.execute(stmt).scalar_one())

    def get(self, key: str) -> int:
        with self._db.session(write=False) as s:
            row = s.get(RateCounterRow, key)
            return row.count if row is not None and row.expires_at > time.time() else 0

    def get_expiry(self, key: str) -> float:
        with self._db.session(write=False) as s:
            found = s.scalar(select(RateCounterRow.expires_at).where(RateCounterRow.key == key))
        return float(found) if found is not None else time.time()

    def check(self) -> bool:
        return self._db.ping()

    def reset(self) -> int | None:
        with self._db.session() as s:
            return s.execute(delete(RateCounterRow)).rowcount  # type: ignore[attr-defined, no-any-return]

    def clear(self, key: str) -> None:
        with self._db.session() as s:
            s.execute(delete(RateCounterRow).where(RateCounterRow.key == key))
