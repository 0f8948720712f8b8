"""matching: counters of the limits on e-mailed links (per address and per client)

Revision ID: 0aceeb4c245c
Revises: 772786565b1f
Create Date: 2026-12-01 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0aceeb4c245c"
down_revision: str | None = "772786565b1f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_windows",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_windows")),
        schema="matching",
    )
    op.create_index(
        "ix_rate_limit_windows_expires_at",
        "rate_limit_windows",
        ["expires_at"],
        unique=False,
        schema="matching",
    )


def downgrade() -> None:
    op.drop_index("ix_rate_limit_windows_expires_at", table_name="rate_limit_windows", schema="matching")
    op.drop_table("rate_limit_windows", schema="matching")
