"""The dead-letter pages: only admins, only the platform's queues, and a broker that is away."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from rtw_notifications.app import SERVICE
from rtw_platform.auth import Principal, Role, issue_session_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for

pytestmark = pytest.mark.component


def browser(runtime: ServiceRuntime, principal: Principal | None) -> httpx.AsyncClient:
    """A client with the session cookie a signed-in browser would send."""
    cookies = {}
    if principal is not None:
        cookies["rtw_session"] = issue_session_token(
            runtime.settings.token_secret.get_secret_value(), principal
        )
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(runtime)), base_url="http://n", cookies=cookies
    )


async def test_only_admins_see_dead_letters_and_only_of_the_platforms_queues(
    start_service: Callable[..., Any],
) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True)
    async with browser(runtime, Principal("someone", Role.CANDIDATE)) as candidate:
        page = await candidate.get("/admin/dead-letters")
        assert page.status_code == 303
        assert page.headers["location"].startswith("/applications/account/staff-sign-in?next=")
    async with browser(runtime, Principal("admin-1", Role.ADMIN)) as admin:
        unknown = await admin.get("/admin/dead-letters/amq.rabbitmq.trace")
        assert unknown.status_code == 404
        assert "There is no queue called amq.rabbitmq.trace" in unknown.text


async def test_a_broker_that_is_away_is_said_on_the_page(start_service: Callable[..., Any]) -> None:
    runtime = await start_service(SERVICE, in_memory_broker=True, amqp_url="amqp://guest:guest@127.0.0.1:9/")
    async with browser(runtime, Principal("admin-1", Role.ADMIN)) as admin:
        page = await admin.get("/admin/dead-letters")
    assert page.status_code == 503
    assert "The message broker cannot be reached" in page.text
    assert "guest:guest" not in page.text
