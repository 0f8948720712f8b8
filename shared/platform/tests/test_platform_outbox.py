"""The outbox relay and the unit of work against real PostgreSQL, with a fake publisher."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
import pytest_asyncio
from prometheus_client import REGISTRY as METRICS
from rtw_contracts import ApplicationWithdrawn, Event
from rtw_contracts.examples import example
from rtw_platform.outbox import OutboxMessage, OutboxRelay, PartialPublish, decode_body
from rtw_platform.testing.probe import PROBE_SCHEMA, REGISTRY, Effect
from rtw_platform.testing.waiting import eventually
from rtw_platform.uow import UnitOfWorkFactory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

pytestmark = pytest.mark.component


def event() -> Event:
    return example(ApplicationWithdrawn, event_id=uuid4(), correlation_id=uuid4())


class FakePublisher:
    """Records what it was asked to publish; fails while told to."""

    def __init__(self) -> None:
        self.batches: list[list[OutboxMessage]] = []
        self.failures_left = 0

    async def __call__(self, batch: Sequence[OutboxMessage]) -> None:
        if self.failures_left > 0:
            self.failures_left -= 1
            raise ConnectionError("broker unreachable")
        self.batches.append(list(batch))

    @property
    def event_ids(self) -> list[UUID]:
        return [m.event_id for batch in self.batches for m in batch]


@pytest_asyncio.fixture
async def relays(probe_engine: AsyncEngine) -> AsyncIterator[Callable[..., OutboxRelay]]:
    """Make relays of the probe's outbox; all are stopped afterwards."""
    url = probe_engine.url.render_as_string(hide_password=False)
    made: list[OutboxRelay] = []

    def make(publish: Any, **options: Any) -> OutboxRelay:
        options.setdefault("service", "probe")
        relay = OutboxRelay(database_url=url, schema=PROBE_SCHEMA, publish=publish, **options)
        made.append(relay)
        return relay

    yield make
    for relay in made:
        await relay.stop()


async def write(engine: AsyncEngine, *events: Event) -> None:
    """Write events to the outbox, one committed unit of work each."""
    factory = UnitOfWorkFactory(engine, REGISTRY.metadata)
    for e in events:
        async with factory() as uow:
            uow.publish(e)
            await uow.commit()


async def outbox(engine: AsyncEngine) -> list[dict[str, Any]]:
    async with engine.connect() as conn:
        result = await conn.execute(
            text(
                f"SELECT event_id, published_at, attempts, last_error FROM {PROBE_SCHEMA}.outbox ORDER BY id"
            )
        )
        return [dict(row._mapping) for row in result]


async def test_events_are_published_in_the_order_written_and_marked_published(
    probe_engine: AsyncEngine, relays: Callable[..., OutboxRelay]
) -> None:
    events = [event() for _ in range(5)]
    await write(probe_engine, *events)
    publisher = FakePublisher()
    relay = relays(publisher)

    assert await relay.backlog() == 5
    assert await relay.relay_once() == 5

    assert publisher.event_ids == [e.event_id for e in events]
    rows = await outbox(probe_engine)
    assert all(r["published_at"] is not None for r in rows)
    assert [r["attempts"] for r in rows] == [1] * 5
    assert await relay.backlog() == 0
    assert await relay.relay_once() == 0
    assert len(publisher.event_ids) == 5


async def test_a_published_message_carries_the_event(
    probe_engine: AsyncEngine, relays: Callable[..., OutboxRelay]
) -> None:
    written = event()
    await write(probe_engine, written)
    publisher = FakePublisher()

    await relays(publisher).relay_once()

    [message] = publisher.batches[0]
    assert message.event_id == written.event_id
    assert message.event_type == "ApplicationWithdrawn"
    assert message.routing_key == ApplicationWithdrawn.ROUTING_KEY
    assert message.correlation_id == written.correlation_id
    assert ApplicationWithdrawn.model_validate(decode_body(message)) == written


