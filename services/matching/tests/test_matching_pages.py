"""The recruiter and candidate pages of matching over HTTP (no browser): forms, errors, sign-in by
the invitation link, and that pages act only for the recruiter's own council."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_contracts import ApplicationSubmitted, AssessmentScored
from rtw_contracts.examples import example
from rtw_matching.app import SERVICE
from rtw_platform.auth import Principal, Role, issue_session_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.forms import refused as refused_form
from rtw_platform.testing.links import mailed_link
from sqlalchemy import text

pytestmark = pytest.mark.component

PUBLIC_URL = "https://rtw.example"
WALSALL, BIRMINGHAM = "E08000030", "E08000025"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """An HTTP client that keeps cookies and sends each form with the page's CSRF token."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        # Over HTTPS, as PUBLIC_URL says: the cookies are Secure and go over nothing else.
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app_for(runtime)), base_url="https://m"
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

    async def refused(
        self, path: str, form: dict[str, Any] | None = None, *, page: str | None = None
    ) -> httpx.Response:
        """Send a form that is refused (from `page`, by default `path`): the answer is a 303 back to
        the page's path (post/redirect/get), and the page shown there, with the problems."""
        shown = await self.http.get(page or path)
        found = CSRF.search(shown.text)
        assert found, f"no form on {page or path}: {shown.status_code} {shown.text[:500]}"
        data = {**(form or {}), "csrf_token": found.group(1)}
        return await refused_form(self.http, path, data, page=(page or path).split("?")[0])


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


def link_in(invited: dict[str, Any], runtime: ServiceRuntime) -> str:
    """The sign-in link notifications would e-mail for this invitation in the outbox."""
    return mailed_link(invited, runtime.settings.token_secret.get_secret_value(), PUBLIC_URL)


def signed_in_as(runtime: ServiceRuntime, principal: Principal) -> Browser:
    browser = Browser(runtime)
    secret = runtime.settings.token_secret.get_secret_value()
    browser.http.cookies.set("rtw_session", issue_session_token(secret, principal))
    return browser


async def sign_up_and_in(runtime: ServiceRuntime, gss: str) -> Browser:
    """The council is claimed on the sign-up page, a programme admin approves the claim on the
    claims page, and the contact signs in with the link e-mailed on approval."""
    browser = Browser(runtime)
    invited_before = await outbox(runtime, "RecruiterInvited")
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
    assert await outbox(runtime, "RecruiterInvited") == invited_before  # nobody signs in on a claim
    admin = signed_in_as(runtime, Principal(subject="admin-1", role=Role.ADMIN))
    claims = await admin.get("/admin/councils")
    claim_id = re.findall(r"/admin/councils/claims/([0-9a-f-]{36})/approve", claims.text)[-1]
    approved = await admin.post(f"/admin/councils/claims/{claim_id}/approve", page="/admin/councils")
    assert approved.status_code == 303, approved.text
    link = link_in((await outbox(runtime, "RecruiterInvited"))[-1], runtime)
    assert link.startswith(f"{PUBLIC_URL}/matching/recruiters/sign-in/")
    path = link.removeprefix(f"{PUBLIC_URL}/matching")
    landing = await browser.get(path)
    assert "Continue" in landing.text
    signed_in = await browser.post("/recruiters/sign-in", {"token": path.rsplit("/", 1)[1]}, page=path)
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == "/matching/council"
    return browser


def main_of(page: httpx.Response) -> str:
    """What a page says (its main content)."""
    return page.text.split("<main", 1)[1].split("</main>", 1)[0]


async def join_pool(runtime: ServiceRuntime, phone: str | None = None) -> ApplicationSubmitted:
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
    facts, contact = application.split()  # as applications publishes them (version 2)
    contact = contact.model_copy(update={"phone": phone})  # the phone travels with the contact only
    for event in (facts, contact, scored):
        await runtime.broker.publish(
            event.model_dump(mode="json"),
            exchange=runtime.topology.events_exchange,
            routing_key=event.ROUTING_KEY,
        )
    return application


MESSAGE = "Your data skills fit our housing team. We would like to talk about the job."


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
    empty = await browser.refused("/councils/sign-up", {"contact_email": "not an address"})
    assert 'value="not an address"' in empty.text  # what was typed is kept
    for message in (
        "Find your council: type part of its name",
        "Enter the name of the council",
        "correct format",
    ):
        assert message in empty.text
    assert 'href="#council"' in empty.text

    await sign_up_and_in(runtime, WALSALL)
    again = await Browser(runtime).refused(
        "/councils/sign-up",
        {"gss_code": WALSALL, "contact_name": "Someone Else", "contact_email": "else@walsall.example"},
    )
    assert "Walsall is already on the programme" in again.text
    assert len(await outbox(runtime, "CouncilRegistered")) == 1


RADIO = re.compile(
    r'<input class="govuk-radios__input" id="[^"]+" name="gss_code" type="radio" value="([^"]+)"( checked)?'
)


def council_radios(page: httpx.Response) -> list[tuple[str, bool]]:
    """The councils offered to choose from (GSS code, whether chosen already)."""
    return [(code, bool(checked)) for code, checked in RADIO.findall(page.text)]


