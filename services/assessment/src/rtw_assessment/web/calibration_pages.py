"""The programme admin's calibration pages: the cohort's disagreements between assessors with
their scorecards side by side, asking a third assessor, and moderating with a recorded reason."""

from __future__ import annotations

from urllib.parse import quote, urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_platform.auth import Role
from rtw_platform.errors import Conflict, Invalid, NotFound
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
from starlette.datastructures import FormData

from .. import calibration, domain
from ..configuration import config_in_force
from .common import PAGES
from .scorecard_form import SCALE, recommendation_name, score_field

router = APIRouter(include_in_schema=False)

STATUS_NAMES = {
    domain.CalibrationStatus.OPEN: ("Open", "govuk-tag--red"),
    domain.CalibrationStatus.THIRD_ASKED: ("Waiting for a third assessor", "govuk-tag--yellow"),
    domain.CalibrationStatus.SETTLED_BY_THIRD: ("Settled by a third assessor", "govuk-tag--green"),
    domain.CalibrationStatus.AGREED: ("Assessors now agree", "govuk-tag--green"),
    domain.CalibrationStatus.MODERATED: ("Moderated", "govuk-tag--green"),
}


def _here(cohort_id: str) -> str:
    return f"/admin/cohorts/{quote(cohort_id, safe='')}/calibration"


def _application_id(value: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise NotFound("There is no such disagreement in this cohort.") from None


async def _rubric(uow: UnitOfWork, cohort_id: str) -> domain.Rubric:
    found = await config_in_force(uow, cohort_id)
    if found is None:
        raise NotFound(f"Cohort {cohort_id} has no configuration yet, so nothing to calibrate.")
    return found.config.rubric


def _notice(done: str | None, who: str | None) -> str | None:
    if done == "third":
        return f"The candidate is in {who or 'another assessor'}'s queue; their scorecard settles it."
    if done == "moderated":
        return "The moderated scores are recorded: selection uses them."
    return None


@router.get("/admin/cohorts/{cohort_id}/calibration")
async def calibration_page(
    cohort_id: str, request: Request, uow: UnitOfWorkDep, done: str | None = None, who: str | None = None
) -> Response:
    """Every disagreement of the cohort, open ones first, each with both scorecards side by side."""
    signed_in(request, Role.ADMIN)
    return await _calibration_page(request, uow, cohort_id, notice=_notice(done, who))


async def _calibration_page(
    request: Request,
    uow: UnitOfWork,
    cohort_id: str,
    *,
    notice: str | None = None,
) -> Response:
    state = form_state(request)  # why a third assessor or a moderation was refused
    refusal = state.problems.get("form") if state else None
    rubric = await _rubric(uow, cohort_id)
    found = await calibration.disagreements_of(uow, cohort_id)
    return PAGES.render(
        request,
        "calibration.html",
        {
            "cohort_id": cohort_id,
            "rubric": rubric,
            "disagreements": found,
            "open": sum(1 for d in found if d.status.blocks_selection),
            "closed": await calibration.selection_closed_at(uow, cohort_id),
            "statuses": STATUS_NAMES,
            "recommendation_name": recommendation_name,
            "notice": notice,
            "refusal": refusal,
        },
    )


@router.post("/admin/cohorts/{cohort_id}/calibration/{application_id}/third-assessor")
async def third_assessor_asked(
    cohort_id: str, application_id: str, request: Request, uow: UnitOfWorkDep
) -> Response:
    """Give the candidate to a further assessor (active, no conflict, least loaded)."""
    signed_in(request, Role.ADMIN)
    await read_form(request)
    try:
        who = await calibration.ask_third_assessor(uow, cohort_id, _application_id(application_id))
    except Conflict as refused:
        await uow.session.rollback()
        return redirect_with_problems(request, _here(cohort_id), FormErrors({"form": refused.message}), {})
    return redirect(request, f"{_here(cohort_id)}?{urlencode({'done': 'third', 'who': who})}")


def _moderation_page(
    request: Request,
    cohort_id: str,
    rubric: domain.Rubric,
    found: calibration.Disagreement,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
) -> Response:
    return PAGES.render(
        request,
        "moderation.html",
        {
            "cohort_id": cohort_id,
            "rubric": rubric,
            "d": found,
            "values": values or {},
            "scale": SCALE,
            "score_field": score_field,
            "statuses": STATUS_NAMES,
            "recommendation_name": recommendation_name,
        },
        errors=errors,
    )


@router.get("/admin/cohorts/{cohort_id}/calibration/{application_id}/moderation")
async def moderation_form(
    cohort_id: str, application_id: str, request: Request, uow: UnitOfWorkDep
) -> Response:
    """The scorecards side by side and the moderator's scores (nothing chosen for them; or as
    typed, with the problems, when the moderation was refused)."""
    signed_in(request, Role.ADMIN)
    found = await calibration.disagreement(uow, cohort_id, _application_id(application_id))
    rubric = await _rubric(uow, cohort_id)
    state = form_state(request)
    if state is not None:
        values = {str(name): str(value) for name, value in state.values.items()}
        return _moderation_page(request, cohort_id, rubric, found, values, state.errors)
    return _moderation_page(request, cohort_id, rubric, found)


def _moderation_values(
    form: FormData, rubric: domain.Rubric
) -> tuple[dict[str, str], dict[str, int], FormErrors]:
    values = {score_field(c.id): form_text(form, score_field(c.id)) for c in rubric.criteria}
    values["reason"] = form_text(form, "reason")
    scores: dict[str, int] = {}
    errors = FormErrors()
    for criterion in rubric.criteria:
        raw = values[score_field(criterion.id)]
        if raw in {value for value, _ in SCALE}:
            scores[criterion.id] = int(raw)
        elif raw:
            errors.add(score_field(criterion.id), "Use the scale 1 (weak) to 4 (strong).")
    return values, scores, errors


@router.post("/admin/cohorts/{cohort_id}/calibration/{application_id}/moderation")
async def moderated(cohort_id: str, application_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """Record the moderated scores and the reason; selection uses them."""
    admin = signed_in(request, Role.ADMIN)
    form = await read_form(request)
    candidate = _application_id(application_id)
    await calibration.disagreement(uow, cohort_id, candidate)  # none: not found, before any check
    rubric = await _rubric(uow, cohort_id)
    values, scores, errors = _moderation_values(form, rubric)
    for api_field, message in domain.moderation_problems(rubric, scores, values["reason"]):
        errors.add(api_field.replace(".", "-"), message)
    page = f"{_here(cohort_id)}/{candidate}/moderation"
    if errors:
        return redirect_with_problems(request, page, errors, values)
    try:
        await calibration.moderate(uow, cohort_id, candidate, scores, values["reason"], admin.subject)
    except Invalid as refusal:
        return redirect_with_problems(request, page, FormErrors.from_refusal(refusal), values)
    except Conflict as refused:
        await uow.session.rollback()
        return redirect_with_problems(request, _here(cohort_id), FormErrors({"form": refused.message}), {})
    return redirect(request, f"{_here(cohort_id)}?done=moderated")
