"""Assessors score blind submissions and programme admins run cohorts, in a real browser.

Candidates apply and send their second stage through the applications service's JSON API; events
reach assessment over the real broker, which screens, shortlists and assigns assessors. Then an
assessor signs in and scores through the pages, and an admin changes a cohort and reads the funnel.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from rtw_applications.testing import application_form, submitted_application
from rtw_assessment.domain import default_config
from rtw_contracts import Programme
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.testing.browser import RunningPlatform, check_page
from rtw_platform.testing.waiting import eventually

pytestmark = pytest.mark.browser

COHORT = "ict-test"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2000
ANSWERS = {
    "ict-problem": "I rebuilt the housing repairs booking service so tenants could book online.",
    "ict-change": "Cloud hosting and continuous delivery arrived; I am retraining.",
    "ict-council": "Public service matters to me.",
}
CRITERIA = [c.id for c in default_config(Programme.ICT).rubric.criteria]
PEOPLE = [("Philippa", "Thistlewood"), ("Barnaby", "Quillfeather")]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def admin_headers(platform: RunningPlatform) -> dict[str, str]:
    return bearer(issue_token(platform.secret, Principal("admin-1", Role.ADMIN)))


@dataclass
class Applicant:
    given_name: str
    family_name: str
    email: str
    application_id: str
    token: str


async def configure(http: httpx.AsyncClient, platform: RunningPlatform) -> None:
    """Version 1 of the cohort: shortlist everyone eligible scoring 10 or more."""
    config = default_config(Programme.ICT).model_copy(update={"shortlist_threshold": 10})
    put = await http.put(
        f"/assessment/cohorts/{COHORT}/config",
        json=config.model_dump(mode="json"),
        headers=admin_headers(platform),
    )
    assert put.status_code == 200, put.text


async def apply(
    http: httpx.AsyncClient, platform: RunningPlatform, given: str, family: str, **changes: Any
) -> Applicant:
    email = f"{given.lower()}.{family.lower()}@example.org"
    form = application_form(given_name=given, family_name=family, email=email, **changes)
    receipt = await submitted_application(http, platform.secret, form, path="/applications/applications")
    return Applicant(given, family, email, receipt["application_id"], receipt["access_token"])


async def status_of(http: httpx.AsyncClient, applicant: Applicant) -> str:
    view = await http.get(
        f"/applications/applications/{applicant.application_id}", headers=bearer(applicant.token)
    )
    assert view.status_code == 200, view.text
    return str(view.json()["status"])


async def shortlisted_with_assessors(platform: RunningPlatform) -> tuple[list[Applicant], dict[str, int]]:
    """Two candidates shortlisted, their second stages sent and three assessors assigned; the
    number of submissions in each assessor's queue."""
    async with httpx.AsyncClient(base_url=platform.entry, timeout=30) as http:
        await configure(http, platform)
        applicants = [await apply(http, platform, given, family) for given, family in PEOPLE]
        for applicant in applicants:

            async def shortlisted(applicant: Applicant = applicant) -> bool:
                return await status_of(http, applicant) == "shortlisted"

            await eventually(shortlisted, timeout=60, what=f"{applicant.given_name} to be shortlisted")
            sent = await http.post(
                f"/applications/applications/{applicant.application_id}/second-stage",
                data={"answers": json.dumps(ANSWERS)},
                files={"video": ("me.mp4", MP4, "video/mp4")},
                headers=bearer(applicant.token),
            )
            assert sent.status_code == 201, sent.text
        for number in (1, 2, 3):
            body = {"id": f"assessor-{number}", "display_name": f"Assessor {number}", "programmes": ["ict"]}
            put = await http.put(
                f"/assessment/assessors/assessor-{number}", json=body, headers=admin_headers(platform)
            )
            assert put.status_code == 200, put.text

        async def all_assigned() -> dict[str, int]:
            funnel = await http.get(f"/assessment/cohorts/{COHORT}/funnel", headers=admin_headers(platform))
            if funnel.json()["pending_assignments"] != 2 * len(applicants):
                return {}
            queues = {}
            for number in (1, 2, 3):
                token = issue_token(platform.secret, Principal(f"assessor-{number}", Role.ASSESSOR))
                queue = await http.get("/assessment/assessor/queue", headers=bearer(token))
                queues[f"assessor-{number}"] = len(queue.json())
            return queues

        queues = await eventually(all_assigned, timeout=60, what="two assessors for each second stage")
    return applicants, queues


