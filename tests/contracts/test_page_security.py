"""Every page for people needs a signed-in session unless it is on the public list below, and every
form needs its CSRF token: a new page that forgets either fails this test."""

from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

import httpx
import pytest
from rtw_platform.http import create_app
from rtw_platform.registry import installed_services
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.routes import service_routes

pytestmark = pytest.mark.contracts

#: Pages anyone may open, and why.
PUBLIC_PAGES = {
    ("*", "POST", "/account/sign-out"),  # anyone may sign out (the form still needs its CSRF token)
    ("applications", "GET", "/"),  # the start page
    ("applications", "GET", "/account/sign-in"),  # asking for a sign-in link
    ("applications", "POST", "/account/sign-in"),
    ("applications", "GET", "/account/check-your-email"),
    ("applications", "GET", "/account/staff-sign-in"),
    ("applications", "GET", "/account/signed-out"),
    ("applications", "GET", "/sign-in/{token}"),  # the e-mailed link
    ("applications", "POST", "/sign-in/{token}"),
    ("applications", "GET", "/apply/{cohort_id}"),  # starting an application (no account yet)
    ("applications", "POST", "/apply/{cohort_id}"),
    ("applications", "GET", "/apply/{cohort_id}/check-your-email"),  # a known address got a link
    ("applications", "GET", "/privacy-notice"),  # read before applying
    ("applications", "GET", "/my/data/erased"),  # after erasure the session has ended
    ("matching", "GET", "/councils/sign-up"),  # a council signs up
    ("matching", "POST", "/councils/sign-up"),
    ("matching", "GET", "/councils/check-your-email"),
    ("matching", "GET", "/recruiters/sign-in"),  # how recruiters sign in
    ("matching", "GET", "/recruiters/sign-in/{token}"),  # the invitation link
    ("matching", "POST", "/recruiters/sign-in"),  # the invitation's token, posted
    ("matching", "POST", "/recruiters/new-link"),  # asking for a new link (same answer for anyone)
    ("matching", "GET", "/recruiters/link-sent"),
}


def _is_public(name: str, method: str, path: str) -> bool:
    return (name, method, path) in PUBLIC_PAGES or ("*", method, path) in PUBLIC_PAGES


PAGES = service_routes(pages=True)
PRIVATE = [p for p in PAGES if not _is_public(*p)]
FORMS = [p for p in PAGES if p[1] == "POST"]


def test_every_service_has_pages_and_the_public_list_names_only_pages_that_exist() -> None:
    assert {name for name, _, _ in PAGES} == set(installed_services())
    existing = {(name, m, p) for name, m, p in PAGES} | {("*", m, p) for _, m, p in PAGES}
    for page in PUBLIC_PAGES:
        assert page in existing, f"{page} is listed as public but does not exist"


async def _ask(
    service: str, method: str, path: str, cookies: dict[str, str] | None = None, **kwargs: Any
) -> httpx.Response:
    definition = installed_services()[service]
    runtime = ServiceRuntime(definition, definition.settings())
    app = create_app(definition, runtime.settings, runtime=runtime, configure_logs=False)
    concrete = re.sub(r"\{[^}]+\}", str(uuid4()), path)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://service", cookies=cookies
        ) as client:
            return await client.request(
                method, concrete, headers={"x-forwarded-prefix": f"/{service}"}, **kwargs
            )
    finally:
        await runtime.engine.dispose()


@pytest.mark.parametrize(("service", "method", "path"), PRIVATE, ids=[f"{s}:{m}:{p}" for s, m, p in PRIVATE])
async def test_a_private_page_sends_a_visitor_without_a_session_to_sign_in(
    service: str, method: str, path: str
) -> None:
    response = await _ask(service, method, path, data={})
    if method == "POST" and response.status_code == 400:
        assert "could not be sent" in response.text  # refused for want of a CSRF token first
        return
    assert response.status_code == 303, f"{method} {path} answered {response.status_code} without a session"
    assert "sign-in" in response.headers["location"]


@pytest.mark.parametrize(("service", "method", "path"), FORMS, ids=[f"{s}:{m}:{p}" for s, m, p in FORMS])
async def test_a_form_without_its_csrf_token_changes_nothing(service: str, method: str, path: str) -> None:
    response = await _ask(service, method, path, data={"csrf_token": "forged"}, cookies={"rtw_csrf": "real"})
    # Refused as forged, or (for a private page) sent to sign in first: never done.
    assert response.status_code in (303, 400), f"POST {path} answered {response.status_code}"
    if response.status_code == 303:
        assert "sign-in" in response.headers["location"]
