"""Programme admins set up staff through the pages, in a real browser: an admin (signed in with the
operator's bootstrap link) registers an assessor, sends them their sign-in link by e-mail, and the
assessor opens the mailed link and lands on their queue; later the assessor asks for a new link on
the staff sign-in page. The same for a training provider and one of its trainers."""

from __future__ import annotations

from typing import Any

import pytest
from rtw_platform.auth import Role
from rtw_platform.testing.browser import RunningPlatform, check_error_summary, check_page

pytestmark = pytest.mark.browser


async def sign_in_with(page: Any, link: str, lands_on: str) -> None:
    await page.goto(link)
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url(f"**{lands_on}")


async def open_send_form(page: Any, link_name: str) -> None:
    """Follow the row's link to the send form; the service that registered them tells
    notifications by an event, so the form may need a moment (the page says to reload)."""
    await page.get_by_role("link", name=link_name).click()
    await page.wait_for_url("**/notifications/admin/staff/send?*")  # not the page the link was on
    for _ in range(60):
        if await page.get_by_label("Their e-mail address").count():
            return
        assert "has not heard of" in await page.locator("main").inner_text()
        await page.wait_for_timeout(500)
        await page.reload()
    raise AssertionError("notifications never heard of the new member of staff")


async def test_an_admin_sets_up_an_assessor_who_signs_in_from_the_mailed_link(
    platform: RunningPlatform, page: Any, browser: Any
) -> None:
    await sign_in_with(page, platform.sign_in_link(Role.ADMIN, "admin-1"), "/assessment/admin")
    await page.get_by_role("link", name="Assessors").click()
    assert await page.get_by_role("heading", level=1).inner_text() == "Assessors"
    await check_page(page, "admin-assessors")

    # a mistake first: no programme chosen
    await page.get_by_label("Staff id").fill("jo.okafor")
    await page.get_by_label("Name", exact=True).fill("Jo Okafor")
    await page.get_by_role("button", name="Register the assessor").click()
    await check_error_summary(
        page,
        "admin-assessors-error",
        ["Choose at least one programme"],
        "Choose at least one programme",
        "programmes",
    )
    await page.get_by_label("ICT and digital", exact=True).check()
    await page.get_by_role("button", name="Register the assessor").click()
    assert "Assessor jo.okafor is registered" in await page.locator("main").inner_text()

    await open_send_form(page, "Send a sign-in link to Jo Okafor (ICT and digital)")
    assert await page.get_by_label("Their name").input_value() == "Jo Okafor"
    await check_page(page, "admin-send-staff-link")
    await page.get_by_label("Their e-mail address").fill("jo.okafor@lga.example.org")
    await page.get_by_role("button", name="Send the sign-in link").click()
    assert "The sign-in link is on its way" in await page.locator("main").inner_text()
    assert "jo.okafor@lga.example.org" in await page.locator("table").inner_text()
    await check_page(page, "admin-staff-directory")

    # the assessor, in their own browser, opens the link from their e-mail
    context = await browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    try:
        assessor = await context.new_page()
        link = await platform.link_mailed_to("jo.okafor@lga.example.org")
        await sign_in_with(assessor, link, "/assessment/queue")
        assert await assessor.get_by_role("heading", level=1).inner_text() == "Your queue"
        await assessor.get_by_role("button", name="Sign out").click()

        # a new link, asked for on the staff sign-in page (the used one no longer works)
        await assessor.goto(platform.url("/notifications/staff/sign-in"))
        await check_page(assessor, "staff-sign-in")
        await assessor.get_by_label("Your work e-mail address").fill("jo.okafor@lga.example.org")
        await assessor.get_by_role("button", name="Send me a link").click()
        assert await assessor.get_by_role("heading", level=1).inner_text() == "Check your e-mail"
        await check_page(assessor, "staff-sign-in-check-email")
        again = await platform.link_mailed_to("jo.okafor@lga.example.org", count=2)
        assert again != link
        await sign_in_with(assessor, again, "/assessment/queue")
    finally:
        await context.close()


async def test_an_admin_sets_up_a_training_provider_whose_trainer_signs_in(
    platform: RunningPlatform, page: Any, browser: Any
) -> None:
    await sign_in_with(page, platform.sign_in_link(Role.ADMIN, "admin-1"), "/assessment/admin")
    await page.get_by_role("link", name="Training providers").click()
    await page.get_by_label("Id", exact=True).fill("digital-skills")
    await page.get_by_label("Name", exact=True).fill("Digital Skills College")
    await page.get_by_label("Cohorts it trains").fill("ict-test")
    await page.get_by_role("button", name="Register the provider").click()
    assert "Training provider digital-skills is registered" in await page.locator("main").inner_text()
    await check_page(page, "admin-providers")
    await page.get_by_role("link", name="Digital Skills College", exact=True).click()
    await check_page(page, "admin-provider")
    await page.get_by_role("link", name="Back to training providers").click()

    await open_send_form(page, "Send a trainer a sign-in link for Digital Skills College")
    await page.get_by_label("Their name").fill("Ada Trainer")
    await page.get_by_label("Their e-mail address").fill("ada@dsc.example.org")
    await page.get_by_role("button", name="Send the sign-in link").click()
    assert "The sign-in link is on its way" in await page.locator("main").inner_text()

    context = await browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    try:
        trainer = await context.new_page()
        await sign_in_with(
            trainer, await platform.link_mailed_to("ada@dsc.example.org"), "/training/provider"
        )
        assert "Digital Skills College" in await trainer.locator("main").inner_text()
    finally:
        await context.close()