async def sign_in(page: Any, platform: RunningPlatform, role: Role, subject: str, lands_on: str) -> None:
    await page.goto(platform.sign_in_link(role, subject))
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url(f"**{lands_on}")


async def test_an_assessor_scores_a_blind_submission_and_declares_a_conflict(
    platform: RunningPlatform, page: Any
) -> None:
    applicants, queues = await shortlisted_with_assessors(platform)
    assessor = next(name for name, count in sorted(queues.items()) if count == 2)

    await sign_in(page, platform, Role.ASSESSOR, assessor, "/assessment/queue")
    assert await page.get_by_role("heading", level=1).inner_text() == "Your queue"
    assert "You have 2 submissions to score" in await page.locator("main").inner_text()
    await check_page(page, "assessor-queue")

    # the blind submission: the answers under their questions and the video, never a name or
    # contact details; the scorecard on the same page
    await page.get_by_role("link", name="Submission").first.click()
    main = await page.locator("main").inner_text()
    assert ANSWERS["ict-problem"] in main
    assert "Tell us about a technical problem you solved" in main
    assert "Years of experience" in main
    for applicant in applicants:
        for personal in (applicant.given_name, applicant.family_name, applicant.email, "example.org"):
            assert personal not in main
        assert applicant.given_name not in await page.content()
    assert await page.locator("video").count() == 1
    href = await page.get_by_role("link", name="Download the video").get_attribute("href")
    assert href
    video = await page.request.get(platform.url(href))
    assert video.status == 200
    assert (await video.body())[:12] == MP4[:12]
    await check_page(page, "assessor-submission")

    # the scorecard: a missing answer shows the error summary and the error beside the field
    assert await page.locator("input[type=radio]").count() == 4 * len(CRITERIA) + 4
    assert await page.input_value("#comments") == ""
    await page.check(f"#scores-{CRITERIA[0]}-3")
    await page.get_by_role("button", name="Send scorecard").click()
    summary = page.locator(".govuk-error-summary")
    assert "There is a problem" in await summary.inner_text()
    assert (await page.title()).startswith("Error: ")
    assert await summary.get_by_role("link").count() == len(
        CRITERIA
    )  # the other criteria and the recommendation
    assert await page.is_checked(f"#scores-{CRITERIA[0]}-3")  # what was chosen is kept
    await check_page(page, "assessor-scorecard-errors")
    await summary.get_by_role("link", name="Choose your overall recommendation.").click()
    assert await page.evaluate("document.activeElement.id") == "recommendation"
    for criterion in CRITERIA[1:]:
        await page.check(f"#scores-{criterion}-4")
    await page.check("#recommendation-4")  # strong yes
    await page.fill("#comments", "Clear account of the users' needs.")
    await page.get_by_role("button", name="Send scorecard").click()
    await page.wait_for_url("**/assessment/queue?done=scored")
    banner = page.locator(".govuk-notification-banner--success")
    assert "Your scorecard has been sent." in await banner.inner_text()
    assert "You have 1 submission to score" in await page.locator("main").inner_text()
    assert await page.get_by_role("strong").filter(has_text="Scored").count() == 1
    await check_page(page, "assessor-queue-scored")

    # a conflict of interest: the other submission goes to someone else
    await page.get_by_role("row").filter(has_text="To score").get_by_role("link").click()
    await page.get_by_role("link", name="I know this candidate").click()
    await check_page(page, "assessor-conflict")
    await page.get_by_role("button", name="Declare the conflict").click()
    assert "Say how you know the candidate." in await page.locator(".govuk-error-summary").inner_text()
    await check_page(page, "assessor-conflict-errors")
    await page.fill("#reason", "We worked in the same team in 2015.")
    await page.get_by_role("button", name="Declare the conflict").click()
    await page.wait_for_url("**/assessment/queue?done=declared")
    assert "conflict of interest is recorded" in await page.locator(".govuk-notification-banner").inner_text()
    assert await page.get_by_role("row").filter(has_text="To score").count() == 0
    await check_page(page, "assessor-queue-after-conflict")


