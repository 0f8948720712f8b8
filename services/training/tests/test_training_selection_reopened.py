"""SelectionReopened in training: the enrolment a reopened selection made is withdrawn unless
training has begun, a stale reopening changes nothing, and the new selection enrols again (and
says so with TrainingEnrolled)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_contracts import AssessmentScored, Event, SelectionReopened
from rtw_contracts.examples import example
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from rtw_training.app import SERVICE
from rtw_training.models import Enrolment, Learner
from sqlalchemy import text
from sqlmodel import select

pytestmark = pytest.mark.component

COHORT = "ict-2026"
TRAINER = Principal("socitm", Role.TRAINER, provider_id="socitm")
ADMIN = Principal("admin-1", Role.ADMIN)


@pytest_asyncio.fixture
async def service(start_service: Callable[..., Any]) -> ServiceRuntime:
    runtime: ServiceRuntime = await start_service(SERVICE, in_memory_broker=True, relay_enabled=False)
    return runtime


@pytest_asyncio.fixture
async def client(service: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
    async with TestRabbitBroker(service.broker):
        transport = httpx.ASGITransport(app=app_for(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://training") as http:
            yield http


def auth(service: ServiceRuntime, principal: Principal) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {issue_token(service.settings.token_secret.get_secret_value(), principal)}"
    }


async def deliver(service: ServiceRuntime, event: Event) -> None:
    await service.broker.publish(
        event.model_dump(mode="json"),
        exchange=service.topology.events_exchange,
        routing_key=event.ROUTING_KEY,
    )


async def enrolled_events(service: ServiceRuntime, application_id: UUID) -> list[dict[str, Any]]:
    async with service.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM training.outbox WHERE event_type = 'TrainingEnrolled' ORDER BY id")
        )
        return [r.payload for r in rows if r.payload["application_id"] == str(application_id)]


async def enrolment_of(service: ServiceRuntime, application_id: UUID) -> Enrolment:
    async with service.uow_factory() as uow:
        found = (
            await uow.session.exec(select(Enrolment).where(Enrolment.application_id == application_id))
        ).one()
    return found


def selected(application_id: UUID, candidate_id: UUID, sequence: int, at: datetime) -> AssessmentScored:
    return example(
        AssessmentScored,
        event_id=uuid4(),
        correlation_id=application_id,
        application_id=application_id,
        candidate_id=candidate_id,
        cohort_id=COHORT,
        stage="final",
        outcome="selected",
        sequence=sequence,
        decided_at=at,
    )


def reopening(
    application_id: UUID, candidate_id: UUID, sequence: int, closed_at: datetime
) -> SelectionReopened:
    return example(
        SelectionReopened,
        event_id=uuid4(),
        correlation_id=application_id,
        application_id=application_id,
        candidate_id=candidate_id,
        cohort_id=COHORT,
        withdrawn_outcome="selected",
        sequence=sequence,
        selection_closed_at=closed_at,
        reopened_at=datetime.now(UTC),
    )


async def selected_learner(service: ServiceRuntime) -> tuple[UUID, UUID, datetime]:
    application_id, candidate_id = uuid4(), uuid4()
    closed_at = datetime.now(UTC) - timedelta(minutes=5)
    await deliver(service, selected(application_id, candidate_id, 5, closed_at))
    assert len(await enrolled_events(service, application_id)) == 1
    return application_id, candidate_id, closed_at


async def test_reopening_withdraws_the_enrolment_the_selection_made_and_reselection_enrols_again(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    application_id, candidate_id, closed_at = await selected_learner(service)

    await deliver(service, reopening(application_id, candidate_id, 6, closed_at))

    enrolment = await enrolment_of(service, application_id)
    assert enrolment.status == "withdrawn"
    assert enrolment.withdrawn_at is not None
    async with service.uow_factory() as uow:
        learner = await uow.session.get(Learner, application_id)
    assert learner is not None
    assert (learner.assessment_outcome, learner.assessment_sequence) == (None, 6)

    await deliver(service, selected(application_id, candidate_id, 7, datetime.now(UTC)))

    again = await enrolment_of(service, application_id)
    assert (again.id, again.status, again.withdrawn_at) == (enrolment.id, "enrolled", None)
    announced = await enrolled_events(service, application_id)
    assert [e["sequence"] for e in announced] == [1, 2]
    assert announced[1]["enrolment_id"] == str(enrolment.id)


async def test_an_enrolment_whose_training_has_begun_is_kept(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    application_id, candidate_id, closed_at = await selected_learner(service)
    enrolment = await enrolment_of(service, application_id)
    provider = {"id": "socitm", "name": "Socitm training", "cohorts": [COHORT]}
    assert (
        await client.put("/providers/socitm", json=provider, headers=auth(service, ADMIN))
    ).status_code == 200
    done = await client.post(
        f"/enrolments/{enrolment.id}/modules/technical-skills/complete",
        json={"hours": 10},
        headers=auth(service, TRAINER),
    )
    assert done.status_code == 200, done.text

    await deliver(service, reopening(application_id, candidate_id, 6, closed_at))

    assert (await enrolment_of(service, application_id)).status == "enrolled"


async def test_an_enrolment_made_before_the_reopened_selection_or_a_stale_reopening_changes_nothing(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    application_id, candidate_id, _ = await selected_learner(service)

    # Enrolled before this selection was confirmed (e.g. by an earlier override): not its doing.
    await deliver(
        service, reopening(application_id, candidate_id, 6, datetime.now(UTC) + timedelta(minutes=1))
    )
    assert (await enrolment_of(service, application_id)).status == "enrolled"

    other_application, other_candidate, other_closed = await selected_learner(service)
    await deliver(service, reopening(other_application, other_candidate, 4, other_closed))  # older than 5
    assert (await enrolment_of(service, other_application)).status == "enrolled"
