"""Candidates add their own CPD (social work's restoration needs it): a form with its checks,
then back to their training; a refused form goes back to its page with its problems and what was
typed (post/redirect/get both ways, rtw_platform.web.form_state)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_platform.auth import Role
from rtw_platform.errors import Conflict, Invalid
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

from .. import domain
from ..models import Enrolment
from ..store import work_of
from ..use_cases import access, progress
from ..use_cases.progress import CpdIn
from .common import PAGES, signer_of

router = APIRouter(include_in_schema=False)

FIELDS = ("day-day", "day-month", "day-year", "days", "kind", "description")


@router.get("/my/enrolments/{enrolment_id}/cpd")
async def cpd_form(request: Request, enrolment_id: UUID, uow: UnitOfWorkDep) -> Response:
    """The form for a day (or part) of CPD: empty, or as typed with its problems when refused."""
    principal = signed_in(request, Role.CANDIDATE)
    enrolment = await access.enrolment_for(work_of(uow), enrolment_id, principal)
    state = form_state(request)
    if state is not None:
        values = {name: str(state.values.get(name, "")) for name in FIELDS}
        return _page(request, enrolment, values, state.errors)
    return _page(request, enrolment, dict.fromkeys(FIELDS, ""), None)


@router.post("/my/enrolments/{enrolment_id}/cpd")
async def add_cpd(request: Request, enrolment_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Check every field at once; add the entry and go back to the candidate's training."""
    principal = signed_in(request, Role.CANDIDATE)
    form = await read_form(request)
    values = {name: form_text(form, name) for name in FIELDS}
    work = work_of(uow)
    enrolment = await access.enrolment_for(work, enrolment_id, principal)
    errors = FormErrors()
    entry = _entry(values, errors)
    if entry is not None and not errors:
        try:
            await progress.record_cpd(work, enrolment.id, entry, principal, signer_of(request))
        except Invalid as invalid:
            errors = FormErrors.from_refusal(invalid, {"day": "day-day"})
        except Conflict as refusal:
            errors.add("form", refusal.message)
    if errors:
        return redirect_with_problems(request, f"/my/enrolments/{enrolment.id}/cpd", errors, values)
    return redirect(request, "/my?cpd=added")


def _entry(values: dict[str, str], errors: FormErrors) -> CpdIn | None:
    """The entry as the use case takes it, or every problem with the fields."""
    day = days = None
    try:
        day = domain.day_from(
            values["day-day"], values["day-month"], values["day-year"], today=datetime.now(UTC).date()
        )
    except domain.Problem as problem:
        errors.add("day-day", problem.message)
    try:
        days = domain.cpd_days_from(values["days"])
    except domain.Problem as problem:
        errors.add("days", problem.message)
    if values["kind"] not in domain.CPD_KINDS:
        errors.add("kind", N_("Select the kind of CPD"))
    description = values["description"]
    if len(description) < 3:
        errors.add("description", N_("Describe what you did, in a few words"))
    elif len(description) > 1000:
        errors.add("description", N_("The description must be 1,000 characters or fewer"))
    if errors or day is None or days is None:
        return None
    return CpdIn(day=day, days=days, kind=domain.CpdKind(values["kind"]), description=description)


def _page(
    request: Request, enrolment: Enrolment, values: dict[str, str], errors: FormErrors | None
) -> Response:
    curriculum_ = progress.curriculum_of(enrolment)
    refusal = None
    if curriculum_.cpd is None:
        refusal = "This programme's training keeps no CPD record: there is nothing to add here."
    elif enrolment.status != "enrolled":
        refusal = f"Your training is {enrolment.status}: no more CPD can be added to it."
    context: dict[str, Any] = {
        "enrolment": enrolment,
        "curriculum": curriculum_,
        "values": values,
        "kinds": domain.CPD_KINDS,
        "refusal": refusal,
    }
    return PAGES.render(request, "my_cpd.html", context, errors=errors)
