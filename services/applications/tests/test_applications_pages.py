"""The candidate's pages over HTTP (no browser): applying page by page, errors beside the fields,
check your answers, the second stage upload, withdrawing, and the candidate's data."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_applications.app import SERVICE
from rtw_contracts import AssessmentScored
from rtw_contracts.examples import example
from rtw_platform.auth import Principal, Role, sign_in_link, verify_session_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.links import mailed_link
from sqlalchemy import text

pytestmark = pytest.mark.component

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2000
ICT_PAGES: list[tuple[str, dict[str, Any] | None]] = [
    ("contact", {"phone": "01632 960 001", "language": "en"}),
    ("postcode", {"postcode": "ws1"}),
    ("right-to-work", {"right_to_work": "yes"}),
    (
        "career-break",
        {"start-month": "3", "start-year": "2021", "end-month": "", "end-year": "", "reason": "caring"},
    ),
    ("experience", {"years": "12"}),
    ("specialisms", {"specialisms": ["security_specialist", "data_analyst"]}),
    ("skills", None),  # filled from the page
    (
        "work-preferences",
        {
            "flexible": ["part_time", "hybrid"],
            "travel": "30",
            "regions": ["west_midlands"],
            "councils": "Walsall Metropolitan Borough Council",
            "earliest-day": "4",
            "earliest-month": "1",
            "earliest-year": "2027",
        },
    ),
    ("consent", {"consent": "yes"}),
]


class Browser:
    """Keeps cookies and sends each form with the page's CSRF token."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app_for(runtime)), base_url="http://a"
        )

    async def post(
        self, path: str, form: dict[str, Any], *, page: str | None = None, **extra: Any
    ) -> httpx.Response:
        shown = await self.http.get(page or path)
        found = CSRF.search(shown.text)
        assert found, f"no form on {page or path}: {shown.status_code} {shown.text[:300]}"
        return await self.http.post(path, data={**form, "csrf_token": found.group(1)}, **extra)

    async def refused(
        self, path: str, form: dict[str, Any], *, page: str | None = None, **extra: Any
    ) -> httpx.Response:
        """Post a form that needs correcting: the answer is a 303 back to the form's page (never a
        page in answer to the POST, so Back and reload never send it again), which shows the
        problems and what was typed."""
        answer = await self.post(path, form, page=page, **extra)
        assert answer.status_code == 303, (path, answer.status_code, answer.text[:500])
        assert answer.headers["location"].split("?")[0] == (page or path).split("?")[0]
        shown = await self.http.get(answer.headers["location"])
        assert shown.status_code == 200, shown.text[:500]
        return shown


@pytest_asyncio.fixture
async def runtime(
    start_service: Callable[..., Any], open_cohorts: dict[str, str], tmp_path: Any
) -> AsyncIterator[ServiceRuntime]:
    started: ServiceRuntime = await start_service(
        SERVICE, in_memory_broker=True, relay_enabled=False, file_store_url=f"file://{tmp_path}"
    )
    async with TestRabbitBroker(started.broker):
        yield started


async def link_mailed_to(runtime: ServiceRuntime, email: str) -> str:
    """The sign-in link notifications would e-mail `email` for the latest request in the outbox."""
    async with runtime.engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT payload FROM applications.outbox"
                " WHERE event_type = 'CandidateSignInRequested' AND payload->>'email' = :e ORDER BY id"
            ),
            {"e": email.lower()},
        )
        asked = [row[0] for row in found]
    assert asked, f"no link for {email}"
    return mailed_link(asked[-1], runtime.settings.token_secret.get_secret_value())


async def use_link(browser: Browser, link: str) -> str:
    """Open an e-mailed link and press its button; where it leads (a path on this service)."""
    landing = "/sign-in/" + link.split("/sign-in/", 1)[1]
    page = (await browser.http.get(landing)).text
    then = re.search(r'name="next" value="([^"]*)"', page)
    assert then is not None
    signed_in = await browser.post(landing.split("?", 1)[0], {"next": then.group(1)}, page=landing)
    assert signed_in.status_code == 303, signed_in.text
    return str(signed_in.headers["location"]).removeprefix("/applications")


async def start(browser: Browser, runtime: ServiceRuntime, email: str = "amara@example.org") -> str:
    started = await browser.post(
        "/apply/ict-test", {"email": email, "given_name": "Amara", "family_name": "Okafor"}
    )
    assert started.status_code == 303, started.text
    assert started.headers["location"] == "/apply/ict-test/check-your-email"
    assert "rtw_session" not in browser.http.cookies  # nobody is signed in by typing an address
    location = await use_link(browser, await link_mailed_to(runtime, email))
    assert re.fullmatch(r"/application/[0-9a-f-]{36}", location)
    return location


