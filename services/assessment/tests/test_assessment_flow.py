"""The assessment journey over HTTP and events, with the in-memory broker and real PostgreSQL:
configuration, screening, shortlisting, the blind second stage, selection, overrides, appeals
and the funnel."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from rtw_assessment import screening, second_stage, selection
from rtw_assessment.domain import default_config
from rtw_assessment.models import Assignment
from rtw_contracts import (
    ApplicationSubmittedV2,
    ApplicationWithdrawn,
    AssessmentScored,
    CandidateErased,
    CareerBreakReason,
    Programme,
    SecondStageSubmitted,
)
from rtw_contracts.examples import example
from rtw_contracts.types import CareerBreak, SecondStageAnswer
from rtw_platform.auth import Principal, Role, issue_session_token, issue_token
from rtw_platform.batching import CommitBatcher
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.erasure import (
    PersonTraces,
    assert_answers_without,
    assert_counts_unchanged,
    outbox_rows_with,
    stored_rows_with,
)
from rtw_platform.testing.fixtures import app_for
from sqlalchemy import text
from sqlmodel import select

pytestmark = pytest.mark.component

COHORT = "ict-flow"
T0 = datetime(2020, 10, 2, 9, 0, tzinfo=UTC)
ICT = default_config(Programme.ICT)
CRITERIA = [c.id for c in ICT.rubric.criteria]
RECENT = (datetime.now(UTC).date() - timedelta(days=90)).replace(day=1)  # a break too short
ANSWER = "I rebuilt the housing repairs booking service so tenants could book online."

# --------------------------------------------------------------------------- fixtures and helpers


def as_(service: ServiceRuntime, subject: str, role: Role) -> dict[str, str]:
    secret = service.settings.token_secret.get_secret_value()
    return {"Authorization": f"Bearer {issue_token(secret, Principal(subject=subject, role=role))}"}


def admin(service: ServiceRuntime) -> dict[str, str]:
    return as_(service, "admin-1", Role.ADMIN)


def ict_config(**changes: Any) -> dict[str, Any]:
    data = ICT.model_dump(mode="json")
    data.update(changes)
    return data


async def configure(client: httpx.AsyncClient, service: ServiceRuntime, **changes: Any) -> dict[str, Any]:
    response = await client.put(
        f"/cohorts/{COHORT}/config", json=ict_config(**changes), headers=admin(service)
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def application(**changes: Any) -> ApplicationSubmittedV2:
    application_id = uuid4()
    values: dict[str, Any] = {
        "event_id": uuid4(),
        "correlation_id": application_id,
        "application_id": application_id,
        "candidate_id": uuid4(),
        "cohort_id": COHORT,
        "submitted_at": T0,
        "postcode_district": "SW1A",
        "career_break": CareerBreak(start=date(2016, 4, 1), end=None, reason=CareerBreakReason.CARING),
    }
    values.update(changes)
    return example(ApplicationSubmittedV2, **values)


STRONG = {"years_experience": 8.5}  # 59.67 with the ICT defaults: shortlisted at 50
WEAK = {"years_experience": 2}  # 42.33: not shortlisted


async def screen(service: ServiceRuntime, event: ApplicationSubmittedV2) -> None:
    async with service.uow_factory() as uow:
        await screening.screen_application(event, uow)
        await uow.commit()


async def submit_second_stage(
    service: ServiceRuntime, applied: ApplicationSubmittedV2, answer: str = ANSWER
) -> None:
    event = example(
        SecondStageSubmitted,
        event_id=uuid4(),
        correlation_id=applied.application_id,
        application_id=applied.application_id,
        candidate_id=applied.candidate_id,
        cohort_id=COHORT,
        submitted_at=T0 + timedelta(days=5),
        answers=[SecondStageAnswer(question_id="ict-problem", answer=answer)],
    )
    async with service.uow_factory() as uow:
        await second_stage.record_second_stage(event, uow)
        await uow.commit()


async def withdraw(service: ServiceRuntime, applied: ApplicationSubmittedV2) -> None:
    event = example(
        ApplicationWithdrawn,
        event_id=uuid4(),
        correlation_id=applied.application_id,
        application_id=applied.application_id,
        candidate_id=applied.candidate_id,
        cohort_id=COHORT,
    )
    async with service.uow_factory() as uow:
        await selection.record_withdrawal(event, uow)
        await uow.commit()


async def published(
    service: ServiceRuntime, applied: ApplicationSubmittedV2 | None = None
) -> list[AssessmentScored]:
    async with service.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM assessment.outbox WHERE event_type = 'AssessmentScored' ORDER BY id")
        )
        events = [AssessmentScored.model_validate(row.payload) for row in rows]
    if applied is None:
        return events
    return [e for e in events if e.application_id == applied.application_id]


async def assignments(service: ServiceRuntime, applied: ApplicationSubmittedV2) -> list[Assignment]:
    async with service.uow_factory() as uow:
        rows = (
            await uow.session.exec(
                select(Assignment).where(
                    Assignment.application_id == applied.application_id, Assignment.status != "withdrawn"
                )
            )
        ).all()
        return list(rows)


async def test_an_assessors_programmes_are_a_bounded_list(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    body = {"id": "a-1", "display_name": "Assessor", "programmes": ["ict"] * 1000}
    flooded = await client.put("/assessors/a-1", json=body, headers=admin(service))
    assert flooded.status_code == 422
    assert "programmes" in flooded.text


async def add_assessors(client: httpx.AsyncClient, service: ServiceRuntime, *ids: str) -> None:
    for assessor_id in ids:
        response = await client.put(
            f"/assessors/{assessor_id}",
            json={"id": assessor_id, "display_name": f"Assessor {assessor_id}", "programmes": ["ict"]},
            headers=admin(service),
        )
        assert response.status_code == 200, response.text


def card(value: int = 3, **scores: int) -> dict[str, Any]:
    return {"scores": {**dict.fromkeys(CRITERIA, value), **scores}, "recommendation": "yes"}


async def send_scorecard(
    client: httpx.AsyncClient, service: ServiceRuntime, assignment: Assignment, body: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        f"/assessor/assignments/{assignment.id}/scorecard",
        json=body,
        headers=as_(service, assignment.assessor_id, Role.ASSESSOR),
    )


async def score_fully(
    client: httpx.AsyncClient, service: ServiceRuntime, applied: ApplicationSubmittedV2, value: int
) -> None:
    for assignment in await assignments(service, applied):
        response = await send_scorecard(client, service, assignment, card(value))
        assert response.status_code == 201, response.text


async def shortlisted_with_second_stage(
    client: httpx.AsyncClient, service: ServiceRuntime, count: int
) -> list[ApplicationSubmittedV2]:
    applied = [application(**STRONG, submitted_at=T0 + timedelta(minutes=i)) for i in range(count)]
    for event in applied:
        await screen(service, event)
        await submit_second_stage(service, event)
    return applied


def keys_of(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield str(key)
            yield from keys_of(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from keys_of(inner)


# --------------------------------------------------------------------------- configuration


async def test_configuration_is_versioned_and_only_for_admins(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    url = f"/cohorts/{COHORT}/config"
    assert (await client.get(url, headers=admin(service))).status_code == 404
    assert (await client.get(url)).status_code == 401
    assert (await client.put(url, json=ict_config())).status_code == 401
    for role in (Role.ASSESSOR, Role.CANDIDATE):
        assert (await client.get(url, headers=as_(service, "someone", role))).status_code == 403
        assert (
            await client.put(url, json=ict_config(), headers=as_(service, "someone", role))
        ).status_code == 403
    assert (await client.get(url, headers=admin(service))).status_code == 404

    first = await configure(client, service)
    second = await configure(client, service, capacity=3)

    assert first["version"] == 1
    assert second["version"] == 2
    current = (await client.get(url, headers=admin(service))).json()
    assert current["version"] == 2
    assert current["config"]["capacity"] == 3

    social_work = default_config(Programme.SOCIAL_WORK).model_dump(mode="json")
    refused = await client.put(url, json=social_work, headers=admin(service))
    assert refused.status_code == 409
    assert "cannot change" in refused.json()["detail"]

    invalid = await client.put(
        url,
        json=ict_config(weights={"experience": 50, "specialism_demand": 30, "skills": 30}),
        headers=admin(service),
    )
    assert invalid.status_code == 422
    after = (await client.get(url, headers=admin(service))).json()
    assert (after["version"], after["config"]["programme"]) == (2, "ict")


async def test_a_decision_records_the_configuration_version_in_force(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service)
    await configure(client, service, shortlist_threshold=55)
    applied = application(**STRONG)

    await screen(service, applied)

    decisions = (
        await client.get(f"/applications/{applied.application_id}/decisions", headers=admin(service))
    ).json()
    assert [(d["stage"], d["outcome"], d["config_version"]) for d in decisions] == [
        ("screening", "shortlisted", 2)
    ]
    assert decisions[0]["rule_set_version"] == "ict-rules-1"
    own = await client.get(
        f"/applications/{applied.application_id}/decisions",
        headers=as_(service, str(applied.candidate_id), Role.CANDIDATE),
    )
    assert own.status_code == 200
    assert "inputs" not in own.json()[0]
    stranger = await client.get(
        f"/applications/{applied.application_id}/decisions",
        headers=as_(service, str(uuid4()), Role.CANDIDATE),
    )
    assert stranger.status_code == 404  # as if there were none


# --------------------------------------------------------------------------- screening


async def test_a_consumer_batch_screens_each_application_once_and_reads_new_defaults_back(
    service: ServiceRuntime,
) -> None:
    """Messages delivered together share one transaction (CommitBatcher): the cohort's default
    configuration written by the first is what the others use, and a copy of an application
    published again in the same batch (a new event id) is screened once. The copy makes the batch
    fail at its flush and run again one message at a time in the same session: the defaults,
    rolled back with the first run, are written again, not remembered from it."""
    cohort = f"ict-batch-{uuid4().hex[:8]}"  # no configuration yet: the first message writes it
    strong, weak = application(cohort_id=cohort, **STRONG), application(cohort_id=cohort, **WEAK)
    copy = strong.model_copy(update={"event_id": uuid4()})
    # One worker: the three are queued before it runs, so they make one batch.
    batcher = CommitBatcher(
        service.uow_factory, screening.screen_application, "screen_application", workers=1
    )
    try:
        await asyncio.gather(*(batcher.submit(event) for event in (strong, copy, weak)))
    finally:
        await batcher.close()

    [shortlisted] = await published(service, strong)
    [not_shortlisted] = await published(service, weak)
    assert (shortlisted.outcome, not_shortlisted.outcome) == ("shortlisted", "not_shortlisted")
    async with service.engine.connect() as conn:
        versions = (
            await conn.execute(
                text("SELECT version FROM assessment.cohort_configs WHERE cohort_id = :c"),
                {"c": cohort},
            )
        ).scalars()
        assert list(versions) == [1]
        decisions = (
            await conn.execute(
                text("SELECT config_version FROM assessment.decisions WHERE cohort_id = :c"), {"c": cohort}
            )
        ).scalars()
        assert list(decisions) == [1, 1]


async def test_threshold_screening_publishes_each_decision_with_its_breakdown(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service)
    strong, weak = application(**STRONG), application(**WEAK)
    no_right = application(right_to_work=False)

    for event in (strong, weak, no_right):
        await screen(service, event)
    await screen(service, strong)  # the same application delivered again

    [shortlisted] = await published(service, strong)
    [not_shortlisted] = await published(service, weak)
    [ineligible] = await published(service, no_right)
    today = datetime.now(UTC).date()

    assert (shortlisted.stage, shortlisted.outcome, shortlisted.decision_kind) == (
        "screening",
        "shortlisted",
        "automatic",
    )
    assert shortlisted.score == pytest.approx(59.67)
    assert [f.name for f in shortlisted.breakdown] == ["experience", "specialism_demand", "skills"]
    assert sum(f.points for f in shortlisted.breakdown) == pytest.approx(shortlisted.score)
    assert shortlisted.rule_set_version == "ict-rules-1"
    assert shortlisted.rubric_version is None
    assert shortlisted.next_step_deadline in {today + timedelta(days=14), today + timedelta(days=15)}
    assert shortlisted.causation_id == strong.event_id
    assert shortlisted.candidate_id == strong.candidate_id

    assert not_shortlisted.outcome == "not_shortlisted"
    assert not_shortlisted.score == pytest.approx(42.33)
    assert not_shortlisted.breakdown
    assert not_shortlisted.next_step_deadline is None
    assert not_shortlisted.rule_set_version == "ict-rules-1"

    assert ineligible.outcome == "ineligible"
    assert ineligible.score is None
    assert ineligible.breakdown == []
    assert [r.code for r in ineligible.reasons] == ["no_right_to_work"]
    assert ineligible.next_step_deadline in {
        today + timedelta(days=28),
        today + timedelta(days=29),
    }  # to appeal


async def test_size_mode_waits_then_shortlists_the_best_n_with_ties_to_the_earlier_submission(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service, shortlist_size=2, shortlist_threshold=None)
    best = application(years_experience=12, submitted_at=T0 + timedelta(minutes=5))
    tied_late = application(years_experience=10, submitted_at=T0 + timedelta(minutes=3))
    tied_early = application(years_experience=10, submitted_at=T0 + timedelta(minutes=1))
    weakest = application(years_experience=3, submitted_at=T0)
    no_right = application(right_to_work=False)
    for event in (best, tied_late, tied_early, weakest, no_right):
        await screen(service, event)

    assert [(e.application_id, e.outcome) for e in await published(service)] == [
        (no_right.application_id, "ineligible")
    ]
    funnel = (await client.get(f"/cohorts/{COHORT}/funnel", headers=admin(service))).json()
    assert funnel["screening"] == {"eligible": 4, "ineligible": 1}

    closed = await client.post(f"/cohorts/{COHORT}/shortlist", headers=admin(service))

    assert closed.status_code == 200, closed.text
    assert closed.json() == {"shortlisted": 2, "not_shortlisted": 2}
    decided = {e.application_id: e for e in await published(service) if e.outcome != "ineligible"}
    assert [
        (decided[a.application_id].outcome, decided[a.application_id].rank) for a in (best, tied_early)
    ] == [
        ("shortlisted", 1),
        ("shortlisted", 2),
    ]
    assert [
        (decided[a.application_id].outcome, decided[a.application_id].rank) for a in (tied_late, weakest)
    ] == [
        ("not_shortlisted", 3),
        ("not_shortlisted", 4),
    ]
    assert decided[best.application_id].next_step_deadline is not None
    assert decided[best.application_id].breakdown
    assert decided[tied_early.application_id].score == decided[tied_late.application_id].score

    again = await client.post(f"/cohorts/{COHORT}/shortlist", headers=admin(service))
    assert again.status_code == 409
    assert len(await published(service)) == 5
    forbidden = await client.post(f"/cohorts/{COHORT}/shortlist", headers=as_(service, "a1", Role.ASSESSOR))
    assert forbidden.status_code == 403


async def test_an_eligible_candidate_who_opted_into_the_guaranteed_second_stage_is_shortlisted_besides_the_best_n(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service, shortlist_size=1, shortlist_threshold=None)
    best = application(years_experience=12)
    weaker = application(years_experience=4)
    opted_in = application(years_experience=3, guaranteed_second_stage=True)
    opted_in_not_eligible = application(right_to_work=False, guaranteed_second_stage=True)
    for event in (best, weaker, opted_in, opted_in_not_eligible):
        await screen(service, event)

    closed = await client.post(f"/cohorts/{COHORT}/shortlist", headers=admin(service))

    assert closed.status_code == 200, closed.text
    assert closed.json() == {"shortlisted": 2, "not_shortlisted": 1}
    outcomes = {e.application_id: e.outcome for e in await published(service)}
    assert outcomes == {
        best.application_id: "shortlisted",
        opted_in.application_id: "shortlisted",
        weaker.application_id: "not_shortlisted",
        opted_in_not_eligible.application_id: "ineligible",
    }
    # The event says nothing of the opt-in: the decision's inputs, kept here, do.
    assert all("guaranteed" not in e.model_dump_json() for e in await published(service))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/assessor/queue"),
        ("GET", "/assessor/assignments/{id}"),
        ("GET", "/assessor/assignments/{id}/video"),
        ("POST", "/assessor/assignments/{id}/scorecard"),
        ("PUT", "/assessor/assignments/{id}/scorecard"),
        ("POST", "/assessor/assignments/{id}/conflict"),
    ],
)
async def test_the_assessor_api_refuses_every_other_role(
    client: httpx.AsyncClient, service: ServiceRuntime, method: str, path: str
) -> None:
    """The role check itself, not a missing assignment, answers: 403 for an admin or a candidate."""
    url = path.format(id=uuid4())
    for role in (Role.ADMIN, Role.CANDIDATE, Role.TRAINER):
        refused = await client.request(method, url, json={}, headers=as_(service, str(uuid4()), role))
        assert refused.status_code == 403, (role, refused.text)
        assert "assessor" in refused.json()["detail"]


async def test_a_threshold_cohort_has_no_shortlist_to_close(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service)

    refused = await client.post(f"/cohorts/{COHORT}/shortlist", headers=admin(service))

    assert refused.status_code == 409
    assert "at least 50" in refused.json()["detail"]
    unknown = await client.post("/cohorts/nobody-here/shortlist", headers=admin(service))
    assert unknown.status_code == 404


# --------------------------------------------------------------------------- second stage


async def test_each_submission_gets_two_different_assessors_and_work_is_spread_evenly(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service)
    await add_assessors(client, service, "a1", "a2", "a3")

    applied = await shortlisted_with_second_stage(client, service, 3)

    loads: Counter[str] = Counter()
    for event in applied:
        assigned = [a.assessor_id for a in await assignments(service, event)]
        assert len(assigned) == 2
        assert len(set(assigned)) == 2
        loads.update(assigned)
    assert set(loads) == {"a1", "a2", "a3"}
    assert max(loads.values()) - min(loads.values()) <= 1
    for assessor_id, load in loads.items():
        queue = (await client.get("/assessor/queue", headers=as_(service, assessor_id, Role.ASSESSOR))).json()
        assert len(queue) == load
        assert {item["status"] for item in queue} == {"pending"}


async def test_submissions_wait_for_assessors_and_get_them_when_assessors_join(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service)
    [applied] = await shortlisted_with_second_stage(client, service, 1)
    assert await assignments(service, applied) == []

    await add_assessors(client, service, "a1", "a2")

    assert sorted(a.assessor_id for a in await assignments(service, applied)) == ["a1", "a2"]


async def test_an_admin_conflict_moves_the_pending_assignment_to_another_assessor(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service)
    await add_assessors(client, service, "a1", "a2", "a3")
    [applied] = await shortlisted_with_second_stage(client, service, 1)
    before = sorted(a.assessor_id for a in await assignments(service, applied))
    conflicted = before[0]

    response = await client.post(
        "/conflicts",
        json={
            "assessor_id": conflicted,
            "candidate_id": str(applied.candidate_id),
            "reason": "Former colleague",
        },
        headers=admin(service),
    )

    assert response.status_code == 201, response.text
    after = sorted(a.assessor_id for a in await assignments(service, applied))
    assert conflicted not in after
    assert len(set(after)) == 2
    assert set(after) == {"a1", "a2", "a3"} - {conflicted}
    queue = (await client.get("/assessor/queue", headers=as_(service, conflicted, Role.ASSESSOR))).json()
    assert queue == []
    not_admin = await client.post(
        "/conflicts",
        json={"assessor_id": "a2", "candidate_id": str(applied.candidate_id), "reason": "Former colleague"},
        headers=as_(service, "a2", Role.ASSESSOR),
    )
    assert not_admin.status_code == 403


async def test_an_assessor_who_knows_the_candidate_has_the_assignment_reassigned(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service)
    await add_assessors(client, service, "a1", "a2", "a3")
    [applied] = await shortlisted_with_second_stage(client, service, 1)
    mine = (await assignments(service, applied))[0]
    me = as_(service, mine.assessor_id, Role.ASSESSOR)

    response = await client.post(
        f"/assessor/assignments/{mine.id}/conflict", json={"reason": "She is my neighbour"}, headers=me
    )

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "reassigned"}
    after = [a.assessor_id for a in await assignments(service, applied)]
    assert mine.assessor_id not in after
    assert len(set(after)) == 2
    assert (await client.get(f"/assessor/assignments/{mine.id}", headers=me)).status_code == 404
    assert (await send_scorecard(client, service, mine, card())).status_code == 404


async def test_assessors_see_the_answers_but_nothing_that_identifies_the_candidate(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service)
    await add_assessors(client, service, "a1", "a2", "a3")
    [applied] = await shortlisted_with_second_stage(client, service, 1)
    mine = (await assignments(service, applied))[0]
    other = ({"a1", "a2", "a3"} - {a.assessor_id for a in await assignments(service, applied)}).pop()

    response = await client.get(
        f"/assessor/assignments/{mine.id}", headers=as_(service, mine.assessor_id, Role.ASSESSOR)
    )

    assert response.status_code == 200, response.text
    body = response.json()
    raw = response.text
    assert ANSWER in raw
    assert body["answers"] == {"ict-problem": ANSWER}
    assert body["years_experience"] == 8.5
    assert body["rubric"]["criteria"]
    for secret in (
        "Zebedee",
        "Quartermaine",
        "zebedee.quartermaine@example.org",
        "SW1A",
        "RTW-ICT",
        str(applied.candidate_id),
        str(applied.application_id),
        "2016-04",
        "caring",
        "west_midlands",
    ):
        assert secret.lower() not in raw.lower(), secret
    keys = {k.lower() for k in keys_of(body)}
    for forbidden in (
        "name",
        "given_name",
        "family_name",
        "email",
        "phone",
        "telephone",
        "postcode",
        "postcode_district",
        "region",
        "date_of_birth",
        "dob",
        "age",
        "career_break",
        "start",
        "end",
        "candidate_id",
        "application_id",
        "reference",
    ):
        assert forbidden not in keys, forbidden

    stranger = await client.get(
        f"/assessor/assignments/{mine.id}", headers=as_(service, other, Role.ASSESSOR)
    )
    assert stranger.status_code == 404  # as if there were none
    candidate = await client.get(
        f"/assessor/assignments/{mine.id}", headers=as_(service, str(applied.candidate_id), Role.CANDIDATE)
    )
    assert candidate.status_code == 403


@pytest.mark.parametrize(
    ("scores", "field"),
    [
        ({c: 3 for c in CRITERIA if c != "communication"}, "scores.communication"),
        ({**dict.fromkeys(CRITERIA, 3), "technical_depth": 5}, "scores.technical_depth"),
        ({**dict.fromkeys(CRITERIA, 3), "learning_plan": 0}, "scores.learning_plan"),
        ({**dict.fromkeys(CRITERIA, 3), "charisma": 4}, "scores.charisma"),
    ],
)
async def test_a_scorecard_with_a_missing_or_out_of_range_criterion_is_refused_naming_it(
    client: httpx.AsyncClient, service: ServiceRuntime, scores: dict[str, int], field: str
) -> None:
    await configure(client, service)
    await add_assessors(client, service, "a1", "a2")
    [applied] = await shortlisted_with_second_stage(client, service, 1)
    mine = (await assignments(service, applied))[0]

    refused = await send_scorecard(client, service, mine, {"scores": scores, "recommendation": "yes"})

    assert refused.status_code == 422
    assert field in [e["field"] for e in refused.json()["errors"]]
    accepted = await send_scorecard(client, service, mine, card(3))
    assert accepted.status_code == 201, accepted.text


async def test_the_second_stage_is_scored_after_the_last_scorecard_and_disagreement_is_flagged(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service)
    await add_assessors(client, service, "a1", "a2")
    disputed, agreed = await shortlisted_with_second_stage(client, service, 2)
    first, second = await assignments(service, disputed)

    sent = await send_scorecard(client, service, first, card(4))

    assert sent.status_code == 201
    assert sent.json()["second_stage_final"] is False
    assert [e.stage for e in await published(service, disputed)] == ["screening"]
    assert (await send_scorecard(client, service, first, card(4))).status_code == 409

    last = await send_scorecard(client, service, second, card(4, technical_depth=1))

    assert last.json()["second_stage_final"] is True
    scored = [e for e in await published(service, disputed) if e.stage == "second_stage"]
    assert len(scored) == 1
    assert (scored[0].outcome, scored[0].decision_kind) == ("scored", "automatic")
    assert scored[0].rubric_version == "ict-rubric-2"
    assert scored[0].score == pytest.approx((100 + 100 * (12 - 3) / 12) / 2, abs=0.01)
    depth = next(f for f in scored[0].breakdown if f.name == "technical_depth")
    assert "calibration" in depth.explanation
    funnel = (await client.get(f"/cohorts/{COHORT}/funnel", headers=admin(service))).json()
    assert funnel["calibration_flagged"] == 1
    assert funnel["second_stage_scored"] == 1
    assert funnel["awaiting_scorecards"] == 1

    await score_fully(client, service, agreed, 3)

    funnel = (await client.get(f"/cohorts/{COHORT}/funnel", headers=admin(service))).json()
    assert funnel["calibration_flagged"] == 1
    assert funnel["second_stage_scored"] == 2
    assert funnel["awaiting_scorecards"] == 0
    assert funnel["pending_assignments"] == 0


# --------------------------------------------------------------------------- selection


async def test_closing_selects_waitlists_and_rejects_and_a_withdrawal_promotes_the_waitlist(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service, capacity=1, waitlist_size=1)
    await add_assessors(client, service, "a1", "a2", "a3")
    top, middle, bottom, unfinished = await shortlisted_with_second_stage(client, service, 4)
    await score_fully(client, service, top, 4)
    await score_fully(client, service, middle, 3)
    await score_fully(client, service, bottom, 2)
    one = (await assignments(service, unfinished))[0]
    assert (await send_scorecard(client, service, one, card(4))).status_code == 201

    outstanding = await client.post(f"/cohorts/{COHORT}/close", headers=admin(service))

    assert outstanding.status_code == 409
    assert "await scorecards" in outstanding.json()["detail"]
    assert [e for e in await published(service) if e.stage == "final"] == []

    forced = await client.post(f"/cohorts/{COHORT}/close?force=true", headers=admin(service))

    assert forced.status_code == 200, forced.text
    assert forced.json() == {"selected": 1, "waitlisted": 1, "rejected": 2}
    finals = {e.application_id: e for e in await published(service) if e.stage == "final"}
    assert [
        (finals[a.application_id].outcome, finals[a.application_id].rank) for a in (top, middle, bottom)
    ] == [
        ("selected", 1),
        ("waitlisted", 2),
        ("rejected", 3),
    ]
    top_score, middle_score = finals[top.application_id].score, finals[middle.application_id].score
    assert top_score is not None
    assert middle_score is not None
    assert top_score > middle_score
    assert {f.name for f in finals[top.application_id].breakdown} == {"stage1", "second_stage"}
    assert (finals[unfinished.application_id].outcome, finals[unfinished.application_id].rank) == (
        "rejected",
        None,
    )
    assert "not fully scored" in finals[unfinished.application_id].breakdown[0].explanation
    assert (await client.post(f"/cohorts/{COHORT}/close", headers=admin(service))).status_code == 409

    await withdraw(service, top)

    promoted = [e for e in await published(service, middle) if e.stage == "final"]
    assert [(e.outcome, e.decision_kind, e.rank) for e in promoted] == [
        ("waitlisted", "automatic", 2),
        ("selected", "waitlist_promotion", 2),
    ]
    assert promoted[-1].sequence is not None
    assert promoted[-1].sequence > promoted[0].sequence  # type: ignore[operator]
    assert [e.outcome for e in await published(service, bottom) if e.stage == "final"] == ["rejected"]
    funnel = (await client.get(f"/cohorts/{COHORT}/funnel", headers=admin(service))).json()
    assert funnel["withdrawn"] == 1


async def test_closing_a_fully_scored_cohort_needs_no_force(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service, capacity=2, waitlist_size=0)
    await add_assessors(client, service, "a1", "a2")
    first, second, third = await shortlisted_with_second_stage(client, service, 3)
    for event in (first, second, third):
        await score_fully(client, service, event, 3)

    closed = await client.post(f"/cohorts/{COHORT}/close", headers=admin(service))

    assert closed.status_code == 200, closed.text
    assert closed.json() == {"selected": 2, "waitlisted": 0, "rejected": 1}
    finals = {e.application_id: e for e in await published(service) if e.stage == "final"}
    # equal scores: the earlier submissions take the places
    assert [finals[a.application_id].outcome for a in (first, second, third)] == [
        "selected",
        "selected",
        "rejected",
    ]


# --------------------------------------------------------------------------- overrides


async def test_an_override_needs_a_justification_and_is_published_as_an_override(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service)
    weak = application(**WEAK)
    await screen(service, weak)
    url = f"/applications/{weak.application_id}/override"

    too_short = await client.post(
        url,
        json={"stage": "screening", "outcome": "shortlisted", "justification": "Looks fine"},
        headers=admin(service),
    )
    wrong_stage = await client.post(
        url,
        json={
            "stage": "screening",
            "outcome": "selected",
            "justification": "Exceptional public service record",
        },
        headers=admin(service),
    )
    not_admin = await client.post(
        url,
        json={
            "stage": "screening",
            "outcome": "shortlisted",
            "justification": "Exceptional public service record",
        },
        headers=as_(service, "a1", Role.ASSESSOR),
    )

    assert too_short.status_code == 422
    assert wrong_stage.status_code == 422
    assert not_admin.status_code == 403
    assert [e.decision_kind for e in await published(service, weak)] == ["automatic"]

    done = await client.post(
        url,
        json={
            "stage": "screening",
            "outcome": "shortlisted",
            "justification": "Exceptional public service record",
        },
        headers=admin(service),
    )

    assert done.status_code == 200, done.text
    assert done.json()["outcome"] == "shortlisted"
    overridden = (await published(service, weak))[-1]
    assert (overridden.stage, overridden.outcome, overridden.decision_kind) == (
        "screening",
        "shortlisted",
        "override",
    )
    assert overridden.next_step_deadline is not None
    decisions = (
        await client.get(f"/applications/{weak.application_id}/decisions", headers=admin(service))
    ).json()
    assert decisions[-1]["justification"] == "Exceptional public service record"
    assert decisions[-1]["decided_by"] == "admin-1"
    funnel = (await client.get(f"/cohorts/{COHORT}/funnel", headers=admin(service))).json()
    assert funnel["screening"] == {"shortlisted": 1}


# --------------------------------------------------------------------------- appeals


async def test_a_candidate_appeals_an_ineligible_decision_once_and_an_upheld_appeal_rescreens(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service)
    refused = application(**STRONG, right_to_work=False)
    shortlisted = application(**STRONG)
    for event in (refused, shortlisted):
        await screen(service, event)
    me = as_(service, str(refused.candidate_id), Role.CANDIDATE)
    grounds = "I have settled status and the right to work in the UK."

    lodged = await client.post(
        "/appeals", json={"application_id": str(refused.application_id), "grounds": grounds}, headers=me
    )
    twice = await client.post(
        "/appeals", json={"application_id": str(refused.application_id), "grounds": grounds}, headers=me
    )
    stranger = await client.post(
        "/appeals",
        json={"application_id": str(refused.application_id), "grounds": grounds},
        headers=as_(service, str(shortlisted.candidate_id), Role.CANDIDATE),
    )
    not_ineligible = await client.post(
        "/appeals",
        json={"application_id": str(shortlisted.application_id), "grounds": grounds},
        headers=as_(service, str(shortlisted.candidate_id), Role.CANDIDATE),
    )
    admin_appealing = await client.post(
        "/appeals",
        json={"application_id": str(refused.application_id), "grounds": grounds},
        headers=admin(service),
    )

    assert lodged.status_code == 201, lodged.text
    assert lodged.json()["status"] == "open"
    assert twice.status_code == 409
    assert stranger.status_code == 404  # another's application: as if there were none
    assert not_ineligible.status_code == 409
    assert admin_appealing.status_code == 403
    listed = (await client.get("/appeals", headers=admin(service))).json()
    assert [(a["application_id"], a["grounds"]) for a in listed] == [(str(refused.application_id), grounds)]
    assert (await client.get("/appeals", headers=me)).status_code == 403

    appeal_id = lodged.json()["appeal_id"]
    decided = await client.post(
        f"/appeals/{appeal_id}/decision",
        json={"upheld": True, "reason": "Share code checked by the team."},
        headers=admin(service),
    )

    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "upheld"
    latest = (await published(service, refused))[-1]
    assert (latest.stage, latest.outcome, latest.decision_kind) == ("screening", "shortlisted", "appeal")
    assert latest.score == pytest.approx(59.67)
    assert latest.breakdown
    again = await client.post(
        f"/appeals/{appeal_id}/decision",
        json={"upheld": False, "reason": "Changed my mind."},
        headers=admin(service),
    )
    assert again.status_code == 409
    funnel = (await client.get(f"/cohorts/{COHORT}/funnel", headers=admin(service))).json()
    assert funnel["screening"] == {"shortlisted": 2}
    assert funnel["ineligibility_reasons"] == {}


async def test_a_dismissed_appeal_leaves_the_candidate_ineligible_with_the_same_reasons(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service)
    short = CareerBreak(start=RECENT, end=None, reason=CareerBreakReason.CARING)
    refused = application(**STRONG, career_break=short)
    await screen(service, refused)
    lodged = await client.post(
        "/appeals",
        json={
            "application_id": str(refused.application_id),
            "grounds": "I was caring for my mother before too.",
        },
        headers=as_(service, str(refused.candidate_id), Role.CANDIDATE),
    )
    assert lodged.status_code == 201

    decided = await client.post(
        f"/appeals/{lodged.json()['appeal_id']}/decision",
        json={"upheld": False, "reason": "The break before was under a year too."},
        headers=admin(service),
    )

    assert decided.json()["status"] == "dismissed"
    first, latest = await published(service, refused)
    assert (latest.outcome, latest.decision_kind) == ("ineligible", "appeal")
    assert [r.code for r in latest.reasons] == [r.code for r in first.reasons] == ["career_break_too_short"]
    assert (await client.get("/appeals", headers=admin(service))).json() == []


async def test_an_upheld_appeal_after_shortlisting_closed_still_gives_the_candidate_a_decision(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service, shortlist_size=2, shortlist_threshold=None)
    refused = application(**STRONG, right_to_work=False)
    await screen(service, refused)
    await screen(service, application(**STRONG))
    assert (await client.post(f"/cohorts/{COHORT}/shortlist", headers=admin(service))).status_code == 200
    lodged = await client.post(
        "/appeals",
        json={"application_id": str(refused.application_id), "grounds": "I have settled status in the UK."},
        headers=as_(service, str(refused.candidate_id), Role.CANDIDATE),
    )
    assert lodged.status_code == 201

    decided = await client.post(
        f"/appeals/{lodged.json()['appeal_id']}/decision",
        json={"upheld": True, "reason": "Share code checked by the team."},
        headers=admin(service),
    )

    assert decided.status_code == 200
    latest = (await published(service, refused))[-1]
    assert latest.decision_kind == "appeal"
    assert latest.outcome != "ineligible"


# --------------------------------------------------------------------------- funnel


async def test_the_funnel_counts_screening_outcomes_and_why_people_were_ineligible(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service)
    short = CareerBreak(start=RECENT, end=None, reason=CareerBreakReason.LONG_TERM_UNEMPLOYED)
    for event in (
        application(**STRONG),
        application(**STRONG),
        application(**WEAK),
        application(right_to_work=False),
        application(right_to_work=False, years_experience=1),
        application(career_break=short),
    ):
        await screen(service, event)

    response = await client.get(f"/cohorts/{COHORT}/funnel", headers=admin(service))

    assert response.status_code == 200
    funnel = response.json()
    assert funnel["applications"] == 6
    assert funnel["screening"] == {"shortlisted": 2, "not_shortlisted": 1, "ineligible": 3}
    assert funnel["ineligibility_reasons"] == {
        "no_right_to_work": 2,
        "insufficient_experience": 1,
        "career_break_too_short": 1,
    }
    assert funnel["selection"] == {}
    assert (await client.get(f"/cohorts/{COHORT}/funnel")).status_code == 401
    assert (
        await client.get(f"/cohorts/{COHORT}/funnel", headers=as_(service, "a1", Role.ASSESSOR))
    ).status_code == 403
    assert json.dumps(funnel).count("Zebedee") == 0


# --------------------------------------------------------------------------- more


async def _closed_cohort_of_three(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> tuple[ApplicationSubmittedV2, ApplicationSubmittedV2, ApplicationSubmittedV2]:
    await configure(client, service, capacity=1, waitlist_size=1)
    await add_assessors(client, service, "a1", "a2")
    top, middle, bottom = await shortlisted_with_second_stage(client, service, 3)
    for event, value in ((top, 4), (middle, 3), (bottom, 2)):
        await score_fully(client, service, event, value)
    closed = await client.post(f"/cohorts/{COHORT}/close", headers=admin(service))
    assert closed.json() == {"selected": 1, "waitlisted": 1, "rejected": 1}
    return top, middle, bottom


async def test_overriding_a_selected_candidate_to_rejected_gives_the_place_to_the_waitlist(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    top, middle, _ = await _closed_cohort_of_three(client, service)

    done = await client.post(
        f"/applications/{top.application_id}/override",
        json={"stage": "final", "outcome": "rejected", "justification": "References could not be verified."},
        headers=admin(service),
    )

    assert done.status_code == 200, done.text
    assert [(e.outcome, e.decision_kind) for e in (await published(service, top))[-1:]] == [
        ("rejected", "override")
    ]
    assert [(e.outcome, e.decision_kind) for e in (await published(service, middle))[-1:]] == [
        ("selected", "waitlist_promotion")
    ]
    funnel = (await client.get(f"/cohorts/{COHORT}/funnel", headers=admin(service))).json()
    assert funnel["selection"] == {"selected": 1, "rejected": 2}


async def test_overriding_a_selected_candidate_to_waitlisted_gives_the_place_to_the_next_in_line(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    top, middle, _ = await _closed_cohort_of_three(client, service)

    done = await client.post(
        f"/applications/{top.application_id}/override",
        json={"stage": "final", "outcome": "waitlisted", "justification": "Start date moved to the spring."},
        headers=admin(service),
    )

    assert done.status_code == 200, done.text
    top_final = [(e.outcome, e.decision_kind) for e in await published(service, top) if e.stage == "final"]
    assert top_final == [("selected", "automatic"), ("waitlisted", "override")]
    assert (await published(service, middle))[-1].outcome == "selected"
    funnel = (await client.get(f"/cohorts/{COHORT}/funnel", headers=admin(service))).json()
    assert funnel["selection"] == {"selected": 1, "waitlisted": 1, "rejected": 1}


async def test_work_moves_to_an_assessor_who_joins_later(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service)
    await add_assessors(client, service, "a1", "a2")
    applied = await shortlisted_with_second_stage(client, service, 3)

    await add_assessors(client, service, "a3")

    loads: Counter[str] = Counter()
    for event in applied:
        assigned = [a.assessor_id for a in await assignments(service, event)]
        assert len(set(assigned)) == 2
        loads.update(assigned)
    assert loads == {"a1": 2, "a2": 2, "a3": 2}


async def test_someone_elses_assignment_decisions_or_appeal_answer_like_an_unknown_id(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    """An assessor, or a candidate, learns nothing from another's id: the answer is the one an id
    that does not exist gets."""
    await configure(client, service)
    await add_assessors(client, service, "a1", "a2", "a3")
    [applied] = await shortlisted_with_second_stage(client, service, 1)
    refused = application(**STRONG, right_to_work=False)
    await screen(service, refused)
    assigned = await assignments(service, applied)
    outsider = ({"a1", "a2", "a3"} - {a.assessor_id for a in assigned}).pop()
    as_outsider = as_(service, outsider, Role.ASSESSOR)
    as_stranger = as_(service, str(uuid4()), Role.CANDIDATE)
    grounds = "I have settled status and the right to work in the UK."

    async def answers(assignment_id: UUID, application_id: UUID) -> list[tuple[int, Any]]:
        base = f"/assessor/assignments/{assignment_id}"
        found = [
            await client.get(base, headers=as_outsider),
            await client.get(f"{base}/video", headers=as_outsider),
            await client.post(f"{base}/scorecard", json=card(3), headers=as_outsider),
            await client.post(f"{base}/conflict", json={"reason": "I know them."}, headers=as_outsider),
            await client.get(f"/applications/{application_id}/decisions", headers=as_stranger),
            await client.post(
                "/appeals",
                json={"application_id": str(application_id), "grounds": grounds},
                headers=as_stranger,
            ),
        ]
        return [(r.status_code, r.json()) for r in found]

    someone_elses = await answers(assigned[0].id, refused.application_id)
    not_there = await answers(uuid4(), uuid4())

    assert someone_elses == not_there
    assert {status for status, _ in someone_elses} == {404}, someone_elses
    assert {a.assessor_id for a in await assignments(service, applied)} == {a.assessor_id for a in assigned}


# --------------------------------------------------------------------------- erasure


async def erase(service: ServiceRuntime, candidate_id: UUID, *applications: ApplicationSubmittedV2) -> None:
    """CandidateErased delivered through the service's subscription, as the broker would."""
    event = example(
        CandidateErased,
        event_id=uuid4(),
        correlation_id=applications[0].application_id,
        candidate_id=candidate_id,
        application_ids=[a.application_id for a in applications],
        erased_at=datetime.now(UTC),
    )
    await service.broker.publish(
        event.model_dump(mode="json"),
        exchange=service.topology.events_exchange,
        routing_key=event.ROUTING_KEY,
    )


