"""A whole cohort, from a new application window to a certificate, through the pages only: a
programme admin opens the window and configures the cohort, registers two assessors and a training
provider on the set-up pages and sends each a sign-in link by e-mail; two candidates apply page by
page and are screened, send their second stage on their own page; the assessors, signed in from
their mailed links, score on the submission page and disagree about one candidate, which the admin
moderates on the calibration page; the admin closes the window, sees the ranked list and confirms
selection; the trainer, signed in from their mailed link, records every module on the cohort's
grid, and the candidate's certificate is shown. A third candidate, found not eligible, appeals on
their pages and the admin decides the appeal on the appeals page. The cohort's page follows every
state on the way. Only the platform itself (the services, the operator's bootstrap link for the
first admin) is set up outside the pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from rtw_assessment.domain import default_config
from rtw_contracts import Programme
from rtw_platform.auth import Role
from rtw_platform.testing.browser import LINK, RunningPlatform, check_page
from rtw_platform.testing.waiting import eventually

pytestmark = pytest.mark.browser

COHORT = "ict-whole"
TITLE = "Return to ICT, whole cohort"
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 4000
CRITERIA = [c.id for c in default_config(Programme.ICT).rubric.criteria]
ASSESSORS = {"assessor-w1": "Ada Whole", "assessor-w2": "Bo Whole"}
PROVIDER = "Whole Cohort Training"
GROUNDS = "My settled status lets me work in the UK; the form's question confused me."
DISMISSED = "Your share code shows no right to work in the UK yet."
#: The ICT curriculum's required modules and the hours spent on each.
REQUIRED = (
    ("Technical skills refresher", "30"),
    ("The role of digital services in local government", "10"),
    ("Self-awareness and behavioural preferences for learning", "6"),
    ("Soft skills and professional brand", "8"),
    ("Interview techniques", "4"),
)


@dataclass
class Candidate:
    given: str
    family: str
    email: str
    right_to_work: bool = True
    page: Any = None


async def submit(page: Any, button: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("button", name=button).click()


async def fill_date(page: Any, prefix: str, day: date) -> None:
    await page.fill(f"#{prefix}-day", str(day.day))
    await page.fill(f"input[name='{prefix}-month']", str(day.month))
    await page.fill(f"input[name='{prefix}-year']", str(day.year))


async def signed_in(browser: Any, platform: RunningPlatform, link: str) -> Any:
    """A new browser (its own cookies) signed in with a staff link."""
    context = await browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
    page = await context.new_page()
    page.set_default_timeout(15_000)
    await page.goto(link)
    await submit(page, "Continue")
    return page


async def mailed_sign_in_link(platform: RunningPlatform, email: str) -> str:
    async def found() -> str | None:
        links = [
            str(link)
            for mail in platform.mailbox.to(email)
            for link in LINK.findall(mail.text)
            if link.startswith(platform.entry) and "/applications/sign-in/" in link
        ]
        return links[0] if links else None

    return await eventually(found, timeout=30, what=f"a sign-in link e-mailed to {email}")


async def cohort_state(page: Any, platform: RunningPlatform, state: str, timeout: float = 60) -> str:
    """The cohort page's text once it shows `state` (reloaded while events arrive)."""

    async def shown() -> str | None:
        await page.goto(platform.url(f"/assessment/admin/cohorts/{COHORT}"))
        main = str(await page.locator("main").inner_text())
        return main if f"Where the cohort stands: {state}" in main else None

    return await eventually(shown, timeout=timeout, interval=1, what=f"the cohort page to show {state}")


