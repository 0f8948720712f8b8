"""profile preferences sequence: the sequence of the latest preferences a candidate profile holds

Revision ID: profile_preferences_sequence_7b
Revises: event_sequences_5f
Create Date: 2026-12-04 20:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "profile_preferences_sequence_7b"
down_revision: str | None = "event_sequences_5f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "candidate_profiles",
        sa.Column("preferences_sequence", sa.Integer(), nullable=False, server_default="0"),
        schema="matching",
    )


def downgrade() -> None:
    op.drop_column("candidate_profiles", "preferences_sequence", schema="matching")
