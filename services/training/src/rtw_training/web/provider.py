"""Training providers' pages: their cohorts' learners, and recording a completed module."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from rtw_platform.auth import Principal, Role
from rtw_platform.errors import Conflict, NotFound
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

from .. import domain
from ..store import TrainingWork, work_of
from ..use_cases import access, progress, views
from ..use_cases.progress import ModuleCompletion
from .common import PAGES, signer_of

router = APIRouter(include_in_schema=False)

RESULTS = tuple(domain.RESULTS.items())


@router.get("/provider")
async def cohorts(request: Request, uow: UnitOfWorkDep) -> Response:
    """Every learner of the provider's cohorts, with how far each has got."""
    principal = signed_in(request, Role.TRAINER)
    found = await views.provider_cohorts(work_of(uow), principal)
    if found is None:
        # Signed in before the programme registered the organisation: say so, and what to do.
        provider_id = principal.provider_id or principal.subject
        return PAGES.render(
            request, "provider_unregistered.html", {"provider_id": provider_id}, status_code=403
        )
    return PAGES.render(request, "provider.html", {"provider": found.provider, "groups": found.groups})


@router.get("/provider/learners/{enrolment_id}")
async def learner(
    request: Request,
    enrolment_id: UUID,
    uow: UnitOfWorkDep,
    recorded: str | None = None,
    corrected: str | None = None,
) -> Response:
    """A learner's modules, the corrections made, and the form to record one completed (as typed,
    with its problems, when it was refused)."""
    principal = signed_in(request, Role.TRAINER)
    state = form_state(request)
    if state is not None:
        values = {name: str(state.values.get(name, "")) for name in ("module", "hours", "result")}
        return await _learner_page(
            request, work_of(uow), principal, enrolment_id, values=values, errors=state.errors
        )
    return await _learner_page(
        request, work_of(uow), principal, enrolment_id, recorded=recorded, corrected=corrected
    )


@router.post("/provider/learners/{enrolment_id}/modules")
async def record_module(request: Request, enrolment_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Record a completed module, as the provider API does; problems go back to the form."""
    principal = signed_in(request, Role.TRAINER)
    form = await read_form(request)
    values = {name: form_text(form, name) for name in ("module", "hours", "result")}
    work = work_of(uow)
    enrolment = await access.enrolment_for(work, enrolment_id, principal)
    errors = FormErrors()
    if not values["module"]:
        errors.add("module", "Select the module the learner completed")
    completion = _completion(values, errors)
    if enrolment.status != "enrolled":
        errors.add(
            "module", f"This learner's training is {enrolment.status}: no more progress can be recorded"
        )
    if completion is not None and not errors:
        try:
            await progress.complete_module(
                work, enrolment, values["module"], completion, source="provider", signer=signer_of(request)
            )
        except (Conflict, NotFound) as refusal:
            errors.add("module", refusal.message)
    if errors:
        return redirect_with_problems(request, f"/provider/learners/{enrolment_id}", errors, values)
    return redirect(request, f"/provider/learners/{enrolment_id}?recorded={values['module']}")


def _completion(values: dict[str, str], errors: FormErrors) -> ModuleCompletion | None:
    """The hours and result as the use case takes them, or the problems with them."""
    if values["result"] not in {value for value, _ in RESULTS}:
        errors.add("result", "Select the result the learner got")
    if not values["hours"]:
        errors.add("hours", "Enter the hours the learner spent on the module")
        return None
    try:
        hours = float(values["hours"])
    except ValueError:
        errors.add("hours", "Hours must be a number, like 6 or 7.5")
        return None
    try:
        return ModuleCompletion(hours=hours, result=values["result"])
    except ValidationError as invalid:
        for problem in invalid.errors():
            if problem["loc"] and problem["loc"][0] == "hours":
                errors.add("hours", "Hours must be more than 0 and no more than 500")
        return None


async def _learner_page(
    request: Request,
    work: TrainingWork,
    principal: Principal,
    enrolment_id: UUID,
    *,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
    recorded: str | None = None,
    corrected: str | None = None,
) -> Response:
    enrolment = await access.enrolment_for(work, enrolment_id, principal)
    view = await views.learner_view(work, enrolment)
    recorded_title = next(
        (m.title for m in view.modules if m.id == recorded and m.status == "completed"), None
    )
    context: dict[str, Any] = {
        "view": view,
        "values": values or {"module": "", "hours": "", "result": ""},
        "results": RESULTS,
        "recorded": recorded_title,
        "corrected": next((m.title for m in view.modules if m.id == corrected), None),
    }
    return PAGES.render(request, "provider_learner.html", context, errors=errors)
