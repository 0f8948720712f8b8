"""The programme admin's assessors: by programme with their load (open assignments), register
one, activate or retire one, and the way to e-mail them a sign-in link (made by notifications,
which holds staff addresses: docs/pages.md, "Signing in")."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response
from rtw_contracts import Programme
from rtw_platform.auth import Role
from rtw_platform.errors import Conflict
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

from .. import assessors
from .common import PAGES, PROGRAMMES

router = APIRouter(include_in_schema=False)

STAFF_ID = re.compile(r"^[A-Za-z0-9._@-]{2,100}$")
NOTICES = {
    "registered": "is registered. Send them a sign-in link so they can see their queue.",
    "retired": "is retired: they can no longer sign in, and their unscored assignments go to others.",
    "activated": "is active again.",
}


async def _page(
    request: Request,
    uow: UnitOfWork,
    answers: dict[str, object],
    *,
    notice: str | None = None,
    errors: FormErrors | None = None,
) -> Response:
    rows = await assessors.list_assessors(uow)
    return PAGES.render(
        request,
        "assessors.html",
        {
            "by_programme": assessors.by_programme(rows),
            "count": len(rows),
            "programmes": PROGRAMMES,
            "answers": answers,
            "notice": notice,
        },
        errors=errors,
    )


@router.get("/admin/assessors")
async def assessors_page(
    request: Request, uow: UnitOfWorkDep, done: str | None = None, id: str | None = None
) -> Response:
    """Every assessor by programme, with their load; the form to register one (as typed, with its
    problems, when registering was refused)."""
    signed_in(request, Role.ADMIN)
    state = form_state(request)
    if state is not None:
        return await _page(request, uow, {"programmes": [], **state.values}, errors=state.errors)
    notice = f"Assessor {id} {NOTICES[done]}" if done in NOTICES and id else None
    return await _page(request, uow, {"id": "", "display_name": "", "programmes": []}, notice=notice)


@router.post("/admin/assessors")
async def register(request: Request, uow: UnitOfWorkDep) -> Response:
    """Register an assessor (AssessorChanged tells notifications they may be sent a link)."""
    signed_in(request, Role.ADMIN)
    form = await read_form(request)
    chosen = [value for value in form.getlist("programmes") if isinstance(value, str)]
    answers: dict[str, object] = {
        "id": form_text(form, "id"),
        "display_name": form_text(form, "display_name"),
        "programmes": chosen,
    }
    errors = FormErrors()
    assessor_id = str(answers["id"])
    name = str(answers["display_name"])
    if not assessor_id:
        errors.add("id", "Enter a staff id for the assessor, like jo.okafor")
    elif not STAFF_ID.match(assessor_id):
        errors.add(
            "id",
            "A staff id is 2 to 100 letters, digits, dots, hyphens, underscores or @, with no spaces",
        )
    if not name:
        errors.add("display_name", "Enter the assessor's name")
    elif len(name) > 200:
        errors.add("display_name", "The name must be 200 characters or fewer")
    unknown = [value for value in chosen if value not in PROGRAMMES]
    if not chosen:
        errors.add("programmes", "Choose at least one programme the assessor assesses")
    elif unknown:
        errors.add("programmes", f"There is no programme called {unknown[0]}: choose from the list")
    if errors:
        return redirect_with_problems(request, "/admin/assessors", errors, answers)
    try:
        await assessors.save_assessor(uow, assessor_id, name, [Programme(p) for p in chosen], new=True)
    except Conflict as refusal:
        return redirect_with_problems(
            request, "/admin/assessors", FormErrors({"id": refusal.message}), answers
        )
    return redirect(request, f"/admin/assessors?done=registered&id={quote(assessor_id)}")


@router.post("/admin/assessors/{assessor_id}/active")
async def activate_or_retire(assessor_id: str, request: Request, uow: UnitOfWorkDep) -> Response:
    """Retire an assessor (their unscored work is shared out) or make them active again."""
    signed_in(request, Role.ADMIN)
    form = await read_form(request)
    active = form_text(form, "active") == "yes"
    await assessors.set_active(uow, assessor_id, active)
    return redirect(
        request, f"/admin/assessors?done={'activated' if active else 'retired'}&id={quote(assessor_id)}"
    )
