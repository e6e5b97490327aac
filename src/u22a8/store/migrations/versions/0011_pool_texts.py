"""unlabeled texts beside a model: the pool that suggestions are picked from (issue 12, part 3)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pool_texts",
        sa.Column("pk", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("pool_id", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pk"),
        sa.UniqueConstraint("model_id", "pool_id", name="uq_pool_texts_model_pool_id"),
        sa.UniqueConstraint("model_id", "text_hash", name="uq_pool_texts_model_text_hash"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("pool_texts")
