"""Saving and coming back, in a real browser at desktop width and at 390 px: the sign-in link
leads back to the page the person asked for; a refused form answers 303 and reloading or going
Back never sends it again; the second stage is saved as a draft; after applying, the candidate
changes their availability and hides from councils, and matching's pool follows (through the
real broker)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID, uuid4

import pytest
import pytest_asyncio
from rtw_platform.testing.browser import RunningPlatform, check_error_summary, check_page
from rtw_platform.testing.waiting import eventually
from sqlalchemy import text

from .test_candidate_journey import sign_in_link_for, submit, submitted_by_api

pytestmark = pytest.mark.browser

WIDTHS = {"desktop": 1024, "phone": 390}


@pytest_asyncio.fixture(params=list(WIDTHS))
async def sized(request: pytest.FixtureRequest, browser: Any) -> AsyncIterator[tuple[str, Any]]:
    """A fresh page at desktop width and at a phone's 390 px."""
    name = str(request.param)
    context = await browser.new_context(viewport={"width": WIDTHS[name], "height": 844}, locale="en-GB")
    opened = await context.new_page()
    opened.set_default_timeout(15_000)
    try:
        yield name, opened
    finally:
        await context.close()


def posts_answered(page: Any) -> list[int]:
    """The statuses of the form posts the page makes from now on."""
    statuses: list[int] = []
    page.on("response", lambda r: statuses.append(r.status) if r.request.method == "POST" else None)
    return statuses


async def application_id_of(platform: RunningPlatform, reference: str) -> UUID:
    async with platform.runtimes["applications"].engine.connect() as conn:
        found = await conn.execute(
            text("SELECT id FROM applications.applications WHERE reference = :r"), {"r": reference}
        )
        return UUID(str(found.scalar_one()))


async def signed_in_for(page: Any, platform: RunningPlatform, email: str, wanted: str, name: str) -> None:
    """Open `wanted` signed out, ask for a link there, and follow it: it leads back to `wanted`."""
    await page.goto(platform.url(wanted))
    assert "/applications/account/sign-in" in page.url
    await check_page(page, f"{name}-sign-in-for-a-page")
    await page.get_by_label("E-mail address").fill(email)
    await submit(page, "Send me a link")
    await page.goto(await sign_in_link_for(platform, email))
    await submit(page, "Continue")
    assert page.url == platform.url(wanted)


async def test_preferences_after_applying_with_no_resubmission_and_the_pool_following(
    platform: RunningPlatform, sized: tuple[str, Any]
) -> None:
    width, page = sized
    email = f"prefs.{uuid4().hex[:10]}@example.org"
    reference = await submitted_by_api(platform, email)
    application_id = await application_id_of(platform, reference)
    wanted = f"/applications/my/applications/{application_id}/preferences"
    await signed_in_for(page, platform, email, wanted, f"preferences-{width}")
    await check_page(page, f"preferences-{width}")

    answered = posts_answered(page)
    await page.get_by_label("How far could you travel to work each day?").fill("far")
    await submit(page, "Save changes")
    assert answered == [303]  # was a page in answer to the POST
    await check_error_summary(
        page,
        f"preferences-errors-{width}",
        ["whole number of miles"],
        "whole number of miles",
        "travel",
    )
    assert await page.get_by_label("How far could you travel to work each day?").input_value() == "far"
    reloaded = await page.reload()
    assert reloaded.request.method == "GET"  # nothing is sent again
    assert answered == [303]
    await page.go_back()
    assert answered == [303]

    await page.goto(platform.url(wanted))
    await page.get_by_label("How far could you travel to work each day?").fill("28")  # miles: 45 km
    await page.get_by_label("No, no council may find me for now").check()
    await submit(page, "Save changes")
    assert "Your changes are saved" in await page.locator(".govuk-notification-banner").inner_text()
    await check_page(page, f"preferences-saved-{width}")

    async def hidden_in_the_pool() -> bool | None:
        async with platform.runtimes["matching"].engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT max_travel_km, visible_regions, visible_councils FROM matching.candidate_profiles"
                        " WHERE application_id = :a"
                    ),
                    {"a": application_id},
                )
            ).first()
        return (
            True
            if row and row.max_travel_km == 45 and not row.visible_regions and not row.visible_councils
            else None
        )

    await eventually(hidden_in_the_pool, timeout=30, what="matching's pool entry hidden from every council")


async def test_the_second_stage_saved_as_a_draft_and_sent_later(
    platform: RunningPlatform, sized: tuple[str, Any]
) -> None:
    width, page = sized
    email = f"draft.{uuid4().hex[:10]}@example.org"
    reference = await submitted_by_api(platform, email)
    application_id = await application_id_of(platform, reference)
    async with platform.runtimes["applications"].engine.begin() as conn:
        await conn.execute(
            text(
                "UPDATE applications.applications SET shortlisted_at = now(), status = 'shortlisted'"
                " WHERE id = :a"
            ),
            {"a": application_id},
        )
    wanted = f"/applications/my/applications/{application_id}/second-stage"
    await signed_in_for(page, platform, email, wanted, f"second-stage-{width}")
    await check_page(page, f"second-stage-{width}")

    answered = posts_answered(page)
    first = page.locator("textarea").first
    await first.fill("I rebuilt the repairs booking service for tenants.")
    await submit(page, "Save and come back later")
    assert answered == [303]
    assert "Your answers are saved" in await page.locator(".govuk-notification-banner").inner_text()
    await check_page(page, f"second-stage-saved-{width}")

    await page.goto(platform.url("/applications/my"))
    await page.goto(platform.url(wanted))
    assert (
        await page.locator("textarea").first.input_value()
        == "I rebuilt the repairs booking service for tenants."
    )

    await submit(page, "Send second stage")  # two answers and the video missing
    assert answered == [303, 303]
    assert "Error: " in await page.title()
    assert (
        await page.locator("textarea").first.input_value()
        == "I rebuilt the repairs booking service for tenants."
    )
    reloaded = await page.reload()
    assert reloaded.request.method == "GET"
    assert answered == [303, 303]
