"""A cohort's lifecycle in assessment: it is known from CohortScheduled (and configurable while a
draft), a closed selection invites nobody new, closing selection tells applications, and training
and hires move the cohort on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import httpx
import pytest
from rtw_assessment import lifecycle, screening, second_stage
from rtw_assessment.domain import CohortState, default_config
from rtw_assessment.models import Assignment, Candidacy, ScheduledCohort
from rtw_contracts import (
    ApplicationSubmittedV2,
    AssessmentScored,
    CandidateHired,
    CareerBreakReason,
    CohortScheduled,
    CohortSelectionClosed,
    Programme,
    SecondStageSubmitted,
    TrainingCompleted,
    TrainingEnrolled,
    cohort_journey,
)
from rtw_contracts.examples import example
from rtw_contracts.types import CareerBreak, SecondStageAnswer
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.service import ServiceRuntime
from sqlalchemy import text
from sqlmodel import select

pytestmark = pytest.mark.component

COHORT = "ict-life"
TODAY = datetime.now(UTC).date()
T0 = datetime.now(UTC) - timedelta(days=3)
ICT = default_config(Programme.ICT)
CRITERIA = [c.id for c in ICT.rubric.criteria]


def admin(service: ServiceRuntime, subject: str = "admin-1", role: Role = Role.ADMIN) -> dict[str, str]:
    secret = service.settings.token_secret.get_secret_value()
    return {"Authorization": f"Bearer {issue_token(secret, Principal(subject=subject, role=role))}"}


def schedule(sequence: int = 1, **changes: Any) -> CohortScheduled:
    values: dict[str, Any] = {
        "event_id": uuid4(),
        "correlation_id": cohort_journey(COHORT),
        "sequence": sequence,
        "cohort_id": COHORT,
        "programme": Programme.ICT,
        "title": "ICT returners",
        "opens_on": TODAY + timedelta(days=10),
        "closes_on": TODAY + timedelta(days=40),
        "video_required": False,
        "changed_at": datetime.now(UTC),
    }
    values.update(changes)
    return CohortScheduled(**values)


async def record(service: ServiceRuntime, event: CohortScheduled) -> None:
    async with service.uow_factory() as uow:
        await lifecycle.record_schedule(event, uow)
        await uow.commit()


def application(**changes: Any) -> ApplicationSubmittedV2:
    application_id = uuid4()
    values: dict[str, Any] = {
        "event_id": uuid4(),
        "correlation_id": application_id,
        "application_id": application_id,
        "candidate_id": uuid4(),
        "cohort_id": COHORT,
        "submitted_at": T0,
        "years_experience": 8.5,  # shortlisted at the ICT threshold of 50
        "career_break": CareerBreak(start=date(2016, 4, 1), end=None, reason=CareerBreakReason.CARING),
    }
    values.update(changes)
    return example(ApplicationSubmittedV2, **values)


async def screen(service: ServiceRuntime, event: ApplicationSubmittedV2) -> None:
    async with service.uow_factory() as uow:
        await screening.screen_application(event, uow)
        await uow.commit()


async def outbox(service: ServiceRuntime, event_type: str) -> list[dict[str, Any]]:
    async with service.engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT payload FROM assessment.outbox WHERE event_type = :t ORDER BY id"), {"t": event_type}
        )
        return [row.payload for row in rows]


async def state_of(service: ServiceRuntime) -> lifecycle.CohortView:
    async with service.uow_factory() as uow:
        return await lifecycle.cohort_view(uow, COHORT, TODAY)


async def test_a_scheduled_cohort_is_known_and_configurable_before_any_application(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await record(service, schedule())

    configured = await client.get(f"/cohorts/{COHORT}/config", headers=admin(service))
    assert configured.status_code == 200, configured.text
    assert configured.json()["version"] == 1
    view = await state_of(service)
    assert view.lifecycle.state is CohortState.DRAFT
    assert view.scheduled is not None
    assert view.scheduled.title == "ICT returners"

    changed = ICT.model_dump(mode="json") | {"capacity": 3}
    saved = await client.put(f"/cohorts/{COHORT}/config", json=changed, headers=admin(service))
    assert saved.status_code == 200, saved.text
    assert saved.json()["version"] == 2


async def test_a_later_change_of_the_window_wins_and_an_older_one_arriving_late_is_ignored(
    service: ServiceRuntime,
) -> None:
    await record(service, schedule(sequence=2, title="Renamed", opens_on=TODAY - timedelta(days=1)))
    await record(service, schedule(sequence=1, title="ICT returners"))

    async with service.uow_factory() as uow:
        kept = await uow.session.get(ScheduledCohort, COHORT)
    assert kept is not None
    assert kept.title == "Renamed"
    assert (await state_of(service)).lifecycle.state is CohortState.OPEN


async def test_after_selection_closed_a_new_applicant_is_not_invited_to_the_second_stage(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await record(service, schedule(opens_on=TODAY - timedelta(days=20), closes_on=TODAY + timedelta(days=5)))
    await screen(service, application())
    closed = await client.post(f"/cohorts/{COHORT}/close", json={}, headers=admin(service))
    assert closed.status_code == 200, closed.text

    late = application(submitted_at=datetime.now(UTC))
    await screen(service, late)

    decisions = [AssessmentScored.model_validate(p) for p in await outbox(service, "AssessmentScored")]
    about_late = [d for d in decisions if d.application_id == late.application_id]
    assert [d.outcome for d in about_late] == ["not_shortlisted"]
    assert about_late[0].next_step_deadline is None
    async with service.uow_factory() as uow:
        candidacy = await uow.session.get(Candidacy, late.application_id)
    assert candidacy is not None
    assert candidacy.screening_outcome == "not_shortlisted"


async def test_closing_selection_tells_applications_through_the_outbox(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await record(service, schedule(opens_on=TODAY - timedelta(days=20), closes_on=TODAY - timedelta(days=1)))
    closed = await client.post(f"/cohorts/{COHORT}/close", json={}, headers=admin(service))
    assert closed.status_code == 200, closed.text

    [told] = [CohortSelectionClosed.model_validate(p) for p in await outbox(service, "CohortSelectionClosed")]
    assert told.cohort_id == COHORT
    assert told.programme is Programme.ICT
    assert told.correlation_id == cohort_journey(COHORT)


async def test_the_state_follows_second_stage_scoring_selection_training_and_hiring(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await record(service, schedule(opens_on=TODAY - timedelta(days=20), closes_on=TODAY - timedelta(days=1)))
    for assessor_id, name in (("a1", "Ada"), ("a2", "Bo")):
        added = await client.put(
            f"/assessors/{assessor_id}",
            json={"id": assessor_id, "display_name": name, "programmes": ["ict"]},
            headers=admin(service),
        )
        assert added.status_code == 200, added.text
    applied = application()
    await screen(service, applied)
    view = await state_of(service)
    assert view.lifecycle.state is CohortState.SECOND_STAGE
    assert "1 shortlisted candidate has not sent their second stage" in view.lifecycle.waiting[0]

    submitted = example(
        SecondStageSubmitted,
        event_id=uuid4(),
        correlation_id=applied.application_id,
        application_id=applied.application_id,
        candidate_id=applied.candidate_id,
        cohort_id=COHORT,
        submitted_at=datetime.now(UTC),
        answers=[SecondStageAnswer(question_id="ict-problem", answer="I rebuilt the repairs service.")],
    )
    async with service.uow_factory() as uow:
        await second_stage.record_second_stage(submitted, uow)
        await uow.commit()
    view = await state_of(service)
    assert view.lifecycle.state is CohortState.SCORING
    assert view.lifecycle.waiting == ("1 second stage is waiting for scorecards from assessors Ada and Bo.",)

    async with service.uow_factory() as uow:
        assigned = (
            await uow.session.exec(
                select(Assignment).where(Assignment.application_id == applied.application_id)
            )
        ).all()
    for assignment in assigned:
        sent = await client.post(
            f"/assessor/assignments/{assignment.id}/scorecard",
            json={"scores": dict.fromkeys(CRITERIA, 3), "recommendation": "yes"},
            headers=admin(service, assignment.assessor_id, Role.ASSESSOR),
        )
        assert sent.status_code == 201, sent.text
    assert (await state_of(service)).lifecycle.state is CohortState.SELECTION

    assert (await client.post(f"/cohorts/{COHORT}/close", json={}, headers=admin(service))).status_code == 200
    assert (await state_of(service)).lifecycle.state is CohortState.TRAINING

    ids = {"correlation_id": applied.application_id, "application_id": applied.application_id}
    async with service.uow_factory() as uow:
        await lifecycle.record_enrolment(example(TrainingEnrolled, event_id=uuid4(), **ids), uow)
        await lifecycle.record_training_completed(example(TrainingCompleted, event_id=uuid4(), **ids), uow)
        await uow.commit()
    view = await state_of(service)
    assert view.lifecycle.state is CohortState.MATCHING
    assert view.lifecycle.waiting == (
        "1 trained returner waits for a council to hire them: waiting for councils.",
    )

    async with service.uow_factory() as uow:
        await lifecycle.record_hire(example(CandidateHired, event_id=uuid4(), **ids), uow)
        await uow.commit()
    assert (await state_of(service)).lifecycle.state is CohortState.CLOSED


async def test_after_a_best_n_shortlist_closed_a_new_applicant_is_told_not_shortlisted_not_left_waiting(
    client: httpx.AsyncClient, service: ServiceRuntime
) -> None:
    await record(service, schedule(opens_on=TODAY - timedelta(days=20), closes_on=TODAY + timedelta(days=5)))
    best_n = ICT.model_dump(mode="json") | {"shortlist_size": 1, "shortlist_threshold": None}
    assert (
        await client.put(f"/cohorts/{COHORT}/config", json=best_n, headers=admin(service))
    ).status_code == 200
    await screen(service, application())
    assert (await client.post(f"/cohorts/{COHORT}/shortlist", headers=admin(service))).status_code == 200

    late = application(submitted_at=datetime.now(UTC))
    await screen(service, late)

    decisions = [AssessmentScored.model_validate(p) for p in await outbox(service, "AssessmentScored")]
    assert [d.outcome for d in decisions if d.application_id == late.application_id] == ["not_shortlisted"]
