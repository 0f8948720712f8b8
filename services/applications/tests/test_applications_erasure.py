"""Erasure and retention in the applications service: afterwards nothing here answers with the
person (API, pages, export, outbox, any table, log lines), every report gives the same numbers as
before, and erasure is never published as a withdrawal (nobody is promoted into a place it frees).
In-memory broker, real PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_applications import adjustments
from rtw_applications.app import SERVICE
from rtw_applications.privacy import apply_retention
from rtw_applications.testing import submitted_application
from rtw_contracts import (
    AssessmentScored,
    CandidateHired,
    CouncilRegistered,
    Event,
    MatchProposed,
    MatchResponded,
    ReachOutSent,
    TrainingCompleted,
    TrainingEnrolled,
    TrainingModuleCompleted,
    VacancyPosted,
)
from rtw_contracts.examples import example
from rtw_platform.auth import Principal, Role, issue_session_token, issue_token
from rtw_platform.filestore import FileNotStored, LocalFileStore
from rtw_platform.logging import configure_logging
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from sqlalchemy import text

pytestmark = pytest.mark.component

WALSALL = uuid4()
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 2000
OWN_WORDS = {
    "ict-problem": "Quillfeather rebuilt the Zennor ferry timetable in a fortnight.",
    "ict-change": "Quillfeather has been studying cloud hosting at the Zennor library.",
    "ict-council": "Quillfeather wants to serve the neighbours of Zennor Cove.",
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
REPORTS = ("funnel", "reach", "fairness", "savings")
SCOPES = ("", "?cohort_id=ict-test", "?programme=ict")


@pytest_asyncio.fixture
async def service(
    start_service: Callable[..., Any], open_cohorts: dict[str, str], tmp_path: Path
) -> AsyncIterator[tuple[ServiceRuntime, httpx.AsyncClient]]:
    runtime = await start_service(
        SERVICE, in_memory_broker=True, relay_enabled=False, file_store_url=f"file://{tmp_path}"
    )
    async with TestRabbitBroker(runtime.broker):
        transport = httpx.ASGITransport(app=app_for(runtime))
        async with httpx.AsyncClient(transport=transport, base_url="http://a") as client:
            yield runtime, client


@dataclass
class Applicant:
    application_id: UUID
    candidate_id: UUID
    reference: str
    token: str
    form: dict[str, Any]
    events: list[Event] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def secret_of(runtime: ServiceRuntime) -> str:
    return runtime.settings.token_secret.get_secret_value()


def admin(runtime: ServiceRuntime) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(secret_of(runtime), Principal('admin', Role.ADMIN))}"}


async def deliver(runtime: ServiceRuntime, event: Event) -> None:
    await runtime.broker.publish(
        event.model_dump(mode="json"),
        exchange=runtime.topology.events_exchange,
        routing_key=event.ROUTING_KEY,
    )


async def apply(
    runtime: ServiceRuntime, client: httpx.AsyncClient, make: Callable[..., dict[str, Any]], **changes: Any
) -> Applicant:
    form = make(**changes)
    receipt = await submitted_application(client, secret_of(runtime), form)
    return Applicant(
        UUID(receipt["application_id"]),
        UUID(receipt["candidate_id"]),
        receipt["reference"],
        receipt["access_token"],
        form,
    )


def decided(person: Applicant, outcome: str, stage: str, at: datetime, **more: Any) -> AssessmentScored:
    return example(
        AssessmentScored,
        event_id=uuid4(),
        application_id=person.application_id,
        candidate_id=person.candidate_id,
        cohort_id="ict-test",
        stage=stage,
        outcome=outcome,
        decided_at=at,
        next_step_deadline=None,
        **more,
    )


def about(person: Applicant) -> dict[str, Any]:
    return {"event_id": uuid4(), "application_id": person.application_id, "candidate_id": person.candidate_id}


def to_hire(person: Applicant, start: datetime) -> list[Event]:
    """Selected, trained, matched, reached out to, accepted and hired by Walsall (30 hours)."""
    match_id = uuid4()
    match = {"match_id": match_id, "council_id": WALSALL}
    return [
        decided(person, "shortlisted", "screening", start),
        decided(person, "selected", "final", start + timedelta(days=10), score=81.0, rank=1),
        example(TrainingEnrolled, **about(person), enrolled_at=start + timedelta(days=12)),
        example(TrainingModuleCompleted, **about(person), completed_at=start + timedelta(days=20)),
        example(
            TrainingCompleted,
            **about(person),
            certificate_id=uuid4(),
            completed_at=start + timedelta(days=40),
        ),
        example(MatchProposed, **about(person), **match, score=77.0, proposed_at=start + timedelta(days=41)),
        example(ReachOutSent, **about(person), **match, sent_at=start + timedelta(days=42)),
        example(MatchResponded, **about(person), **match, responded_at=start + timedelta(days=43)),
        example(
            CandidateHired,
            **about(person),
            **match,
            hours_per_week=30,
            start_date=date(2027, 2, 1),
            hired_at=start + timedelta(days=50),
        ),
    ]


async def a_cohort(
    runtime: ServiceRuntime, client: httpx.AsyncClient, make: Callable[..., dict[str, Any]], start: datetime
) -> tuple[list[Applicant], Applicant]:
    """Twelve others and Zebedee Quillfeather, a Walsall woman who went all the way to a hire and
    is the only selected candidate within reach of the Walsall vacancy."""
    await deliver(
        runtime,
        example(
            CouncilRegistered, event_id=uuid4(), council_id=WALSALL, gss_code="E08000030", name="Walsall"
        ),
    )
    others: list[Applicant] = []
    for index in range(12):
        sex = "female" if index < 6 else "male"
        district = "E1" if index % 3 == 0 else "WS1"
        form_changes: dict[str, Any] = {
            "postcode_district": district,
            "equality_monitoring": {"sex": sex, "age_band": "35-44", "caring": "yes"},
        }
        others.append(await apply(runtime, client, make, **form_changes))
    at = start + timedelta(days=2)
    plan: list[Event] = [
        decided(
            others[0],
            "ineligible",
            "screening",
            at,
            reasons=[{"code": "insufficient_experience", "message": "x"}],
        ),
        decided(others[1], "not_shortlisted", "screening", at),
        decided(others[7], "not_shortlisted", "screening", at),
    ]
    for person in others[2:7] + others[8:]:
        plan.append(decided(person, "shortlisted", "screening", at))
    # Two Londoners selected (E1, 30 km: nowhere near Walsall), one hired; one waitlisted.
    plan.append(decided(others[3], "selected", "final", start + timedelta(days=9), score=70.0, rank=2))
    plan += to_hire(others[9], start + timedelta(days=1))  # a Londoner hired by Walsall (remote)
    plan.append(decided(others[4], "waitlisted", "final", start + timedelta(days=9), score=60.0, rank=4))
    for event in plan:
        await deliver(runtime, event)
    withdrawer = others[5]
    assert (
        await client.post(
            f"/applications/{withdrawer.application_id}/withdraw",
            json={"reason": "found_work"},
            headers=withdrawer.auth,
        )
    ).status_code == 200

    zed = await apply(
        runtime,
        client,
        make,
        given_name="Zebedee",
        family_name="Quillfeather",
        email=f"zebedee.{uuid4().hex[:6]}@example.org",
        phone="01632 960 777",
        postcode_district="WS1",
        equality_monitoring={"sex": "female", "age_band": "35-44", "caring": "yes"},
    )
    in_time = {"next_step_deadline": (datetime.now(UTC) + timedelta(days=14)).date()}
    await deliver(
        runtime,
        decided(zed, "shortlisted", "screening", start + timedelta(days=2)).model_copy(update=in_time),
    )
    second = await client.post(
        f"/applications/{zed.application_id}/second-stage",
        data={"answers": json.dumps(OWN_WORDS)},
        files={"video": ("me.mp4", MP4, "video/mp4")},
        headers=zed.auth,
    )
    assert second.status_code == 201, second.text
    zed.events = to_hire(zed, start + timedelta(days=3))[1:]
    for event in zed.events:
        await deliver(runtime, event)
    for vacancy, base in ((uuid4(), "WS1"), (uuid4(), "NE1")):
        await deliver(
            runtime,
            example(
                VacancyPosted,
                event_id=uuid4(),
                vacancy_id=vacancy,
                council_id=WALSALL,
                work_mode="on_site",
                base_postcode_districts=[base],
            ),
        )
    view = (await client.get(f"/applications/{zed.application_id}", headers=zed.auth)).json()
    assert view["status"] == "hired"
    return others, zed


async def every_report(runtime: ServiceRuntime, client: httpx.AsyncClient) -> dict[str, Any]:
    """Every report in every scope, as JSON and CSV, and the admins' reports page."""
    answers: dict[str, Any] = {}
    for report in REPORTS:
        for scope in SCOPES:
            as_json = await client.get(f"/reports/{report}{scope}", headers=admin(runtime))
            assert as_json.status_code == 200, as_json.text
            answers[f"{report}{scope}"] = as_json.json()
            joiner = "&" if scope else "?"
            answers[f"{report}{scope}.csv"] = (
                await client.get(f"/reports/{report}{scope}{joiner}format=csv", headers=admin(runtime))
            ).text
    session = issue_session_token(secret_of(runtime), Principal("admin", Role.ADMIN))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(runtime)),
        base_url="http://a",
        cookies={"rtw_session": session},
    ) as page:
        shown = await page.get("/admin/reports")
        assert shown.status_code == 200, shown.text
        answers["page"] = CSRF.sub("", shown.text)
    return answers


