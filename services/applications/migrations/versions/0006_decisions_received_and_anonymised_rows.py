"""applications: decisions received kept for the subject-access export; anonymised rows that keep
the reports' counts of erased people

Revision ID: 86b9d2264f1b
Revises: 86a9e5a8b483
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "86b9d2264f1b"
down_revision: str | None = "86a9e5a8b483"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_decisions",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("stage", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("decision_kind", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("breakdown", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("rule_set_version", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("rubric_version", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("next_step_deadline", sa.Date(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_assessment_decisions")),
        schema="applications",
    )
    op.create_index(
        op.f("ix_applications_assessment_decisions_application_id"),
        "assessment_decisions",
        ["application_id"],
        unique=False,
        schema="applications",
    )
    op.create_table(
        "match_proposals",
        sa.Column("match_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("vacancy_id", sa.Uuid(), nullable=False),
        sa.Column("council_id", sa.Uuid(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("factors", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("weights_version", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("match_id", name=op.f("pk_match_proposals")),
        schema="applications",
    )
    op.create_index(
        op.f("ix_applications_match_proposals_application_id"),
        "match_proposals",
        ["application_id"],
        unique=False,
        schema="applications",
    )
    op.create_table(
        "anonymised_applications",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("programme", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("cohort_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("region", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("postcode_district", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("max_travel_km", sa.Float(), nullable=True),
        sa.Column("steps", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("codes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("equality", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("hires", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_anonymised_applications")),
        schema="applications",
    )
    op.create_index(
        op.f("ix_applications_anonymised_applications_cohort_id"),
        "anonymised_applications",
        ["cohort_id"],
        unique=False,
        schema="applications",
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_applications_anonymised_applications_cohort_id"),
        table_name="anonymised_applications",
        schema="applications",
    )
    op.drop_table("anonymised_applications", schema="applications")
    op.drop_index(
        op.f("ix_applications_match_proposals_application_id"), table_name="match_proposals", schema="applications"
    )
    op.drop_table("match_proposals", schema="applications")
    op.drop_index(
        op.f("ix_applications_assessment_decisions_application_id"),
        table_name="assessment_decisions",
        schema="applications",
    )
    op.drop_table("assessment_decisions", schema="applications")
