"""Programme admins open cohorts for applications: each cohort's title, programme and the window
in which candidates may apply (the same use case as `PUT /cohorts/{id}`)."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError
from rtw_contracts import Programme
from rtw_platform import clock
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

from .. import cohorts
from ..api_models import CohortIn
from .common import PAGES
from .form_fields import add_validation_errors, day_of, day_parts
from .reports import PROGRAMMES

router = APIRouter(include_in_schema=False)

#: Form field of each CohortIn field, for the model's own messages.
FIELDS = {
    "id": "id",
    "programme": "programme",
    "title": "title",
    "opens_on": "opens-day",
    "closes_on": "closes-day",
}


@router.get("/admin/cohorts")
async def cohort_list(request: Request, uow: UnitOfWorkDep, saved: str | None = None) -> Response:
    """Every cohort with its application window, and a form for a new one."""
    signed_in(request, Role.ADMIN)
    every = await cohorts.list_cohorts(uow)
    views = [cohorts.view(cohort, clock.today()) for cohort in every]
    state = form_state(request)  # a new cohort refused: what was typed, with its problems
    values = state.values if state is not None else {"video_required": "yes"}
    return PAGES.render(
        request,
        "intake_windows.html",
        {"cohorts": views, "saved": saved, "programmes": PROGRAMMES, "values": values},
        errors=state.errors if state is not None else None,
    )


@router.get("/admin/cohorts/{cohort_id}")
async def cohort_form(request: Request, cohort_id: str, uow: UnitOfWorkDep) -> Response:
    """Change a cohort's title or window."""
    signed_in(request, Role.ADMIN)
    cohort = await cohorts.cohort_or_refuse(uow, cohort_id)
    values = {
        "id": cohort.id,
        "programme": cohort.programme,
        "title": cohort.title,
        "video_required": "yes" if cohort.video_required else "",
        **day_parts(cohort.opens_on.isoformat(), "opens"),
        **day_parts(cohort.closes_on.isoformat(), "closes"),
    }
    state = form_state(request)  # a change refused: what was typed, with its problems
    if state is not None:
        values = {**state.values, "id": cohort.id}
    return PAGES.render(
        request,
        "intake_window.html",
        {"values": values, "programmes": PROGRAMMES, "existing": True},
        errors=state.errors if state is not None else None,
    )


@router.post("/admin/cohorts")
async def cohort_saved(request: Request, uow: UnitOfWorkDep) -> Response:
    """Create or change a cohort; problems are shown beside their fields."""
    signed_in(request, Role.ADMIN)
    form = await read_form(request)
    errors = FormErrors()
    values = {name: form_text(form, name) for name in ("id", "programme", "title", "video_required")}
    for prefix in ("opens", "closes"):
        values.update(
            {f"{prefix}-{part}": form_text(form, f"{prefix}-{part}") for part in ("day", "month", "year")}
        )
    opens = day_of(form, "opens", "the day applications open", errors)
    closes = day_of(form, "closes", "the day applications close", errors)
    if opens is None and "opens-day" not in errors.problems:
        errors.add("opens-day", "Enter the day applications open")
    if closes is None and "closes-day" not in errors.problems:
        errors.add("closes-day", "Enter the day applications close")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{2,63}", values["id"]):
        errors.add(
            "id", "Enter a short name of 3 to 64 lower-case letters, digits and hyphens, like ict-2027"
        )
    if values["programme"] not in {p.value for p in Programme}:
        errors.add("programme", "Choose the programme")
    if not values["title"]:
        errors.add("title", "Enter the cohort's title, as candidates will see it")
    if opens and closes and closes < opens:
        errors.add("closes-day", "The closing day must be on or after the opening day")
    if not errors:
        try:
            cohort = CohortIn(
                id=values["id"],
                programme=Programme(values["programme"]),
                title=values["title"],
                opens_on=date.fromisoformat(str(opens)),
                closes_on=date.fromisoformat(str(closes)),
                video_required=values["video_required"] == "yes",
            )
        except ValidationError as exc:
            add_validation_errors(errors, exc, FIELDS, "closes-day")
    if errors:
        # Back to the page the form was on (post/redirect/get: reload and Back never send it again).
        existing = form_text(form, "existing") == "yes" and not errors.message("id")
        page = f"/admin/cohorts/{quote(values['id'], safe='')}" if existing else "/admin/cohorts"
        return redirect_with_problems(request, page, errors, values)
    await cohorts.save_cohort(uow, cohort)
    return redirect(request, f"/admin/cohorts?saved={cohort.id}")