async def test_the_council_picker_finds_councils_by_what_is_typed_without_javascript(
    runtime: ServiceRuntime,
) -> None:
    browser = Browser(runtime)
    # Seen: a drop-down of every council (360 and more) to scroll through. Now nothing is listed
    # until something is typed; then only the councils that match, as choices.
    first = await browser.get("/councils/sign-up")
    assert council_radios(first) == []
    assert "<select" not in main_of(first)
    assert 'name="council"' in first.text  # the text field of the picker, in a GET form

    newcastle = await browser.get("/councils/sign-up", council="newcastle")
    assert council_radios(newcastle) == [("E08000021", False), ("E07000195", False)]
    assert "Newcastle upon Tyne (North East)" in newcastle.text
    assert "Newcastle-under-Lyme (West Midlands)" in newcastle.text
    assert council_radios(await browser.get("/councils/sign-up", council="Walsall Council")) == [
        (WALSALL, True)  # the only one: chosen already
    ]
    assert council_radios(await browser.get("/councils/sign-up", council="e08000030")) == [(WALSALL, True)]
    many = await browser.get("/councils/sign-up", council="shire")
    assert len(council_radios(many)) == 20
    assert "type more of the name to find yours" in many.text
    nothing = await browser.get("/councils/sign-up", council="<b>Atlantis</b>")
    assert council_radios(nothing) == []
    assert "No council matches “&lt;b&gt;Atlantis&lt;/b&gt;”" in nothing.text
    assert (await browser.get("/councils/sign-up", council="x" * 5000)).status_code == 200

    contact = {"contact_name": "Morag Fairweather", "contact_email": "morag@newcastle.example"}
    unchosen = await browser.refused(
        "/councils/sign-up",
        {"council_query": "newcastle", **contact},
        page="/councils/sign-up?council=newcastle",
    )
    assert "Select your council" in unchosen.text
    assert 'href="#gss_code"' in unchosen.text
    assert [code for code, _ in council_radios(unchosen)] == ["E08000021", "E07000195"]
    chosen = await browser.post(
        "/councils/sign-up",
        {"council_query": "newcastle", "gss_code": "E07000195", **contact},
        page="/councils/sign-up?council=newcastle",
    )
    assert chosen.status_code == 303, chosen.text
    async with runtime.engine.connect() as conn:
        claimed = await conn.execute(text("SELECT gss_code FROM matching.councils"))
        assert [row.gss_code for row in claimed] == ["E07000195"]


