"""Consumers believe only the producer's broker user: over the real broker, an event published by
another broker user than its producer's (AMQP `user_id`, which RabbitMQ holds to the connection's
user) is dead-lettered with the reason; a genuine one is handled; the relay stamps `user_id` and
`app_id`."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import aio_pika
import asyncpg
import pytest
from aiormq.exceptions import ChannelAccessRefused
from faststream.rabbit import ExchangeType, RabbitExchange
from rtw_contracts import ApplicationWithdrawn, AssessmentScored
from rtw_contracts.examples import example
from rtw_platform.broker_setup import setup_broker
from rtw_platform.consumer_failures import ERROR_HEADER
from rtw_platform.db import asyncpg_dsn
from rtw_platform.dlq import peek, replay
from rtw_platform.messaging import AmqpEventPublisher
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.broker_users import DEFINITIONS, Broker
from rtw_platform.testing.events import outbox_message
from rtw_platform.testing.fixtures import BrokerNamespace
from rtw_platform.testing.waiting import eventually
from rtw_training.app import SERVICE as TRAINING

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def _handled(database_url: str, event_id: object) -> bool:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        return bool(
            await connection.fetchval("SELECT count(*) FROM training.inbox WHERE event_id = $1", event_id)
        )
    finally:
        await connection.close()


async def test_an_event_from_another_broker_user_than_its_producers_is_dead_lettered(
    start_service: Callable[..., Any], broker_namespace: BrokerNamespace, clean_database: str
) -> None:
    # Assessment publishes as this test's broker user (guest); applications as `rtw-applications`.
    runtime: ServiceRuntime = await start_service(
        TRAINING, publisher_user="rtw-{service}", publisher_users={"assessment": "guest"}
    )
    genuine = example(AssessmentScored, event_id=uuid4())
    forged = example(ApplicationWithdrawn, event_id=uuid4())
    await broker_namespace.publish_event(genuine)  # user_id guest: assessment's user
    await broker_namespace.publish_event(forged)  # user_id guest: not applications' user

    queue = runtime.topology.queue_name(ApplicationWithdrawn)
    [letter] = await eventually(lambda: peek(broker_namespace.amqp_url, queue), what="the dead letter")
    assert letter.message_id == str(forged.event_id)
    assert letter.error is not None
    assert letter.error.startswith("UnexpectedPublisher: application.withdrawn.v1 was published by ")
    assert "'guest', not by its producer's (rtw-applications)" in letter.error
    assert await eventually(lambda: _handled(clean_database, genuine.event_id), what="the genuine event")
    assert not await _handled(clean_database, forged.event_id)


async def test_a_message_without_user_id_is_dead_lettered(
    start_service: Callable[..., Any], broker_namespace: BrokerNamespace, clean_database: str
) -> None:
    runtime: ServiceRuntime = await start_service(TRAINING)
    forged = example(ApplicationWithdrawn, event_id=uuid4())
    connection = await aio_pika.connect(broker_namespace.amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(runtime.topology.events_exchange.name)
        body = forged.model_dump_json().encode()
        await exchange.publish(aio_pika.Message(body, message_id="no-user"), routing_key=forged.ROUTING_KEY)
    finally:
        await connection.close()
    queue = runtime.topology.queue_name(ApplicationWithdrawn)
    [letter] = await eventually(lambda: peek(broker_namespace.amqp_url, queue), what="the dead letter")
    assert letter.error is not None
    assert "'unknown (no user_id)'" in letter.error


async def test_the_relay_publishes_with_its_broker_user_and_service(
    broker_namespace: BrokerNamespace,
) -> None:
    """Through the service's own exchange, which the publisher makes and binds to the events
    exchange for the service's keys where it is missing (a local run)."""
    topology_exchange = f"{broker_namespace.prefix}rtw.events"
    own = f"{broker_namespace.prefix}rtw.publish.assessment"
    queue = f"{broker_namespace.prefix}ext.relay-probe"
    broker_namespace.extra_queues.add(queue)
    broker_namespace.extra_exchanges.add(own)
    publisher = AmqpEventPublisher(
        broker_namespace.amqp_url,
        RabbitExchange(own, type=ExchangeType.TOPIC, durable=True),
        app_id="assessment",
        binds_to=(topology_exchange, [AssessmentScored.ROUTING_KEY]),
    )
    connection = await aio_pika.connect(broker_namespace.amqp_url)
    try:
        await publisher([])
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, durable=True)
        await declared.bind(topology_exchange, routing_key=AssessmentScored.ROUTING_KEY)
        await publisher([outbox_message(example(AssessmentScored, event_id=uuid4()), 1)])
        message = await eventually(lambda: declared.get(fail=False), what="the message")
        assert (message.user_id, message.app_id) == ("guest", "assessment")
        await message.ack()
    finally:
        await publisher.close()
        await connection.close()


