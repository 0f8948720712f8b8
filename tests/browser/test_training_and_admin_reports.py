"""Training pages (a provider records progress, the candidate follows it to the certificate), the
admins' reach, fairness and savings report, and the dead-letter overview, in a real browser."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urljoin
from uuid import UUID, uuid4

import httpx
import pytest
from rtw_applications.testing import submitted_application
from rtw_contracts import CandidateHired, CandidateSignInRequestedV2
from rtw_contracts.examples import example
from rtw_platform import dlq
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.testing.browser import RunningPlatform, check_error_summary, check_page
from rtw_platform.testing.events import selected
from rtw_platform.testing.fixtures import BrokerNamespace
from rtw_platform.testing.waiting import eventually
from rtw_platform.topology import Topology

pytestmark = pytest.mark.browser

#: The ICT curriculum's required modules, in the order the provider records them.
REQUIRED = (
    ("Technical skills refresher", "30"),
    ("The role of digital services in local government", "10"),
    ("Self-awareness and behavioural preferences for learning", "6"),
    ("Soft skills and professional brand", "8"),
    ("Interview techniques", "4"),
)


async def sign_in(page: Any, link: str, lands_on: str) -> None:
    await page.goto(link)
    await page.get_by_role("button", name="Continue").click()
    await page.wait_for_url(f"**{lands_on}")


async def record(page: Any, module: str, hours: str) -> None:
    await page.get_by_label(module).check()
    await page.get_by_label("Hours spent on the module").fill(hours)
    await page.get_by_label("Passed").check()  # nothing is chosen for the provider
    await page.get_by_role("button", name="Record as completed").click()


async def test_a_provider_records_progress_and_the_candidate_gets_a_certificate_admins_see_reports(
    platform: RunningPlatform,
    page: Any,
    browser: Any,
    broker_namespace: BrokerNamespace,
    make_application: Callable[..., dict[str, Any]],
) -> None:
    admin = {"Authorization": f"Bearer {issue_token(platform.secret, Principal('admin-1', Role.ADMIN))}"}
    async with httpx.AsyncClient(timeout=30) as http:
        # Six applications: five answer equality monitoring "female", one "male".
        receipts = []
        for sex in ("female",) * 5 + ("male",):
            form = make_application(equality_monitoring={"sex": sex})
            path = platform.url("/applications/applications")
            receipts.append(await submitted_application(http, platform.secret, form, path=path))
        receipt = receipts[0]
        application_id = UUID(receipt["application_id"])
        candidate_id = UUID(receipt["candidate_id"])
        provider = {"id": "socitm", "name": "Socitm", "cohorts": ["ict-test"]}
        put = await http.put(platform.url("/training/providers/socitm"), json=provider, headers=admin)
        assert put.status_code == 200, put.text

        # Assessment selects the first candidate (published as assessment would).
        await broker_namespace.publish_event(selected(application_id, candidate_id))
        candidate = {"Authorization": f"Bearer {receipt['access_token']}"}

        async def enrolled() -> bool:
            mine = await http.get(
                platform.url(f"/training/candidates/{candidate_id}/training"), headers=candidate
            )
            return bool(mine.status_code == 200 and mine.json()["enrolments"])

        await eventually(enrolled, timeout=30, what="the enrolment")

    # The provider's trainer sees the learner and records a module, getting the form wrong first.
    await sign_in(
        page, platform.sign_in_link(Role.TRAINER, "trainer-1", provider_id="socitm"), "/training/provider"
    )
    await check_page(page, "training-provider-cohorts")
    assert "Cohort ict-test" in await page.locator("main").inner_text()
    await page.get_by_role("link", name="Amara Okafor").click()
    await check_page(page, "training-provider-learner")
    assert "0 of 5" in await page.locator(".govuk-summary-list").inner_text()

    await page.get_by_role("button", name="Record as completed").click()
    hours = "Enter the hours the learner spent on the module"
    await check_error_summary(
        page,
        "training-provider-learner-errors",
        ["Select the module the learner completed", hours, "Select the result the learner got"],
        link=hours,
        focus="hours",
    )

    await record(page, "Technical skills refresher", "0")
    assert "Hours must be more than 0" in await page.locator("#hours-error").inner_text()
    await check_page(page, "training-provider-learner-hours-error")

    await record(page, "Technical skills refresher", "30")
    banner = page.locator(".govuk-notification-banner--success")
    assert "Technical skills refresher is recorded as completed" in await banner.inner_text()
    await check_page(page, "training-provider-recorded")
    assert await page.get_by_label("Technical skills refresher").count() == 0  # no longer offered

    # The candidate follows their progress.
    candidate_context = await browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    admin_context = await browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    try:
        learner = await candidate_context.new_page()
        await sign_in(learner, platform.sign_in_link(Role.CANDIDATE, str(candidate_id)), "/applications/my")
        await learner.goto(platform.url("/training/my"))
        await check_page(learner, "training-my-progress")
        rows = learner.locator("table tbody tr")
        assert "Done" in await rows.filter(has_text="Technical skills refresher").inner_text()
        assert "Not started" in await rows.filter(has_text="Interview techniques").inner_text()
        assert "1 of 5" in await learner.locator(".govuk-summary-list").inner_text()
        assert await learner.get_by_role("link", name="View your certificate").count() == 0

        # The provider records the rest; the last one completes the training.
        for module, hours in REQUIRED[1:]:
            await record(page, module, hours)
            assert f"{module} is recorded as completed" in await banner.inner_text()
        assert "the certificate was issued" in await banner.inner_text()
        await check_page(page, "training-provider-completed")

        await learner.reload()
        assert "Training complete" in await learner.locator(".govuk-panel").inner_text()
        assert (
            "58 (the required modules take 58)" in await learner.locator(".govuk-summary-list").inner_text()
        )
        await check_page(learner, "training-my-completed")
        await learner.get_by_role("link", name="View your certificate").click()
        assert "This certificate is genuine" in await learner.locator("main").inner_text()
        assert "Amara Okafor" in await learner.locator("main").inner_text()
        await check_page(learner, "training-certificate")
        pdf_link = await learner.get_by_role("link", name="Download the certificate as a PDF").get_attribute(
            "href"
        )
        pdf = await learner.request.get(urljoin(learner.url, pdf_link))
        assert pdf.status == 200
        assert pdf.headers["content-type"] == "application/pdf"

        # A council hires the candidate (published as matching would).
        await broker_namespace.publish_event(
            example(
                CandidateHired,
                event_id=uuid4(),
                correlation_id=application_id,
                application_id=application_id,
                candidate_id=candidate_id,
                match_id=uuid4(),
                council_id=uuid4(),
                hours_per_week=30,
                start_date=date(2027, 1, 4),
                hired_at=datetime.now(UTC),
            ),
        )

        # The admin's reports show the six applications, the selection, the hire and its savings.
        reports = await admin_context.new_page()
        await sign_in(reports, platform.sign_in_link(Role.ADMIN, "admin-1"), "/assessment/admin")

        async def hired_shown() -> bool:
            await reports.goto(platform.url("/applications/admin/reports"))
            region = reports.locator("table").first.locator("tbody tr").filter(has_text="West Midlands")
            if await region.count() != 1:
                return False
            applicants_selected_hired: list[str] = (await region.locator("td").all_inner_texts())[:3]
            return applicants_selected_hired == ["6", "1", "1"]

        await eventually(hired_shown, timeout=30, what="the hire in the reach report")
        await check_page(reports, "admin-reports")
        assert await reports.locator(".rtw-bar").count() > 0
        sex = reports.locator("#fairness-sex tbody tr")
        female = (
            await sex.filter(has=reports.get_by_role("rowheader", name="Female", exact=True))
            .first.locator("td")
            .all_inner_texts()
        )
        assert female[1] == "5"  # the people counted, beside their pass rate and bar
        assert (
            "Not shown: fewer than 5 people"
            in await sex.filter(
                has=reports.get_by_role("rowheader", name="Male", exact=True)
            ).first.inner_text()
        )
        assert "1 hire: an estimated £" in await reports.locator("main").inner_text()

        await reports.get_by_label("Programme").select_option("social_work")
        await reports.get_by_role("button", name="Show these reports").click()
        assert "No applications have been submitted yet" in await reports.locator("main").inner_text()
        await check_page(reports, "admin-reports-empty")
    finally:
        await candidate_context.close()
        await admin_context.close()


async def test_an_admin_sees_a_dead_letter_with_its_reason_and_deletes_it(
    platform: RunningPlatform, page: Any, broker_namespace: BrokerNamespace
) -> None:
    queue = Topology("notifications", broker_namespace.prefix).queue_name(CandidateSignInRequestedV2)
    short = queue.removeprefix(broker_namespace.prefix)
    await broker_namespace.publish(
        b"<xml>not an event</xml>", CandidateSignInRequestedV2.ROUTING_KEY, "garbage-1"
    )

    async def dead_lettered() -> bool:
        return (await dlq.count(broker_namespace.amqp_url, [queue]))[queue] == 1

    await eventually(dead_lettered, timeout=30, what="the dead letter")

    await sign_in(page, platform.sign_in_link(Role.ADMIN, "admin-1"), "/assessment/admin")
    await page.goto(platform.url("/notifications/admin/dead-letters"))
    await check_page(page, "admin-dead-letters")
    assert "1 message is waiting" in await page.locator("main").inner_text()
    row = page.locator("tbody tr").filter(has_text=short)
    assert (await row.locator("td").all_inner_texts())[-1] == "1"

    await row.get_by_role("link", name=short).click()
    await check_page(page, "admin-dead-letter-queue")
    details = await page.locator(".govuk-summary-list").first.inner_text()
    assert "JSONDecodeError" in details
    assert "garbage-1" in details
    assert (await dlq.count(broker_namespace.amqp_url, [queue]))[queue] == 1  # looking leaves it

    # Replaying sends it back to its queue, where it fails again and returns.
    await page.get_by_role("button", name="Replay these messages").click()
    await check_page(page, "admin-dead-letter-replay-confirm")
    await page.get_by_role("button", name="Yes, replay them").click()
    assert "Replayed 1 message." in await page.locator(".govuk-notification-banner").inner_text()
    await eventually(dead_lettered, timeout=30, what="the replayed message to fail again")

    await page.goto(platform.url(f"/notifications/admin/dead-letters/{queue}"))
    await page.get_by_role("button", name="Delete these messages").click()
    await check_page(page, "admin-dead-letter-purge-confirm")
    assert "Delete 1 message of" in await page.get_by_role("heading", level=1).inner_text()
    await page.get_by_role("button", name="Yes, delete them").click()
    assert "Deleted 1 message." in await page.locator(".govuk-notification-banner").inner_text()
    await check_page(page, "admin-dead-letters-purged")
    assert (await dlq.count(broker_namespace.amqp_url, [queue]))[queue] == 0

    await page.goto(platform.url("/notifications/admin/dead-letters/no.such.queue"))
    assert "There is no queue called no.such.queue" in await page.locator("main").inner_text()
    await check_page(page, "admin-dead-letters-unknown-queue")
