"""matching: a vacancy's description; the council's message with a reach-out; the interview's id and place

Revision ID: facts_for_candidates_7e
Revises: profile_preferences_sequence_7b
Create Date: 2026-12-04 20:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'facts_for_candidates_7e'
down_revision: str | None = 'profile_preferences_sequence_7b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Vacancies and matches held before have none: each is empty (NULL) until written.
    op.add_column(
        'vacancies',
        sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        schema='matching',
    )
    op.add_column(
        'matches',
        sa.Column('reach_out_message', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        schema='matching',
    )
    op.add_column('matches', sa.Column('interview_id', sa.Uuid(), nullable=True), schema='matching')
    op.add_column(
        'matches',
        sa.Column('interview_place', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        schema='matching',
    )


def downgrade() -> None:
    op.drop_column('matches', 'interview_place', schema='matching')
    op.drop_column('matches', 'interview_id', schema='matching')
    op.drop_column('matches', 'reach_out_message', schema='matching')
    op.drop_column('vacancies', 'description', schema='matching')