async def test_a_replayed_dead_letter_is_believed_for_its_first_publisher_with_a_user_per_service(
    broker: Broker, start_service: Callable[..., Any], clean_database: str
) -> None:
    """Per-service users (the real setup, a throwaway vhost): training dead-letters assessment's
    event while it expects another user for assessment; once it is told the right one, the
    dead-letter user's replay (published as itself) is handled, for the user it first came from."""
    await asyncio.to_thread(setup_broker, broker.settings, DEFINITIONS)
    as_deployed = {
        "amqp_url": broker.url("training"),
        "topology_prefix": "",
        "publisher_user": f"{broker.settings.user_prefix}rtw-{{service}}",
    }
    wrong = await start_service(TRAINING, **as_deployed, publisher_users={"assessment": "someone-else"})
    event = example(AssessmentScored, event_id=uuid4())
    await _publish_as(broker.url("assessment"), event)
    queue = wrong.topology.queue_name(AssessmentScored)
    dead_letters = broker.url("dead-letters")
    [letter] = await eventually(lambda: peek(dead_letters, queue), what="the dead letter")
    assert letter.error is not None
    assert f"'{broker.users['assessment']}', not by its producer's (someone-else)" in letter.error
    await wrong.stop()

    await start_service(TRAINING, **as_deployed)
    assert await replay(dead_letters, queue) == 1
    assert await eventually(lambda: _handled(clean_database, event.event_id), what="the replayed event")
    assert await peek(dead_letters, queue) == []


async def _publish_as(url: str, event: AssessmentScored) -> None:
    publisher = AmqpEventPublisher(
        url,
        RabbitExchange("rtw.publish.assessment", type=ExchangeType.TOPIC, durable=True),
        app_id="assessment",
    )
    try:
        await publisher([outbox_message(event, 1)])
    finally:
        await publisher.close()


async def test_another_services_user_cannot_put_a_letter_in_a_services_dead_letters(
    broker: Broker, start_service: Callable[..., Any], clean_database: str
) -> None:
    """Each service dead-letters through its own exchange `rtw.dlx.<service>`, which only its own
    broker user may write to: applications' user publishing a forged letter into training's DLQ
    is refused by the broker (403), as is declaring a queue of its own that dead-letters into
    training's exchange (RabbitMQ asks for write on a queue's dead-letter exchange when it is
    declared); the DLQ stays empty. A real failure in training still dead-letters into its own DLQ
    with training's user, and the dead-letter user's replay puts it back in the queue."""
    await asyncio.to_thread(setup_broker, broker.settings, DEFINITIONS)
    runtime: ServiceRuntime = await start_service(
        TRAINING,
        amqp_url=broker.url("training"),
        topology_prefix="",
        publisher_user=f"{broker.settings.user_prefix}rtw-{{service}}",
    )
    queue = runtime.topology.queue_name(AssessmentScored)
    dead_letter_exchange = runtime.topology.dead_letter_exchange.name
    assert dead_letter_exchange == "rtw.dlx.training"
    forged = example(AssessmentScored, event_id=uuid4())
    connection = await aio_pika.connect(broker.url("applications"))
    try:
        channel = await connection.channel(publisher_confirms=True)
        dlx = await channel.get_exchange(dead_letter_exchange, ensure=False)
        message = aio_pika.Message(
            forged.model_dump_json().encode(),
            message_id=str(forged.event_id),
            headers={ERROR_HEADER: "RuntimeError: looks like a failure"},
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        )
        with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
            await _publish_and_close(channel, dlx, message, queue)
        channel = await connection.channel()
        with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
            await channel.declare_queue(
                "applications.probe",
                durable=True,
                arguments={
                    "x-queue-type": "quorum",
                    "x-dead-letter-exchange": dead_letter_exchange,
                    "x-dead-letter-routing-key": queue,
                },
            )
    finally:
        await connection.close()

    dead_letters = broker.url("dead-letters")
    assert await peek(dead_letters, queue) == []

    # A real failure: assessment's own user publishes a scored event training cannot read.
    connection = await aio_pika.connect(broker.url("assessment"))
    try:
        channel = await connection.channel(publisher_confirms=True)
        events = await channel.get_exchange("rtw.publish.assessment", ensure=False)
        await events.publish(
            aio_pika.Message(b"not json", message_id="broken-1", user_id=broker.users["assessment"]),
            routing_key=AssessmentScored.ROUTING_KEY,
        )
    finally:
        await connection.close()
    [letter] = await eventually(lambda: peek(dead_letters, queue), what="the real dead letter")
    assert letter.message_id == "broken-1"
    assert letter.error is not None
    assert await replay(dead_letters, queue) == 1
    # Replayed (off the DLQ, back in the queue), it fails again and is dead-lettered again.
    [again] = await eventually(lambda: peek(dead_letters, queue), what="the replay's failure")
    assert again.message_id == "broken-1"


async def _publish_and_close(
    channel: aio_pika.abc.AbstractChannel,
    exchange: aio_pika.abc.AbstractExchange,
    message: aio_pika.Message,
    routing_key: str,
) -> None:
    await exchange.publish(message, routing_key=routing_key)
    await asyncio.sleep(0.5)  # a refused publish closes the channel asynchronously
    await channel.close()