async def apply_through_pages(
    page: Any, platform: RunningPlatform, candidate: Candidate, shots: bool
) -> None:
    """From the start page to 'Application sent', one question per page."""
    await page.goto(platform.url("/applications/"))
    await submit(page, f"Start your application to {TITLE}")
    await page.get_by_label("E-mail address").fill(candidate.email)
    await page.get_by_label("First name").fill(candidate.given)
    await page.get_by_label("Last name").fill(candidate.family)
    await submit(page, "Continue")
    await page.goto(await mailed_sign_in_link(platform, candidate.email))
    await submit(page, "Continue")
    assert await page.get_by_role("heading", level=1).inner_text() == "Your application"
    if shots:
        await check_page(page, "whole-cohort-task-list")
    async with page.expect_navigation():
        await page.get_by_role("link", name="Contact details").click()
    await page.get_by_label("English").check()
    await submit(page, "Save and continue")
    await page.get_by_label("What is your postcode?").fill("WS1 1AA")
    await submit(page, "Save and continue")
    await page.get_by_label("Yes" if candidate.right_to_work else "No", exact=True).check()
    await submit(page, "Save and continue")
    start = page.get_by_role("group", name="When did your career break start?")
    await start.get_by_label("Month").fill("3")
    await start.get_by_label("Year").fill("2020")
    await page.get_by_label("Caring for children").check()
    await submit(page, "Save and continue")
    await page.get_by_label("How many years did you work in the profession?").fill("12")
    await submit(page, "Save and continue")
    await page.get_by_label("Data analyst").check()
    await submit(page, "Save and continue")
    await submit(page, "Rate Data")  # the skills, one group a screen
    await page.get_by_role("group", name="Data visualisation", exact=True).get_by_label("Working").check()
    await submit(page, "Save and continue")
    await submit(page, "Continue")  # every group has a rating
    await page.get_by_label("Hybrid (some days at an office)").check()
    await page.get_by_label("How far could you travel to work each day?").fill("30")
    await page.get_by_label("West Midlands").check()
    await submit(page, "Save and continue")
    await page.get_by_label("I have read the privacy notice").check()
    await submit(page, "Save and continue")
    await submit(page, "Save and continue")  # equality monitoring is optional
    assert await page.get_by_role("heading", level=1).inner_text() == (
        "Check your answers before sending your application"
    )
    if shots:
        await check_page(page, "whole-cohort-check-answers")
    await submit(page, "Accept and send")
    assert "Application sent" in await page.locator(".govuk-panel").inner_text()


async def second_stage_through_pages(page: Any, platform: RunningPlatform, video: Path, shots: bool) -> None:
    """Invited by screening, the candidate sends the second stage on their application's page."""

    async def invited() -> bool:
        await page.goto(platform.url("/applications/my"))
        return "Invited to the second stage" in await page.locator("main").inner_text()

    await eventually(invited, timeout=60, interval=1, what="screening to invite the candidate")
    async with page.expect_navigation():
        await page.get_by_role("link", name=f"See your application to {TITLE}").click()
    await submit(page, "Start the second stage")
    if shots:
        await check_page(page, "whole-cohort-second-stage")
    for label, text in (
        ("Tell us about a technical problem you solved", "I rebuilt the repairs booking service."),
        ("How has technology in your field changed", "Cloud hosting; I am catching up."),
        ("Why do you want to work in digital services for a council?", "Public service."),
    ):
        await page.get_by_label(label).fill(text)
    await page.get_by_label("Your video assessment").set_input_files(str(video))
    await submit(page, "Send second stage")
    assert "Your second stage has been sent." in await page.locator("main").inner_text()


async def score_queue_through_pages(page: Any, shots: bool, disagree: bool = False) -> int:
    """The assessor scores every submission in their queue on the submission page, beside the
    evidence: 3 of 4 and "yes" for each, except (`disagree`) a strong no with 1s for the last."""
    scored = 0
    while count := await page.get_by_role("row").filter(has_text="To score").count():
        async with page.expect_navigation():
            await page.get_by_role("row").filter(has_text="To score").get_by_role("link").first.click()
        assert "Your scorecard" in await page.locator("main").inner_text()
        if shots and not scored:
            await check_page(page, "whole-cohort-submission")
        low = disagree and count == 1
        for criterion in CRITERIA:
            await page.check(f"#scores-{criterion}" if low else f"#scores-{criterion}-3")
        await page.check("#recommendation" if low else "#recommendation-3")  # strong no / yes
        await submit(page, "Send scorecard")
        assert (
            "Your scorecard has been sent." in await page.locator(".govuk-notification-banner").inner_text()
        )
        scored += 1
    return scored


