"""Erasure over the real broker reaches the service's dead letters: a message about the person
that a consumer gave up on is deleted from its DLQ when CandidateErased is handled; the others
stay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import aio_pika
import pytest
from rtw_contracts import ApplicationWithdrawn, CandidateErased
from rtw_contracts.examples import example
from rtw_platform.dlq import peek
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import BrokerNamespace
from rtw_platform.testing.waiting import eventually
from rtw_training.app import SERVICE as TRAINING

pytestmark = pytest.mark.integration


async def test_an_erased_persons_dead_letters_are_deleted_when_the_service_erases_them(
    start_service: Callable[..., Any], broker_namespace: BrokerNamespace
) -> None:
    runtime: ServiceRuntime = await start_service(TRAINING)
    queue = runtime.topology.queue_name(ApplicationWithdrawn)
    priya, application = uuid4(), uuid4()
    hers = example(ApplicationWithdrawn, event_id=uuid4(), candidate_id=priya, application_id=application)
    someone_elses = example(ApplicationWithdrawn, event_id=uuid4())
    connection = await aio_pika.connect(broker_namespace.amqp_url)
    try:
        channel = await connection.channel()
        for letter in (hers, someone_elses):
            await channel.default_exchange.publish(
                aio_pika.Message(letter.model_dump_json().encode(), message_id=str(letter.event_id)),
                routing_key=f"{queue}.dlq",
            )
    finally:
        await connection.close()

    await broker_namespace.publish_event(
        example(
            CandidateErased,
            event_id=uuid4(),
            candidate_id=priya,
            application_ids=[application],
            erased_at=datetime.now(UTC),
        )
    )

    async def left() -> list[str | None] | None:
        ids = [letter.message_id for letter in await peek(broker_namespace.amqp_url, queue)]
        return ids if str(hers.event_id) not in ids else None

    assert await eventually(left, what="her dead letter to be deleted") == [str(someone_elses.event_id)]