async def test_a_used_link_does_not_sign_in_again(runtime: ServiceRuntime) -> None:
    await sign_up_and_in(runtime, WALSALL)
    link = link_in((await outbox(runtime, "RecruiterInvited"))[-1], runtime)
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
    returner = await join_pool(runtime, phone="01632 960 001")
    ref = str(returner.application_id)

    wrong = await walsall.refused(
        "/council/vacancies/new",
        vacancy_form(
            title="", **{"skill-3": "Data management", "base_postcode_districts": "ZZ99", "salary_min": "x"}
        ),
    )
    assert 'value="ZZ99"' in wrong.text  # what was typed is kept
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
    # Back, and the button again: 303 back to the returner's page, which says why
    twice = await walsall.refused(
        f"/council/candidates/{ref}/shortlist",
        {"vacancy_id": vacancy_id},
        page=f"/council/candidates/{ref}?vacancy_id={vacancy_id}",
    )
    assert "There is a problem" in twice.text
    assert "this match is shortlisted" in twice.text
    assert 'href="#main-content"' in twice.text
    assert "There is a problem" not in (await walsall.get(f"/council/candidates/{ref}")).text
    no_vacancy = await walsall.refused(
        f"/council/candidates/{ref}/shortlist", {"vacancy_id": ""}, page=f"/council/candidates/{ref}"
    )
    assert "Select one of your vacancies" in no_vacancy.text

    # Another council's recruiter cannot open Walsall's vacancy, returner-for-vacancy or match
    # pages: they answer exactly as pages of unknown ids do.
    birmingham = await sign_up_and_in(runtime, BIRMINGHAM)
    unknown = uuid4()
    for path, unknown_path in (
        (vacancy_path, f"/council/vacancies/{unknown}"),
        (
            f"/council/candidates/{ref}?vacancy_id={vacancy_id}",
            f"/council/candidates/{ref}?vacancy_id={unknown}",
        ),
        (match_path, f"/council/matches/{unknown}"),
    ):
        refused, as_unknown = await birmingham.get(path), await birmingham.get(unknown_path)
        assert refused.status_code == 404, path
        assert main_of(refused) == main_of(as_unknown), path
    refused = await birmingham.post(f"{match_path}/reach-out", page="/council")
    assert refused.status_code == 404
    for path in (
        f"{vacancy_path}/close",
        f"{vacancy_path}/fill",
        f"{match_path}/interview",
        f"{match_path}/outcome",
    ):
        assert (await birmingham.post(path, page="/council")).status_code == 404, path
    stranger = await birmingham.post(
        f"/council/candidates/{ref}/shortlist", {"vacancy_id": vacancy_id}, page="/council"
    )
    assert stranger.status_code == 404

    reached = await walsall.post(f"{match_path}/reach-out", {"message": MESSAGE}, page=match_path)
    assert reached.status_code == 303
    waiting = await walsall.get(match_path)
    assert "Waiting for the candidate" in waiting.text
    assert "01632" not in waiting.text

    candidate = Browser(runtime)
    token = issue_session_token(
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
    assert "01632 960 001" in main_of(with_contact)  # given for a council to call about a job
    missing = await walsall.refused(f"{match_path}/outcome", {"hired": "yes"}, page=match_path)
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
    for action in ("close", "fill"):  # a page kept open from before: back to the vacancy, saying why
        late = await walsall.refused(f"{vacancy_path}/{action}", page=vacancy_path)
        assert "There is a problem" in late.text, action
        assert "This vacancy is already filled" in late.text, action


def as_candidate(runtime: ServiceRuntime, candidate_id: Any) -> Browser:
    return signed_in_as(runtime, Principal(subject=str(candidate_id), role=Role.CANDIDATE))


async def shortlisted_match(runtime: ServiceRuntime, walsall: Browser, **vacancy: Any) -> tuple[Any, str]:
    """A returner in the pool, a vacancy posted on the page and the returner shortlisted for it:
    the returner and the match's page."""
    returner = await join_pool(runtime)
    ref = str(returner.application_id)
    posted = await walsall.post("/council/vacancies/new", vacancy_form(**vacancy))
    assert posted.status_code == 303, posted.text
    vacancy_id = posted.headers["location"].split("?")[0].rsplit("/", 1)[1]
    shortlisted = await walsall.post(
        f"/council/candidates/{ref}/shortlist", {"vacancy_id": vacancy_id}, page=f"/council/candidates/{ref}"
    )
    assert shortlisted.status_code == 303, shortlisted.text
    return returner, shortlisted.headers["location"]


DESCRIPTION = "Turn housing data into reports managers use.\n\nYou join a team of four."


async def test_a_reach_out_shows_the_returner_the_vacancys_facts_and_the_councils_message(
    runtime: ServiceRuntime,
) -> None:
    walsall = await sign_up_and_in(runtime, WALSALL)
    too_long = await walsall.refused("/council/vacancies/new", vacancy_form(description="x" * 4001))
    assert "The description must be 4000 characters or fewer" in too_long.text
    returner, match_path = await shortlisted_match(
        runtime, walsall, description=DESCRIPTION, flexible_working=["part_time", "compressed_hours"]
    )
    vacancy_id = (await outbox(runtime, "VacancyPosted"))[-1]["vacancy_id"]
    assert (await outbox(runtime, "VacancyPosted"))[-1]["description"] == DESCRIPTION.replace("\n", "\n")
    vacancy_page = main_of(await walsall.get(f"/council/vacancies/{vacancy_id}"))
    assert "Turn housing data into reports managers use." in vacancy_page
    assert "You join a team of four." in vacancy_page

    # The reach-out needs a message, of a length a person can read.
    for form, problem in (
        ({}, "Enter your message to the returner"),
        ({"message": "   "}, "Enter your message to the returner"),
        ({"message": "x" * 1001}, "Your message must be 1000 characters or fewer"),
    ):
        shown = await walsall.refused(f"{match_path}/reach-out", form, page=match_path)
        assert problem in shown.text
        assert 'href="#message"' in shown.text
    assert await outbox(runtime, "ReachOutSent") == []
    written = "<script>alert(1)</script> We like your data skills.\nCall us on 01922 650000."
    reached = await walsall.post(f"{match_path}/reach-out", {"message": written}, page=match_path)
    assert reached.status_code == 303, reached.text
    sent = await outbox(runtime, "ReachOutSent")
    assert len(sent) == 1
    assert "message" not in sent[0]  # the words stay with the match, off the bus
    assert "We like your data skills." in main_of(await walsall.get(match_path))

    page = main_of(await as_candidate(runtime, returner.candidate_id).get("/my/interest"))
    for fact in (
        "Walsall: Data analyst",
        "Turn housing data into reports managers use.",
        "£30,000 to £36,000",  # the salary band
        "Hours per week",
        '<dd class="govuk-summary-list__value">\n      30\n    </dd>',
        "Hybrid",  # where the job is done
        "Part-time",  # the working pattern
        "Compressed hours",
        "WS1",  # the place of work
        "Message from Walsall",
        "We like your data skills.",
    ):
        assert fact in page, fact
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "telephone number (if you gave one)" in page

    proxied = await as_candidate(runtime, returner.candidate_id).http.get(
        "/my/interest", headers={"X-Forwarded-Prefix": "/matching"}
    )
    assert proxied.status_code == 200  # with the menu's current page marked
    assert "Message from Walsall" in proxied.text

    # Another candidate sees none of it, and cannot answer it.
    other = as_candidate(runtime, uuid4())
    assert "We like your data skills." not in (await other.get("/my/interest")).text
    match_id = match_path.rsplit("/", 1)[1]
    answered = await other.post(f"/my/interest/{match_id}", {"response": "accepted"}, page="/my/interest")
    assert answered.status_code == 404
    assert await outbox(runtime, "MatchResponded") == []


async def test_an_interview_invitation_reaches_the_returner_with_its_day_time_and_place(
    runtime: ServiceRuntime,
) -> None:
    walsall = await sign_up_and_in(runtime, WALSALL)
    returner, match_path = await shortlisted_match(runtime, walsall)
    await walsall.post(f"{match_path}/reach-out", {"message": MESSAGE}, page=match_path)
    candidate = as_candidate(runtime, returner.candidate_id)
    match_id = match_path.rsplit("/", 1)[1]
    await candidate.post(f"/my/interest/{match_id}", {"response": "accepted"}, page="/my/interest")
    day = datetime.now(UTC).date() + timedelta(days=40)
    when = {
        "interview_date-day": str(day.day),
        "interview_date-month": str(day.month),
        "interview_date-year": str(day.year),
        "interview_time": "14:30",
    }
    form = {**when, "interview_place": "Civic Centre, Darwall Street, room 2"}

    no_place = await walsall.refused(f"{match_path}/interview", when, page=match_path)
    assert "Enter where the interview is" in no_place.text
    past = await walsall.refused(
        f"{match_path}/interview", {**form, "interview_date-year": str(day.year - 2)}, page=match_path
    )
    assert "Civic Centre, Darwall Street, room 2" in past.text  # what was typed is kept
    assert "The interview must be in the future" in past.text
    # A recruiter of another council cannot invite Walsall's returner (as if there were no match).
    birmingham = await sign_up_and_in(runtime, BIRMINGHAM)
    refused = await birmingham.post(f"{match_path}/interview", form, page="/council")
    assert refused.status_code == 404
    assert await outbox(runtime, "InterviewInvited") == []

    invited = await walsall.post(f"{match_path}/interview", form, page=match_path)
    assert invited.status_code == 303, invited.text
    [event] = await outbox(runtime, "InterviewInvited")
    assert event["match_id"] == match_id
    assert event["place"] == "Civic Centre, Darwall Street, room 2"
    starts = datetime.fromisoformat(event["starts_at"]).astimezone(ZoneInfo("Europe/London"))
    assert (starts.date(), f"{starts:%H:%M}") == (day, "14:30")
    recruiter_page = main_of(await walsall.get(match_path))
    assert "Civic Centre, Darwall Street, room 2" in recruiter_page
    assert "Change the interview" in recruiter_page

    page = main_of(await candidate.get("/my/interest"))
    assert "Your interview" in page
    assert f"{day:%-d %B %Y} at 14:30 (UK time)" in page
    assert "Civic Centre, Darwall Street, room 2" in page
    assert "Civic Centre" not in (await as_candidate(runtime, uuid4()).get("/my/interest")).text

    moved = await walsall.post(
        f"{match_path}/interview", {**form, "interview_place": "Council House, room 5"}, page=match_path
    )
    assert moved.status_code == 303, moved.text
    second = (await outbox(runtime, "InterviewInvited"))[-1]
    assert second["interview_id"] != event["interview_id"]
    assert "Council House, room 5" in main_of(await candidate.get("/my/interest"))


async def test_an_answer_that_cannot_be_taken_goes_back_to_the_page_with_the_reason(
    runtime: ServiceRuntime,
) -> None:
    """Post/redirect/get: the answer to a council's interest sent again (Back, then the button
    again) or sent without a choice is answered with a redirect back to the page, which says why;
    never a page in answer to the POST (which Back would offer to send once more)."""
    walsall = await sign_up_and_in(runtime, WALSALL)
    returner, match_path = await shortlisted_match(runtime, walsall)
    await walsall.post(f"{match_path}/reach-out", {"message": MESSAGE}, page=match_path)
    candidate = as_candidate(runtime, returner.candidate_id)
    match_id = match_path.rsplit("/", 1)[1]
    action = f"/my/interest/{match_id}"

    nothing = await refused_form(
        candidate.http, action, await form_of(candidate, {"response": "maybe"}), page=PAGE
    )
    assert "There is a problem" in nothing.text
    assert f'href="#response-{match_id}"' in nothing.text  # the summary links to the answer
    assert f'id="response-{match_id}"' in nothing.text
    assert "Choose to accept or decline" in main_of(nothing)
    assert await outbox(runtime, "MatchResponded") == []

    form = await form_of(candidate, {"response": "accepted"})
    accepted = await candidate.http.post(action, data=form)
    assert accepted.headers["location"] == "/my/interest?answered=accepted"
    again = await refused_form(candidate.http, action, {**form, "response": "declined"}, page=PAGE)
    assert "You have already answered this council" in main_of(again)
    assert len(await outbox(runtime, "MatchResponded")) == 1
    # Shown once: a reload shows the page without the problem.
    assert "There is a problem" not in (await candidate.get(PAGE)).text


async def form_of(browser: Browser, form: dict[str, Any]) -> dict[str, Any]:
    """The form with the CSRF token of the candidate's interest page."""
    found = CSRF.search((await browser.get(PAGE)).text)
    assert found
    return {**form, "csrf_token": found.group(1)}


PAGE = "/my/interest"


# --------------------------------------------------------------------------- claims and admins


async def claim_on_the_page(runtime: ServiceRuntime, gss: str, email: str) -> None:
    answer = await Browser(runtime).post(
        "/councils/sign-up", {"gss_code": gss, "contact_name": "Morag Fairweather", "contact_email": email}
    )
    assert answer.status_code == 303, answer.text


async def claim_ids(admin: Browser) -> list[str]:
    page = await admin.get("/admin/councils")
    assert page.status_code == 200, page.text
    return re.findall(r"/admin/councils/claims/([0-9a-f-]{36})/approve", page.text)


async def test_the_claims_page_shows_each_claims_domain_and_approves_or_rejects(
    runtime: ServiceRuntime,
) -> None:
    await claim_on_the_page(runtime, WALSALL, "impostor@freemail.example")
    await claim_on_the_page(runtime, BIRMINGHAM, "recruitment@birmingham.gov.uk")
    admin = signed_in_as(runtime, Principal(subject="admin-1", role=Role.ADMIN))
    page = await admin.get("/admin/councils")
    shown = main_of(page)
    assert shown.index("Walsall") < shown.index("Birmingham")  # oldest first
    assert "freemail.example" in shown
    assert "Not a council address" in shown
    assert "birmingham.gov.uk" in shown
    assert "Council's own domain" in shown
    walsall_claim, birmingham_claim = await claim_ids(admin)

    no_reason = await admin.refused(
        f"/admin/councils/claims/{walsall_claim}/reject", {"reason": ""}, page="/admin/councils"
    )
    assert "Enter the reason for rejecting the claim" in no_reason.text
    assert f'href="#reason-{walsall_claim}"' in no_reason.text
    rejected = await admin.post(
        f"/admin/councils/claims/{walsall_claim}/reject",
        {"reason": "Not a Walsall address"},
        page="/admin/councils",
    )
    assert rejected.status_code == 303
    approved = await admin.post(f"/admin/councils/claims/{birmingham_claim}/approve", page="/admin/councils")
    assert approved.status_code == 303
    after = main_of(await admin.get(approved.headers["location"]))
    assert "contact has been e-mailed a link" in after
    assert "No claim is waiting" in after
    for decided in ("Rejected", "Not a Walsall address", "Approved"):
        assert decided in after
    assert [e["contact_email"] for e in await outbox(runtime, "CouncilRegistered")] == [
        "recruitment@birmingham.gov.uk"
    ]
    assert [e["email"] for e in await outbox(runtime, "RecruiterInvited")] == [
        "recruitment@birmingham.gov.uk"
    ]
    # Back to the claims, and Approve on the rejected claim: 303 back to the claims, saying why
    again = await admin.refused(f"/admin/councils/claims/{walsall_claim}/approve", page="/admin/councils")
    assert "There is a problem" in again.text
    assert "This claim was already rejected" in again.text
    twice = await admin.refused(f"/admin/councils/claims/{birmingham_claim}/approve", page="/admin/councils")
    assert "This claim was already approved" in twice.text
    rejected_late = await admin.refused(
        f"/admin/councils/claims/{birmingham_claim}/reject", {"reason": "Too late"}, page="/admin/councils"
    )
    assert "This claim was already approved" in rejected_late.text
    assert "There is a problem" not in (await admin.get("/admin/councils")).text  # a reload: nothing
    assert len(await outbox(runtime, "CouncilRegistered")) == 1


async def test_only_an_admin_with_the_forms_token_decides_a_claim(runtime: ServiceRuntime) -> None:
    await claim_on_the_page(runtime, WALSALL, "someone@freemail.example")
    admin = signed_in_as(runtime, Principal(subject="admin-1", role=Role.ADMIN))
    [claim_id] = await claim_ids(admin)
    recruiter = await sign_up_and_in(runtime, BIRMINGHAM)
    candidate = signed_in_as(runtime, Principal(subject=str(uuid4()), role=Role.CANDIDATE))
    for browser in (recruiter, candidate, Browser(runtime)):
        listed = await browser.get("/admin/councils")
        assert listed.status_code == 303
        assert listed.headers["location"].startswith("/applications/account/staff-sign-in?next=")
        for action in ("approve", "reject"):
            refused = await browser.post(
                f"/admin/councils/claims/{claim_id}/{action}", {"reason": "no"}, page="/councils/sign-up"
            )
            assert refused.status_code == 303, action
            assert "staff-sign-in" in refused.headers["location"]
    # The admin's own browser, but a form posted from elsewhere (no token of the session).
    forged = await admin.http.post(
        f"/admin/councils/claims/{claim_id}/approve", data={"csrf_token": "forged"}
    )
    assert forged.status_code == 400
    assert "could not be sent" in forged.text
    assert await claim_ids(admin) == [claim_id]  # still waiting
    assert len(await outbox(runtime, "CouncilRegistered")) == 1  # Birmingham's, approved above


async def test_a_pending_councils_recruiter_sees_only_that_it_awaits_approval(
    runtime: ServiceRuntime,
) -> None:
    await claim_on_the_page(runtime, WALSALL, "early@walsall.gov.uk")
    await join_pool(runtime)
    admin = signed_in_as(runtime, Principal(subject="admin-1", role=Role.ADMIN))
    [claim_id] = await claim_ids(admin)
    async with runtime.engine.connect() as conn:
        council_id = (
            await conn.execute(text("SELECT id FROM matching.councils WHERE gss_code = :g"), {"g": WALSALL})
        ).scalar_one()
    # A recruiter of a council that signed up before claims were checked still has a session.
    early = signed_in_as(
        runtime, Principal(subject=str(uuid4()), role=Role.RECRUITER, council_id=str(council_id))
    )
    home = await early.get("/council")
    assert home.status_code == 200
    assert "Your claim is awaiting approval" in home.text
    assert "awaiting approval by the programme team" in home.text
    assert "Post a vacancy" not in home.text
    for path in ("/council/search", "/council/shortlist", "/council/vacancies/new", "/council/recruiters"):
        refused = await early.get(path)
        assert refused.status_code == 403, path
        assert "awaiting approval by the programme team" in refused.text, path
    posted = await early.post("/council/vacancies/new", vacancy_form(), page="/council")
    assert posted.status_code == 403
    invited = await early.post(
        "/council/recruiters", {"name": "A Colleague", "email": "c@x.example"}, page="/council"
    )
    assert invited.status_code == 403
    assert await outbox(runtime, "RecruiterInvited") == []

    approved = await admin.post(f"/admin/councils/claims/{claim_id}/approve", page="/admin/councils")
    assert approved.status_code == 303
    assert "Post a vacancy" in (await early.get("/council")).text
    assert (await early.get("/council/search")).status_code == 200


async def test_a_recruiter_asks_for_a_new_link_and_the_answer_never_tells_who_is_known(
    runtime: ServiceRuntime,
) -> None:
    walsall = await sign_up_and_in(runtime, WALSALL)
    address = (await outbox(runtime, "RecruiterInvited"))[-1]["email"]
    await claim_on_the_page(runtime, BIRMINGHAM, "waiting@birmingham.gov.uk")  # not approved
    before = len(await outbox(runtime, "RecruiterInvited"))

    page = await Browser(runtime).get("/recruiters/sign-in")
    assert "Send me a new link" in page.text
    answers = []
    for typed in (address.upper(), "nobody@walsall.gov.uk", "waiting@birmingham.gov.uk"):
        answer = await Browser(runtime).post(
            "/recruiters/new-link", {"email": typed}, page="/recruiters/sign-in"
        )
        answers.append((answer.status_code, answer.headers.get("location"), answer.text))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][:2] == (303, "/recruiters/link-sent")
    sent = (await outbox(runtime, "RecruiterInvited"))[before:]
    assert [e["email"] for e in sent] == [address]
    assert (
        "If that address belongs to a recruiter" in (await Browser(runtime).get("/recruiters/link-sent")).text
    )

    path = link_in(sent[0], runtime).removeprefix(f"{PUBLIC_URL}/matching")
    again = Browser(runtime)
    signed_in = await again.post("/recruiters/sign-in", {"token": path.rsplit("/", 1)[1]}, page=path)
    assert signed_in.status_code == 303
    assert (await again.get("/council")).status_code == 200

    bad = await Browser(runtime).refused(
        "/recruiters/new-link", {"email": "not an address"}, page="/recruiters/sign-in"
    )
    assert "correct format" in bad.text
    assert walsall is not None