async def appeal_through_pages(page: Any, platform: RunningPlatform, shots: bool) -> str:
    """Found not eligible, the candidate appeals from their application's page; its address."""
    await page.goto(platform.url("/applications/my"))
    async with page.expect_navigation():
        await page.get_by_role("link", name=f"See your application to {TITLE}").click()
    status_page = str(page.url)

    async def appeal_offered() -> bool:
        await page.goto(status_page)
        return bool(await page.get_by_role("button", name="Appeal this decision").count() == 1)

    await eventually(appeal_offered, timeout=60, interval=1, what="screening to find them not eligible")
    assert "Not eligible for this programme" in await page.locator("main").inner_text()
    async with page.expect_navigation():
        await page.get_by_role("button", name="Appeal this decision").click()
    if shots:
        await check_page(page, "whole-cohort-appeal")
    await page.get_by_label("Why is the decision wrong?").fill(GROUNDS)
    await submit(page, "Send your appeal")
    assert "Your appeal has been sent" in await page.locator("main").inner_text()
    return status_page


async def open_send_form(page: Any, link_name: str) -> None:
    """Follow the set-up page's link to the send form; notifications hears of new staff by an
    event, so the form may need a moment (the page says to reload)."""
    async with page.expect_navigation():
        await page.get_by_role("link", name=link_name).click()

    async def ready() -> bool:
        if await page.get_by_label("Their e-mail address").count():
            return True
        assert "has not heard of" in await page.locator("main").inner_text()
        await page.reload()
        return False

    await eventually(ready, timeout=30, interval=0.5, what=f"the form behind {link_name!r}")


async def send_staff_link(page: Any, link_name: str, name: str, email: str) -> None:
    await open_send_form(page, link_name)
    await page.get_by_label("Their name").fill(name)
    await page.get_by_label("Their e-mail address").fill(email)
    await submit(page, "Send the sign-in link")
    assert "The sign-in link is on its way" in await page.locator("main").inner_text()


