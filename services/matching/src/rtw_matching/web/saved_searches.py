"""A council's saved searches: save the search on /council/search, list them with the returners
new to each since it was last looked at, run one again, turn its alerts off or on, delete it (as
the /councils/{id}/saved-searches API)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from rtw_platform.errors import Invalid
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.web import FormErrors, form_state, read_form, redirect, redirect_with_problems
from starlette.datastructures import QueryParams

from .. import search
from ..models import SavedSearch
from .common import LABELS, PAGES, council_of, recruiter
from .forms import text
from .talent import FIELDS, SKILL_ROWS, filters_from_query
from .views import vacancies_of

router = APIRouter(include_in_schema=False)

NOTICES = {
    "saved": "Your search is saved. We will list here the returners who match it from now on.",
    "deleted": "The saved search is deleted.",
    "alerts-on": "Alerts are on: new returners matching the search are listed here.",
    "alerts-off": "Alerts are off: no new returners are listed for the search until you turn them on.",
    "seen": "Those returners are marked as seen.",
}


def query_of(filters: dict[str, Any]) -> str:
    """A saved search's filters as the search page's address query (what running it opens)."""
    pairs: list[tuple[str, str]] = [("programme", str(filters.get("programme") or "ict"))]
    if filters.get("vacancy_id"):
        pairs.append(("vacancy_id", str(filters["vacancy_id"])))
    for name in ("specialisms", "flexible_working", "training_status"):
        pairs.extend((name, str(value)) for value in filters.get(name) or [])
    for n, claim in enumerate((filters.get("skills") or [])[:SKILL_ROWS], start=1):
        pairs += [(f"skill-{n}", str(claim["skill"])), (f"level-{n}", str(int(claim["level"])))]
    for name in ("min_years_experience", "radius_km"):
        if filters.get(name) is not None:
            pairs.append((name, f"{float(filters[name]):g}"))
    if filters.get("near"):
        pairs.append(("near", str(filters["near"])))
    if filters.get("available_by"):
        day = date.fromisoformat(str(filters["available_by"]))
        pairs += [
            ("available_by-day", str(day.day)),
            ("available_by-month", str(day.month)),
            ("available_by-year", str(day.year)),
        ]
    return urlencode(pairs)


def describe(filters: dict[str, Any], vacancy_titles: dict[str, str]) -> list[str]:
    """What a saved search looks for, in words (one phrase per filter)."""
    said = [LABELS["programmes"].get(filters.get("programme"), "Any programme")]
    if filters.get("vacancy_id"):
        said.append(f"scored against {vacancy_titles.get(str(filters['vacancy_id']), 'a vacancy')}")
    if filters.get("radius_km") is not None:
        said.append(f"within {float(filters['radius_km']):g} km of {filters.get('near') or 'your council'}")
    elif filters.get("near"):
        said.append(f"nearest {filters['near']} first")
    if filters.get("specialisms"):
        names = [LABELS["specialisms"].get(code, code) for code in filters["specialisms"]]
        said.append("any of: " + ", ".join(names))
    for claim in filters.get("skills") or []:
        level = LABELS["levels"].get(int(claim["level"]), str(claim["level"]))
        said.append(f"{claim['skill']} at least at {level.lower()} level")
    if filters.get("min_years_experience") is not None:
        years = float(filters["min_years_experience"])
        said.append(f"at least {years:g} years\N{RIGHT SINGLE QUOTATION MARK} experience")
    if filters.get("flexible_working"):
        names = [LABELS["flexible_working"].get(code, code) for code in filters["flexible_working"]]
        said.append("wanting " + ", ".join(name.lower() for name in names))
    if filters.get("training_status"):
        said.append(", ".join(LABELS["training"].get(code, code) for code in filters["training_status"]))
    if filters.get("available_by"):
        said.append(f"available by {date.fromisoformat(str(filters['available_by'])):%-d %B %Y}")
    return said


@router.get("/council/saved-searches")
async def saved_searches_page(request: Request, uow: UnitOfWorkDep, done: str = "") -> HTMLResponse:
    """The council's saved searches, each with the returners new to it (alerts)."""
    council = await council_of(uow, recruiter(request))
    await search.refresh_alerts(uow, council)
    titles = {str(v.id): v.title for v in await vacancies_of(uow, council)}
    alerts = await search.unseen_alerts(uow, council)
    rows = [
        {
            "saved": saved,
            "said": describe(saved.filters, titles),
            "run": "/council/search?" + query_of(saved.filters),
            "new": [str(alert.application_id) for alert in alerts.get(saved.id, [])],
            "vacancy_id": saved.filters.get("vacancy_id"),
        }
        for saved in await search.saved_searches_of(uow, council)
    ]
    return PAGES.render(
        request,
        "saved_searches.html",
        {"council": council, "rows": rows, "notice": NOTICES.get(done)},
    )


