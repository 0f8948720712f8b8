"""erased enrolments: a cohort's counts keep erased learners without their records

Revision ID: 5b0e7d2c41a9
Revises: cf3914f6085f
Create Date: 2026-12-07 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '5b0e7d2c41a9'
down_revision: str | None = 'cf3914f6085f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('erased_enrolments',
    sa.Column('cohort_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('cohort_id', 'status', name=op.f('pk_erased_enrolments')),
    schema='training'
    )


def downgrade() -> None:
    op.drop_table('erased_enrolments', schema='training')