async def test_a_recruiter_invites_a_colleague_from_the_recruiters_page(runtime: ServiceRuntime) -> None:
    walsall = await sign_up_and_in(runtime, WALSALL)
    home = await walsall.get("/council")
    assert "Invite a colleague" in home.text
    wrong = await walsall.refused(
        "/council/recruiters", {"name": "42", "email": "nope"}, page="/council/recruiters"
    )
    assert 'value="nope"' in wrong.text  # what was typed is kept
    assert "at least one letter" in wrong.text
    assert "correct format" in wrong.text
    hidden = await walsall.refused(
        "/council/recruiters",
        {"name": "Col\u200bleague", "email": "c@walsall.gov.uk"},
        page="/council/recruiters",
    )
    assert "Remove the hidden characters" in hidden.text
    invited = await walsall.post(
        "/council/recruiters",
        {"name": "Colleague Person", "email": "colleague@walsall.gov.uk"},
        page="/council/recruiters",
    )
    assert invited.status_code == 303
    assert invited.headers["location"] == "/council/recruiters?invited=1"
    listed = await walsall.get("/council/recruiters", invited="1")
    assert "We have e-mailed your colleague" in listed.text
    assert "Colleague Person (colleague@walsall.gov.uk)" in listed.text
    [colleague] = [
        e for e in await outbox(runtime, "RecruiterInvited") if e["email"] == "colleague@walsall.gov.uk"
    ]
    path = link_in(colleague, runtime).removeprefix(f"{PUBLIC_URL}/matching")
    browser = Browser(runtime)
    assert (
        await browser.post("/recruiters/sign-in", {"token": path.rsplit("/", 1)[1]}, page=path)
    ).status_code == 303
    assert "Vacancies" in (await browser.get("/council")).text


