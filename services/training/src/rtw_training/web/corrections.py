"""Correcting an outcome already recorded: the new outcome, and a reason the learner sees in the
history (see outcomes.correct)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_platform.auth import Role
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
from ..models import Enrolment
from ..store import TrainingWork, work_of
from ..use_cases import access, outcomes, progress, views
from .common import PAGES

router = APIRouter(include_in_schema=False)

FIELDS = ("outcome", "hours", "reason")


@router.get("/provider/learners/{enrolment_id}/modules/{module_id}/correction")
async def correction_form(
    request: Request, enrolment_id: UUID, module_id: str, uow: UnitOfWorkDep
) -> Response:
    """What is recorded for the module, and the form to correct it (nothing chosen; or as typed,
    with its problems, when it was refused)."""
    principal = signed_in(request, Role.TRAINER)
    work = work_of(uow)
    enrolment = await access.enrolment_for(work, enrolment_id, principal)
    state = form_state(request)
    if state is not None:
        values = {name: str(state.values.get(name, "")) for name in FIELDS}
        return await _page(request, work, enrolment, module_id, values, state.errors)
    return await _page(request, work, enrolment, module_id, dict.fromkeys(FIELDS, ""), None)


@router.post("/provider/learners/{enrolment_id}/modules/{module_id}/correction")
async def correct(request: Request, enrolment_id: UUID, module_id: str, uow: UnitOfWorkDep) -> Response:
    """Apply the correction and keep it in the history, or show every problem with it."""
    principal = signed_in(request, Role.TRAINER)
    form = await read_form(request)
    values = {name: form_text(form, name) for name in FIELDS}
    work = work_of(uow)
    enrolment = await access.enrolment_for(work, enrolment_id, principal)
    progress.module_of(progress.curriculum_of(enrolment), module_id)
    current = await outcomes.recorded_state(work, enrolment, module_id)
    corrected, problems = domain.correction_of(
        current, values["outcome"], values["hours"], values["reason"], enrolment_status=enrolment.status
    )
    if corrected is None:
        errors = FormErrors()
        for problem in problems:
            errors.add(problem.field, problem.message)
        page = f"/provider/learners/{enrolment_id}/modules/{module_id}/correction"
        return redirect_with_problems(request, page, errors, values)
    await outcomes.correct(work, enrolment, module_id, corrected, values["reason"], principal)
    return redirect(request, f"/provider/learners/{enrolment_id}?corrected={module_id}")


async def _page(
    request: Request,
    work: TrainingWork,
    enrolment: Enrolment,
    module_id: str,
    values: dict[str, str],
    errors: FormErrors | None,
) -> Response:
    module = progress.module_of(progress.curriculum_of(enrolment), module_id)
    current = await outcomes.recorded_state(work, enrolment, module_id)
    # Why nothing can be corrected (training complete, nothing recorded yet), before any typing.
    _, refusals = domain.correction_of(current, "", "", "", enrolment_status=enrolment.status)
    refusal = next((p.message for p in refusals if p.field == "form"), None)
    context: dict[str, Any] = {
        "enrolment": enrolment,
        "module": module,
        "current": current,
        "name": await views.name_of(work, enrolment) or "the learner",
        "values": values,
        "choices": domain.CORRECTIONS,
        "results": domain.RESULTS,
        "refusal": refusal,
    }
    return PAGES.render(request, "provider_correction.html", context, errors=errors)
