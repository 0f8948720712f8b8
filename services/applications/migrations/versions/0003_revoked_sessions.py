"""revoked sessions: sessions signed out of in any service, refused here too

Revision ID: 6e775dcccbe5
Revises: 53c3db5f34d7
Create Date: 2026-11-30 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '6e775dcccbe5'
down_revision: str | None = '53c3db5f34d7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('revoked_sessions',
    sa.Column('session_id', sa.UUID(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_revoked_sessions')),
    schema='applications'
    )
    op.create_index('ix_revoked_sessions_recorded_at', 'revoked_sessions', ['recorded_at'], unique=False, schema='applications')


def downgrade() -> None:
    op.drop_index('ix_revoked_sessions_recorded_at', table_name='revoked_sessions', schema='applications')
    op.drop_table('revoked_sessions', schema='applications')