async def test_a_whole_cohort_runs_from_a_new_window_to_a_certificate_through_the_pages(
    platform: RunningPlatform, page: Any, browser: Any, tmp_path: Path
) -> None:
    today = datetime.now(UTC).date()
    video = tmp_path / "me.mp4"
    video.write_bytes(MP4)

    # 1. The admin opens the window and configures the cohort on its page.
    await page.goto(platform.sign_in_link(Role.ADMIN, "admin-1"))
    await submit(page, "Continue")
    await page.goto(platform.url("/applications/admin/cohorts"))
    await page.fill("#id", COHORT)
    await page.get_by_label("ICT and digital", exact=True).check()
    await page.fill("#title", TITLE)
    await fill_date(page, "opens", today)
    await fill_date(page, "closes", today + timedelta(days=30))
    await submit(page, "Save the cohort")
    async with page.expect_navigation():
        await page.get_by_role("row").filter(has_text=TITLE).get_by_role("link", name="Cohort page").click()
    await cohort_state(page, platform, "Open for applications")
    await submit(page, "Change the configuration")
    await page.fill("#shortlist_threshold", "10")
    await page.fill("#capacity", "2")
    await submit(page, "Save as a new version")
    assert "Configuration in force: version 2" in await page.locator("main").inner_text()
    await check_page(page, "whole-cohort-configured")

    # 2. The admin registers the assessors on the set-up page and e-mails each a sign-in link.
    await page.goto(platform.url("/assessment/admin"))
    async with page.expect_navigation():
        await page.get_by_role("link", name="Assessors").click()
    for assessor_id, name in ASSESSORS.items():
        await page.get_by_label("Staff id").fill(assessor_id)
        await page.get_by_label("Name", exact=True).fill(name)
        await page.get_by_label("ICT and digital", exact=True).check()
        await submit(page, "Register the assessor")
        assert f"Assessor {assessor_id} is registered" in await page.locator("main").inner_text()
    await check_page(page, "whole-cohort-assessors")
    for assessor_id, name in ASSESSORS.items():
        await page.goto(platform.url("/assessment/admin/assessors"))
        await send_staff_link(
            page, f"Send a sign-in link to {name} (ICT and digital)", name, f"{assessor_id}@lga.example.org"
        )
    await check_page(page, "whole-cohort-staff-directory")

    # 3. Two candidates apply, page by page, each in their own browser.
    candidates = [
        Candidate("Imogen", "Whitlock", f"imogen.{uuid4().hex[:8]}@example.org"),
        Candidate("Tobias", "Fenwright", f"tobias.{uuid4().hex[:8]}@example.org"),
    ]
    ineligible = Candidate("Nadia", "Haddad", f"nadia.{uuid4().hex[:8]}@example.org", right_to_work=False)
    for number, candidate in enumerate([*candidates, ineligible]):
        context = await browser.new_context(viewport={"width": 1024, "height": 800}, locale="en-GB")
        candidate.page = await context.new_page()
        candidate.page.set_default_timeout(15_000)
        await apply_through_pages(candidate.page, platform, candidate, shots=number == 0)

    # A third, found not eligible (no right to work), appeals on the pages; the admin decides it
    # on the appeals page: the decision stands, and the candidate sees why in their journey.
    status_page = await appeal_through_pages(ineligible.page, platform, shots=True)
    await page.goto(platform.url("/assessment/admin"))
    async with page.expect_navigation():
        await page.get_by_role("link", name="Appeals", exact=True).click()
    assert "Waiting for a decision (1)" in await page.locator("main").inner_text()
    await check_page(page, "whole-cohort-appeals")
    async with page.expect_navigation():
        await page.get_by_role("link", name="Decide the appeal of").click()
    assert GROUNDS in await page.locator("main").inner_text()
    await page.get_by_label("No, the decision stands").check()
    await page.get_by_label("Your reason, for the candidate").fill(DISMISSED)
    await submit(page, "Decide the appeal")
    assert "The appeal is not upheld" in await page.locator("main").inner_text()

    async def dismissal_shown() -> bool:
        await ineligible.page.goto(status_page)
        return "Your appeal was not upheld" in await ineligible.page.locator("main").inner_text()

    await eventually(dismissal_shown, timeout=30, interval=0.5, what="the appeal's outcome in the journey")
    assert DISMISSED in await ineligible.page.locator("main").inner_text()
    await check_page(ineligible.page, "whole-cohort-appeal-dismissed")

    # 4. The window closes (the admin ends it early, on the windows page): the second stage is next.
    await page.goto(platform.url(f"/applications/admin/cohorts/{COHORT}"))
    await fill_date(page, "opens", today - timedelta(days=1))
    await fill_date(page, "closes", today - timedelta(days=1))
    await submit(page, "Save the cohort")
    main = await cohort_state(page, platform, "Second stage")
    assert "2 shortlisted candidates have not sent their second stage yet" in main
    await page.goto(platform.url("/applications/"))
    assert await page.get_by_role("button", name=f"Start your application to {TITLE}").count() == 0

    # 5. Screened and invited, each sends the second stage on their own page.
    for number, candidate in enumerate(candidates):
        await second_stage_through_pages(candidate.page, platform, video, shots=number == 0)
    main = await cohort_state(page, platform, "Scoring")
    assert "2 second stages are waiting for scorecards from assessors Ada Whole and Bo Whole." in main
    await check_page(page, "whole-cohort-scoring")

    # 6. Each assessor signs in from the mailed link and scores their queue beside the evidence;
    # the second disagrees about their last submission.
    for number, assessor_id in enumerate(ASSESSORS):
        link = await platform.link_mailed_to(f"{assessor_id}@lga.example.org")
        assessor = await signed_in(browser, platform, link)
        await assessor.wait_for_url("**/assessment/queue")
        assert await score_queue_through_pages(assessor, shots=number == 0, disagree=number == 1) == 2
        await assessor.context.close()

    # 7. The admin moderates the disagreement on the calibration page.
    await page.goto(platform.url(f"/assessment/admin/cohorts/{COHORT}"))
    assert "1 disagreement between assessors is still open" in await page.locator("main").inner_text()
    async with page.expect_navigation():
        await page.get_by_role("link", name="See the cohort's calibration").click()
    assert "1 disagreement is open" in await page.locator("main").inner_text()
    await check_page(page, "whole-cohort-calibration")
    async with page.expect_navigation():
        await page.get_by_role("link", name="Moderate").click()
    for criterion in CRITERIA:
        await page.check(f"#scores-{criterion}-2")
    await page.fill(
        "#reason", "The answers show current practice; the low scores read the video too harshly."
    )
    await submit(page, "Record the moderated scores")
    assert "Every disagreement is resolved" in await page.locator("main").inner_text()
    main = await cohort_state(page, platform, "Selection")
    assert "Nobody is waiting." in main
    assert "No disagreement between assessors is open." in main

    # 8. The admin sees the ranked list and confirms selection.
    async with page.expect_navigation():
        await page.get_by_role("button", name="See the ranked list").click()
    assert "Nothing is decided or sent until you confirm" in await page.locator("main").inner_text()
    ranked = page.locator("table.rtw-ranked-list tbody tr")
    assert await ranked.count() == 2
    assert [await ranked.nth(n).locator("td").nth(2).inner_text() for n in (0, 1)] == ["Selected", "Selected"]
    await check_page(page, "whole-cohort-ranked-list")
    await submit(page, "Confirm selection")
    assert "Selection is confirmed" in await page.locator(".govuk-notification-banner").inner_text()
    main = await cohort_state(page, platform, "Training")
    assert "2 selected candidates are in training: waiting for training providers" in main
    await check_page(page, "whole-cohort-training")

    # 9. The admin registers the training provider and e-mails its trainer a sign-in link.
    await page.goto(platform.url("/assessment/admin"))
    async with page.expect_navigation():
        await page.get_by_role("link", name="Training providers").click()
    await page.get_by_label("Id", exact=True).fill("whole-provider")
    await page.get_by_label("Name", exact=True).fill(PROVIDER)
    await page.get_by_label("Cohorts it trains").fill(COHORT)
    await submit(page, "Register the provider")
    assert "Training provider whole-provider is registered" in await page.locator("main").inner_text()
    await check_page(page, "whole-cohort-providers")
    await send_staff_link(
        page, f"Send a trainer a sign-in link for {PROVIDER}", "Tess Trainer", "tess@whole.example.org"
    )

    # 10. The trainer signs in from the mailed link and records every module on the cohort's grid.
    trainer = await signed_in(browser, platform, await platform.link_mailed_to("tess@whole.example.org"))
    await trainer.wait_for_url("**/training/provider")
    names = [f"{candidate.given} {candidate.family}" for candidate in candidates]

    async def on_the_grid() -> bool:
        await trainer.goto(platform.url(f"/training/provider/cohorts/{COHORT}"))
        return all([await trainer.get_by_role("link", name=name).count() == 1 for name in names])

    await eventually(on_the_grid, timeout=60, interval=1, what="both learners on the grid")
    await check_page(trainer, "whole-cohort-grid")
    for name in names:
        for module, hours in REQUIRED:
            await trainer.get_by_label(f"Outcome of {module} for {name}").select_option("passed")
            await trainer.get_by_label(f"Hours on {module} for {name}").fill(hours)
    await submit(trainer, "Record these outcomes")
    banner = await trainer.locator(".govuk-notification-banner--success").inner_text()
    assert f"{2 * len(REQUIRED)} outcomes recorded." in banner
    assert "2 learners have now completed every required module" in banner
    main = await cohort_state(page, platform, "Matching")
    assert "2 trained returners wait for a council to hire them" in main
    await check_page(page, "whole-cohort-matching")

    # 11. The candidate sees their certificate.
    learner = candidates[0].page

    async def certificate_offered() -> bool:
        await learner.goto(platform.url("/training/my"))
        return bool(await learner.get_by_role("link", name="View your certificate").count() == 1)

    await eventually(certificate_offered, timeout=60, interval=1, what="the certificate to be offered")
    async with learner.expect_navigation():
        await learner.get_by_role("link", name="View your certificate").click()
    main = await learner.locator("main").inner_text()
    assert "This certificate is genuine" in main
    assert "Imogen Whitlock" in main
    await check_page(learner, "whole-cohort-certificate")
