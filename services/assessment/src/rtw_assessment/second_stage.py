"""The second stage: assessors assigned evenly, blind scorecards, calibration, the final score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from rtw_contracts import SecondStageSubmitted
from rtw_contracts.questions import in_question_order
from rtw_platform.auth import Principal
from rtw_platform.consumer_failures import NotYetKnown
from rtw_platform.errors import Conflict, Forbidden, Invalid, NotFound
from rtw_platform.logging import get_logger
from rtw_platform.uow import UnitOfWork
from sqlalchemy import func
from sqlmodel import col, select

from . import calibration, domain
from .configuration import ConfigInForce, config_in_force
from .models import Assessor, Assignment, Candidacy, ConflictOfInterest, Scorecard

log = get_logger(__name__)


async def record_second_stage(event: SecondStageSubmitted, uow: UnitOfWork) -> None:
    """Keep the submission (answers and where its video is) and assign assessors."""
    candidacy = await uow.session.get(Candidacy, event.application_id)
    if candidacy is None:
        raise NotYetKnown(
            f"second stage for application {event.application_id}, which assessment has not "
            "screened yet; retrying"
        )
    if candidacy.second_stage is not None or candidacy.erased_at is not None:
        return
    candidacy.second_stage = {
        "answers": {a.question_id: a.answer for a in event.answers},
        "video": event.video.model_dump(mode="json") if event.video else None,
        # Agreed reasonable adjustments: shown to the assessors, scored on the same rubric.
        "adjustments": [kind.value for kind in event.adjustments],
        "written_alternative": event.written_alternative,
    }
    candidacy.second_stage_submitted_at = event.submitted_at
    uow.session.add(candidacy)
    config = await config_in_force(uow, candidacy.cohort_id, None)
    assert config is not None
    await assign_assessors(uow, candidacy, config)


async def assign_assessors(uow: UnitOfWork, candidacy: Candidacy, config: ConfigInForce) -> int:
    """Give the candidate the assessors they still need: the least loaded, never the same one
    twice, never one with a conflict. Returns how many are still missing."""
    wanted = config.config.rubric.assessors_per_candidate
    existing = (
        await uow.session.exec(
            select(Assignment).where(Assignment.application_id == candidacy.application_id)
        )
    ).all()
    active = [a for a in existing if a.status != domain.AssignmentStatus.WITHDRAWN.value]
    needed = wanted - len(active)
    if needed <= 0:
        return 0
    excluded = {a.assessor_id for a in existing}
    conflicted = set(
        (
            await uow.session.exec(
                select(ConflictOfInterest.assessor_id).where(
                    ConflictOfInterest.candidate_id == candidacy.candidate_id
                )
            )
        ).all()
    )
    assessors = (await uow.session.exec(select(Assessor).where(col(Assessor.active).is_(True)))).all()
    loads = dict(
        (
            await uow.session.exec(
                select(Assignment.assessor_id, func.count())
                .where(Assignment.status != domain.AssignmentStatus.WITHDRAWN.value)
                .group_by(Assignment.assessor_id)
            )
        ).all()
    )
    available = [
        domain.SpreadAssessor(id=a.id, load=loads.get(a.id, 0))
        for a in assessors
        if candidacy.programme in a.programmes and a.id not in excluded and a.id not in conflicted
    ]
    now = datetime.now(UTC)
    chosen = domain.choose_assessors(available, needed)
    for assessor_id in chosen:
        uow.session.add(
            Assignment(
                application_id=candidacy.application_id,
                assessor_id=assessor_id,
                status=domain.AssignmentStatus.PENDING.value,
                assigned_at=now,
            )
        )
    missing = needed - len(chosen)
    if missing:
        log.warning("not_enough_assessors", application_id=str(candidacy.application_id), missing=missing)
    return missing


async def assign_waiting(uow: UnitOfWork) -> int:
    """After assessors are added: give every waiting submission the assessors it lacks."""
    waiting = (
        await uow.session.exec(
            select(Candidacy).where(
                col(Candidacy.second_stage_submitted_at).is_not(None),
                col(Candidacy.second_stage_score).is_(None),
                col(Candidacy.withdrawn_at).is_(None),
                col(Candidacy.erased_at).is_(None),
            )
        )
    ).all()
    still_missing = 0
    for candidacy in waiting:
        config = await config_in_force(uow, candidacy.cohort_id)
        assert config is not None
        still_missing += await assign_assessors(uow, candidacy, config)
    await uow.session.flush()
    await rebalance(uow)
    return still_missing


async def rebalance(uow: UnitOfWork) -> int:
    """Move work nobody has started from the busiest assessors to the least busy (e.g. after
    new assessors join), never giving anyone a candidate twice or one they are in conflict
    with. Returns how many assignments moved."""
    assessors = (await uow.session.exec(select(Assessor).where(col(Assessor.active).is_(True)))).all()
    live = (
        await uow.session.exec(
            select(Assignment, Candidacy)
            .join(Candidacy, Candidacy.application_id == Assignment.application_id)  # type: ignore[arg-type]
            .where(Assignment.status != domain.AssignmentStatus.WITHDRAWN.value)
        )
    ).all()
    conflicts = {
        (c.assessor_id, c.candidate_id) for c in (await uow.session.exec(select(ConflictOfInterest))).all()
    }
    moved = 0
    for programme in {p for a in assessors for p in a.programmes}:
        team = [a.id for a in assessors if programme in a.programmes]
        load = {a: 0 for a in team}
        holders: dict[UUID, set[str]] = {}
        for assignment, candidacy in live:
            holders.setdefault(assignment.application_id, set()).add(assignment.assessor_id)
            if candidacy.programme == programme and assignment.assessor_id in load:
                load[assignment.assessor_id] += 1
        while len(team) > 1:
            busiest = max(team, key=lambda a: (load[a], a))
            idlest = min(team, key=lambda a: (load[a], a))
            if load[busiest] - load[idlest] <= 1:
                break
            movable = next(
                (
                    (assignment, candidacy)
                    for assignment, candidacy in live
                    if assignment.assessor_id == busiest
                    and assignment.status == domain.AssignmentStatus.PENDING.value
                    and candidacy.programme == programme
                    and idlest not in holders[assignment.application_id]
                    and (idlest, candidacy.candidate_id) not in conflicts
                ),
                None,
            )
            if movable is None:
                break
            assignment, _ = movable
            holders[assignment.application_id].discard(busiest)
            holders[assignment.application_id].add(idlest)
            assignment.assessor_id = idlest
            uow.session.add(assignment)
            load[busiest] -= 1
            load[idlest] += 1
            moved += 1
    return moved


async def refuse_if_retired(uow: UnitOfWork, principal: Principal) -> None:
    """A retired assessor sees and scores nothing, even in a session from before they retired."""
    assessor = await uow.session.get(Assessor, principal.subject)
    if assessor is not None and not assessor.active:
        raise Forbidden(
            "You are retired as an assessor, so you can no longer see or score submissions. "
            "If this is wrong, ask the programme team to make you active again."
        )


async def _assignment_for(
    uow: UnitOfWork, assignment_id: UUID, principal: Principal
) -> tuple[Assignment, Candidacy]:
    await refuse_if_retired(uow, principal)
    assignment = await uow.session.get(Assignment, assignment_id)
    # Another assessor's assignment answers as one that does not exist (an id reveals nothing).
    if (
        assignment is None
        or assignment.status == domain.AssignmentStatus.WITHDRAWN.value
        or assignment.assessor_id != principal.subject
    ):
        raise NotFound("There is no such assignment in your queue.")
    candidacy = await uow.session.get(Candidacy, assignment.application_id)
    if candidacy is None or candidacy.erased_at is not None or candidacy.withdrawn_at is not None:
        raise NotFound("This candidate is no longer in the cohort.")
    return assignment, candidacy


async def _scoring(
    uow: UnitOfWork, assignment_id: UUID, principal: Principal
) -> tuple[Assignment, Candidacy]:
    """The assignment to score, read again once this transaction holds the cohort's selection
    lock: a scorecard sent twice at once is saved once, and none is saved after selection closed
    (closing takes the same lock and reads the scorecards)."""
    assignment, candidacy = await _assignment_for(uow, assignment_id, principal)
    await uow.lock(f"assessment.selection:{candidacy.cohort_id}")
    await uow.session.refresh(assignment)
    await uow.session.refresh(candidacy)
    return await _assignment_for(uow, assignment_id, principal)


@dataclass(frozen=True)
class QueueItem:
    assignment_id: UUID
    cohort_id: str
    programme: str
    status: str
    assigned_at: datetime


async def queue_of(uow: UnitOfWork, principal: Principal) -> list[QueueItem]:
    """An assessor's assignments, oldest first (pending before done)."""
    await refuse_if_retired(uow, principal)
    rows = (
        await uow.session.exec(
            select(Assignment, Candidacy)
            .join(Candidacy, Candidacy.application_id == Assignment.application_id)  # type: ignore[arg-type]
            .where(
                Assignment.assessor_id == principal.subject,
                Assignment.status != domain.AssignmentStatus.WITHDRAWN.value,
                col(Candidacy.erased_at).is_(None),
                col(Candidacy.withdrawn_at).is_(None),
            )
        )
    ).all()
    items = [QueueItem(a.id, c.cohort_id, c.programme, a.status, a.assigned_at) for a, c in rows]
    return sorted(items, key=lambda i: (i.status != "pending", i.assigned_at))


