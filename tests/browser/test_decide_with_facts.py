"""A returner decides with the facts, at desktop width and on a 390 px phone: the council picker,
the search page's filters above its results, the reach-out with the vacancy's facts and the
council's message, and the interview invitation on both sides (and by e-mail)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from rtw_platform.auth import Role
from rtw_platform.testing.browser import RunningPlatform, check_error_summary, check_page
from rtw_platform.testing.fixtures import BrokerNamespace
from rtw_platform.testing.waiting import eventually

from .test_council_recruiter import (
    DESCRIPTION,
    MESSAGE,
    admin_approves,
    post_vacancy,
    recruiter_signs_in,
    selected_returner,
    short,
    until_in_pool,
)

pytestmark = pytest.mark.browser

PLACE = "Civic Centre, Darwall Street, Walsall: room 2"


@pytest.mark.parametrize("width", [1024, 390])
async def test_a_returner_decides_with_the_facts_and_is_invited_to_an_interview(
    platform: RunningPlatform,
    page: Any,
    browser: Any,
    broker_namespace: BrokerNamespace,
    make_application: Callable[..., dict[str, Any]],
    width: int,
) -> None:
    await page.set_viewport_size({"width": width, "height": 844})
    form = make_application()
    ref, candidate_id = await selected_returner(platform, broker_namespace, form)
    contact = f"m.{uuid4().hex[:6]}@walsall.example"

    # The council picker: type, find, choose (no drop-down of every council).
    await page.goto(platform.url("/matching/councils/sign-up"))
    await page.get_by_label("Find your council").fill("newcastle")
    await page.get_by_role("button", name="Find", exact=True).click()
    assert await page.locator('input[name="gss_code"]').count() == 2
    await check_page(page, f"council-picker-{width}")
    await page.get_by_label("Find your council").fill("Walsall")
    await page.get_by_role("button", name="Find", exact=True).click()
    await page.get_by_label("Walsall (West Midlands)").check()
    await page.get_by_label("Contact's full name").fill("Morag Fairweather")
    await page.get_by_label("Contact's work e-mail address").fill(contact)
    await page.get_by_role("button", name="Sign up").click()
    await page.wait_for_url("**/matching/councils/check-your-email")
    await admin_approves(platform, browser, "Walsall", contact, None)
    await recruiter_signs_in(platform, page, contact, f"facts-{width}")
    await until_in_pool(platform, page, ref)

    # The search page: its filters, and their button, come before the results.
    await page.goto(platform.url("/matching/council/search?radius_km=40"))
    apply = await page.get_by_role("button", name="Apply filters").bounding_box()
    results = await page.locator("#results-heading").bounding_box()
    assert apply["y"] < results["y"]
    assert apply["y"] < 1500, apply  # once some 3,000 px down
    await check_page(page, f"council-search-{width}")

    # A vacancy with a description; the returner shortlisted; reaching out needs a message.
    await page.goto(platform.url("/matching/council/vacancies/new"))
    await post_vacancy(page, "Software developer", datetime.now(UTC) + timedelta(days=30))
    await page.wait_for_url("**/matching/council/vacancies/*")
    assert DESCRIPTION in await page.locator("main").inner_text()
    await page.get_by_role("link", name=short(ref)).click()
    await page.get_by_role("button", name="Shortlist for Software developer").click()
    await page.wait_for_url("**/matching/council/matches/*")
    match_url = page.url
    await page.get_by_role("button", name="Reach out to the returner").click()
    await check_error_summary(
        page,
        f"council-reach-out-errors-{width}",
        ["Enter your message to the returner"],
        link="Enter your message to the returner",
        focus="message",
    )
    await page.get_by_label("Your message to the returner").fill(MESSAGE)
    await page.get_by_role("button", name="Reach out to the returner").click()
    assert MESSAGE in await page.locator("main").inner_text()

    # The returner sees the facts and the message before answering, then accepts.
    context = await browser.new_context(viewport={"width": width, "height": 844}, locale="en-GB")
    try:
        mine = await context.new_page()
        mine.set_default_timeout(15_000)
        await mine.goto(platform.sign_in_link(Role.CANDIDATE, candidate_id))
        await mine.get_by_role("button", name="Continue").click()
        await mine.wait_for_url("**/applications/my*")
        await mine.goto(platform.url("/matching/my/interest"))
        shown = await mine.locator("main").inner_text()
        for fact in (DESCRIPTION, "£32,000 to £38,000", "30", "Hybrid", "Part-time", "WS1", MESSAGE):
            assert fact in shown, fact
        await check_page(mine, f"candidate-reach-out-{width}")
        await mine.get_by_role("button", name="Accept Walsall").click()
        assert "You accepted" in await mine.locator(".govuk-notification-banner").inner_text()

        # The recruiter invites the returner to an interview from the match page.
        await page.goto(match_url)
        day = (datetime.now(UTC) + timedelta(days=20)).date()
        when = page.locator("#interview_date")
        await when.get_by_label("Day", exact=True).fill(str(day.day))
        await when.get_by_label("Month", exact=True).fill(str(day.month))
        await when.get_by_label("Year", exact=True).fill(str(day.year))
        # The direct invitation's own fields (the page also offers times for the returner to choose).
        await page.locator("#interview_time").fill("14:30")
        await page.locator("#interview_place").fill(PLACE)
        await page.get_by_role("button", name="Send the invitation").click()
        assert PLACE in await page.locator("main").inner_text()
        await check_page(page, f"council-interview-invited-{width}")

        # The returner sees it on their page, and is e-mailed it.
        await mine.goto(platform.url("/matching/my/interest"))
        invitation = await mine.locator("main").inner_text()
        assert "Your interview" in invitation
        assert f"{day:%-d %B %Y} at 14:30 (UK time)" in invitation
        assert PLACE in invitation
        await check_page(mine, f"candidate-interview-{width}")
    finally:
        await context.close()

    async def mailed() -> bool:
        return any(PLACE in mail.text for mail in platform.mailbox.to(form["email"]))

    assert await eventually(mailed, timeout=30, interval=0.3, what="the interview e-mail")
