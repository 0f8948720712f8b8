"""One cohort's life on one page: a programme admin opens a window on the application windows page,
follows it to the cohort's page in assessment, configures it while it is a draft, and sees its state
move as the window opens, closes and selection is closed (after which candidates are not offered it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from rtw_platform.auth import Role
from rtw_platform.testing.browser import RunningPlatform, check_page

pytestmark = pytest.mark.browser

COHORT = "legal-lifecycle"
TITLE = "Return to Legal, lifecycle"


async def fill_date(page: Any, prefix: str, day: date) -> None:
    await page.fill(f"#{prefix}-day", str(day.day))
    await page.fill(f"input[name='{prefix}-month']", str(day.month))
    await page.fill(f"input[name='{prefix}-year']", str(day.year))


async def save_window(page: Any, opens: date, closes: date) -> None:
    await fill_date(page, "opens", opens)
    await fill_date(page, "closes", closes)
    await page.get_by_role("button", name="Save the cohort").click()
    await page.wait_for_url(f"**/applications/admin/cohorts?saved={COHORT}")


async def state_on_cohort_page(page: Any, platform: RunningPlatform, state: str) -> str:
    """Reload the cohort's page until it shows `state` (events take a moment); its text."""
    for _ in range(60):
        await page.goto(platform.url(f"/assessment/admin/cohorts/{COHORT}"))
        heading = page.locator("#state")
        if await heading.count() and state in await heading.inner_text():
            return str(await page.locator("main").inner_text())
        await page.wait_for_timeout(500)
    raise AssertionError(f"the cohort page never showed {state!r}: {await page.locator('main').inner_text()}")


async def test_a_window_is_followed_to_its_cohort_page_configured_as_a_draft_and_its_states_move(
    platform: RunningPlatform, page: Any
) -> None:
    today = datetime.now(UTC).date()
    await page.goto(platform.sign_in_link(Role.ADMIN, "admin-1"))
    await page.get_by_role("button", name="Continue").click()
    await page.goto(platform.url("/applications/admin/cohorts"))
    await page.fill("#id", COHORT)
    await page.get_by_label("Legal").check()
    await page.fill("#title", TITLE)
    await save_window(page, today + timedelta(days=14), today + timedelta(days=44))
    row = page.get_by_role("row").filter(has_text=TITLE)
    opens = today + timedelta(days=14)
    assert f"Opens on {opens.day} {opens:%B %Y}" in await row.inner_text()
    assert "Closed" not in await row.inner_text()
    await check_page(page, "lifecycle-windows-draft")

    # Not offered to candidates before it opens.
    await page.goto(platform.url("/applications/"))
    assert await page.get_by_role("button", name=f"Start your application to {TITLE}").count() == 0

    # Followed to its cohort page: a draft, configurable before any application.
    await page.goto(platform.url("/applications/admin/cohorts"))
    await page.get_by_role("row").filter(has_text=TITLE).get_by_role("link", name="Cohort page").click()
    await page.wait_for_url(f"**/assessment/admin/cohorts/{COHORT}")
    main = await state_on_cohort_page(page, platform, "Draft")
    assert TITLE in main
    assert f"Applications open on {opens.day} {opens:%B %Y}" in main
    await check_page(page, "lifecycle-cohort-draft")
    await page.get_by_role("button", name="Change the configuration").click()
    await page.fill("#capacity", "7")
    await page.get_by_role("button", name="Save as a new version").click()
    await page.wait_for_url(f"**/assessment/admin/cohorts/{COHORT}?done=saved")
    main = await page.locator("main").inner_text()
    assert "Configuration in force: version 2" in main
    assert "Where the cohort stands: Draft" in main

    # The cohorts list shows it as a draft and links to the same page.
    await page.goto(platform.url("/assessment/admin"))
    listed = page.get_by_role("row").filter(has_text=COHORT)
    assert "Draft" in await listed.inner_text()
    assert TITLE in await listed.inner_text()

    # The window opens today: open, and offered to candidates.
    await page.goto(platform.url(f"/applications/admin/cohorts/{COHORT}"))
    await save_window(page, today, today + timedelta(days=30))
    main = await state_on_cohort_page(page, platform, "Open for applications")
    assert "0 applications so far" in main
    await page.goto(platform.url("/applications/"))
    assert await page.get_by_role("button", name=f"Start your application to {TITLE}").count() == 1

    # The window closed yesterday (nobody applied): selection waits for the admin.
    await page.goto(platform.url(f"/applications/admin/cohorts/{COHORT}"))
    await save_window(page, today - timedelta(days=10), today - timedelta(days=1))
    main = await state_on_cohort_page(page, platform, "Selection")
    assert "Nobody is waiting." in main
    await check_page(page, "lifecycle-cohort-selection")

    # Selection is confirmed from the ranked list (empty here), then the cohort's page says closed.
    await page.get_by_role("button", name="See the ranked list").click()
    await page.wait_for_url(f"**/assessment/admin/cohorts/{COHORT}/selection")
    assert "No shortlisted candidate is in the cohort yet." in await page.locator("main").inner_text()
    await page.get_by_role("button", name="Confirm selection").click()
    await page.wait_for_url(f"**/assessment/admin/cohorts/{COHORT}/selection?done=closed")
    await page.goto(platform.url(f"/assessment/admin/cohorts/{COHORT}"))
    main = await page.locator("main").inner_text()
    assert "Where the cohort stands: Closed" in main
    await check_page(page, "lifecycle-cohort-closed")

    # Applications learns that selection closed: the windows page says so.
    for _ in range(60):
        await page.goto(platform.url("/applications/admin/cohorts"))
        if "Selection closed" in await page.get_by_role("row").filter(has_text=TITLE).inner_text():
            break
        await page.wait_for_timeout(500)
    assert "Selection closed" in await page.get_by_role("row").filter(has_text=TITLE).inner_text()
