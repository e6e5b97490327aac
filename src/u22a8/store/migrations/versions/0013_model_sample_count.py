"""each model's sample count kept on its row (issue 13)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both backends (SQLite has had ADD and DROP COLUMN since 3.35): a batch
# rebuild of the models table would cascade into deleting every sample (see 0006).


def upgrade() -> None:
    op.add_column("models", sa.Column("sample_count", sa.Integer(), nullable=False, server_default="0"))
    op.execute("UPDATE models SET sample_count = (SELECT count(*) FROM samples WHERE samples.model_id = models.id)")


def downgrade() -> None:
    op.drop_column("models", "sample_count")
