"""A training provider records a cohort's progress on one page, corrects an outcome with a reason
the learner sees, and a social-work candidate adds their own CPD, in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from rtw_applications.testing import submitted_application
from rtw_contracts import AssessmentScored
from rtw_contracts.examples import example
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.testing.browser import RunningPlatform, check_error_summary, check_page
from rtw_platform.testing.events import selected
from rtw_platform.testing.fixtures import BrokerNamespace
from rtw_platform.testing.waiting import eventually

pytestmark = pytest.mark.browser

AMARA = "Amara Okafor"


async def sign_in(page: Any, link: str, lands_on: str) -> None:
    await page.goto(link)
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url(f"**{lands_on}")


async def enrolled(platform: RunningPlatform, http: httpx.AsyncClient, candidate_id: UUID) -> None:
    token = issue_token(platform.secret, Principal(str(candidate_id), Role.CANDIDATE))

    async def done() -> bool:
        mine = await http.get(
            platform.url(f"/training/candidates/{candidate_id}/training"),
            headers={"Authorization": f"Bearer {token}"},
        )
        return bool(mine.status_code == 200 and mine.json()["enrolments"])

    await eventually(done, timeout=30, what="the enrolment")


async def test_a_provider_records_a_grid_corrects_an_outcome_and_a_candidate_adds_cpd(
    platform: RunningPlatform,
    page: Any,
    browser: Any,
    broker_namespace: BrokerNamespace,
    make_application: Callable[..., dict[str, Any]],
    open_cohorts: dict[str, str],
) -> None:
    admin = {"Authorization": f"Bearer {issue_token(platform.secret, Principal('admin-1', Role.ADMIN))}"}
    social_work_cohort = open_cohorts["social_work"]
    async with httpx.AsyncClient(timeout=30) as http:
        receipt = await submitted_application(
            http, platform.secret, make_application(), path=platform.url("/applications/applications")
        )
        application_id, candidate_id = UUID(receipt["application_id"]), UUID(receipt["candidate_id"])
        provider = {"id": "socitm", "name": "Socitm", "cohorts": ["ict-test", social_work_cohort]}
        put = await http.put(platform.url("/training/providers/socitm"), json=provider, headers=admin)
        assert put.status_code == 200, put.text
        await broker_namespace.publish_event(selected(application_id, candidate_id))
        # A social worker selected onto the social-work cohort (published as assessment would).
        social_worker = uuid4()
        await broker_namespace.publish_event(
            example(
                AssessmentScored,
                event_id=uuid4(),
                correlation_id=(sw_application := uuid4()),
                application_id=sw_application,
                candidate_id=social_worker,
                cohort_id=social_work_cohort,
                programme="social_work",
                stage="final",
                outcome="selected",
                sequence=9,
                decided_at=datetime.now(UTC),
            )
        )
        await enrolled(platform, http, candidate_id)
        await enrolled(platform, http, social_worker)

    # The provider opens the cohort's grid: nothing is chosen for anyone.
    await sign_in(
        page, platform.sign_in_link(Role.TRAINER, "trainer-1", provider_id="socitm"), "/training/provider"
    )
    await page.get_by_role("link", name="Record progress for cohort ict-test").click()
    await check_page(page, "training-provider-grid")
    technical = page.get_by_label(f"Outcome of Technical skills refresher for {AMARA}")
    interview = page.get_by_label(f"Outcome of Interview techniques for {AMARA}")
    assert await technical.input_value() == ""
    assert await interview.input_value() == ""

    # Two outcomes in one submit, one with hours that are not a number: nothing is saved.
    await technical.select_option("passed")
    technical_hours = page.get_by_label(f"Hours on Technical skills refresher for {AMARA}")
    await technical_hours.fill("thirty")
    await interview.select_option("merit")
    await page.get_by_role("button", name="Record these outcomes").click()
    message = "Hours must be a number, like 6 or 7.5"
    await check_error_summary(
        page,
        "training-provider-grid-errors",
        [message],
        link=message,
        focus=await technical_hours.get_attribute("id"),
    )
    await technical_hours.fill("30")
    await page.get_by_role("button", name="Record these outcomes").click()
    banner = page.locator(".govuk-notification-banner--success")
    assert "2 outcomes recorded." in await banner.inner_text()
    await check_page(page, "training-provider-grid-recorded")

    # The provider corrects one: the reason is required, and then kept in the history.
    await page.get_by_role("link", name=f"Correct Interview techniques for {AMARA}").click()
    await check_page(page, "training-provider-correction")
    await page.get_by_label("Passed").check()
    await page.get_by_role("button", name="Save the correction").click()
    reason = "Give the reason for the correction (at least 5 characters)"
    await check_error_summary(
        page, "training-provider-correction-errors", [reason], link=reason, focus="reason"
    )
    await page.get_by_label("Reason for the correction").fill("Merit was entered for the wrong learner")
    await page.get_by_role("button", name="Save the correction").click()
    assert "The correction to Interview techniques is saved." in await banner.inner_text()
    history = page.locator("table").filter(has_text="Corrections")
    row = await history.locator("tbody tr").first.inner_text()
    assert "Merit, 4 hours" in row
    assert "Passed, 4 hours" in row
    assert "Merit was entered for the wrong learner" in row
    await check_page(page, "training-provider-learner-history")

    candidate_context = await browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    social_context = await browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    try:
        # The learner sees the correction and its reason on their own page.
        learner = await candidate_context.new_page()
        await sign_in(learner, platform.sign_in_link(Role.CANDIDATE, str(candidate_id)), "/applications/my")
        await learner.goto(platform.url("/training/my"))
        mine = await learner.locator("table").filter(has_text="Corrections").inner_text()
        assert "Merit was entered for the wrong learner" in mine
        await check_page(learner, "training-my-corrections")

        # The social worker adds CPD: every problem at once first, then the entry.
        worker = await social_context.new_page()
        await sign_in(worker, platform.sign_in_link(Role.CANDIDATE, str(social_worker)), "/applications/my")
        await worker.goto(platform.url("/training/my"))
        await worker.get_by_role("link", name="Add CPD").click()
        await check_page(worker, "training-cpd-form")
        await worker.get_by_role("button", name="Add this CPD").click()
        date_message = "Enter the date of the CPD, with day, month and year"
        await check_error_summary(
            worker,
            "training-cpd-form-errors",
            [date_message, "Enter how many days of CPD, like 1 or 0.5", "Select the kind of CPD"],
            link=date_message,
            focus="day-day",
        )
        yesterday = datetime.now(UTC).date() - timedelta(days=1)
        await worker.get_by_label("Day", exact=True).fill(str(yesterday.day))
        await worker.get_by_label("Month").fill(str(yesterday.month))
        await worker.get_by_label("Year").fill(str(yesterday.year))
        await worker.get_by_label("How many days?").fill("2")
        await worker.get_by_label("Structured learning (a course, supervised practice)").check()
        await worker.get_by_label("What did you do?").fill("Safeguarding adults refresher course")
        await worker.get_by_role("button", name="Add this CPD").click()
        await worker.wait_for_url("**/training/my?cpd=added")
        assert "Your CPD is added." in await worker.locator(".govuk-notification-banner").inner_text()
        entries = await worker.locator("table").filter(has_text="CPD recorded").inner_text()
        assert "Safeguarding adults refresher course" in entries
        assert "2 counted of 30" in await worker.locator(".govuk-summary-list").inner_text()
        await check_page(worker, "training-my-cpd-added")
    finally:
        await candidate_context.close()
        await social_context.close()
