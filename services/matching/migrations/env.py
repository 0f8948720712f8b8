"""Alembic environment of the matching service: its schema only, its own version table."""

from rtw_matching.app import SERVICE
from rtw_platform.migrations import run_migrations

run_migrations(SERVICE)