async def answer_everything(browser: Browser, base: str) -> None:
    for slug, form in ICT_PAGES:
        path = f"{base}/questions/{slug}"
        if form is None:
            path, form = await rate_a_skill(browser, base, "Information security", "3")
        saved = await browser.post(path, form)
        assert saved.status_code == 303, f"{slug}: {re.findall(r'error-message.*?</p>', saved.text, re.S)}"


async def rate_a_skill(browser: Browser, base: str, skill: str, level: str) -> tuple[str, dict[str, str]]:
    """The skills page lists groups, one screen each: the group with `skill`, and its form."""
    overview = (await browser.http.get(f"{base}/questions/skills")).text
    for group in re.findall(rf'href="({re.escape(base)}/questions/skills/[a-z0-9-]+)"', overview):
        page = (await browser.http.get(group)).text
        index = re.search(rf'name="(skill-\d+)-name" value="{re.escape(skill)}"', page)
        if index:
            form = {
                f"skill-{i}-name": name
                for i, name in re.findall(r'name="skill-(\d+)-name" value="([^"]+)"', page)
            }
            form[index.group(1)] = level
            return group, form
    raise AssertionError(f"no group of skills has {skill}")


async def test_a_candidate_applies_page_by_page_and_gets_a_reference(runtime: ServiceRuntime) -> None:
    browser = Browser(runtime)
    base = await start(browser, runtime)
    tasks = (await browser.http.get(base)).text
    assert "Your name" in tasks
    assert "Completed" in tasks
    assert "Cannot start yet" in tasks  # skills wait for the specialisms
    await answer_everything(browser, base)
    check = await browser.http.get(f"{base}/check-answers")
    assert check.status_code == 200
    for shown in ("WS1", "March 2021 to now", "Security specialist", "Information security: Practitioner",
                  "West Midlands, Walsall", "4 January 2027", "Agreed (version 2026-09)"):  # fmt: skip
        assert shown in check.text, shown
    sent = await browser.post(f"{base}/check-answers", {})
    assert sent.status_code == 303
    confirmation = await browser.http.get(sent.headers["location"])
    reference = re.search(r"RTW-ICT-\d{6}", confirmation.text)
    assert reference, confirmation.text
    home = await browser.http.get("/my")
    assert reference.group(0) in home.text
    assert "Application received" in home.text
    status = await browser.http.get(base.replace("/application/", "/my/applications/"))
    assert "Application received" in status.text
    assert "Withdraw your application" in status.text


async def test_each_page_says_what_to_correct_beside_the_field(runtime: ServiceRuntime) -> None:
    browser = Browser(runtime)
    refused = await browser.refused(
        "/apply/ict-test", {"email": "not-an-address", "given_name": "", "family_name": "O"}
    )
    assert 'value="not-an-address"' in refused.text  # what was typed is shown again
    assert 'href="#email"' in refused.text
    assert 'href="#given_name"' in refused.text
    base = await start(browser, runtime)
    cases = [
        ("postcode", {"postcode": "ZZ99"}, "postcode", "postcode district"),
        (
            "career-break",
            {"start-month": "13", "start-year": "2021", "reason": "caring"},
            "start-month",
            "1 to 12",
        ),
        (
            "career-break",
            {
                "start-month": "3",
                "start-year": "2021",
                "end-month": "1",
                "end-year": "2020",
                "reason": "caring",
            },
            "end-month",
            "after it started",
        ),
        ("experience", {"years": "ten"}, "years", "must be a number"),
        ("contact", {"phone": "call me", "language": "en"}, "phone", "telephone number"),
        (
            "work-preferences",
            {"travel": "30", "councils": "Nowhere Council"},
            "councils",
            "could not find a council",
        ),
        ("consent", {}, "consent", "Agree to the privacy notice"),
    ]
    for slug, form, field, words in cases:
        answer = await browser.refused(f"{base}/questions/{slug}", form)
        assert f'href="#{field}"' in answer.text, (slug, answer.text[:3000])
        assert f'id="{field}-error"' in answer.text or f'id="{field}"' in answer.text
        assert words in answer.text, (slug, words)
    unfinished = await browser.refused(f"{base}/check-answers", {})
    assert f"{base}/questions/postcode" in unfinished.text  # the summary links to the page that asks


