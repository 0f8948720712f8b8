"""A producer's own counter (rtw_platform.counters.take_next), against real PostgreSQL: concurrent
transactions that each loaded the row before counting still get each number once, without gaps,
in the order they commit."""

from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

import pytest
import pytest_asyncio
from rtw_platform.counters import take_next
from rtw_platform.db import service_registry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlmodel import Field, SQLModel

pytestmark = pytest.mark.component

SCHEMA = "rtw_counters_probe"
REGISTRY = service_registry(SCHEMA)


class CountersTable(SQLModel, registry=REGISTRY):
    """Base of this test's tables."""


class Counted(CountersTable, table=True):
    __tablename__ = "counted"

    id: UUID = Field(primary_key=True)
    sequence: int = 0


@pytest_asyncio.fixture
async def sessions(probe_engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    async with probe_engine.begin() as conn:
        await conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        await conn.run_sync(REGISTRY.metadata.create_all)
        await conn.exec_driver_sql(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.log (n bigint, at bigint DEFAULT txid_current())"
        )
        await conn.exec_driver_sql(f"TRUNCATE {SCHEMA}.counted, {SCHEMA}.log")
    return async_sessionmaker(probe_engine, expire_on_commit=False)


async def change(sessions: async_sessionmaker[AsyncSession], row_id: UUID, *, fail: bool = False) -> None:
    """Load the row, let the others load it too, then count and write the number down in the same
    transaction (as a producer announces it in its outbox)."""
    async with sessions() as session, session.begin():
        row = await session.get(Counted, row_id)
        assert row is not None
        await asyncio.sleep(0.05)  # every transaction has read the same number by now
        number = await take_next(session, row, "sequence")
        assert row.sequence == number
        await session.execute(text(f"INSERT INTO {SCHEMA}.log (n) VALUES (:n)"), {"n": number})
        if fail:
            raise RuntimeError("rolled back")


async def test_concurrent_changes_of_one_row_get_each_number_once_in_commit_order(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    row_id = uuid4()
    async with sessions() as session, session.begin():
        session.add(Counted(id=row_id, sequence=3))
    results = await asyncio.gather(
        *(change(sessions, row_id, fail=n == 4) for n in range(10)), return_exceptions=True
    )
    assert sum(isinstance(result, RuntimeError) for result in results) == 1
    async with sessions() as session:
        # The log's rows in the order their transactions wrote them (each waited for the one
        # before to commit): the numbers 4..12, each once, increasing; the rolled-back one's
        # number was given again.
        logged = (await session.execute(text(f"SELECT n FROM {SCHEMA}.log ORDER BY ctid"))).scalars()
        assert list(logged) == list(range(4, 13))
        assert await session.scalar(text(f"SELECT sequence FROM {SCHEMA}.counted")) == 12


async def test_a_new_row_is_written_before_it_is_counted(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        row = Counted(id=uuid4())
        session.add(row)
        assert await take_next(session, row, "sequence") == 1
    async with sessions() as session:
        assert await session.scalar(text(f"SELECT sequence FROM {SCHEMA}.counted")) == 1
