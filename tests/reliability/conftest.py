"""Fixtures for the reliability tests: the probe service on the real broker and database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import pytest_asyncio
from rtw_contracts import Event
from rtw_contracts.examples import example
from rtw_platform.publishers import amqp_user
from rtw_platform.testing.fixtures import BrokerNamespace
from rtw_platform.testing.probe import PROBE_EVENT, create_tables
from sqlalchemy.ext.asyncio import create_async_engine


@pytest_asyncio.fixture
async def probe_tables(clean_database: str) -> AsyncIterator[str]:
    """The probe's tables in the test database."""
    engine = create_async_engine(clean_database)
    await create_tables(engine)
    async with engine.begin() as conn:
        await conn.exec_driver_sql("TRUNCATE rtw_probe.effects, rtw_probe.inbox, rtw_probe.outbox")
    await engine.dispose()
    yield clean_database


@pytest_asyncio.fixture
async def publish_raw(broker_namespace: BrokerNamespace) -> AsyncIterator[Callable[..., Any]]:
    """Publish bytes to the test's events exchange as any producer would (persistent, confirmed)."""
    connection = await aio_pika.connect(broker_namespace.amqp_url)
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.declare_exchange(
        f"{broker_namespace.prefix}rtw.events", aio_pika.ExchangeType.TOPIC, durable=True
    )

    async def publish(
        body: bytes, *, routing_key: str = PROBE_EVENT.ROUTING_KEY, message_id: str | None = None
    ) -> None:
        await exchange.publish(
            aio_pika.Message(
                body,
                message_id=message_id or str(uuid4()),
                user_id=amqp_user(broker_namespace.amqp_url),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            ),
            routing_key=routing_key,
        )

    yield publish
    await connection.close()


def probe_event(event_id: UUID | None = None) -> Event:
    """A valid event of the kind the probe consumes."""
    return example(PROBE_EVENT, event_id=event_id or uuid4(), correlation_id=uuid4())
