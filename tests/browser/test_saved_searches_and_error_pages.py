"""A recruiter's saved searches in a real browser (save the search, see a new returner under it,
run it, turn its alerts off, delete it), and errors in the pages' own design: an address nobody
serves and an unknown id are a styled 404 with a way on, checked by axe."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import pytest
from rtw_platform.auth import Role
from rtw_platform.testing.browser import RunningPlatform, check_page
from rtw_platform.testing.fixtures import BrokerNamespace
from rtw_platform.testing.waiting import eventually

from .test_council_recruiter import (
    WALSALL,
    admin_approves,
    recruiter_signs_in,
    selected_returner,
    short,
    sign_up_council,
    until_in_pool,
)

pytestmark = pytest.mark.browser


async def test_a_recruiter_saves_a_search_sees_a_new_returner_under_it_and_deletes_it(
    platform: RunningPlatform,
    page: Any,
    browser: Any,
    broker_namespace: BrokerNamespace,
    make_application: Callable[..., dict[str, Any]],
) -> None:
    first, _ = await selected_returner(platform, broker_namespace, make_application())
    contact = f"s.{uuid4().hex[:6]}@walsall.example"
    await page.goto(platform.url("/matching/councils/sign-up"))
    await sign_up_council(page, WALSALL, "Morag Fairweather", contact)
    await admin_approves(platform, browser, "Walsall", contact, None)
    await recruiter_signs_in(platform, page, contact, "saved-searches")
    await until_in_pool(platform, page, first)

    # Search, then save the search under a name (getting the name wrong first).
    await page.get_by_label("Within (km)").fill("40")
    await page.get_by_role("button", name="Apply filters").click()
    await page.get_by_role("link", name="Save this search").click()
    await page.wait_for_url("**/matching/council/saved-searches/new?*")
    assert "within 40 km of your council" in await page.locator("main").inner_text()
    await check_page(page, "saved-search-new")
    await page.get_by_role("button", name="Save the search").click()
    assert "Enter a name for the search" in await page.locator(".govuk-error-summary").inner_text()
    await check_page(page, "saved-search-new-errors")
    await page.get_by_label("Name of the search").fill("Returners near Walsall")
    await page.get_by_role("button", name="Save the search").click()
    await page.wait_for_url("**/matching/council/saved-searches?done=saved")
    card = page.locator(".govuk-summary-card", has_text="Returners near Walsall")
    assert "None since you last looked" in await card.inner_text()  # the first matched already
    await check_page(page, "saved-searches")

    # A returner who joins afterwards is listed under the search.
    later, _ = await selected_returner(platform, broker_namespace, make_application())

    async def listed() -> bool:
        await page.goto(platform.url("/matching/council/saved-searches"))
        return bool(await page.get_by_role("link", name=short(later)).count())

    await eventually(listed, timeout=30, interval=0.5, what="the new returner under the saved search")
    assert await page.get_by_role("link", name=short(first)).count() == 0
    await check_page(page, "saved-searches-new-returner")

    # Running it opens the search with its filters.
    await page.get_by_role("link", name="Run Returners near Walsall").click()
    await page.wait_for_url(re.compile(r"/matching/council/search\?.*radius_km=40"))
    assert await page.get_by_role("link", name=short(later)).count() == 1

    # Alerts off, then the search deleted after a confirmation.
    await page.goto(platform.url("/matching/council/saved-searches"))
    await page.get_by_role("button", name="Mark the new returners of Returners near Walsall as seen").click()
    await page.get_by_role("button", name="Turn alerts off for Returners near Walsall").click()
    await page.wait_for_url("**/saved-searches?done=alerts-off")
    assert "Off" in await page.locator(".govuk-summary-card").inner_text()
    await page.get_by_role("link", name="Delete Returners near Walsall").click()
    await check_page(page, "saved-search-delete")
    await page.get_by_role("button", name="Delete the saved search").click()
    await page.wait_for_url("**/saved-searches?done=deleted")
    assert "no saved searches yet" in await page.locator("main").inner_text()


async def test_an_unknown_address_or_id_is_a_page_in_the_pages_design(
    platform: RunningPlatform, page: Any
) -> None:
    # Signed out, an address nobody serves: a 404 page that leads to the start.
    answer = await page.goto(platform.url("/matching/no-such-page"))
    assert answer.status == 404
    assert await page.get_by_role("heading", level=1).inner_text() == "Page not found"
    await check_page(page, "error-404")
    await page.get_by_role("link", name="Go to the start page").click()
    await page.wait_for_url("**/applications/")

    # Signed in as an admin: an unknown id and a malformed one lead back to their home page.
    await page.goto(platform.sign_in_link(Role.ADMIN, "admin-1"))
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url("**/assessment/admin")
    for path in ("/assessment/admin/cohorts/no-such-cohort", "/applications/admin/cohorts/%00"):
        answer = await page.goto(platform.url(path))
        assert answer.status in (404, 422), path
        assert "rtw.css" in await page.content()
        assert "{" not in await page.locator("main").inner_text()  # no JSON
    answer = await page.goto(platform.url("/training/provider/learners/not-an-id"))
    assert answer.status == 404
    assert await page.get_by_role("heading", level=1).inner_text() == "Page not found"
    await check_page(page, "error-404-signed-in")
    await page.get_by_role("link", name="Go to your home page").click()
    await page.wait_for_url("**/assessment/admin")