async def outbox_rows(runtime: ServiceRuntime) -> list[tuple[str, str]]:
    async with runtime.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT event_type, payload::text FROM applications.outbox ORDER BY id")
        )
        return [(row[0], row[1]) for row in rows]


async def every_table_row(runtime: ServiceRuntime) -> list[tuple[str, str]]:
    """(table, row as text) for every row of every table of the applications schema."""
    async with runtime.engine.connect() as conn:
        tables = (
            await conn.execute(
                text(
                    "SELECT table_name FROM information_schema.tables"
                    " WHERE table_schema = 'applications' AND table_type = 'BASE TABLE'"
                )
            )
        ).scalars()
        found = []
        for table in list(tables):
            rows = await conn.execute(text(f'SELECT t::text FROM applications."{table}" t'))
            found += [(table, row[0]) for row in rows]
        return found


def traces_of(person: Applicant, runtime_events: list[Event]) -> list[str]:
    """Everything that would identify the person or carry their words."""
    return [
        str(person.candidate_id),
        str(person.application_id),
        person.reference,
        person.form["email"],
        "Zebedee",
        "Quillfeather",
        "960 777",
        "Zennor",
        *(str(e.match_id) for e in runtime_events if hasattr(e, "match_id")),
        *(str(e.certificate_id) for e in runtime_events if hasattr(e, "certificate_id")),
    ]


