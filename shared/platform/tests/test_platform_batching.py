"""Group commit for consumers against real PostgreSQL, with the probe service's handler."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import UUID, uuid4

import pytest
import pytest_asyncio
from rtw_contracts import ApplicationWithdrawn, Event
from rtw_contracts.examples import example
from rtw_platform.batching import CommitBatcher
from rtw_platform.testing.probe import (
    PROBE_SCHEMA,
    REGISTRY,
    Behaviour,
    ProbeFailure,
    effect_count,
    probe_definition,
)
from rtw_platform.uow import UnitOfWork, UnitOfWorkFactory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

pytestmark = pytest.mark.component


def event() -> Event:
    return example(ApplicationWithdrawn, event_id=uuid4(), correlation_id=uuid4())


@pytest_asyncio.fixture
async def batchers(probe_engine: AsyncEngine) -> AsyncIterator[Callable[..., CommitBatcher]]:
    """Make batchers over the probe's tables; all are closed afterwards."""
    factory = UnitOfWorkFactory(probe_engine, REGISTRY.metadata)
    made: list[CommitBatcher] = []

    def make(handler: Any, **options: Any) -> CommitBatcher:
        batcher = CommitBatcher(factory, handler, "record_effect", **options)
        made.append(batcher)
        return batcher

    yield make
    for batcher in made:
        await batcher.close()


def probe_handler(behaviour: Behaviour) -> Any:
    return probe_definition(behaviour).subscriptions[0].handler


async def inbox_marks(engine: AsyncEngine) -> set[UUID]:
    async with engine.connect() as conn:
        result = await conn.execute(text(f"SELECT event_id FROM {PROBE_SCHEMA}.inbox"))
        return set(result.scalars())


async def test_twenty_concurrent_events_all_commit(
    probe_engine: AsyncEngine, batchers: Callable[..., CommitBatcher]
) -> None:
    sessions: list[int] = []
    record = probe_handler(Behaviour())

    async def handler(e: Event, uow: UnitOfWork) -> None:
        sessions.append(id(uow.session))
        await record(e, uow)

    batcher = batchers(handler)
    events = [event() for _ in range(20)]

    results = await asyncio.gather(*(batcher.submit(e) for e in events))

    assert results == [True] * 20
    for e in events:
        assert await effect_count(probe_engine, e.event_id) == 1
    assert await inbox_marks(probe_engine) == {e.event_id for e in events}
    assert len(set(sessions)) < 20, "the events were not batched into shared transactions"


async def test_a_failing_event_fails_alone_and_the_rest_of_its_batch_commits(
    probe_engine: AsyncEngine, batchers: Callable[..., CommitBatcher]
) -> None:
    events = [event() for _ in range(6)]
    bad = events[2]
    sessions: dict[UUID, int] = {}
    record = probe_handler(Behaviour(always_fail={bad.event_id}))

    async def handler(e: Event, uow: UnitOfWork) -> None:
        sessions[e.event_id] = id(uow.session)
        await record(e, uow)

    batcher = batchers(handler, workers=1)

    results = await asyncio.gather(*(batcher.submit(e) for e in events), return_exceptions=True)

    assert len(set(sessions.values())) == 1, "the events were not in one batch"
    assert isinstance(results[2], ProbeFailure)
    assert [r for i, r in enumerate(results) if i != 2] == [True] * 5
    for e in events:
        assert await effect_count(probe_engine, e.event_id) == (0 if e is bad else 1)
    # The failed event left no inbox mark, so its redelivery is processed.
    assert bad.event_id not in await inbox_marks(probe_engine)


async def test_a_database_error_in_one_handler_does_not_abort_its_batch(
    probe_engine: AsyncEngine, batchers: Callable[..., CommitBatcher]
) -> None:
    events = [event() for _ in range(4)]
    bad = events[1]
    record = probe_handler(Behaviour())

    async def handler(e: Event, uow: UnitOfWork) -> None:
        await record(e, uow)
        if e.event_id == bad.event_id:
            await uow.session.execute(text("SELECT 1 / 0"))

    batcher = batchers(handler, workers=1)

    results = await asyncio.gather(*(batcher.submit(e) for e in events), return_exceptions=True)

    assert isinstance(results[1], DBAPIError)
    assert [results[0], *results[2:]] == [True] * 3
    for e in events:
        assert await effect_count(probe_engine, e.event_id) == (0 if e is bad else 1)


async def test_a_failed_event_succeeds_when_delivered_again(
    probe_engine: AsyncEngine, batchers: Callable[..., CommitBatcher]
) -> None:
    flaky = event()
    behaviour = Behaviour(fail_times={flaky.event_id: 1})
    batcher = batchers(probe_handler(behaviour))

    with pytest.raises(ProbeFailure):
        await batcher.submit(flaky)
    assert await batcher.submit(flaky) is True

    assert await effect_count(probe_engine, flaky.event_id) == 1
    assert behaviour.attempts[flaky.event_id] == 2


async def test_the_same_event_twice_has_effect_once(
    probe_engine: AsyncEngine, batchers: Callable[..., CommitBatcher]
) -> None:
    behaviour = Behaviour()
    batcher = batchers(probe_handler(behaviour))
    once = event()

    assert await batcher.submit(once) is True
    assert await batcher.submit(once) is False

    assert await effect_count(probe_engine, once.event_id) == 1
    assert behaviour.attempts[once.event_id] == 1


async def test_the_same_event_twice_in_one_batch_has_effect_once(
    probe_engine: AsyncEngine, batchers: Callable[..., CommitBatcher]
) -> None:
    behaviour = Behaviour()
    batcher = batchers(probe_handler(behaviour), workers=1)
    once = event()

    results = await asyncio.gather(batcher.submit(once), batcher.submit(once))

    assert sorted(results) == [False, True]
    assert await effect_count(probe_engine, once.event_id) == 1


async def test_a_batcher_works_again_after_being_closed(
    probe_engine: AsyncEngine, batchers: Callable[..., CommitBatcher]
) -> None:
    batcher = batchers(probe_handler(Behaviour()))
    before, after = event(), event()

    assert await batcher.submit(before) is True
    await batcher.close()
    assert await batcher.submit(after) is True

    assert await effect_count(probe_engine, after.event_id) == 1
