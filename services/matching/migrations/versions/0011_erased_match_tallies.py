"""matching: erased candidates' matches leave, their counts stay (erased_match_tallies)

Revision ID: c45e0b7a9d18
Revises: 9b2d47e15a03
Create Date: 2026-12-04 16:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'c45e0b7a9d18'
down_revision: str | None = '9b2d47e15a03'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'erased_match_tallies',
        sa.Column('vacancy_id', sa.Uuid(), nullable=False),
        sa.Column('council_id', sa.Uuid(), nullable=False),
        sa.Column('proposed', sa.Integer(), nullable=False),
        sa.Column('hired', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('vacancy_id'),
        schema='matching',
    )
    op.create_index(
        op.f('ix_matching_erased_match_tallies_council_id'),
        'erased_match_tallies',
        ['council_id'],
        unique=False,
        schema='matching',
    )
    # Matches of candidates erased before this kept their rows (ids, scores, explanations):
    # count them into the tallies, then delete them.
    op.execute(
        "INSERT INTO matching.erased_match_tallies (vacancy_id, council_id, proposed, hired)"
        " SELECT m.vacancy_id, min(m.council_id::text)::uuid,"
        " count(*) FILTER (WHERE m.proposed_score IS NOT NULL),"
        " count(*) FILTER (WHERE m.status = 'hired')"
        " FROM matching.matches AS m JOIN matching.departures AS d"
        " ON d.id = m.candidate_id AND d.kind = 'erased' GROUP BY m.vacancy_id"
    )
    op.execute(
        "DELETE FROM matching.search_alerts WHERE application_id IN (SELECT m.application_id"
        " FROM matching.matches AS m JOIN matching.departures AS d"
        " ON d.id = m.candidate_id AND d.kind = 'erased')"
    )
    op.execute(
        "DELETE FROM matching.matches AS m USING matching.departures AS d"
        " WHERE d.id = m.candidate_id AND d.kind = 'erased'"
    )
    op.execute(
        "DELETE FROM matching.assessment_outcomes AS a USING matching.departures AS d"
        " WHERE d.id = a.candidate_id AND d.kind = 'erased'"
    )


def downgrade() -> None:
    op.drop_index(
        op.f('ix_matching_erased_match_tallies_council_id'),
        table_name='erased_match_tallies',
        schema='matching',
    )
    op.drop_table('erased_match_tallies', schema='matching')
