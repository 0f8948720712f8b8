"""Scoring that assessors trust, in a real browser: an assessor scores with the evidence on the same
page (each answer under its question, criterion-specific anchors) and corrects a score; two
assessors disagree; an admin sees the disagreement on the calibration page, asks a third assessor
and then moderates with a reason, and the cohort's selection is no longer held back."""

from __future__ import annotations

import json
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
RUBRIC = default_config(Programme.ICT).rubric
CRITERIA = [c.id for c in RUBRIC.criteria]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def as_(platform: RunningPlatform, subject: str, role: Role) -> dict[str, str]:
    return bearer(issue_token(platform.secret, Principal(subject, role)))


async def candidate_with_two_assessors(platform: RunningPlatform) -> dict[str, str]:
    """One candidate shortlisted with their second stage sent; three assessors registered, two
    assigned. Returns each assigned assessor's assignment id."""
    async with httpx.AsyncClient(base_url=platform.entry, timeout=30) as http:
        admin = as_(platform, "admin-1", Role.ADMIN)
        config = default_config(Programme.ICT).model_copy(update={"shortlist_threshold": 10})
        put = await http.put(
            f"/assessment/cohorts/{COHORT}/config", json=config.model_dump(mode="json"), headers=admin
        )
        assert put.status_code == 200, put.text
        form = application_form(given_name="Philippa", family_name="Thistlewood", email="pt@example.org")
        receipt = await submitted_application(http, platform.secret, form, path="/applications/applications")
        application_id, token = receipt["application_id"], receipt["access_token"]

        async def shortlisted() -> bool:
            view = await http.get(f"/applications/applications/{application_id}", headers=bearer(token))
            return bool(view.json()["status"] == "shortlisted")

        await eventually(shortlisted, timeout=60, what="the candidate to be shortlisted")
        sent = await http.post(
            f"/applications/applications/{application_id}/second-stage",
            data={"answers": json.dumps(ANSWERS)},
            files={"video": ("me.mp4", MP4, "video/mp4")},
            headers=bearer(token),
        )
        assert sent.status_code == 201, sent.text
        for number in (1, 2, 3):
            body = {"id": f"assessor-{number}", "display_name": f"Assessor {number}", "programmes": ["ict"]}
            put = await http.put(f"/assessment/assessors/assessor-{number}", json=body, headers=admin)
            assert put.status_code == 200, put.text

        async def assigned() -> dict[str, str]:
            found = {}
            for number in (1, 2, 3):
                queue = await http.get(
                    "/assessment/assessor/queue", headers=as_(platform, f"assessor-{number}", Role.ASSESSOR)
                )
                for item in queue.json():
                    found[f"assessor-{number}"] = item["assignment_id"]
            return found if len(found) == 2 else {}

        return await eventually(assigned, timeout=60, what="two assessors for the second stage")


async def sign_in(page: Any, platform: RunningPlatform, role: Role, subject: str, lands_on: str) -> None:
    await page.goto(platform.sign_in_link(role, subject))
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url(f"**{lands_on}")


