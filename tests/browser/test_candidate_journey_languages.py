"""The candidate's journey on a phone (390 px wide), in English and in Welsh: from the start page
(where the Welsh candidate chooses Cymraeg in the header) through applying page by page, the second
stage, being selected, the training certificate, to a council's interest, which the candidate
accepts. Every page passes axe; every Welsh page shows no words left as they are on the English
page (rtw_platform.testing.welsh), and `<html lang>` is the page's language.

The candidate's steps are all through the pages; the staff's and the council's steps (the
assessment's decision, the provider's modules, the council's claim, vacancy and reach-out) go
through the JSON API and the broker, as their own browser tests cover their pages.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from uuid import UUID, uuid4

import httpx
import pytest
from rtw_platform import reference
from rtw_platform.auth import Principal, Role, issue_token, verify_session_token
from rtw_platform.testing.browser import LINK, RunningPlatform, check_page
from rtw_platform.testing.events import selected
from rtw_platform.testing.fixtures import BrokerNamespace
from rtw_platform.testing.waiting import eventually
from rtw_platform.testing.welsh import untranslated
from rtw_platform.web.i18n import LANGUAGE_COOKIE, LANGUAGE_PARAMETER, gettext, speaking
from rtw_platform.web.pages import SESSION_COOKIE
from rtw_training.curricula import ICT

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 4000
COHORT_TITLE = "Test cohort ict-test"
#: The open cohorts' titles (an admin's words, in the language they were written in).
COHORT_TITLES = {f"Test cohort {name}-test" for name in ("ict", "legal", "planning", "social-work")}
WALSALL = "E08000030"
SKILLS = ("Programming and build (software engineering)", "Systems design")
GIVEN, FAMILY = "Eleri", "Pritchard"
PROVIDER = "Coleg Gwent Digital"
VACANCY = "Software developer"


class Journey:
    """One candidate's browser, in one language, with the checks every page gets."""

    def __init__(self, page: Any, platform: RunningPlatform, language: str) -> None:
        self.page = page
        self.platform = platform
        self.language = language
        #: Words that are the same in both languages because they are names or data.
        self.data: set[str] = {
            GIVEN,
            FAMILY,
            f"{GIVEN} {FAMILY}",
            *COHORT_TITLES,
            PROVIDER,
            VACANCY,
            "Walsall",
            f"Walsall: {VACANCY}",
        }

    def t(self, message: str, **values: Any) -> str:
        """The words the page shows for `message`, in the journey's language."""
        with speaking(self.language):
            words = gettext(message)
        return words % values if values else words

    async def check(self, name: str) -> None:
        """axe, the page's language, and (in Welsh) no words left in English."""
        shot = f"journey-{self.language}-{name}"
        await check_page(self.page, shot)
        assert await self.page.get_attribute("html", "lang") == self.language, shot
        switch = self.page.locator("header nav a[hreflang]")
        assert await switch.get_attribute("lang") == ("en" if self.language == "cy" else "cy")
        if self.language == "cy":
            left = untranslated(await self.page.content(), await self.in_english(), self.data)
            assert left == [], f"English left on the Welsh page {name} ({self.page.url}): {left}"

    async def in_english(self) -> str:
        """The same page, for the same person, in English (read without a browser, so the
        candidate's language cookie stays Welsh)."""
        cookies = {c["name"]: c["value"] for c in await self.page.context.cookies()}
        cookies[LANGUAGE_COOKIE] = "en"
        async with httpx.AsyncClient(cookies=cookies, timeout=30) as http:
            address = urlsplit(self.page.url)
            query = [(k, v) for k, v in parse_qsl(address.query) if k != LANGUAGE_PARAMETER]
            english = urlunsplit(address._replace(query=urlencode([*query, (LANGUAGE_PARAMETER, "en")])))
            response = await http.get(english, headers={"accept": "text/html"})
        return response.text

    async def press(self, message: str, **values: Any) -> None:
        async with self.page.expect_navigation():
            await self.page.get_by_role("button", name=self.t(message, **values), exact=True).click()

    async def follow(self, message: str, **values: Any) -> None:
        async with self.page.expect_navigation():
            await self.page.get_by_role("link", name=self.t(message, **values)).first.click()

    async def save(self, name: str) -> None:
        await self.check(name)
        await self.press("Save and continue")


