"""training: providers can be retired (active flag; every existing provider stays active)

Revision ID: 7c1e5d0b9a42
Revises: 7d4c1e9a2b36
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7c1e5d0b9a42"
down_revision: str | None = "7d4c1e9a2b36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "providers",
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        schema="training",
    )


def downgrade() -> None:
    op.drop_column("providers", "active", schema="training")
