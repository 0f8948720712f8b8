"""Every HTTP route needs a token unless it is on the public list below: a new route that forgets
its authentication fails this test."""

from __future__ import annotations

import re
from uuid import uuid4

import httpx
import pytest
from rtw_platform.http import create_app
from rtw_platform.registry import installed_services
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.routes import service_routes

pytestmark = pytest.mark.contracts

#: Routes anyone may call, and why.
PUBLIC = {
    ("*", "GET", "/health/live"),  # orchestrators
    ("*", "GET", "/health/ready"),
    ("*", "GET", "/health/consuming"),
    ("*", "GET", "/asyncapi.json"),  # other teams read the event contract
    ("applications", "GET", "/cohorts"),  # the front door: which cohorts are open
    ("applications", "POST", "/applications/drafts"),  # starting an application
    ("applications", "POST", "/applications"),  # a whole application (no account yet)
    ("applications", "POST", "/sign-in"),  # asking for a sign-in link
    ("applications", "POST", "/sign-in/token"),  # using the link
    ("matching", "POST", "/councils"),  # a council signs up
    ("matching", "POST", "/recruiters/sign-in/token"),  # a recruiter uses the invitation
    ("training", "GET", "/certificates/public-key"),  # anyone checks a certificate
    ("training", "POST", "/certificates/verify"),
    ("training", "GET", "/certificates/{certificate_id}.pdf"),
    ("training", "GET", "/certificates/{certificate_id}.json"),
    ("training", "POST", "/lms/moodle/{provider_id}"),  # signed with the provider's HMAC secret
    ("notifications", "GET", "/unsubscribe/{token}"),  # signed link in the e-mail
    ("notifications", "POST", "/notify/receipts"),  # GOV.UK Notify, with the callback bearer token
}


def _is_public(name: str, method: str, path: str) -> bool:
    return (name, method, path) in PUBLIC or ("*", method, path) in PUBLIC


ROUTES = service_routes(pages=False)
PROTECTED = [r for r in ROUTES if not _is_public(*r)]


def test_the_public_list_names_only_routes_that_exist() -> None:
    existing = {(m, p) for _, m, p in ROUTES}
    for service, method, path in PUBLIC:
        assert (method, path) in existing, f"{service} {method} {path} is listed as public but does not exist"


@pytest.mark.parametrize(
    ("service", "method", "path"), PROTECTED, ids=[f"{s}:{m}:{p}" for s, m, p in PROTECTED]
)
async def test_a_protected_route_refuses_a_caller_without_a_token(
    service: str, method: str, path: str
) -> None:
    definition = installed_services()[service]
    runtime = ServiceRuntime(definition, definition.settings())
    app = create_app(definition, runtime.settings, runtime=runtime, configure_logs=False)
    concrete = re.sub(r"\{[^}]+\}", str(uuid4()), path)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
        response = await client.request(method, concrete, json={})
    assert response.status_code == 401, f"{method} {path} answered {response.status_code} without a token"
    assert response.headers.get("www-authenticate", "").startswith("Bearer")
    await runtime.engine.dispose()


def test_metrics_stay_out_of_the_api_schema() -> None:
    # /metrics is public for Prometheus inside the cluster; the proxy does not route it.
    assert all(path != "/metrics" for _, _, path in ROUTES)
