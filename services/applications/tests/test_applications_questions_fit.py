"""Questions that fit people: a full postcode (only its district kept), every problem on a page
shown at once, the career-break reasons returners recognise, and travel in miles."""

from __future__ import annotations

import html
import json
import re
from datetime import date
from typing import Any

import httpx
import pytest
from rtw_applications.web import preferences_form
from rtw_applications.web.questions import Context
from rtw_contracts import Programme
from rtw_platform.service import ServiceRuntime
from rtw_platform.web.i18n import speaking
from sqlalchemy import text
from starlette.datastructures import FormData

from .test_applications_pages import Browser, runtime, start

pytestmark = pytest.mark.component
__all__ = ["runtime"]


async def saved_answers(runtime: ServiceRuntime, base: str) -> dict[str, Any]:
    async with runtime.engine.connect() as conn:
        found = await conn.execute(
            text("SELECT answers FROM applications.applications WHERE id = :id"),
            {"id": base.rsplit("/", 1)[1]},
        )
        answers: dict[str, Any] = found.scalar_one()
    return answers


def summary_links(page: str) -> list[str]:
    summary = page.split('class="govuk-error-summary', 1)[1].split("</ul>", 1)[0]
    return re.findall(r'href="#([^"]+)"', summary)


async def refused(browser: Browser, url: str, data: dict[str, Any]) -> httpx.Response:
    """A refused form is answered with a redirect back to its page (post/redirect/get), which
    shows every problem and what was typed: that page."""
    answer = await browser.post(url, data)
    assert answer.status_code == 303, answer.text[-500:]
    page = await browser.http.get(answer.headers["location"])
    assert page.status_code == 200
    return page


async def test_a_full_postcode_is_accepted_and_only_its_district_is_kept(runtime: ServiceRuntime) -> None:
    browser = Browser(runtime)
    base = await start(browser, runtime)
    saved = await browser.post(f"{base}/questions/postcode", {"postcode": "b1 1aa"})
    assert saved.status_code == 303, saved.text[:2000]
    answers = await saved_answers(runtime, base)
    assert answers["postcode_district"] == "B1"
    assert "1AA" not in json.dumps(answers).upper()
    again = (await browser.http.get(f"{base}/questions/postcode")).text
    assert 'value="B1"' in again
    assert 'value="B1 1AA"' not in again.upper()
    compact = await browser.post(f"{base}/questions/postcode", {"postcode": "SW1A2AA"})
    assert compact.status_code == 303
    assert (await saved_answers(runtime, base))["postcode_district"] == "SW1A"
    for wrong, words in (
        ("B1 1A", "UK postcode, for example WS1 1AA"),
        ("ZZ99 9ZZ", "do not know that postcode"),
    ):
        shown = await refused(browser, f"{base}/questions/postcode", {"postcode": wrong})
        assert words in shown.text
        assert summary_links(shown.text) == ["postcode"]
    assert (await saved_answers(runtime, base))["postcode_district"] == "SW1A"  # nothing lost


async def test_every_problem_on_a_page_is_shown_at_once(runtime: ServiceRuntime) -> None:
    browser = Browser(runtime)
    base = await start(browser, runtime)
    # The telephone number's problem came from the model only once the language was chosen.
    contact = await refused(browser, f"{base}/questions/contact", {"phone": "call me", "language": ""})
    assert summary_links(contact.text) == ["language", "phone"]
    assert "telephone number" in contact.text
    career = await refused(
        browser,
        f"{base}/questions/career-break",
        {"start-month": "13", "start-year": "2021", "end-month": "1", "end-year": "1800", "reason": ""},
    )
    assert summary_links(career.text) == ["start-month", "end-month", "reason"]
    work = await refused(
        browser,
        f"{base}/questions/work-preferences",
        {"travel": "far", "councils": "Nowhere Council", "flexible": ["sometimes"], "earliest-day": "40"},
    )
    assert set(summary_links(work.text)) >= {"flexible", "travel", "councils", "earliest-day"}
    kept = await saved_answers(runtime, base)
    assert "phone" not in kept
    assert "career_break" not in kept
    assert "work_preferences" not in kept


async def test_the_career_break_reasons_are_the_ones_returners_recognise(runtime: ServiceRuntime) -> None:
    browser = Browser(runtime)
    base = await start(browser, runtime)
    page = (await browser.http.get(f"{base}/questions/career-break")).text
    offered = re.findall(r'name="reason" type="radio" value="([^"]+)"', page)
    assert offered[:4] == ["caring_for_children", "caring_for_adult", "own_health", "relocation"]
    assert offered[-1] == "other"
    for label in ("Caring for children", "Caring for an adult", "My own health", "Moving home"):
        assert label in page
    saved = await browser.post(
        f"{base}/questions/career-break",
        {"start-month": "3", "start-year": "2021", "reason": "own_health"},
    )
    assert saved.status_code == 303
    assert (await saved_answers(runtime, base))["career_break"]["reason"] == "own_health"
    shown = (await browser.http.get(f"{base}/check-answers")).text
    assert "My own health" in shown
    # A draft saved with a reason from before keeps working.
    old = await browser.post(
        f"{base}/questions/career-break", {"start-month": "3", "start-year": "2021", "reason": "caring"}
    )
    assert old.status_code == 303
    assert "care for someone" in (await browser.http.get(f"{base}/check-answers")).text


