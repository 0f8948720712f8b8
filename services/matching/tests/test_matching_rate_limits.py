"""The limits on e-mailed links in matching: council sign-ups (API and page) and invitations, per
address and per client, shared by every replica on the same database.

In-memory broker and real PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_matching.app import SERVICE
from rtw_platform import reference
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from sqlalchemy import text

pytestmark = pytest.mark.component

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TIGHT = {"link_limit_per_address": 2, "link_limit_per_client": 100, "relay_enabled": False}
GSS_CODES = sorted(reference.councils())[:6]


def client_of(runtime: ServiceRuntime, ip: str = "192.0.2.10") -> httpx.AsyncClient:
    """An HTTP client calling the app from `ip` (the ASGI scope's client; no traffic leaves)."""
    transport = httpx.ASGITransport(app=app_for(runtime), client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://matching")


@pytest_asyncio.fixture
async def start(start_service: Callable[..., Any]) -> AsyncIterator[Callable[..., Any]]:
    """`await start(**settings)`: the matching service (in-memory broker)."""
    brokers: list[TestRabbitBroker] = []

    async def started(**settings: Any) -> ServiceRuntime:
        runtime: ServiceRuntime = await start_service(SERVICE, in_memory_broker=True, **settings)
        broker = TestRabbitBroker(runtime.broker)
        await broker.__aenter__()
        brokers.append(broker)
        return runtime

    yield started
    for broker in reversed(brokers):
        await broker.__aexit__(None, None, None)


def sign_up(gss_code: str, email: str) -> dict[str, Any]:
    return {"gss_code": gss_code, "contact_name": "Morag Fairweather", "contact_email": email}


async def claims(runtime: ServiceRuntime) -> int:
    async with runtime.uow_factory() as uow:
        result = await uow.session.execute(text("SELECT count(*) FROM matching.council_claims"))
        return int(result.scalar_one())


async def invitations(runtime: ServiceRuntime) -> int:
    async with runtime.uow_factory() as uow:
        result = await uow.session.execute(
            text("SELECT count(*) FROM matching.outbox WHERE event_type = 'RecruiterInvited'")
        )
        return int(result.scalar_one())


def assert_refused(response: httpx.Response, *, longest_wait: int) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["retry-after"]) <= longest_wait
    assert "Wait" in response.json()["detail"]


async def test_one_contact_address_signs_up_only_so_many_councils(start: Callable[..., Any]) -> None:
    runtime = await start(**TIGHT)
    async with client_of(runtime) as client:
        answers = [
            await client.post("/councils", json=sign_up(gss, "hr@council.example")) for gss in GSS_CODES[:3]
        ]
        other = await client.post("/councils", json=sign_up(GSS_CODES[3], "someone.else@council.example"))

    assert [a.status_code for a in answers[:2]] == [201, 201]
    assert_refused(answers[2], longest_wait=3600)
    assert other.status_code == 201
    assert await claims(runtime) == 3  # the refused sign-up was not kept


async def test_one_client_signing_up_many_addresses_is_held_up_and_another_is_not(
    start: Callable[..., Any],
) -> None:
    runtime = await start(link_limit_per_address=100, link_limit_per_client=2, relay_enabled=False)
    async with client_of(runtime, "192.0.2.10") as flooder, client_of(runtime, "192.0.2.99") as other:
        answers = [
            await flooder.post("/councils", json=sign_up(gss, f"hr{i}@council.example"))
            for i, gss in enumerate(GSS_CODES[:3])
        ]
        elsewhere = await other.post("/councils", json=sign_up(GSS_CODES[4], "hr4@council.example"))

    assert [a.status_code for a in answers[:2]] == [201, 201]
    assert_refused(answers[2], longest_wait=600)
    assert elsewhere.status_code == 201


async def test_invitations_to_one_address_are_limited(start: Callable[..., Any]) -> None:
    runtime = await start(**TIGHT)
    secret = runtime.settings.token_secret.get_secret_value()
    admin = {"Authorization": f"Bearer {issue_token(secret, Principal('admin-1', Role.ADMIN))}"}
    async with client_of(runtime) as client:
        signed = await client.post("/councils", json=sign_up(GSS_CODES[0], "first@council.example"))
        council_id = signed.json()["council_id"]
        approved = await client.post(f"/council-claims/{signed.json()['claim_id']}/approve", headers=admin)
        assert approved.status_code == 200, approved.text
        answers = [
            await client.post(
                f"/councils/{council_id}/recruiters",
                json={"name": "Alex Jones", "email": "alex@council.example"},
                headers=admin,
            )
            for _ in range(3)
        ]

    assert [a.status_code for a in answers[:2]] == [201, 201]
    assert_refused(answers[2], longest_wait=3600)
    assert await invitations(runtime) == 3  # the contact's and two to Alex


async def test_the_counters_are_shared_by_every_replica_on_the_database(start: Callable[..., Any]) -> None:
    first, second = await start(**TIGHT), await start(**TIGHT)
    async with client_of(first) as one, client_of(second) as two:
        answers = [
            await one.post("/councils", json=sign_up(GSS_CODES[0], "shared@council.example")),
            await two.post("/councils", json=sign_up(GSS_CODES[1], "shared@council.example")),
            await one.post("/councils", json=sign_up(GSS_CODES[2], "shared@council.example")),
        ]

    assert [a.status_code for a in answers] == [201, 201, 429]


async def test_the_sign_up_page_says_how_long_to_wait(start: Callable[..., Any]) -> None:
    runtime = await start(**TIGHT)
    answers = []
    async with client_of(runtime) as browser:
        for gss in GSS_CODES[:3]:
            form = await browser.get("/councils/sign-up")
            token = CSRF.search(form.text)
            assert token
            fields = {**sign_up(gss, "page@council.example"), "csrf_token": token.group(1)}
            answers.append(await browser.post("/councils/sign-up", data=fields))

    assert [a.status_code for a in answers[:2]] == [303, 303]
    refused = answers[2]
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert "You have asked too many times" in refused.text
    assert re.search(r"Wait \d+ minutes? before asking again", refused.text)
