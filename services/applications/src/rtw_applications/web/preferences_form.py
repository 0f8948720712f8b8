"""After applying: the candidate changes how and when they can work, how far they can travel and
whether (and which) councils may find them (the same use case as PATCH /applications/{id} with
work preferences alone). The fields are the application's work-preferences page's."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from rtw_contracts import Programme
from rtw_platform import clock
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.web import FormErrors, form_state, form_text, read_form, redirect, redirect_with_problems
from rtw_platform.web.i18n import N_
from starlette.datastructures import FormData

from .. import cohorts, preferences
from ..api_models import ApplicationAnswers
from ..models import Application
from .candidate import own_application
from .common import PAGES
from .form_fields import add_validation_errors
from .questions import BY_SLUG, Context, Parsed
from .task_list import choices_for

router = APIRouter(include_in_schema=False)
WORK = BY_SLUG["work-preferences"]
#: What councils may see of the candidate: the fields hidden when they may not find them at all.
VISIBILITY_FIELDS = ("regions", "councils")


def may_change(application: Application) -> bool:
    """Sent and not withdrawn (a draft's preferences are one of its questions)."""
    return application.reference is not None and not preferences.withdrawn(application)


def _page(application: Application) -> str:
    return f"/my/applications/{application.id}/preferences"


@router.get("/my/applications/{application_id}/preferences")
async def preferences_page(
    request: Request, application_id: str, uow: UnitOfWorkDep, saved: str = ""
) -> Response:
    """The preferences as they are, to change."""
    _, application = await own_application(request, uow, application_id)
    if application.reference is None:
        return redirect(request, f"/application/{application.id}/questions/{WORK.slug}")
    if not may_change(application):
        return redirect(request, f"/my/applications/{application.id}")
    state = form_state(request)
    if state is not None:
        return await _render(request, uow, application, state.values, state.errors)
    values = WORK.read(_context(application))
    values["visible"] = "yes" if values["regions"] or values["councils"] else "no"
    return await _render(request, uow, application, values, FormErrors(), just_saved=saved == "yes")


@router.post("/my/applications/{application_id}/preferences")
async def preferences_changed(request: Request, application_id: str, uow: UnitOfWorkDep) -> Response:
    """Keep the new preferences (matching hears of them) and show them again."""
    principal, application = await own_application(request, uow, application_id)
    form = await read_form(request)
    if not may_change(application):
        return redirect(request, f"/my/applications/{application.id}")
    parsed = _parse(form, _context(application))
    answers = ApplicationAnswers()
    if not parsed.errors:
        try:
            answers = ApplicationAnswers.model_validate(parsed.changes)
        except ValidationError as exc:
            add_validation_errors(parsed.errors, exc, WORK.ids, WORK.first_id)
    if parsed.errors or answers.work_preferences is None:
        return redirect_with_problems(request, _page(application), parsed.errors, parsed.values)
    await preferences.change_preferences(application.id, answers.work_preferences, principal, uow)
    return redirect(request, f"{_page(application)}?saved=yes")


def _context(application: Application) -> Context:
    return Context(Programme(application.programme), application.answers, clock.today())


def _parse(form: FormData, ctx: Context) -> Parsed:
    """The work-preferences page's reading of the form; 'No' to being found allows no council."""
    parsed = WORK.parse(form, ctx)
    visible = form_text(form, "visible")
    parsed.values["visible"] = visible
    if visible == "no":
        for name in VISIBILITY_FIELDS:
            parsed.errors.problems.pop(name, None)
        parsed.values.update(regions=[], councils="")
        chosen: dict[str, Any] = parsed.changes["work_preferences"]
        chosen.update(visible_to_regions=[], visible_to_councils=[])
    elif visible != "yes":
        parsed.errors.add("visible", N_("Select whether councils may find you"))
    return parsed


async def _render(
    request: Request,
    uow: UnitOfWorkDep,
    application: Application,
    values: dict[str, Any],
    errors: FormErrors,
    *,
    just_saved: bool = False,
) -> HTMLResponse:
    context = {
        "application": application,
        "cohort": await cohorts.cohort_or_refuse(uow, application.cohort_id),
        "values": values,
        "choices": choices_for(Programme(application.programme), application.answers),
        "just_saved": just_saved,
    }
    return PAGES.render(request, "preferences.html", context, errors=errors)
