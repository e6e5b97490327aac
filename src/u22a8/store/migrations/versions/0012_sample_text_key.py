"""samples found and drawn by an 8-byte key of the text hash instead of the 64-character hash (issue 13)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_BATCH = 10_000
# SQLite rebuilds the table to make the column NOT NULL: it must keep AUTOINCREMENT (0006), and
# its sequence, so that the ids of deleted samples are still never handed out again.
_KEEP = {"sqlite_autoincrement": True}


def _key(text_hash: str) -> int:
    # Kept here rather than imported: a migration states the rule of the day it was written.
    return int(text_hash[:16], 16) - (1 << 63)


@contextmanager
def _sequence_kept() -> Iterator[None]:
    """The samples' AUTOINCREMENT sequence as it was before SQLite rebuilt the table."""
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        yield
        return
    read = sa.text("SELECT seq FROM sqlite_sequence WHERE name = 'samples'")
    seq = conn.execute(read).scalar()
    yield
    if seq:
        now = conn.execute(read).scalar() or 0
        conn.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'samples'"))
        conn.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('samples', :seq)"), {"seq": max(seq, now)})


def upgrade() -> None:
    with _sequence_kept():
        _upgrade()


def _upgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table("samples", table_kwargs=_KEEP) as batch_op:
        batch_op.add_column(sa.Column("text_key", sa.BigInteger(), nullable=True))
    samples = sa.table("samples", sa.column("pk", sa.Integer()), sa.column("text_hash", sa.String()),
                       sa.column("text_key", sa.BigInteger()))
    last = 0
    while True:
        rows = conn.execute(sa.select(samples.c.pk, samples.c.text_hash).where(samples.c.pk > last)
                            .order_by(samples.c.pk).limit(_BATCH)).all()
        if not rows:
            break
        conn.execute(samples.update().where(samples.c.pk == sa.bindparam("b_pk")).values(text_key=sa.bindparam("b_key")),
                     [{"b_pk": pk, "b_key": _key(h)} for pk, h in rows])
        last = rows[-1][0]
    with op.batch_alter_table("samples", table_kwargs=_KEEP) as batch_op:
        batch_op.alter_column("text_key", existing_type=sa.BigInteger(), nullable=False)
        batch_op.drop_index("ix_samples_model_text_hash")
        batch_op.create_index("ix_samples_model_text_key", ["model_id", "text_key"], unique=False)


def downgrade() -> None:
    with _sequence_kept(), op.batch_alter_table("samples", table_kwargs=_KEEP) as batch_op:
        batch_op.drop_index("ix_samples_model_text_key")
        batch_op.create_index("ix_samples_model_text_hash", ["model_id", "text_hash"], unique=False)
        batch_op.drop_column("text_key")
