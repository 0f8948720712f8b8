"""matching: the telephone number a candidate gave for a council to call

Revision ID: 9b2d47e15a03
Revises: 3f8a61d0c2e7
Create Date: 2026-12-04 16:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '9b2d47e15a03'
down_revision: str | None = '3f8a61d0c2e7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Contacts kept before hold no number: the next application the candidate submits brings it.
    op.add_column(
        'candidate_contacts',
        sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        schema='matching',
    )


def downgrade() -> None:
    op.drop_column('candidate_contacts', 'phone', schema='matching')
