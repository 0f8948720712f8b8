"""The recruiter and candidate pages of matching over HTTP (no browser): forms, errors, sign-in by
the invitation link, and that pages act only for the recruiter's own council."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_contracts import ApplicationSubmitted, AssessmentScored
from rtw_contracts.examples import example
from rtw_matching.app import SERVICE
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from sqlalchemy import text

pytestmark = pytest.mark.component

PUBLIC_URL = "https://rtw.example"
WALSALL, BIRMINGHAM = "E08000030", "E08000025"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """An HTTP client that keeps cookies and sends each form with the page's CSRF token."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app_for(runtime)), base_url="http://m"
        )

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(path, params=params) if params else await self.http.get(path)

    async def post(
        self, path: str, form: dict[str, Any] | None = None, *, page: str | None = None
    ) -> httpx.Response:
        shown = await self.http.get(page or path)
        found = CSRF.search(shown.text)
        assert found, f"no form on {page or path}: {shown.status_code} {shown.text[:500]}"
        return await self.http.post(path, data={**(form or {}), "csrf_token": found.group(1)})


async def outbox(runtime: ServiceRuntime, event_type: str) -> list[dict[str, Any]]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM matching.outbox WHERE event_type = :t ORDER BY id"), {"t": event_type}
        )
        return [row.payload for row in rows]


@pytest_asyncio.fixture
async def runtime(start_service: Callable[..., Any]) -> AsyncIterator[ServiceRuntime]:
    started: ServiceRuntime = await start_service(
        SERVICE, in_memory_broker=True, relay_enabled=False, public_url=PUBLIC_URL
    )
    async with TestRabbitBroker(started.broker):
        yield started


async def sign_up_and_in(runtime: ServiceRuntime, gss: str) -> Browser:
    browser = Browser(runtime)
    answer = await browser.post(
        "/councils/sign-up",
        {
            "gss_code": gss,
            "contact_name": "Morag Fairweather",
            "contact_email": f"{uuid4().hex[:8]}@council.example",
            "specialisms_needed": ["data_analyst"],
        },
    )
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"] == "/councils/check-your-email"
    link = (await outbox(runtime, "RecruiterInvited"))[-1]["link"]
    assert link.startswith(f"{PUBLIC_URL}/matching/recruiters/sign-in/")
    path = link.removeprefix(f"{PUBLIC_URL}/matching")
    landing = await browser.get(path)
    assert "Continue" in landing.text
    signed_in = await browser.post("/recruiters/sign-in", {"token": path.rsplit("/", 1)[1]}, page=path)
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == "/matching/council"
    return browser


async def join_pool(runtime: ServiceRuntime) -> ApplicationSubmitted:
    application_id = uuid4()
    application = example(
        ApplicationSubmitted,
        event_id=uuid4(),
        application_id=application_id,
        correlation_id=application_id,
        candidate_id=uuid4(),
        given_name="Zephyrine",
        family_name="Quillfeather",
        email=f"zq.{uuid4().hex[:10]}@example.org",
        postcode_district="WS1",
        region="west_midlands",
        years_experience=8,
        specialisms=["data_analyst"],
        skills=[{"skill": "Data visualisation", "level": 3}, {"skill": "Data management", "level": 2}],
        work_preferences={
            "flexible_working": ["part_time"],
            "max_travel_km": 25,
            "visible_to_regions": ["west_midlands"],
            "visible_to_councils": [],
            "earliest_start": None,
        },
    )
    scored = example(
        AssessmentScored,
        event_id=uuid4(),
        application_id=application_id,
        correlation_id=application_id,
        candidate_id=application.candidate_id,
        stage="final",
        outcome="selected",
        sequence=5,
    )
    for event in (application, scored):
        await runtime.broker.publish(
            event.model_dump(mode="json"),
            exchange=runtime.topology.events_exchange,
            routing_key=event.ROUTING_KEY,
        )
    return application


def vacancy_form(**changes: Any) -> dict[str, Any]:
    closing = datetime.now(UTC).date() + timedelta(days=30)
    form = {
        "title": "Data analyst",
        "programme": "ict",
        "specialism": "data_analyst",
        "role": "Data analyst",
        "role_level": "Senior analyst",
        "skill-1": "Data visualisation",
        "level-1": "3",
        "skill-2": "Data management",
        "level-2": "2",
        "base_postcode_districts": "WS1",
        "work_mode": "hybrid",
        "flexible_working": ["part_time"],
        "salary_min": "30,000",
        "salary_max": "36000",
        "hours_per_week": "30",
        "closing_date-day": str(closing.day),
        "closing_date-month": str(closing.month),
        "closing_date-year": str(closing.year),
    }
    form.update(changes)
    return form