async def adjustments_agreed(runtime: ServiceRuntime, person: Applicant) -> None:
    """The person asked for adjustments, in words that name them, and an admin agreed."""
    candidate = Principal(str(person.candidate_id), Role.CANDIDATE)
    async with runtime.uow_factory() as uow:
        asked = await adjustments.request_adjustments(
            person.application_id,
            ["written_alternative_to_video", "other_format"],
            "Quillfeather reads large print best, since the Zennor accident.",
            candidate,
            uow,
        )
    decision = adjustments.Decision("agreed", ["written_alternative_to_video"], None, "Quillfeather: agreed.")
    async with runtime.uow_factory() as uow:
        await adjustments.decide(asked.id, decision, Principal("admin", Role.ADMIN), uow)


async def test_after_erasure_nothing_answers_with_the_person_and_every_report_is_unchanged(
    service: tuple[ServiceRuntime, httpx.AsyncClient],
    make_application: Callable[..., dict[str, Any]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runtime, client = service
    _others, zed = await a_cohort(runtime, client, make_application, datetime.now(UTC) - timedelta(days=90))
    await adjustments_agreed(runtime, zed)
    before = await every_report(runtime, client)
    assert {
        r["group"]: r["people"] for r in before["fairness"]["adjustments"] if r["step"] == "eligible"
    } == {
        "with_adjustments": "fewer than 5",
        "without_adjustments": 12,
    }
    assert before["reach?cohort_id=ict-test"]["per_council"]["Walsall"] == {
        "applicants": 9,
        "selected": 1,
        "hired": 1,
    }
    assert len(before["reach"]["vacancies_with_no_candidate_within_travel_distance"]) == 1  # NE1 only
    assert before["savings"]["total"]["hires"] == 2
    women = {r["group"]: r for r in before["fairness"]["sex"] if r["step"] == "hired"}["female"]
    assert women["people"] == 7
    assert women["pass_rate"] == round(1 / 7, 4)
    async with runtime.engine.connect() as conn:
        video_key = (
            await conn.execute(
                text("SELECT video_key FROM applications.second_stage_submissions WHERE application_id = :a"),
                {"a": zed.application_id},
            )
        ).scalar_one()
    assert await LocalFileStore(tmp_path).get(video_key) == MP4
    withdrawals_before = [p for t, p in await outbox_rows(runtime) if t == "ApplicationWithdrawn"]
    traces = traces_of(zed, zed.events)
    configure_logging("tests", level="DEBUG", json=True)  # every log line, into capsys
    capsys.readouterr()
    try:
        await erase_and_look(runtime, client, zed, before, withdrawals_before, traces, video_key, tmp_path)
    finally:
        logged = capsys.readouterr()
        configure_logging("tests", level="WARNING", json=True)
    # Nothing of them in a log line (the requests were logged).
    assert "http_request" in logged.err
    assert all(trace not in logged.out + logged.err for trace in traces)


async def erase_and_look(
    runtime: ServiceRuntime,
    client: httpx.AsyncClient,
    zed: Applicant,
    before: dict[str, Any],
    withdrawals_before: list[str],
    traces: list[str],
    video_key: str,
    tmp_path: Path,
) -> None:
    erased = await client.post(f"/candidates/{zed.candidate_id}/erasure", headers=zed.auth)
    assert erased.status_code == 200, erased.text

    # Every report gives the same numbers, in every scope, as JSON, CSV and on the page.
    after = await every_report(runtime, client)
    for key, answer in before.items():
        assert after[key] == answer, key

    # The outbox: CandidateErased (the instruction to the other services) is the only row that
    # names the person, by id only; no withdrawal was published.
    rows = await outbox_rows(runtime)
    about_them = [(t, p) for t, p in rows if any(trace in p for trace in traces)]
    assert [t for t, _ in about_them] == ["CandidateErased"]
    [(_, instruction)] = about_them
    assert all(trace not in instruction for trace in traces[2:])  # no reference, address, name, words
    assert [p for t, p in rows if t == "ApplicationWithdrawn"] == withdrawals_before

    # No table here holds anything of them (but the outbox's CandidateErased).
    left = [(table, row) for table, row in await every_table_row(runtime) if any(t in row for t in traces)]
    assert [table for table, row in left] == ["outbox"], left
    with pytest.raises(FileNotStored):
        await LocalFileStore(tmp_path).get(video_key)

    # Every API answers as for someone unknown, to them and to an admin.
    a = zed.application_id
    for headers in (zed.auth, admin(runtime)):
        for method, path, body in (
            ("GET", f"/applications/{a}", None),
            ("PATCH", f"/applications/{a}", {"postcode_district": "WS1"}),
            ("POST", f"/applications/{a}/submit", None),
            ("POST", f"/applications/{a}/withdraw", {"reason": "found_work"}),
            ("PUT", f"/applications/{a}/equality-monitoring", {"sex": "female"}),
            ("GET", f"/candidates/{zed.candidate_id}/export", None),
            ("POST", f"/candidates/{zed.candidate_id}/erasure", None),
        ):
            answer = await client.request(method, path, json=body, headers=headers)
            assert answer.status_code == 404, (method, path, answer.status_code, answer.text)
    second = await client.post(
        f"/applications/{a}/second-stage",
        data={"answers": json.dumps(OWN_WORDS)},
        files={"video": ("me.mp4", MP4, "video/mp4")},
        headers=zed.auth,
    )
    assert second.status_code == 404
    again = await client.post(
        "/candidates/me/applications", json={"cohort_id": "planning-test"}, headers=zed.auth
    )
    assert again.status_code == 404, again.text  # an erased person's token starts nothing afresh
    listed = (await client.get("/applications?page_size=200", headers=admin(runtime))).json()
    assert all(trace not in json.dumps(listed) for trace in traces)

    # The pages, with a session of theirs that outlived the erasure (an admin erased them).
    session = issue_session_token(secret_of(runtime), Principal(str(zed.candidate_id), Role.CANDIDATE))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(runtime)),
        base_url="http://a",
        cookies={"rtw_session": session},
    ) as page:
        for path in (
            f"/my/applications/{a}",
            f"/my/applications/{a}/withdraw",
            f"/my/applications/{a}/second-stage",
            f"/my/applications/{a}/adjustments",
            f"/application/{a}",
            f"/application/{a}/check-answers",
            f"/application/{a}/equality",
            "/my/data/download",
        ):
            shown = await page.get(path)
            assert shown.status_code == 404, (path, shown.status_code)
        home = await page.get("/my")
        assert all(trace not in home.text for trace in traces)


