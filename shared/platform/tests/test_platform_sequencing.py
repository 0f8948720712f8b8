"""The outbox write numbers each aggregate's events (`sequence`), against real PostgreSQL."""

from __future__ import annotations

import asyncio
from uuid import UUID, uuid4

import pytest
from rtw_contracts import AssessmentScored, Event, ReachOutSent
from rtw_contracts.examples import example
from rtw_platform.testing.probe import PROBE_SCHEMA, REGISTRY
from rtw_platform.uow import UnitOfWorkFactory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

pytestmark = pytest.mark.component


def reach_out(match_id: UUID) -> ReachOutSent:
    return example(ReachOutSent, event_id=uuid4(), match_id=match_id, sequence=None)


async def sequences(engine: AsyncEngine, routing_key: str) -> list[tuple[str, int | None]]:
    """`(aggregate id, sequence)` of the outbox's messages with this routing key, in write order."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                f"SELECT payload->>'match_id', payload->>'application_id', payload->'sequence'"
                f" FROM {PROBE_SCHEMA}.outbox WHERE routing_key = :key ORDER BY id"
            ),
            {"key": routing_key},
        )
        return [(match or application, sequence) for match, application, sequence in rows]


async def publish(factory: UnitOfWorkFactory, *events: Event) -> None:
    async with factory() as uow:
        uow.publish(*events)
        await uow.commit()


async def test_concurrent_transactions_on_one_aggregate_get_strictly_increasing_numbers(
    probe_engine: AsyncEngine,
) -> None:
    factory = UnitOfWorkFactory(probe_engine, REGISTRY.metadata)
    match_id = uuid4()

    await asyncio.gather(*(publish(factory, reach_out(match_id)) for _ in range(12)))

    numbers = [sequence for _, sequence in await sequences(probe_engine, ReachOutSent.ROUTING_KEY)]
    assert numbers == list(range(1, 13))  # in the order written: increasing, no gap, no repeat


async def test_transactions_that_overlap_wait_for_the_aggregates_counter(probe_engine: AsyncEngine) -> None:
    factory = UnitOfWorkFactory(probe_engine, REGISTRY.metadata)
    match_id = uuid4()
    async with factory() as first:
        first.publish(reach_out(match_id))
        await first._write_outbox()  # holds the counter row until it ends
        second = asyncio.create_task(publish(factory, reach_out(match_id)))
        try:
            await asyncio.sleep(0.2)
            assert not second.done()  # waiting on the first transaction's counter row
            await first.commit()
        finally:
            if not first.committed:
                await first.session.rollback()
            await second

    numbers = [sequence for _, sequence in await sequences(probe_engine, ReachOutSent.ROUTING_KEY)]
    assert numbers == [1, 2]


async def test_a_rolled_back_transaction_gives_its_number_back(probe_engine: AsyncEngine) -> None:
    factory = UnitOfWorkFactory(probe_engine, REGISTRY.metadata)
    match_id = uuid4()
    async with factory() as uow:
        uow.publish(reach_out(match_id))
        await uow._write_outbox()  # not committed: rolled back on leaving
    await publish(factory, reach_out(match_id))

    assert await sequences(probe_engine, ReachOutSent.ROUTING_KEY) == [(str(match_id), 1)]


async def test_each_aggregate_counts_apart_and_one_transaction_numbers_its_events_in_order(
    probe_engine: AsyncEngine,
) -> None:
    factory = UnitOfWorkFactory(probe_engine, REGISTRY.metadata)
    one, other = uuid4(), uuid4()

    await publish(factory, reach_out(one), reach_out(other), reach_out(one))
    await publish(factory, reach_out(other))

    assert await sequences(probe_engine, ReachOutSent.ROUTING_KEY) == [
        (str(one), 1),
        (str(other), 1),
        (str(one), 2),
        (str(other), 2),
    ]


async def test_a_number_the_producer_set_is_left_as_it_is(probe_engine: AsyncEngine) -> None:
    factory = UnitOfWorkFactory(probe_engine, REGISTRY.metadata)
    application_id = uuid4()
    assert AssessmentScored.SEQUENCE_SET_BY_PRODUCER

    await publish(
        factory,
        example(AssessmentScored, event_id=uuid4(), application_id=application_id, sequence=7),
        reach_out(uuid4()).model_copy(update={"sequence": 40}),
    )

    assert await sequences(probe_engine, AssessmentScored.ROUTING_KEY) == [(str(application_id), 7)]
    assert [s for _, s in await sequences(probe_engine, ReachOutSent.ROUTING_KEY)] == [40]
