"""A candidate's journey in a real browser: applying page by page (by mouse and by keyboard alone),
signing in again to resume, the second stage with a video once shortlisted by the real assessment
service, withdrawing, downloading and erasing their data."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from rtw_applications.testing import application_form, submitted_application
from rtw_platform.testing.browser import LINK, RunningPlatform, check_page
from rtw_platform.testing.waiting import eventually

pytestmark = pytest.mark.browser

#: The first bytes of an MP4 video (the service checks the file itself, not its name).
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 4000
REFERENCE = re.compile(r"RTW-ICT-\d{6}")


def address() -> str:
    return f"cand.{uuid4().hex[:10]}@example.org"


async def submit(page: Any, button: str) -> None:
    """Press a form's button and wait for the page it leads to."""
    async with page.expect_navigation():
        await page.get_by_role("button", name=button).click()


async def follow(page: Any, link: str) -> None:
    async with page.expect_navigation():
        await page.get_by_role("link", name=link).click()


async def heading(page: Any) -> str:
    return str(await page.get_by_role("heading", level=1).inner_text())


async def sign_in_link_for(platform: RunningPlatform, email: str, nth: int = 1) -> str:
    """The `nth` sign-in link e-mailed to `email` (other e-mails, e.g. 'application received', may
    come too)."""

    async def found() -> str | None:
        links = [
            str(link)
            for mail in platform.mailbox.to(email)
            for link in LINK.findall(mail.text)
            if link.startswith(platform.entry) and "/applications/sign-in/" in link
        ]
        return links[nth - 1] if len(links) >= nth else None

    return await eventually(found, timeout=30, what=f"a sign-in link e-mailed to {email}")


async def sign_in(page: Any, platform: RunningPlatform, email: str, name: str) -> None:
    """Ask for a link on the sign-in page and use it."""
    await page.goto(platform.url("/applications/account/sign-in"))
    await check_page(page, f"{name}-sign-in")
    await page.get_by_label("E-mail address").fill(email)
    await submit(page, "Send me a link")
    await check_page(page, f"{name}-check-your-email")
    await page.goto(await sign_in_link_for(platform, email))
    await check_page(page, f"{name}-sign-in-link")
    await submit(page, "Continue")
    assert page.url.endswith("/applications/my")


async def submitted_by_api(platform: RunningPlatform, email: str, **overrides: Any) -> str:
    """An eligible ICT application sent through the JSON API (set-up for the later steps)."""
    form = application_form(email=email, years_experience=15, **overrides)
    async with httpx.AsyncClient() as http:
        path = platform.url("/applications/applications")
        receipt = await submitted_application(http, platform.secret, form, path=path)
    return str(receipt["reference"])


# --------------------------------------------------------------------------- 1. applying