async def test_erasure_before_selection_counts_nothing_twice_and_publishes_no_withdrawal(
    service: tuple[ServiceRuntime, httpx.AsyncClient], make_application: Callable[..., dict[str, Any]]
) -> None:
    runtime, client = service
    start = datetime.now(UTC) - timedelta(days=20)
    shortlisted = await apply(runtime, client, make_application, equality_monitoring={"sex": "male"})
    await deliver(runtime, decided(shortlisted, "shortlisted", "screening", start))
    draft = await client.post(
        "/candidates/me/applications", json={"cohort_id": "planning-test"}, headers=shortlisted.auth
    )
    assert draft.status_code == 201
    before = await every_report(runtime, client)
    assert {s["step"]: s["people"] for s in before["funnel"]["steps"]}["started"] == 2  # the draft too

    assert (
        await client.post(f"/candidates/{shortlisted.candidate_id}/erasure", headers=admin(runtime))
    ).status_code == 200

    after = await every_report(runtime, client)
    for key, answer in before.items():
        assert after[key] == answer, key
    rows = await outbox_rows(runtime)
    assert [t for t, _ in rows if t == "ApplicationWithdrawn"] == []  # erasure is not a withdrawal
    [erasure] = [json.loads(p) for t, p in rows if t == "CandidateErased"]
    assert sorted(erasure["application_ids"]) == sorted(
        [str(shortlisted.application_id), draft.json()["application_id"]]
    )


