"""A deployment made when every queue dead-lettered through the one shared `rtw.dlx`: `rtw broker
setup` moves each queue onto its service's own dead-letter exchange (a queue's dead-letter
exchange cannot change in place), keeping every message with its `user_id`, its bindings and its
DLQ's letters; the service can declare its queue again. On the local RabbitMQ in a throwaway
vhost with throwaway users."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import aio_pika
import httpx
import pytest
import pytest_asyncio
from aiormq.exceptions import ChannelPreconditionFailed
from rtw_contracts import AssessmentScored
from rtw_platform import dlq
from rtw_platform.broker_setup import BrokerSetupFailed, setup_broker
from rtw_platform.dead_letter_migration import HOLDING_SUFFIX
from rtw_platform.testing.broker_users import DEFINITIONS, MANAGEMENT, Broker
from rtw_platform.topology import Topology

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

TOPOLOGY = Topology("training")
QUEUE = TOPOLOGY.queue_name(AssessmentScored)


def _admin_url(broker: Broker) -> str:
    return f"amqp://guest:guest@{broker.amqp_host}/{quote(broker.settings.vhost, safe='')}"


def _management(broker: Broker, path: str) -> Any:
    vhost = quote(broker.settings.vhost, safe="")
    with httpx.Client(base_url=f"{MANAGEMENT}/api", auth=("guest", "guest"), timeout=15) as api:
        response = api.get(path.format(vhost=vhost))
        return response.json() if response.status_code == 200 else None


@pytest_asyncio.fixture
async def old_deployment(broker: Broker) -> AsyncIterator[Broker]:
    """The vhost as it was: training's queue dead-lettering through `rtw.dlx`, one event waiting
    in it (published by assessment's user) and one letter in its DLQ."""
    await asyncio.to_thread(setup_broker, broker.settings, DEFINITIONS)
    arguments = dict(TOPOLOGY.queue(AssessmentScored).arguments or {})
    arguments["x-dead-letter-exchange"] = "rtw.dlx"
    connection = await aio_pika.connect(_admin_url(broker), timeout=10)
    try:
        channel = await connection.channel(publisher_confirms=True)
        shared = await channel.declare_exchange("rtw.dlx", aio_pika.ExchangeType.DIRECT, durable=True)
        queue = await channel.declare_queue(QUEUE, durable=True, arguments=arguments)
        await queue.bind("rtw.events", routing_key=AssessmentScored.ROUTING_KEY)
        dead = await channel.declare_queue(
            f"{QUEUE}.dlq", durable=True, arguments={"x-queue-type": "classic"}
        )
        await dead.bind(shared, routing_key=QUEUE)
        await shared.publish(aio_pika.Message(b"{}", message_id="letter-1"), routing_key=QUEUE)
    finally:
        await connection.close()
    await _publish_scored(broker, "event-1")
    yield broker


async def _publish_scored(broker: Broker, message_id: str) -> None:
    connection = await aio_pika.connect(broker.url("assessment"), timeout=10)
    try:
        channel = await connection.channel(publisher_confirms=True)
        events = await channel.get_exchange("rtw.publish.assessment", ensure=False)
        await events.publish(
            aio_pika.Message(b"{}", message_id=message_id, user_id=broker.users["assessment"]),
            routing_key=AssessmentScored.ROUTING_KEY,
        )
    finally:
        await connection.close()


async def _declare_as_training(broker: Broker) -> None:
    connection = await aio_pika.connect(broker.url("training"), timeout=10)
    try:
        channel = await connection.channel()
        await channel.declare_queue(QUEUE, durable=True, arguments=TOPOLOGY.queue(AssessmentScored).arguments)
    finally:
        await connection.close()


async def _keep(message: aio_pika.abc.AbstractIncomingMessage) -> None:
    """A consumer that holds what it gets (back in the queue when it goes)."""


async def _waiting(broker: Broker) -> list[tuple[str | None, str | None]]:
    """(message_id, user_id) of every message in training's queue (all put back afterwards)."""
    connection = await aio_pika.connect(_admin_url(broker), timeout=10)
    found = []
    try:
        channel = await connection.channel()
        queue = await channel.get_queue(QUEUE, ensure=False)
        while (message := await queue.get(no_ack=False, fail=False)) is not None:
            found.append((message.message_id, message.user_id))
    finally:
        await connection.close()  # unacknowledged: back in the queue
    return found


async def test_setup_moves_a_queue_onto_its_services_own_dead_letter_exchange_losing_nothing(
    old_deployment: Broker,
) -> None:
    broker = old_deployment
    with pytest.raises(ChannelPreconditionFailed):  # the service could not start consuming
        await _declare_as_training(broker)

    result = await asyncio.to_thread(setup_broker, broker.settings, DEFINITIONS)

    assert result.moved == [QUEUE]
    queue = _management(broker, f"/queues/{{vhost}}/{QUEUE}")
    assert queue["arguments"]["x-dead-letter-exchange"] == "rtw.dlx.training"
    assert _management(broker, f"/queues/{{vhost}}/{QUEUE}{HOLDING_SUFFIX}") is None
    await _declare_as_training(broker)  # the service declares its queue again
    # The waiting event, still vouched for by its publisher's user; the DLQ keeps its letter.
    assert await _waiting(broker) == [("event-1", broker.users["assessment"])]
    assert (await dlq.count(broker.url("dead-letters"), [QUEUE]))[QUEUE] == 1
    # Still bound: a new event reaches it.
    await _publish_scored(broker, "event-2")
    assert sorted(await _waiting(broker)) == [
        ("event-1", broker.users["assessment"]),
        ("event-2", broker.users["assessment"]),
    ]
    # Nothing left to move; the migration's user is gone.
    again = await asyncio.to_thread(setup_broker, broker.settings, DEFINITIONS)
    assert again.moved == []
    users = {user["name"] for user in _management(broker, "/users")}
    assert not any(name.startswith(broker.settings.user_prefix + "rtw-broker-migration") for name in users)


async def test_setup_leaves_a_queue_being_read_and_names_the_service_to_stop(
    old_deployment: Broker,
) -> None:
    broker = old_deployment
    connection = await aio_pika.connect(_admin_url(broker), timeout=10)
    try:
        channel = await connection.channel()
        queue = await channel.get_queue(QUEUE, ensure=False)
        await queue.consume(_keep, no_ack=False)
        with pytest.raises(BrokerSetupFailed, match=f"queue {QUEUE} is being read: stop the training"):
            await asyncio.to_thread(setup_broker, broker.settings, DEFINITIONS)
    finally:
        await connection.close()
    assert (
        _management(broker, f"/queues/{{vhost}}/{QUEUE}")["arguments"]["x-dead-letter-exchange"] == "rtw.dlx"
    )
    assert await _waiting(broker) == [("event-1", broker.users["assessment"])]
