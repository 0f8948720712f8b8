"""Revoked sessions against real PostgreSQL: a sign-out is recorded and announced in one
transaction, other replicas read it from the table, a repeat changes nothing, and rows are purged
once their sessions would have expired anyway."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
import pytest_asyncio
from rtw_contracts import SessionEnded
from rtw_contracts.examples import example
from rtw_platform.auth import Principal, Role, Session
from rtw_platform.sessions import SessionRevocations, record_session_ended
from rtw_platform.testing.probe import PROBE_SCHEMA, REGISTRY
from rtw_platform.testing.waiting import eventually
from rtw_platform.uow import UnitOfWorkFactory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

pytestmark = pytest.mark.component


def a_session(expires_in: timedelta = timedelta(hours=8)) -> Session:
    return Session(Principal("c-1", Role.CANDIDATE), uuid4(), datetime.now(UTC) + expires_in)


@pytest_asyncio.fixture
async def replicas(probe_engine: AsyncEngine) -> AsyncIterator[Callable[..., SessionRevocations]]:
    """Make the revocations of replicas of the probe service (one engine); stopped afterwards."""
    async with probe_engine.begin() as conn:
        await conn.exec_driver_sql(f"TRUNCATE {PROBE_SCHEMA}.revoked_sessions")
    made: list[SessionRevocations] = []

    def make(**options: Any) -> SessionRevocations:
        revocations = SessionRevocations(
            UnitOfWorkFactory(probe_engine, REGISTRY.metadata), "probe", PROBE_SCHEMA, **options
        )
        made.append(revocations)
        return revocations

    yield make
    for revocations in made:
        await revocations.stop()


async def rows(engine: AsyncEngine, sql: str) -> list[dict[str, object]]:
    async with engine.connect() as conn:
        return [dict(row._mapping) for row in await conn.execute(text(sql))]


async def test_a_sign_out_is_announced_and_every_replica_refuses_it(
    probe_engine: AsyncEngine, replicas: Callable[..., SessionRevocations]
) -> None:
    here, there = replicas(), replicas(poll_interval_s=0.05)
    await here.start()
    await there.start()
    session, other = a_session(), a_session()

    await here.end(session)
    assert not here.revoked.admits(session.id)  # at once, where the person signed out
    assert here.revoked.admits(other.id)
    await eventually(lambda: _refuses(there, session), timeout=5, what="the other replica to refuse it")
    assert there.revoked.admits(other.id)

    [announced] = await rows(
        probe_engine, f"SELECT payload FROM {PROBE_SCHEMA}.outbox WHERE routing_key = 'session.ended.v1'"
    )
    payload = announced["payload"]
    assert isinstance(payload, dict)
    assert payload["session_id"] == str(session.id)
    assert payload["producer"] == "probe"
    assert datetime.fromisoformat(payload["expires_at"]) == session.expires_at


async def _refuses(revocations: SessionRevocations, session: Session) -> bool:
    return not revocations.revoked.admits(session.id)


async def test_the_event_is_recorded_once_however_often_it_arrives(
    probe_engine: AsyncEngine, replicas: Callable[..., SessionRevocations]
) -> None:
    replicas()  # empties the table
    ended = example(SessionEnded, session_id=uuid4(), event_id=uuid4())
    factory = UnitOfWorkFactory(probe_engine, REGISTRY.metadata)
    for _ in range(2):
        async with factory() as uow:
            await record_session_ended(ended, uow)
            await uow.commit()
    recorded = await rows(probe_engine, f"SELECT session_id FROM {PROBE_SCHEMA}.revoked_sessions")
    assert recorded == [{"session_id": ended.session_id}]


async def test_a_restarted_replica_reads_what_was_recorded_and_long_expired_rows_are_purged(
    probe_engine: AsyncEngine, replicas: Callable[..., SessionRevocations]
) -> None:
    before = replicas()
    await before.start()
    live, lapsed, long_gone = a_session(), a_session(-timedelta(minutes=5)), a_session(-timedelta(hours=2))
    for session in (live, lapsed, long_gone):
        await before.end(session)

    after = replicas()
    assert not after.revoked.admits(live.id)  # nothing is accepted before the list is read
    await after.start()
    assert not after.revoked.admits(live.id)
    assert not after.revoked.admits(lapsed.id)  # its token is refused anyway; kept an hour longer
    remaining = await rows(probe_engine, f"SELECT session_id FROM {PROBE_SCHEMA}.revoked_sessions")
    assert {row["session_id"] for row in remaining} == {live.id, lapsed.id}
    assert after.revoked.admits(uuid4())
