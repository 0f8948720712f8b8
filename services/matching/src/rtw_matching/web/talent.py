"""Searching the talent pool (pseudonymous profiles of the returners who allow the council), one
returner's profile with the explained score for a vacancy, and shortlisting them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from rtw_contracts import FlexibleWorking, IctSpecialism, Programme
from rtw_platform import reference
from rtw_platform.errors import Conflict, Invalid, NotFound
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.uow import UnitOfWork
from rtw_platform.web import FormErrors, form_state, read_form, redirect, redirect_with_problems, whole_number
from starlette.datastructures import QueryParams

from .. import domain, outreach, search
from ..models import CandidateProfile, Council, Vacancy
from ..profiles import candidate_of, vacancy_of
from ..store import weights_in_force
from .common import LABELS, PAGES, council_of, recruiter
from .forms import chosen, date_answer, from_validation, read_date, read_number, text
from .views import match_of, vacancies_of, vacancy_for

router = APIRouter(include_in_schema=False)

SKILL_ROWS = 3
TRAINING_STATUSES = ("none", "enrolled", "completed")
FIELDS = {
    "programme": "programme",
    "specialisms": "specialisms",
    "skills": "skill-1",
    "min_years_experience": "min_years_experience",
    "near": "near",
    "radius_km": "radius_km",
    "flexible_working": "flexible_working",
    "training_status": "training_status",
    "available_by": "available_by-day",
    "vacancy_id": "vacancy_id",
    "sort": "sort",
    "page": "vacancy_id",
}


def filters_from_query(query: QueryParams, errors: FormErrors) -> dict[str, Any]:
    """The filter panel's answers as POST /councils/{id}/search takes them."""
    filters: dict[str, Any] = {
        "programme": text(query, "programme") or Programme.ICT.value,
        "specialisms": chosen(query, "specialisms", {s.value for s in IctSpecialism}),
        "flexible_working": chosen(query, "flexible_working", {f.value for f in FlexibleWorking}),
        "training_status": chosen(query, "training_status", TRAINING_STATUSES),
        "sort": "score" if text(query, "sort") == "score" else "distance",
        "page_size": 20,
    }
    if filters["programme"] not in {p.value for p in Programme}:
        errors.add("programme", "Select a programme")
    skills = []
    known = reference.framework_skills()
    for n in range(1, SKILL_ROWS + 1):
        skill, level = text(query, f"skill-{n}"), text(query, f"level-{n}")
        if not skill:
            continue
        if skill not in known:
            errors.add(f"skill-{n}", f"Select skill {n} from the list")
        else:
            skills.append({"skill": skill, "level": int(level) if level in {"1", "2", "3", "4"} else 1})
    filters["skills"] = skills
    years = read_number(
        query, "min_years_experience", "the years of experience", errors, required=False, high=60
    )
    if years is not None and years < 0:
        errors.add("min_years_experience", "The years of experience must be 0 or more")
    filters["min_years_experience"] = years
    near = text(query, "near").upper()
    if near and reference.postcode_district(near) is None:
        errors.add("near", f"{near} is not a UK postcode district, like WS1")
    filters["near"] = near or None
    filters["radius_km"] = read_number(
        query, "radius_km", "the distance", errors, required=False, low=0, high=1000
    )
    available = read_date(query, "available_by", "the date", errors, required=False)
    filters["available_by"] = available.isoformat() if available else None
    vacancy_id = text(query, "vacancy_id")
    if vacancy_id:
        try:
            filters["vacancy_id"] = str(UUID(vacancy_id))
        except ValueError:
            errors.add("vacancy_id", "Select one of your vacancies")
    if filters["sort"] == "score" and not vacancy_id:
        errors.add("sort", "Select a vacancy to sort by how well returners fit it")
    page = text(query, "page")
    filters["page"] = whole_number(page, 1, 100_000) or 1
    return filters


def _answers(query: QueryParams) -> dict[str, Any]:
    return {
        "programme": text(query, "programme") or Programme.ICT.value,
        "vacancy_id": text(query, "vacancy_id"),
        "sort": text(query, "sort") or "distance",
        "specialisms": chosen(query, "specialisms", {s.value for s in IctSpecialism}),
        "flexible_working": chosen(query, "flexible_working", {f.value for f in FlexibleWorking}),
        "training_status": chosen(query, "training_status", TRAINING_STATUSES),
        "skills": [
            {"skill": text(query, f"skill-{n}"), "level": text(query, f"level-{n}")}
            for n in range(1, SKILL_ROWS + 1)
        ],
        "min_years_experience": text(query, "min_years_experience"),
        "near": text(query, "near"),
        "radius_km": text(query, "radius_km"),
        "available_by": date_answer(query, "available_by"),
    }


#: Filters the search page keeps under "More filters" (open when one is in use or wrong).
MORE_FILTERS = ("specialisms", "flexible_working", "training_status", "min_years_experience")


def more_filters_in_use(answers: dict[str, Any], errors: FormErrors) -> bool:
    """Whether the search page should show its "More filters" open."""
    if any(answers[name] for name in MORE_FILTERS) or any(row["skill"] for row in answers["skills"]):
        return True
    if any(answers["available_by"].values()):
        return True
    kept_under = ("skill-", "level-", "available_by", *MORE_FILTERS)
    return any(name.startswith(kept_under) for name in errors.problems)


