"""An appeal in a real browser, through every service: a candidate found not eligible follows the
link on their status page and appeals; a programme admin decides it on the appeals page; the
candidate sees the outcome in their journey and gets it by e-mail."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from rtw_applications.testing import application_form, submitted_application
from rtw_assessment.domain import default_config
from rtw_contracts import Programme
from rtw_platform.auth import Principal, Role, issue_session_token, issue_token
from rtw_platform.testing.browser import RunningPlatform, check_page
from rtw_platform.testing.waiting import eventually

pytestmark = pytest.mark.browser

COHORT = "ict-test"
GROUNDS = "I have settled status under the EU Settlement Scheme, so I do have the right to work in the UK."
REASON = "We checked your share code: you have the right to work in the UK."


async def submit(page: Any, button: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=button).click()


async def text_of(page: Any) -> str:
    return str(await page.locator("main").inner_text())


async def test_an_ineligible_candidate_appeals_staff_uphold_it_and_the_candidate_is_told(
    platform: RunningPlatform, page: Any, browser: Any
) -> None:
    admin = Principal("admin-1", Role.ADMIN)
    email = "nadia.haddad@example.org"
    async with httpx.AsyncClient(base_url=platform.entry) as http:
        # Everyone eligible scoring 10 or more is shortlisted as they apply.
        config = default_config(Programme.ICT).model_copy(update={"shortlist_threshold": 10})
        put = await http.put(
            f"/assessment/cohorts/{COHORT}/config",
            json=config.model_dump(mode="json"),
            headers={"Authorization": f"Bearer {issue_token(platform.secret, admin)}"},
        )
        assert put.status_code == 200, put.text
        form = application_form(
            given_name="Nadia", family_name="Haddad", email=email, years_experience=15, right_to_work=False
        )
        receipt = await submitted_application(http, platform.secret, form, path="/applications/applications")
    application_id, candidate_id = receipt["application_id"], receipt["candidate_id"]

    # The not-eligible e-mail gives the last day and links the appeal page.
    mails = await platform.mailbox.wait_for(email, count=2, timeout=60)
    refusal = next(m for m in mails if "not eligible" in m.subject)
    assert "you can appeal until" in refusal.text
    assert f"{platform.entry}/assessment/my/applications/{application_id}/appeal" in refusal.text

    # The candidate, signed in, finds the link on their status page.
    session = issue_session_token(platform.secret, Principal(candidate_id, Role.CANDIDATE))
    await page.context.add_cookies([{"name": "rtw_session", "value": session, "url": platform.entry}])
    status_page = platform.url(f"/applications/my/applications/{application_id}")

    async def told_not_eligible() -> bool | None:
        await page.goto(status_page)
        return "Appeal this decision" in await text_of(page) or None

    await eventually(told_not_eligible, timeout=30, interval=0.5, what="the status page offering the appeal")
    assert "Not eligible for this programme" in await text_of(page)
    await check_page(page, "appeal-status-not-eligible")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Appeal this decision").click()
    assert page.url.endswith(f"/assessment/my/applications/{application_id}/appeal")
    assert "The programme is open to people with the right to work in the UK." in await text_of(page)
    await check_page(page, "appeal-form")

    await submit(page, "Send your appeal")  # nothing written
    assert "Tell us why the decision is wrong" in await page.locator(".govuk-error-summary").inner_text()
    await check_page(page, "appeal-form-error")
    await page.get_by_label("Why is the decision wrong?").fill(GROUNDS)
    await submit(page, "Send your appeal")
    shown = await text_of(page)
    assert "Your appeal has been sent" in shown
    assert "Waiting for a decision" in shown
    await check_page(page, "appeal-sent")

    async def appeal_in_journey() -> bool | None:
        await page.goto(status_page)
        return "You appealed the decision" in await text_of(page) or None

    await eventually(
        appeal_in_journey, timeout=30, interval=0.5, what="the appeal in the candidate's journey"
    )

    # A programme admin decides it on the appeals page.
    context = await browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    try:
        staff = await context.new_page()
        staff.set_default_timeout(15_000)
        await staff.goto(platform.sign_in_link(Role.ADMIN, "admin-1"))
        await staff.get_by_role("button", name="Continue").click()
        await staff.wait_for_url("**/assessment/admin")
        async with staff.expect_navigation():
            await staff.get_by_role("link", name="Appeals", exact=True).click()
        assert "Waiting for a decision (1)" in await text_of(staff)
        await check_page(staff, "appeals-list")
        async with staff.expect_navigation():
            await staff.get_by_role("link", name="Decide the appeal of").click()
        decide = await text_of(staff)
        assert GROUNDS in decide
        assert "The programme is open to people with the right to work in the UK." in decide
        await check_page(staff, "appeal-decide")
        await submit(staff, "Decide the appeal")
        assert (
            "Select whether you uphold the appeal" in await staff.locator(".govuk-error-summary").inner_text()
        )
        await check_page(staff, "appeal-decide-errors")
        await staff.get_by_label("Yes, uphold the appeal").check()
        await staff.get_by_label("Your reason, for the candidate").fill(REASON)
        await submit(staff, "Decide the appeal")
        done = await text_of(staff)
        assert "The appeal is upheld" in done
        assert "No appeal is waiting for a decision" in done
        await check_page(staff, "appeals-decided")
    finally:
        await context.close()

    # The candidate sees the outcome in their journey and is back in the flow…
    async def back_in_the_flow() -> bool | None:
        await page.goto(status_page)
        shown = await text_of(page)
        return ("Your appeal was upheld" in shown and "Start the second stage" in shown) or None

    await eventually(back_in_the_flow, timeout=30, interval=0.5, what="the upheld appeal on the status page")
    shown = await text_of(page)
    assert REASON in shown
    assert "Invited to the second stage" in shown
    await check_page(page, "appeal-upheld-status")
    async with page.expect_navigation():
        await page.get_by_role("link", name="See your appeal").click()
    assert "Upheld" in await text_of(page)
    assert REASON in await text_of(page)
    await check_page(page, "appeal-upheld")

    # …and by e-mail, with the reason (and the second stage's invitation).
    async def told_by_email() -> list[Any] | None:
        mails = platform.mailbox.to(email)
        return [m for m in mails if m.subject.startswith("Your appeal was upheld")] or None

    [upheld] = await eventually(told_by_email, timeout=30, what="the appeal's outcome e-mailed")
    assert REASON in upheld.text
    assert f"{platform.entry}/applications/my/applications/{application_id}" in upheld.text
