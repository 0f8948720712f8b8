"""HTTP API of the assessment service: admins (configuration, funnel, closing, overrides,
appeals, assessors), assessors (queue, blind submission, scorecard), candidates (appeal)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from rtw_contracts import Programme
from rtw_platform.auth import AdminOnly, CurrentPrincipal, Principal, Role, require
from rtw_platform.errors import Forbidden, Invalid, NotFound
from rtw_platform.filestore import FileNotStored, FileStore
from rtw_platform.http import UnitOfWorkDep
from sqlmodel import col, select

from . import (
    appeals,
    assessors,
    calibration,
    configuration,
    funnel,
    reopening,
    screening,
    second_stage,
    selection,
)
from .domain import CohortConfig, ScorecardIn
from .models import Appeal, Assessor, Candidacy, Decision

router = APIRouter()
AssessorOnly = Annotated[Principal, Depends(require(Role.ASSESSOR))]


class ConfigView(BaseModel):
    cohort_id: str
    version: int
    config: CohortConfig


class AssessorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9._@-]{2,100}$")
    display_name: str = Field(min_length=1, max_length=200)
    programmes: list[Programme] = Field(min_length=1, max_length=len(Programme))
    active: bool = True


class ConflictIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    assessor_id: str
    candidate_id: UUID
    reason: str = Field(min_length=5, max_length=500)


class ModerationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: dict[str, int] = Field(max_length=20)
    reason: str = Field(max_length=2000)


class AssessorConflictIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=5, max_length=500)


def _store(request: Request) -> FileStore:
    store: FileStore = request.app.state.runtime.state["file_store"]
    return store


# --------------------------------------------------------------------------- admins


@router.get("/cohorts/{cohort_id}/config", tags=["admin"])
async def get_config(cohort_id: str, uow: UnitOfWorkDep, _: AdminOnly) -> ConfigView:
    """The configuration in force (its version is recorded on every decision)."""
    found = await configuration.config_in_force(uow, cohort_id)
    if found is None:
        raise NotFound(
            f"Cohort {cohort_id} has no configuration yet; PUT one, or it gets its "
            "programme's defaults with its first application."
        )
    return ConfigView(cohort_id=cohort_id, version=found.version, config=found.config)


@router.put("/cohorts/{cohort_id}/config", tags=["admin"])
async def put_config(
    cohort_id: str, config: CohortConfig, uow: UnitOfWorkDep, admin: AdminOnly
) -> ConfigView:
    """Save a new version of the cohort's configuration."""
    saved = await configuration.save_config(uow, cohort_id, config, admin.subject)
    return ConfigView(cohort_id=cohort_id, version=saved.version, config=saved.config)


@router.get("/cohorts/{cohort_id}/funnel", tags=["admin"])
async def get_funnel(cohort_id: str, uow: UnitOfWorkDep, _: AdminOnly) -> dict[str, Any]:
    """Counts per stage and outcome, and the reasons for ineligibility."""
    return await funnel.cohort_funnel(uow, cohort_id)


@router.post("/cohorts/{cohort_id}/shortlist", tags=["admin"])
async def close_shortlisting(cohort_id: str, uow: UnitOfWorkDep, admin: AdminOnly) -> dict[str, int]:
    """Shortlist the best N eligible (cohorts configured with a shortlist size)."""
    return await screening.close_shortlisting(uow, cohort_id, admin.subject)


@router.post("/cohorts/{cohort_id}/close", tags=["admin"])
async def close_cohort(
    cohort_id: str, uow: UnitOfWorkDep, admin: AdminOnly, force: bool = False
) -> dict[str, int]:
    """Select up to capacity, waitlist the next, reject the rest."""
    return await selection.close_cohort(uow, cohort_id, admin.subject, force=force)


@router.get("/cohorts/{cohort_id}/calibration", tags=["admin"])
async def get_calibration(cohort_id: str, uow: UnitOfWorkDep, _: AdminOnly) -> dict[str, Any]:
    """Disagreements between assessors (open ones block selection), scorecards side by side."""
    found = await calibration.disagreements_of(uow, cohort_id)
    return {
        "open": sum(1 for d in found if d.status.blocks_selection),
        "disagreements": [
            {
                "application_id": str(d.application_id),
                "status": d.status.value,
                "reasons": d.reasons,
                "scorecards": [
                    {"assessor_id": c.assessor_id, "scores": c.scores, "recommendation": c.recommendation}
                    for c in d.cards
                ],
                "third_assessor": d.third_assessor,
                "second_stage_score": d.second_stage_score,
                "moderation_reason": d.moderation_reason,
            }
            for d in found
        ],
    }


