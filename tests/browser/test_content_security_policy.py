"""The pages work under their Content-Security-Policy: a real browser opens pages of every service,
as a stranger, a candidate, a programme admin, a training provider and a council recruiter, and
no script, style or form is blocked; govuk-frontend's scripts still run (they are files now)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from rtw_applications.testing import submitted_application
from rtw_platform.auth import Principal, Role, issue_session_token
from rtw_platform.security_headers import PAGE_POLICY
from rtw_platform.testing.browser import LINK, RunningPlatform
from rtw_platform.testing.waiting import eventually

pytestmark = pytest.mark.browser

#: Collects what the page's policy blocked, from the first script of each document.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


class PolicyWatch:
    """Every CSP violation a page reports, by its listener and on the console."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.console: list[str] = []
        page.on("console", self._console)

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    async def open(self, url: str, title: str | None = None) -> None:
        """Open the page and check it ran its scripts and broke no rule."""
        answer = await self.page.goto(url)
        assert answer is not None
        assert answer.headers.get("content-security-policy") == PAGE_POLICY, url
        if title is not None:
            assert title in await self.page.title(), f"{url} showed {await self.page.title()!r}"
        await self.check(url)

    async def check(self, where: str) -> None:
        classes = await self.page.evaluate("document.body.className")
        assert "js-enabled" in classes, f"the js-enabled script did not run on {where}"
        assert "govuk-frontend-supported" in classes
        # initAll ran: the skip link is a govuk-frontend component it starts.
        assert await self.page.locator("[data-govuk-skip-link-init]").count() == 1, where
        blocked = await self.page.evaluate("window.__cspViolations")
        assert not blocked, f"the policy blocked on {where}: {blocked}"
        assert not self.console, f"the policy blocked on {where}: {self.console}"


async def test_pages_of_every_service_break_no_rule_of_their_policy(
    platform: RunningPlatform, page: Any, browser: Any, make_application: Callable[..., dict[str, Any]]
) -> None:
    await page.context.add_init_script(RECORD_VIOLATIONS)
    watch = PolicyWatch(page)

    # A stranger.
    await watch.open(platform.url("/applications/"))
    await watch.open(platform.url("/applications/account/sign-in"), "Sign in")
    await watch.open(platform.url("/applications/apply/ict-test"))
    await watch.open(platform.url("/applications/privacy-notice"))
    await watch.open(platform.url("/matching/councils/sign-up"))
    # A form with an error, sent with the page's scripts running.
    await page.get_by_role("button", name="Sign up").click()
    await page.wait_for_load_state()
    await watch.check("the council sign-up form shown again with errors")

    # A candidate.
    async with httpx.AsyncClient(timeout=30) as http:
        path = platform.url("/applications/applications")
        receipt = await submitted_application(http, platform.secret, make_application(), path=path)
    candidate_id = receipt["candidate_id"]
    await watch.open(platform.sign_in_link(Role.CANDIDATE, candidate_id), "Sign in")
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url("**/applications/my")
    await watch.check("the candidate's home")
    await watch.open(platform.url(f"/applications/my/applications/{receipt['application_id']}"))
    await watch.open(platform.url("/applications/my/data"))
    await watch.open(platform.url("/training/my"))
    await watch.open(platform.url("/matching/my/interest"))
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/applications/account/signed-out")
    await watch.check("signed out")

    # A programme admin: the pages with bar charts.
    await watch.open(platform.sign_in_link(Role.ADMIN, "admin-1"))
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url("**/assessment/admin")
    await watch.check("the admins' home")
    await watch.open(platform.url("/assessment/admin/funnel"))
    await watch.open(platform.url("/applications/admin/cohorts"))
    await watch.open(platform.url("/applications/admin/reports"))
    assert await page.locator(".rtw-bar").count() > 0
    await watch.open(platform.url("/notifications/admin/dead-letters"))
    await watch.open(platform.url(f"/applications/my/applications/{UUID(int=0)}"))  # an error page

    # A training provider, in a browser of its own.
    context = await browser.new_context()
    try:
        trainer = await context.new_page()
        await context.add_init_script(RECORD_VIOLATIONS)
        trainer_principal = Principal(str(uuid4()), Role.TRAINER, provider_id="socitm")
        session = issue_session_token(platform.secret, trainer_principal)
        await context.add_cookies([{"name": "rtw_session", "value": session, "url": platform.entry}])
        await PolicyWatch(trainer).open(platform.url("/training/provider"))
    finally:
        await context.close()

    # A council signs up; its recruiter follows the invitation and opens the council's pages.
    contact = f"morag.{uuid4().hex[:6]}@walsall.example"
    await watch.open(platform.url("/matching/councils/sign-up"))
    await page.get_by_label("Find your council").fill("Walsall")
    await page.get_by_role("button", name="Find", exact=True).click()
    await page.get_by_label("Walsall (West Midlands)").check()
    await page.get_by_label("Contact's full name").fill("Morag Fairweather")
    await page.get_by_label("Contact's work e-mail address").fill(contact)
    await page.get_by_role("button", name="Sign up").click()
    await page.wait_for_url("**/matching/councils/check-your-email")
    await watch.check("the council's check-your-email page")
    # The programme admin (still signed in on this browser) approves the claim.
    await watch.open(platform.url("/matching/admin/councils"))
    await page.get_by_role("button", name=f"Approve the claim for Walsall by {contact}").click()
    await page.wait_for_url("**/matching/admin/councils?done=approved")
    await watch.check("the councils' claims, one approved")
    invitation = await invitation_link(platform, contact)
    await watch.open(invitation)
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url("**/matching/council")
    await watch.check("the council's vacancies")
    await watch.open(platform.url("/matching/council/search"))
    await watch.open(platform.url("/matching/council/vacancies/new"))


async def invitation_link(platform: RunningPlatform, email: str) -> str:
    """The recruiter's sign-in link in the invitation e-mail."""

    async def mailed() -> str | None:
        for mail in platform.mailbox.to(email):
            for link in LINK.findall(mail.text):
                if link.startswith(platform.url("/matching/recruiters/sign-in/")):
                    return str(link)
        return None

    return await eventually(mailed, timeout=30, interval=0.2, what=f"the invitation e-mail to {email}")
