"""ids never reused; one running run per model; a run remembers the version it started from

- SQLite: ``models``, ``samples`` and ``versions`` are rebuilt with AUTOINCREMENT, so the id of
  a deleted newest row is never given to the next one (PostgreSQL sequences never reuse ids).
  The model id sequence also starts after every model id the outbox still names, so a model
  deleted before this upgrade does not lend its id either.
- ``runs.started_from_version_id``: the active version when the run was claimed; ``finish``
  promotes only if it still serves.
- ``uq_runs_one_running``: at most one running run per model, enforced by the database. Should
  a model have several running runs already (the race this index closes), all but the earliest
  are failed with the reason.

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-05
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None

_REBUILT = ("models", "samples", "versions")
_DUPLICATE_RUNNING = "stopped by the upgrade: another run of this model was running at the same time"


def _sqlite_foreign_keys(conn: sa.Connection, on: bool) -> None:
    """Switch SQLite's foreign keys; the pragma only takes effect between transactions.

    Off while a referenced table is rebuilt: its DROP would otherwise cascade to every sample,
    run and version of every model.
    """
    raw: Any = conn.connection.dbapi_connection
    if raw.in_transaction:
        raw.execute("COMMIT")
    raw.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
    raw.execute("BEGIN IMMEDIATE")


def _rebuild_with_autoincrement() -> None:
    conn = op.get_bind()
    _sqlite_foreign_keys(conn, False)
    try:
        for name in _REBUILT:
            with op.batch_alter_table(name, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
                pass
        largest = conn.execute(sa.text(
            "SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM models UNION ALL SELECT MAX(model_id) FROM events)"
        )).scalar()
        if largest:
            conn.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'models'"))
            conn.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('models', :seq)"), {"seq": largest})
        broken = conn.execute(sa.text("PRAGMA foreign_key_check")).fetchall()
        if broken:
            raise RuntimeError(f"foreign keys broken by the rebuild: {broken[:5]}")
    finally:
        _sqlite_foreign_keys(conn, True)


def _fail_duplicate_running_runs() -> None:
    conn = op.get_bind()
    runs = sa.table("runs", sa.column("id", sa.String()), sa.column("model_id", sa.Integer()),
                    sa.column("state", sa.String()), sa.column("started_at", sa.DateTime(timezone=True)),
                    sa.column("finished_at", sa.DateTime(timezone=True)), sa.column("error", sa.Text()),
                    sa.column("lease_owner", sa.String()), sa.column("lease_expires_at", sa.DateTime(timezone=True)))
    rows = conn.execute(sa.select(runs.c.id, runs.c.model_id).where(runs.c.state == "running")
                        .order_by(runs.c.model_id, runs.c.started_at, runs.c.id)).all()
    seen: set[int] = set()
    extra = []
    for run_id, model_id in rows:
        if model_id in seen:
            extra.append(run_id)
        seen.add(model_id)
    if extra:
        conn.execute(runs.update().where(runs.c.id.in_(extra)).values(
            state="failed", error=_DUPLICATE_RUNNING, finished_at=datetime.now(timezone.utc),
            lease_owner=None, lease_expires_at=None))


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_with_autoincrement()
    _fail_duplicate_running_runs()
    with op.batch_alter_table("runs") as batch_op:
        batch_op.add_column(sa.Column("started_from_version_id", sa.Integer(), nullable=True))
        batch_op.create_index("uq_runs_one_running", ["model_id"], unique=True,
                              sqlite_where=sa.text("state = 'running'"),
                              postgresql_where=sa.text("state = 'running'"))


def downgrade() -> None:
    # AUTOINCREMENT stays: ids that are never reused break nothing an older version expects.
    with op.batch_alter_table("runs") as batch_op:
        batch_op.drop_index("uq_runs_one_running", sqlite_where=sa.text("state = 'running'"),
                            postgresql_where=sa.text("state = 'running'"))
        batch_op.drop_column("started_from_version_id")
