"""outbox traceparent: the W3C trace context of the transaction that wrote each event

Revision ID: outbox_traceparent_a1
Revises: a7c3e91f0b52
Create Date: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "outbox_traceparent_a1"
down_revision: str | None = "a7c3e91f0b52"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "outbox", sa.Column("traceparent", sa.String(length=55), nullable=True), schema="applications"
    )


def downgrade() -> None:
    op.drop_column("outbox", "traceparent", schema="applications")
