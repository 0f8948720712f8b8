"""From a selected candidate to TrainingCompleted over the real broker: applications and training
running, the selection published as assessment would, a provider recording progress."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import httpx
import pytest
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_applications.testing import submitted_application
from rtw_contracts import AssessmentScored, TrainingCompleted
from rtw_contracts.examples import example
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.publishers import amqp_user
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import BrokerNamespace, app_for
from rtw_platform.testing.waiting import eventually
from rtw_training.app import SERVICE as TRAINING
from rtw_training.curricula import ICT

pytestmark = pytest.mark.e2e


async def test_a_selected_candidate_trains_and_gets_a_verifiable_certificate(
    start_service: Callable[..., Any],
    make_application: Callable[..., dict[str, Any]],
    broker_namespace: BrokerNamespace,
) -> None:
    applications: ServiceRuntime = await start_service(APPLICATIONS)
    training: ServiceRuntime = await start_service(TRAINING)
    secret = training.settings.token_secret.get_secret_value()
    admin = {"Authorization": f"Bearer {issue_token(secret, Principal('admin', Role.ADMIN))}"}
    trainer_token = issue_token(secret, Principal("socitm", Role.TRAINER, provider_id="socitm"))
    trainer = {"Authorization": f"Bearer {trainer_token}"}

    # Watch the broker for TrainingCompleted, as another team's service would.
    watcher = f"{broker_namespace.prefix}watch.training-completed"
    broker_namespace.extra_queues.add(watcher)
    connection = await aio_pika.connect(broker_namespace.amqp_url)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(
        f"{broker_namespace.prefix}rtw.events", aio_pika.ExchangeType.TOPIC, durable=True
    )
    queue = await channel.declare_queue(watcher, durable=False, auto_delete=True)
    await queue.bind(exchange, routing_key=TrainingCompleted.ROUTING_KEY)

    apps = httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(applications)), base_url="http://a")
    train = httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(training)), base_url="http://t")
    try:
        async with apps, train:
            receipt = await submitted_application(apps, secret, make_application())
            candidate = {"Authorization": f"Bearer {receipt['access_token']}"}
            application_id = UUID(receipt["application_id"])
            candidate_id = UUID(receipt["candidate_id"])
            provider = {"id": "socitm", "name": "Socitm", "cohorts": ["ict-test"]}
            assert (await train.put("/providers/socitm", json=provider, headers=admin)).status_code == 200

            selected = example(
                AssessmentScored,
                event_id=uuid4(),
                correlation_id=application_id,
                application_id=application_id,
                candidate_id=candidate_id,
                cohort_id="ict-test",
                stage="final",
                outcome="selected",
                sequence=9,
                decided_at=datetime.now(UTC),
            )
            await exchange.publish(
                aio_pika.Message(
                    selected.model_dump_json().encode(),
                    message_id=str(selected.event_id),
                    user_id=amqp_user(broker_namespace.amqp_url),
                ),
                routing_key=selected.ROUTING_KEY,
            )

            async def enrolled() -> dict[str, Any] | None:
                mine = (await train.get(f"/candidates/{candidate_id}/training", headers=candidate)).json()
                return mine["enrolments"][0] if mine.get("enrolments") else None

            enrolment = await eventually(enrolled, timeout=30, what="the enrolment")
            for module in ICT.required_modules:
                done = await train.post(
                    f"/enrolments/{enrolment['enrolment_id']}/modules/{module.id}/complete",
                    json={"hours": module.hours},
                    headers=trainer,
                )
                assert done.status_code == 200, done.text

            message = await asyncio.wait_for(_next_message(queue), timeout=30)
            completed = TrainingCompleted.model_validate_json(message)
            assert completed.application_id == application_id
            assert {"Programming and build (software engineering)", "User focus"} <= {
                s.skill for s in completed.skills_gained
            }

            certificate = (await train.get(f"/certificates/{completed.certificate_id}.json")).json()
            assert certificate["valid"] is True
            assert certificate["facts"]["name"] == "Amara Okafor"
            tampered = {**certificate["facts"], "name": "Someone Else"}
            check = await train.post(
                "/certificates/verify", json={"facts": tampered, "signature": certificate["signature"]}
            )
            assert check.json() == {"valid": False}

            async def journey_shows_training() -> list[str]:
                steps = (await apps.get(f"/applications/{application_id}", headers=candidate)).json()[
                    "journey"
                ]
                labels = [s["label"] for s in steps]
                return labels if any(label.startswith("Training completed") for label in labels) else []

            labels = await eventually(journey_shows_training, timeout=30, what="the journey to show training")
            assert "Training started" in labels
    finally:
        await connection.close()


async def _next_message(queue: aio_pika.abc.AbstractQueue) -> bytes:
    async with queue.iterator() as messages:
        async for message in messages:
            async with message.process():
                return message.body
    raise AssertionError("the queue closed")
