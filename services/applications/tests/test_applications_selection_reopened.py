"""SelectionReopened in the candidate's journey: the step shows in the timeline and the status
goes back to where it was before selection, until the new selection decides (the rule alone, and
through the service with the in-memory broker and real PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_applications.app import SERVICE
from rtw_applications.domain import JourneyStep, Stage, current_stage
from rtw_applications.testing import submitted_application
from rtw_contracts import (
    AssessmentOutcome,
    AssessmentScored,
    AssessmentStage,
    Event,
    SelectionReopened,
    TrainingEnrolled,
)
from rtw_contracts.examples import example
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.mark.unit
def test_a_reopened_selection_takes_back_the_decisions_and_enrolment_before_it_and_no_later_ones() -> None:
    before = [
        JourneyStep(Stage.SUBMITTED, at(0)),
        JourneyStep(Stage.SHORTLISTED, at(1)),
        JourneyStep(Stage.SECOND_STAGE_SUBMITTED, at(2)),
        JourneyStep(Stage.SCORED, at(3)),
        JourneyStep(Stage.SELECTED, at(4)),
        JourneyStep(Stage.ENROLLED, at(5)),
    ]
    assert current_stage(before) is Stage.ENROLLED
    reopened = [*before, JourneyStep(Stage.SELECTION_REOPENED, at(6))]
    assert current_stage(reopened) is Stage.SCORED
    rejected_unscored = [
        JourneyStep(Stage.SUBMITTED, at(0)),
        JourneyStep(Stage.SHORTLISTED, at(1)),
        JourneyStep(Stage.REJECTED, at(4)),
        JourneyStep(Stage.SELECTION_REOPENED, at(6)),
    ]
    assert current_stage(rejected_unscored) is Stage.SHORTLISTED
    decided_again = [*reopened, JourneyStep(Stage.WAITLISTED, at(7))]
    assert current_stage(decided_again) is Stage.WAITLISTED
    twice = [*decided_again, JourneyStep(Stage.SELECTION_REOPENED, at(8))]
    assert current_stage(twice) is Stage.SCORED


# --------------------------------------------------------------------------- through the service


@pytest_asyncio.fixture
async def service(
    start_service: Callable[..., Any], open_cohorts: dict[str, str], tmp_path: Path
) -> ServiceRuntime:
    runtime: ServiceRuntime = await start_service(
        SERVICE, in_memory_broker=True, relay_enabled=False, file_store_url=f"file://{tmp_path}"
    )
    return runtime


@pytest_asyncio.fixture
async def client(service: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
    async with TestRabbitBroker(service.broker):
        transport = httpx.ASGITransport(app=app_for(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://applications") as http:
            yield http


async def deliver(service: ServiceRuntime, event: Event) -> None:
    await service.broker.publish(
        event.model_dump(mode="json"),
        exchange=service.topology.events_exchange,
        routing_key=event.ROUTING_KEY,
    )


def scored(
    receipt: dict[str, Any], stage: AssessmentStage, outcome: AssessmentOutcome, when: datetime
) -> Event:
    return example(
        AssessmentScored,
        event_id=uuid4(),
        application_id=UUID(receipt["application_id"]),
        candidate_id=UUID(receipt["candidate_id"]),
        cohort_id="ict-test",
        stage=stage,
        outcome=outcome,
        reasons=[],
        next_step_deadline=None,
        decided_at=when,
    )


@pytest.mark.component
async def test_the_application_goes_back_to_before_selection_and_the_timeline_says_why(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    secret = service.settings.token_secret.get_secret_value()
    receipt = await submitted_application(client, secret, make_application())
    auth = {"Authorization": f"Bearer {receipt['access_token']}"}
    url = f"/applications/{receipt['application_id']}"
    now = datetime.now(UTC)
    for event in (
        scored(receipt, AssessmentStage.SCREENING, AssessmentOutcome.SHORTLISTED, now + timedelta(minutes=1)),
        scored(receipt, AssessmentStage.SECOND_STAGE, AssessmentOutcome.SCORED, now + timedelta(minutes=2)),
        scored(receipt, AssessmentStage.FINAL, AssessmentOutcome.SELECTED, now + timedelta(minutes=3)),
        example(
            TrainingEnrolled,
            event_id=uuid4(),
            application_id=UUID(receipt["application_id"]),
            candidate_id=UUID(receipt["candidate_id"]),
            enrolled_at=now + timedelta(minutes=4),
        ),
    ):
        await deliver(service, event)
    assert (await client.get(url, headers=auth)).json()["status"] == "enrolled"

    reopening = example(
        SelectionReopened,
        event_id=uuid4(),
        application_id=UUID(receipt["application_id"]),
        candidate_id=UUID(receipt["candidate_id"]),
        selection_closed_at=now + timedelta(minutes=3),
        reopened_at=now + timedelta(minutes=10),
    )
    await deliver(service, reopening)
    await deliver(service, reopening)  # delivered twice: one step

    view = (await client.get(url, headers=auth)).json()
    assert view["status"] == "scored"
    assert view["label"] == "Second stage assessed"
    labels = [s["label"] for s in view["journey"]]
    assert labels.count("Decision being looked at again") == 1
    assert labels[-1] == "Decision being looked at again"

    await deliver(
        service,
        scored(receipt, AssessmentStage.FINAL, AssessmentOutcome.WAITLISTED, now + timedelta(minutes=11)),
    )
    assert (await client.get(url, headers=auth)).json()["status"] == "waitlisted"