async def mailed_link(platform: RunningPlatform, email: str, path: str) -> str:
    async def found() -> str | None:
        for mail in platform.mailbox.to(email):
            for link in LINK.findall(mail.text):
                if link.startswith(platform.url(path)):
                    return str(link)
        return None

    return await eventually(found, timeout=30, what=f"a link to {path} e-mailed to {email}")


async def applies(journey: Journey, email: str) -> str:
    """From the start page to 'Application sent'; the application's id."""
    page, platform = journey.page, journey.platform
    await page.goto(platform.url("/applications/"))
    if journey.language == "cy":
        async with page.expect_navigation():
            await page.locator("header").get_by_role("link", name="Cymraeg").click()
    await journey.check("start")
    await journey.press(
        "Start your application to %(title)s", title=COHORT_TITLE
    )  # a link styled as a button
    await journey.check("apply")
    await page.fill("#email", email)
    await page.fill("#given_name", GIVEN)
    await page.fill("#family_name", FAMILY)
    await journey.press("Continue")
    assert await page.locator("h1").inner_text() == journey.t("Check your e-mail")
    await journey.check("check-your-email")
    await page.goto(await mailed_link(platform, email, "/applications/sign-in/"))
    await journey.check("sign-in-link")
    await journey.press("Continue")

    await journey.check("task-list")
    await journey.follow("Contact details")
    await page.check(f"input[name=language][value={journey.language}]")  # e-mails in their language
    await journey.save("contact")
    await page.fill("#postcode", "WS1")
    await journey.save("postcode")
    await page.check("input[name=right_to_work][value=yes]")
    await journey.save("right-to-work")
    await page.fill("#start-month", "3")
    await page.fill("#start-year", "2021")
    await page.check("input[name=reason][value=caring_for_children]")
    await journey.save("career-break")
    await page.fill("#years", "12")
    await journey.save("experience")
    await page.check("input[name=specialisms][value=software_developer]")
    await journey.save("specialisms")
    # The government framework's skills, their groups and descriptions are in English only.
    journey.data.update({*reference.framework_skills(), *reference.framework_skills().values()})
    skills_page = str(page.url)
    groups = page.locator(".govuk-task-list__link")
    journey.data.update(name.strip() for name in await groups.all_inner_texts())
    await journey.check("skills")
    hrefs = [str(await group.get_attribute("href")) for group in await groups.all()]
    for number, href in enumerate(hrefs):  # one screen a group, each saved on its own
        await page.goto(urljoin(skills_page, href))
        for skill in SKILLS:
            hidden = page.locator(f"input[type=hidden][value='{skill}']")
            if await hidden.count():
                name = str(await hidden.get_attribute("name"))
                await page.check(f"input[name='{name.removesuffix('-name')}'][value='3']")
        await journey.save(f"skills-group-{number}")
    await page.goto(skills_page)
    await journey.check("skills-rated")
    # Groups with none of their skills rated stay "not yet rated": the rest can be skipped.
    skip = page.get_by_role("link", name=journey.t("Skip the rest and continue"))
    if await skip.count():
        await journey.follow("Skip the rest and continue")
    else:
        await journey.press("Continue")  # a link styled as a button
    await page.check("input[name=flexible][value=part_time]")
    await page.fill("#travel", "30")
    await page.check("input[name=regions][value=west_midlands]")
    await journey.save("work-preferences")
    await page.check("#consent")
    await journey.save("consent")
    await journey.save("equality")  # left out
    await journey.check("check-answers")
    await journey.press("Accept and send")
    await journey.check("sent")
    assert re.search(r"RTW-ICT-\d{6}", await page.locator(".govuk-panel").inner_text())
    await journey.follow("See how your application is going")
    return str(page.url).rstrip("/").rsplit("/", 1)[1]


