"""outbox subject: the candidate each outbox row is about, indexed, so erasure finds the rows

Revision ID: d3a3cdef1652
Revises: 4c5d3ce5c37d
Create Date: 2026-12-07 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d3a3cdef1652"
down_revision: str | None = "4c5d3ce5c37d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("outbox", sa.Column("subject_id", sa.UUID(), nullable=True), schema="assessment")
    # Rows written before this revision name their candidate only in the payload.
    op.execute(
        "UPDATE assessment.outbox SET subject_id = (payload->>'candidate_id')::uuid"
        " WHERE payload ? 'candidate_id'"
    )
    op.create_index("ix_outbox_subject_id", "outbox", ["subject_id"], unique=False, schema="assessment")


def downgrade() -> None:
    op.drop_index("ix_outbox_subject_id", table_name="outbox", schema="assessment")
    op.drop_column("outbox", "subject_id", schema="assessment")
