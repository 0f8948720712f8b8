"""A cohort's window and life as applications keeps them: every change of a window is told to the
other services (CohortScheduled), a cohort not yet open says when it opens, and once assessment
closes its selection (CohortSelectionClosed) nobody may start or send an application to it."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_applications.app import SERVICE
from rtw_applications.testing import bearer_for, insert_cohort, submitted_application
from rtw_contracts import CohortScheduled, CohortSelectionClosed, Programme, cohort_journey
from rtw_platform.auth import Principal, Role, issue_session_token
from rtw_platform.db import asyncpg_dsn
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.forms import refused
from rtw_platform.testing.waiting import eventually
from sqlalchemy import text

pytestmark = pytest.mark.component

TODAY = datetime.now(UTC).date()


@pytest_asyncio.fixture
async def runtime(
    start_service: Callable[..., Any], open_cohorts: dict[str, str]
) -> AsyncIterator[ServiceRuntime]:
    started: ServiceRuntime = await start_service(SERVICE, in_memory_broker=True, relay_enabled=False)
    async with TestRabbitBroker(started.broker):
        yield started


def client_of(runtime: ServiceRuntime, role: Role | None = None) -> httpx.AsyncClient:
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(runtime)), base_url="http://a")
    if role is not None:
        secret = runtime.settings.token_secret.get_secret_value()
        client.cookies.set(
            "rtw_session", issue_session_token(secret, Principal(subject="admin-1", role=role))
        )
    return client


def admin(runtime: ServiceRuntime) -> dict[str, str]:
    return bearer_for(runtime.settings.token_secret.get_secret_value(), Role.ADMIN, "admin-1")


def window(cohort_id: str, opens: date, closes: date, title: str = "Return to ICT") -> dict[str, Any]:
    return {
        "id": cohort_id,
        "programme": "ict",
        "title": title,
        "opens_on": opens.isoformat(),
        "closes_on": closes.isoformat(),
        "video_required": False,
    }


async def scheduled_events(runtime: ServiceRuntime) -> list[CohortScheduled]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM applications.outbox WHERE event_type = 'CohortScheduled' ORDER BY id")
        )
        return [CohortScheduled.model_validate(row.payload) for row in rows]


async def test_creating_and_changing_a_window_tells_the_other_services_in_order(
    runtime: ServiceRuntime,
) -> None:
    async with client_of(runtime) as http:
        opens, closes = TODAY + timedelta(days=7), TODAY + timedelta(days=37)
        created = await http.put(
            "/cohorts/ict-life", json=window("ict-life", opens, closes), headers=admin(runtime)
        )
        assert created.status_code == 200, created.text
        changed = await http.put(
            "/cohorts/ict-life",
            json=window("ict-life", opens, closes, "Return to ICT, 2027"),
            headers=admin(runtime),
        )
        assert changed.status_code == 200, changed.text

    first, second = await scheduled_events(runtime)
    assert (first.sequence, second.sequence) == (1, 2)
    assert second.title == "Return to ICT, 2027"
    assert (second.cohort_id, second.programme, second.opens_on, second.closes_on) == (
        "ict-life",
        Programme.ICT,
        opens,
        closes,
    )
    assert second.video_required is False
    assert second.correlation_id == cohort_journey("ict-life")
    assert CohortScheduled.personal_fields() == ()


async def test_a_cohort_not_yet_open_says_when_it_opens_and_is_not_offered(runtime: ServiceRuntime) -> None:
    opens = TODAY + timedelta(days=7)
    async with client_of(runtime) as http:
        await http.put(
            "/cohorts/ict-soon",
            json=window("ict-soon", opens, opens + timedelta(days=30)),
            headers=admin(runtime),
        )
        start = await http.get("/")
        apply = await http.get("/apply/ict-soon")
    async with client_of(runtime, Role.ADMIN) as staff:
        windows = await staff.get("/admin/cohorts")

    assert "/apply/ict-soon" not in start.text
    assert f"Opens on {opens.day} {opens:%B %Y}" in windows.text
    row = windows.text.split("/admin/cohorts/ict-soon", 1)[1].split("</tr>", 1)[0]
    assert "Closed" not in row
    assert 'href="/assessment/admin/cohorts/ict-soon"' in windows.text
    assert apply.status_code == 409
    assert f"open on {opens.day} {opens:%B %Y}" in apply.text


async def test_an_application_after_the_window_is_refused_naming_the_window(
    runtime: ServiceRuntime, clean_database: str, make_application: Callable[..., dict[str, Any]]
) -> None:
    await insert_cohort(
        clean_database, "ict-past", "ict", TODAY - timedelta(days=40), TODAY - timedelta(days=1)
    )
    async with client_of(runtime) as http:
        refused = await http.post("/applications", json=make_application(cohort_id="ict-past"))
        page = await http.get("/apply/ict-past")

    assert refused.status_code == 409, refused.text
    closed = TODAY - timedelta(days=1)
    assert f"Applications for this cohort closed on {closed.day} {closed:%B %Y}" in refused.text
    assert page.status_code == 409
    assert f"closed on {closed.day} {closed:%B %Y}" in page.text


async def test_once_selection_closed_nobody_starts_or_sends_an_application_to_the_cohort(
    runtime: ServiceRuntime, open_cohorts: dict[str, str], make_application: Callable[..., dict[str, Any]]
) -> None:
    cohort_id = open_cohorts["ict"]
    secret = runtime.settings.token_secret.get_secret_value()
    async with client_of(runtime) as http:
        before = await http.get("/")
        assert f"/apply/{cohort_id}" in before.text
        await submitted_application(http, secret, make_application())  # still taken before

        closed = CohortSelectionClosed(
            correlation_id=cohort_journey(cohort_id),
            cohort_id=cohort_id,
            programme=Programme.ICT,
            closed_at=datetime.now(UTC),
        )
        await runtime.broker.publish(
            closed.model_dump(mode="json"),
            exchange=runtime.topology.events_exchange,
            routing_key=CohortSelectionClosed.ROUTING_KEY,
        )

        async def told() -> bool:
            return f"/apply/{cohort_id}" not in (await http.get("/")).text

        await eventually(told, what="the start page to stop offering the cohort")
        page = await http.get(f"/apply/{cohort_id}")
        api = await http.post("/applications", json=make_application())
        listed = (await http.get("/cohorts")).json()

    assert page.status_code == 409
    assert "Selection for this cohort closed on" in page.text
    assert api.status_code == 409
    assert "Selection for this cohort closed on" in api.text
    [shown] = [c for c in listed if c["id"] == cohort_id]
    assert shown["is_open"] is False
    assert shown["status"] == "Selection closed"


async def test_the_operator_announces_cohorts_created_before_the_event_existed(
    open_cohorts: dict[str, str], clean_database: str, tmp_path: Any
) -> None:
    env = {
        **os.environ,
        "RTW_DATABASE_URL": clean_database,
        "RTW_FILE_STORE_URL": f"file://{tmp_path}",
        "COLUMNS": "200",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "rtw_platform.cli",
        "applications",
        "announce-cohorts",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)

    assert process.returncode == 0, out.decode() + err.decode()
    assert f"{len(open_cohorts)} cohort(s) announced" in out.decode()
    conn = await asyncpg.connect(asyncpg_dsn(clean_database))
    try:
        rows = await conn.fetch(
            "SELECT payload::text AS payload FROM applications.outbox WHERE event_type = 'CohortScheduled'"
        )
    finally:
        await conn.close()
    announced = {CohortScheduled.model_validate_json(row["payload"]).cohort_id for row in rows}
    assert announced == set(open_cohorts.values())


async def test_a_reopened_selection_offers_the_cohort_again_until_it_closes_again(
    runtime: ServiceRuntime, open_cohorts: dict[str, str]
) -> None:
    from uuid import uuid4

    from rtw_contracts import AssessmentOutcome, SelectionReopened

    cohort_id = open_cohorts["ict"]
    closed_at = datetime.now(UTC) - timedelta(hours=1)

    async def tell(event: Any) -> None:
        await runtime.broker.publish(
            event.model_dump(mode="json"),
            exchange=runtime.topology.events_exchange,
            routing_key=event.ROUTING_KEY,
        )

    closed = CohortSelectionClosed(
        correlation_id=cohort_journey(cohort_id),
        cohort_id=cohort_id,
        programme=Programme.ICT,
        closed_at=closed_at,
    )
    await tell(closed)
    async with client_of(runtime) as http:

        async def status() -> str:
            [shown] = [c for c in (await http.get("/cohorts")).json() if c["id"] == cohort_id]
            return str(shown["status"])

        await eventually(lambda: _is(status, "Selection closed"), what="selection closed")
        application_id = uuid4()
        await tell(
            SelectionReopened(
                correlation_id=application_id,
                sequence=3,
                application_id=application_id,
                candidate_id=uuid4(),
                cohort_id=cohort_id,
                programme=Programme.ICT,
                withdrawn_outcome=AssessmentOutcome.SELECTED,
                selection_closed_at=closed_at,
                reopened_at=datetime.now(UTC),
            )
        )
        await eventually(lambda: _is(status, "Open"), what="the cohort offered again")
        assert f"/apply/{cohort_id}" in (await http.get("/")).text

        await tell(closed.model_copy(update={"event_id": uuid4(), "closed_at": datetime.now(UTC)}))
        await eventually(lambda: _is(status, "Selection closed"), what="selection closed again")


async def _is(read: Callable[[], Any], expected: str) -> bool:
    return bool(await read() == expected)


async def test_a_window_saved_twice_at_once_is_told_in_order_with_no_sequence_twice(
    runtime: ServiceRuntime,
) -> None:
    opens, closes = TODAY + timedelta(days=7), TODAY + timedelta(days=37)
    async with client_of(runtime) as http:
        answers = await asyncio.gather(
            *(
                http.put(
                    "/cohorts/ict-twice",
                    json=window("ict-twice", opens, closes, f"Return to ICT {n}"),
                    headers=admin(runtime),
                )
                for n in range(3)
            )
        )

    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    told = [e for e in await scheduled_events(runtime) if e.cohort_id == "ict-twice"]
    assert sorted(e.sequence or 0 for e in told) == [1, 2, 3]


async def test_concurrent_saves_and_announcements_number_a_cohort_uniquely_without_gaps_in_commit_order(
    runtime: ServiceRuntime,
) -> None:
    """Four saves of one cohort and four announcements of every cohort at once, each on its own
    session: the cohort's CohortScheduled revisions are its next eight numbers, each once,
    increasing in the order they committed (the outbox row's id), and its counter ends at the last."""
    from rtw_applications.api_models import CohortIn
    from rtw_applications.cohorts import announce_all, save_cohort

    async with runtime.uow_factory() as uow:
        first = await save_cohort(
            uow, CohortIn.model_validate(window("ict-busy", TODAY, TODAY + timedelta(days=30)))
        )
    before = first.revision

    async def save(n: int) -> None:
        change = window("ict-busy", TODAY, TODAY + timedelta(days=30), title=f"Return to ICT {n}")
        async with runtime.uow_factory() as uow:
            await save_cohort(uow, CohortIn.model_validate(change))

    async def announce() -> None:
        async with runtime.uow_factory() as uow:
            await announce_all(uow)

    await asyncio.gather(*(save(n) for n in range(4)), *(announce() for _ in range(4)))

    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT payload FROM applications.outbox WHERE event_type = 'CohortScheduled'"
                " AND payload->>'cohort_id' = 'ict-busy' ORDER BY id"
            )
        )
        revisions = [row.payload["sequence"] for row in rows]
        after = await conn.scalar(text("SELECT revision FROM applications.cohorts WHERE id = 'ict-busy'"))
    assert revisions == list(range(1, before + 9))
    assert after == before + 8
    async with runtime.engine.connect() as conn:  # the last announcement tells the saved window
        last = await conn.scalar(
            text(
                "SELECT payload->>'title' FROM applications.outbox WHERE event_type = 'CohortScheduled'"
                " AND payload->>'cohort_id' = 'ict-busy' ORDER BY id DESC LIMIT 1"
            )
        )
        title = await conn.scalar(text("SELECT title FROM applications.cohorts WHERE id = 'ict-busy'"))
    assert last == title


