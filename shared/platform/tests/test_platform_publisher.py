"""The AMQP publisher tells the relay exactly which messages of a batch the broker confirmed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from rtw_platform.messaging import AmqpEventPublisher
from rtw_platform.outbox import OutboxMessage, PartialPublish

pytestmark = pytest.mark.unit


class Exchange:
    """An exchange whose publish returns once "confirmed", or raises for the refused routing keys."""

    def __init__(self, refused: set[str]) -> None:
        self.refused = refused
        self.sent: list[str] = []

    async def publish(self, message: Any, *, routing_key: str, timeout: float) -> None:
        if routing_key in self.refused:
            raise TimeoutError(f"no confirm for {routing_key}")
        self.sent.append(routing_key)


def message(number: int) -> OutboxMessage:
    return OutboxMessage(
        id=number,
        event_id=uuid4(),
        event_type="ApplicationWithdrawn",
        routing_key=f"key.{number}",
        correlation_id=uuid4(),
        body=b"{}",
        created_at=datetime.now(UTC),
    )


def publisher(exchange: Exchange) -> AmqpEventPublisher:
    amqp = AmqpEventPublisher("amqp://unused", type("X", (), {"name": "events"})(), app_id="probe")

    async def ensure() -> Any:
        return exchange

    amqp._ensure = ensure  # type: ignore[method-assign]
    return amqp


async def test_a_batch_returns_only_once_every_message_is_confirmed() -> None:
    exchange = Exchange(refused=set())

    await publisher(exchange)([message(1), message(2), message(3)])

    assert sorted(exchange.sent) == ["key.1", "key.2", "key.3"]


async def test_a_partly_confirmed_batch_names_only_the_confirmed_messages() -> None:
    exchange = Exchange(refused={"key.2"})

    with pytest.raises(PartialPublish) as raised:
        await publisher(exchange)([message(1), message(2), message(3)])

    assert raised.value.published == {1, 3}
    assert isinstance(raised.value.error, TimeoutError)


async def test_a_batch_the_broker_refused_entirely_names_none() -> None:
    exchange = Exchange(refused={"key.1", "key.2"})

    with pytest.raises(PartialPublish) as raised:
        await publisher(exchange)([message(1), message(2)])

    assert raised.value.published == set()
