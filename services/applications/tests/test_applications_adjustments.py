"""Reasonable adjustments, end to end in the applications service: a candidate asks on their page,
an admin decides on theirs, the candidate reads the decision (and is e-mailed through
AdjustmentDecided, which carries nothing of what was asked), and the second stage takes written
answers instead of the video once that is agreed. Each page's protections (whose application,
whose role, the CSRF token) are checked. In-memory broker, real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_applications import reports
from rtw_applications.app import SERVICE
from rtw_applications.testing import submitted_application
from rtw_contracts import (
    AdjustmentDecided,
    AdjustmentKind,
    AssessmentOutcome,
    AssessmentScored,
    AssessmentStage,
    Event,
    SecondStageSubmitted,
)
from rtw_contracts.examples import example
from rtw_platform.auth import Principal, Role, issue_session_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.forms import refused
from sqlalchemy import text

from .test_applications_intake import follow, link_to

pytestmark = pytest.mark.component

CSRF = "test-csrf-token"
ANSWERS = {
    "answer-ict-problem": "I rebuilt the housing repairs booking service so tenants could book online.",
    "answer-ict-change": "Cloud hosting and continuous delivery are now the norm; I am taking courses.",
    "answer-ict-council": "I want to build services my neighbours rely on.",
}
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2000


@pytest_asyncio.fixture
async def runtime(
    start_service: Callable[..., Any], open_cohorts: dict[str, str], tmp_path: Path
) -> AsyncIterator[ServiceRuntime]:
    started: ServiceRuntime = await start_service(
        SERVICE, in_memory_broker=True, relay_enabled=False, file_store_url=f"file://{tmp_path}"
    )
    async with TestRabbitBroker(started.broker):
        yield started


def browser(runtime: ServiceRuntime, subject: str, role: Role) -> httpx.AsyncClient:
    """A browser signed in as `subject`, holding the CSRF cookie its forms are sent with."""
    secret = runtime.settings.token_secret.get_secret_value()
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app_for(runtime)), base_url="http://a")
    client.cookies.set("rtw_session", issue_session_token(secret, Principal(subject=subject, role=role)))
    client.cookies.set("rtw_csrf", CSRF)
    return client


async def applied(runtime: ServiceRuntime, make_application: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(runtime)), base_url="http://a"
    ) as api:
        return await submitted_application(
            api, runtime.settings.token_secret.get_secret_value(), make_application()
        )


async def outbox(runtime: ServiceRuntime, event_type: str) -> list[dict[str, Any]]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM applications.outbox WHERE event_type = :t ORDER BY id"),
            {"t": event_type},
        )
        return [row.payload for row in rows]


async def deliver(runtime: ServiceRuntime, event: Event) -> None:
    await runtime.broker.publish(
        event.model_dump(mode="json"),
        exchange=runtime.topology.events_exchange,
        routing_key=event.ROUTING_KEY,
    )


def shortlisted(receipt: dict[str, Any], deadline: datetime | None = None) -> AssessmentScored:
    return example(
        AssessmentScored,
        event_id=uuid4(),
        application_id=UUID(receipt["application_id"]),
        candidate_id=UUID(receipt["candidate_id"]),
        cohort_id="ict-test",
        stage=AssessmentStage.SCREENING,
        outcome=AssessmentOutcome.SHORTLISTED,
        reasons=[],
        next_step_deadline=deadline.date() if deadline else None,
        decided_at=datetime.now(UTC),
    )


async def ask(candidate: httpx.AsyncClient, application_id: str, kinds: list[str], details: str = "") -> None:
    sent = await candidate.post(
        f"/my/applications/{application_id}/adjustments",
        data={"csrf_token": CSRF, "kinds": kinds, "details": details},
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/my/applications/{application_id}/adjustments?sent=yes"


async def request_id(runtime: ServiceRuntime, application_id: str) -> str:
    async with runtime.engine.connect() as conn:
        found = await conn.execute(
            text(
                "SELECT id FROM applications.adjustment_requests WHERE application_id = :a "
                "ORDER BY requested_at DESC"
            ),
            {"a": application_id},
        )
        return str(found.scalars().first())


async def test_a_candidate_asks_an_admin_decides_and_the_candidate_reads_the_decision(
    runtime: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    receipt = await applied(runtime, make_application)
    application_id = receipt["application_id"]
    page = f"/my/applications/{application_id}/adjustments"
    async with (
        browser(runtime, receipt["candidate_id"], Role.CANDIDATE) as candidate,
        browser(runtime, "admin-1", Role.ADMIN) as admin,
    ):
        status = await candidate.get(f"/my/applications/{application_id}")
        assert f'href="{page}"' in status.text

        nothing = await refused(candidate, page, {"csrf_token": CSRF, "details": "Large print"})
        assert "Choose at least one adjustment" in nothing.text
        assert "Large print" in nothing.text  # what was typed is kept
        vague = await refused(candidate, page, {"csrf_token": CSRF, "kinds": ["other_format"]})
        assert "Tell us which format you need" in vague.text

        await ask(candidate, application_id, ["written_alternative_to_video", "more_time"], "I stammer.")
        mine = await candidate.get(f"{page}?sent=yes")
        assert "We have your request." in mine.text
        assert "Waiting for a decision" in mine.text
        assert "Written answers instead of the video" in mine.text

        listed = await admin.get("/admin/adjustments")
        assert listed.status_code == 200
        assert receipt["reference"] in listed.text
        assert "I stammer." in listed.text
        decide = f"/admin/adjustments/{await request_id(runtime, application_id)}"
        without_reason = await refused(
            admin, decide, {"csrf_token": CSRF, "decision": "declined"}, page="/admin/adjustments"
        )
        assert "Give the reason the request is declined" in without_reason.text
        no_minutes = await refused(
            admin,
            decide,
            {
                "csrf_token": CSRF,
                "decision": "agreed",
                "agreed": ["written_alternative_to_video", "more_time"],
            },
            page="/admin/adjustments",
        )
        assert "Enter the extra time in minutes" in no_minutes.text
        agreed = await admin.post(
            decide,
            data={
                "csrf_token": CSRF,
                "decision": "agreed",
                "agreed": ["written_alternative_to_video", "more_time"],
                "extra_minutes": "90",
                "reason": "Agreed as asked.",
            },
        )
        assert agreed.status_code == 303, agreed.text
        twice = await admin.post(decide, data={"csrf_token": CSRF, "decision": "declined", "reason": "No."})
        assert twice.status_code == 409  # decided once
        assert "Agreed as asked." in (await admin.get("/admin/adjustments")).text

        read = await candidate.get(page)
        assert "Agreed as asked." in read.text
        assert "90 extra minutes" in read.text

    [published] = await outbox(runtime, "AdjustmentDecided")
    event = AdjustmentDecided.model_validate(published)
    assert event.agreed is True
    assert str(event.application_id) == application_id
    assert "stammer" not in str(published)  # nothing of what was asked
    assert "written" not in str(published)

    async with runtime.uow_factory() as uow:
        people = {str(p.application_id): p for p in await reports.load_people(uow, "ict-test", None)}
    assert people[application_id].equality["adjustments"] == reports.WITH_ADJUSTMENTS


async def test_only_the_candidate_asks_and_only_an_admin_decides_each_with_the_forms_token(
    runtime: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    receipt = await applied(runtime, make_application)
    someone_else = await applied(runtime, make_application)
    application_id = receipt["application_id"]
    page = f"/my/applications/{application_id}/adjustments"
    form = {"csrf_token": CSRF, "kinds": ["more_time"]}
    async with (
        browser(runtime, someone_else["candidate_id"], Role.CANDIDATE) as other,
        browser(runtime, receipt["candidate_id"], Role.CANDIDATE) as candidate,
        browser(runtime, "admin-1", Role.ADMIN) as admin,
    ):
        # Ownership: another candidate's application answers as one that does not exist.
        assert (await other.get(page)).status_code == 404
        assert (await other.post(page, data=form)).status_code == 404
        # CSRF: a form without the page's token changes nothing.
        assert (await candidate.post(page, data={"kinds": ["more_time"]})).status_code == 400
        assert await request_id(runtime, application_id) == "None"
        await ask(candidate, application_id, ["more_time"])
        decide = f"/admin/adjustments/{await request_id(runtime, application_id)}"
        decision = {"csrf_token": CSRF, "decision": "agreed", "agreed": ["more_time"], "extra_minutes": "30"}
        # Role: a candidate neither sees staff's list nor decides (off to staff's sign-in).
        for answer in (
            await candidate.get("/admin/adjustments"),
            await candidate.post(decide, data=decision),
        ):
            assert answer.status_code == 303
            assert "sign-in" in answer.headers["location"]
        tokenless = {k: v for k, v in decision.items() if k != "csrf_token"}
        assert (await admin.post(decide, data=tokenless)).status_code == 400
        assert await outbox(runtime, "AdjustmentDecided") == []
        assert (await admin.post(decide, data=decision)).status_code == 303
        assert (await admin.post(f"/admin/adjustments/{uuid4()}", data=decision)).status_code == 404
        assert (await admin.post("/admin/adjustments/not-an-id", data=decision)).status_code == 404


async def test_the_second_stage_takes_written_answers_instead_of_the_video_once_agreed(
    runtime: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    receipt = await applied(runtime, make_application)
    application_id = receipt["application_id"]
    await deliver(runtime, shortlisted(receipt))
    url = f"/my/applications/{application_id}/second-stage"
    written = {"written_alternative": "I want to work for my council because it serves my street."}
    async with (
        browser(runtime, receipt["candidate_id"], Role.CANDIDATE) as candidate,
        browser(runtime, "admin-1", Role.ADMIN) as admin,
    ):
        # Not agreed yet: the video is asked for, and written answers are refused.
        before = await refused(candidate, url, {"csrf_token": CSRF, **ANSWERS, **written})
        assert "Written answers instead of the video need an agreed adjustment" in before.text
        assert 'name="written_alternative"' not in before.text

        await ask(candidate, application_id, ["written_alternative_to_video"])
        decide = f"/admin/adjustments/{await request_id(runtime, application_id)}"
        decision = {"csrf_token": CSRF, "decision": "agreed", "agreed": ["written_alternative_to_video"]}
        assert (await admin.post(decide, data=decision)).status_code == 303

        shown = await candidate.get(url)
        assert 'name="written_alternative"' in shown.text
        assert "Your video assessment (optional)" in shown.text
        neither = await refused(candidate, url, {"csrf_token": CSRF, **ANSWERS})
        assert "Write your answer instead of the video" in neither.text
        sent = await candidate.post(url, data={"csrf_token": CSRF, **ANSWERS, **written})
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"] == f"/my/applications/{application_id}?sent=second-stage"

    [published] = await outbox(runtime, "SecondStageSubmitted")
    event = SecondStageSubmitted.model_validate(published)
    assert event.video is None
    assert event.adjustments == [AdjustmentKind.WRITTEN_ALTERNATIVE_TO_VIDEO]
    assert event.written_alternative == written["written_alternative"]


async def test_agreed_extra_time_keeps_the_second_stage_open_past_its_deadline(
    runtime: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    receipt = await applied(runtime, make_application)
    application_id = receipt["application_id"]
    await deliver(runtime, shortlisted(receipt))
    # The deadline passed an hour ago.
    async with runtime.engine.begin() as conn:
        await conn.execute(
            text("UPDATE applications.applications SET second_stage_deadline = :d WHERE id = :a"),
            {"d": datetime.now(UTC) - timedelta(hours=1), "a": application_id},
        )
    url = f"/my/applications/{application_id}/second-stage"
    async with (
        browser(runtime, receipt["candidate_id"], Role.CANDIDATE) as candidate,
        browser(runtime, "admin-1", Role.ADMIN) as admin,
    ):
        closed = await candidate.get(url)
        assert closed.status_code == 303  # back to the application: too late
        await ask(candidate, application_id, ["more_time"])
        decide = f"/admin/adjustments/{await request_id(runtime, application_id)}"
        decision = {"csrf_token": CSRF, "decision": "agreed", "agreed": ["more_time"], "extra_minutes": "180"}
        assert (await admin.post(decide, data=decision)).status_code == 303
        assert (await candidate.get(url)).status_code == 200
        sent = await candidate.post(
            url,
            data={"csrf_token": CSRF, **ANSWERS},
            files={"video": ("me.mp4", MP4, "video/mp4")},
        )
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"].endswith("?sent=second-stage")


async def test_a_candidate_opts_into_the_guaranteed_second_stage_before_sending_and_assessment_is_told(
    runtime: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    form = make_application()
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(runtime)), base_url="http://a"
    ) as api:
        started = await api.post(
            "/applications/drafts", json={"cohort_id": form["cohort_id"], "email": form["email"]}
        )
        assert started.status_code == 202, started.text
        auth = await follow(api, await link_to(runtime, form["email"]))
        draft = (
            await api.post("/candidates/me/applications", json={"cohort_id": form["cohort_id"]}, headers=auth)
        ).json()
        application_id = draft["application_id"]
        rest = {k: v for k, v in form.items() if k not in {"cohort_id", "email"}}
        assert (
            await api.patch(f"/applications/{application_id}", json=rest, headers=auth)
        ).status_code == 200
        async with runtime.engine.connect() as conn:
            found = await conn.execute(
                text("SELECT candidate_id FROM applications.applications WHERE id = :a"),
                {"a": application_id},
            )
            candidate_id = str(found.scalar_one())

        page = f"/application/{application_id}/guaranteed-second-stage"
        async with (
            browser(runtime, candidate_id, Role.CANDIDATE) as candidate,
            browser(runtime, str(uuid4()), Role.CANDIDATE) as stranger,
        ):
            tasks = await candidate.get(f"/application/{application_id}")
            assert f'href="{page}"' in tasks.text
            assert (await stranger.get(page)).status_code == 404
            assert (
                await stranger.post(page, data={"csrf_token": CSRF, "guaranteed": "yes"})
            ).status_code == 404
            assert (await candidate.post(page, data={"guaranteed": "yes"})).status_code == 400  # no token
            unanswered = await refused(candidate, page, {"csrf_token": CSRF})
            assert "Select yes if you want a guaranteed second stage, or no" in unanswered.text
            chosen = await candidate.post(page, data={"csrf_token": CSRF, "guaranteed": "yes"})
            assert chosen.status_code == 303
            assert chosen.headers["location"] == f"/application/{application_id}"
            assert 'value="yes" checked' in (await candidate.get(page)).text

            sent = await api.post(f"/applications/{application_id}/submit", headers=auth)
            assert sent.status_code == 200, sent.text
            # Sent: the choice is made.
            assert (await candidate.get(page)).status_code == 303
            assert (
                await candidate.post(page, data={"csrf_token": CSRF, "guaranteed": "no"})
            ).status_code == 409

    [facts] = await outbox(runtime, "ApplicationSubmitted")
    assert facts["guaranteed_second_stage"] is True
    assert "disability" not in str(facts)
