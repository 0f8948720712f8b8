"""The candidate's page: councils that reached out, and accepting or declining each. An answer that
cannot be taken goes back to the page with the reason (post/redirect/get, rtw_platform.web.form_state),
so Back and reload never send it again."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from rtw_contracts import MatchResponse
from rtw_platform.auth import Role
from rtw_platform.clock import UK_TIME
from rtw_platform.errors import Conflict
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.web import FormErrors, form_state, read_form, redirect, redirect_with_problems, signed_in
from rtw_platform.web.i18n import N_, gettext, long_date

from .. import outreach
from .common import PAGES, page_labels, pounds
from .forms import text

router = APIRouter(include_in_schema=False)

PAGE = "/my/interest"
CHOOSE = N_("Choose to accept or decline")
ANSWERED_ALREADY = N_(
    "You have already answered this council's interest, or it has closed: see it under Answered."
)


def answer_field(match_id: object) -> str:
    """The form field a problem with the answer to one council's interest is shown beside."""
    return f"response-{match_id}"


def shown(match: dict[str, Any]) -> dict[str, Any]:
    """A council's interest as the candidate's page words it: the salary in pounds, the days in
    words and the interview in UK time."""
    band = match["salary_band"]
    interview = match["interview"]
    if interview is not None:
        at = datetime.fromisoformat(interview["at"]).astimezone(UK_TIME)
        interview = {**interview, "day": long_date(at.date()), "time": f"{at:%H:%M}"}
    return {
        **match,
        "salary": gettext("%(low)s to %(high)s")
        % {"low": pounds(band["min_pence"]), "high": pounds(band["max_pence"])},
        "closing_day": long_date(datetime.fromisoformat(match["closing_date"]).date()),
        "interview": interview,
    }


@router.get("/my/interest")
async def interest(request: Request, uow: UnitOfWorkDep, answered: str | None = None) -> HTMLResponse:
    """Councils interested in me (as GET /candidates/{id}/matches)."""
    candidate = signed_in(request, Role.CANDIDATE)
    matches = [shown(m) for m in await outreach.matches_for_candidate(uow, UUID(candidate.subject))]
    waiting = [m for m in matches if m["status"] == "reached_out"]
    answered_before = [m for m in matches if m["status"] != "reached_out"]
    state = form_state(request)
    return PAGES.render(
        request,
        "interest.html",
        {
            "waiting": waiting,
            "answered_before": answered_before,
            "answered": answered if answered in {"accepted", "declined"} else None,
            "labels": page_labels(),
            "answer_field": answer_field,
        },
        errors=state.errors if state else None,
    )


@router.post("/my/interest/{match_id}")
async def respond(request: Request, match_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Accept (your contact details go to the council) or decline (as POST /matches/{id}/response)."""
    candidate = signed_in(request, Role.CANDIDATE)
    form = await read_form(request)
    errors = FormErrors()
    try:
        answer = MatchResponse(text(form, "response"))
    except ValueError:
        errors.add(answer_field(match_id), CHOOSE)
        return redirect_with_problems(request, PAGE, errors, {})
    try:
        await outreach.respond(uow, match_id, outreach.ResponseIn(response=answer), candidate)
    except Conflict:
        await uow.session.rollback()
        errors.add("form", ANSWERED_ALREADY)
        return redirect_with_problems(request, PAGE, errors, {})
    return redirect(request, f"{PAGE}?answered={answer.value}")