def _page_link(request: Request, page: int) -> str:
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    return "?" + urlencode([*query, ("page", str(page))])


@router.get("/council/search")
async def search_page(request: Request, uow: UnitOfWorkDep) -> HTMLResponse:
    """The filter panel and the returners it finds (as POST /councils/{id}/search)."""
    council = await council_of(uow, recruiter(request))
    vacancies = [v for v in await vacancies_of(uow, council) if v.status == "open"]
    errors = FormErrors()
    filters = filters_from_query(request.query_params, errors)
    found: dict[str, Any] | None = None
    if not errors:
        try:
            found = await search.search(uow, council, search.SearchFilters.model_validate(filters))
        except ValidationError as problem:
            errors = from_validation(problem, FIELDS, "vacancy_id")
        except Invalid as refusal:
            errors = FormErrors.from_refusal(refusal, FIELDS)
    pages = None
    if found and found["total"] > found["page_size"]:
        last = (found["total"] + found["page_size"] - 1) // found["page_size"]
        pages = {
            "previous": _page_link(request, found["page"] - 1) if found["page"] > 1 else None,
            "next": _page_link(request, found["page"] + 1) if found["page"] < last else None,
            "last": last,
        }
    answers = _answers(request.query_params)
    return PAGES.render(
        request,
        "search.html",
        {
            "answers": answers,
            "more_filters_open": more_filters_in_use(answers, errors),
            "vacancies": vacancies,
            "found": found,
            "pages": pages,
            "skills": sorted(reference.framework_skills()),
            "training_statuses": TRAINING_STATUSES,
            "labels": LABELS,
            "save_link": "/council/saved-searches/new?" + request.url.query,
        },
        errors=errors,
        status_code=400 if errors else 200,
    )


async def visible_profile(uow: UnitOfWork, council: Council, application_id: UUID) -> CandidateProfile:
    """A returner in the pool who allows this council to see them (as shortlisting checks)."""
    profile = await uow.session.get(CandidateProfile, application_id)
    if (
        profile is None
        or not profile.in_pool
        or profile.withdrawn
        or not domain.visible_to(candidate_of(profile), council.gss_code, council.region)
    ):
        raise NotFound("No candidate with that reference is visible to your council.")
    return profile


async def _explained(
    uow: UnitOfWork, council: Council, profile: CandidateProfile, vacancy: Vacancy | None
) -> dict[str, Any]:
    """The pseudonymous profile, scored against the vacancy when there is one."""
    if vacancy is None:
        centre = reference.councils()[council.gss_code]
        km = domain.distance_km(
            domain.Place(centre.latitude, centre.longitude), domain.Place(profile.latitude, profile.longitude)
        )
        return search.profile_view(profile, km, None)
    weights = (await weights_in_force(uow)).weights
    scored = domain.score(candidate_of(profile), vacancy_of(vacancy), weights)
    return search.profile_view(profile, scored.distance_km, scored)


@router.get("/council/candidates/{application_id}")
async def candidate_page(
    request: Request, application_id: UUID, uow: UnitOfWorkDep, vacancy_id: UUID | None = None
) -> HTMLResponse:
    """A returner's pseudonymous profile and, for one of the council's vacancies, the explained
    score: each factor's points, share and what would raise it."""
    principal = recruiter(request)
    council = await council_of(uow, principal)
    vacancy = await vacancy_for(uow, vacancy_id, principal) if vacancy_id else None
    profile = await visible_profile(uow, council, application_id)
    view = await _explained(uow, council, profile, vacancy)
    match = await match_of(uow, vacancy, application_id) if vacancy else None
    vacancies = [v for v in await vacancies_of(uow, council) if v.status == "open"]
    refused = form_state(request)  # shortlisting refused: why
    return PAGES.render(
        request,
        "candidate.html",
        {"profile": view, "vacancy": vacancy, "match": match, "vacancies": vacancies, "labels": LABELS},
        errors=refused.errors if refused else None,
    )


@router.post("/council/candidates/{application_id}/shortlist")
async def shortlist(request: Request, application_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Shortlist the returner for the vacancy (as POST /vacancies/{id}/shortlist)."""
    principal = recruiter(request)
    form = await read_form(request)
    page = f"/council/candidates/{application_id}"
    try:
        vacancy_id = UUID(text(form, "vacancy_id"))
    except ValueError:
        errors = FormErrors({"vacancy_id": "Select one of your vacancies"})
        return redirect_with_problems(request, page, errors, {})
    try:  # another council's vacancy, or a returner it cannot see, is still "not found" (404)
        match = await outreach.shortlist(uow, vacancy_id, application_id, principal)
    except Conflict as refusal:  # shortlisted already, or further on: back to the returner, saying so
        errors = FormErrors.from_refusal(refusal)
        return redirect_with_problems(request, f"{page}?vacancy_id={vacancy_id}", errors, {})
    return redirect(request, f"/council/matches/{match.id}")
