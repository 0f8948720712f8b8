"""Appeals on the candidate's status page: the link to appeal (until the last day), and the appeal
and its outcome in the journey, learnt from assessment's events (in-memory broker, real
PostgreSQL)."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_applications.app import SERVICE
from rtw_applications.models import Application
from rtw_applications.testing import submitted_application
from rtw_contracts import AppealDecided, AppealLodged, AssessmentScored, Event, ReasonCode
from rtw_contracts.examples import example
from rtw_platform.auth import Principal, Role, issue_session_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for

pytestmark = pytest.mark.component

NO_RIGHT_TO_WORK = ReasonCode(code="no_right_to_work", message="You need the right to work in the UK.")


@pytest_asyncio.fixture
async def service(start_service: Callable[..., Any], open_cohorts: dict[str, str]) -> ServiceRuntime:
    runtime: ServiceRuntime = await start_service(SERVICE, in_memory_broker=True, relay_enabled=False)
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


async def ineligible_candidate(
    client: httpx.AsyncClient,
    service: ServiceRuntime,
    make_application: Callable[..., dict[str, Any]],
    decided_at: datetime,
) -> tuple[UUID, UUID]:
    """An application found not eligible at `decided_at`, its candidate signed in on `client`."""
    secret = service.settings.token_secret.get_secret_value()
    receipt = await submitted_application(client, secret, make_application())
    application_id, candidate_id = UUID(receipt["application_id"]), UUID(receipt["candidate_id"])
    await deliver(service, screening(application_id, candidate_id, "ineligible", decided_at))
    session = issue_session_token(secret, Principal(subject=str(candidate_id), role=Role.CANDIDATE))
    client.cookies.set("rtw_session", session)
    return application_id, candidate_id


def screening(
    application_id: UUID, candidate_id: UUID, outcome: str, decided_at: datetime, kind: str = "automatic"
) -> AssessmentScored:
    last_day = (decided_at + timedelta(days=28)).date()
    return example(
        AssessmentScored,
        event_id=uuid4(),
        application_id=application_id,
        candidate_id=candidate_id,
        cohort_id="ict-test",
        stage="screening",
        outcome=outcome,
        decision_kind=kind,
        score=None,
        breakdown=[],
        reasons=[NO_RIGHT_TO_WORK] if outcome == "ineligible" else [],
        next_step_deadline=last_day if outcome == "ineligible" and kind != "appeal" else None,
        decided_at=decided_at,
    )


def lodged(application_id: UUID, candidate_id: UUID, at: datetime) -> AppealLodged:
    return example(
        AppealLodged,
        event_id=uuid4(),
        appeal_id=uuid4(),
        application_id=application_id,
        candidate_id=candidate_id,
        lodged_at=at,
    )


def decided(
    application_id: UUID, candidate_id: UUID, upheld: bool, reason: str, at: datetime
) -> AppealDecided:
    return example(
        AppealDecided,
        event_id=uuid4(),
        application_id=application_id,
        candidate_id=candidate_id,
        upheld=upheld,
        reason=reason,
        decided_at=at,
    )


def words(response: httpx.Response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))


async def status_of(service: ServiceRuntime, application_id: UUID) -> Application:
    async with service.uow_factory() as uow:
        found = await uow.session.get(Application, application_id)
        assert found is not None
        return found


async def test_the_status_page_offers_the_appeal_until_the_last_day_then_says_it_ended(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    now = datetime.now(UTC)
    application_id, _ = await ineligible_candidate(client, service, make_application, now)
    page = await client.get(f"/my/applications/{application_id}")
    shown = words(page)
    assert "Appeal this decision" in shown
    assert f"until {(now + timedelta(days=28)):%-d %B %Y}" in shown
    assert f'href="/assessment/my/applications/{application_id}/appeal"' in page.text

    # Another candidate, found not eligible 29 days ago.
    late_id, _ = await ineligible_candidate(client, service, make_application, now - timedelta(days=29))
    late = words(await client.get(f"/my/applications/{late_id}"))
    assert "Appeal this decision" not in late
    assert f"The time to appeal this decision ended on {(now - timedelta(days=1)):%-d %B %Y}" in late


async def test_an_upheld_appeal_shows_in_the_journey_and_puts_the_application_back_in_the_flow(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    start = datetime.now(UTC) - timedelta(days=3)
    application_id, candidate_id = await ineligible_candidate(client, service, make_application, start)
    assert (await status_of(service, application_id)).final_outcome_at is not None

    await deliver(service, lodged(application_id, candidate_id, start + timedelta(days=1)))
    waiting = words(await client.get(f"/my/applications/{application_id}"))
    assert "You appealed the decision" in waiting
    assert "See your appeal" in waiting
    assert "Appeal this decision" not in waiting
    assert (await status_of(service, application_id)).final_outcome_at is None  # not over while appealed

    answered = start + timedelta(days=2)
    reason = "Your share code shows that you have the right to work in the UK. " * 8
    await deliver(service, decided(application_id, candidate_id, True, reason, answered))
    # The upheld appeal and the screening it leads to are made at the same moment.
    await deliver(service, screening(application_id, candidate_id, "shortlisted", answered, kind="appeal"))

    page = words(await client.get(f"/my/applications/{application_id}"))
    assert "Your appeal was upheld" in page
    assert "Your share code shows that you have the right to work in the UK." in page
    assert "…" in page  # the long reason is shortened in the journey
    # In the journey, the upheld appeal reads before the invitation it led to (same moment).
    assert page.index("Your appeal was upheld") < page.rindex("Invited to the second stage")
    application = await status_of(service, application_id)
    assert application.status == "shortlisted"
    assert application.final_outcome_at is None
    assert "Start the second stage" in page


async def test_a_dismissed_appeal_leaves_the_application_not_eligible_and_over(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    start = datetime.now(UTC) - timedelta(days=3)
    application_id, candidate_id = await ineligible_candidate(client, service, make_application, start)
    await deliver(service, lodged(application_id, candidate_id, start + timedelta(days=1)))
    answered = start + timedelta(days=2)
    await deliver(service, screening(application_id, candidate_id, "ineligible", answered, kind="appeal"))
    await deliver(
        service, decided(application_id, candidate_id, False, "The share code was not valid.", answered)
    )

    page = words(await client.get(f"/my/applications/{application_id}"))
    assert "Your appeal was not upheld" in page
    assert "The share code was not valid." in page
    assert "Appeal this decision" not in page
    assert "See your appeal" in page
    application = await status_of(service, application_id)
    assert application.status == "ineligible"
    assert application.final_outcome_at == answered


async def test_the_reasons_on_the_status_page_are_in_the_pages_language(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    """The journey showed the rules' English sentences on the Welsh page too."""
    secret = service.settings.token_secret.get_secret_value()
    receipt = await submitted_application(client, secret, make_application())
    application_id, candidate_id = UUID(receipt["application_id"]), UUID(receipt["candidate_id"])
    english = "Your career break is 3 months; the programme is for 12 months or more."
    reason = ReasonCode(
        code="career_break_too_short",
        message=english,
        params={"months": 3, "minimum_months": 12, "kind": "break"},
    )
    event = screening(application_id, candidate_id, "ineligible", datetime.now(UTC))
    await deliver(service, event.model_copy(update={"reasons": [reason]}))
    session = issue_session_token(secret, Principal(subject=str(candidate_id), role=Role.CANDIDATE))
    client.cookies.set("rtw_session", session)

    assert english in words(await client.get(f"/my/applications/{application_id}?lang=en"))
    welsh = html.unescape(words(await client.get(f"/my/applications/{application_id}?lang=cy")))
    assert "Mae eich seibiant gyrfa yn 3 mis; mae'r rhaglen ar gyfer 12 mis neu fwy." in welsh
    assert english not in welsh


