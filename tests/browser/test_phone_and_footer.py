"""On a phone: pages reflow at 320 and 390 CSS pixels (WCAG 1.4.10, which axe cannot see), tables
become stacked rows, and the navigation folds behind a menu button (and still works without
JavaScript). The footer's pages (help, accessibility, cookies, privacy) are reachable from every
service, signed in or not."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from rtw_applications.testing import submitted_application
from rtw_platform.auth import Role
from rtw_platform.registry import installed_services
from rtw_platform.testing.browser import RunningPlatform, check_page, check_reflow

pytestmark = pytest.mark.browser

FOOTER = {
    "Help and contact": "Help and contact",
    "Accessibility statement": "Accessibility statement for Return to Work",
    "Cookies": "Cookies",
    "Privacy notice": "Privacy notice",
}
PHONE = {"width": 390, "height": 844}


async def signed_in_candidate(
    platform: RunningPlatform, page: Any, make_application: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    """A candidate with a sent application, signed in on `page` (at their applications)."""
    async with httpx.AsyncClient(timeout=30) as http:
        path = platform.url("/applications/applications")
        receipt: dict[str, Any] = await submitted_application(
            http, platform.secret, make_application(), path=path
        )
    await page.goto(platform.sign_in_link(Role.CANDIDATE, receipt["candidate_id"]))
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url("**/applications/my")
    return receipt


async def test_your_applications_fits_a_phone_with_the_table_as_stacked_rows(
    platform: RunningPlatform, page: Any, make_application: Callable[..., dict[str, Any]]
) -> None:
    given: set[str] = set()  # names of every cookie a response set, even one taken back at once

    async def note_cookies(response: Any) -> None:
        for header in await response.headers_array():
            if header["name"].lower() == "set-cookie":
                given.add(header["value"].split("=", 1)[0].strip())

    page.on("response", note_cookies)
    receipt = await signed_in_candidate(platform, page, make_application)
    await page.set_viewport_size(PHONE)
    await check_reflow(page, "phone-your-applications")
    # each cell says which column it is in, and the action link is on the screen
    status = page.locator("table tbody td").nth(1)
    assert await status.get_attribute("data-label") == "Status"
    link = page.get_by_role("link", name="See your application")
    box = await link.bounding_box()
    assert box is not None
    assert box["x"] + box["width"] <= PHONE["width"]
    await link.click()
    assert receipt["reference"] in await page.locator("main").inner_text()


async def test_the_navigation_folds_behind_a_menu_button_on_a_phone(
    platform: RunningPlatform, page: Any, make_application: Callable[..., dict[str, Any]]
) -> None:
    await signed_in_candidate(platform, page, make_application)
    menu = page.get_by_role("button", name="Menu")
    training = page.get_by_role("navigation", name="Menu").get_by_role("link", name="My training")
    assert await training.is_visible()
    assert not await menu.is_visible()
    await page.set_viewport_size(PHONE)
    await menu.wait_for()
    assert not await training.is_visible()
    assert await menu.get_attribute("aria-expanded") == "false"
    await menu.click()
    assert await menu.get_attribute("aria-expanded") == "true"
    await training.click()
    await page.wait_for_url("**/training/my")
    await check_page(page, "phone-navigation-after")


async def test_without_javascript_the_navigation_and_tables_still_work_on_a_phone(
    platform: RunningPlatform, browser: Any, make_application: Callable[..., dict[str, Any]]
) -> None:
    context = await browser.new_context(viewport=PHONE, locale="en-GB", java_script_enabled=False)
    page = await context.new_page()
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            path = platform.url("/applications/applications")
            receipt = await submitted_application(http, platform.secret, make_application(), path=path)
        await page.goto(platform.sign_in_link(Role.CANDIDATE, receipt["candidate_id"]))
        await page.get_by_role("button", name="Continue").click()
        await page.wait_for_url("**/applications/my")
        await check_reflow(page, "phone-no-javascript")
        assert await page.locator("table tbody td").nth(1).get_attribute("data-label") == "Status"
        training = page.get_by_role("navigation", name="Menu").get_by_role("link", name="My training")
        await training.click()
        await page.wait_for_url("**/training/my")
    finally:
        await context.close()


@pytest.mark.parametrize("signed_in", [False, True], ids=["signed-out", "signed-in"])
async def test_the_footer_pages_open_from_every_service_and_are_accessible(
    platform: RunningPlatform, page: Any, signed_in: bool
) -> None:
    if signed_in:
        await page.goto(platform.sign_in_link(Role.ADMIN, "admin-1"))
        await page.get_by_role("button", name="Continue").click()
        await page.wait_for_url("**/assessment/admin")
    await page.goto(platform.url("/matching/councils/sign-up"))
    footer = page.get_by_role("contentinfo")
    for link, heading in FOOTER.items():
        await footer.get_by_role("link", name=link).click()
        await page.wait_for_load_state()
        assert await page.get_by_role("heading", level=1).inner_text() == heading
        await check_page(page, f"footer-{link.lower().replace(' ', '-')}-{'in' if signed_in else 'out'}")
        await page.goto(platform.url("/training/certificates"))


async def test_every_footer_link_of_every_service_answers_through_the_entry_proxy(
    platform: RunningPlatform,
) -> None:
    async with httpx.AsyncClient(timeout=30) as http:
        for service in installed_services():
            # a page no route has: the error page is in the frame too, with its footer
            page = await http.get(platform.url(f"/{service}/no-such-page"), headers={"accept": "text/html"})
            links = [
                line.split('href="', 1)[1].split('"', 1)[0]
                for line in page.text.split("\n")
                if "govuk-footer__link" in line
            ]
            assert len(links) == len(FOOTER), (service, links)
            for link in links:
                answer = await http.get(platform.url(link))
                assert answer.status_code == 200, (service, link, answer.status_code)


async def test_the_cookies_page_names_every_cookie_the_platform_set(
    platform: RunningPlatform, page: Any, make_application: Callable[..., dict[str, Any]]
) -> None:
    """Every cookie a candidate's browser can be given: signed in (session, CSRF), a form refused
    (its problems and answers kept for the page, rtw_form), and Welsh chosen (rtw_lang)."""
    given: set[str] = set()  # names of every cookie a response set, even one taken back at once

    async def note_cookies(response: Any) -> None:
        for header in await response.headers_array():
            if header["name"].lower() == "set-cookie":
                given.add(header["value"].split("=", 1)[0].strip())

    page.on("response", note_cookies)
    receipt = await signed_in_candidate(platform, page, make_application)
    await page.goto(platform.url(f"/applications/my/applications/{receipt['application_id']}/withdraw"))
    await page.get_by_role("button", name="Yes, withdraw my application").click()  # no reason: refused
    await page.wait_for_url(f"**/my/applications/{receipt['application_id']}/withdraw")
    assert "Select why you are withdrawing" in await page.locator(".govuk-error-summary").inner_text()
    await page.goto(platform.url("/applications/my/data?lang=cy"))
    # rtw_form is gone once its page has shown the problems: the responses saw it set.
    set_ = given | {cookie["name"] for cookie in await page.context.cookies()}
    assert {"rtw_session", "rtw_csrf", "rtw_form", "rtw_lang"} <= set_
    await page.goto(platform.url("/applications/cookies?lang=en"))
    table = await page.locator("main table").inner_text()
    for name in set_:
        assert name in table, f"the cookies page does not describe {name}"
    assert "8 hours, or when you sign out" in table
