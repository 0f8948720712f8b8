"""The council's vacancies: the list, posting one (every field POST /councils/{id}/vacancies
takes), one vacancy with its proposed candidates, closing and filling."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from rtw_contracts import FlexibleWorking, IctSpecialism, Programme, WorkMode
from rtw_platform import reference
from rtw_platform.errors import Conflict, Invalid
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.uow import UnitOfWork
from rtw_platform.web import FormErrors, form_state, read_form, redirect, redirect_with_problems
from starlette.datastructures import FormData

from .. import councils, domain
from .common import LABELS, PAGES, council_of, pounds, recruiter
from .forms import chosen, date_answer, from_validation, read_date, read_number, read_pence, text
from .views import VacancyCounts, matches_of, vacancies_of, vacancy_counts, vacancy_for

router = APIRouter(include_in_schema=False)

SKILL_ROWS = 5
FIELDS = {
    "title": "title",
    "programme": "programme",
    "specialism": "specialism",
    "role": "role",
    "role_level": "role_level",
    "required_skills": "skill-1",
    "base_postcode_districts": "base_postcode_districts",
    "work_mode": "work_mode",
    "flexible_working": "flexible_working",
    "salary_band": "salary_min",
    "hours_per_week": "hours_per_week",
    "closing_date": "closing_date-day",
    "interview_required": "interview_required",
    "description": "description",
}
DESCRIPTION_MAX = 4000


@router.get("/council")
async def council_home(request: Request, uow: UnitOfWorkDep) -> HTMLResponse:
    """The council's vacancies; while its claim is not approved, only that it is waiting."""
    principal = recruiter(request)
    council = await council_of(uow, principal, approved=False)
    refusal = domain.council_refusal(council.status, own=True)
    if refusal is not None:
        heading = (
            "Your claim is awaiting approval"
            if council.status == "pending"
            else "Your claim was not approved"
        )
        return PAGES.render(
            request, "council_pending.html", {"council": council, "heading": heading, "message": refusal}
        )
    vacancies = await vacancies_of(uow, council)
    counts = await vacancy_counts(uow, council.id)
    return PAGES.render(
        request,
        "council.html",
        {
            "council": council,
            "vacancies": vacancies,
            "counts": {v.id: counts.get(v.id, VacancyCounts()) for v in vacancies},
            "labels": LABELS,
        },
    )


def _answers(form: FormData | None) -> dict[str, Any]:
    if form is None:
        return {
            "programme": Programme.ICT.value,
            "flexible_working": [],
            "skills": [{"skill": "", "level": ""} for _ in range(SKILL_ROWS)],
            "closing_date": {"day": "", "month": "", "year": ""},
        }
    return {
        "title": text(form, "title"),
        "programme": text(form, "programme"),
        "specialism": text(form, "specialism"),
        "role": text(form, "role"),
        "role_level": text(form, "role_level"),
        "skills": [
            {"skill": text(form, f"skill-{n}"), "level": text(form, f"level-{n}")}
            for n in range(1, SKILL_ROWS + 1)
        ],
        "base_postcode_districts": text(form, "base_postcode_districts"),
        "work_mode": text(form, "work_mode"),
        "flexible_working": chosen(form, "flexible_working", {f.value for f in FlexibleWorking}),
        "salary_min": text(form, "salary_min"),
        "salary_max": text(form, "salary_max"),
        "hours_per_week": text(form, "hours_per_week"),
        "closing_date": date_answer(form, "closing_date"),
        "interview_required": text(form, "interview_required") == "yes",
        "description": text(form, "description"),
    }


NEW_VACANCY = "/council/vacancies/new"


def _form_page(request: Request, answers: dict[str, Any], errors: FormErrors | None = None) -> HTMLResponse:
    return PAGES.render(
        request,
        "vacancy_new.html",
        {
            "answers": answers,
            "skills": sorted(reference.framework_skills()),
            "labels": LABELS,
            "description_max": DESCRIPTION_MAX,
        },
        errors=errors,
    )


@router.get("/council/vacancies/new")
async def new_vacancy(request: Request, uow: UnitOfWorkDep) -> HTMLResponse:
    """The form to post a vacancy (an approved council's)."""
    await council_of(uow, recruiter(request))
    state = form_state(request)
    if state is not None:
        return _form_page(request, {**_answers(None), **state.values}, state.errors)
    return _form_page(request, _answers(None))


