"""After applying, a candidate changes their availability, travel and who may see them (once a
409): the answers are kept and matching hears of it through the outbox."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_applications.app import SERVICE
from rtw_applications.testing import submitted_application
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from sqlalchemy import text

pytestmark = pytest.mark.component

NEW = {
    "flexible_working": ["part_time"],
    "max_travel_km": 55,
    "visible_to_regions": ["east_midlands"],
    "visible_to_councils": [],
    "earliest_start": "2027-09-01",
}
HIDDEN = {**NEW, "visible_to_regions": [], "visible_to_councils": []}


@pytest_asyncio.fixture
async def service(
    start_service: Callable[..., Any], open_cohorts: dict[str, str], tmp_path: Path
) -> ServiceRuntime:
    runtime: ServiceRuntime = await start_service(
        SERVICE, in_memory_broker=True, relay_enabled=False, file_store_url=f"file://{tmp_path}"
    )
    return runtime


@pytest_asyncio.fixture
async def client(service: ServiceRuntime) -> AsyncIterator[httpx.AsyncClient]:
    async with TestRabbitBroker(service.broker):
        transport = httpx.ASGITransport(app=app_for(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://applications") as http:
            yield http


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def changes_announced(service: ServiceRuntime) -> list[dict[str, Any]]:
    async with service.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT payload FROM applications.outbox"
                " WHERE event_type = 'CandidatePreferencesChanged' ORDER BY id"
            )
        )
        return [row.payload for row in rows]


async def test_a_candidate_changes_preferences_after_applying_and_matching_is_told(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    secret = service.settings.token_secret.get_secret_value()
    receipt = await submitted_application(client, secret, make_application())
    auth = bearer(receipt["access_token"])
    path = f"/applications/{receipt['application_id']}"

    changed = await client.patch(path, json={"work_preferences": NEW}, headers=auth)
    assert changed.status_code == 200, changed.text  # was 409: "already submitted"
    assert changed.json()["answers"]["work_preferences"]["max_travel_km"] == 55
    [event] = await changes_announced(service)
    assert event["application_id"] == receipt["application_id"]
    assert event["work_preferences"]["visible_to_regions"] == ["east_midlands"]
    assert event["work_preferences"]["earliest_start"] == "2027-09-01"

    # Hidden from every council: allowed after applying, announced in full, in order.
    hidden = await client.patch(path, json={"work_preferences": HIDDEN}, headers=auth)
    assert hidden.status_code == 200, hidden.text
    first, second = await changes_announced(service)
    assert second["work_preferences"]["visible_to_regions"] == []
    assert second["sequence"] > first["sequence"]

    # Other answers stay fixed once sent.
    renamed = await client.patch(path, json={"given_name": "Someone"}, headers=auth)
    assert renamed.status_code == 409


async def test_only_the_candidate_changes_them_and_not_once_withdrawn(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    secret = service.settings.token_secret.get_secret_value()
    receipt = await submitted_application(client, secret, make_application())
    path = f"/applications/{receipt['application_id']}"
    stranger = issue_token(
        secret, Principal(subject="00000000-0000-4000-8000-000000000001", role=Role.CANDIDATE)
    )
    refused = await client.patch(path, json={"work_preferences": NEW}, headers=bearer(stranger))
    assert refused.status_code == 404
    assert await changes_announced(service) == []

    auth = bearer(receipt["access_token"])
    withdrawn = await client.post(f"{path}/withdraw", json={"reason": "found_work"}, headers=auth)
    assert withdrawn.status_code < 300, withdrawn.text
    late = await client.patch(path, json={"work_preferences": NEW}, headers=auth)
    assert late.status_code == 409
    assert "withdrawn" in late.json()["detail"]
    assert await changes_announced(service) == []


async def test_concurrent_changes_number_the_application_uniquely_without_gaps_in_commit_order(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    """Eight changes of one application at once, each on its own session: their `sequence`s are
    the application's next eight numbers, each once, increasing in the order they committed (the
    outbox row's id), and the application's counter ends at the last."""
    secret = service.settings.token_secret.get_secret_value()
    receipt = await submitted_application(client, secret, make_application())
    auth = bearer(receipt["access_token"])
    path = f"/applications/{receipt['application_id']}"
    async with service.engine.connect() as conn:
        before = await conn.scalar(
            text("SELECT event_sequence FROM applications.applications WHERE id = :id"),
            {"id": receipt["application_id"]},
        )
    changes = [{**NEW, "max_travel_km": 10 + n} for n in range(8)]
    answers = await asyncio.gather(
        *(client.patch(path, json={"work_preferences": change}, headers=auth) for change in changes)
    )
    assert [answer.status_code for answer in answers] == [200] * 8, [a.text for a in answers]
    sequences = [event["sequence"] for event in await changes_announced(service)]
    assert sequences == list(range(before + 1, before + 9))
    async with service.engine.connect() as conn:
        after = await conn.scalar(
            text("SELECT event_sequence FROM applications.applications WHERE id = :id"),
            {"id": receipt["application_id"]},
        )
    assert after == before + 8