async def blind_submission(uow: UnitOfWork, assignment_id: UUID, principal: Principal) -> dict[str, Any]:
    """What an assessor sees: the answers, the video and the professional facts, and never a
    name, contact details, age or the length of a career break."""
    assignment, candidacy = await _assignment_for(uow, assignment_id, principal)
    config = await config_in_force(uow, candidacy.cohort_id)
    assert config is not None
    facts = candidacy.facts
    registration = facts.get("professional_registration")
    second = candidacy.second_stage or {}
    video = second.get("video")
    return {
        "assignment_id": str(assignment.id),
        "status": assignment.status,
        "programme": candidacy.programme,
        "cohort_id": candidacy.cohort_id,
        "years_experience": facts["years_experience"],
        "specialisms": facts["specialisms"],
        "skills": facts["skills"],
        "professional_body": registration["body"] if registration else None,
        "answers": second.get("answers", {}),
        "questions": [
            {"id": question_id, "text": text, "answer": answer}
            for question_id, text, answer in in_question_order(second.get("answers", {}))
        ],
        "adjustments": domain.adjusted_evidence(second.get("adjustments") or []),
        "written_alternative": second.get("written_alternative"),
        "video": None
        if video is None
        else {
            "content_type": video["content_type"],
            "size_bytes": video["size_bytes"],
            "url": f"/assessor/assignments/{assignment.id}/video",
        },
        "rubric": config.config.rubric.model_dump(mode="json"),
        "my_scorecard": await _my_scorecard(uow, assignment),
        "scoring_closed": domain.scorecard_change_refusal(
            candidacy.cohort_id, await calibration.selection_closed_at(uow, candidacy.cohort_id)
        ),
    }


