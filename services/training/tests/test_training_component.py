"""Training with the in-memory broker and real PostgreSQL: each learner's latest outcome."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from faststream.rabbit import TestRabbitBroker
from rtw_contracts import AssessmentScored
from rtw_contracts.examples import example
from rtw_platform.service import ServiceRuntime
from rtw_training.app import SERVICE
from rtw_training.models import Learner

pytestmark = pytest.mark.component


def scored(application_id: UUID, outcome: str, sequence: int, **overrides: Any) -> AssessmentScored:
    values: dict[str, Any] = {
        "event_id": uuid4(),
        "application_id": application_id,
        "correlation_id": application_id,
        "candidate_id": uuid4(),
        "outcome": outcome,
        "sequence": sequence,
    }
    values.update(overrides)
    return example(AssessmentScored, **values)


async def deliver(runtime: ServiceRuntime, *events: AssessmentScored) -> None:
    async with TestRabbitBroker(runtime.broker) as broker:
        for event in events:
            await broker.publish(
                event.model_dump(mode="json"),
                exchange=runtime.topology.events_exchange,
                routing_key=AssessmentScored.ROUTING_KEY,
            )


async def learner(runtime: ServiceRuntime, application_id: UUID) -> Learner:
    async with runtime.uow_factory() as uow:
        found = await uow.session.get(Learner, application_id)
    assert found is not None, "training has no learner for the application"
    return found


async def test_a_decision_makes_a_learner_with_its_outcome(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    decided_at = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
    event = scored(uuid4(), "shortlisted", 1, stage="screening", decided_at=decided_at)

    await deliver(runtime, event)

    found = await learner(runtime, event.application_id)
    assert found.candidate_id == event.candidate_id
    assert found.cohort_id == event.cohort_id
    assert found.programme == "ict"
    assert (found.assessment_stage, found.assessment_outcome) == ("screening", "shortlisted")
    assert found.assessment_sequence == 1
    assert found.decided_at == decided_at


async def test_the_latest_decision_is_kept(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    application_id = uuid4()

    await deliver(
        runtime,
        scored(application_id, "shortlisted", 1, stage="screening"),
        scored(application_id, "selected", 3, stage="final"),
    )

    found = await learner(runtime, application_id)
    assert (found.assessment_stage, found.assessment_outcome) == ("final", "selected")
    assert found.assessment_sequence == 3


async def test_a_stale_decision_is_ignored(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    application_id = uuid4()

    await deliver(
        runtime,
        scored(application_id, "selected", 3, stage="final"),
        scored(application_id, "scored", 2, stage="second_stage"),
        scored(application_id, "shortlisted", 1, stage="screening"),
    )

    found = await learner(runtime, application_id)
    assert (found.assessment_stage, found.assessment_outcome) == ("final", "selected")
    assert found.assessment_sequence == 3


async def test_learners_of_different_applications_are_kept_apart(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    first, second = uuid4(), uuid4()

    await deliver(runtime, scored(first, "selected", 3), scored(second, "not_shortlisted", 1))

    assert (await learner(runtime, first)).assessment_outcome == "selected"
    assert (await learner(runtime, second)).assessment_outcome == "not_shortlisted"
