"""The limits on e-mailed sign-in links: per address and per client, through the API and the pages,
shared by every replica on the same database, and the same whether or not the address is known.

In-memory broker and real PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_applications.app import SERVICE
from rtw_applications.models import RateLimitWindow
from rtw_applications.testing import submitted_application
from rtw_platform.errors import TooManyRequests
from rtw_platform.rate_limits import Limit, count_request
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from sqlalchemy import text

pytestmark = pytest.mark.component

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
TIGHT = {"link_limit_per_address": 3, "link_limit_per_client": 100, "relay_enabled": False}


def client_of(runtime: ServiceRuntime, ip: str = "192.0.2.10") -> httpx.AsyncClient:
    """An HTTP client calling the app from `ip` (the ASGI scope's client; no traffic leaves)."""
    transport = httpx.ASGITransport(app=app_for(runtime), client=(ip, 50000))
    return httpx.AsyncClient(transport=transport, base_url="http://applications")


@pytest_asyncio.fixture
async def start(
    start_service: Callable[..., Any], open_cohorts: dict[str, str]
) -> AsyncIterator[Callable[..., Any]]:
    """`await start(**settings)`: the applications service (in-memory broker)."""
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


async def links_sent(runtime: ServiceRuntime) -> int:
    async with runtime.uow_factory() as uow:
        result = await uow.session.execute(
            text("SELECT count(*) FROM applications.outbox WHERE routing_key LIKE '%sign_in%'")
        )
        return int(result.scalar_one())


def assert_refused(response: httpx.Response, *, longest_wait: int) -> None:
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= longest_wait
    assert "Wait" in response.json()["detail"]


async def test_an_address_gets_only_so_many_links_then_429_with_retry_after(
    start: Callable[..., Any], make_application: Callable[..., dict[str, Any]]
) -> None:
    runtime = await start(**TIGHT)
    async with client_of(runtime) as client:
        secret = runtime.settings.token_secret.get_secret_value()
        await submitted_application(client, secret, make_application(email="known@example.org"))
        answers = [await client.post("/sign-in", json={"email": "Known@Example.org"}) for _ in range(4)]
        other = await client.post("/sign-in", json={"email": "someone.else@example.org"})

    assert [a.status_code for a in answers[:3]] == [202, 202, 202]
    assert_refused(answers[3], longest_wait=3600)
    assert await links_sent(runtime) == 3  # the fourth request sent nothing
    assert other.status_code == 202  # another address is not held up


async def test_the_limit_answers_the_same_for_a_known_and_an_unknown_address(
    start: Callable[..., Any], make_application: Callable[..., dict[str, Any]]
) -> None:
    runtime = await start(**TIGHT)
    async with client_of(runtime) as client:
        secret = runtime.settings.token_secret.get_secret_value()
        await submitted_application(client, secret, make_application(email="k@example.org"))
        known = [await client.post("/sign-in", json={"email": "k@example.org"}) for _ in range(4)]
        unknown = [await client.post("/sign-in", json={"email": "nobody@example.org"}) for _ in range(4)]

    assert [r.status_code for r in known] == [r.status_code for r in unknown] == [202, 202, 202, 429]
    assert known[0].json() == unknown[0].json()
    assert known[3].json() == unknown[3].json()


async def test_a_client_asking_for_many_addresses_is_held_up_and_another_client_is_not(
    start: Callable[..., Any],
) -> None:
    runtime = await start(link_limit_per_address=100, link_limit_per_client=3, relay_enabled=False)
    async with client_of(runtime, "192.0.2.10") as flooder, client_of(runtime, "192.0.2.99") as other:
        answers = [await flooder.post("/sign-in", json={"email": f"victim{i}@example.org"}) for i in range(4)]
        elsewhere = await other.post("/sign-in", json={"email": "victim9@example.org"})

    assert [a.status_code for a in answers[:3]] == [202, 202, 202]
    assert_refused(answers[3], longest_wait=600)
    assert elsewhere.status_code == 202


async def test_starting_drafts_for_one_address_counts_as_links(
    start: Callable[..., Any],
) -> None:
    runtime = await start(**TIGHT)
    draft = {"cohort_id": "ict-test", "email": "dana@example.org", "given_name": "Dana", "family_name": "Lee"}
    async with client_of(runtime) as client:
        answers = [await client.post("/applications/drafts", json=draft) for _ in range(4)]

    assert [a.status_code for a in answers[:3]] == [202, 202, 202]
    assert_refused(answers[3], longest_wait=3600)
    assert await links_sent(runtime) == 3


async def test_the_counters_are_shared_by_every_replica_on_the_database(start: Callable[..., Any]) -> None:
    first, second = await start(**TIGHT), await start(**TIGHT)
    async with client_of(first) as one, client_of(second) as two:
        answers = [
            await one.post("/sign-in", json={"email": "shared@example.org"}),
            await two.post("/sign-in", json={"email": "shared@example.org"}),
            await one.post("/sign-in", json={"email": "shared@example.org"}),
            await two.post("/sign-in", json={"email": "shared@example.org"}),
        ]

    assert [a.status_code for a in answers] == [202, 202, 202, 429]


async def test_the_sign_in_page_says_how_long_to_wait(start: Callable[..., Any]) -> None:
    runtime = await start(**TIGHT)
    async with client_of(runtime) as browser:
        answers = []
        for _ in range(4):
            form = await browser.get("/account/sign-in")
            token = CSRF.search(form.text)
            assert token
            answers.append(
                await browser.post(
                    "/account/sign-in", data={"email": "page@example.org", "csrf_token": token.group(1)}
                )
            )

    assert [a.status_code for a in answers[:3]] == [303, 303, 303]
    refused = answers[3]
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("text/html")
    assert 1 <= int(refused.headers["retry-after"]) <= 3600
    assert "You have asked too many times" in refused.text
    assert re.search(r"Wait \d+ minutes? before asking again", refused.text)


async def test_the_apply_page_is_limited_for_a_known_address(start: Callable[..., Any]) -> None:
    runtime = await start(**TIGHT)
    answers = []
    for _ in range(4):
        # A new browser each time: the first start signs that browser in.
        async with client_of(runtime) as browser:
            form = await browser.get("/apply/ict-test")
            token = CSRF.search(form.text)
            assert token
            fields = {"email": "again@example.org", "given_name": "Ann", "family_name": "Ash"}
            answers.append(
                await browser.post("/apply/ict-test", data={**fields, "csrf_token": token.group(1)})
            )

    assert [a.status_code for a in answers[:3]] == [303, 303, 303]
    assert answers[3].status_code == 429
    assert "Wait" in answers[3].text


async def test_only_hashes_are_kept_and_old_windows_are_deleted(start: Callable[..., Any]) -> None:
    runtime = await start(**TIGHT)
    secret = runtime.settings.token_secret.get_secret_value()
    hour = Limit("link-address", 1, timedelta(hours=1))
    long_ago = datetime(2020, 1, 1, 10, 30, tzinfo=UTC)
    async with runtime.uow_factory() as uow:
        await count_request(uow, RateLimitWindow, [(hour, "old@example.org")], secret=secret, now=long_ago)
    async with runtime.uow_factory() as uow:
        with pytest.raises(TooManyRequests) as refused:
            await count_request(
                uow,
                RateLimitWindow,
                [(hour, "old@example.org")],
                secret=secret,
                now=long_ago + timedelta(minutes=10),
            )
    assert refused.value.retry_after == 20 * 60  # the hour's window ends at 11:00
    async with runtime.uow_factory() as uow:
        await count_request(uow, RateLimitWindow, [(hour, "new@example.org")], secret=secret)
        rows = (
            await uow.session.execute(text("SELECT key, hits FROM applications.rate_limit_windows"))
        ).all()

    assert len(rows) == 1  # the 2020 window was deleted when the new one was written
    assert "@" not in rows[0].key
    assert len(rows[0].key) == 64
