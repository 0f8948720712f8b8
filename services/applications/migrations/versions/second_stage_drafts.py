"""second stage drafts: a shortlisted candidate's second-stage answers saved before sending

Revision ID: second_stage_drafts_4e
Revises: event_sequences_cd
Create Date: 2026-12-04 20:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "second_stage_drafts_4e"
down_revision: str | None = "event_sequences_cd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "second_stage_drafts",
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("answers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("application_id"),
        schema="applications",
    )


def downgrade() -> None:
    op.drop_table("second_stage_drafts", schema="applications")