async def test_a_known_address_is_answered_as_a_new_one_and_nothing_of_it_changes(
    runtime: ServiceRuntime,
) -> None:
    owner = Browser(runtime)
    base = await start(owner, runtime, "known@example.org")
    await owner.post(f"{base}/questions/postcode", {"postcode": "ws1"})
    stranger = Browser(runtime)
    again = await stranger.post(
        "/apply/ict-test", {"email": "Known@example.org", "given_name": "Mallory", "family_name": "B"}
    )
    new = await Browser(runtime).post(
        "/apply/ict-test", {"email": "someone.new@example.org", "given_name": "A", "family_name": "B"}
    )
    assert again.status_code == new.status_code == 303
    assert again.headers["location"] == new.headers["location"] == "/apply/ict-test/check-your-email"
    assert "rtw_session" not in stranger.http.cookies
    page = await stranger.http.get(again.headers["location"])
    assert "We have e-mailed a link to the address you gave" in page.text
    assert "applied with us before, so" not in page.text
    tasks = (await owner.http.get(base)).text
    assert "Amara Okafor" in (await owner.http.get(f"{base}/check-answers")).text
    assert "Mallory" not in tasks
    # The known address's link leads to its applications, where the draft is waiting.
    assert await use_link(Browser(runtime), await link_mailed_to(runtime, "known@example.org")) == "/my"


async def test_someone_elses_application_pages_answer_as_unknown_ones(runtime: ServiceRuntime) -> None:
    owner = Browser(runtime)
    base = await start(owner, runtime, "owner@example.org")
    other = Browser(runtime)
    await start(other, runtime, "other@example.org")
    unknown = f"/application/{uuid4()}"
    for suffix in ("", "/questions/postcode", "/check-answers", "/equality"):
        theirs = await other.http.get(base + suffix)
        nobodys = await other.http.get(unknown + suffix)
        assert theirs.status_code == nobodys.status_code == 404, suffix
        assert theirs.text.replace(base, "") == nobodys.text.replace(unknown, ""), suffix
    status_page = base.replace("/application/", "/my/applications/")
    for suffix in ("", "/withdraw", "/second-stage"):
        theirs = await other.http.get(status_page + suffix)
        assert theirs.status_code == 404, suffix
    sent = await other.post(
        f"{status_page}/second-stage",
        {"answer-ict-problem": "x"},
        page="/my",
        files={"video": ("v.mp4", MP4)},
    )
    assert sent.status_code == 404


@pytest.mark.parametrize("name", ["\u200b", "\u202eevil", "42"])
async def test_a_name_with_no_letter_or_hidden_characters_is_refused_on_the_pages(
    runtime: ServiceRuntime, name: str
) -> None:
    browser = Browser(runtime)
    refused = await browser.refused(
        "/apply/ict-test", {"email": "named@example.org", "given_name": name, "family_name": "Okafor"}
    )
    assert 'href="#given_name"' in refused.text
    base = await start(browser, runtime, "named@example.org")
    answer = await browser.refused(f"{base}/questions/name", {"given_name": name, "family_name": "Okafor"})
    assert 'href="#given_name"' in answer.text


async def test_the_second_stage_checks_the_video_and_is_sent_once(runtime: ServiceRuntime) -> None:
    browser = Browser(runtime)
    base = await start(browser, runtime)
    await answer_everything(browser, base)
    await browser.post(f"{base}/check-answers", {})
    async with runtime.engine.begin() as conn:
        await conn.execute(
            text("UPDATE applications.applications SET shortlisted_at = now(), status = 'shortlisted'")
        )
    status_page = base.replace("/application/", "/my/applications/")
    assert "Start the second stage" in (await browser.http.get(status_page)).text
    answers = {
        "answer-ict-problem": "I rebuilt a booking service.",
        "answer-ict-change": "Cloud.",
        "answer-ict-council": "",
    }
    path = f"{status_page}/second-stage"
    not_video = await browser.refused(
        path, answers, files={"video": ("v.mp4", b"%PDF-1.7 not a video", "video/mp4")}
    )
    assert 'href="#answer-ict-council"' in not_video.text
    assert "I rebuilt a booking service." in not_video.text  # kept, as the draft
    full = {**answers, "answer-ict-council": "Public service matters to me."}
    not_video = await browser.refused(
        path, full, files={"video": ("v.mp4", b"%PDF-1.7 not a video", "video/mp4")}
    )
    assert "not an MP4, WebM or MOV video" in not_video.text
    assert 'href="#video"' in not_video.text
    huge = await browser.post(path, full, headers={"Content-Length": str(300 * 1024 * 1024)})
    assert huge.status_code == 413  # refused from its declared size, before any of it is read
    assert "larger than the" in huge.text
    sent = await browser.post(path, full, files={"video": ("v.mp4", MP4, "video/mp4")})
    assert sent.status_code == 303, sent.text
    after = await browser.http.get(sent.headers["location"])
    assert "Second stage received" in after.text
    assert "Start the second stage" not in after.text


