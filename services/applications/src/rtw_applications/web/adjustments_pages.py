"""Reasonable adjustments: the candidate asks on their application's page (at any stage), the
programme's admins agree or decline each request on theirs (the use cases in `adjustments`).
Both post/redirect/get; a refused form comes back with its problems beside the fields."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_contracts import AdjustmentKind
from rtw_platform.auth import Role
from rtw_platform.errors import Invalid, NotFound
from rtw_platform.http import UnitOfWorkDep
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
from starlette.datastructures import FormData

from .. import adjustments, domain
from ..models import AdjustmentRequest
from .candidate import cohort_titles, own_application
from .common import PAGES

router = APIRouter(include_in_schema=False)

#: What the candidate reads for each status of their request.
STATUS_TAGS = {
    domain.AdjustmentStatus.REQUESTED.value: (N_("Waiting for a decision"), "govuk-tag--blue"),
    domain.AdjustmentStatus.AGREED.value: (N_("Agreed"), "govuk-tag--green"),
    domain.AdjustmentStatus.DECLINED.value: (N_("Declined"), "govuk-tag--red"),
}


def _chosen(form: FormData, name: str) -> list[str]:
    return [value for value in form.getlist(name) if isinstance(value, str) and value]


def _kind_labels(kinds: list[str]) -> list[str]:
    known = {kind.value: kind for kind in AdjustmentKind}
    return [known[kind].label if kind in known else kind for kind in kinds]


def _view(request_row: AdjustmentRequest) -> dict[str, Any]:
    text, classes = STATUS_TAGS[request_row.status]
    return {
        "id": str(request_row.id),
        "kinds": request_row.kinds,
        "asked": _kind_labels(request_row.kinds),
        "agreed": _kind_labels(request_row.agreed_kinds),
        "details": request_row.details,
        "stage": request_row.stage.replace("_", " "),
        "status": request_row.status,
        "tag": {"text": text, "classes": classes},
        "reason": request_row.reason,
        "extra_minutes": request_row.extra_minutes,
        "requested_at": request_row.requested_at,
        "decided_at": request_row.decided_at,
    }


# --------------------------------------------------------------------------- the candidate's


@router.get("/my/applications/{application_id}/adjustments")
async def adjustments_page(
    request: Request, application_id: str, uow: UnitOfWorkDep, sent: str = ""
) -> Response:
    """The candidate's requests so far, with staff's decisions, and a form to ask."""
    _, application = await own_application(request, uow, application_id)
    state = form_state(request)
    values: dict[str, Any] = state.values if state is not None else {}
    context = {
        "application": application,
        "title": (await cohort_titles(uow)).get(application.cohort_id, application.cohort_id),
        "requests": [_view(r) for r in await adjustments.requests_of(uow, application.id)],
        "kinds": [
            {"value": kind.value, "text": kind.label, "checked": kind.value in (values.get("kinds") or [])}
            for kind in AdjustmentKind
        ],
        "details": values.get("details", ""),
        "just_sent": sent == "yes",
        "back": f"/my/applications/{application.id}"
        if application.reference is not None
        else f"/application/{application.id}",
    }
    return PAGES.render(request, "adjustments.html", context, errors=state.errors if state else None)


@router.post("/my/applications/{application_id}/adjustments")
async def adjustments_asked(request: Request, application_id: str, uow: UnitOfWorkDep) -> Response:
    """Record the request; problems are shown beside their fields."""
    principal, application = await own_application(request, uow, application_id)
    form = await read_form(request)
    kinds = _chosen(form, "kinds")
    details = form_text(form, "details")
    page = f"/my/applications/{application.id}/adjustments"
    try:
        await adjustments.request_adjustments(application.id, kinds, details, principal, uow)
    except Invalid as refusal:
        errors = FormErrors.from_refusal(refusal)
        return redirect_with_problems(request, page, errors, {"kinds": kinds, "details": details})
    return redirect(request, f"{page}?sent=yes")


# --------------------------------------------------------------------------- Disability Confident

GUARANTEED = "/application/{id}/guaranteed-second-stage"


@router.get("/application/{application_id}/guaranteed-second-stage")
async def guaranteed_page(request: Request, application_id: str, uow: UnitOfWorkDep) -> Response:
    """Opt in to (or out of) the guaranteed second stage, while the application is a draft."""
    _, application = await own_application(request, uow, application_id)
    if application.reference is not None:
        return redirect(request, f"/my/applications/{application.id}")
    state = form_state(request)
    chosen = (
        state.values.get("guaranteed", "")
        if state is not None
        else ("yes" if application.guaranteed_second_stage else "")
    )
    context = {"application": application, "chosen": chosen}
    return PAGES.render(request, "guaranteed.html", context, errors=state.errors if state else None)


@router.post("/application/{application_id}/guaranteed-second-stage")
async def guaranteed_chosen(request: Request, application_id: str, uow: UnitOfWorkDep) -> Response:
    """Keep the choice and go back to the task list."""
    principal, application = await own_application(request, uow, application_id)
    form = await read_form(request)
    chosen = form_text(form, "guaranteed")
    if chosen not in {"yes", "no"}:
        errors = FormErrors()
        errors.add("guaranteed", N_("Select yes if you want a guaranteed second stage, or no"))
        page = GUARANTEED.format(id=application.id)
        return redirect_with_problems(request, page, errors, {"guaranteed": chosen})
    await adjustments.choose_guaranteed_second_stage(application.id, chosen == "yes", principal, uow)
    return redirect(request, f"/application/{application.id}")


# --------------------------------------------------------------------------- staff's


def _request_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise NotFound(adjustments.NO_SUCH_REQUEST) from None


@router.get("/admin/adjustments")
async def staff_adjustments(request: Request, uow: UnitOfWorkDep, decided: str = "") -> Response:
    """Every request: those waiting for a decision (each with its form), then those decided."""
    principal = signed_in(request, Role.ADMIN)
    state = form_state(request)
    rows = await adjustments.for_staff(uow, principal)
    titles = await cohort_titles(uow)
    views = [
        {**_view(r), "reference": a.reference or "draft", "cohort": titles.get(a.cohort_id, a.cohort_id)}
        for r, a in rows
    ]
    context = {
        "waiting": [v for v in views if v["status"] == domain.AdjustmentStatus.REQUESTED.value],
        "decided": [v for v in views if v["status"] != domain.AdjustmentStatus.REQUESTED.value],
        "kind_labels": {kind.value: kind.label for kind in AdjustmentKind},
        "values": state.values if state is not None else {},
        "just_decided": decided,
    }
    return PAGES.render(request, "adjustments_staff.html", context, errors=state.errors if state else None)


@router.post("/admin/adjustments/{request_id}")
async def staff_decided(request: Request, request_id: str, uow: UnitOfWorkDep) -> Response:
    """Agree (some or all of what was asked) or decline, with the reason the candidate reads."""
    principal = signed_in(request, Role.ADMIN)
    form = await read_form(request)
    minutes_text = form_text(form, "extra_minutes")
    values: dict[str, Any] = {
        "request_id": request_id,
        "decision": form_text(form, "decision"),
        "agreed": _chosen(form, "agreed"),
        "extra_minutes": minutes_text,
        "reason": form_text(form, "reason"),
    }
    errors = FormErrors()
    minutes = int(minutes_text) if minutes_text.isdecimal() and len(minutes_text) <= 6 else None
    if minutes_text and minutes is None:
        errors.add("extra_minutes", "Enter the extra time as a whole number of minutes, like 30")
    if not errors:
        decision = adjustments.Decision(
            status=values["decision"], agreed=values["agreed"], extra_minutes=minutes, reason=values["reason"]
        )
        try:
            await adjustments.decide(_request_id(request_id), decision, principal, uow)
        except Invalid as refusal:
            errors = FormErrors.from_refusal(refusal)
    if errors:
        return redirect_with_problems(request, "/admin/adjustments", errors, values)
    return redirect(request, f"/admin/adjustments?decided={request_id}")
