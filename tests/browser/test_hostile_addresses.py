"""Addresses a person may mistype or an attacker may forge, through the entry proxy in a real
browser: every one is a page saying what went wrong (never raw JSON or a server error), with
nothing typed into the address shown back as markup."""

from __future__ import annotations

from typing import Any

import pytest
from rtw_platform.auth import Role
from rtw_platform.testing.browser import RunningPlatform

pytestmark = pytest.mark.browser

ADDRESSES = [
    "/assessment/admin/cohorts/<b>x</b>/selection",  # no route: the name holds a slash
    "/assessment/admin/appeals/not-an-appeal",
    "/training/admin/providers/nobody",
    "/training/my/enrolments/not-an-id/cpd",
    "/training/provider/learners/not-an-id/modules/x/correction",
    "/notifications/admin/staff/send?role=" + "a" * 200,
    "/notifications/admin/failed-emails?resent=lots",
    "/assessment/no/such/page",
]


async def test_mistyped_and_forged_addresses_are_pages(platform: RunningPlatform, page: Any) -> None:
    await page.goto(platform.sign_in_link(Role.ADMIN, "admin-1"))
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url("**/assessment/admin")
    for address in ADDRESSES:
        answer = await page.goto(platform.url(address))
        assert answer is not None
        assert answer.status in (400, 403, 404), (address, answer.status)
        assert answer.headers["content-type"].startswith("text/html"), (address, await answer.text())
        heading = await page.get_by_role("heading", level=1).inner_text()
        assert heading, address
        assert await page.locator("main b").count() == 0, address