async def test_an_assessor_scores_beside_the_evidence_corrects_it_and_an_admin_resolves_a_disagreement(
    platform: RunningPlatform, page: Any, browser: Any
) -> None:
    assigned = await candidate_with_two_assessors(platform)
    first, second = sorted(assigned)
    [third] = {"assessor-1", "assessor-2", "assessor-3"} - set(assigned)

    # the evidence and the scorecard on one page: questions, answers, video and the anchors
    await sign_in(page, platform, Role.ASSESSOR, first, "/assessment/queue")
    await page.get_by_role("link", name="Submission").first.click()
    evidence = await page.locator("main").inner_text()
    assert "How has technology in your field changed during your break" in evidence
    assert ANSWERS["ict-change"] in evidence
    assert "Answer to question" not in evidence
    assert "Solid hands-on work in the specialism" in evidence  # technical depth's own 3
    assert await page.locator("video").count() == 1
    assert await page.locator("input[type=radio]:checked").count() == 0
    await check_page(page, "scoring-evidence-and-scorecard")
    for criterion in CRITERIA:
        await page.check(f"#scores-{criterion}-4")
    await page.check("#recommendation-4")  # strong yes
    await page.get_by_role("button", name="Send scorecard").click()
    await page.wait_for_url("**/assessment/queue?done=scored")

    # the assessor sees their scorecard as sent and corrects one score
    await page.get_by_role("link", name="Submission").first.click()
    assert await page.is_checked(f"#scores-{CRITERIA[0]}-4")
    assert "You sent this scorecard on" in await page.locator("main").inner_text()
    await check_page(page, "scoring-my-scorecard")
    await page.check(f"#scores-{CRITERIA[0]}-3")
    await page.get_by_role("button", name="Save changes to my scorecard").click()
    await page.wait_for_url("**/assessment/queue?done=changed")
    assert "Your scorecard has been changed." in await page.locator(".govuk-notification-banner").inner_text()
    await page.get_by_role("link", name="Submission").first.click()
    assert await page.is_checked(f"#scores-{CRITERIA[0]}-3")
    assert "You last changed this scorecard on" in await page.locator("main").inner_text()

    # the other assessor scores strong no: the assessors disagree
    async with httpx.AsyncClient(base_url=platform.entry, timeout=30) as http:
        strong_no = {"scores": dict.fromkeys(CRITERIA, 1), "recommendation": "strong_no"}
        sent = await http.post(
            f"/assessment/assessor/assignments/{assigned[second]}/scorecard",
            json=strong_no,
            headers=as_(platform, second, Role.ASSESSOR),
        )
        assert sent.status_code == 201, sent.text

    # the admin finds the disagreement from the cohort's page
    context = await browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    admin = await context.new_page()
    admin.set_default_timeout(15_000)
    try:
        await sign_in(admin, platform, Role.ADMIN, "admin-1", "/assessment/admin")
        await admin.goto(platform.url(f"/assessment/admin/cohorts/{COHORT}"))
        main = admin.locator("main")
        assert "1 disagreement between assessors is still open" in await main.inner_text()
        await admin.get_by_role("link", name="See the cohort's calibration").click()
        assert await admin.get_by_role("heading", level=1).inner_text() == "Calibration"
        text = await main.inner_text()
        assert "strong no against strong yes" in text
        assert "1 disagreement is open" in text
        table = admin.locator("table").filter(has_text="Scorecards side by side")
        head = await table.locator("thead th").all_inner_texts()
        assert head[1:] == [first, second]
        await check_page(admin, "calibration-open")

        # a third assessor is asked: the one who has not scored the candidate
        await admin.get_by_role("button", name="Ask a third assessor").click()
        banner = admin.locator(".govuk-notification-banner")
        assert f"{third}'s queue" in await banner.inner_text()
        assert "Waiting for a third assessor" in await main.inner_text()
        await check_page(admin, "calibration-third-asked")

        # then moderated with a reason: first without one
        await admin.get_by_role("link", name="Moderate").click()
        assert await admin.locator("input[type=radio]:checked").count() == 0
        await check_page(admin, "calibration-moderation")
        for criterion in CRITERIA:
            await admin.check(f"#scores-{criterion}-2")
        await admin.get_by_role("button", name="Record the moderated scores").click()
        summary = admin.locator(".govuk-error-summary")
        assert "Give the reason for the moderated scores." in await summary.inner_text()
        assert await admin.is_checked(f"#scores-{CRITERIA[0]}-2")
        await check_page(admin, "calibration-moderation-errors")
        await admin.fill("#reason", "The answers show little current practice; the video was brief.")
        await admin.get_by_role("button", name="Record the moderated scores").click()
        assert "The moderated scores are recorded" in await banner.inner_text()
        text = await main.inner_text()
        assert "Moderated by admin-1" in text
        assert "The answers show little current practice" in text
        assert "Every disagreement is resolved" in text
        await check_page(admin, "calibration-moderated")
        await admin.get_by_role("link", name=f"Cohort {COHORT}").click()
        assert "No disagreement between assessors is open." in await main.inner_text()
    finally:
        await context.close()

    # the third assessor is no longer asked
    await sign_in(page, platform, Role.ASSESSOR, third, "/assessment/queue")
    assert "Nothing is assigned to you yet" in await page.locator("main").inner_text()