async def sends_the_second_stage(journey: Journey, tmp_path: Path) -> None:
    page = journey.page
    start = journey.t("Start the second stage")

    async def invited() -> bool:
        await page.reload()
        return bool(await page.get_by_role("button", name=start).count())

    await eventually(invited, timeout=120, interval=1, what="the assessment service to shortlist")
    await journey.check("invited")
    await journey.press("Start the second stage")  # a link styled as a button
    # The cohort's questions are its configuration's words (English only for now).
    journey.data.update(await page.locator("main label[for]").all_inner_texts())
    await journey.check("second-stage")
    for answer in await page.locator("main textarea").all():
        await answer.fill("Rwy'n barod i ddychwelyd. I am ready to return.")
    video = tmp_path / "fideo.mp4"
    video.write_bytes(MP4)
    await page.set_input_files("#video", str(video))
    await journey.press("Send second stage")
    assert journey.t("Your second stage has been sent.") in await page.locator("main").inner_text()
    await journey.check("second-stage-sent")


async def finishes_training(journey: Journey, platform: RunningPlatform, candidate_id: UUID) -> None:
    """The provider records every required module (API); the candidate opens their certificate."""
    page = journey.page
    admin = {"Authorization": f"Bearer {issue_token(platform.secret, Principal('admin-1', Role.ADMIN))}"}
    trainer_token = issue_token(platform.secret, Principal("coleg", Role.TRAINER, provider_id="coleg"))
    trainer = {"Authorization": f"Bearer {trainer_token}"}
    candidate = {
        "Authorization": f"Bearer {issue_token(platform.secret, Principal(str(candidate_id), Role.CANDIDATE))}"
    }
    async with httpx.AsyncClient(timeout=30) as http:
        provider = {"id": "coleg", "name": PROVIDER, "cohorts": ["ict-test"]}
        put = await http.put(platform.url("/training/providers/coleg"), json=provider, headers=admin)
        assert put.status_code == 200, put.text

        async def enrolled() -> str | None:
            mine = await http.get(
                platform.url(f"/training/candidates/{candidate_id}/training"), headers=candidate
            )
            enrolments = mine.json().get("enrolments") if mine.status_code == 200 else None
            return str(enrolments[0]["enrolment_id"]) if enrolments else None

        enrolment = await eventually(enrolled, timeout=30, what="the enrolment")
        for module in ICT.required_modules:
            done = await http.post(
                platform.url(f"/training/enrolments/{enrolment}/modules/{module.id}/complete"),
                json={"hours": module.hours},
                headers=trainer,
            )
            assert done.status_code == 200, done.text
    journey.data.update({ICT.title, *(module.title for module in ICT.modules)})
    await page.goto(platform.url("/training/my"))
    await journey.check("training-complete")
    assert journey.t("Training complete") in await page.locator(".govuk-panel").inner_text()
    async with page.expect_navigation():  # the link's words are inside a translated sentence
        await page.locator("main a[href*='/training/certificates/']:not([href$='.pdf'])").first.click()
    # The certificate's number, its signature and the signing algorithm's name are the same in
    # every language.
    journey.data.update(re.findall(r"[A-Za-z0-9_-]{40,}={0,2}", await page.content()))  # the signature
    journey.data.update({str(page.url).rstrip("/").rsplit("/", 1)[1], "(Ed25519)."})
    await journey.check("certificate")
    assert journey.t("This certificate is genuine") in await page.locator(".govuk-panel").inner_text()