async def recruiters_with(runtime: ServiceRuntime, email: str) -> list[tuple[str, str]]:
    """(council's GSS code, recruiter's name) of each recruiter with this address."""
    async with runtime.engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT c.gss_code, r.name FROM matching.recruiters r JOIN matching.councils c"
                " ON c.id = r.council_id WHERE lower(r.email) = lower(:e) ORDER BY c.gss_code"
            ),
            {"e": email},
        )
        return [(row[0], row[1]) for row in found.all()]


async def test_a_recruiter_of_two_councils_chooses_one_by_its_link_and_sees_only_that_one(
    runtime: ServiceRuntime,
) -> None:
    """Walsall invited Birmingham's recruiter: the address became a Walsall recruiter as well, and
    which council the e-mailed sign-in opened was not said. A person may recruit for several
    councils (a new-link request e-mails one link per council): each link's page now names the
    council it signs in for, the session sees that council only, and Birmingham is untouched."""
    birmingham = await sign_up_and_in(runtime, BIRMINGHAM)
    address = (await outbox(runtime, "RecruiterInvited"))[-1]["email"]
    walsall = await sign_up_and_in(runtime, WALSALL)
    names = {}
    async with runtime.engine.connect() as conn:
        for gss in (WALSALL, BIRMINGHAM):
            names[gss] = (
                await conn.execute(text("SELECT name FROM matching.councils WHERE gss_code = :g"), {"g": gss})
            ).scalar_one()
    assert await recruiters_with(runtime, address) == [(BIRMINGHAM, "Morag Fairweather")]
    invited = await walsall.post(
        "/council/recruiters", {"name": "Another Name", "email": address}, page="/council/recruiters"
    )
    assert invited.status_code == 303
    # Birmingham's recruiter is unchanged; Walsall has its own recruiter with that address.
    assert await recruiters_with(runtime, address) == sorted(
        [(BIRMINGHAM, "Morag Fairweather"), (WALSALL, "Another Name")]
    )
    assert address in (await birmingham.get("/council/recruiters")).text

    sent_before = len(await outbox(runtime, "RecruiterInvited"))
    await Browser(runtime).post("/recruiters/new-link", {"email": address}, page="/recruiters/sign-in")
    links = (await outbox(runtime, "RecruiterInvited"))[sent_before:]
    assert len(links) == 2  # one per council: the person chooses, nothing is chosen for them
    async with runtime.engine.connect() as conn:
        gss_of = {
            str(row[0]): row[1]
            for row in (await conn.execute(text("SELECT id, gss_code FROM matching.councils"))).all()
        }
    assert sorted(gss_of[e["council_id"]] for e in links) == sorted([WALSALL, BIRMINGHAM])
    for event in links:
        mine, other = (
            (WALSALL, BIRMINGHAM) if gss_of[event["council_id"]] == WALSALL else (BIRMINGHAM, WALSALL)
        )
        path = link_in(event, runtime).removeprefix(f"{PUBLIC_URL}/matching")
        person = Browser(runtime)
        landing = await person.get(path)
        assert f"recruit for <strong>{names[mine]}</strong>" in landing.text
        signed_in = await person.post("/recruiters/sign-in", {"token": path.rsplit("/", 1)[1]}, page=path)
        assert signed_in.status_code == 303
        for page in ("/council", "/council/recruiters"):
            shown = main_of(await person.get(page))
            assert names[mine] in shown, page
            assert names[other] not in shown, page


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
    await walsall.post(f"{match_path}/reach-out", {"message": MESSAGE}, page=match_path)
    candidate = Browser(runtime)
    candidate.http.cookies.set(
        "rtw_session",
        issue_session_token(
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

    early = await walsall.refused(f"{match_path}/outcome", hire, page=match_path)

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
            "interview_place": "Civic Centre, room 2",
        },
        page=match_path,
    )
    assert interviewed.status_code == 303, interviewed.text
    hired = await walsall.post(f"{match_path}/outcome", hire, page=match_path)
    assert hired.status_code == 303, hired.text
    assert "You hired this returner" in (await walsall.get(match_path)).text


