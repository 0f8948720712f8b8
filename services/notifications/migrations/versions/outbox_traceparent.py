"""outbox traceparent: the W3C trace context of each outbox event and of each e-mail owed

Revision ID: outbox_traceparent_d4
Revises: 3f9d2b7e61ac
Create Date: 2026-12-04 18:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "outbox_traceparent_d4"
down_revision: str | None = "3f9d2b7e61ac"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "outbox", sa.Column("traceparent", sa.String(length=55), nullable=True), schema="notifications"
    )
    op.add_column(
        "deliveries", sa.Column("traceparent", sa.String(length=55), nullable=True), schema="notifications"
    )


def downgrade() -> None:
    op.drop_column("deliveries", "traceparent", schema="notifications")
    op.drop_column("outbox", "traceparent", schema="notifications")