async def test_travel_is_asked_and_shown_in_miles_and_kept_in_kilometres(runtime: ServiceRuntime) -> None:
    browser = Browser(runtime)
    base = await start(browser, runtime)
    form = {"travel": "20", "regions": ["west_midlands"]}
    page = (await browser.http.get(f"{base}/questions/work-preferences")).text
    assert "miles" in page
    saved = await browser.post(f"{base}/questions/work-preferences", form)
    assert saved.status_code == 303, saved.text[:2000]
    assert (await saved_answers(runtime, base))["work_preferences"]["max_travel_km"] == 32
    again = (await browser.http.get(f"{base}/questions/work-preferences")).text
    assert re.search(r'id="travel" name="travel" type="text" value="20"', again), again[-3000:]
    assert "20 miles" in (await browser.http.get(f"{base}/check-answers")).text
    too_far = await refused(browser, f"{base}/questions/work-preferences", {**form, "travel": "700"})
    assert "from 0 to 621" in too_far.text


async def test_a_number_of_thousands_of_digits_is_a_problem_on_the_page_not_an_error(
    runtime: ServiceRuntime,
) -> None:
    """Python refuses to read more than 4,300 digits as a number: a month or a distance that long
    was a 500. It is the field's problem, like any other number out of range."""
    browser = Browser(runtime)
    base = await start(browser, runtime)
    huge = "1" * 5000
    career = await refused(
        browser,
        f"{base}/questions/career-break",
        {"start-month": huge, "start-year": "2021", "reason": "other"},
    )
    assert summary_links(career.text) == ["start-month"]
    assert "must be a number from 1 to 12" in career.text
    work = await refused(
        browser, f"{base}/questions/work-preferences", {"travel": huge, "regions": ["london"]}
    )
    assert summary_links(work.text) == ["travel"]
    assert "from 0 to 621" in work.text


async def test_the_start_page_says_who_can_apply_what_the_video_is_and_links_the_checker(
    runtime: ServiceRuntime,
) -> None:
    browser = Browser(runtime)
    page = (await browser.http.get("/")).text
    for words in ("Who can apply", "right to work in the UK", "one-way video", "about 30 minutes"):
        assert words in page, words
    assert 'href="/assessment/eligibility"' in page
    assert 'href="/assessment/eligibility?cohort=ict-test"' in page  # each open cohort's own check


async def test_skills_are_rated_one_group_a_screen_each_saved_on_its_own(runtime: ServiceRuntime) -> None:
    browser = Browser(runtime)
    base = await start(browser, runtime)
    chosen = await browser.post(
        f"{base}/questions/specialisms", {"specialisms": ["security_specialist", "data_analyst"]}
    )
    assert chosen.status_code == 303
    overview = (await browser.http.get(f"{base}/questions/skills")).text
    groups = re.findall(rf'href="{re.escape(base)}/questions/skills/([a-z0-9-]+)"', overview)
    assert groups[:3] == ["architecture", "data", "it-operations"]
    assert 'type="radio"' not in overview  # the long list of radios is gone from this page
    assert overview.count("Not yet rated") == 3
    pages = {slug: (await browser.http.get(f"{base}/questions/skills/{slug}")).text for slug in groups[:3]}
    names = {slug: re.findall(r'name="skill-\d+-name" value="([^"]+)"', page) for slug, page in pages.items()}
    assert sum(len(n) for n in names.values()) == 36
    assert max(len(n) for n in names.values()) < 20  # a screen, not 36 skills
    assert "Group 2 of 3" in pages["data"]

    def form(slug: str, ratings: dict[str, str]) -> dict[str, str]:
        values = {f"skill-{i}-name": name for i, name in enumerate(names[slug])}
        values.update({f"skill-{names[slug].index(n)}": level for n, level in ratings.items()})
        return values

    first, second = names["data"][0], names["it-operations"][0]
    saved = await browser.post(f"{base}/questions/skills/data", form("data", {first: "3"}))
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("/questions/skills/it-operations")
    saved = await browser.post(f"{base}/questions/skills/it-operations", form("it-operations", {second: "2"}))
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("/questions/skills")
    claims = (await saved_answers(runtime, base))["skills"]
    assert sorted((c["skill"], c["level"]) for c in claims) == sorted([(first, 3), (second, 2)])
    # Saving a group again replaces only that group's ratings.
    again = await browser.post(f"{base}/questions/skills/data", form("data", {}))
    assert again.status_code == 303
    assert [c["skill"] for c in (await saved_answers(runtime, base))["skills"]] == [second]
    overview = (await browser.http.get(f"{base}/questions/skills")).text
    assert "1 of 12 skills rated" in overview
    assert (await browser.http.get(f"{base}/questions/skills/no-such-group")).status_code == 404
    stale = await browser.post(f"{base}/questions/skills/data", {"skill-0-name": "Juggling", "skill-0": "3"})
    assert stale.status_code == 400
    assert "specialisms changed" in stale.text


