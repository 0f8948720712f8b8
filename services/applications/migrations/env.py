"""Alembic environment of the applications service: its schema only, its own version table."""

from rtw_applications.app import SERVICE
from rtw_platform.migrations import run_migrations

run_migrations(SERVICE)
