"""scorecard changes and calibration: assessors correct their scorecards until selection; admins
resolve disagreements between assessors (third assessor or moderation)

Revision ID: 5c0a1b7e9f21
Revises: 5b8e0f2c1d94
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5c0a1b7e9f21"
down_revision: str | None = "5b8e0f2c1d94"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "scorecards", sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True), schema="assessment"
    )
    op.add_column(
        "scorecards",
        sa.Column("changes", sa.Integer(), nullable=False, server_default="0"),
        schema="assessment",
    )
    op.alter_column("scorecards", "changes", server_default=None, schema="assessment")
    op.create_table(
        "calibrations",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("cohort_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("third_assignment_id", sa.Uuid(), nullable=True),
        sa.Column("moderated_scores", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("moderated_score", sa.Float(), nullable=True),
        sa.Column("moderation_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("resolved_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("application_id", name=op.f("pk_calibrations")),
        schema="assessment",
    )
    op.create_index(
        op.f("ix_assessment_calibrations_cohort_id"), "calibrations", ["cohort_id"], unique=False, schema="assessment"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_assessment_calibrations_cohort_id"), table_name="calibrations", schema="assessment")
    op.drop_table("calibrations", schema="assessment")
    op.drop_column("scorecards", "changes", schema="assessment")
    op.drop_column("scorecards", "changed_at", schema="assessment")