async def sign_in_by_link(
    runtime: ServiceRuntime, browser: Browser, candidate_id: UUID, minutes: int = 30
) -> str:
    """Sign in with an e-mailed link (valid for `minutes`), as a person does; the session cookie
    it set."""
    secret = runtime.settings.token_secret.get_secret_value()
    principal = Principal(str(candidate_id), Role.CANDIDATE)
    link = sign_in_link(secret, principal, "http://entry", ttl=timedelta(minutes=minutes))
    path = link.removeprefix("http://entry/applications")
    signed_in = await browser.post(path, {"next": ""})
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == "/applications/my"
    return browser.http.cookies["rtw_session"]


async def opens_my_page(runtime: ServiceRuntime, cookie: str) -> bool:
    """Whether a browser holding only this session cookie gets the candidate's own page."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(runtime)),
        base_url="http://a",
        cookies={"rtw_session": cookie},
    ) as other:
        response = await other.get("/my")
    if response.status_code == 303:
        assert response.headers["location"].startswith("/applications/account/sign-in?next=")
        return False
    assert response.status_code == 200, response.text
    return True


async def test_signing_out_ends_the_session_itself_not_only_the_cookie(runtime: ServiceRuntime) -> None:
    browser = Browser(runtime)
    candidate_id = uuid4()
    cookie = await sign_in_by_link(runtime, browser, candidate_id)
    assert await opens_my_page(runtime, cookie)  # a copy of the cookie works while signed in

    signed_out = await browser.post("/account/sign-out", {}, page="/my")
    assert signed_out.headers["location"] == "/applications/account/signed-out"
    assert "rtw_session" not in browser.http.cookies
    assert not await opens_my_page(runtime, cookie)  # the copy is refused at once

    # Announced to the other services with the session's id and expiry only (nothing personal).
    session_id = verify_session_token(runtime.settings.token_secret.get_secret_value(), cookie).id
    async with runtime.engine.connect() as conn:
        payloads = (
            (
                await conn.execute(
                    text("SELECT payload FROM applications.outbox WHERE routing_key = 'session.ended.v1'")
                )
            )
            .scalars()
            .all()
        )
    assert len(payloads) == 1
    assert payloads[0]["session_id"] == str(session_id)
    assert str(candidate_id) not in json.dumps(payloads[0])

    # (another link: one issued in the same second for the same person would be the same link)
    again = await sign_in_by_link(runtime, Browser(runtime), candidate_id, minutes=29)
    assert await opens_my_page(runtime, again)  # a new session is a new id


async def test_withdraw_download_and_erase(runtime: ServiceRuntime) -> None:
    browser = Browser(runtime)
    base = await start(browser, runtime)
    await answer_everything(browser, base)
    await browser.post(f"{base}/check-answers", {})
    secret = runtime.settings.token_secret.get_secret_value()
    candidate_id = verify_session_token(secret, browser.http.cookies["rtw_session"]).principal.subject
    screened = example(
        AssessmentScored,
        event_id=uuid4(),
        application_id=UUID(base.rsplit("/", 1)[1]),
        candidate_id=UUID(candidate_id),
        cohort_id="ict-test",
        stage="screening",
        outcome="shortlisted",
        score=None,
        breakdown=[],
        next_step_deadline=None,
    )
    await runtime.broker.publish(
        screened.model_dump(mode="json"),
        exchange=runtime.topology.events_exchange,
        routing_key=screened.ROUTING_KEY,
    )
    withdraw = base.replace("/application/", "/my/applications/") + "/withdraw"
    assert "Select why you are withdrawing" in (await browser.refused(withdraw, {})).text
    done = await browser.post(withdraw, {"reason": "found_work"})
    assert done.status_code == 303
    assert "Application withdrawn" in (await browser.http.get(done.headers["location"])).text
    download = await browser.http.get("/my/data/download")
    assert download.headers["content-disposition"].startswith("attachment;")
    exported = json.loads(download.text)
    assert exported["candidate"]["email"] == "amara@example.org"
    assert exported["applications"][0]["status"] == "withdrawn"
    decisions = exported["applications"][0]["assessment_decisions"]
    assert [(d["stage"], d["outcome"], d["rule_set_version"]) for d in decisions] == [
        ("screening", "shortlisted", screened.rule_set_version)
    ]
    cookie = browser.http.cookies["rtw_session"]
    erased = await browser.post("/my/data/erase", {})
    assert erased.headers["location"] == "/my/data/erased"
    assert "rtw_session" not in browser.http.cookies
    assert (await browser.http.get("/my")).status_code == 303  # signed out: off to sign in
    assert not await opens_my_page(runtime, cookie)  # and the session itself has ended


SNAKE_CASE = re.compile(r"\b[a-z0-9]+(?:_[a-z0-9]+)+\b")


def words_of(page: httpx.Response) -> str:
    """What a person reads in a page's main content (no tags, no attributes)."""
    main = page.text.split("<main", 1)[1].split("</main>", 1)[0]
    return re.sub(r"<[^>]+>", " ", "<main" + main)


