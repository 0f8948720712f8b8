"""revoked sessions: sessions signed out of in any service, refused here too

Revision ID: 66c476c7a905
Revises: be5a8a2100a6
Create Date: 2026-11-30 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '66c476c7a905'
down_revision: str | None = 'be5a8a2100a6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('revoked_sessions',
    sa.Column('session_id', sa.UUID(), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('session_id', name=op.f('pk_revoked_sessions')),
    schema='notifications'
    )
    op.create_index('ix_revoked_sessions_recorded_at', 'revoked_sessions', ['recorded_at'], unique=False, schema='notifications')


def downgrade() -> None:
    op.drop_index('ix_revoked_sessions_recorded_at', table_name='revoked_sessions', schema='notifications')
    op.drop_table('revoked_sessions', schema='notifications')