async def _new_page(
    request: Request,
    uow: UnitOfWorkDep,
    query: str,
    name: str,
    errors: FormErrors | None = None,
) -> HTMLResponse:
    council = await council_of(uow, recruiter(request))
    problems = FormErrors()
    filters = filters_from_query(QueryParams(query), problems)
    titles = {str(v.id): v.title for v in await vacancies_of(uow, council)}
    return PAGES.render(
        request,
        "saved_search_new.html",
        {
            "query": query,
            "name": name,
            "said": None if problems else describe(filters, titles),
            "back": "/council/search" + (f"?{query}" if query else ""),
        },
        errors=errors,
    )


@router.get("/council/saved-searches/new")
async def new_saved_search(request: Request, uow: UnitOfWorkDep) -> HTMLResponse:
    """Name the search just made (its filters are this page's query) to save it (with the problem
    and the name typed when saving was refused)."""
    state = form_state(request)
    if state is not None:
        return await _new_page(
            request, uow, request.url.query, str(state.values.get("name", "")), state.errors
        )
    return await _new_page(request, uow, request.url.query, "")


@router.post("/council/saved-searches")
async def save(request: Request, uow: UnitOfWorkDep) -> Response:
    """Save the search (as POST /councils/{id}/saved-searches)."""
    principal = recruiter(request)
    form = await read_form(request)
    council = await council_of(uow, principal)
    query, name = text(form, "query"), text(form, "name")
    errors = FormErrors()
    if not name:
        errors.add("name", "Enter a name for the search")
    elif len(name) > 200:
        errors.add("name", "The name must be 200 characters or fewer")
    filters = filters_from_query(QueryParams(query), errors)
    if any(key != "name" for key in errors.problems):
        errors = FormErrors({"name": "Correct the search before saving it: go back to the search"})
    if not errors:
        try:
            chosen = search.SearchFilters.model_validate(filters)
            await search.save_search(uow, council, name, chosen, principal.subject)
        except ValidationError:
            errors.add("name", "Correct the search before saving it: go back to the search")
        except Invalid as refusal:
            errors = FormErrors.from_refusal(refusal, FIELDS)
            if any(key != "name" for key in errors.problems):
                errors = FormErrors({"name": refusal.message})
    if errors:
        page = "/council/saved-searches/new" + (f"?{query}" if query else "")
        return redirect_with_problems(request, page, errors, {"name": name})
    return redirect(request, "/council/saved-searches?done=saved")


async def _own(request: Request, uow: UnitOfWorkDep, saved_search_id: UUID) -> tuple[Any, SavedSearch]:
    council = await council_of(uow, recruiter(request))
    return council, await search.saved_search_for(uow, council, saved_search_id)


@router.post("/council/saved-searches/{saved_search_id}/alerts")
async def switch_alerts(request: Request, saved_search_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Turn a saved search's alerts on or off."""
    recruiter(request)
    form = await read_form(request)
    council, saved = await _own(request, uow, saved_search_id)
    on = text(form, "alerts") == "on"
    await search.set_alerts(uow, council, saved, on)
    return redirect(request, f"/council/saved-searches?done=alerts-{'on' if on else 'off'}")


@router.post("/council/saved-searches/{saved_search_id}/seen")
async def seen(request: Request, saved_search_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Mark the returners new to a saved search as seen."""
    recruiter(request)
    await read_form(request)
    _, saved = await _own(request, uow, saved_search_id)
    await search.mark_seen(uow, saved)
    return redirect(request, "/council/saved-searches?done=seen")


@router.get("/council/saved-searches/{saved_search_id}/delete")
async def confirm_delete(request: Request, saved_search_id: UUID, uow: UnitOfWorkDep) -> HTMLResponse:
    """Ask before deleting a saved search."""
    _, saved = await _own(request, uow, saved_search_id)
    return PAGES.render(request, "saved_search_delete.html", {"saved": saved})


@router.post("/council/saved-searches/{saved_search_id}/delete")
async def delete(request: Request, saved_search_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Delete a saved search and its alerts."""
    recruiter(request)
    await read_form(request)
    _, saved = await _own(request, uow, saved_search_id)
    await search.delete_saved_search(uow, saved)
    return redirect(request, "/council/saved-searches?done=deleted")