def _vacancy_in(form: FormData, errors: FormErrors) -> dict[str, Any]:  # noqa: C901 (issue 21)
    """The vacancy as POST /councils/{id}/vacancies takes it, checking each answer on the way."""
    title = text(form, "title")
    if len(title) < 3:
        errors.add(
            "title", "Enter the job title" if not title else "The job title must be 3 characters or more"
        )
    elif len(title) > 200:
        errors.add("title", "The job title must be 200 characters or fewer")
    programme = text(form, "programme")
    if programme not in {p.value for p in Programme}:
        errors.add("programme", "Select the programme the vacancy is for")
    specialism = text(form, "specialism") or None
    if specialism is not None and specialism not in {s.value for s in IctSpecialism}:
        errors.add("specialism", "Select a specialism from the list")
    elif specialism is not None and programme != Programme.ICT.value:
        errors.add("specialism", 'Specialisms are for ICT vacancies: select "No specialism"')
    for name, what in (("role", "the role"), ("role_level", "the role's level")):
        value = text(form, name)
        if len(value) < 2:
            errors.add(name, f"Enter {what}")
        elif len(value) > 100:
            errors.add(name, f"{what[0].upper()}{what[1:]} must be 100 characters or fewer")
    known = reference.framework_skills()
    skills: list[dict[str, Any]] = []
    for n in range(1, SKILL_ROWS + 1):
        skill, level = text(form, f"skill-{n}"), text(form, f"level-{n}")
        if not skill and not level:
            continue
        if skill not in known:
            errors.add(f"skill-{n}", f"Select skill {n} from the list")
        elif level not in {"1", "2", "3", "4"}:
            errors.add(f"level-{n}", f"Select the level of {skill} the job needs")
        else:
            skills.append({"skill": skill, "level": int(level)})
    districts = [d.upper() for d in re.split(r"[\s,]+", text(form, "base_postcode_districts")) if d]
    unknown = [d for d in districts if reference.postcode_district(d) is None]
    if unknown:
        errors.add("base_postcode_districts", f"{', '.join(unknown)} is not a UK postcode district, like WS1")
    elif len(districts) > 10:
        errors.add("base_postcode_districts", "Enter 10 postcode districts or fewer")
    work_mode = text(form, "work_mode")
    if work_mode not in {m.value for m in WorkMode}:
        errors.add("work_mode", "Select where the job is done")
    low = read_pence(form, "salary_min", "the lowest salary", errors)
    high = read_pence(form, "salary_max", "the highest salary", errors)
    if low is not None and high is not None and low > high:
        errors.add("salary_max", "The highest salary must be the same as or more than the lowest")
    hours = read_number(form, "hours_per_week", "the hours per week", errors, required=True, low=0, high=48)
    closing = read_date(form, "closing_date", "the closing date", errors, required=True)
    if closing is not None and closing < datetime.now(UTC).date():
        errors.add("closing_date-day", "The closing date must be today or in the future")
    description = text(form, "description")
    if len(description) > DESCRIPTION_MAX:
        errors.add("description", f"The description must be {DESCRIPTION_MAX} characters or fewer")
    return {
        "title": title,
        "programme": programme,
        "specialism": specialism,
        "role": text(form, "role"),
        "role_level": text(form, "role_level"),
        "required_skills": skills,
        "base_postcode_districts": districts,
        "work_mode": work_mode,
        "flexible_working": chosen(form, "flexible_working", {f.value for f in FlexibleWorking}),
        "salary_band": {"min_pence": low, "max_pence": high},
        "hours_per_week": hours,
        "closing_date": closing,
        "interview_required": text(form, "interview_required") == "yes",
        "description": description or None,
    }


@router.post("/council/vacancies/new")
async def vacancy_posted(request: Request, uow: UnitOfWorkDep) -> Response:
    """Post the vacancy (VacancyPosted); the pool is matched against it at once."""
    principal = recruiter(request)
    form = await read_form(request)
    council = await council_of(uow, principal)
    errors = FormErrors()
    body = _vacancy_in(form, errors)
    if errors:
        return redirect_with_problems(request, NEW_VACANCY, errors, _answers(form))
    try:
        vacancy, matched = await councils.post_vacancy(
            uow, council.id, councils.VacancyIn.model_validate(body), principal
        )
    except ValidationError as problem:
        return redirect_with_problems(
            request, NEW_VACANCY, from_validation(problem, FIELDS, "title"), _answers(form)
        )
    except Invalid as refusal:
        return redirect_with_problems(
            request, NEW_VACANCY, FormErrors.from_refusal(refusal, FIELDS), _answers(form)
        )
    return redirect(request, f"/council/vacancies/{vacancy.id}?proposed={matched.proposed}")


@router.get("/council/vacancies/{vacancy_id}")
async def vacancy_page(
    request: Request, vacancy_id: UUID, uow: UnitOfWorkDep, proposed: int | None = None
) -> HTMLResponse:
    """A vacancy, its proposed and shortlisted candidates, and closing or filling it."""
    vacancy = await vacancy_for(uow, vacancy_id, recruiter(request))
    matches = await matches_of(uow, vacancy)
    counts = (await vacancy_counts(uow, vacancy.council_id)).get(vacancy.id, VacancyCounts())
    refused = form_state(request)  # closing or filling refused: why
    return PAGES.render(
        request,
        "vacancy.html",
        {
            "vacancy": vacancy,
            "matches": matches,
            "counts": counts,
            "proposed": proposed,
            "salary": f"{pounds(vacancy.salary_min_pence)} to {pounds(vacancy.salary_max_pence)}",
            "labels": LABELS,
        },
        errors=refused.errors if refused else None,
    )


async def _set_status(request: Request, vacancy_id: UUID, uow: UnitOfWork, status: str) -> Response:
    principal = recruiter(request)
    await read_form(request)
    page = f"/council/vacancies/{vacancy_id}"
    try:  # another council's vacancy, or an unknown one, is still "not found" (404)
        await councils.set_vacancy_status(uow, vacancy_id, status, principal)
    except Conflict as refusal:  # closed or filled already: back to the vacancy, saying so
        return redirect_with_problems(request, page, FormErrors.from_refusal(refusal), {})
    return redirect(request, page)


@router.post("/council/vacancies/{vacancy_id}/close")
async def close(request: Request, vacancy_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Close the vacancy without filling it."""
    return await _set_status(request, vacancy_id, uow, "closed")


@router.post("/council/vacancies/{vacancy_id}/fill")
async def fill(request: Request, vacancy_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Mark the vacancy filled."""
    return await _set_status(request, vacancy_id, uow, "filled")
