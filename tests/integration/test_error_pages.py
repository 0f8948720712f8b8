"""Every service answers a browser's errors with a page in the pages' design (a heading, what to
do, a link onwards), while its JSON API keeps answering JSON: an address nobody serves, an unknown
id in a page's address, a malformed id, a page opened with the wrong method."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import pytest
from rtw_applications.app import SERVICE as APPLICATIONS
from rtw_assessment.app import SERVICE as ASSESSMENT
from rtw_matching.app import SERVICE as MATCHING
from rtw_notifications.app import SERVICE as NOTIFICATIONS
from rtw_platform.auth import Principal, Role, issue_session_token
from rtw_platform.service import ServiceDefinition
from rtw_platform.testing.fixtures import app_for
from rtw_training.app import SERVICE as TRAINING

pytestmark = pytest.mark.integration

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
API = {"accept": "application/json"}


@dataclass(frozen=True)
class Case:
    definition: ServiceDefinition
    principal: Principal
    unknown_id: str
    """A page of something that does not exist (a well-formed id)."""
    malformed_id: str
    """The same page with an id that cannot be one."""
    home: str
    """Where the signed-in person's 404 page sends them."""
    post_only: str
    """A page address that takes only forms (POST)."""


CASES = {
    "applications": Case(
        APPLICATIONS,
        Principal(subject=str(uuid4()), role=Role.CANDIDATE),
        f"/my/applications/{uuid4()}",
        "/application/not-an-id",
        "/applications/my",
        "/account/sign-out",
    ),
    "assessment": Case(
        ASSESSMENT,
        Principal(subject="assessor-1", role=Role.ASSESSOR),
        f"/queue/{uuid4()}",
        "/queue/not-an-id",
        "/assessment/queue",
        "/account/sign-out",
    ),
    "training": Case(
        TRAINING,
        Principal(subject="admin-1", role=Role.ADMIN),
        "/admin/providers/no-such-provider",  # (an unknown certificate number has its own lookup page)
        "/provider/learners/not-an-id",
        "/assessment/admin",
        "/account/sign-out",
    ),
    "matching": Case(
        MATCHING,
        Principal(subject="recruiter-1", role=Role.RECRUITER, council_id=str(uuid4())),
        f"/council/vacancies/{uuid4()}",
        "/council/vacancies/not-an-id",
        "/matching/council",
        "/account/sign-out",
    ),
    "notifications": Case(
        NOTIFICATIONS,
        Principal(subject="admin-1", role=Role.ADMIN),
        "/admin/dead-letters/no-such-queue",
        "/admin/dead-letters/no-such-queue/no-such-action",
        "/assessment/admin",
        "/account/sign-out",
    ),
}


def assert_styled_404(page: httpx.Response, onward: str) -> None:
    assert page.status_code == 404, page.text[:300]
    assert page.headers["content-type"].startswith("text/html"), page.text[:300]
    assert "rtw.css" in page.text  # the pages' own frame, not a bare body
    main = page.text.split("<main", 1)[1].split("</main>", 1)[0]
    assert re.search(r"<h1[^>]*>\s*Page not found", main), main
    assert f'href="{onward}"' in main, main
    assert '"detail"' not in page.text


@pytest.mark.parametrize("name", list(CASES))
async def test_every_service_answers_a_browsers_errors_with_a_page_and_the_api_with_json(
    name: str, start_service: Callable[..., Any]
) -> None:
    case = CASES[name]
    runtime = await start_service(case.definition, in_memory_broker=True, relay_enabled=False)
    transport = httpx.ASGITransport(app=app_for(runtime))
    async with httpx.AsyncClient(transport=transport, base_url=f"http://{name}") as client:
        # An address nobody serves, signed out: the start page is the way on.
        assert_styled_404(await client.get("/no-such-page", headers=BROWSER), "/applications/")

        # The JSON API (and a caller that does not ask for HTML) still gets JSON.
        for headers in (API, {}):
            answer = await client.get("/no-such-page", headers=headers)
            assert answer.status_code == 404
            assert answer.json() == {"detail": "Not Found"}

        # A page's address opened with the wrong method is a page, not JSON.
        wrong_method = await client.get(case.post_only, headers=BROWSER)
        assert wrong_method.status_code == 405
        assert "This page cannot be used that way" in wrong_method.text
        assert "rtw.css" in wrong_method.text

        # Signed in: an unknown id and a malformed one are both a styled 404 with a way home.
        secret = runtime.settings.token_secret.get_secret_value()
        client.cookies.set("rtw_session", issue_session_token(secret, case.principal))
        assert_styled_404(await client.get(case.unknown_id, headers=BROWSER), case.home)
        assert_styled_404(await client.get(case.malformed_id, headers=BROWSER), case.home)
        assert_styled_404(await client.get("/no-such-page", headers=BROWSER), case.home)
