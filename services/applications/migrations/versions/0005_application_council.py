"""applications: an application keeps its council for the reports once its answers are erased

Revision ID: 5d0e9c3a7b41
Revises: 4dfa06702176
Create Date: 2026-12-04 16:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '5d0e9c3a7b41'
down_revision: str | None = '4dfa06702176'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Filled in when an application is anonymised (erasure, retention); until then the reports
    # read the council from the answers' postcode district. Applications anonymised before this
    # kept no district: they count under their region only.
    op.add_column(
        'applications',
        sa.Column('council_gss', sqlmodel.sql.sqltypes.AutoString(length=9), nullable=True),
        schema='applications',
    )


def downgrade() -> None:
    op.drop_column('applications', 'council_gss', schema='applications')
