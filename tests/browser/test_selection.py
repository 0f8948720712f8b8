"""A programme admin sees the ranked list before confirming selection, confirms it, reopens it
within its window with a reason, and confirms again, in a real browser; what reopening causes
reaches the other services over the real broker (the candidate's status goes back and they are
e-mailed).

Candidates apply and send their second stage through the applications service's JSON API, and
assessors score through assessment's API: the pages under test are the admin's.
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
from rtw_platform.testing.mail import Mailbox
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
REASON = "Two scorecards were entered against the wrong candidates."


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def as_(platform: RunningPlatform, subject: str, role: Role) -> dict[str, str]:
    return bearer(issue_token(platform.secret, Principal(subject, role)))


@dataclass
class Applicant:
    email: str
    application_id: str
    token: str


async def status_of(http: httpx.AsyncClient, applicant: Applicant) -> str:
    view = await http.get(
        f"/applications/applications/{applicant.application_id}", headers=bearer(applicant.token)
    )
    assert view.status_code == 200, view.text
    return str(view.json()["status"])


async def wait_for_status(http: httpx.AsyncClient, applicant: Applicant, status: str) -> None:
    async def reached() -> bool:
        return await status_of(http, applicant) == status

    await eventually(reached, timeout=60, what=f"{applicant.email} to be {status}")


async def scored_candidates(platform: RunningPlatform) -> list[Applicant]:
    """Two candidates whose second stages both assessors scored, the first better: one place,
    no waiting list."""
    admin = as_(platform, "admin-1", Role.ADMIN)
    async with httpx.AsyncClient(base_url=platform.entry, timeout=30) as http:
        config = default_config(Programme.ICT).model_copy(
            update={"shortlist_threshold": 10, "capacity": 1, "waitlist_size": 0}
        )
        put = await http.put(
            f"/assessment/cohorts/{COHORT}/config", json=config.model_dump(mode="json"), headers=admin
        )
        assert put.status_code == 200, put.text
        for number in (1, 2):
            body = {"id": f"assessor-{number}", "display_name": f"Assessor {number}", "programmes": ["ict"]}
            put = await http.put(f"/assessment/assessors/assessor-{number}", json=body, headers=admin)
            assert put.status_code == 200, put.text
        applicants = []
        people = (("Philippa", "Thistlewood", 4), ("Barnaby", "Quillfeather", 2))
        for given, family, value in people:
            email = f"{given.lower()}.{family.lower()}@example.org"
            form = application_form(given_name=given, family_name=family, email=email)
            receipt = await submitted_application(
                http, platform.secret, form, path="/applications/applications"
            )
            applicant = Applicant(email, receipt["application_id"], receipt["access_token"])
            await wait_for_status(http, applicant, "shortlisted")
            sent = await http.post(
                f"/applications/applications/{applicant.application_id}/second-stage",
                data={"answers": json.dumps(ANSWERS)},
                files={"video": ("me.mp4", MP4, "video/mp4")},
                headers=bearer(applicant.token),
            )
            assert sent.status_code == 201, sent.text
            applicants.append(applicant)

            # the queue is blind: this candidate's are the two pending assignments now
            async def assigned() -> list[tuple[str, str]]:
                found = []
                for number in (1, 2):
                    assessor = f"assessor-{number}"
                    queue = await http.get(
                        "/assessment/assessor/queue", headers=as_(platform, assessor, Role.ASSESSOR)
                    )
                    found += [
                        (assessor, i["assignment_id"]) for i in queue.json() if i["status"] == "pending"
                    ]
                return found if len(found) == 2 else []

            for assessor, assignment_id in await eventually(
                assigned, timeout=60, what=f"assessors for {given}"
            ):
                scored = await http.post(
                    f"/assessment/assessor/assignments/{assignment_id}/scorecard",
                    json={"scores": dict.fromkeys(CRITERIA, value), "recommendation": "yes"},
                    headers=as_(platform, assessor, Role.ASSESSOR),
                )
                assert scored.status_code == 201, scored.text
        for applicant in applicants:
            await wait_for_status(http, applicant, "scored")
    return applicants


async def test_an_admin_sees_the_ranked_list_confirms_reopens_with_a_reason_and_confirms_again(
    platform: RunningPlatform, page: Any, mailbox: Mailbox
) -> None:
    applicants = await scored_candidates(platform)

    await page.goto(platform.sign_in_link(Role.ADMIN, "admin-1"))
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url("**/assessment/admin")
    await page.get_by_role("row").filter(has_text=COHORT).get_by_role("link", name=COHORT).click()
    await page.get_by_role("button", name="See the ranked list").click()

    # before confirming: the ranked list with scores, flags and the places; nothing decided
    main = page.locator("main")
    assert await page.get_by_role("heading", level=1).inner_text() == f"Selection of cohort {COHORT}"
    assert "Nothing is decided or sent until you confirm" in await main.inner_text()
    ranked = page.locator("table.rtw-ranked-list tbody tr")
    assert await ranked.count() == 2
    top = await ranked.nth(0).locator("td").all_inner_texts()
    second = await ranked.nth(1).locator("td").all_inner_texts()
    assert (top[0], top[2], second[0], second[2]) == ("1", "Selected", "2", "Not selected")
    assert float(top[3]) > float(second[3])
    places = page.locator(".govuk-summary-list__row").filter(has_text="Places")
    assert "1" in await places.inner_text()
    assert "Possible for 24 hours after selection is confirmed" in await main.inner_text()
    await check_page(page, "admin-selection-ranked-list")

    await page.get_by_role("button", name="Confirm selection").click()
    await page.wait_for_url("**/selection?done=closed")
    assert "Selection is confirmed" in await page.locator(".govuk-notification-banner").inner_text()
    assert "You can reopen selection until" in await main.inner_text()
    await check_page(page, "admin-selection-confirmed")

    async with httpx.AsyncClient(base_url=platform.entry, timeout=30) as http:
        await wait_for_status(http, applicants[0], "enrolled")
        await wait_for_status(http, applicants[1], "rejected")

        # reopening needs a reason
        await page.fill("#reason", "oops")
        await page.get_by_role("button", name="Reopen selection").click()
        assert "at least 20 characters" in await page.locator(".govuk-error-summary").inner_text()
        await check_page(page, "admin-selection-reopen-errors")
        await page.fill("#reason", REASON)
        await page.get_by_role("button", name="Reopen selection").click()
        await page.wait_for_url("**/selection?done=reopened")
        assert "Selection is reopened" in await page.locator(".govuk-notification-banner").inner_text()
        assert (
            REASON in await page.locator("table").filter(has_text="Earlier selections reopened").inner_text()
        )
        await check_page(page, "admin-selection-reopened")

        # what the selection caused is put back: statuses, and each candidate is told once
        for applicant in applicants:
            await wait_for_status(http, applicant, "scored")
            told = [
                m
                for m in await mailbox.wait_for(applicant.email, count=1, timeout=60)
                if "is being looked at again" in m.subject
            ]
            assert len(told) == 1
        enrolments = await http.get(
            f"/training/cohorts/{COHORT}/progress", headers=as_(platform, "admin-1", Role.ADMIN)
        )
        assert enrolments.status_code == 200, enrolments.text
        assert {row["status"] for row in enrolments.json()} == {"withdrawn"}

        # and confirmed again: new decisions
        await page.get_by_role("button", name="Confirm selection").click()
        await page.wait_for_url("**/selection?done=closed")
        await wait_for_status(http, applicants[0], "enrolled")
        await wait_for_status(http, applicants[1], "rejected")