async def test_a_skills_group_is_only_its_owners_and_needs_the_forms_token(runtime: ServiceRuntime) -> None:
    owner = Browser(runtime)
    base = await start(owner, runtime, "group-owner@example.org")
    await owner.post(f"{base}/questions/specialisms", {"specialisms": ["data_analyst"]})
    page = (await owner.http.get(f"{base}/questions/skills/data")).text
    form = dict(re.findall(r'name="(skill-\d+-name)" value="([^"]+)"', page))
    form["skill-0"] = "4"
    other = Browser(runtime)
    await start(other, runtime, "group-other@example.org")
    assert (await other.http.get(f"{base}/questions/skills/data")).status_code == 404
    theirs = await other.post(f"{base}/questions/skills/data", form, page="/my")
    assert theirs.status_code == 404
    nobody = Browser(runtime)
    signed_out = await nobody.http.get(f"{base}/questions/skills/data")
    assert signed_out.status_code in (302, 303, 401)
    tokenless = await owner.http.post(f"{base}/questions/skills/data", data=form)
    assert tokenless.status_code == 400  # the CSRF check refuses it
    assert "skills" not in await saved_answers(runtime, base)


async def test_the_answers_model_s_problems_are_in_welsh_on_a_welsh_page(runtime: ServiceRuntime) -> None:
    """The postcode's and the telephone number's problems come from the answers' model, and were
    shown in English on Welsh pages (with govuk's hidden "Error:" before every problem)."""
    browser = Browser(runtime)
    base = await start(browser, runtime)
    for slug, answers, welsh in (
        ("postcode", {"postcode": "B1 1A"}, "Rhowch god post yn y DU, er enghraifft WS1 1AA"),
        ("postcode", {"postcode": "ZZ99 9ZZ"}, "Nid ydym yn adnabod yr ardal cod post honno"),
        ("contact", {"phone": "call me", "language": "en"}, "Rhowch rif ffôn, fel 01632 960 001"),
    ):
        answer = await browser.post(f"{base}/questions/{slug}", answers)
        assert answer.status_code == 303
        page = html.unescape((await browser.http.get(answer.headers["location"] + "?lang=cy")).text)
        assert welsh in page
        assert '<span class="govuk-visually-hidden">Gwall:</span>' in page
        assert "Error:" not in page


def test_whether_councils_may_find_you_is_asked_in_welsh() -> None:
    parsed = preferences_form._parse(
        FormData({"travel": "10", "regions": "london"}), Context(Programme.ICT, {}, date(2026, 12, 4))
    )
    with speaking("cy"):
        assert parsed.errors.message("visible") == {
            "text": "Dewiswch a gaiff cynghorau ddod o hyd i chi",
            "visuallyHiddenText": "Gwall",
        }


async def test_counts_take_their_plural_in_english_and_welsh(runtime: ServiceRuntime) -> None:
    """One group, one mile: the words agree with the number (gettext's plural forms, Welsh's six
    among them), never "1 groups" or "1 miles"."""
    browser = Browser(runtime)
    base = await start(browser, runtime)
    chosen = await browser.post(f"{base}/questions/specialisms", {"specialisms": ["data_analyst"]})
    assert chosen.status_code == 303
    overview = (await browser.http.get(f"{base}/questions/skills")).text
    assert "the roles you chose need, in 1 group." in overview
    assert "1 groups" not in overview
    assert "17 skills" in overview  # one group of 17
    saved = await browser.post(
        f"{base}/questions/work-preferences", {"travel": "1", "regions": ["west_midlands"]}
    )
    assert saved.status_code == 303, saved.text[:2000]
    answers = (await browser.http.get(f"{base}/check-answers")).text
    assert re.search(r"\b1 mile\b", answers)
    assert "1 miles" not in answers
    welsh = (await browser.http.get(f"{base}/questions/skills", params={"lang": "cy"})).text
    assert "mewn 1 grŵp." in welsh
    assert "17 sgil" in welsh
    assert "1 milltir" in (await browser.http.get(f"{base}/check-answers", params={"lang": "cy"})).text
