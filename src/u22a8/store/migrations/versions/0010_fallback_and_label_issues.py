"""out-of-scope fallback settings, label issues with each version, dismissed label issues (issue 12)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("models") as batch_op:
        batch_op.add_column(sa.Column("fallback_label", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("fallback_min_precision", sa.Float(), nullable=True))
    with op.batch_alter_table("versions") as batch_op:
        batch_op.add_column(sa.Column("label_issues", sa.JSON(), nullable=True))
    op.create_table(
        "label_issue_dismissals",
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("sample_id", sa.String(length=200), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["model_id"], ["models.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("model_id", "sample_id"),
    )


def downgrade() -> None:
    op.drop_table("label_issue_dismissals")
    with op.batch_alter_table("versions") as batch_op:
        batch_op.drop_column("label_issues")
    with op.batch_alter_table("models") as batch_op:
        batch_op.drop_column("fallback_min_precision")
        batch_op.drop_column("fallback_label")
