# ruff: noqa: F811  (the tests take the imported `runtime` fixture by name)
"""Saving and coming back: a refused form answers 303 back to its page (Back and reload never
send it again), the second stage is saved as a draft, the e-mailed sign-in link leads back to the
page the person was asked to sign in for (never to another site), and after applying the
candidate changes their availability, travel and who may see them."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import pytest
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.welsh import without_language_switch
from sqlalchemy import text

from .test_applications_pages import (
    MP4,
    Browser,
    answer_everything,
    link_mailed_to,
    runtime,  # noqa: F401  (the fixture)
    start,
    use_link,
)

pytestmark = pytest.mark.component

ANSWERS = {
    "answer-ict-problem": "I rebuilt a booking service so tenants could book repairs online.",
    "answer-ict-change": "Cloud hosting is now the norm.",
    "answer-ict-council": "",
}


async def applied(browser: Browser, runtime: ServiceRuntime, email: str = "amara@example.org") -> str:
    """A sent application's status page (`/my/applications/<id>`)."""
    base = await start(browser, runtime, email)
    await answer_everything(browser, base)
    sent = await browser.post(f"{base}/check-answers", {})
    assert sent.status_code == 303, sent.text
    return base.replace("/application/", "/my/applications/")


async def shortlisted(runtime: ServiceRuntime) -> None:
    async with runtime.engine.begin() as conn:
        await conn.execute(
            text("UPDATE applications.applications SET shortlisted_at = now(), status = 'shortlisted'")
        )


async def draft_of(runtime: ServiceRuntime, status_page: str) -> dict[str, Any] | None:
    async with runtime.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT answers FROM applications.second_stage_drafts WHERE application_id = :a"),
                {"a": UUID(status_page.rsplit("/", 1)[1])},
            )
        ).first()
    return None if row is None else dict(row.answers)


async def outbox(runtime: ServiceRuntime, event_type: str) -> list[dict[str, Any]]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM applications.outbox WHERE event_type = :t ORDER BY id"),
            {"t": event_type},
        )
        return [row.payload for row in rows]


# --------------------------------------------------------------------------- the second stage as a draft


async def test_the_second_stage_is_saved_as_a_draft_reloaded_and_gone_once_sent(
    runtime: ServiceRuntime,
) -> None:
    browser = Browser(runtime)
    status_page = await applied(browser, runtime)
    await shortlisted(runtime)
    path = f"{status_page}/second-stage"

    saved = await browser.post(path, {**ANSWERS, "action": "save"})
    assert saved.status_code == 303, saved.text[:500]
    assert saved.headers["location"] == f"{path}?saved=yes"
    page = (await browser.http.get(saved.headers["location"])).text
    assert "Your answers are saved" in page
    assert ANSWERS["answer-ict-problem"] in page
    assert await draft_of(runtime, status_page) == {
        "ict-problem": ANSWERS["answer-ict-problem"],
        "ict-change": ANSWERS["answer-ict-change"],
    }

    # Coming back another day, in another browser: the answers are there.
    again = Browser(runtime)
    assert await use_link(again, await _sign_in_link(again, runtime, "amara@example.org")) == "/my"
    page = (await again.http.get(path)).text
    assert ANSWERS["answer-ict-change"] in page
    assert "Your answers are saved" not in page

    full = {**ANSWERS, "answer-ict-council": "Public service matters to me.", "action": "send"}
    sent = await again.post(path, full, files={"video": ("v.mp4", MP4, "video/mp4")})
    assert sent.status_code == 303, sent.text[:500]
    assert await draft_of(runtime, status_page) is None
    late = await again.post(path, {**ANSWERS, "action": "save"}, page=status_page)
    assert late.status_code == 409  # sent: nothing more to save


