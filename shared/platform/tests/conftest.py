"""Fixtures for the platform's component tests: the probe service's tables in the test database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from rtw_platform.db import create_engine
from rtw_platform.testing.probe import PROBE_SCHEMA, create_tables
from sqlalchemy.ext.asyncio import AsyncEngine


@pytest_asyncio.fixture
async def probe_engine(clean_database: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the test database with the probe's tables, emptied."""
    engine = create_engine(clean_database, PROBE_SCHEMA, pool_size=5)
    await create_tables(engine)
    async with engine.begin() as conn:
        await conn.exec_driver_sql(
            f"TRUNCATE {PROBE_SCHEMA}.effects, {PROBE_SCHEMA}.inbox, {PROBE_SCHEMA}.outbox RESTART IDENTITY"
        )
    yield engine
    await engine.dispose()
