"""Optional equality-monitoring questions: stored apart from the application (the same use case as
PUT /applications/{id}/equality-monitoring), used only in aggregate."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.web import FormErrors, form_state, form_text, read_form, redirect, redirect_with_problems

from .. import cohorts, intake
from ..api_models import EqualityMonitoring
from ..models import EqualityMonitoringAnswers
from .candidate import own_application
from .common import PAGES
from .task_list import EQUALITY_QUESTIONS

router = APIRouter(include_in_schema=False)
PREFER_NOT_TO_SAY = "prefer_not_to_say"


@router.get("/application/{application_id}/equality")
async def equality_form(request: Request, application_id: str, uow: UnitOfWorkDep) -> Response:
    """The questions, with any earlier answers."""
    _, application = await own_application(request, uow, application_id)
    if application.reference is not None:
        return redirect(request, f"/my/applications/{application.id}")
    state = form_state(request)
    if state is not None:
        return await _render(request, uow, application.id, application.cohort_id, state.values, state.errors)
    saved = await uow.session.get(EqualityMonitoringAnswers, application.id)
    values = dict(saved.answers) if saved is not None else {}
    return await _render(request, uow, application.id, application.cohort_id, values, FormErrors())


@router.post("/application/{application_id}/equality")
async def equality_answered(request: Request, application_id: str, uow: UnitOfWorkDep) -> Response:
    """Store the answers given (any may be left out) and go to check your answers."""
    principal, application = await own_application(request, uow, application_id)
    form = await read_form(request)
    values = {name: form_text(form, name) for name, _, _ in EQUALITY_QUESTIONS}
    errors = FormErrors()
    for name, _, options in EQUALITY_QUESTIONS:
        if values[name] and values[name] not in {str(value) for value, _ in options} | {PREFER_NOT_TO_SAY}:
            errors.add(name, "Select one of the answers, or leave the question out")
    if errors:
        return redirect_with_problems(request, f"/application/{application.id}/equality", errors, values)
    answers = EqualityMonitoring.model_validate({name: value for name, value in values.items() if value})
    await intake.record_equality_monitoring(application.id, answers, principal, uow)
    return redirect(request, f"/application/{application.id}/check-answers")


async def _render(
    request: Request,
    uow: UnitOfWorkDep,
    application_id: object,
    cohort_id: str,
    values: dict[str, str],
    errors: FormErrors,
) -> Response:
    cohort = await cohorts.cohort_or_refuse(uow, cohort_id)
    context = {
        "application_id": application_id,
        "cohort": cohort,
        "questions": EQUALITY_QUESTIONS,
        "values": values,
        "prefer_not_to_say": PREFER_NOT_TO_SAY,
    }
    return PAGES.render(request, "equality.html", context, errors=errors)