async def test_an_admin_changes_a_cohort_as_a_new_version_closes_it_and_reads_the_funnel(
    platform: RunningPlatform, page: Any
) -> None:
    async with httpx.AsyncClient(base_url=platform.entry, timeout=30) as http:
        await configure(http, platform)
        eligible = await apply(http, platform, *PEOPLE[0])
        ineligible = await apply(http, platform, *PEOPLE[1], right_to_work=False)
        for applicant, outcome in ((eligible, "shortlisted"), (ineligible, "ineligible")):

            async def decided(applicant: Applicant = applicant, outcome: str = outcome) -> bool:
                return await status_of(http, applicant) == outcome

            await eventually(decided, timeout=60, what=f"{applicant.given_name} to be {outcome}")

    await sign_in(page, platform, Role.ADMIN, "admin-1", "/assessment/admin")
    assert await page.get_by_role("heading", level=1).inner_text() == "Cohorts"
    row = page.get_by_role("row").filter(has_text=COHORT)
    assert "Open" in await row.inner_text()
    await check_page(page, "admin-cohorts")

    await row.get_by_role("link", name=COHORT).click()
    assert "Configuration in force: version 1" in await page.locator("main").inner_text()
    await check_page(page, "admin-cohort")

    # change the capacity: a wrong answer first, then a new version
    await page.get_by_role("button", name="Change the configuration").click()
    assert await page.input_value("#capacity") == "20"
    await check_page(page, "admin-configuration")
    await page.fill("#capacity", "many")
    await page.fill("#window_closes_on-day", "31")
    await page.get_by_role("button", name="Save as a new version").click()
    summary = page.locator(".govuk-error-summary")
    assert "Enter the number of places as a whole number" in await summary.inner_text()
    assert "Enter the full date the window closes" in await summary.inner_text()
    await check_page(page, "admin-configuration-errors")
    await page.fill("#capacity", "12")
    await page.fill("#window_closes_on-day", "")
    await page.get_by_role("button", name="Save as a new version").click()
    main = page.locator("main")
    assert "The new configuration is saved" in await page.locator(".govuk-notification-banner").inner_text()
    assert "Configuration in force: version 2" in await main.inner_text()
    history = page.locator("table").filter(has_text="Every version of the configuration")
    rows = history.locator("tbody tr")
    newest = await rows.nth(0).locator("td").all_inner_texts()
    first = await rows.nth(1).locator("td").all_inner_texts()
    assert await rows.count() == 2
    assert (newest[0], newest[1], newest[4]) == ("2", "admin-1", "12")  # version, saved by, places
    assert (first[0], first[4]) == ("1", "20")
    await check_page(page, "admin-cohort-saved")

    # confirm selection from the ranked list: nobody has a scored second stage, so nobody is
    # selected (selection with scored candidates and reopening: test_selection.py)
    await page.get_by_role("button", name="See the ranked list").click()
    await page.get_by_role("button", name="Confirm selection").click()
    assert "Selection is confirmed" in await page.locator(".govuk-notification-banner").inner_text()
    await page.get_by_role("link", name=f"Cohort {COHORT}").click()
    assert "0 selected" in await main.inner_text()
    assert await page.get_by_role("button", name="See the ranked list").count() == 0
    await check_page(page, "admin-cohort-closed")

    # the funnel: a table and a bar chart from the same numbers
    await page.get_by_role("link", name="Funnel", exact=True).click()
    await page.wait_for_url("**/assessment/admin/funnel")
    section = page.locator("section").filter(has=page.get_by_role("heading", name=f"Cohort {COHORT}"))
    steps = section.locator("table").filter(has_text=f"Steps of cohort {COHORT}")
    assert (
        await steps.get_by_role("row").filter(has_text="Applications").locator("td").first.inner_text() == "2"
    )
    assert await steps.get_by_role("row").filter(has_text="Eligible").locator("td").first.inner_text() == "1"
    bars = section.locator(".rtw-bar")
    assert await bars.count() == 6
    assert "rtw-width-100" in (await bars.first.get_attribute("class") or "")
    assert "rtw-width-50" in (await bars.nth(1).get_attribute("class") or "")
    full, half = await bars.first.bounding_box(), await bars.nth(1).bounding_box()
    assert full is not None
    assert half is not None
    assert abs(half["width"] * 2 - full["width"]) <= 2  # the stylesheet draws the widths
    assert "No right to work" in await section.inner_text()
    await check_page(page, "admin-funnel")