async def test_a_saved_draft_is_erased_with_the_person_and_in_their_export(runtime: ServiceRuntime) -> None:
    browser = Browser(runtime)
    status_page = await applied(browser, runtime)
    await shortlisted(runtime)
    await browser.post(f"{status_page}/second-stage", {**ANSWERS, "action": "save"})
    exported = (await browser.http.get("/my/data/download")).json()
    assert (
        exported["applications"][0]["second_stage_draft"]["answers"]["ict-change"]
        == "Cloud hosting is now the norm."
    )
    erased = await browser.post("/my/data/erase", {})
    assert erased.status_code == 303
    assert await draft_of(runtime, status_page) is None


# --------------------------------------------------------------------------- post/redirect/get


async def test_a_refused_form_is_shown_again_after_a_redirect_in_this_browser_only(
    runtime: ServiceRuntime,
) -> None:
    browser = Browser(runtime)
    base = await start(browser, runtime)
    path = f"{base}/questions/experience"
    refused = await browser.post(path, {"years": "ten"})
    assert refused.status_code == 303  # was 400: the page in answer to the POST
    assert refused.headers["location"] == path
    [jar_entry] = [c for c in browser.http.cookies.jar if c.name == "rtw_form"]
    kept, domain = jar_entry.value, jar_entry.domain
    assert kept
    assert jar_entry.path == path
    shown = await browser.http.get(path)
    assert "must be a number" in shown.text
    assert 'value="ten"' in shown.text
    # Shown once: a reload shows the form as saved.
    assert "must be a number" not in (await browser.http.get(path)).text

    # Another browser with the same cookie (no matching CSRF cookie) sees nothing of it,
    # nor does anyone who alters it.
    thief = Browser(runtime)
    await use_link(thief, await _sign_in_link(thief, runtime, "amara@example.org"))
    thief.http.cookies.set("rtw_form", kept, domain=domain, path=path)
    assert "must be a number" not in (await thief.http.get(path)).text
    browser.http.cookies.set("rtw_form", kept, domain=domain, path=path)
    assert "must be a number" in (await browser.http.get(path)).text  # (it was sent, and is good)
    forged = kept[:-3] + ("AAA" if not kept.endswith("AAA") else "BBB")
    browser.http.cookies.set("rtw_form", forged, domain=domain, path=path)
    assert "must be a number" not in (await browser.http.get(path)).text


# --------------------------------------------------------------------------- sign-in links keep their destination


async def _sign_in_link(browser: Browser, runtime: ServiceRuntime, email: str, next_page: str = "") -> str:
    form = {"email": email, **({"next": next_page} if next_page else {})}
    asked = await browser.post("/account/sign-in", form, page="/account/sign-in")
    assert asked.status_code == 303, asked.text[:500]
    return await link_mailed_to(runtime, email)


async def test_the_e_mailed_link_leads_to_the_page_the_person_was_asked_to_sign_in_for(
    runtime: ServiceRuntime,
) -> None:
    status_page = await applied(Browser(runtime), runtime)
    await shortlisted(runtime)
    wanted = f"{status_page}/second-stage"

    visitor = Browser(runtime)
    asked = await visitor.http.get(wanted)
    assert asked.status_code == 303
    sign_in = asked.headers["location"].removeprefix("/applications")
    assert sign_in == f"/account/sign-in?next={wanted}"
    page = (await visitor.http.get(sign_in)).text
    assert f'name="next" value="{wanted}"' in page
    refused = await visitor.refused("/account/sign-in", {"email": "nope", "next": wanted}, page=sign_in)
    assert f'name="next" value="{wanted}"' in refused.text  # kept through a correction too
    sent = await visitor.post(
        "/account/sign-in", {"email": "amara@example.org", "next": wanted}, page=sign_in
    )
    assert sent.status_code == 303
    link = await link_mailed_to(runtime, "amara@example.org")
    assert await use_link(visitor, link) == wanted  # was /my: the destination was lost
    assert "Second stage" in (await visitor.http.get(wanted)).text


