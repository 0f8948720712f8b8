"""cohort lifecycle: a cohort's revision (CohortScheduled's sequence) and when its selection closed

Revision ID: a7c3e91f0b52
Revises: 86b9d2264f1b
Create Date: 2026-12-04 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c3e91f0b52"
down_revision: str | None = "86b9d2264f1b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "cohorts",
        sa.Column("revision", sa.Integer(), nullable=False, server_default="0"),
        schema="applications",
    )
    op.add_column(
        "cohorts",
        sa.Column("selection_closed_at", sa.DateTime(timezone=True), nullable=True),
        schema="applications",
    )


def downgrade() -> None:
    op.drop_column("cohorts", "selection_closed_at", schema="applications")
    op.drop_column("cohorts", "revision", schema="applications")