async def funnel_of(client: httpx.AsyncClient, service: ServiceRuntime) -> dict[str, Any]:
    answer = await client.get(f"/cohorts/{COHORT}/funnel", headers=admin(service))
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def pages_as(service: ServiceRuntime, subject: str, role: Role) -> httpx.AsyncClient:
    secret = service.settings.token_secret.get_secret_value()
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app_for(service)),
        base_url="http://assessment",
        cookies={
            "rtw_session": issue_session_token(secret, Principal(subject=subject, role=role)),
            "rtw_csrf": "c",
        },
    )


async def test_erasure_after_selection_leaves_nothing_of_the_person_and_promotes_nobody(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service, capacity=1, waitlist_size=1)
    await add_assessors(client, service, "a1", "a2", "a3")
    # Zebedee was selected; an earlier application of his was found ineligible and he appealed.
    zebedee = uuid4()
    his_break = CareerBreak(start=date(2016, 5, 1), end=None, reason=CareerBreakReason.CARING)
    top = application(years_experience=8.75, candidate_id=zebedee, career_break=his_break)
    refused = application(
        candidate_id=zebedee, years_experience=1.75, right_to_work=False, career_break=his_break
    )
    middle, bottom = (application(**STRONG, submitted_at=T0 + timedelta(minutes=i)) for i in (1, 2))
    his_words = "I ran the repairs hotline for Ladywood estate while caring for my father"
    grounds = "My settled status letter from the Home Office arrived after I applied"
    comment = "He mentioned his father's dementia diagnosis in the video"
    conflict = "We sang in the Ladywood community choir together"
    for event in (top, refused, middle, bottom):
        await screen(service, event)
    await submit_second_stage(service, top, his_words)
    await submit_second_stage(service, middle)
    await submit_second_stage(service, bottom)
    his_assignments = await assignments(service, top)
    for assignment in his_assignments:
        sent = await send_scorecard(client, service, assignment, card(4) | {"comments": comment})
        assert sent.status_code == 201, sent.text
    await score_fully(client, service, middle, 3)
    await score_fully(client, service, bottom, 2)
    him = as_(service, str(zebedee), Role.CANDIDATE)
    appealed = await client.post(
        "/appeals", json={"application_id": str(refused.application_id), "grounds": grounds}, headers=him
    )
    assert appealed.status_code == 201, appealed.text
    declared = await client.post(
        "/conflicts",
        json={"assessor_id": "a3", "candidate_id": str(zebedee), "reason": conflict},
        headers=admin(service),
    )
    assert declared.status_code == 201, declared.text
    closed = await client.post(f"/cohorts/{COHORT}/close", headers=admin(service))
    assert closed.json() == {"selected": 1, "waitlisted": 1, "rejected": 1}
    decisions_url = f"/applications/{top.application_id}/decisions"
    assert "2016-05-01" in (await client.get(decisions_url, headers=admin(service))).text
    refused_url = f"/applications/{refused.application_id}/decisions"
    assert "you told us 1.75" in (await client.get(refused_url, headers=him)).text
    traces = PersonTraces.of(
        zebedee,
        top.application_id,
        refused.application_id,
        *(a.id for a in his_assignments),
        his_words,
        grounds,
        comment,
        conflict,
        "2016-05-01",
        "you told us 1.75",
        "8.75 years in the profession",
    )
    before = await funnel_of(client, service)
    others = {middle.application_id, bottom.application_id}
    finals_before = [e.event_id for e in await published(service) if e.application_id in others]

    await erase(service, zebedee, top, refused)

    a1 = as_(service, his_assignments[0].assessor_id, Role.ASSESSOR)
    answers = await assert_answers_without(
        client,
        traces,
        [
            (decisions_url, admin(service)),
            (decisions_url, him),
            (f"/applications/{refused.application_id}/decisions", admin(service)),
            (f"/assessor/assignments/{his_assignments[0].id}", a1),
            (f"/assessor/assignments/{his_assignments[0].id}/video", a1),
            ("/appeals?status=open", admin(service)),
            ("/assessor/queue", a1),
            (f"/cohorts/{COHORT}/funnel", admin(service)),
        ],
    )
    assert [a.status_code for a in answers[:5]] == [404] * 5  # as for an id never seen
    assert answers[5].json() == []
    async with (
        pages_as(service, "admin-1", Role.ADMIN) as admin_pages,
        pages_as(service, his_assignments[0].assessor_id, Role.ASSESSOR) as assessor_pages,
    ):
        for page in (
            await admin_pages.get("/admin"),
            await admin_pages.get(f"/admin/cohorts/{COHORT}"),
            await admin_pages.get("/admin/funnel"),
            await assessor_pages.get("/queue"),
        ):
            assert page.status_code == 200, page.url
            traces.assert_absent(str(page.url), page.text)
        assert (await assessor_pages.get(f"/queue/{his_assignments[0].id}")).status_code == 404
    assert await outbox_rows_with(service, traces) == []
    assert (
        await stored_rows_with(
            service,
            PersonTraces.of(
                his_words, grounds, comment, conflict, "2016-05-01", "you told us 1.75", "8.75 years"
            ),
        )
        == []
    )
    # His place stays his: nobody is promoted and every count is what it was.
    assert [e.event_id for e in await published(service) if e.application_id in others] == finals_before
    assert [e.outcome for e in await published(service, middle) if e.stage == "final"] == ["waitlisted"]
    assert_counts_unchanged(before, await funnel_of(client, service))

    # His application published again (another queue was behind) is not screened again.
    await screen(service, top)
    await erase(service, zebedee, top, refused)
    assert (await client.get(decisions_url, headers=admin(service))).status_code == 404
    assert await outbox_rows_with(service, traces) == []
    assert_counts_unchanged(before, await funnel_of(client, service))


