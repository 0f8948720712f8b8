"""matching: the talent pool holds those selected (and promoted), not the waiting list

Revision ID: 3f8a61d0c2e7
Revises: 2735f27916b0
Create Date: 2026-12-04 16:00:00.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = '3f8a61d0c2e7'
down_revision: str | None = '2735f27916b0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Waitlisted candidates leave the pool; the proposals nobody acted on end, and the alerts
    # councils have not seen yet go. What a council took up (shortlisted and on) stays.
    op.execute(
        "UPDATE matching.candidate_profiles SET in_pool = false"
        " WHERE in_pool AND assessment_outcome IS DISTINCT FROM 'selected'"
    )
    op.execute(
        "UPDATE matching.matches AS m SET status = 'withdrawn', updated_at = now()"
        " FROM matching.candidate_profiles AS p"
        " WHERE m.application_id = p.application_id AND NOT p.in_pool"
        " AND m.status IN ('proposed', 'displaced')"
    )
    op.execute(
        "DELETE FROM matching.search_alerts AS a USING matching.candidate_profiles AS p"
        " WHERE a.application_id = p.application_id AND NOT p.in_pool AND a.seen_at IS NULL"
    )


def downgrade() -> None:
    # The waiting list rejoins the pool (the proposals that ended stay ended).
    op.execute(
        "UPDATE matching.candidate_profiles SET in_pool = true"
        " WHERE assessment_outcome = 'waitlisted' AND NOT withdrawn"
    )
