"""A programme admin opens a cohort for applications; candidates then see it on the start page."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from rtw_platform.auth import Role
from rtw_platform.testing.browser import RunningPlatform, check_page

pytestmark = pytest.mark.browser


async def fill_date(page: Any, prefix: str, day: date) -> None:
    await page.fill(f"#{prefix}-day", str(day.day))
    await page.fill(f"input[name='{prefix}-month']", str(day.month))
    await page.fill(f"input[name='{prefix}-year']", str(day.year))


async def test_an_admin_opens_a_cohort_and_candidates_can_start_applying(
    platform: RunningPlatform, page: Any
) -> None:
    await page.goto(platform.sign_in_link(Role.ADMIN, "admin-1"))
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url("**/assessment/admin")
    await page.get_by_role("link", name="Application windows").click()
    await page.wait_for_url("**/applications/admin/cohorts")
    assert "Test cohort ict-test" in await page.locator("table").inner_text()
    await check_page(page, "admin-application-windows")

    # Wrong first: a name with capitals, no programme, closing before opening.
    today = datetime.now(UTC).date()
    await page.fill("#id", "Planning 2027")
    await page.fill("#title", "Return to Planning 2027")
    await fill_date(page, "opens", today + timedelta(days=10))
    await fill_date(page, "closes", today)
    await page.get_by_role("button", name="Save the cohort").click()
    summary = await page.locator(".govuk-error-summary").inner_text()
    assert "lower-case letters" in summary
    assert "Choose the programme" in summary
    assert "on or after the opening day" in summary
    await check_page(page, "admin-application-window-errors")

    await page.fill("#id", "planning-2027")
    await page.get_by_label("Planning").check()
    await fill_date(page, "opens", today - timedelta(days=1))
    await fill_date(page, "closes", today + timedelta(days=30))
    await page.get_by_role("button", name="Save the cohort").click()
    await page.wait_for_url("**/applications/admin/cohorts?saved=planning-2027")
    row = page.get_by_role("row").filter(has_text="Return to Planning 2027")
    assert "Open" in await row.inner_text()

    # Change its title; the short name stays.
    await row.get_by_role("link", name="Return to Planning 2027").click()
    await check_page(page, "admin-application-window-change")
    await page.fill("#title", "Return to Planning, spring 2027")
    await page.get_by_role("button", name="Save the cohort").click()
    await page.wait_for_url("**/applications/admin/cohorts?saved=planning-2027")

    await page.goto(platform.url("/applications/"))
    start = page.get_by_role("button", name="Start your application to Return to Planning, spring 2027")
    assert await start.count() == 1