async def test_erasure_before_selection_takes_the_person_out_as_a_withdrawal_does(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service, capacity=1, waitlist_size=1)
    await add_assessors(client, service, "a1", "a2")
    leaving, staying, withdrawing, waiting = await shortlisted_with_second_stage(client, service, 4)
    await score_fully(client, service, staying, 3)
    await score_fully(client, service, waiting, 2)
    before = await funnel_of(client, service)
    assert before["pending_assignments"] == 4

    await erase(service, leaving.candidate_id, leaving)
    await withdraw(service, withdrawing)

    after = await funnel_of(client, service)
    # Their assessments end as a withdrawal's do; every other count stays.
    assert after["pending_assignments"] == 0
    assert_counts_unchanged({**before, "pending_assignments": 0, "withdrawn": 1}, after)
    assert await assignments(service, leaving) == []
    closed = await client.post(f"/cohorts/{COHORT}/close", headers=admin(service))
    assert closed.json() == {"selected": 1, "waitlisted": 1, "rejected": 0}
    finals = {e.application_id for e in await published(service) if e.stage == "final"}
    assert finals == {staying.application_id, waiting.application_id}


async def test_an_erasure_that_arrives_before_the_application_keeps_it_from_being_screened(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service)
    early = application(**STRONG)

    await erase(service, early.candidate_id, early)
    await screen(service, early)

    assert await published(service, early) == []
    answer = await client.get(f"/applications/{early.application_id}/decisions", headers=admin(service))
    assert answer.status_code == 404
    assert (await funnel_of(client, service))["applications"] == 0