async def test_the_search_pages_filters_come_before_its_results_with_the_button_near_the_top(
    runtime: ServiceRuntime,
) -> None:
    # Seen: the filter panel beside the results, its button some 3,000 px down the page.
    walsall = await sign_up_and_in(runtime, WALSALL)
    returner = await join_pool(runtime)
    page = main_of(await walsall.get("/council/search", radius_km="50"))
    button = page.index('id="apply-filters"')
    assert page.index('id="vacancy_id"') < button < page.index('id="results-heading"')
    assert button < page.index('id="more-filters"') < page.index('id="specialisms"')
    assert str(returner.application_id)[:8].upper() in page[page.index('id="results-heading"') :]
    assert re.search(r'<details class="govuk-details" id="more-filters">', page)  # closed: none in use
    for query in ({"skill-1": "Data management", "level-1": "2"}, {"min_years_experience": "-1"}):
        opened = main_of(await walsall.get("/council/search", **query))
        assert '<details class="govuk-details" id="more-filters" open>' in opened, query
    # Behind the proxy the menu marks the page current; the words marked for translation still show.
    proxied = await walsall.http.get("/council/search", headers={"X-Forwarded-Prefix": "/matching"})
    assert proxied.status_code == 200
    assert "govuk-service-navigation__active-fallback" in proxied.text
    assert "Apply filters" in proxied.text


