"""SelectionReopened in matching: the candidate leaves the talent pool until a new selection
selects them again; a reopening older than the decision held changes nothing (in-memory broker,
real PostgreSQL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from faststream.rabbit import TestRabbitBroker
from rtw_contracts import ApplicationSubmitted, AssessmentScored, Event, SelectionReopened
from rtw_contracts.examples import example
from rtw_matching.app import SERVICE
from rtw_matching.models import CandidateProfile
from rtw_platform.service import ServiceRuntime

pytestmark = pytest.mark.component


def submitted() -> ApplicationSubmitted:
    application_id = uuid4()
    return example(
        ApplicationSubmitted,
        event_id=uuid4(),
        application_id=application_id,
        correlation_id=application_id,
        candidate_id=uuid4(),
        email=f"zainab.{uuid4().hex[:8]}@example.org",
        postcode_district="B15",
        region="west_midlands",
    )


def scored(application: ApplicationSubmitted, outcome: str, sequence: int) -> AssessmentScored:
    return example(
        AssessmentScored,
        event_id=uuid4(),
        application_id=application.application_id,
        correlation_id=application.application_id,
        candidate_id=application.candidate_id,
        outcome=outcome,
        sequence=sequence,
    )


def reopened(application: ApplicationSubmitted, sequence: int) -> SelectionReopened:
    return example(
        SelectionReopened,
        event_id=uuid4(),
        application_id=application.application_id,
        correlation_id=application.application_id,
        candidate_id=application.candidate_id,
        sequence=sequence,
    )


async def deliver(runtime: ServiceRuntime, *events: Event) -> None:
    async with TestRabbitBroker(runtime.broker) as broker:
        for event in events:
            await broker.publish(
                event.model_dump(mode="json"),
                exchange=runtime.topology.events_exchange,
                routing_key=event.ROUTING_KEY,
            )


async def profile_of(runtime: ServiceRuntime, application: ApplicationSubmitted) -> CandidateProfile:
    async with runtime.uow_factory() as uow:
        profile = await uow.session.get(CandidateProfile, application.application_id)
    assert profile is not None
    return profile


async def test_a_reopened_selection_takes_the_candidate_out_of_the_pool_until_selected_again(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True, relay_enabled=False)
    application = submitted()
    await deliver(runtime, application, scored(application, "selected", 5))
    assert (await profile_of(runtime, application)).in_pool is True

    await deliver(runtime, reopened(application, 6))

    profile = await profile_of(runtime, application)
    assert (profile.in_pool, profile.assessment_outcome, profile.assessment_sequence) == (
        False,
        "reopened",
        6,
    )

    await deliver(runtime, scored(application, "selected", 7))
    assert (await profile_of(runtime, application)).in_pool is True

    await deliver(runtime, reopened(application, 6))  # older than the decision held: stale
    assert (await profile_of(runtime, application)).in_pool is True
