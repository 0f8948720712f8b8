"""cohort lifecycle: cohorts as applications scheduled them, and each candidacy's training and hire

Revision ID: 5b8e0f2c1d94
Revises: d3a3cdef1652
Create Date: 2026-12-04 17:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5b8e0f2c1d94"
down_revision: str | None = "d3a3cdef1652"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduled_cohorts",
        sa.Column("cohort_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("programme", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("video_required", sa.Boolean(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("cohort_id"),
        schema="assessment",
    )
    for column in ("training_enrolled_at", "training_completed_at", "hired_at"):
        op.add_column(
            "candidacies",
            sa.Column(column, sa.DateTime(timezone=True), nullable=True),
            schema="assessment",
        )


def downgrade() -> None:
    for column in ("hired_at", "training_completed_at", "training_enrolled_at"):
        op.drop_column("candidacies", column, schema="assessment")
    op.drop_table("scheduled_cohorts", schema="assessment")