async def test_signing_up_shows_errors_and_a_second_sign_up_is_refused(runtime: ServiceRuntime) -> None:
    browser = Browser(runtime)
    page = await browser.get("/councils/sign-up")
    assert page.status_code == 200
    assert "Walsall (West Midlands)" in page.text
    empty = await browser.post("/councils/sign-up", {"contact_email": "not an address"})
    assert empty.status_code == 400
    for message in ("Select your council", "Enter the name of the council", "correct format"):
        assert message in empty.text
    assert 'href="#gss_code"' in empty.text

    await sign_up_and_in(runtime, WALSALL)
    again = await Browser(runtime).post(
        "/councils/sign-up",
        {"gss_code": WALSALL, "contact_name": "Someone Else", "contact_email": "else@walsall.example"},
    )
    assert again.status_code == 409
    assert "Walsall has already signed up" in again.text
    assert len(await outbox(runtime, "CouncilRegistered")) == 1


async def test_a_used_link_does_not_sign_in_again(runtime: ServiceRuntime) -> None:
    await sign_up_and_in(runtime, WALSALL)
    link = (await outbox(runtime, "RecruiterInvited"))[-1]["link"]
    path = link.removeprefix(f"{PUBLIC_URL}/matching")
    again = await Browser(runtime).post("/recruiters/sign-in", {"token": path.rsplit("/", 1)[1]}, page=path)
    assert again.status_code == 403
    assert "already used" in again.text


async def test_pages_need_a_signed_in_recruiter(runtime: ServiceRuntime) -> None:
    browser = Browser(runtime)
    for path in ("/council", "/council/search", "/council/shortlist", "/council/vacancies/new"):
        answer = await browser.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/matching/recruiters/sign-in?next=")
    assert (await browser.get("/my/interest")).headers["location"].startswith("/applications/account/sign-in")


async def test_from_vacancy_to_hire_through_the_pages(runtime: ServiceRuntime) -> None:
    walsall = await sign_up_and_in(runtime, WALSALL)
    returner = await join_pool(runtime)
    ref = str(returner.application_id)

    wrong = await walsall.post(
        "/council/vacancies/new",
        vacancy_form(
            title="", **{"skill-3": "Data management", "base_postcode_districts": "ZZ99", "salary_min": "x"}
        ),
    )
    assert wrong.status_code == 400
    for message in (
        "Enter the job title",
        "Select the level of Data management",
        "ZZ99 is not a UK postcode",
    ):
        assert message in wrong.text
    posted = await walsall.post("/council/vacancies/new", vacancy_form())
    assert posted.status_code == 303, posted.text
    vacancy_path = posted.headers["location"].split("?")[0]
    vacancy_id = vacancy_path.rsplit("/", 1)[1]
    vacancy_page = await walsall.get(vacancy_path, proposed="1")
    assert f"/council/candidates/{ref}?vacancy_id={vacancy_id}" in vacancy_page.text

    found = await walsall.get("/council/search", vacancy_id=vacancy_id, sort="score", radius_km="50")
    assert found.status_code == 200
    assert ref[:8].upper() in found.text
    assert "Zephyrine" not in found.text
    assert "@" not in found.text.split("<main")[1]
    bad = await walsall.get("/council/search", radius_km="far", near="ZZ99")
    assert bad.status_code == 400
    assert "The distance must be a number" in bad.text
    assert "ZZ99 is not a UK postcode district" in bad.text

    profile = await walsall.get(f"/council/candidates/{ref}", vacancy_id=vacancy_id)
    assert profile.status_code == 200
    for factor in ("Role fit", "Skills", "Distance", "Would rise if", "Share of the score"):
        assert factor in profile.text
    shortlisted = await walsall.post(
        f"/council/candidates/{ref}/shortlist", {"vacancy_id": vacancy_id}, page=f"/council/candidates/{ref}"
    )
    assert shortlisted.status_code == 303, shortlisted.text
    match_path = shortlisted.headers["location"]
    assert ref[:8].upper() in (await walsall.get("/council/shortlist")).text

    # Another council's recruiter cannot open Walsall's vacancy, returner-for-vacancy or match pages.
    birmingham = await sign_up_and_in(runtime, BIRMINGHAM)
    for path in (vacancy_path, f"/council/candidates/{ref}?vacancy_id={vacancy_id}", match_path):
        refused = await birmingham.get(path)
        assert refused.status_code == 403, path
        assert "your own council" in refused.text
    refused = await birmingham.post(f"{match_path}/reach-out", page="/council")
    assert refused.status_code == 403

    reached = await walsall.post(f"{match_path}/reach-out", page=match_path)
    assert reached.status_code == 303
    assert "Waiting for the candidate" in (await walsall.get(match_path)).text

    candidate = Browser(runtime)
    token = issue_token(
        runtime.settings.token_secret.get_secret_value(),
        Principal(subject=str(returner.candidate_id), role=Role.CANDIDATE),
    )
    candidate.http.cookies.set("rtw_session", token)
    interest = await candidate.get("/my/interest")
    assert "Walsall: Data analyst" in interest.text
    accepted = await candidate.post(
        f"/my/interest/{match_path.rsplit('/', 1)[1]}", {"response": "accepted"}, page="/my/interest"
    )
    assert accepted.status_code == 303
    assert "You accepted" in (await candidate.get("/my/interest", answered="accepted")).text

    with_contact = await walsall.get(match_path)
    assert "Zephyrine Quillfeather" in with_contact.text
    missing = await walsall.post(f"{match_path}/outcome", {"hired": "yes"}, page=match_path)
    assert missing.status_code == 400
    assert "Enter the start date" in missing.text
    assert "Enter the hours per week" in missing.text
    hired = await walsall.post(
        f"{match_path}/outcome",
        {
            "hired": "yes",
            "start_date-day": "6",
            "start_date-month": "4",
            "start_date-year": "2027",
            "hours_per_week": "30",
            "salary_min": "30000",
            "salary_max": "36000",
            "contract": "permanent",
        },
        page=match_path,
    )
    assert hired.status_code == 303, hired.text
    assert "You hired this returner" in (await walsall.get(match_path)).text
    assert [e["match_id"] for e in await outbox(runtime, "CandidateHired")] == [match_path.rsplit("/", 1)[1]]
    assert "Filled" in (await walsall.get(vacancy_path)).text


