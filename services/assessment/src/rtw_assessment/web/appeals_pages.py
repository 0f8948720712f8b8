"""Appeals as pages: the candidate's own appeal against a decision that they are not eligible
(linked from the not-eligible e-mail and their application's status page), and the programme
admin's list of appeals and the page to decide one with a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_platform.auth import Role
from rtw_platform.errors import Conflict, NotFound
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.uow import UnitOfWork
from rtw_platform.web import (
    FormErrors,
    form_state,
    form_text,
    read_form,
    redirect,
    redirect_with_problems,
    signed_in,
)
from rtw_platform.web.i18n import N_
from rtw_platform.web.i18n import gettext as _
from rtw_platform.web.reasons import reason_texts
from sqlmodel import col, select

from .. import appeals
from ..models import Appeal, Candidacy, Decision
from .common import PAGES

router = APIRouter(include_in_schema=False)

GROUNDS_MIN, GROUNDS_MAX = 20, 5000
REASON_MIN, REASON_MAX = 10, 5000
NO_APPEAL = "There is no appeal at this address."
#: Another's application, or one whose decision has not reached assessment yet, reads the same.
NOTHING_TO_APPEAL = N_(
    "We have no decision on this application that you could appeal. If you applied only now, "
    "try again in a few minutes, from your application's page."
)
STATUS_LABELS = {"open": N_("Waiting for a decision"), "upheld": N_("Upheld"), "dismissed": N_("Not upheld")}


def _uuid(value: str, missing: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound(missing) from None


def _reasons(decision: Decision | None) -> list[str]:
    """The decision's reasons in the page's language, worded from each reason's code and values
    (a reason from before the values were carried: its own words in English, else its code's
    label)."""
    return reason_texts(decision.reasons if decision else [])


# --------------------------------------------------------------------------- candidates


def _candidate_path(application_id: UUID) -> str:
    return f"/my/applications/{application_id}/appeal"


async def _candidate_page(
    request: Request,
    uow: UnitOfWork,
    application_id: UUID,
    *,
    notice: bool = False,
) -> Response:
    """The appeal page, with the problems and the grounds typed when the form was refused."""
    principal = signed_in(request, Role.CANDIDATE)
    state = form_state(request)
    grounds = str(state.values.get("grounds", "")) if state else ""
    try:
        found = await appeals.standing(uow, application_id, principal, datetime.now(UTC))
    except NotFound:
        raise NotFound(NOTHING_TO_APPEAL) from None
    context: dict[str, Any] = {
        "application_id": str(application_id),
        "standing": found,
        "reasons": _reasons(found.decision),
        "appeal": found.appeal,
        "status_label": STATUS_LABELS.get(found.appeal.status, "") if found.appeal else "",
        "grounds": grounds,
        "notice": notice,
        "grounds_max": GROUNDS_MAX,
    }
    return PAGES.render(request, "appeal.html", context, errors=state.errors if state else None)


@router.get("/my/applications/{application_id}/appeal")
async def appeal_form(application_id: str, request: Request, uow: UnitOfWorkDep, done: str = "") -> Response:
    """Appeal this decision: why you were found not eligible, the last day to appeal, and your
    appeal once made (and its outcome)."""
    signed_in(request, Role.CANDIDATE)
    return await _candidate_page(
        request, uow, _uuid(application_id, NOTHING_TO_APPEAL), notice=done == "lodged"
    )


@router.post("/my/applications/{application_id}/appeal")
async def appeal_lodged(application_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """Make the appeal (POST /appeals's use case): once per decision, within 28 days of it."""
    principal = signed_in(request, Role.CANDIDATE)
    the_id = _uuid(application_id, NOTHING_TO_APPEAL)
    form = await read_form(request)
    grounds = form_text(form, "grounds").strip()
    errors = FormErrors()
    if len(grounds) < GROUNDS_MIN:
        errors.add(
            "grounds",
            _("Tell us why the decision is wrong, in at least %(n)s characters") % {"n": GROUNDS_MIN},
        )
    elif len(grounds) > GROUNDS_MAX:
        errors.add("grounds", _("Your grounds must be %(n)s characters or fewer") % {"n": GROUNDS_MAX})
    if errors:
        return redirect_with_problems(request, _candidate_path(the_id), errors, {"grounds": grounds})
    try:
        await appeals.lodge_appeal(uow, appeals.AppealIn(application_id=the_id, grounds=grounds), principal)
    except NotFound:
        raise NotFound(NOTHING_TO_APPEAL) from None
    except Conflict as refusal:
        await uow.session.rollback()
        errors.add("form", refusal.message)
        return redirect_with_problems(request, _candidate_path(the_id), errors, {"grounds": grounds})
    return redirect(request, f"{_candidate_path(the_id)}?done=lodged")


# --------------------------------------------------------------------------- programme admins


@router.get("/admin/appeals")
async def appeals_list(request: Request, uow: UnitOfWorkDep, done: str = "") -> Response:
    """Appeals waiting for a decision (oldest first), and the latest decided."""
    signed_in(request, Role.ADMIN)
    open_rows = (
        await uow.session.exec(
            select(Appeal, Candidacy)
            .join(Candidacy, col(Candidacy.application_id) == col(Appeal.application_id))
            .where(Appeal.status == "open")
            .order_by(col(Appeal.created_at))
        )
    ).all()
    decided_rows = (
        await uow.session.exec(
            select(Appeal, Candidacy)
            .join(Candidacy, col(Candidacy.application_id) == col(Appeal.application_id))
            .where(Appeal.status != "open")
            .order_by(col(Appeal.decided_at).desc())
            .limit(50)
        )
    ).all()
    notice = {
        "upheld": "The appeal is upheld: the candidate is screened again and told by e-mail.",
        "dismissed": "The appeal is not upheld: the candidate is told why by e-mail.",
    }.get(done)
    return PAGES.render(
        request,
        "appeals.html",
        {"open": open_rows, "decided": decided_rows, "labels": STATUS_LABELS, "notice": notice},
    )


def _admin_path(appeal_id: UUID) -> str:
    return f"/admin/appeals/{appeal_id}"


async def _appeal_page(
    request: Request,
    uow: UnitOfWork,
    appeal_id: UUID,
) -> Response:
    """The appeal to decide, with the problems and the answers typed when the form was refused."""
    state = form_state(request)
    appeal = await uow.session.get(Appeal, appeal_id)
    candidacy = await uow.session.get(Candidacy, appeal.application_id) if appeal else None
    if appeal is None or candidacy is None or candidacy.erased_at is not None:
        raise NotFound(NO_APPEAL)
    decision = await uow.session.get(Decision, appeal.decision_id) if appeal.decision_id else None
    return PAGES.render(
        request,
        "appeal_decide.html",
        {
            "appeal": appeal,
            "candidacy": candidacy,
            "facts": candidacy.facts,
            "decision": decision,
            "reasons": _reasons(decision),
            "labels": STATUS_LABELS,
            "values": state.values if state else {},
        },
        errors=state.errors if state else None,
    )


@router.get("/admin/appeals/{appeal_id}")
async def appeal_to_decide(appeal_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """An appeal: the candidate's grounds, the decision and its reasons, the facts screened, and
    the form to uphold or dismiss it with a reason for the candidate."""
    signed_in(request, Role.ADMIN)
    return await _appeal_page(request, uow, _uuid(appeal_id, NO_APPEAL))


@router.post("/admin/appeals/{appeal_id}")
async def appeal_decided(appeal_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """Uphold or dismiss (POST /appeals/{id}/decision's use case)."""
    admin = signed_in(request, Role.ADMIN)
    the_id = _uuid(appeal_id, NO_APPEAL)
    form = await read_form(request)
    values = {"upheld": form_text(form, "upheld"), "reason": form_text(form, "reason").strip()}
    errors = FormErrors()
    if values["upheld"] not in ("yes", "no"):
        errors.add("upheld", "Select whether you uphold the appeal")
    if len(values["reason"]) < REASON_MIN:
        errors.add("reason", f"Give the candidate your reason, in at least {REASON_MIN} characters")
    elif len(values["reason"]) > REASON_MAX:
        errors.add("reason", f"Your reason must be {REASON_MAX} characters or fewer")
    if errors:
        return redirect_with_problems(request, _admin_path(the_id), errors, values)
    answer = appeals.AppealDecisionIn(upheld=values["upheld"] == "yes", reason=values["reason"])
    try:
        decided = await appeals.decide_appeal(uow, the_id, answer, admin.subject)
    except Conflict as refusal:
        await uow.session.rollback()
        errors.add("form", refusal.message)
        return redirect_with_problems(request, _admin_path(the_id), errors, values)
    return redirect(request, f"/admin/appeals?done={decided.status}")
