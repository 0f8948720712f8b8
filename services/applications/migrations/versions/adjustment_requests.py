"""adjustment requests: reasonable adjustments a candidate asks for, staff's decisions, and the
Disability Confident opt-in (a guaranteed second stage)

Revision ID: adjustment_requests_5a
Revises: second_stage_drafts_4e
Create Date: 2026-12-05 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "adjustment_requests_5a"
down_revision: str | None = "second_stage_drafts_4e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "applications",
        sa.Column("guaranteed_second_stage", sa.Boolean(), server_default="false", nullable=False),
        schema="applications",
    )
    op.add_column(
        "second_stage_submissions",
        sa.Column("written_alternative", sa.Text(), nullable=True),
        schema="applications",
    )
    op.create_table(
        "adjustment_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.String(length=40), nullable=False),
        sa.Column("kinds", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("details", sa.String(length=2000), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("agreed_kinds", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("extra_minutes", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=2000), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        schema="applications",
    )
    for column in ("application_id", "candidate_id", "status"):
        op.create_index(
            f"ix_applications_adjustment_requests_{column}",
            "adjustment_requests",
            [column],
            schema="applications",
        )


def downgrade() -> None:
    op.drop_column("second_stage_submissions", "written_alternative", schema="applications")
    op.drop_column("applications", "guaranteed_second_stage", schema="applications")
    op.drop_table("adjustment_requests", schema="applications")