async def test_a_steps_stored_reasons_are_in_the_pages_language_when_no_decision_is_kept(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    """Without its decision kept (a step recorded before decisions were), the journey showed the
    step's stored English on the Welsh page: now worded from the reasons' codes."""
    from rtw_contracts import IneligibilityReason
    from rtw_contracts.labels import label_for_code
    from sqlalchemy import text

    secret = service.settings.token_secret.get_secret_value()
    receipt = await submitted_application(client, secret, make_application())
    application_id, candidate_id = UUID(receipt["application_id"]), UUID(receipt["candidate_id"])
    career = "Your career break is 3 months; the programme is for 12 months or more."
    right = "The programme is open to people with the right to work in the UK."
    reasons = [
        ReasonCode(code="career_break_too_short", message=career, params=None),
        ReasonCode(code="no_right_to_work", message=right, params=None),
    ]
    event = screening(application_id, candidate_id, "ineligible", datetime.now(UTC))
    await deliver(service, event.model_copy(update={"reasons": reasons}))
    async with service.engine.begin() as conn:
        forgotten = await conn.execute(
            text("DELETE FROM applications.assessment_decisions WHERE application_id = :id"),
            {"id": application_id},
        )
        assert forgotten.rowcount == 1
    session = issue_session_token(secret, Principal(subject=str(candidate_id), role=Role.CANDIDATE))
    client.cookies.set("rtw_session", session)

    english = html.unescape(words(await client.get(f"/my/applications/{application_id}?lang=en")))
    assert career in english
    assert right in english
    welsh = html.unescape(words(await client.get(f"/my/applications/{application_id}?lang=cy")))
    assert "Mae'r rhaglen ar agor i bobl sydd â'r hawl i weithio yn y DU." in welsh
    assert label_for_code("career_break_too_short", IneligibilityReason, language="cy") in welsh
    assert career not in welsh
    assert right not in welsh


async def test_training_and_hiring_steps_are_in_the_pages_language(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    """The steps' stored English ("Certificate …", "Starting 01 February 2027") was shown on the
    Welsh page: now worded in the page's language, the certificate number and the day kept."""
    from datetime import date

    from rtw_contracts import CandidateHired, TrainingCompleted

    secret = service.settings.token_secret.get_secret_value()
    receipt = await submitted_application(client, secret, make_application())
    about = {"application_id": UUID(receipt["application_id"]), "candidate_id": UUID(receipt["candidate_id"])}
    now = datetime.now(UTC)
    completed = example(TrainingCompleted, event_id=uuid4(), **about, completed_at=now)
    await deliver(service, completed)
    hired = example(
        CandidateHired,
        event_id=uuid4(),
        **about,
        hired_at=now + timedelta(days=1),
        start_date=date(2027, 2, 1),
    )
    await deliver(service, hired)
    session = issue_session_token(secret, Principal(subject=receipt["candidate_id"], role=Role.CANDIDATE))
    client.cookies.set("rtw_session", session)
    page = f"/my/applications/{receipt['application_id']}"

    english = html.unescape(words(await client.get(f"{page}?lang=en")))
    assert f"Certificate {completed.certificate_id}" in english
    assert "Starting 1 February 2027" in english
    welsh = html.unescape(words(await client.get(f"{page}?lang=cy")))
    assert f"Tystysgrif {completed.certificate_id}" in welsh
    assert "Yn dechrau ar 1 Chwefror 2027" in welsh
    assert "Certificate" not in welsh
    assert "Starting" not in welsh
