"""Every answer of every service carries the security headers (Content-Security-Policy with
frame-ancestors 'none', nosniff, Referrer-Policy, X-Frame-Options): its pages, its API, its errors,
its health checks and its assets. A route added tomorrow is checked too."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from rtw_platform.http import create_app
from rtw_platform.registry import installed_services
from rtw_platform.security_headers import API_DOCS_POLICY, PAGE_POLICY
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.routes import service_routes

pytestmark = pytest.mark.contracts

ROUTES = service_routes(pages=True) + service_routes(pages=False)
PLATFORM_PATHS = [
    ("GET", "/health/live"),
    ("GET", "/asyncapi.json"),
    ("GET", "/openapi.json"),
    ("GET", "/health/consuming"),
    ("GET", "/static/api-docs/swagger-ui-bundle.js"),
    ("GET", "/static/rtw.css"),
    ("GET", "/static/rtw-init.js"),
    ("GET", "/no-such-page"),
]
EXPECTED = {
    "content-security-policy": PAGE_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


@pytest_asyncio.fixture
async def clients() -> AsyncIterator[dict[str, httpx.AsyncClient]]:
    """Each service's app in process, with no database behind it (answers that need one are 500s
    or 503s, which must carry the headers as much as any)."""
    opened: dict[str, httpx.AsyncClient] = {}
    runtimes = []
    for name, definition in installed_services().items():
        settings = definition.settings(database_url=SecretStr("postgresql+asyncpg://nobody@127.0.0.1:1/none"))
        runtime = ServiceRuntime(definition, settings)
        runtimes.append(runtime)
        app = create_app(definition, settings, runtime=runtime, configure_logs=False)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        opened[name] = httpx.AsyncClient(transport=transport, base_url="http://service")
    yield opened
    for client in opened.values():
        await client.aclose()
    for runtime in runtimes:
        await runtime.engine.dispose()


def _check(response: httpx.Response, what: str, expected: dict[str, Any] = EXPECTED) -> None:
    for name, value in expected.items():
        assert response.headers.get(name) == value, f"{what} answered {response.status_code} without {name}"


async def test_every_route_of_every_service_answers_with_the_security_headers(
    clients: dict[str, httpx.AsyncClient],
) -> None:
    assert {service for service, _, _ in ROUTES} == set(installed_services())
    statuses = set()
    for service, method, path in ROUTES:
        concrete = re.sub(r"\{[^}]+\}", str(uuid4()), path)
        kwargs: dict[str, Any] = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
        response = await clients[service].request(method, concrete, **kwargs)
        statuses.add(response.status_code)
        _check(response, f"{service}: {method} {path}")
    # Pages, redirects to sign in, refusals and failures were all among them.
    assert {303, 401} <= statuses
    assert statuses & {400, 422}
    assert statuses & {500, 503}


@pytest.mark.parametrize(("method", "path"), PLATFORM_PATHS)
async def test_the_platform_routes_of_every_service_answer_with_them(
    clients: dict[str, httpx.AsyncClient], method: str, path: str
) -> None:
    for service, client in clients.items():
        _check(await client.request(method, path), f"{service}: {method} {path}")


async def test_the_api_documentation_has_its_own_policy(clients: dict[str, httpx.AsyncClient]) -> None:
    for service, client in clients.items():
        _check(
            await client.get("/docs"),
            f"{service}: /docs",
            {**EXPECTED, "content-security-policy": API_DOCS_POLICY},
        )