async def test_the_match_page_refuses_a_hire_before_the_interview_the_vacancy_asks_for(
    runtime: ServiceRuntime,
) -> None:
    walsall = await sign_up_and_in(runtime, WALSALL)
    returner = await join_pool(runtime)
    ref = str(returner.application_id)
    posted = await walsall.post("/council/vacancies/new", vacancy_form(interview_required="yes"))
    assert posted.status_code == 303, posted.text
    vacancy_path = posted.headers["location"].split("?")[0]
    assert "Interview before hiring" in (await walsall.get(vacancy_path)).text
    shortlisted = await walsall.post(
        f"/council/candidates/{ref}/shortlist",
        {"vacancy_id": vacancy_path.rsplit("/", 1)[1]},
        page=f"/council/candidates/{ref}",
    )
    match_path = shortlisted.headers["location"]
    await walsall.post(f"{match_path}/reach-out", page=match_path)
    candidate = Browser(runtime)
    candidate.http.cookies.set(
        "rtw_session",
        issue_token(
            runtime.settings.token_secret.get_secret_value(),
            Principal(subject=str(returner.candidate_id), role=Role.CANDIDATE),
        ),
    )
    await candidate.post(
        f"/my/interest/{match_path.rsplit('/', 1)[1]}", {"response": "accepted"}, page="/my/interest"
    )
    hire = {
        "hired": "yes",
        "start_date-day": "6",
        "start_date-month": "4",
        "start_date-year": "2027",
        "hours_per_week": "30",
        "salary_min": "30000",
        "salary_max": "36000",
        "contract": "permanent",
    }

    early = await walsall.post(f"{match_path}/outcome", hire, page=match_path)

    assert early.status_code == 409
    assert "record the interview before recording a hire" in early.text
    assert 'href="#hired"' in early.text  # in the error summary, linked to the question
    assert await outbox(runtime, "CandidateHired") == []
    interviewed = await walsall.post(
        f"{match_path}/interview",
        {
            "interview_date-day": "1",
            "interview_date-month": "3",
            "interview_date-year": "2027",
            "interview_time": "10:00",
        },
        page=match_path,
    )
    assert interviewed.status_code == 303, interviewed.text
    hired = await walsall.post(f"{match_path}/outcome", hire, page=match_path)
    assert hired.status_code == 303, hired.text
    assert "You hired this returner" in (await walsall.get(match_path)).text