async def _my_scorecard(uow: UnitOfWork, assignment: Assignment) -> dict[str, Any] | None:
    """The assessor's own scorecard for the assignment, as last sent (None before sending)."""
    card = await uow.session.get(Scorecard, assignment.id)
    if card is None or assignment.status != domain.AssignmentStatus.SUBMITTED.value:
        return None
    return {
        "scores": card.scores,
        "recommendation": card.recommendation,
        "comments": card.comments,
        "submitted_at": card.submitted_at.isoformat(),
        "changed_at": card.changed_at.isoformat() if card.changed_at else None,
        "changes": card.changes,
    }


async def video_of(uow: UnitOfWork, assignment_id: UUID, principal: Principal) -> tuple[str, str]:
    """(storage key, content type) of the assigned submission's video."""
    _, candidacy = await _assignment_for(uow, assignment_id, principal)
    video = (candidacy.second_stage or {}).get("video")
    if video is None:
        raise NotFound("This submission has no video.")
    return str(video["storage_key"]), str(video["content_type"])


async def submit_scorecard(
    uow: UnitOfWork, assignment_id: UUID, card: domain.ScorecardIn, principal: Principal
) -> dict[str, Any]:
    """Record a scorecard; when the candidate's last one is in, the second stage is scored."""
    assignment, candidacy = await _scoring(uow, assignment_id, principal)
    if assignment.status == domain.AssignmentStatus.SUBMITTED.value:
        raise Conflict("You have already sent your scorecard for this candidate; change it instead.")
    await calibration.refuse_if_scoring_closed(uow, candidacy.cohort_id)
    config = await config_in_force(uow, candidacy.cohort_id)
    assert config is not None
    rubric = config.config.rubric
    _check(rubric, card)
    now = datetime.now(UTC)
    uow.session.add(
        Scorecard(
            assignment_id=assignment.id,
            application_id=assignment.application_id,
            assessor_id=assignment.assessor_id,
            scores=card.scores,
            recommendation=card.recommendation.value,
            comments=card.comments,
            rubric_version=rubric.version,
            submitted_at=now,
        )
    )
    assignment.status = domain.AssignmentStatus.SUBMITTED.value
    uow.session.add(assignment)
    await uow.session.flush()
    finished = await calibration.score_candidate(uow, candidacy, config, now)
    await uow.commit()
    return {"status": "received", "second_stage_final": finished}