async def test_a_candidate_applies_page_by_page_and_sees_their_status(
    platform: RunningPlatform, page: Any
) -> None:
    email = address()
    await page.goto(platform.url("/applications/"))
    await check_page(page, "candidate-journey-start")
    await submit(page, "Start your application to Test cohort ict-test")
    assert await heading(page) == "Start your application"
    await check_page(page, "apply-start")

    await submit(page, "Continue")  # nothing filled in
    summary = page.locator(".govuk-error-summary")
    assert "Enter your e-mail address" in await summary.inner_text()
    assert "Enter your first name" in await summary.inner_text()
    await check_page(page, "apply-start-errors")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("First name").fill("Amara")
    await page.get_by_label("Last name").fill("Okafor")
    await submit(page, "Continue")
    # Nobody is signed in by typing an address: the address is e-mailed a link to carry on.
    assert await heading(page) == "Check your e-mail"
    assert "Sign out" not in await page.locator("header").inner_text()
    await check_page(page, "apply-check-your-email")
    await page.goto(await sign_in_link_for(platform, email))
    await submit(page, "Continue")

    assert await heading(page) == "Your application"
    assert "You are signed in" in await page.locator("header").inner_text()
    await check_page(page, "apply-task-list")
    tasks = page.locator(".govuk-task-list")
    assert "Completed" in await tasks.first.inner_text()  # the name, from the start page
    await follow(page, "Contact details")

    await check_page(page, "apply-contact")
    await page.get_by_label("Telephone number (optional)").fill("01632 960 001")
    await page.get_by_label("English").check()
    await submit(page, "Save and continue")

    await check_page(page, "apply-postcode")
    await page.get_by_label("What is your postcode?").fill("ZZ99 9ZZ")
    await submit(page, "Save and continue")
    assert "postcode district" in await page.locator(".govuk-error-summary").inner_text()
    assert (await page.title()).startswith("Error: ")
    await check_page(page, "apply-postcode-error")
    await page.get_by_label("What is your postcode?").fill("WS1 1AA")  # a full postcode: WS1 is kept
    await submit(page, "Save and continue")

    await check_page(page, "apply-right-to-work")
    await page.get_by_label("Yes").check()
    await submit(page, "Save and continue")

    await check_page(page, "apply-career-break")
    start = page.get_by_role("group", name="When did your career break start?")
    await start.get_by_label("Month").fill("3")
    await start.get_by_label("Year").fill("2021")
    await page.get_by_label("Caring for children").check()
    await submit(page, "Save and continue")

    await check_page(page, "apply-experience")
    await page.get_by_label("How many years did you work in the profession?").fill("12")
    await submit(page, "Save and continue")

    await check_page(page, "apply-specialisms")
    await submit(page, "Save and continue")
    assert "Select at least one specialism" in await page.locator(".govuk-error-summary").inner_text()
    await check_page(page, "apply-specialisms-error")
    await page.get_by_label("Security specialist").check()
    await page.get_by_label("Data analyst").check()
    await submit(page, "Save and continue")

    await check_page(page, "apply-skills")
    async with page.expect_navigation():
        await page.get_by_role("link", name="Data", exact=True).click()
    await check_page(page, "apply-skills-data")
    await page.get_by_role("group", name="Data visualisation", exact=True).get_by_label("Working").check()
    await submit(page, "Save and continue")
    await check_page(page, "apply-skills-it-operations")
    await (
        page.get_by_role("group", name="Information security", exact=True)
        .get_by_label("Practitioner")
        .check()
    )
    await submit(page, "Save and continue")
    assert await heading(page) == "Rate your skills"
    await follow(page, "Skip the rest and continue")

    await check_page(page, "apply-work-preferences")
    await page.get_by_label("Part-time").check()
    await page.get_by_label("Hybrid (some days at an office)").check()
    await page.get_by_label("How far could you travel to work each day?").fill("30")
    await page.get_by_label("West Midlands").check()
    await page.get_by_label("Any other councils that may see your profile (optional)").fill("Walsall Council")
    await submit(page, "Save and continue")

    await check_page(page, "apply-consent")
    await page.get_by_label("I have read the privacy notice").check()
    await submit(page, "Save and continue")

    assert await heading(page) == "Equality monitoring (optional)"
    await check_page(page, "apply-equality")
    await page.get_by_role("group", name="How old are you?").get_by_label("35-44").check()
    await submit(page, "Save and continue")

    assert await heading(page) == "Check your answers before sending your application"
    await check_page(page, "apply-check-answers")
    main = await page.locator("main").inner_text()
    for shown in (
        "Amara Okafor",
        "WS1",
        "March 2021 to now",
        "Data analyst, Security specialist",
        "Walsall",
        "Agreed (version 2026-09)",
    ):
        assert shown in main, shown
    # change an answer and come back to the check page
    await page.get_by_role("link", name="Change years of experience").click()
    await page.get_by_label("How many years did you work in the profession?").fill("13")
    await check_page(page, "apply-change-experience")
    await submit(page, "Save and continue")
    assert await heading(page) == "Check your answers before sending your application"
    assert "13" in await page.locator("main").inner_text()
    await submit(page, "Accept and send")

    panel = await page.locator(".govuk-panel").inner_text()
    assert "Application sent" in panel
    reference = REFERENCE.search(panel)
    assert reference, panel
    await check_page(page, "apply-confirmation")
    await follow(page, "See how your application is going")
    assert reference.group(0) in await page.locator("main").inner_text()
    assert "Application received" in await page.locator("main").inner_text()
    await check_page(page, "application-status")
    await page.goto(platform.url("/applications/my"))
    assert reference.group(0) in await page.locator("table").inner_text()
    await check_page(page, "candidate-home")