async def test_batches_respect_the_batch_size_and_keep_the_order(
    probe_engine: AsyncEngine, relays: Callable[..., OutboxRelay]
) -> None:
    events = [event() for _ in range(7)]
    await write(probe_engine, *events)
    publisher = FakePublisher()

    assert await relays(publisher, batch_size=3).drain() == 7

    assert [len(b) for b in publisher.batches] == [3, 3, 1]
    assert publisher.event_ids == [e.event_id for e in events]


async def test_a_failed_publish_leaves_the_events_waiting_with_the_error_noted(
    probe_engine: AsyncEngine, relays: Callable[..., OutboxRelay]
) -> None:
    events = [event() for _ in range(3)]
    await write(probe_engine, *events)
    publisher = FakePublisher()
    publisher.failures_left = 1
    relay = relays(publisher)

    with pytest.raises(ConnectionError, match="broker unreachable"):
        await relay.relay_once()

    rows = await outbox(probe_engine)
    assert [r["published_at"] for r in rows] == [None] * 3
    assert [r["attempts"] for r in rows] == [1] * 3
    assert all("broker unreachable" in r["last_error"] for r in rows)
    assert await relay.backlog() == 3

    assert await relay.relay_once() == 3

    assert publisher.event_ids == [e.event_id for e in events]
    rows = await outbox(probe_engine)
    assert all(r["published_at"] is not None for r in rows)
    assert [r["attempts"] for r in rows] == [2] * 3
    assert [r["last_error"] for r in rows] == [None] * 3


async def test_two_relays_never_publish_the_same_event(
    probe_engine: AsyncEngine, relays: Callable[..., OutboxRelay]
) -> None:
    events = [event() for _ in range(30)]
    await write(probe_engine, *events)
    first_claimed = asyncio.Event()
    second_published = asyncio.Event()
    published: dict[str, list[UUID]] = {"a": [], "b": []}

    async def publish_a(batch: Sequence[OutboxMessage]) -> None:
        if not first_claimed.is_set():
            first_claimed.set()
            # Hold this batch's row locks until the other relay has published a batch of its own:
            # it must skip the locked rows, not wait for them.
            await asyncio.wait_for(second_published.wait(), timeout=10)
        published["a"].extend(m.event_id for m in batch)
        await asyncio.sleep(0.01)

    async def publish_b(batch: Sequence[OutboxMessage]) -> None:
        published["b"].extend(m.event_id for m in batch)
        second_published.set()
        await asyncio.sleep(0.01)

    relay_a = relays(publish_a, batch_size=4)
    relay_b = relays(publish_b, batch_size=4)
    first = asyncio.create_task(relay_a.relay_once())
    await asyncio.wait_for(first_claimed.wait(), timeout=10)
    await relay_b.relay_once()
    await first
    await asyncio.gather(relay_a.drain(), relay_b.drain())

    everything = published["a"] + published["b"]
    assert published["a"], "relay a published nothing"
    assert published["b"], "relay b published nothing"
    assert len(everything) == len(set(everything)) == 30
    assert set(everything) == {e.event_id for e in events}
    assert all(r["attempts"] == 1 for r in await outbox(probe_engine))


async def test_a_running_relay_publishes_a_commit_without_waiting_for_its_poll(
    probe_engine: AsyncEngine, relays: Callable[..., OutboxRelay]
) -> None:
    publisher = FakePublisher()
    service = f"probe-{uuid4().hex[:8]}"
    relay = relays(publisher, poll_interval_s=60, service=service)
    await relay.start()

    async def sleeping() -> bool:
        # The relay reports its backlog at the end of a round, just before it sleeps.
        return METRICS.get_sample_value("rtw_outbox_backlog", {"service": service}) is not None

    # Generous waits (liveness, not speed: a loaded CI machine took over 5 s for the first round);
    # both stay well under the 60 s poll, so a publish in time still proves the commit woke it.
    await eventually(sleeping, timeout=30, what="the relay's first round")
    written = event()

    await write(probe_engine, written)

    async def published() -> bool:
        return written.event_id in publisher.event_ids

    await eventually(published, timeout=30, what="the relay to be woken by the commit")