@pytest.mark.parametrize(
    "elsewhere",
    [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "//evil.example/applications/my",
        "/%2F%2Fevil.example",
    ],
)
async def test_a_sign_in_link_never_leads_to_another_site(runtime: ServiceRuntime, elsewhere: str) -> None:
    await applied(Browser(runtime), runtime)
    visitor = Browser(runtime)
    page = (await visitor.http.get("/account/sign-in", params={"next": elsewhere})).text
    assert "evil.example" not in without_language_switch(page)
    # A forged form: the link e-mailed leads home.
    link = await _sign_in_link(visitor, runtime, "amara@example.org", elsewhere)
    assert "evil.example" not in link
    assert await use_link(visitor, link) == "/my"
    # A forged link: its landing page and its button lead home too.
    token = link.split("/sign-in/", 1)[1].split("?")[0]
    other = Browser(runtime)
    landing = f"/sign-in/{token}?next={elsewhere}"
    landed = (await other.http.get(landing, params={"next": elsewhere})).text
    assert "evil.example" not in without_language_switch(landed)
    signed_in = await other.post(f"/sign-in/{token}", {"next": elsewhere}, page=f"/sign-in/{token}")
    assert signed_in.status_code == 403 or signed_in.headers["location"] == "/applications/my"


async def test_a_destination_too_long_to_follow_still_shows_the_sign_in_page(runtime: ServiceRuntime) -> None:
    """A page's address longer than a sign-in link may carry (300 characters) sent the person to
    an error page ("The address of this page is not one it can show") instead of signing in."""
    visitor = Browser(runtime)
    long_page = "/applications/my/applications/" + "a" * 400
    page = await visitor.http.get("/account/sign-in", params={"next": long_page})
    assert page.status_code == 200
    assert "a" * 400 not in without_language_switch(page.text)
    await applied(Browser(runtime), runtime)
    link = await _sign_in_link(visitor, runtime, "amara@example.org")
    token = link.split("/sign-in/", 1)[1].split("?")[0]
    landed = await Browser(runtime).http.get(f"/sign-in/{token}", params={"next": long_page})
    assert landed.status_code == 200
    assert "a" * 400 not in without_language_switch(landed.text)


# --------------------------------------------------------------------------- preferences after applying


async def test_after_applying_the_candidate_changes_availability_and_who_may_see_them(
    runtime: ServiceRuntime,
) -> None:
    browser = Browser(runtime)
    status_page = await applied(browser, runtime)
    page = f"{status_page}/preferences"
    assert page in (await browser.http.get(status_page)).text
    shown = (await browser.http.get(page)).text
    assert 'value="30"' in shown  # the travel given when applying
    assert re.search(r'value="west_midlands"\s+checked', shown)

    form = {"flexible": ["part_time"], "travel": "far", "visible": "yes", "regions": ["east_midlands"]}
    refused = await browser.refused(page, form)
    assert "whole number of miles" in refused.text
    assert 'value="far"' in refused.text
    assert await outbox(runtime, "CandidatePreferencesChanged") == []

    changed = await browser.post(
        page, {**form, "travel": "28", "earliest-day": "1", "earliest-month": "9", "earliest-year": "2027"}
    )
    assert changed.status_code == 303, changed.text[:500]
    assert "Your changes are saved" in (await browser.http.get(changed.headers["location"])).text
    [event] = await outbox(runtime, "CandidatePreferencesChanged")
    assert event["work_preferences"]["max_travel_km"] == 45  # 28 miles
    assert event["work_preferences"]["visible_to_regions"] == ["east_midlands"]
    assert event["work_preferences"]["earliest_start"] == "2027-09-01"

    hidden = await browser.post(page, {**form, "travel": "28", "visible": "no"})
    assert hidden.status_code == 303
    hidden_event = (await outbox(runtime, "CandidatePreferencesChanged"))[-1]
    assert hidden_event["work_preferences"]["visible_to_regions"] == []
    assert hidden_event["work_preferences"]["visible_to_councils"] == []
    assert re.search(r'value="no"\s+checked', (await browser.http.get(page)).text)

    withdrawn = await browser.post(f"{status_page}/withdraw", {"reason": "found_work"})
    assert withdrawn.status_code == 303
    assert (await browser.http.get(page)).status_code == 303  # nothing left to change
    assert page not in (await browser.http.get(status_page)).text
