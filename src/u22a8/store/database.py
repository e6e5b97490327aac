"""Connection handling: one engine per URL, one session scope, migrations on start.

SQLite and PostgreSQL share this code; SQLite-specific setup stays in ``_configure_sqlite``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DataError, DBAPIError, OperationalError, StatementError

from ..errors import InvalidRequest
from sqlalchemy.orm import Session, sessionmaker

from ._private import private_dir, private_file

__all__ = ["Database", "StoreUnavailable", "utcnow"]

_MIGRATIONS = Path(__file__).parent / "migrations"


class StoreUnavailable(RuntimeError):
    """The database could not be reached or stayed locked."""


def _refused_value(exc: BaseException) -> bool:
    """Whether the database (or its driver) refused a value rather than failed."""
    if isinstance(exc, (DataError, OverflowError)):
        return True
    return isinstance(exc, StatementError) and isinstance(exc.orig, (OverflowError, ValueError))


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin, so that every write
        # transaction can start with BEGIN IMMEDIATE: read-then-write races (50 concurrent train
        # calls) then serialize on the write lock instead of failing at commit.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        # Up to 64 MiB of pages per connection (SQLite's default is 2 MiB), taken only as pages
        # are read: an upload inserts into two indexes keyed by random hashes, and with the
        # default the pages it changes no longer fit once a model holds some 100k samples, so
        # they are written out and read back within the transaction.
        cur.execute("PRAGMA cache_size=-65536")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("u22a8_write", True)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """Owns the SQLAlchemy engine and hands out sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:" and not path.startswith("file:"):
                # Created owner-only before SQLite opens it; its WAL files take the same mode.
                private_dir(Path(path).parent)
                private_file(Path(path))
            self.engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
            _configure_sqlite(self.engine)
        else:
            # pre_ping: a restarted PostgreSQL is reconnected to without restarting us.
            self.engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @property
    def session_factory(self) -> sessionmaker[Session]:
        """Where the outbox hooks its writes in (store/events.py)."""
        return self._sessions

    @contextlib.contextmanager
    def session(self, *, write: bool = True) -> Iterator[Session]:
        """Commit on success, roll back on error; driver errors become StoreUnavailable."""
        session = self._sessions()
        if self.is_sqlite:
            # Read-only work takes a plain BEGIN so readers never wait for the write lock.
            session.connection(execution_options={"u22a8_write": write})
        try:
            yield session
            session.commit()
        except OperationalError as exc:
            session.rollback()
            raise StoreUnavailable(str(exc.orig)) from exc
        except (DataError, StatementError, OverflowError) as exc:
            session.rollback()
            if not _refused_value(exc):
                raise
            # A value no backend column can hold (a NUL byte in text on PostgreSQL, an integer past
            # the column's range) came from the request: it is bad input, not a server fault.
            raise InvalidRequest("a value in the request cannot be stored or looked up: "
                                 "it holds a NUL byte or a number out of range") from exc
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def upgrade(self) -> None:
        """Bring the schema to the newest migration (idempotent; safe from several processes)."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        cfg.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        cfg.attributes["engine"] = self.engine
        for attempt in range(5):
            try:
                command.upgrade(cfg, "head")
                return
            except DBAPIError:
                # Two processes migrating at once: the loser retries and finds nothing to do.
                if attempt == 4:
                    raise
                time.sleep(0.5 * (attempt + 1))

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False

    def dispose(self) -> None:
        self.engine.dispose()