@router.post("/cohorts/{cohort_id}/calibration/{application_id}/third-assessor", tags=["admin"])
async def ask_third_assessor(
    cohort_id: str, application_id: UUID, uow: UnitOfWorkDep, _: AdminOnly
) -> dict[str, str]:
    """Give an open disagreement to a further assessor (active, no conflict, least loaded)."""
    return {"assessor_id": await calibration.ask_third_assessor(uow, cohort_id, application_id)}


@router.post("/cohorts/{cohort_id}/calibration/{application_id}/moderation", tags=["admin"])
async def moderate(
    cohort_id: str, application_id: UUID, body: ModerationIn, uow: UnitOfWorkDep, admin: AdminOnly
) -> dict[str, float]:
    """Settle a disagreement with moderated scores and a reason: selection uses them."""
    score = await calibration.moderate(
        uow, cohort_id, application_id, body.scores, body.reason, admin.subject
    )
    return {"second_stage_score": score}


class ReopenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=2000, description="Why selection is reopened (kept with it).")


@router.post("/cohorts/{cohort_id}/reopen", tags=["admin"])
async def reopen_selection(
    cohort_id: str, body: ReopenIn, uow: UnitOfWorkDep, admin: AdminOnly
) -> dict[str, int]:
    """Reopen a confirmed selection within the cohort's window (`reopen_hours`): every final
    decision is taken back (SelectionReopened) and the cohort can be selected again."""
    return await reopening.reopen_selection(uow, cohort_id, admin.subject, body.reason)


@router.post("/applications/{application_id}/override", tags=["admin"])
async def override(
    application_id: UUID, change: appeals.OverrideIn, uow: UnitOfWorkDep, admin: AdminOnly
) -> dict[str, Any]:
    """Override an outcome, with a mandatory justification."""
    decision = await appeals.override(uow, application_id, change, admin.subject)
    return {"decision_id": str(decision.id), "outcome": decision.outcome}


