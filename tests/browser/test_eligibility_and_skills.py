"""Know before you apply, and the skills self-assessment on a phone, in a real browser at a
desktop width and at 390 px: the start page, the public eligibility checker (no account, no
JavaScript needed: a plain GET form) and the skills rated one group a screen, each checked by axe."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from rtw_assessment import lifecycle
from rtw_contracts import CohortScheduled, Programme
from rtw_contracts.events.cohorts import cohort_journey
from rtw_platform.testing.browser import RunningPlatform, check_error_summary, check_page

from .test_candidate_journey import address, heading, sign_in_link_for, submit

pytestmark = pytest.mark.browser

WIDTHS = [pytest.param(1024, id="desktop"), pytest.param(390, id="phone")]


async def known_to_assessment(platform: RunningPlatform, cohort_id: str, programme: Programme) -> None:
    """The cohort as assessment learns it from CohortScheduled (the test cohorts are inserted
    straight into applications, which publishes nothing for them)."""
    today = datetime.now(UTC).date()
    event = CohortScheduled(
        event_id=uuid4(),
        correlation_id=cohort_journey(cohort_id),
        sequence=1,
        cohort_id=cohort_id,
        programme=programme,
        title=f"Test cohort {cohort_id}",
        opens_on=today - timedelta(days=30),
        closes_on=today + timedelta(days=30),
        video_required=True,
        changed_at=datetime.now(UTC),
    )
    async with platform.runtimes["assessment"].uow_factory() as uow:
        await lifecycle.record_schedule(event, uow)
        await uow.commit()


async def fits_the_width(page: Any, width: int) -> None:
    """Nothing makes the page scroll sideways."""
    scroll = await page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page is {scroll} px wide at {width} px"


@pytest.mark.parametrize("width", WIDTHS)
async def test_the_start_page_and_the_checker_say_who_can_apply(
    platform: RunningPlatform, page: Any, width: int
) -> None:
    await page.set_viewport_size({"width": width, "height": 800})
    await known_to_assessment(platform, "ict-test", Programme.ICT)
    await known_to_assessment(platform, "social-work-test", Programme.SOCIAL_WORK)
    await page.goto(platform.url("/applications/"))
    main = await page.locator("main").inner_text()
    for words in ("Who can apply", "one-way video", "about 30 minutes"):
        assert words in main, words
    await check_page(page, f"start-{width}")
    await fits_the_width(page, width)
    async with page.expect_navigation():
        await page.get_by_role("link", name="Check if you can apply to Test cohort social-work-test").click()
    assert await heading(page) == "Check if you can apply"
    await check_page(page, f"checker-{width}")
    await fits_the_width(page, width)

    await submit(page, "Check if I can apply")
    await check_error_summary(
        page,
        f"checker-errors-{width}",
        [
            "Select yes if you have the right to work",
            "Enter the month and year",
            "Select why",
            "Enter your years",
        ],
        "Select yes if you have the right to work in the UK",
        "right_to_work",
    )
    await (
        page.get_by_role("group", name="Do you have the right to work in the UK?").get_by_label("Yes").check()
    )
    start = page.get_by_role("group", name="When did your career break start?")
    await start.get_by_label("Month").fill("1")
    await start.get_by_label("Year").fill(str(datetime.now(UTC).year - 15))
    await page.get_by_label("Caring for an adult").check()
    await page.get_by_label("How many years have you worked in the profession?").fill("6")
    await page.get_by_label("I was not registered with any of these").check()
    await submit(page, "Check if I can apply")
    assert await heading(page) == "You could not apply to Test cohort social-work-test yet"
    reasons = await page.locator("#reasons").inner_text()
    assert "registered with Social Work England" in reasons
    assert "out of practice for" in reasons  # 15 years: the programme is for up to 10
    assert "social-work-rules-1" in await page.locator("main").inner_text()
    await check_page(page, f"checker-reasons-{width}")
    await fits_the_width(page, width)

    await page.get_by_label("Social Work England").check()
    await start.get_by_label("Year").fill(str(datetime.now(UTC).year - 4))
    await submit(page, "Check again")
    assert "You can apply" in await page.locator(".govuk-panel").inner_text()
    await check_page(page, f"checker-eligible-{width}")
    await fits_the_width(page, width)


@pytest.mark.parametrize("width", WIDTHS)
async def test_skills_are_rated_one_group_a_screen_on_a_phone(
    platform: RunningPlatform, page: Any, width: int
) -> None:
    await page.set_viewport_size({"width": width, "height": 800})
    email = address()
    await page.goto(platform.url("/applications/apply/ict-test"))
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("First name").fill("Dami")
    await page.get_by_label("Last name").fill("Bello")
    await submit(page, "Continue")
    await page.goto(await sign_in_link_for(platform, email))
    await submit(page, "Continue")
    await page.goto(page.url + "/questions/specialisms")
    await page.get_by_label("Security specialist").check()
    await page.get_by_label("Data analyst").check()
    await submit(page, "Save and continue")

    assert await heading(page) == "Rate your skills"
    await check_page(page, f"skills-groups-{width}")
    await fits_the_width(page, width)
    groups = page.locator(".govuk-task-list__item")
    assert await groups.count() == 3
    await submit(page, "Rate Architecture")
    tallest = 0
    for name in ("Architecture", "Data", "IT operations"):
        assert await heading(page) == f"Rate your skills: {name}"
        await check_page(page, f"skills-group-{name.lower().replace(' ', '-')}-{width}")
        await fits_the_width(page, width)
        tallest = max(tallest, await page.evaluate("document.documentElement.scrollHeight"))
        if name == "Data":
            await (
                page.get_by_role("group", name="Data visualisation", exact=True)
                .get_by_label("Working")
                .check()
            )
        await submit(page, "Save and continue")
    # The one page of 36 skills was about 12,000 px tall on a phone; a group is a few screens.
    assert tallest < 6_500, tallest
    assert await heading(page) == "Rate your skills"
    data = page.locator(".govuk-task-list__item", has_text="Data")
    assert "1 of 17 skills rated" in await data.inner_text()
    await check_page(page, f"skills-progress-{width}")
    async with page.expect_navigation():  # Architecture has nothing rated: leave it so
        await page.get_by_role("link", name="Skip the rest and continue").click()
    assert await heading(page) == "How and where you want to work"
    assert "miles" in await page.locator("main").inner_text()
