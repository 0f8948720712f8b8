"""outbox traceparent: the W3C trace context of the transaction that wrote each event

Revision ID: outbox_traceparent_b2
Revises: appeal_per_decision_7c1e
Create Date: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "outbox_traceparent_b2"
down_revision: str | None = "appeal_per_decision_7c1e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "outbox", sa.Column("traceparent", sa.String(length=55), nullable=True), schema="assessment"
    )


def downgrade() -> None:
    op.drop_column("outbox", "traceparent", schema="assessment")
