"""The applications HTTP API and its consumer: references, cohorts, relaying, races.

In-memory broker and real PostgreSQL."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from typing import Any
from uuid import uuid4

import asyncpg
import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_applications.app import SERVICE
from rtw_applications.testing import bearer_for, submitted_application
from rtw_contracts import AssessmentScored
from rtw_contracts.examples import example
from rtw_platform.auth import Role
from rtw_platform.db import asyncpg_dsn
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.waiting import eventually
from sqlalchemy import text

pytestmark = pytest.mark.component

REFERENCE = re.compile(r"^RTW-ICT-\d{6}$")


@pytest_asyncio.fixture
async def service(
    start_service: Callable[..., Any], open_cohorts: dict[str, str]
) -> AsyncIterator[tuple[ServiceRuntime, httpx.AsyncClient]]:
    """The applications service (in-memory broker) and an HTTP client for its API."""
    runtime = await start_service(SERVICE, in_memory_broker=True)
    transport = httpx.ASGITransport(app=app_for(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://applications") as client:
        yield runtime, client


async def outbox_rows(runtime: ServiceRuntime) -> list[dict[str, Any]]:
    async with runtime.uow_factory() as uow:
        result = await uow.session.execute(
            text("SELECT event_type, routing_key, payload FROM applications.outbox ORDER BY id")
        )
        return [dict(row._mapping) for row in result]


async def test_the_first_application_gets_reference_one(
    service: tuple[ServiceRuntime, httpx.AsyncClient], make_application: Callable[..., dict[str, Any]]
) -> None:
    runtime, client = service
    secret = runtime.settings.token_secret.get_secret_value()
    first = await submitted_application(client, secret, make_application())
    assert first["reference"] == "RTW-ICT-000001"
    social = await submitted_application(
        client,
        secret,
        make_application(
            cohort_id="social-work-test",
            specialisms=[],
            skills=[],
            professional_registration={"body": "Social Work England"},
        ),
    )
    assert social["reference"] == "RTW-SW-000002"


@pytest.mark.parametrize("phone", ["01632 960 001", None])
async def test_the_contact_event_carries_the_phone_only_when_given_for_a_council_to_call(
    service: tuple[ServiceRuntime, httpx.AsyncClient],
    make_application: Callable[..., dict[str, Any]],
    phone: str | None,
) -> None:
    """The form asks for a telephone number "for a council to call you about a job": matching
    releases it with the contact details once the candidate accepts a council's interest."""
    runtime, client = service
    form = make_application(phone=phone) if phone else make_application()
    if phone is None:
        form.pop("phone")
    await submitted_application(client, runtime.settings.token_secret.get_secret_value(), form)
    rows = await outbox_rows(runtime)
    [contact] = [r["payload"] for r in rows if r["event_type"] == "ApplicationContactGiven"]
    assert contact.get("phone") == phone
    [facts] = [r["payload"] for r in rows if r["event_type"] == "ApplicationSubmitted"]
    assert "phone" not in facts  # never with the facts, which the blind assessment reads


async def test_the_same_email_may_apply_to_another_cohort_signed_in(
    service: tuple[ServiceRuntime, httpx.AsyncClient], make_application: Callable[..., dict[str, Any]]
) -> None:
    runtime, client = service
    secret = runtime.settings.token_secret.get_secret_value()
    first = await submitted_application(client, secret, make_application(email="two.cohorts@example.org"))
    other = await client.post(
        "/applications",
        json=make_application(
            email="Two.Cohorts@example.org", cohort_id="planning-test", specialisms=[], skills=[]
        ),
        headers={"Authorization": f"Bearer {first['access_token']}"},
    )
    assert other.status_code == 201, other.text
    assert other.json()["reference"] != first["reference"]
    assert other.json()["candidate_id"] == first["candidate_id"]
    not_mine = await client.post(
        "/applications",
        json=make_application(cohort_id="planning-test", specialisms=[], skills=[]),
        headers={"Authorization": f"Bearer {first['access_token']}"},
    )
    assert not_mine.status_code == 422  # signed in, a candidate applies only as themself
    assert "email" in {e["field"] for e in not_mine.json()["errors"]}


async def test_an_assessment_of_an_unknown_application_changes_nothing(
    service: tuple[ServiceRuntime, httpx.AsyncClient],
) -> None:
    runtime, _ = service
    unknown = example(AssessmentScored, event_id=uuid4(), application_id=uuid4())
    async with TestRabbitBroker(runtime.broker) as broker:
        await broker.publish(
            unknown.model_dump(mode="json"),
            exchange=runtime.topology.events_exchange,
            routing_key=AssessmentScored.ROUTING_KEY,
        )
    async with runtime.uow_factory() as uow:
        steps = (
            await uow.session.execute(text("SELECT count(*) FROM applications.journey_entries"))
        ).scalar_one()
    assert steps == 0


