"""event sequences: the last `sequence` given to each aggregate's events by the outbox write

Revision ID: event_sequences_5f
Revises: outbox_traceparent_c3
Create Date: 2026-12-04 20:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "event_sequences_5f"
down_revision: str | None = "outbox_traceparent_c3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_sequences",
        sa.Column("aggregate", sa.String(length=100), nullable=False),
        sa.Column("aggregate_key", sa.String(length=200), nullable=False),
        sa.Column("last", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("aggregate", "aggregate_key", name=op.f("pk_event_sequences")),
        schema="matching",
    )


def downgrade() -> None:
    op.drop_table("event_sequences", schema="matching")
