"""Reasonable adjustments (Equality Act 2010): a candidate asks at any stage, programme staff
agree or decline on a page and record why; what is agreed shapes the second stage (written answers
or a live call instead of the video, more time). What was asked stays in this service: the bus
carries only that a decision was made (AdjustmentDecided, for the candidate's e-mail) and, with
the second stage, the agreed kinds assessors must know of (docs/privacy.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from rtw_contracts import AdjustmentDecided, AdjustmentKind
from rtw_platform.auth import Principal, Role
from rtw_platform.counters import take_next
from rtw_platform.errors import Conflict, Forbidden, Invalid, NotFound
from rtw_platform.uow import UnitOfWork
from sqlmodel import col, select

from . import domain
from .access import ensure_candidate_self
from .intake import application_or_refuse
from .models import AdjustmentRequest, Application

NO_SUCH_REQUEST = "There is no such adjustment request."


async def request_adjustments(
    application_id: UUID,
    kinds: list[str],
    details: str,
    principal: Principal,
    uow: UnitOfWork,
    *,
    now: datetime | None = None,
) -> AdjustmentRequest:
    """The candidate asks for adjustments, at whatever stage their application is."""
    now = now or datetime.now(UTC)
    application = await application_or_refuse(uow, application_id, principal)
    ensure_candidate_self(principal, application.candidate_id)
    if application.status in {domain.Stage.WITHDRAWN.value, domain.Stage.ERASED.value}:
        raise Conflict("This application was withdrawn, so adjustments can no longer be asked for.")
    problems = domain.adjustment_request_problems(kinds, details)
    if problems:
        raise Invalid(problems, "Your request needs correcting.")
    request = AdjustmentRequest(
        application_id=application.id,
        candidate_id=application.candidate_id,
        stage=application.status,
        kinds=list(dict.fromkeys(kinds)),
        details=details.strip(),
        status=domain.AdjustmentStatus.REQUESTED.value,
        requested_at=now,
    )
    uow.session.add(request)
    await uow.commit()
    return request


async def requests_of(uow: UnitOfWork, application_id: UUID) -> list[AdjustmentRequest]:
    """An application's requests, oldest first (the caller has checked who may see them)."""
    rows = await uow.session.exec(
        select(AdjustmentRequest)
        .where(AdjustmentRequest.application_id == application_id)
        .order_by(col(AdjustmentRequest.requested_at))
    )
    return list(rows.all())


async def agreed_for(uow: UnitOfWork, application_id: UUID) -> tuple[frozenset[AdjustmentKind], int]:
    """Every adjustment agreed for the application, and the extra minutes agreed in all."""
    agreed: set[AdjustmentKind] = set()
    minutes = 0
    for request in await requests_of(uow, application_id):
        if request.status == domain.AdjustmentStatus.AGREED.value:
            agreed.update(AdjustmentKind(kind) for kind in request.agreed_kinds)
            minutes += request.extra_minutes or 0
    return frozenset(agreed), minutes


@dataclass(frozen=True)
class Decision:
    """Staff's decision on a request, as the page gives it."""

    status: str
    agreed: list[str]
    extra_minutes: int | None
    reason: str


def _ensure_admin(principal: Principal) -> None:
    if principal.role is not Role.ADMIN:
        raise Forbidden("Only the programme's admins decide adjustments.")


async def decide(
    request_id: UUID,
    decision: Decision,
    principal: Principal,
    uow: UnitOfWork,
    *,
    now: datetime | None = None,
) -> AdjustmentRequest:
    """An admin agrees (some or all of) or declines a request, once, with their reason; the
    candidate is told by e-mail that it was decided (AdjustmentDecided)."""
    _ensure_admin(principal)
    now = now or datetime.now(UTC)
    request = await uow.session.get(AdjustmentRequest, request_id, with_for_update=True)
    if request is None:
        raise NotFound(NO_SUCH_REQUEST)
    if request.status != domain.AdjustmentStatus.REQUESTED.value:
        raise Conflict(f"This request was already {request.status} on {request.decided_at:%d %B %Y}.")
    problems = domain.adjustment_decision_problems(
        decision.status, request.kinds, decision.agreed, decision.extra_minutes, decision.reason
    )
    if problems:
        raise Invalid(problems, "The decision needs correcting.")
    agreed = decision.status == domain.AdjustmentStatus.AGREED.value
    request.status = decision.status
    request.agreed_kinds = list(dict.fromkeys(decision.agreed)) if agreed else []
    request.extra_minutes = decision.extra_minutes if agreed else None
    request.reason = decision.reason.strip() or None
    request.decided_by = principal.subject
    request.decided_at = now
    uow.session.add(request)
    application = await uow.session.get(Application, request.application_id)
    if application is None:  # pragma: no cover - an erased application takes its requests with it
        raise NotFound(NO_SUCH_REQUEST)
    await take_next(uow.session, application, "event_sequence")
    uow.publish(
        AdjustmentDecided(
            correlation_id=application.id,
            sequence=application.event_sequence,
            application_id=application.id,
            candidate_id=application.candidate_id,
            request_id=request.id,
            agreed=agreed,
            decided_at=now,
        )
    )
    await uow.commit()
    return request


async def for_staff(uow: UnitOfWork, principal: Principal) -> list[tuple[AdjustmentRequest, Application]]:
    """Every request with its application, those waiting for a decision first (oldest first),
    then the decided ones, latest first."""
    _ensure_admin(principal)
    rows = (
        await uow.session.exec(
            select(AdjustmentRequest, Application).join(
                Application,
                Application.id == AdjustmentRequest.application_id,  # type: ignore[arg-type]
            )
        )
    ).all()
    waiting = sorted(
        (r for r in rows if r[0].status == domain.AdjustmentStatus.REQUESTED.value),
        key=lambda r: r[0].requested_at,
    )
    decided = sorted(
        (r for r in rows if r[0].status != domain.AdjustmentStatus.REQUESTED.value),
        key=lambda r: r[0].decided_at or r[0].requested_at,
        reverse=True,
    )
    return [(r, a) for r, a in waiting + decided]


async def choose_guaranteed_second_stage(
    application_id: UUID, opted_in: bool, principal: Principal, uow: UnitOfWork
) -> Application:
    """Disability Confident: the candidate declares a disability and opts into a guaranteed
    second stage (or opts out), before sending the application. Only the choice travels, with
    the application's facts to assessment; the disability itself is never published."""
    application = await application_or_refuse(uow, application_id, principal)
    ensure_candidate_self(principal, application.candidate_id)
    if application.status != domain.Stage.DRAFT.value:
        raise Conflict("The application was sent: this choice can no longer be changed.")
    application.guaranteed_second_stage = opted_in
    uow.session.add(application)
    await uow.commit()
    return application