async def test_erasing_one_candidate_leaves_the_other_candidates_appeals_and_conflicts(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await configure(client, service)
    await add_assessors(client, service, "a1")
    # Ids on both sides of the erased one's: a query that compared them by order would take one.
    before, erased, after = (
        UUID(f"{digit * 8}-{digit * 4}-4{digit * 3}-8{digit * 3}-{digit * 12}") for digit in "159"
    )
    for candidate_id in (before, erased, after):
        refused = application(candidate_id=candidate_id, years_experience=1.75, right_to_work=False)
        await screen(service, refused)
        appealed = await client.post(
            "/appeals",
            json={
                "application_id": str(refused.application_id),
                "grounds": "My settled status letter came after I applied",
            },
            headers=as_(service, str(candidate_id), Role.CANDIDATE),
        )
        assert appealed.status_code == 201, appealed.text
        declared = await client.post(
            "/conflicts",
            json={"assessor_id": "a1", "candidate_id": str(candidate_id), "reason": "A neighbour"},
            headers=admin(service),
        )
        assert declared.status_code == 201, declared.text
        if candidate_id == erased:
            his = refused

    await erase(service, erased, his)

    schema = service.definition.schema
    async with service.engine.connect() as conn:
        for table in ("appeals", "conflicts"):
            rows = await conn.execute(text(f"SELECT candidate_id FROM {schema}.{table}"))
            assert sorted(row.candidate_id for row in rows) == [before, after], table
