"""appeal per decision: each appeal names the decision it is against, at most one appeal each

Revision ID: appeal_per_decision_7c1e
Revises: a7e2c4b9d1f0
Create Date: 2026-12-04 17:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "appeal_per_decision_7c1e"
down_revision: str | None = "a7e2c4b9d1f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("appeals", sa.Column("decision_id", sa.Uuid(), nullable=True), schema="assessment")
    # Appeals made before: against the latest screening decision made before them.
    op.execute(
        "UPDATE assessment.appeals a SET decision_id = ("
        " SELECT d.id FROM assessment.decisions d"
        " WHERE d.application_id = a.application_id AND d.stage = 'screening'"
        " AND d.decided_at <= a.created_at ORDER BY d.decided_at DESC LIMIT 1)"
    )
    op.create_unique_constraint(
        op.f("uq_appeals_decision_id"), "appeals", ["decision_id"], schema="assessment"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("uq_appeals_decision_id"), "appeals", schema="assessment", type_="unique")
    op.drop_column("appeals", "decision_id", schema="assessment")