async def test_the_timeline_shows_labels_never_codes(runtime: ServiceRuntime) -> None:
    browser = Browser(runtime)
    base = await start(browser, runtime)
    await answer_everything(browser, base)
    await browser.post(f"{base}/check-answers", {})
    secret = runtime.settings.token_secret.get_secret_value()
    candidate_id = verify_session_token(secret, browser.http.cookies["rtw_session"]).principal.subject
    screened = example(
        AssessmentScored,
        event_id=uuid4(),
        application_id=UUID(base.rsplit("/", 1)[1]),
        candidate_id=UUID(candidate_id),
        cohort_id="ict-test",
        stage="screening",
        outcome="shortlisted",
        score=None,
        breakdown=[],
        next_step_deadline=None,
    )
    await runtime.broker.publish(
        screened.model_dump(mode="json"),
        exchange=runtime.topology.events_exchange,
        routing_key=screened.ROUTING_KEY,
    )
    status = base.replace("/application/", "/my/applications/")
    done = await browser.post(f"{status}/withdraw", {"reason": "programme_not_suitable"})
    assert done.status_code == 303, done.text
    timeline = await browser.http.get(status)
    assert timeline.status_code == 200
    shown = words_of(timeline)
    assert "The programme is not right for me" in shown
    assert not SNAKE_CASE.findall(shown), SNAKE_CASE.findall(shown)


async def test_an_application_already_over_has_nothing_to_withdraw(runtime: ServiceRuntime) -> None:
    """The withdraw form was shown (and sent) for an application found not eligible: the address
    now leads to the application's page, and sending the form there changes nothing."""
    browser = Browser(runtime)
    base = await start(browser, runtime)
    await answer_everything(browser, base)
    await browser.post(f"{base}/check-answers", {})
    secret = runtime.settings.token_secret.get_secret_value()
    candidate_id = verify_session_token(secret, browser.http.cookies["rtw_session"]).principal.subject
    application_id = UUID(base.rsplit("/", 1)[1])
    screened = example(
        AssessmentScored,
        event_id=uuid4(),
        application_id=application_id,
        candidate_id=UUID(candidate_id),
        cohort_id="ict-test",
        stage="screening",
        outcome="ineligible",
        score=None,
        breakdown=[],
        next_step_deadline=None,
    )
    await runtime.broker.publish(
        screened.model_dump(mode="json"),
        exchange=runtime.topology.events_exchange,
        routing_key=screened.ROUTING_KEY,
    )
    status = f"/my/applications/{application_id}"
    assert "Withdraw your application" not in (await browser.http.get(status)).text
    shown = await browser.http.get(f"{status}/withdraw")
    assert shown.status_code == 303
    assert shown.headers["location"] == status
    sent = await browser.post(f"{status}/withdraw", {"reason": "found_work"}, page=status)  # a form from then
    assert sent.status_code == 303
    assert sent.headers["location"] == status
    async with runtime.engine.connect() as conn:
        stored = await conn.execute(
            text("SELECT status, withdrawn_at FROM applications.applications WHERE id = :id"),
            {"id": application_id},
        )
        assert tuple(stored.one()) == ("ineligible", None)


async def test_the_header_says_you_are_signed_in_in_words_not_the_roles_code(runtime: ServiceRuntime) -> None:
    """The header said "Signed in as candidate": the role's code, read as if it were a name."""
    browser = Browser(runtime)
    await start(browser, runtime)
    for language, words in (("en", "You are signed in"), ("cy", "Rydych chi wedi mewngofnodi")):
        page = await browser.http.get(f"/my?lang={language}")
        header = re.sub(
            r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text.split("<header", 1)[1].split("</header>")[0])
        )
        assert words in header, header
        assert "candidate" not in header
        assert "ymgeisydd" not in header
