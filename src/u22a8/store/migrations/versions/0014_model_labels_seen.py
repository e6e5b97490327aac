"""each model's labels kept on its row as an upper bound (issue 13)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


# No backfill: NULL means "not known yet", and the next upload that brings labels counts them
# exactly and fills it in (store/samples.py). Plain ALTER TABLE on both backends, as in 0013.


def upgrade() -> None:
    op.add_column("models", sa.Column("labels_seen", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("models", "labels_seen")
