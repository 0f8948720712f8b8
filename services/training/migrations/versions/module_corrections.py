"""module corrections: providers correct recorded outcomes with a reason; a completion is announced once

Revision ID: 7d4c1e9a2b36
Revises: 5b0e7d2c41a9
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '7d4c1e9a2b36'
down_revision: str | None = '5b0e7d2c41a9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('module_corrections',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('enrolment_id', sa.Uuid(), nullable=False),
    sa.Column('module_id', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
    sa.Column('previous_status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('previous_result', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('previous_hours', sa.Float(), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('result', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
    sa.Column('hours', sa.Float(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('corrected_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('corrected_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_module_corrections')),
    schema='training'
    )
    op.create_index(op.f('ix_training_module_corrections_enrolment_id'), 'module_corrections', ['enrolment_id'], unique=False, schema='training')
    op.add_column('module_progress', sa.Column('announced_at', sa.DateTime(timezone=True), nullable=True), schema='training')
    # Every completion recorded so far was published when it was recorded.
    op.execute("UPDATE training.module_progress SET announced_at = completed_at WHERE status = 'completed'")


def downgrade() -> None:
    op.drop_column('module_progress', 'announced_at', schema='training')
    op.drop_index(op.f('ix_training_module_corrections_enrolment_id'), table_name='module_corrections', schema='training')
    op.drop_table('module_corrections', schema='training')