@router.get("/applications/{application_id}/decisions", tags=["admin"])
async def decisions(
    application_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    """Every decision on an application with its inputs, versions and reasons (admins; the
    candidate sees their own, without the assessors' identities)."""
    if principal.role not in (Role.ADMIN, Role.CANDIDATE):
        raise Forbidden("Only admins and the candidate can see these decisions.")
    candidacy = await uow.session.get(Candidacy, application_id)
    # Another candidate's application answers as one that does not exist (an id reveals nothing).
    if (
        candidacy is None
        or candidacy.erased_at is not None
        or not principal.reaches_candidate(candidacy.candidate_id)
    ):
        raise NotFound(appeals.NO_APPLICATION)
    rows = (
        await uow.session.exec(
            select(Decision)
            .where(Decision.application_id == application_id)
            .order_by(col(Decision.decided_at))
        )
    ).all()
    return [
        {
            "stage": d.stage,
            "outcome": d.outcome,
            "decision_kind": d.decision_kind,
            "score": d.score,
            "breakdown": d.breakdown,
            "reasons": d.reasons,
            "config_version": d.config_version,
            "rule_set_version": d.rule_set_version,
            "rubric_version": d.rubric_version,
            "justification": d.justification,
            "decided_at": d.decided_at.isoformat(),
            **({"inputs": d.inputs, "decided_by": d.decided_by} if principal.role is Role.ADMIN else {}),
        }
        for d in rows
    ]


@router.get("/appeals", tags=["admin"])
async def list_appeals(
    uow: UnitOfWorkDep,
    _: AdminOnly,
    status_: Annotated[str, Query(alias="status", pattern="^(open|upheld|dismissed)$")] = "open",
) -> list[dict[str, Any]]:
    """Appeals (open ones by default)."""
    rows = (await uow.session.exec(select(Appeal).where(Appeal.status == status_))).all()
    return [
        {
            "appeal_id": str(a.id),
            "application_id": str(a.application_id),
            "grounds": a.grounds,
            "status": a.status,
            "created_at": a.created_at.isoformat(),
        }
        for a in rows
    ]


@router.post("/appeals/{appeal_id}/decision", tags=["admin"])
async def decide_appeal(
    appeal_id: UUID, answer: appeals.AppealDecisionIn, uow: UnitOfWorkDep, admin: AdminOnly
) -> dict[str, str]:
    """Uphold or dismiss an appeal."""
    appeal = await appeals.decide_appeal(uow, appeal_id, answer, admin.subject)
    return {"appeal_id": str(appeal.id), "status": appeal.status}


@router.put("/assessors/{assessor_id}", tags=["admin"])
async def put_assessor(
    assessor_id: str, body: AssessorIn, uow: UnitOfWorkDep, _: AdminOnly
) -> dict[str, Any]:
    """Add or change an assessor; waiting submissions get the assessors they lack."""
    if body.id != assessor_id:
        raise Invalid([("id", f"must match the address ({assessor_id})")])
    saved = await assessors.save_assessor(uow, assessor_id, body.display_name, body.programmes, body.active)
    return {
        "id": saved.assessor.id,
        "programmes": saved.assessor.programmes,
        "active": saved.assessor.active,
        "assignments_still_missing": saved.assignments_still_missing,
    }


@router.get("/assessors", tags=["admin"])
async def list_assessors(uow: UnitOfWorkDep, _: AdminOnly) -> list[dict[str, Any]]:
    """Every assessor."""
    rows = (await uow.session.exec(select(Assessor).order_by(col(Assessor.id)))).all()
    return [
        {"id": a.id, "display_name": a.display_name, "programmes": a.programmes, "active": a.active}
        for a in rows
    ]


@router.post("/conflicts", status_code=status.HTTP_201_CREATED, tags=["admin"])
async def declare_conflict(body: ConflictIn, uow: UnitOfWorkDep, admin: AdminOnly) -> dict[str, str]:
    """Record that an assessor must not assess a candidate (existing pending work is moved)."""
    await second_stage.admin_declare_conflict(
        uow, body.assessor_id, body.candidate_id, body.reason, admin.subject
    )
    return {"status": "recorded"}


# --------------------------------------------------------------------------- assessors


@router.get("/assessor/queue", tags=["assessors"])
async def my_queue(uow: UnitOfWorkDep, assessor: AssessorOnly) -> list[dict[str, Any]]:
    """My assignments: pending first."""
    items = await second_stage.queue_of(uow, assessor)
    return [
        {
            "assignment_id": str(i.assignment_id),
            "cohort_id": i.cohort_id,
            "programme": i.programme,
            "status": i.status,
            "assigned_at": i.assigned_at.isoformat(),
        }
        for i in items
    ]


@router.get("/assessor/assignments/{assignment_id}", tags=["assessors"])
async def blind_submission(assignment_id: UUID, uow: UnitOfWorkDep, assessor: AssessorOnly) -> dict[str, Any]:
    """The submission, blind: no name, contact details, age or career-break length."""
    return await second_stage.blind_submission(uow, assignment_id, assessor)


@router.get("/assessor/assignments/{assignment_id}/video", tags=["assessors"])
async def video(
    assignment_id: UUID, request: Request, uow: UnitOfWorkDep, assessor: AssessorOnly
) -> Response:
    """The submission's video."""
    key, content_type = await second_stage.video_of(uow, assignment_id, assessor)
    try:
        data = await _store(request).get(key)
    except FileNotStored:
        raise NotFound("The video is not in the file store (it may have been erased).") from None
    return Response(content=data, media_type=content_type)


@router.post(
    "/assessor/assignments/{assignment_id}/scorecard", status_code=status.HTTP_201_CREATED, tags=["assessors"]
)
async def scorecard(
    assignment_id: UUID, card: ScorecardIn, uow: UnitOfWorkDep, assessor: AssessorOnly
) -> dict[str, Any]:
    """Send my scorecard (1-4 per criterion and a recommendation)."""
    return await second_stage.submit_scorecard(uow, assignment_id, card, assessor)


@router.put("/assessor/assignments/{assignment_id}/scorecard", tags=["assessors"])
async def change_scorecard(
    assignment_id: UUID, card: ScorecardIn, uow: UnitOfWorkDep, assessor: AssessorOnly
) -> dict[str, Any]:
    """Correct my scorecard (until the cohort's selection closes scoring)."""
    return await second_stage.change_scorecard(uow, assignment_id, card, assessor)


@router.post("/assessor/assignments/{assignment_id}/conflict", tags=["assessors"])
async def conflict(
    assignment_id: UUID, body: AssessorConflictIn, uow: UnitOfWorkDep, assessor: AssessorOnly
) -> dict[str, Any]:
    """I know this candidate: give the submission to someone else."""
    return await second_stage.declare_conflict(uow, assignment_id, body.reason, assessor)


# --------------------------------------------------------------------------- candidates


@router.post("/appeals", status_code=status.HTTP_201_CREATED, tags=["candidates"])
async def lodge_appeal(
    body: appeals.AppealIn, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, str]:
    """Appeal a decision that you are not eligible."""
    appeal = await appeals.lodge_appeal(uow, body, principal)
    return {"appeal_id": str(appeal.id), "status": appeal.status}