async def test_a_unit_of_work_left_without_commit_writes_nothing(
    probe_engine: AsyncEngine,
) -> None:
    factory = UnitOfWorkFactory(probe_engine, REGISTRY.metadata)

    async with factory() as uow:
        uow.session.add(Effect(event_id=uuid4(), created_at=datetime.now(UTC)))
        uow.publish(event())
        await uow.session.flush()
        assert len(uow.pending_events) == 1

    async def failing_use_case() -> None:
        async with factory() as uow:
            uow.publish(event())
            raise RuntimeError("use case failed")

    with pytest.raises(RuntimeError, match="use case failed"):
        await failing_use_case()

    assert await outbox(probe_engine) == []
    async with probe_engine.connect() as conn:
        effects = await conn.execute(text(f"SELECT count(*) FROM {PROBE_SCHEMA}.effects"))
        assert effects.scalar_one() == 0


async def test_a_committed_unit_of_work_writes_its_state_and_events_together(
    probe_engine: AsyncEngine,
) -> None:
    factory = UnitOfWorkFactory(probe_engine, REGISTRY.metadata)
    first, second = event(), event()

    async with factory() as uow:
        uow.session.add(Effect(event_id=first.event_id, created_at=datetime.now(UTC)))
        uow.publish(first, second)
        await uow.commit()
        assert uow.pending_events == ()

    assert [r["event_id"] for r in await outbox(probe_engine)] == [
        first.event_id,
        second.event_id,
    ]
    async with probe_engine.connect() as conn:
        effects = await conn.execute(text(f"SELECT count(*) FROM {PROBE_SCHEMA}.effects"))
        assert effects.scalar_one() == 1


async def test_a_partly_confirmed_batch_marks_only_the_confirmed_events_published(
    probe_engine: AsyncEngine, relays: Callable[..., OutboxRelay]
) -> None:
    events = [event() for _ in range(3)]
    await write(probe_engine, *events)

    async def first_two_confirmed(batch: Sequence[OutboxMessage]) -> None:
        raise PartialPublish({batch[0].id, batch[1].id}, TimeoutError("no confirm"))

    relay = relays(first_two_confirmed)
    with pytest.raises(PartialPublish):
        await relay.relay_once()

    rows = await outbox(probe_engine)
    assert [r["published_at"] is not None for r in rows] == [True, True, False]
    assert [r["last_error"] is None for r in rows] == [True, True, False]
    assert "no confirm" in rows[2]["last_error"]
    assert await relay.backlog() == 1

    publisher = FakePublisher()
    assert await relays(publisher).relay_once() == 1
    assert publisher.event_ids == [events[2].event_id]


async def test_the_outbox_rows_commit_only_with_the_business_transaction(
    probe_engine: AsyncEngine,
) -> None:
    """A commit that fails after the outbox rows were written leaves no event behind: the rows are
    written in the use case's own transaction, not one of their own."""
    factory = UnitOfWorkFactory(probe_engine, REGISTRY.metadata)

    async def commit_fails() -> None:
        raise ConnectionError("the database went away during the commit")

    async def use_case() -> None:
        async with factory() as uow:
            uow.session.add(Effect(event_id=uuid4(), created_at=datetime.now(UTC)))
            uow.publish(event())
            uow.session.commit = commit_fails  # type: ignore[method-assign]
            await uow.commit()

    with pytest.raises(ConnectionError):
        await use_case()

    assert await outbox(probe_engine) == []
    async with probe_engine.connect() as conn:
        effects = await conn.execute(text(f"SELECT count(*) FROM {PROBE_SCHEMA}.effects"))
        assert effects.scalar_one() == 0
