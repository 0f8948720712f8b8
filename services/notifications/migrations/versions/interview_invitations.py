"""notifications: calendar invitations sent with a message; interviews noted for their reminder

Revision ID: interview_invitations_e5
Revises: event_sequences_b2
Create Date: 2026-12-05 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "interview_invitations_e5"
down_revision: str | None = "event_sequences_b2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "deliveries",
        sa.Column("calendar", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        schema="notifications",
    )
    op.create_table(
        "interview_notes",
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("interview_id", sa.Uuid(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("vacancy_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("place", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.PrimaryKeyConstraint("match_id"),
        schema="notifications",
    )
    op.create_index(
        op.f("ix_notifications_interview_notes_candidate_id"),
        "interview_notes",
        ["candidate_id"],
        unique=False,
        schema="notifications",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_notifications_interview_notes_candidate_id"),
        table_name="interview_notes",
        schema="notifications",
    )
    op.drop_table("interview_notes", schema="notifications")
    op.drop_column("deliveries", "calendar", schema="notifications")