# --------------------------------------------------------------------------- 2. keyboard only


async def focused(page: Any) -> dict[str, str]:
    """What has the keyboard's focus (looked at, not touched)."""
    found: dict[str, str] = await page.evaluate(
        """() => { const e = document.activeElement; return {tag: e.tagName.toLowerCase(), id: e.id || '',
        name: e.getAttribute('name') || '', value: e.value || '', text: (e.innerText || '').trim()}; }"""
    )
    return found


async def tab_to(page: Any, limit: int = 250, **wanted: str) -> None:
    """Press Tab until the focused element has every property wanted (id, name, value, text)."""
    seen = []
    for _ in range(limit):
        await page.keyboard.press("Tab")
        now = await focused(page)
        seen.append(now)
        if all(now.get(key) == value for key, value in wanted.items()):
            return
    raise AssertionError(f"Tab never reached {wanted}; last: {seen[-5:]}")


async def press_enter(page: Any) -> None:
    async with page.expect_navigation():
        await page.keyboard.press("Enter")


async def type_into(page: Any, field_id: str, text: str) -> None:
    await tab_to(page, id=field_id)
    await page.keyboard.type(text)


async def save_by_keyboard(page: Any, name: str) -> None:
    await tab_to(page, text="Save and continue")
    await press_enter(page)
    await check_page(page, name)


async def test_the_application_can_be_completed_with_the_keyboard_alone(
    platform: RunningPlatform, page: Any
) -> None:
    await page.goto(platform.url("/applications/"))
    await page.keyboard.press("Tab")
    assert (await focused(page))["text"] == "Skip to main content"
    await page.keyboard.press("Enter")  # to the main content, past the header
    await tab_to(page, text="Start now")
    await press_enter(page)
    await check_page(page, "keyboard-apply-start")

    email = address()
    await type_into(page, "email", email)
    await type_into(page, "given_name", "Bola")
    await type_into(page, "family_name", "Adeyemi")
    await tab_to(page, text="Continue")
    await press_enter(page)
    assert await heading(page) == "Check your e-mail"
    await page.goto(await sign_in_link_for(platform, email))
    await tab_to(page, text="Continue")
    await press_enter(page)
    await check_page(page, "keyboard-task-list")

    await tab_to(page, text="Contact details")
    await press_enter(page)
    await tab_to(page, id="language")
    await page.keyboard.press("Space")
    await save_by_keyboard(page, "keyboard-postcode")
    await type_into(page, "postcode", "B1")
    await save_by_keyboard(page, "keyboard-right-to-work")
    await tab_to(page, id="right_to_work")
    await page.keyboard.press("Space")
    await save_by_keyboard(page, "keyboard-career-break")
    await type_into(page, "start-month", "1")
    await type_into(page, "start-year", "2020")
    await tab_to(page, id="reason")
    await page.keyboard.press("Space")
    await save_by_keyboard(page, "keyboard-experience")
    await type_into(page, "years", "14")
    await save_by_keyboard(page, "keyboard-specialisms")
    await tab_to(page, name="specialisms", value="security_specialist")
    await page.keyboard.press("Space")
    await save_by_keyboard(page, "keyboard-skills")
    await tab_to(page, text="IT operations")
    await press_enter(page)
    await check_page(page, "keyboard-skills-it-operations")
    skill = await page.evaluate(
        "() => document.querySelector('input[value=\"Information security\"]').name.replace('-name', '')"
    )
    await tab_to(page, name=skill)  # the group's checked radio: Not rated
    for _ in range(3):  # Awareness, Working, Practitioner
        await page.keyboard.press("ArrowRight")
    assert (await focused(page))["value"] == "3"
    await save_by_keyboard(page, "keyboard-skills-progress")
    await tab_to(page, text="Skip the rest and continue")
    await press_enter(page)
    await check_page(page, "keyboard-work-preferences")
    await tab_to(page, name="flexible", value="remote")
    await page.keyboard.press("Space")
    await type_into(page, "travel", "50")
    await tab_to(page, name="regions", value="west_midlands")
    await page.keyboard.press("Space")
    await save_by_keyboard(page, "keyboard-consent")
    await tab_to(page, id="consent")
    await page.keyboard.press("Space")
    await save_by_keyboard(page, "keyboard-equality")
    await save_by_keyboard(page, "keyboard-check-answers")  # equality questions left out
    main = await page.locator("main").inner_text()
    assert "B1" in main
    assert "Security specialist" in main
    assert "Information security: Practitioner" in main
    await tab_to(page, text="Accept and send")
    await press_enter(page)
    assert REFERENCE.search(await page.locator(".govuk-panel").inner_text())
    await check_page(page, "keyboard-confirmation")