def saved_search_ids(page: httpx.Response) -> list[str]:
    return re.findall(r"/council/saved-searches/([0-9a-f-]{36})/delete", page.text)


async def test_a_recruiter_saves_a_search_is_shown_new_returners_and_runs_switches_and_deletes_it(
    runtime: ServiceRuntime,
) -> None:
    walsall = await sign_up_and_in(runtime, WALSALL)
    assert "no saved searches yet" in (await walsall.get("/council/saved-searches")).text
    before = await join_pool(runtime)

    found = await walsall.get("/council/search", radius_km="50", specialisms="data_analyst")
    save_link = re.search(r'href="((?:/matching)?/council/saved-searches/new\?[^"]+)"', found.text)
    assert save_link, "the search page offers to save the search"
    new_page = save_link.group(1).replace("&amp;", "&").removeprefix("/matching")
    naming = await walsall.get(new_page)
    assert "within 50 km of your council" in naming.text
    assert "Data analyst" in naming.text
    query = new_page.split("?", 1)[1]
    unnamed = await walsall.refused("/council/saved-searches", {"name": "", "query": query}, page=new_page)
    assert "within 50 km of your council" in unnamed.text  # the same search, to name
    assert "Enter a name for the search" in unnamed.text
    saved = await walsall.post(
        "/council/saved-searches", {"name": "Analysts near us", "query": query}, page=new_page
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/council/saved-searches?done=saved"

    listed = await walsall.get("/council/saved-searches")
    [saved_id] = saved_search_ids(listed)
    assert "Analysts near us" in listed.text
    assert str(before.application_id)[:8].upper() not in listed.text  # matched before: no alert
    assert "None since you last looked" in listed.text

    # A returner who joins after the search was saved is shown under it; running it finds them.
    later = await join_pool(runtime)
    listed = await walsall.get("/council/saved-searches")
    assert f"/council/candidates/{later.application_id}" in listed.text
    run = re.search(r'href="(?:/matching)?(/council/search\?[^"]+)"', listed.text)
    assert run
    ran = await walsall.get(run.group(1).replace("&amp;", "&"))
    assert ran.status_code == 200
    assert str(later.application_id)[:8].upper() in ran.text
    seen = await walsall.post(f"/council/saved-searches/{saved_id}/seen", page="/council/saved-searches")
    assert seen.headers["location"] == "/council/saved-searches?done=seen"
    assert (
        f"/council/candidates/{later.application_id}"
        not in (await walsall.get("/council/saved-searches")).text
    )

    # Alerts off: nobody new is listed; on again: only those who join from then on.
    off = await walsall.post(
        f"/council/saved-searches/{saved_id}/alerts", {"alerts": "off"}, page="/council/saved-searches"
    )
    assert off.headers["location"] == "/council/saved-searches?done=alerts-off"
    while_off = await join_pool(runtime)
    listed = await walsall.get("/council/saved-searches")
    assert "Turn alerts on" in listed.text
    assert f"/council/candidates/{while_off.application_id}" not in listed.text
    await walsall.post(
        f"/council/saved-searches/{saved_id}/alerts", {"alerts": "on"}, page="/council/saved-searches"
    )
    after_on = await join_pool(runtime)
    listed = await walsall.get("/council/saved-searches")
    assert f"/council/candidates/{while_off.application_id}" not in listed.text
    assert f"/council/candidates/{after_on.application_id}" in listed.text

    confirm = await walsall.get(f"/council/saved-searches/{saved_id}/delete")
    assert "Delete the saved search \N{LEFT SINGLE QUOTATION MARK}Analysts near us" in confirm.text
    deleted = await walsall.post(
        f"/council/saved-searches/{saved_id}/delete", page=f"/council/saved-searches/{saved_id}/delete"
    )
    assert deleted.headers["location"] == "/council/saved-searches?done=deleted"
    assert saved_search_ids(await walsall.get("/council/saved-searches")) == []


async def test_only_the_councils_own_recruiters_with_the_forms_token_change_a_saved_search(
    runtime: ServiceRuntime,
) -> None:
    walsall = await sign_up_and_in(runtime, WALSALL)
    query = "programme=ict&radius_km=30"
    page = f"/council/saved-searches/new?{query}"
    saved = await walsall.post("/council/saved-searches", {"name": "Near", "query": query}, page=page)
    assert saved.status_code == 303, saved.text
    [saved_id] = saved_search_ids(await walsall.get("/council/saved-searches"))
    actions = [
        f"/council/saved-searches/{saved_id}/delete",
        f"/council/saved-searches/{saved_id}/alerts",
        f"/council/saved-searches/{saved_id}/seen",
    ]

    # Another council's recruiter: the search is as unknown as a missing one.
    birmingham = await sign_up_and_in(runtime, BIRMINGHAM)
    assert "Near" not in (await birmingham.get("/council/saved-searches")).text
    assert (await birmingham.get(actions[0])).status_code == 404
    for action in actions:
        answer = await birmingham.post(action, {"alerts": "off"}, page="/council/saved-searches")
        assert answer.status_code == 404, action
        assert "Page not found" in answer.text

    # Without the form's token nothing changes.
    for action in actions:
        refused = await walsall.http.post(action, data={"alerts": "off"})
        assert refused.status_code == 400, action
        assert "could not be sent" in refused.text

    # Nobody signed in, or someone who is not a recruiter, is sent to sign in.
    admin = signed_in_as(runtime, Principal(subject="admin-1", role=Role.ADMIN))
    for browser in (Browser(runtime), admin):
        assert (await browser.get("/council/saved-searches")).status_code == 303
        assert (await browser.get(page)).status_code == 303
        assert (await browser.http.post(actions[0], data={})).status_code == 303

    listed = await walsall.get("/council/saved-searches")
    assert "Turn alerts off" in listed.text  # still on: nothing above changed it
    assert saved_search_ids(listed) == [saved_id]

    # A saved search may name only the council's own vacancy.
    foreign = await walsall.post(
        "/council/saved-searches",
        {"name": "Theirs", "query": f"vacancy_id={uuid4()}"},
        page=page,
    )
    assert foreign.status_code == 404
    assert saved_search_ids(await walsall.get("/council/saved-searches")) == [saved_id]


async def test_only_a_recruiter_with_the_forms_token_invites_a_colleague(runtime: ServiceRuntime) -> None:
    walsall = await sign_up_and_in(runtime, WALSALL)
    invited_before = len(await outbox(runtime, "RecruiterInvited"))
    form = {"name": "Colleague Person", "email": "colleague@walsall.gov.uk"}
    refused = await walsall.http.post("/council/recruiters", data=form)
    assert refused.status_code == 400
    admin = signed_in_as(runtime, Principal(subject="admin-1", role=Role.ADMIN))
    assert (await admin.http.post("/council/recruiters", data=form)).status_code == 303
    assert (await Browser(runtime).http.post("/council/recruiters", data=form)).status_code == 303
    assert len(await outbox(runtime, "RecruiterInvited")) == invited_before
