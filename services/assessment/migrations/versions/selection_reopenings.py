"""selection reopenings: a confirmed selection an admin reopened within its window, and why

Revision ID: a7e2c4b9d1f0
Revises: 5c0a1b7e9f21
Create Date: 2026-12-04 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "a7e2c4b9d1f0"
down_revision: str | None = "5c0a1b7e9f21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "selection_reopenings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("cohort_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("config_version", sa.Integer(), nullable=False),
        sa.Column("closed_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reopened_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("decisions_taken_back", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_selection_reopenings")),
        schema="assessment",
    )
    op.create_index(
        op.f("ix_assessment_selection_reopenings_cohort_id"),
        "selection_reopenings",
        ["cohort_id"],
        unique=False,
        schema="assessment",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_assessment_selection_reopenings_cohort_id"),
        table_name="selection_reopenings",
        schema="assessment",
    )
    op.drop_table("selection_reopenings", schema="assessment")