# --------------------------------------------------------------------------- 3. resuming


async def test_a_candidate_signs_in_again_by_the_emailed_link_and_resumes(
    platform: RunningPlatform, page: Any
) -> None:
    email = address()
    await page.goto(platform.url("/applications/apply/ict-test"))
    await check_page(page, "resume-apply-start")
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("First name").fill("Chidi")
    await page.get_by_label("Last name").fill("Eze")
    await submit(page, "Continue")
    assert await heading(page) == "Check your e-mail"
    await page.goto(await sign_in_link_for(platform, email))
    await submit(page, "Continue")
    await check_page(page, "resume-first-task-list")
    await follow(page, "Where you live")
    await check_page(page, "resume-first-postcode")
    await page.get_by_label("What is your postcode?").fill("WS1")
    await submit(page, "Save and continue")
    assert await heading(page) == "Do you have the right to work in the UK?"
    await check_page(page, "resume-first-right-to-work")
    await submit(page, "Sign out")
    await check_page(page, "resume-signed-out")

    # starting again with the same address sends a link instead of starting a second application
    await page.goto(platform.url("/applications/apply/ict-test"))
    await page.get_by_label("E-mail address").fill(email)
    await page.get_by_label("First name").fill("Chidi")
    await page.get_by_label("Last name").fill("Eze")
    await submit(page, "Continue")
    assert await heading(page) == "Check your e-mail"
    await check_page(page, "resume-check-your-email")

    await page.goto(await sign_in_link_for(platform, email, nth=2))
    await check_page(page, "resume-sign-in-link")
    await submit(page, "Continue")
    assert page.url.endswith("/applications/my")
    await check_page(page, "resume-home")
    await follow(page, "Continue your application to Test cohort ict-test")
    where = page.locator(".govuk-task-list__item", has_text="Where you live")
    assert "Completed" in await where.inner_text()
    await check_page(page, "resume-task-list")
    await follow(page, "Where you live")
    assert await page.get_by_label("What is your postcode?").input_value() == "WS1"
    await check_page(page, "resume-postcode")


# --------------------------------------------------------------------------- 4. second stage