async def change_scorecard(
    uow: UnitOfWork, assignment_id: UUID, card: domain.ScorecardIn, principal: Principal
) -> dict[str, Any]:
    """The assessor corrects their own scorecard (until the cohort's scoring closes); a scored
    candidate is scored again and calibration looks at the scorecards afresh."""
    assignment, candidacy = await _scoring(uow, assignment_id, principal)
    existing = await uow.session.get(Scorecard, assignment.id)
    if assignment.status != domain.AssignmentStatus.SUBMITTED.value or existing is None:
        raise Conflict("You have not sent a scorecard for this candidate yet; send one first.")
    await calibration.refuse_if_scoring_closed(uow, candidacy.cohort_id)
    config = await config_in_force(uow, candidacy.cohort_id)
    assert config is not None
    _check(config.config.rubric, card)
    now = datetime.now(UTC)
    existing.scores = card.scores
    existing.recommendation = card.recommendation.value
    existing.comments = card.comments
    existing.rubric_version = config.config.rubric.version
    existing.changed_at = now
    existing.changes += 1
    uow.session.add(existing)
    await uow.session.flush()
    finished = await calibration.score_candidate(
        uow, candidacy, config, now, why=f"Assessor {principal.subject} corrected their scorecard."
    )
    await uow.commit()
    return {"status": "changed", "second_stage_final": finished}


def _check(rubric: domain.Rubric, card: domain.ScorecardIn) -> None:
    problems = domain.scorecard_problems(rubric, card.scores)
    if problems:
        raise Invalid(problems, "The scorecard needs correcting.")


async def declare_conflict(
    uow: UnitOfWork, assignment_id: UUID, reason: str, principal: Principal
) -> dict[str, Any]:
    """An assessor knows the candidate: the assignment goes to someone else."""
    assignment, candidacy = await _assignment_for(uow, assignment_id, principal)
    if assignment.status == domain.AssignmentStatus.SUBMITTED.value:
        raise Conflict("You already scored this candidate; ask an admin to set your scorecard aside.")
    assignment.status = domain.AssignmentStatus.WITHDRAWN.value
    uow.session.add(assignment)
    await calibration.third_assessor_stepped_back(uow, assignment)
    await record_conflict(uow, principal.subject, candidacy.candidate_id, reason, principal.subject)
    await uow.session.flush()
    config = await config_in_force(uow, candidacy.cohort_id)
    assert config is not None
    missing = await assign_assessors(uow, candidacy, config)
    await uow.commit()
    return {"status": "reassigned" if not missing else "waiting for another assessor"}


async def record_conflict(
    uow: UnitOfWork, assessor_id: str, candidate_id: UUID, reason: str, declared_by: str
) -> None:
    """Record that an assessor must not assess a candidate (idempotent)."""
    if await uow.session.get(ConflictOfInterest, (assessor_id, candidate_id)) is None:
        uow.session.add(
            ConflictOfInterest(
                assessor_id=assessor_id,
                candidate_id=candidate_id,
                reason=reason,
                declared_by=declared_by,
                declared_at=datetime.now(UTC),
            )
        )


async def admin_declare_conflict(
    uow: UnitOfWork, assessor_id: str, candidate_id: UUID, reason: str, admin: str
) -> None:
    """An admin records a conflict; the assessor's pending work on the candidate moves on."""
    await record_conflict(uow, assessor_id, candidate_id, reason, admin)
    await uow.session.flush()
    candidacies = (
        await uow.session.exec(select(Candidacy).where(Candidacy.candidate_id == candidate_id))
    ).all()
    for candidacy in candidacies:
        pending = (
            await uow.session.exec(
                select(Assignment).where(
                    Assignment.application_id == candidacy.application_id,
                    Assignment.assessor_id == assessor_id,
                    Assignment.status == domain.AssignmentStatus.PENDING.value,
                )
            )
        ).all()
        for assignment in pending:
            assignment.status = domain.AssignmentStatus.WITHDRAWN.value
            uow.session.add(assignment)
            await calibration.third_assessor_stepped_back(uow, assignment)
        if pending:
            await uow.session.flush()
            config = await config_in_force(uow, candidacy.cohort_id)
            assert config is not None
            await assign_assessors(uow, candidacy, config)
    await uow.commit()
