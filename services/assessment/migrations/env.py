"""Alembic environment of the assessment service: its schema only, its own version table."""

from rtw_assessment.app import SERVICE
from rtw_platform.migrations import run_migrations

run_migrations(SERVICE)
