"""typed events in one outbox (events) instead of run_events

Every run's recorded events move over with their ids, so a client resuming a stream with
``Last-Event-ID`` across the upgrade gets exactly what it missed.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_BATCH = 5000


def _events_table() -> sa.Table:
    return sa.table(
        "events",
        sa.column("id", sa.Integer()), sa.column("type", sa.String()), sa.column("owner", sa.String()),
        sa.column("model_id", sa.Integer()), sa.column("handle", sa.String()), sa.column("run_id", sa.String()),
        sa.column("payload", sa.JSON()), sa.column("created_at", sa.DateTime(timezone=True)),
    )


def _run_events_table() -> sa.Table:
    return sa.table(
        "run_events",
        sa.column("id", sa.Integer()), sa.column("run_id", sa.String()), sa.column("at", sa.DateTime(timezone=True)),
        sa.column("type", sa.String()), sa.column("data", sa.JSON()),
    )


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=110), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("events") as batch_op:
        batch_op.create_index("ix_events_run_id", ["run_id", "id"], unique=False)
        batch_op.create_index("ix_events_created_at", ["created_at"], unique=False)
    _copy_run_events()
    op.drop_table("run_events")


def _copy_run_events() -> None:
    conn = op.get_bind()
    old, new = _run_events_table(), _events_table()
    runs = sa.table("runs", sa.column("id", sa.String()), sa.column("model_id", sa.Integer()))
    models = sa.table("models", sa.column("id", sa.Integer()), sa.column("owner", sa.String()),
                      sa.column("handle", sa.String()))
    q = (sa.select(old.c.id, old.c.run_id, old.c.at, old.c.type, old.c.data, models.c.id, models.c.owner,
                   models.c.handle)
         .select_from(old.join(runs, runs.c.id == old.c.run_id).join(models, models.c.id == runs.c.model_id))
         .order_by(old.c.id))
    batch: list[dict[str, Any]] = []
    for event_id, run_id, at, type_, data, model_id, owner, handle in conn.execute(q):
        batch.append({"id": event_id, "type": f"run.{type_}", "owner": owner, "model_id": model_id, "handle": handle,
                      "run_id": run_id, "payload": {"details": data or {}}, "created_at": at})
        if len(batch) >= _BATCH:
            conn.execute(new.insert(), batch)
            batch = []
    if batch:
        conn.execute(new.insert(), batch)
    if conn.dialect.name == "postgresql":
        # Ids were given explicitly: the sequence must continue after the largest.
        conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('events', 'id'), "
                             "COALESCE((SELECT MAX(id) FROM events), 0) + 1, false)"))


def downgrade() -> None:
    op.create_table(
        "run_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("run_events") as batch_op:
        batch_op.create_index(batch_op.f("ix_run_events_run_id"), ["run_id"], unique=False)
    conn = op.get_bind()
    new, old = _events_table(), _run_events_table()
    runs = sa.table("runs", sa.column("id", sa.String()))
    q = (sa.select(new.c.id, new.c.run_id, new.c.created_at, new.c.type, new.c.payload)
         .where(new.c.type.like("run.%"), new.c.run_id.in_(sa.select(runs.c.id))).order_by(new.c.id))
    rows = [{"id": i, "run_id": r, "at": at, "type": t.split(".", 1)[1], "data": (p or {}).get("details", {})}
            for i, r, at, t, p in conn.execute(q)]
    if rows:
        conn.execute(old.insert(), rows)
    op.drop_table("events")
