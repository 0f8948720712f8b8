"""A council recruiter's journey in a real browser, from sign-up (a claim a programme admin
approves) to a hire, and the candidate answering the council's interest; recruiters of another
council cannot open its pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from rtw_applications.testing import submitted_application
from rtw_platform.auth import Role
from rtw_platform.testing.browser import LINK, RunningPlatform, check_error_summary, check_page
from rtw_platform.testing.events import selected
from rtw_platform.testing.fixtures import BrokerNamespace
from rtw_platform.testing.waiting import eventually

pytestmark = pytest.mark.browser

WALSALL, BIRMINGHAM = "E08000030", "E08000025"
SKILLS = (("Programming and build (software engineering)", "3"), ("Systems design", "3"))
MESSAGE = "Your software skills fit our digital team. We would like to talk to you about the job."
DESCRIPTION = "Build and look after the council's online services with a team of six."


async def selected_returner(
    platform: RunningPlatform, namespace: BrokerNamespace, form: dict[str, Any]
) -> tuple[str, str]:
    """A returner applies (JSON API) and is selected (published as assessment would): they join the
    talent pool. Their application (the pool's reference) and candidate ids."""
    async with httpx.AsyncClient(timeout=30) as http:
        path = platform.url("/applications/applications")
        receipt = await submitted_application(http, platform.secret, form, path=path)
    application_id = UUID(receipt["application_id"])
    candidate_id = UUID(receipt["candidate_id"])
    await namespace.publish_event(selected(application_id, candidate_id))
    return str(application_id), str(candidate_id)


def short(ref: str) -> str:
    """How the pages name a returner."""
    return f"Returner {ref[:8].upper()}"


async def sign_up_council(page: Any, gss: str, contact: str, email: str) -> None:
    """The council found in the picker by its code (the one council found is chosen already)."""
    await page.get_by_label("Find your council").fill(gss)
    await page.get_by_role("button", name="Find", exact=True).click()
    assert await page.locator(f'input[name="gss_code"][value="{gss}"]').is_checked()
    await page.get_by_label("Contact's full name").fill(contact)
    await page.get_by_label("Contact's work e-mail address").fill(email)
    await page.get_by_role("button", name="Sign up").click()


async def admin_approves(
    platform: RunningPlatform, browser: Any, council: str, email: str, shot: str | None
) -> None:
    """A programme admin (on their own browser) approves the claim for `council` by `email`."""
    context = await browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    try:
        admin = await context.new_page()
        admin.set_default_timeout(15_000)
        await admin.goto(platform.sign_in_link(Role.ADMIN, "admin-1"))
        await admin.get_by_role("button", name="Continue").click()
        await admin.wait_for_url("**/assessment/admin")
        await admin.goto(platform.url("/matching/admin/councils"))
        claim = admin.locator(".govuk-summary-card", has_text=email)
        assert council in await claim.inner_text()
        assert email.rsplit("@", 1)[1] in await claim.inner_text()
        if shot:
            await check_page(admin, shot)
        await admin.get_by_role("button", name=f"Approve the claim for {council} by {email}").click()
        await admin.wait_for_url("**/matching/admin/councils?done=approved")
        assert "e-mailed a link to sign in" in await admin.locator("main").inner_text()
    finally:
        await context.close()


async def invitation_link(platform: RunningPlatform, email: str) -> str:
    """The sign-in link of the invitation e-mail (the contact also gets a welcome e-mail)."""

    async def mailed() -> str | None:
        for mail in platform.mailbox.to(email):
            for link in LINK.findall(mail.text):
                if link.startswith(platform.url("/matching/recruiters/sign-in/")):
                    return str(link)
        return None

    return await eventually(mailed, timeout=30, interval=0.2, what=f"the invitation e-mail to {email}")


async def recruiter_signs_in(platform: RunningPlatform, page: Any, email: str, name: str) -> None:
    link = await invitation_link(platform, email)
    await page.goto(link)
    await check_page(page, f"recruiter-sign-in-link-{name}")
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url("**/matching/council")


async def until_in_pool(platform: RunningPlatform, page: Any, ref: str) -> None:
    """Reload the search until the returner has joined the council's pool (over the broker)."""

    async def shown() -> bool:
        await page.goto(platform.url("/matching/council/search"))
        return bool(await page.get_by_role("link", name=short(ref)).count())

    await eventually(shown, timeout=30, interval=0.5, what="the returner in the council's pool")


async def post_vacancy(page: Any, title: str, closing: datetime) -> None:
    await page.get_by_label("Job title").fill(title)
    await page.get_by_label("Description (optional)").fill(DESCRIPTION)
    await page.get_by_label("ICT specialism (optional)").select_option("software_developer")
    await page.get_by_label("Role", exact=True).fill("Software developer")
    await page.get_by_label("Role's level").fill("Senior developer")
    for n, (skill, level) in enumerate(SKILLS, start=1):
        await page.get_by_label(f"Skill {n}", exact=True).select_option(skill)
        await page.get_by_label(f"Level of skill {n}").select_option(level)
    await page.get_by_label("Where the job is based (optional)").fill("WS1")
    await page.get_by_label("Hybrid", exact=True).check()
    await page.get_by_label("Part-time").check()
    await page.get_by_label("From", exact=True).fill("32000")
    await page.get_by_label("To", exact=True).fill("38000")
    await page.locator("#hours_per_week").fill("30")  # the outcome's (an offer's form has its own)
    closing_date = page.locator("#closing_date")
    await closing_date.get_by_label("Day", exact=True).fill(str(closing.day))
    await closing_date.get_by_label("Month", exact=True).fill(str(closing.month))
    await closing_date.get_by_label("Year", exact=True).fill(str(closing.year))
    await page.get_by_role("button", name="Post the vacancy").click()


async def test_a_council_signs_up_finds_a_returner_reaches_out_and_hires(
    platform: RunningPlatform,
    page: Any,
    browser: Any,
    broker_namespace: BrokerNamespace,
    make_application: Callable[..., dict[str, Any]],
) -> None:
    form = make_application()
    ref, candidate_id = await selected_returner(platform, broker_namespace, form)
    contact = f"morag.{uuid4().hex[:6]}@walsall.example"

    # Walsall signs up, getting the form wrong first.
    await page.goto(platform.url("/matching/councils/sign-up"))
    await check_page(page, "council-sign-up")
    await page.get_by_role("button", name="Sign up").click()
    await check_error_summary(
        page,
        "council-sign-up-errors",
        ["Find your council: type part of its name", "Enter the name of the council's contact"],
        link="Find your council: type part of its name and press Find",
        focus="council",
    )
    await page.get_by_label("Software developer").check()
    await page.get_by_label("Part-time").check()
    await sign_up_council(page, WALSALL, "Morag Fairweather", contact)
    await page.wait_for_url("**/matching/councils/check-your-email")
    assert "Your claim has been sent" in await page.locator("main").inner_text()
    await check_page(page, "council-check-your-email")

    # Without a link, the sign-in page says how to sign in and offers a new link.
    await page.goto(platform.url("/matching/council"))
    await page.wait_for_url(re.compile(r"/matching/recruiters/sign-in\?next="))
    await check_page(page, "recruiter-how-to-sign-in")

    # A programme admin approves the claim, seeing the contact's domain.
    await admin_approves(platform, browser, "Walsall", contact, "admin-council-claims")

    # A second sign-up of Walsall is refused, saying so beside the council.
    await page.goto(platform.url("/matching/councils/sign-up"))
    await sign_up_council(page, WALSALL, "Someone Else", f"else.{uuid4().hex[:6]}@walsall.example")
    assert "Walsall is already on the programme" in await page.locator(".govuk-error-summary").inner_text()
    await check_page(page, "council-sign-up-twice")

    # The recruiter signs in by the link e-mailed on approval.
    await recruiter_signs_in(platform, page, contact, "walsall")
    await check_page(page, "council-vacancies-empty")

    # The returner is in Walsall's pool; the recruiter posts a vacancy, getting it wrong first.
    await until_in_pool(platform, page, ref)
    await check_page(page, "council-search")
    await page.goto(platform.url("/matching/council"))
    await page.get_by_role("button", name="Post a vacancy").click()
    await check_page(page, "council-vacancy-new")
    await page.get_by_role("button", name="Post the vacancy").click()
    summary = page.locator(".govuk-error-summary")
    for message in ("Enter the job title", "Select where the job is done", "Enter the closing date"):
        assert message in await summary.inner_text()
    await check_page(page, "council-vacancy-new-errors")
    await post_vacancy(page, "Software developer", datetime.now(UTC) + timedelta(days=30))
    await page.wait_for_url("**/matching/council/vacancies/*")
    assert "returner was proposed" in await page.locator(".govuk-notification-banner").inner_text()
    assert await page.get_by_role("link", name=short(ref)).count() == 1
    await check_page(page, "council-vacancy")

    # Searching the pool for the vacancy, with the filter panel; profiles are pseudonymous.
    await page.get_by_role("button", name="Search returners for this vacancy").click()
    await page.get_by_label("Within (km)").fill("40")
    await page.get_by_text("More filters").click()  # the rarer filters, folded away
    await page.get_by_role("group", name="Specialism (any of)").get_by_label("Software developer").check()
    await page.get_by_role("button", name="Apply filters").first.click()
    results = await page.locator("main").inner_text()
    assert short(ref) in results
    assert "1 returner found" in results
    assert form["given_name"] not in results
    assert form["email"] not in results
    await check_page(page, "council-search-for-vacancy")

    # The profile explains the score: each factor's share and what would raise it.
    await page.get_by_role("link", name=short(ref)).click()
    explained = page.locator("table", has_text="Fit for Software developer")
    for factor in (
        "Role fit",
        "Skills",
        "Experience",
        "Distance",
        "Flexible working",
        "Training",
        "Availability",
    ):
        assert await explained.get_by_role("rowheader", name=factor).count() == 1
    assert "Would rise if" in await explained.inner_text()
    assert "Completing more training modules would add to it" in await explained.inner_text()
    assert form["family_name"] not in await page.locator("main").inner_text()
    await check_page(page, "council-candidate-profile")

    # Shortlist, see the shortlist, reach out.
    await page.get_by_role("button", name="Shortlist for Software developer").click()
    await page.wait_for_url("**/matching/council/matches/*")
    match_url = page.url
    await check_page(page, "council-match-shortlisted")
    await page.get_by_role("link", name="Shortlist", exact=True).click()
    assert short(ref) in await page.locator("table").inner_text()
    await check_page(page, "council-shortlist")
    await page.goto(match_url)
    await page.get_by_label("Your message to the returner").fill(MESSAGE)
    await page.get_by_role("button", name="Reach out to the returner").click()
    assert "Waiting for the candidate" in await page.locator("main").inner_text()
    await check_page(page, "council-match-reached-out")

    # The candidate, signed in on their own browser, accepts the council's interest.
    context = await browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    try:
        mine = await context.new_page()
        mine.set_default_timeout(15_000)
        await mine.goto(platform.sign_in_link(Role.CANDIDATE, candidate_id))
        await mine.get_by_role("button", name="Continue").click()
        await mine.wait_for_url("**/applications/my*")
        await mine.goto(platform.url("/matching/my/interest"))
        assert "Walsall: Software developer" in await mine.locator("main").inner_text()
        await check_page(mine, "candidate-interest")
        await mine.get_by_role(
            "button", name=re.compile(r"^Accept Walsall.s interest in you for Software developer$")
        ).click()
        assert "You accepted" in await mine.locator(".govuk-notification-banner").inner_text()
        assert "Accepted" in await mine.locator(".govuk-summary-card").inner_text()
        await check_page(mine, "candidate-interest-accepted")
    finally:
        await context.close()

    # The recruiter now sees the contact details and records the hire, forgetting details first.
    await page.goto(match_url)
    shown = await page.locator("main").inner_text()
    assert f"{form['given_name']} {form['family_name']}" in shown
    assert form["email"] in shown
    await check_page(page, "council-match-accepted")
    await page.get_by_label("Yes, hired").check()
    await page.get_by_role("button", name="Record the outcome").click()
    summary = page.locator(".govuk-error-summary")
    assert "Enter the start date" in await summary.inner_text()
    assert "Enter the hours per week" in await summary.inner_text()
    await check_page(page, "council-match-outcome-errors")
    start = page.locator("#start_date")
    await start.get_by_label("Day", exact=True).fill("6")
    await start.get_by_label("Month", exact=True).fill("4")
    await start.get_by_label("Year", exact=True).fill("2027")
    await page.locator("#hours_per_week").fill("30")  # the outcome's (an offer's form has its own)
    await page.get_by_label("Annual salary from").fill("32000")
    await page.get_by_label("Annual salary to").fill("38000")
    await page.get_by_role("button", name="Record the outcome").click()
    assert "You hired this returner" in await page.locator("main").inner_text()
    await check_page(page, "council-match-hired")
    await page.goto(platform.url("/matching/council"))
    assert "Filled" in await page.locator("table").inner_text()
    await check_page(page, "council-vacancies")


async def test_a_recruiter_of_another_council_cannot_open_its_candidate_and_outreach_pages(
    platform: RunningPlatform,
    page: Any,
    browser: Any,
    broker_namespace: BrokerNamespace,
    make_application: Callable[..., dict[str, Any]],
) -> None:
    ref, _ = await selected_returner(platform, broker_namespace, make_application())
    walsall_contact = f"w.{uuid4().hex[:6]}@walsall.example"
    birmingham_contact = f"b.{uuid4().hex[:6]}@birmingham.example"

    # Walsall (on its own browser) posts a vacancy and shortlists the returner.
    context = await browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    try:
        walsall = await context.new_page()
        walsall.set_default_timeout(15_000)
        await walsall.goto(platform.url("/matching/councils/sign-up"))
        await sign_up_council(walsall, WALSALL, "Morag Fairweather", walsall_contact)
        await admin_approves(platform, browser, "Walsall", walsall_contact, None)
        await recruiter_signs_in(platform, walsall, walsall_contact, "walsall-2")
        await until_in_pool(platform, walsall, ref)
        await walsall.goto(platform.url("/matching/council/vacancies/new"))
        await post_vacancy(walsall, "Software developer", datetime.now(UTC) + timedelta(days=30))
        await walsall.wait_for_url("**/matching/council/vacancies/*")
        vacancy_url = walsall.url.split("?")[0]
        await walsall.get_by_role("link", name=short(ref)).click()
        candidate_url = walsall.url
        await walsall.get_by_role("button", name="Shortlist for Software developer").click()
        await walsall.wait_for_url("**/matching/council/matches/*")
        match_url = walsall.url
    finally:
        await context.close()

    # Birmingham's recruiter sees the returner in its own pool, but not Walsall's pages.
    await page.goto(platform.url("/matching/councils/sign-up"))
    await sign_up_council(page, BIRMINGHAM, "Brenda Ashworth", birmingham_contact)
    await admin_approves(platform, browser, "Birmingham", birmingham_contact, None)
    await recruiter_signs_in(platform, page, birmingham_contact, "birmingham")
    await until_in_pool(platform, page, ref)
    # They answer as pages of unknown ids do: nothing tells that they exist.
    for url, name, message in (
        (vacancy_url, "other-council-vacancy", "There is no vacancy with that id."),
        (candidate_url, "other-council-candidate", "There is no vacancy with that id."),
        (match_url, "other-council-match", "There is no such match"),
    ):
        answer = await page.goto(url)
        assert answer.status == 404, url
        assert await page.get_by_role("heading", level=1).inner_text() == "Page not found"
        assert message in await page.locator("main").inner_text()
        await check_page(page, name)
    # Nor can it act on them: reaching out with its own (valid) form token is refused.
    csrf = next(c["value"] for c in await page.context.cookies() if c["name"] == "rtw_csrf")
    refused = await page.request.post(f"{match_url}/reach-out", form={"csrf_token": csrf})
    assert refused.status == 404
    assert "There is no such match" in await refused.text()
