"""notifications: the staff directory (addresses admins gave; assessors and providers as their
services announced them) and the counters of the limits on e-mailed staff links

Revision ID: 3f9d2b7e61ac
Revises: 23c53aa715c1
Create Date: 2026-12-04 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "3f9d2b7e61ac"
down_revision: str | None = "23c53aa715c1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_records",
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "id", name=op.f("pk_staff_records")),
        schema="notifications",
    )
    op.create_table(
        "staff_addresses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("staff_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("provider_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("added_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_addresses")),
        sa.UniqueConstraint("email", name=op.f("uq_staff_addresses_email")),
        sa.UniqueConstraint("role", "staff_id", name=op.f("uq_staff_addresses_role")),
        schema="notifications",
    )
    op.create_table(
        "rate_limit_windows",
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("window_started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_rate_limit_windows")),
        schema="notifications",
    )
    op.create_index(
        "ix_rate_limit_windows_expires_at", "rate_limit_windows", ["expires_at"], unique=False, schema="notifications"
    )


def downgrade() -> None:
    op.drop_index("ix_rate_limit_windows_expires_at", table_name="rate_limit_windows", schema="notifications")
    op.drop_table("rate_limit_windows", schema="notifications")
    op.drop_table("staff_addresses", schema="notifications")
    op.drop_table("staff_records", schema="notifications")
