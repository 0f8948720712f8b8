"""After submission: the journey from events, the second stage, withdrawal, erasure, export and
retention, with the in-memory broker and real PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_applications.app import SERVICE
from rtw_applications.privacy import apply_retention
from rtw_applications.testing import submitted_application
from rtw_contracts import (
    AssessmentOutcome,
    AssessmentScored,
    AssessmentStage,
    CandidateErased,
    CandidateHired,
    CouncilRegistered,
    Event,
    MatchProposed,
    SecondStageSubmitted,
    TrainingCompleted,
    TrainingEnrolled,
    TrainingModuleCompleted,
)
from rtw_contracts.examples import example
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.filestore import LocalFileStore
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from sqlalchemy import text

pytestmark = pytest.mark.component

MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2000
WEBM = (
    b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"
    + b"\x00" * 500
)
ANSWERS = {
    "ict-problem": "I rebuilt the housing repairs booking service so tenants could book online.",
    "ict-change": "Cloud hosting and continuous delivery are now the norm; I am taking courses.",
    "ict-council": "I want to build services my neighbours rely on.",
}


@pytest_asyncio.fixture
async def service(
    start_service: Callable[..., Any], open_cohorts: dict[str, str], tmp_path: Path
) -> ServiceRuntime:
    runtime: ServiceRuntime = await start_service(
        SERVICE,
        in_memory_broker=True,
        relay_enabled=False,
        file_store_url=f"file://{tmp_path}",
        video_max_bytes=100_000,
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


def admin(service: ServiceRuntime) -> dict[str, str]:
    secret = service.settings.token_secret.get_secret_value()
    return bearer(issue_token(secret, Principal(subject="admin-1", role=Role.ADMIN)))


async def deliver(service: ServiceRuntime, event: Event) -> None:
    await service.broker.publish(
        event.model_dump(mode="json"),
        exchange=service.topology.events_exchange,
        routing_key=event.ROUTING_KEY,
    )


async def outbox(service: ServiceRuntime, event_type: str) -> list[dict[str, Any]]:
    async with service.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM applications.outbox WHERE event_type = :t ORDER BY id"),
            {"t": event_type},
        )
        return [row.payload for row in rows]


def scored(
    receipt: dict[str, Any], outcome: AssessmentOutcome, *, at: datetime | None = None, **changes: Any
) -> AssessmentScored:
    stage = (
        AssessmentStage.SCREENING
        if outcome
        in {AssessmentOutcome.SHORTLISTED, AssessmentOutcome.INELIGIBLE, AssessmentOutcome.NOT_SHORTLISTED}
        else AssessmentStage.FINAL
    )
    values: dict[str, Any] = {
        "event_id": uuid4(),
        "application_id": UUID(receipt["application_id"]),
        "candidate_id": UUID(receipt["candidate_id"]),
        "cohort_id": "ict-test",
        "stage": stage,
        "outcome": outcome,
        "reasons": [],
        "next_step_deadline": None,
        "decided_at": at or datetime.now(UTC),
    }
    return example(AssessmentScored, **{**values, **changes})


async def applied(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> dict[str, Any]:
    receipt = await submitted_application(client, secret_of(service), make_application())
    view = (
        await client.get(
            f"/applications/{receipt['application_id']}", headers=bearer(receipt["access_token"])
        )
    ).json()
    assert view["status"] == "submitted"
    exported = await client.get("/applications", headers={})
    assert exported.status_code == 401
    return receipt


def secret_of(service: ServiceRuntime) -> str:
    return service.settings.token_secret.get_secret_value()


async def test_the_journey_follows_events_whatever_their_order(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    receipt = await applied(client, service, make_application)
    auth = bearer(receipt["access_token"])
    base = datetime.now(UTC)
    shortlisted = scored(receipt, AssessmentOutcome.SHORTLISTED, at=base + timedelta(minutes=1))
    selected = scored(receipt, AssessmentOutcome.SELECTED, at=base + timedelta(minutes=3))
    enrolled = example(
        TrainingEnrolled,
        event_id=uuid4(),
        application_id=UUID(receipt["application_id"]),
        candidate_id=UUID(receipt["candidate_id"]),
        enrolled_at=base + timedelta(minutes=4),
    )
    # Out of order, and one delivered twice.
    for event in (enrolled, selected, shortlisted, selected):
        await deliver(service, event)
    view = (await client.get(f"/applications/{receipt['application_id']}", headers=auth)).json()
    assert view["status"] == "enrolled"
    assert view["label"] == "Training started"
    assert [s["label"] for s in view["journey"]] == [
        "Application received",
        "Invited to the second stage",
        "Offered a place on the programme",
        "Training started",
    ]
    assert view["second_stage_deadline"] is not None

    # A stale decision arriving late does not move the application back.
    await deliver(service, scored(receipt, AssessmentOutcome.WAITLISTED, at=base + timedelta(minutes=2)))
    view = (await client.get(f"/applications/{receipt['application_id']}", headers=auth)).json()
    assert view["status"] == "enrolled"

    hired = example(
        CandidateHired,
        event_id=uuid4(),
        application_id=UUID(receipt["application_id"]),
        candidate_id=UUID(receipt["candidate_id"]),
        hired_at=base + timedelta(days=30),
        start_date=date(2027, 2, 1),
    )
    await deliver(service, hired)
    view = (await client.get(f"/applications/{receipt['application_id']}", headers=auth)).json()
    assert view["label"] == "Hired"
    assert view["journey"][-1]["label"] == "Hired: Starting 01 February 2027"


async def test_second_stage_only_for_the_shortlisted_once_and_in_time(
    client: httpx.AsyncClient,
    service: ServiceRuntime,
    make_application: Callable[..., dict[str, Any]],
    tmp_path: Path,
) -> None:
    receipt = await applied(client, service, make_application)
    auth = bearer(receipt["access_token"])
    url = f"/applications/{receipt['application_id']}/second-stage"
    form = {"answers": json.dumps(ANSWERS)}
    video = {"video": ("me.mp4", MP4, "video/mp4")}

    not_yet = await client.post(url, data=form, files=video, headers=auth)
    assert not_yet.status_code == 403
    assert "shortlisted" in not_yet.json()["detail"]

    await deliver(service, scored(receipt, AssessmentOutcome.SHORTLISTED))
    someone_else = await submitted_application(client, secret_of(service), make_application())
    assert (
        await client.post(url, data=form, files=video, headers=bearer(someone_else["access_token"]))
    ).status_code == 404
    assert (await client.post(url, data=form, files=video)).status_code == 401

    missing = await client.post(
        url, data={"answers": json.dumps({"ict-problem": "Only one."})}, files=video, headers=auth
    )
    assert missing.status_code == 422
    assert {"answers.ict-change", "answers.ict-council"} <= {e["field"] for e in missing.json()["errors"]}

    lying = await client.post(
        url, data=form, files={"video": ("me.mp4", b"%PDF-1.7 not a video" * 10, "video/mp4")}, headers=auth
    )
    assert lying.status_code == 415
    too_big = await client.post(
        url, data=form, files={"video": ("me.mp4", MP4 + b"\0" * 200_000, "video/mp4")}, headers=auth
    )
    assert too_big.status_code == 413
    no_video = await client.post(url, data=form, headers=auth)
    assert no_video.status_code == 422
    assert "video" in {e["field"] for e in no_video.json()["errors"]}

    accepted = await client.post(
        url, data=form, files={"video": ("clip.bin", WEBM, "application/octet-stream")}, headers=auth
    )
    assert accepted.status_code == 201, accepted.text
    events = await outbox(service, "SecondStageSubmitted")
    assert len(events) == 1
    event = SecondStageSubmitted.model_validate(events[0])
    assert event.video is not None
    assert event.video.content_type == "video/webm"  # sniffed, not taken from the name
    assert event.video.storage_key.endswith(".webm")
    assert await LocalFileStore(tmp_path).get(event.video.storage_key) == WEBM

    twice = await client.post(url, data=form, files=video, headers=auth)
    assert twice.status_code == 409
    view = (await client.get(f"/applications/{receipt['application_id']}", headers=auth)).json()
    assert view["status"] == "second_stage_submitted"
    assert view["second_stage_submitted"] is True


async def test_a_late_second_stage_is_refused(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    receipt = await applied(client, service, make_application)
    long_ago = datetime.now(UTC) - timedelta(days=30)
    await deliver(
        service,
        scored(
            receipt,
            AssessmentOutcome.SHORTLISTED,
            at=long_ago,
            next_step_deadline=(long_ago + timedelta(days=7)).date(),
        ),
    )
    late = await client.post(
        f"/applications/{receipt['application_id']}/second-stage",
        data={"answers": json.dumps(ANSWERS)},
        files={"video": ("me.mp4", MP4, "video/mp4")},
        headers=bearer(receipt["access_token"]),
    )
    assert late.status_code == 409
    assert "closed on" in late.json()["detail"]


async def test_withdrawal(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    receipt = await applied(client, service, make_application)
    auth = bearer(receipt["access_token"])
    url = f"/applications/{receipt['application_id']}/withdraw"
    assert (await client.post(url, json={"reason": "whatever"}, headers=auth)).status_code == 422
    done = await client.post(url, json={"reason": "found_work"}, headers=auth)
    assert done.status_code == 200
    assert (await client.post(url, json={"reason": "found_work"}, headers=auth)).status_code == 409
    events = await outbox(service, "ApplicationWithdrawn")
    assert [e["reason"] for e in events] == ["found_work"]
    # Later decisions do not bring it back.
    await deliver(service, scored(receipt, AssessmentOutcome.SHORTLISTED))
    view = (await client.get(f"/applications/{receipt['application_id']}", headers=auth)).json()
    assert view["status"] == "withdrawn"


async def test_an_application_already_over_cannot_be_withdrawn_through_the_api(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    """POST /applications/{id}/withdraw refused only an application already withdrawn: one found
    not eligible was withdrawn, and ApplicationWithdrawn published after its final outcome. Now
    409 with a message a person can act on, and nothing changes."""
    receipt = await applied(client, service, make_application)
    await deliver(service, scored(receipt, AssessmentOutcome.INELIGIBLE))
    auth = bearer(receipt["access_token"])
    refused = await client.post(
        f"/applications/{receipt['application_id']}/withdraw", json={"reason": "found_work"}, headers=auth
    )
    assert refused.status_code == 409
    assert "already over" in refused.json()["detail"]
    assert await outbox(service, "ApplicationWithdrawn") == []
    view = (await client.get(f"/applications/{receipt['application_id']}", headers=auth)).json()
    assert view["status"] == "ineligible"


async def test_export_and_erasure(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    form = make_application(equality_monitoring={"sex": "female", "age_band": "35-44", "caring": "yes"})
    receipt = await submitted_application(client, secret_of(service), form)
    candidate_id = receipt["candidate_id"]
    auth = bearer(receipt["access_token"])

    mine = await client.get(f"/candidates/{candidate_id}/export", headers=auth)
    assert mine.status_code == 200
    data = mine.json()
    assert data["candidate"]["email"] == form["email"]
    assert data["applications"][0]["reference"] == receipt["reference"]
    assert data["applications"][0]["equality_monitoring"] == {
        "sex": "female",
        "age_band": "35-44",
        "caring": "yes",
    }
    by_admin = (await client.get(f"/candidates/{candidate_id}/export", headers=admin(service))).json()
    assert "equality_monitoring" not in by_admin["applications"][0]  # staff never see it per person
    other = await submitted_application(client, secret_of(service), make_application())
    assert (
        await client.get(f"/candidates/{candidate_id}/export", headers=bearer(other["access_token"]))
    ).status_code == 404

    # Equality answers never travel in an event.
    submitted = await outbox(service, "ApplicationSubmitted")
    assert all("female" not in json.dumps(e) for e in submitted)

    erased = await client.post(f"/candidates/{candidate_id}/erasure", headers=auth)
    assert erased.status_code == 200
    [event] = await outbox(service, "CandidateErased")
    assert CandidateErased.model_validate(event).application_ids == [UUID(receipt["application_id"])]
    async with service.engine.connect() as conn:
        assert (
            await conn.execute(
                text("SELECT count(*) FROM applications.candidates WHERE id = :i"), {"i": candidate_id}
            )
        ).scalar_one() == 0
        assert (
            await conn.execute(
                text("SELECT count(*) FROM applications.applications WHERE id = :i"),
                {"i": receipt["application_id"]},
            )
        ).scalar_one() == 0
        kept = (await conn.execute(text("SELECT * FROM applications.anonymised_applications"))).all()
        assert len(kept) == 1  # what the reports count of it, under an id of its own
        assert str(kept[0].id) != receipt["application_id"]
        assert kept[0].equality == {
            "sex": "female",
            "age_band": "35-44",
            "caring": "yes",
            "adjustments": "without_adjustments",  # the fairness report's row, as it counted them
        }
    assert (await client.get(f"/applications/{receipt['application_id']}", headers=auth)).status_code == 404
    assert (
        await client.post(f"/candidates/{candidate_id}/erasure", headers=admin(service))
    ).status_code == 404
    # The address can apply afresh.
    afresh = await client.post("/applications", json={**form, "email": form["email"]})
    assert afresh.status_code == 202
    async with service.engine.connect() as conn:
        assert (
            await conn.execute(
                text("SELECT count(*) FROM applications.candidates WHERE email = :e"), {"e": form["email"]}
            )
        ).scalar_one() == 1


async def test_the_export_includes_the_decisions_scores_training_and_matches_received(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    receipt = await applied(client, service, make_application)
    application_id, candidate_id = UUID(receipt["application_id"]), UUID(receipt["candidate_id"])
    about = {"application_id": application_id, "candidate_id": candidate_id}
    base = datetime.now(UTC) - timedelta(days=60)
    council = uuid4()
    events: list[Event] = [
        scored(receipt, AssessmentOutcome.SHORTLISTED, at=base),
        example(
            AssessmentScored,
            event_id=uuid4(),
            **about,
            cohort_id="ict-test",
            decided_at=base + timedelta(days=5),
        ),
        scored(
            receipt,
            AssessmentOutcome.SELECTED,
            at=base + timedelta(days=10),
            score=78.0,
            rank=3,
            rubric_version="ict-rubric-2",
        ),
        example(TrainingEnrolled, event_id=uuid4(), **about, enrolled_at=base + timedelta(days=12)),
        example(TrainingModuleCompleted, event_id=uuid4(), **about, completed_at=base + timedelta(days=20)),
        example(TrainingCompleted, event_id=uuid4(), **about, completed_at=base + timedelta(days=30)),
        example(CouncilRegistered, event_id=uuid4(), council_id=council, name="Walsall"),
        example(
            MatchProposed,
            event_id=uuid4(),
            **about,
            match_id=uuid4(),
            council_id=council,
            score=71.5,
            proposed_at=base + timedelta(days=31),
        ),
        example(
            CandidateHired,
            event_id=uuid4(),
            **about,
            council_id=council,
            hours_per_week=30,
            hired_at=base + timedelta(days=40),
            start_date=date(2027, 2, 1),
        ),
    ]
    for event in events:
        await deliver(service, event)

    mine = await client.get(f"/candidates/{candidate_id}/export", headers=bearer(receipt["access_token"]))
    assert mine.status_code == 200, mine.text
    [application] = mine.json()["applications"]
    decisions = application["assessment_decisions"]
    assert [(d["stage"], d["outcome"]) for d in decisions] == [
        ("screening", "shortlisted"),
        ("second_stage", "scored"),
        ("final", "selected"),
    ]
    second_stage = decisions[1]
    assert second_stage["score"] == 78.0
    assert second_stage["decision_kind"] == "automatic"
    assert second_stage["breakdown"][0]["name"] == "relevant_experience"
    assert second_stage["breakdown"][0]["explanation"]
    assert decisions[2]["rank"] == 3
    assert decisions[2]["rubric_version"] == "ict-rubric-2"
    assert decisions[0]["next_step_deadline"] is None
    training = application["training"]
    assert training["status"] == "trained"
    assert training["modules_completed"] == [events[4].module_title]  # type: ignore[attr-defined]
    assert str(events[5].certificate_id) in training["certificate"]  # type: ignore[attr-defined]
    [proposal] = application["matching"]["proposals"]
    assert proposal["score"] == 71.5
    assert proposal["council"] == "Walsall"
    assert proposal["factors"][0]["explanation"]
    [hire] = application["matching"]["hires"]
    assert (hire["council"], hire["start_date"], hire["hours_per_week"]) == ("Walsall", "2027-02-01", 30)
    assert "salary_band" in hire
    # An admin's export (a subject-access request handled by staff) carries the same decisions.
    by_admin = (await client.get(f"/candidates/{candidate_id}/export", headers=admin(service))).json()
    assert by_admin["applications"][0]["assessment_decisions"] == decisions
    assert "/assessment/applications/" in by_admin["held_elsewhere"]
    # Matching's part names its interviews, their feedback and its offers.
    matching_part = by_admin["held_elsewhere"].split("matching, ", 1)[1].split("; notifications", 1)[0]
    for held in ("interviews", "feedback", "notes", "offers", "salary", "/matching/candidates/"):
        assert held in matching_part, held


async def test_retention_anonymises_after_the_final_outcome(
    client: httpx.AsyncClient,
    service: ServiceRuntime,
    make_application: Callable[..., dict[str, Any]],
    tmp_path: Path,
) -> None:
    old = await applied(client, service, make_application)
    recent = await applied(client, service, make_application)
    active = await applied(client, service, make_application)
    now = datetime.now(UTC)
    await deliver(service, scored(old, AssessmentOutcome.INELIGIBLE, at=now - timedelta(days=800)))
    await deliver(service, scored(recent, AssessmentOutcome.INELIGIBLE, at=now - timedelta(days=30)))
    await deliver(service, scored(active, AssessmentOutcome.SHORTLISTED, at=now - timedelta(days=800)))
    store = LocalFileStore(tmp_path)

    async with service.uow_factory() as uow:
        listed = await apply_retention(uow, store, months=24, now=now, dry_run=True)
    assert [str(i.application_id) for i in listed] == [old["application_id"]]
    async with service.engine.connect() as conn:
        assert (
            await conn.execute(
                text("SELECT count(*) FROM applications.applications WHERE anonymised_at IS NOT NULL")
            )
        ).scalar_one() == 0

    async with service.uow_factory() as uow:
        done = await apply_retention(uow, store, months=24, now=now, dry_run=False)
    assert len(done) == 1
    async with service.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT id FROM applications.applications"))).all()
        kept = (
            await conn.execute(text("SELECT count(*) FROM applications.anonymised_applications"))
        ).scalar_one()
    assert {str(r.id) for r in rows} == {recent["application_id"], active["application_id"]}
    assert kept == 1
    assert (await outbox(service, "CandidateErased"))[0]["application_ids"] == [old["application_id"]]


async def test_a_second_stage_past_its_request_allowance_is_refused_unread(
    client: httpx.AsyncClient, service: ServiceRuntime, make_application: Callable[..., dict[str, Any]]
) -> None:
    receipt = await applied(client, service, make_application)
    auth = bearer(receipt["access_token"])
    await deliver(service, scored(receipt, AssessmentOutcome.SHORTLISTED))
    url = f"/applications/{receipt['application_id']}/second-stage"
    form = {"answers": json.dumps(ANSWERS)}
    mib = 1024 * 1024

    # Past the service's 1 MB for other routes, within this route's (the video limit and 1 MB for
    # the answers): the use case reads it and says what is wrong with the video.
    past_default = await client.post(
        url, data=form, files={"video": ("me.mp4", MP4 + b"\0" * mib, "video/mp4")}, headers=auth
    )
    assert past_default.status_code == 413
    assert past_default.json()["detail"].startswith("The video is larger than")

    # Past the route's allowance: refused before it is read.
    past_allowance = await client.post(
        url, data=form, files={"video": ("me.mp4", MP4 + b"\0" * (2 * mib), "video/mp4")}, headers=auth
    )
    assert past_allowance.status_code == 413
    assert "larger than the 1 MB accepted here" in past_allowance.json()["detail"]
