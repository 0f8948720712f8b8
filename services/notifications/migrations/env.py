"""Alembic environment of the notifications service: its schema only, its own version table."""

from rtw_notifications.app import SERVICE
from rtw_platform.migrations import run_migrations

run_migrations(SERVICE)