async def test_retention_erases_a_hire_as_erasure_does_and_changes_no_count(
    service: tuple[ServiceRuntime, httpx.AsyncClient],
    make_application: Callable[..., dict[str, Any]],
    tmp_path: Path,
) -> None:
    runtime, client = service
    long_ago = datetime.now(UTC) - timedelta(days=900)
    _others, zed = await a_cohort(runtime, client, make_application, long_ago)
    before = await every_report(runtime, client)
    traces = traces_of(zed, zed.events)

    async with runtime.uow_factory() as uow:
        retained = await apply_retention(
            uow, LocalFileStore(tmp_path), months=24, now=datetime.now(UTC), dry_run=False
        )
    assert zed.application_id in {item.application_id for item in retained}

    after = await every_report(runtime, client)
    for key, answer in before.items():
        assert after[key] == answer, key
    rows = await outbox_rows(runtime)
    assert [t for t, p in rows if any(trace in p for trace in traces)] == ["CandidateErased"]
    assert not [t for t, p in rows if t == "ApplicationWithdrawn" and str(zed.application_id) in p]
    left = [(table, row) for table, row in await every_table_row(runtime) if any(t in row for t in traces)]
    assert [table for table, _ in left] == ["outbox"], left
    assert (
        await client.get(f"/candidates/{zed.candidate_id}/export", headers=admin(runtime))
    ).status_code == 404
