"""Erasure over the real broker reaches the service's dead letters: a message about the person
that a consumer gave up on is deleted from its DLQ when CandidateErased is handled; the others
stay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import httpx
import pytest
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_applications.testing import submitted_application
from rtw_contracts import ApplicationWithdrawn, AssessmentScored, CandidateErased
from rtw_contracts.examples import example
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.dlq import peek
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import BrokerNamespace, app_for
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


async def test_applications_erasure_deletes_its_own_dead_letters_about_the_person(
    start_service: Callable[..., Any],
    broker_namespace: BrokerNamespace,
    make_application: Callable[..., dict[str, Any]],
) -> None:
    """Applications publishes CandidateErased rather than consuming it, so its erasure deletes its
    own dead letters about the person itself, once the erasure has committed."""
    runtime: ServiceRuntime = await start_service(APPLICATIONS)
    secret = runtime.settings.token_secret.get_secret_value()
    admin = {"Authorization": f"Bearer {issue_token(secret, Principal('admin-1', Role.ADMIN))}"}
    transport = httpx.ASGITransport(app=app_for(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://applications") as client:
        receipt = await submitted_application(client, secret, make_application())
        priya, application = UUID(receipt["candidate_id"]), UUID(receipt["application_id"])
        queue = runtime.topology.queue_name(AssessmentScored)
        hers = example(AssessmentScored, event_id=uuid4(), candidate_id=priya, application_id=application)
        someone_elses = example(AssessmentScored, event_id=uuid4())
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

        async def both_there() -> bool:
            return len(await peek(broker_namespace.amqp_url, queue)) == 2

        await eventually(both_there, what="two dead letters")
        erased = await client.post(f"/candidates/{priya}/erasure", headers=admin)
        assert erased.status_code == 200, erased.text

    left = [letter.message_id for letter in await peek(broker_namespace.amqp_url, queue)]
    assert left == [str(someone_elses.event_id)]