async def test_a_cohort_form_that_needs_correcting_goes_back_to_its_page_never_answering_the_post(
    runtime: ServiceRuntime,
) -> None:
    """Post/redirect/get (issue 19): a refused cohort form answers 303 back to the page it was on,
    which shows the problems and what was typed once; reload shows the form afresh."""
    csrf = re.compile(r'name="csrf_token" value="([^"]+)"')
    opens = TODAY + timedelta(days=7)
    async with client_of(runtime) as http:
        await http.put(
            "/cohorts/ict-prg",
            json=window("ict-prg", opens, opens + timedelta(days=30)),
            headers=admin(runtime),
        )
    async with client_of(runtime, Role.ADMIN) as staff:
        token = csrf.search((await staff.get("/admin/cohorts")).text)
        assert token is not None
        new = {
            "csrf_token": token.group(1),
            "id": "Not An Id",
            "programme": "ict",
            "title": "Typed title",
            "video_required": "yes",
            "opens-day": "1",
            "opens-month": "2",
            "opens-year": "2027",
            "closes-day": "1",
            "closes-month": "1",
            "closes-year": "2027",
        }
        shown = await refused(staff, "/admin/cohorts", new)
        assert "Enter a short name of 3 to 64 lower-case letters" in shown.text
        assert "The closing day must be on or after the opening day" in shown.text
        assert 'value="Typed title"' in shown.text
        assert "Typed title" not in (await staff.get("/admin/cohorts")).text  # shown once

        change = {**new, "id": "ict-prg", "existing": "yes", "title": ""}
        shown = await refused(staff, "/admin/cohorts", change, page="/admin/cohorts/ict-prg")
        assert "Enter the cohort&#39;s title" in shown.text or "Enter the cohort's title" in shown.text
        assert "The closing day must be on or after the opening day" in shown.text