async def test_the_submitted_event_is_relayed_to_the_broker(
    service: tuple[ServiceRuntime, httpx.AsyncClient], make_application: Callable[..., dict[str, Any]]
) -> None:
    runtime, client = service
    async with TestRabbitBroker(runtime.broker):
        secret = runtime.settings.token_secret.get_secret_value()
        receipt = await submitted_application(client, secret, make_application())

        async def published() -> bool:
            async with runtime.uow_factory() as uow:
                result = await uow.session.execute(
                    text(
                        "SELECT count(*) = 2 AND bool_and(published_at IS NOT NULL) FROM applications.outbox"
                    )
                )  # the application's facts and, apart, its contact details
                return bool(result.scalar_one())

        await eventually(published, what="the outbox row to be published")
    assert REFERENCE.match(receipt["reference"])


# Two requests racing: both pass the "already applied?" check before either has committed.
# A lock held by the test on the applications table makes both wait at their INSERT, then lets
# them go together.


async def _race(
    database_url: str, client: httpx.AsyncClient, *requests: dict[str, Any]
) -> list[httpx.Response]:
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        transaction = conn.transaction()
        await transaction.start()
        await conn.execute("LOCK TABLE applications.applications IN SHARE MODE")
        calls = [asyncio.create_task(client.post("/applications", **r)) for r in requests]

        async def one_waiting_on_the_table() -> bool:
            waiting = await conn.fetchval(
                "SELECT count(*) FROM pg_locks WHERE NOT granted"
                " AND relation = 'applications.applications'::regclass"
            )
            return bool(waiting >= 1)

        await eventually(one_waiting_on_the_table, timeout=10, what="an insert to wait")
        await asyncio.sleep(0.3)  # the second request reaches its own wait
        await transaction.commit()
        return list(await asyncio.gather(*calls))
    finally:
        await conn.close()


async def test_two_simultaneous_applications_with_one_email_quote_the_winners_reference(
    service: tuple[ServiceRuntime, httpx.AsyncClient],
    clean_database: str,
    make_application: Callable[..., dict[str, Any]],
) -> None:
    runtime, client = service
    sent = make_application(email="racing@example.org")
    admin = bearer_for(runtime.settings.token_secret.get_secret_value(), Role.ADMIN, "partner")

    responses = await _race(
        clean_database, client, {"json": sent, "headers": admin}, {"json": sent, "headers": admin}
    )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409], [r.text for r in responses]
    created = next(r for r in responses if r.status_code == 201).json()
    refused = next(r for r in responses if r.status_code == 409).json()
    assert created["reference"] in refused["detail"]


async def test_a_retry_racing_the_first_request_returns_the_same_application(
    service: tuple[ServiceRuntime, httpx.AsyncClient],
    clean_database: str,
    make_application: Callable[..., dict[str, Any]],
) -> None:
    runtime, client = service
    admin = bearer_for(runtime.settings.token_secret.get_secret_value(), Role.ADMIN, "partner")
    request = {"json": make_application(), "headers": {"Idempotency-Key": f"race-{uuid4()}", **admin}}

    responses = await _race(clean_database, client, request, request)

    assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
    assert responses[0].json()["reference"] == responses[1].json()["reference"]
    assert [row["event_type"] for row in await outbox_rows(runtime)] == [
        "ApplicationSubmitted",
        "ApplicationContactGiven",
    ]


async def test_two_simultaneous_anonymous_applications_with_one_new_email_make_one_and_say_nothing(
    service: tuple[ServiceRuntime, httpx.AsyncClient],
    clean_database: str,
    make_application: Callable[..., dict[str, Any]],
) -> None:
    runtime, client = service
    sent = make_application(email="racing.alone@example.org")

    responses = await _race(clean_database, client, {"json": sent}, {"json": sent})

    assert [r.status_code for r in responses] == [202, 202], [r.text for r in responses]
    assert responses[0].json() == responses[1].json()
    types = [row["event_type"] for row in await outbox_rows(runtime)]
    assert types.count("ApplicationSubmitted") == 0  # its owner sends it, from the link
    assert (
        types.count("CandidateSignInRequested") == 2
    )  # the winner's link to its draft, the other's to sign in
