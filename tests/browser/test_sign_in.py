"""Signing in by e-mailed link, and out, in a real browser."""

from __future__ import annotations

from typing import Any

import pytest
from rtw_platform.auth import Role
from rtw_platform.testing.browser import RunningPlatform, check_error_summary, check_page

pytestmark = pytest.mark.browser


async def test_the_start_page_lists_open_programmes_and_is_accessible(
    platform: RunningPlatform, page: Any
) -> None:
    await page.goto(platform.url("/applications/"))
    await check_page(page, "candidate-start")
    assert (
        await page.get_by_role("heading", level=1).inner_text() == "Return to your profession with a council"
    )
    assert (
        await page.get_by_role("button", name="Start your application to Test cohort ict-test").count() == 1
    )


async def test_a_sign_in_form_without_an_address_shows_the_error_summary(
    platform: RunningPlatform, page: Any
) -> None:
    await page.goto(platform.url("/applications/account/sign-in"))
    await check_page(page, "sign-in")
    await page.get_by_role("button", name="Send me a link").click()
    await check_error_summary(
        page, "sign-in-error", ["Enter your e-mail address"], link="Enter your e-mail address", focus="email"
    )


async def test_a_staff_link_signs_in_once_and_sign_out_ends_the_session(
    platform: RunningPlatform, page: Any
) -> None:
    link = platform.sign_in_link(Role.ADMIN, "admin-1")
    await page.goto(link)
    await check_page(page, "sign-in-link")
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url("**/assessment/admin")
    await page.goto(platform.url("/applications/"))
    assert "Signed in as a programme admin" in await page.locator("header").inner_text()
    await page.get_by_role("button", name="Sign out").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "You have signed out"
    # the link was used: it does not work twice
    await page.goto(link)
    await page.get_by_role("button", name="Continue").click()
    assert "already used" in await page.locator("main").inner_text()


async def test_a_forged_form_is_refused(platform: RunningPlatform, page: Any) -> None:
    response = await page.request.post(
        platform.url("/applications/account/sign-in"), form={"email": "a@example.com", "csrf_token": "forged"}
    )
    assert response.status == 400
    assert "could not be sent" in await response.text()
