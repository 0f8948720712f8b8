"""matching: a vacancy may ask for an interview before a hire

Revision ID: 7c1e4a9d2b60
Revises: 150535f0133b
Create Date: 2026-12-04 15:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '7c1e4a9d2b60'
down_revision: str | None = '150535f0133b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Vacancies posted before this asked for nothing: they keep hiring without an interview.
    op.add_column(
        'vacancies',
        sa.Column('interview_required', sa.Boolean(), server_default=sa.false(), nullable=False),
        schema='matching',
    )


def downgrade() -> None:
    op.drop_column('vacancies', 'interview_required', schema='matching')