async def test_a_shortlisted_candidate_sends_the_second_stage_with_a_video(
    platform: RunningPlatform, page: Any, tmp_path: Path
) -> None:
    email = address()
    reference = await submitted_by_api(platform, email)
    await sign_in(page, platform, email, "second-stage")
    await check_page(page, "second-stage-home")

    async def invited() -> bool:
        await page.reload()
        return "Invited to the second stage" in await page.locator("main").inner_text()

    await eventually(
        invited, timeout=60, interval=1, what="the assessment service to shortlist the application"
    )
    await follow(page, "See your application to Test cohort ict-test")
    assert reference in await page.locator("main").inner_text()
    await check_page(page, "second-stage-invited")
    await submit(page, "Start the second stage")
    await check_page(page, "second-stage-form")

    problem = "Tell us about a technical problem you solved for the people who used your service."
    await page.get_by_label(problem).fill("I rebuilt the repairs booking service for tenants.")
    not_a_video = tmp_path / "video.mp4"
    not_a_video.write_bytes(b"%PDF-1.7 this is a document")
    await page.get_by_label("Your video assessment").set_input_files(str(not_a_video))
    await submit(page, "Send second stage")
    errors = await page.locator(".govuk-error-summary").inner_text()
    assert "Answer the question: Why do you want to work in digital services for a council?" in errors
    await check_page(page, "second-stage-errors")
    assert (
        await page.get_by_label(problem).input_value() == "I rebuilt the repairs booking service for tenants."
    )

    await page.get_by_label("How has technology in your field changed").fill(
        "Cloud hosting; I am catching up."
    )
    await page.get_by_label("Why do you want to work in digital services for a council?").fill(
        "Public service."
    )
    await page.get_by_label("Your video assessment").set_input_files(str(not_a_video))
    await submit(page, "Send second stage")
    assert "not an MP4, WebM or MOV video" in await page.locator("#video-error").inner_text()
    await check_page(page, "second-stage-not-a-video")

    video = tmp_path / "me.mp4"
    video.write_bytes(MP4)
    for label, text in (
        (problem, "I rebuilt the repairs booking service for tenants."),
        ("How has technology in your field changed", "Cloud hosting; I am catching up."),
        ("Why do you want to work in digital services for a council?", "Public service."),
    ):
        if not await page.get_by_label(label).input_value():
            await page.get_by_label(label).fill(text)
    await page.get_by_label("Your video assessment").set_input_files(str(video))
    await submit(page, "Send second stage")
    main = await page.locator("main").inner_text()
    assert "Your second stage has been sent." in main
    assert "Second stage received" in main
    assert "Start the second stage" not in main
    await check_page(page, "second-stage-sent")


# --------------------------------------------------------------------------- 5. my data


async def test_a_candidate_withdraws_downloads_and_erases_their_data(
    platform: RunningPlatform, page: Any
) -> None:
    email = address()
    reference = await submitted_by_api(platform, email)
    await sign_in(page, platform, email, "my-data")
    await check_page(page, "my-data-home")
    await follow(page, "See your application to Test cohort ict-test")
    await check_page(page, "my-data-status")
    await follow(page, "Withdraw your application")
    await check_page(page, "withdraw-confirm")
    await submit(page, "Yes, withdraw my application")
    assert "Select why you are withdrawing" in await page.locator(".govuk-error-summary").inner_text()
    await check_page(page, "withdraw-error")
    await page.get_by_label("I have found work").check()
    await submit(page, "Yes, withdraw my application")
    assert "Application withdrawn" in await page.locator("main").inner_text()
    await check_page(page, "withdrawn")

    await follow(page, "My data")
    await check_page(page, "my-data")
    async with page.expect_download() as info:
        await page.get_by_role("button", name="Download my data").click()
    download = await info.value
    assert download.suggested_filename.endswith(".json")
    exported = json.loads(Path(await download.path()).read_text())
    assert exported["candidate"]["email"] == email
    assert exported["applications"][0]["reference"] == reference
    assert exported["applications"][0]["status"] == "withdrawn"

    await submit(page, "Erase my data")
    await check_page(page, "erase-confirm")
    await submit(page, "Yes, erase my data")
    assert "Your data has been erased" in await page.locator(".govuk-panel").inner_text()
    assert "Sign out" not in await page.locator("header").inner_text()
    await check_page(page, "erased")
    await page.goto(platform.url("/applications/my"))
    assert "/applications/account/sign-in" in page.url  # the session ended
