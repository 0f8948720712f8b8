"""The platform's part of erasure, against real PostgreSQL and RabbitMQ: the person's outbox rows
(published or not) and dead letters are deleted, nobody else's; published rows of everyone are
deleted after the retention; a CandidateErased handler is followed by all of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import pytest
import pytest_asyncio
from rtw_contracts import ApplicationWithdrawn, CandidateErased, CouncilRegistered, Event
from rtw_contracts.examples import example
from rtw_platform.erasure import ErasedPerson, erase_dead_letters, with_platform_erasure
from rtw_platform.messaging import Subscription
from rtw_platform.outbox import OutboxRelay
from rtw_platform.testing.fixtures import BrokerNamespace
from rtw_platform.testing.probe import PROBE_SCHEMA, REGISTRY
from rtw_platform.uow import UnitOfWork, UnitOfWorkFactory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

pytestmark = pytest.mark.component


def withdrawn(candidate_id: UUID, application_id: UUID) -> ApplicationWithdrawn:
    return example(
        ApplicationWithdrawn,
        event_id=uuid4(),
        correlation_id=application_id,
        candidate_id=candidate_id,
        application_id=application_id,
    )


def erased(candidate_id: UUID, *application_ids: UUID) -> CandidateErased:
    return example(
        CandidateErased,
        event_id=uuid4(),
        correlation_id=application_ids[0],
        candidate_id=candidate_id,
        application_ids=list(application_ids),
        erased_at=datetime.now(UTC),
    )


async def write(engine: AsyncEngine, *events: Event) -> None:
    factory = UnitOfWorkFactory(engine, REGISTRY.metadata)
    async with factory() as uow:
        uow.publish(*events)
        await uow.commit()


async def outbox(engine: AsyncEngine) -> list[tuple[UUID, UUID | None, bool]]:
    """(event id, subject, published) of every row."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(f"SELECT event_id, subject_id, published_at FROM {PROBE_SCHEMA}.outbox ORDER BY id")
        )
        return [(r.event_id, r.subject_id, r.published_at is not None) for r in rows]


async def mark_published(engine: AsyncEngine, event_id: UUID, at: datetime) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(f"UPDATE {PROBE_SCHEMA}.outbox SET published_at = :at WHERE event_id = :id"),
            {"at": at, "id": event_id},
        )


@pytest_asyncio.fixture
async def relay(probe_engine: AsyncEngine) -> AsyncIterator[OutboxRelay]:
    async def publish(batch: Any) -> None:
        return None

    made = OutboxRelay(
        database_url=probe_engine.url.render_as_string(hide_password=False),
        schema=PROBE_SCHEMA,
        publish=publish,
        service="probe",
        keep_published_for=timedelta(days=7),
    )
    yield made
    await made.stop()


async def test_each_outbox_row_names_the_candidate_it_is_about(probe_engine: AsyncEngine) -> None:
    priya, application = uuid4(), uuid4()
    about_priya = withdrawn(priya, application)
    about_no_one = example(CouncilRegistered, event_id=uuid4(), correlation_id=uuid4())

    await write(probe_engine, about_priya, about_no_one)

    assert await outbox(probe_engine) == [
        (about_priya.event_id, priya, False),
        (about_no_one.event_id, None, False),
    ]


async def test_a_candidate_erased_handler_is_followed_by_the_deletion_of_their_outbox_rows(
    probe_engine: AsyncEngine,
) -> None:
    priya, amara = uuid4(), uuid4()
    priyas_application = uuid4()
    published = withdrawn(priya, priyas_application)
    waiting = withdrawn(priya, priyas_application)
    amaras = withdrawn(amara, uuid4())
    await write(probe_engine, published, waiting, amaras)
    await mark_published(probe_engine, published.event_id, datetime.now(UTC))
    handled: list[UUID] = []

    async def forget_the_candidate(event: CandidateErased, uow: UnitOfWork) -> None:
        """The service's own part."""
        handled.append(event.candidate_id)

    subscription = with_platform_erasure(
        Subscription(CandidateErased, forget_the_candidate, "forget"), dead_letters=None
    )
    factory = UnitOfWorkFactory(probe_engine, REGISTRY.metadata)
    async with factory() as uow:
        await subscription.handler(erased(priya, priyas_application), uow)
        await uow.commit()

    assert handled == [priya]
    assert subscription.key == "forget"  # the inbox key is unchanged
    assert await outbox(probe_engine) == [(amaras.event_id, amara, False)]


async def test_other_subscriptions_are_left_as_they_are() -> None:
    async def record(event: Any, uow: UnitOfWork) -> None:
        return None

    subscription = Subscription(ApplicationWithdrawn, record, "record")

    assert with_platform_erasure(subscription, dead_letters=None) is subscription


async def test_published_rows_are_deleted_after_the_retention_and_no_sooner(
    probe_engine: AsyncEngine, relay: OutboxRelay
) -> None:
    now = datetime.now(UTC)
    old, recent, unsent = (withdrawn(uuid4(), uuid4()) for _ in range(3))
    await write(probe_engine, old, recent, unsent)
    await mark_published(probe_engine, old.event_id, now - timedelta(days=7, minutes=1))
    await mark_published(probe_engine, recent.event_id, now - timedelta(days=6, hours=23))

    assert await relay.purge_published(now) == 1

    assert [row[0] for row in await outbox(probe_engine)] == [recent.event_id, unsent.event_id]


async def test_an_erased_persons_dead_letters_are_deleted_and_the_others_kept_in_order(
    broker_namespace: BrokerNamespace,
) -> None:
    queue = f"{broker_namespace.prefix}probe.application-withdrawn"
    broker_namespace.extra_queues.add(queue)
    priya, application = uuid4(), uuid4()
    others = [withdrawn(uuid4(), uuid4()) for _ in range(3)]
    letters = [others[0], withdrawn(priya, application), others[1], others[2]]
    connection = await aio_pika.connect(broker_namespace.amqp_url)
    try:
        channel = await connection.channel()
        dlq = await channel.declare_queue(f"{queue}.dlq", durable=True)
        for letter in letters:
            await channel.default_exchange.publish(
                aio_pika.Message(letter.model_dump_json().encode(), message_id=str(letter.event_id)),
                routing_key=dlq.name,
            )
        # One more of hers that only its correlation id gives away (a body that is not JSON).
        await channel.default_exchange.publish(
            aio_pika.Message(b"not json", correlation_id=str(application)), routing_key=dlq.name
        )

        deleted = await erase_dead_letters(
            broker_namespace.amqp_url,
            [queue, f"{broker_namespace.prefix}no.such"],
            ErasedPerson(priya, (application,)),
        )

        left = []
        while (message := await dlq.get(no_ack=True, fail=False)) is not None:
            left.append(message.message_id)
    finally:
        await connection.close()
    assert deleted == 2
    assert left == [str(e.event_id) for e in others]
