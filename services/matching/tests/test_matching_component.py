"""Matching with the in-memory broker and real PostgreSQL: the pseudonymous talent-pool profile."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from faststream.rabbit import TestRabbitBroker
from rtw_contracts import ApplicationSubmitted, AssessmentScored, Event
from rtw_contracts.examples import example
from rtw_matching.app import SERVICE
from rtw_matching.models import CandidateProfile
from rtw_platform.service import ServiceRuntime
from sqlalchemy import text

pytestmark = pytest.mark.component

PERSONAL_COLUMNS = {"given_name", "family_name", "name", "email", "phone", "address"}


def submitted(**overrides: Any) -> ApplicationSubmitted:
    application_id = uuid4()
    values: dict[str, Any] = {
        "event_id": uuid4(),
        "application_id": application_id,
        "correlation_id": application_id,
        "candidate_id": uuid4(),
        "given_name": "Zainab",
        "family_name": "Achterberg",
        "email": f"zainab.{uuid4().hex[:8]}@example.org",
        "postcode_district": "B15",
        "region": "west_midlands",
    }
    values.update(overrides)
    return example(ApplicationSubmitted, **values)


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


async def deliver(runtime: ServiceRuntime, *events: Event) -> None:
    async with TestRabbitBroker(runtime.broker) as broker:
        for event in events:
            await broker.publish(
                event.model_dump(mode="json"),
                exchange=runtime.topology.events_exchange,
                routing_key=event.ROUTING_KEY,
            )


async def profile_of(runtime: ServiceRuntime, event: ApplicationSubmitted) -> CandidateProfile:
    async with runtime.uow_factory() as uow:
        found = await uow.session.get(CandidateProfile, event.application_id)
    assert found is not None, "no talent-pool profile"
    return found


async def test_a_submitted_application_becomes_a_profile_without_name_or_contact(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    event = submitted()

    await deliver(runtime, event)

    profile = await profile_of(runtime, event)
    assert profile.application_id == event.application_id
    assert profile.postcode_district == "B15"
    assert profile.region == "west_midlands"
    assert profile.cohort_id == event.cohort_id
    assert sorted(profile.specialisms) == sorted(s.value for s in event.specialisms)
    assert profile.assessment_outcome is None

    async with runtime.uow_factory() as uow:
        columns = set(
            (
                await uow.session.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns"
                        " WHERE table_schema = 'matching' AND table_name = 'candidate_profiles'"
                    )
                )
            ).scalars()
        )
        row = (
            await uow.session.execute(
                text("SELECT to_jsonb(p)::text FROM matching.candidate_profiles p WHERE candidate_id = :id"),
                {"id": event.candidate_id},
            )
        ).scalar_one()
    assert columns, "the table has no columns?"
    assert not columns & PERSONAL_COLUMNS
    stored = json.loads(row)
    for personal in (str(event.email), "Zainab", "Achterberg"):
        assert personal not in row, f"{personal!r} is stored in the profile: {stored}"


async def test_the_assessment_outcome_is_recorded_on_the_profile(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    application = submitted()

    await deliver(runtime, application, scored(application, "shortlisted", 1))

    profile = await profile_of(runtime, application)
    assert profile.assessment_outcome == "shortlisted"
    assert profile.assessment_sequence == 1


async def test_a_later_decision_replaces_an_earlier_one(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    application = submitted()

    await deliver(
        runtime,
        application,
        scored(application, "shortlisted", 1),
        scored(application, "selected", 3),
    )

    profile = await profile_of(runtime, application)
    assert (profile.assessment_outcome, profile.assessment_sequence) == ("selected", 3)


async def test_a_stale_decision_does_not_overwrite_a_newer_one(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    application = submitted()

    await deliver(
        runtime,
        application,
        scored(application, "selected", 3),
        scored(application, "shortlisted", 2),
    )

    profile = await profile_of(runtime, application)
    assert (profile.assessment_outcome, profile.assessment_sequence) == ("selected", 3)


async def test_a_redelivered_application_keeps_the_recorded_outcome(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    application = submitted()
    republished = application.model_copy(update={"event_id": uuid4()})

    await deliver(runtime, application, scored(application, "shortlisted", 1), republished)

    profile = await profile_of(runtime, application)
    assert profile.assessment_outcome == "shortlisted"


async def test_an_outcome_arriving_before_the_application_is_not_lost(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    application = submitted()

    await deliver(runtime, scored(application, "shortlisted", 1), application)

    profile = await profile_of(runtime, application)
    assert profile.assessment_outcome == "shortlisted"


async def test_an_outcome_and_its_application_handled_at_the_same_time_both_count(
    start_service: Callable[..., Any],
) -> None:
    """ApplicationSubmitted and AssessmentScored arrive on different queues and are handled in
    concurrent transactions: neither may miss what the other writes (the candidate must join the
    pool whichever commits first)."""
    import asyncio

    from rtw_matching import pool
    from rtw_matching.caches import MatchingCaches

    caches = MatchingCaches()

    runtime = await start_service(SERVICE, in_memory_broker=True, relay_enabled=False)
    application = submitted()
    async with runtime.uow_factory() as first:
        await pool.record_assessment(scored(application, "selected", 9), first, caches=caches)

        # The application is handled meanwhile, in its own transaction: it must wait for the
        # outcome's commit, not read the state from before it.
        async def second_handler() -> None:
            async with runtime.uow_factory() as second:
                await pool.add_candidate(application.split()[0], second, caches=caches)
                await second.commit()

        other = asyncio.create_task(second_handler())
        await asyncio.sleep(0.5)
        assert not other.done()
        await first.commit()
    await asyncio.wait_for(other, timeout=10)
    async with runtime.uow_factory() as uow:
        profile = await uow.session.get(CandidateProfile, application.application_id)
    assert profile is not None
    assert profile.assessment_outcome == "selected"
    assert profile.in_pool is True
