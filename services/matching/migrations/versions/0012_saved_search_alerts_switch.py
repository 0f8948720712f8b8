"""matching: a saved search's alerts can be turned off (and on again)

Revision ID: e3a9c61f7b25
Revises: c45e0b7a9d18
Create Date: 2026-12-04 17:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'e3a9c61f7b25'
down_revision: str | None = 'c45e0b7a9d18'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Searches saved before this alerted: they keep alerting.
    op.add_column(
        'saved_searches',
        sa.Column('alerts_on', sa.Boolean(), server_default=sa.true(), nullable=False),
        schema='matching',
    )


def downgrade() -> None:
    op.drop_column('saved_searches', 'alerts_on', schema='matching')
