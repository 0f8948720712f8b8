"""Alembic environment of the training service: its schema only, its own version table."""

from rtw_platform.migrations import run_migrations
from rtw_training.app import SERVICE

run_migrations(SERVICE)