async def a_council_reaches_out(platform: RunningPlatform, application_id: str) -> None:
    """Walsall claims its place, a programme admin approves it, its recruiter posts a vacancy,
    shortlists the returner from the pool and reaches out (the JSON API)."""
    contact = f"recruiter.{uuid4().hex[:6]}@walsall.example"
    admin = {"Authorization": f"Bearer {issue_token(platform.secret, Principal('admin-1', Role.ADMIN))}"}
    async with httpx.AsyncClient(timeout=30) as http:
        claim = {
            "gss_code": WALSALL,
            "contact_name": "Morag Fairweather",
            "contact_email": contact,
            "specialisms_needed": ["software_developer"],
            "flexible_working_offered": ["part_time"],
        }
        signed_up = await http.post(platform.url("/matching/councils"), json=claim)
        assert signed_up.status_code == 201, signed_up.text
        council_id = signed_up.json()["council_id"]
        claim_id = signed_up.json()["claim_id"]
        approved = await http.post(
            platform.url(f"/matching/council-claims/{claim_id}/approve"), headers=admin
        )
        assert approved.status_code == 200, approved.text
        link = await mailed_link(platform, contact, "/matching/recruiters/sign-in/")
        token = link.rsplit("/", 1)[1]
        signed_in = await http.post(platform.url("/matching/recruiters/sign-in/token"), json={"token": token})
        assert signed_in.status_code == 200, signed_in.text
        council = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        vacancy = {
            "title": VACANCY,
            "programme": "ict",
            "specialism": "software_developer",
            "role": "Software developer",
            "role_level": "Senior developer",
            "required_skills": [{"skill": skill, "level": 3} for skill in SKILLS],
            "base_postcode_districts": ["WS1"],
            "work_mode": "hybrid",
            "flexible_working": ["part_time"],
            "salary_band": {"min_pence": 3_200_000, "max_pence": 3_800_000},
            "hours_per_week": 30,
            "closing_date": (datetime.now(UTC).date() + timedelta(days=30)).isoformat(),
        }
        posted = await http.post(
            platform.url(f"/matching/councils/{council_id}/vacancies"), json=vacancy, headers=council
        )
        assert posted.status_code == 201, posted.text
        vacancy_id = posted.json()["vacancy_id"]

        async def shortlisted() -> str | None:
            answer = await http.post(
                platform.url(f"/matching/vacancies/{vacancy_id}/shortlist"),
                json={"candidate_ref": application_id},
                headers=council,
            )
            return str(answer.json()["match_id"]) if answer.status_code == 201 else None

        match_id = await eventually(
            shortlisted, timeout=30, interval=0.5, what="the returner in Walsall's pool"
        )
        reached = await http.post(platform.url(f"/matching/matches/{match_id}/reach-out"), headers=council)
        assert reached.status_code == 200, reached.text


@pytest.mark.parametrize("language", ["en", "cy"])
async def test_the_candidate_journey_on_a_phone_from_the_start_page_to_a_council_s_offer(
    platform: RunningPlatform,
    browser: Any,
    broker_namespace: BrokerNamespace,
    tmp_path: Path,
    language: str,
) -> None:
    context = await browser.new_context(viewport=PHONE, locale="en-GB", is_mobile=True)
    try:
        page = await context.new_page()
        page.set_default_timeout(15_000)
        journey = Journey(page, platform, language)
        email = f"ymgeisydd.{uuid4().hex[:10]}@example.org"

        application_id = await applies(journey, email)
        await journey.check("status")
        await sends_the_second_stage(journey, tmp_path)

        # Assessment selects the candidate (published as assessment would after scoring).
        session = {c["name"]: c["value"] for c in await context.cookies()}[SESSION_COOKIE]
        candidate_id = UUID(verify_session_token(platform.secret, session).principal.subject)
        await broker_namespace.publish_event(selected(UUID(application_id), candidate_id))
        offered = journey.t("Offered a place on the programme")

        async def told() -> bool:
            await page.goto(platform.url(f"/applications/my/applications/{application_id}"))
            return offered in await page.locator("main").inner_text()

        await eventually(told, timeout=30, interval=1, what="the candidate to be told they were selected")
        await journey.check("selected")

        await finishes_training(journey, platform, candidate_id)

        await a_council_reaches_out(platform, application_id)

        async def interested() -> bool:
            await page.goto(platform.url("/matching/my/interest"))
            return bool(await page.locator("button[value=accepted]").count())

        await eventually(interested, timeout=30, interval=1, what="the council's interest on the page")
        await journey.check("council-interested")
        async with page.expect_navigation():
            await page.locator("button[value=accepted]").click()
        banner = journey.t(
            "You accepted. The council can now see your name, e-mail address and telephone number (if you gave one) and will contact you."
        )
        assert banner in await page.locator(".govuk-notification-banner").inner_text()
        await journey.check("accepted")
    except Exception:
        await page.screenshot(
            path=f"test-artifacts/screenshots/journey-{language}-failed.png", full_page=True
        )
        raise
    finally:
        await context.close()
