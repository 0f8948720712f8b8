"""Signing out on one service ends the session in every service, over the real broker, and a
restarted service still refuses it: the cookie is shared by all of them behind the entry proxy."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_assessment.app import SERVICE as ASSESSMENT
from rtw_matching.app import SERVICE as MATCHING
from rtw_notifications.app import SERVICE as NOTIFICATIONS
from rtw_platform.auth import Principal, Role, sign_in_link, verify_session_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.waiting import eventually
from rtw_training.app import SERVICE as TRAINING

pytestmark = pytest.mark.integration

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def client(runtime: ServiceRuntime, cookie: str | None = None) -> httpx.AsyncClient:
    """A browser on one service, holding the session cookie given (if any)."""
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(runtime)),
        base_url=f"http://{runtime.definition.name}",
        cookies={"rtw_session": cookie} if cookie else None,
    )


async def post_form(browser: httpx.AsyncClient, page: str, path: str) -> httpx.Response:
    shown = await browser.get(page)
    found = CSRF.search(shown.text)
    assert found, f"no form on {page}: {shown.status_code}"
    return await browser.post(path, data={"csrf_token": found.group(1)})


async def sign_in(applications: ServiceRuntime, browser: httpx.AsyncClient, candidate_id: UUID) -> str:
    """Sign in with an e-mailed link, as a person does; the session cookie it set."""
    secret = applications.settings.token_secret.get_secret_value()
    link = sign_in_link(secret, Principal(str(candidate_id), Role.CANDIDATE), "http://entry")
    path = link.removeprefix("http://entry/applications")
    signed_in = await post_form(browser, path, path)
    assert signed_in.status_code == 303, signed_in.text
    return browser.cookies["rtw_session"]


async def page_opens(runtime: ServiceRuntime, path: str, cookie: str) -> bool:
    """Whether a browser holding only this cookie is let into the private page (else it is sent
    to sign in)."""
    async with client(runtime, cookie) as browser:
        response = await browser.get(path)
    assert response.status_code in (200, 303), f"{path}: {response.status_code}"
    if response.status_code == 303:
        assert "sign-in" in response.headers["location"]
    return response.status_code == 200


async def test_signing_out_at_applications_ends_the_session_in_every_service_and_after_restarts(
    start_service: Callable[..., Any],
) -> None:
    applications = await start_service(APPLICATIONS)
    training = await start_service(TRAINING)
    matching = await start_service(MATCHING)
    others = [training, matching, await start_service(ASSESSMENT), await start_service(NOTIFICATIONS)]
    private_pages = [(applications, "/my"), (training, "/my"), (matching, "/my/interest")]

    async with client(applications) as browser:
        cookie = await sign_in(applications, browser, uuid4())
        for runtime, path in private_pages:
            assert await page_opens(runtime, path, cookie), f"{runtime.definition.name}{path}"

        signed_out = await post_form(browser, "/my", "/account/sign-out")
        assert signed_out.status_code == 303
    session_id = verify_session_token(applications.settings.token_secret.get_secret_value(), cookie).id

    # Where the person signed out: refused at once.
    assert not await page_opens(applications, "/my", cookie)

    # Everywhere else: as soon as SessionEnded arrived (about a second).
    async def refused_everywhere() -> bool:
        return all(not runtime.sessions.revoked.admits(session_id) for runtime in others)

    await eventually(refused_everywhere, timeout=10, what="every service to refuse the ended session")
    for runtime, path in private_pages:
        assert not await page_opens(runtime, path, cookie), f"{runtime.definition.name}{path}"

    # A restarted service remembers (read from its own table, not from the broker again).
    await training.stop()
    await applications.stop()
    restarted_training = await start_service(TRAINING)
    restarted_applications = await start_service(APPLICATIONS)
    assert not await page_opens(restarted_training, "/my", cookie)
    assert not await page_opens(restarted_applications, "/my", cookie)

    # Somebody else signed in meanwhile is not affected.
    async with client(restarted_applications) as other_browser:
        other = await sign_in(restarted_applications, other_browser, uuid4())
    assert await page_opens(restarted_training, "/my", other)
