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

from .. import interviews, outreach
from .common import PAGES, page_labels, pounds
from .forms import text

router = APIRouter(include_in_schema=False)

PAGE = "/my/interest"
CHOOSE = N_("Choose to accept or decline")
ANSWERED_ALREADY = N_(
    "You have already answered this council's interest, or it has closed: see it under Answered."
)


#: What the page says after a step (?answered=…).
ANSWERS = {"accepted", "declined", "booked", "offer-accepted", "offer-declined"}
CHOOSE_TIME = N_("Choose one of the times")
CHOOSE_OFFER = N_("Choose to accept or decline the offer")
BOOKING_CLOSED = N_(
    "That time cannot be booked: the council changed its times, or the time has passed. "
    "Choose from the times shown."
)
OFFER_CLOSED = N_("You have already answered this offer, or the council withdrew it.")


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
    proposal = match["interview_proposal"]
    if proposal is not None:
        proposal = {**proposal, "slots": [_slot_shown(slot) for slot in proposal["slots"]]}
    offer = match["offer"]
    if offer is not None:
        offer = {
            **offer,
            "salary": pounds(offer["salary_pence"]),
            "start_day": long_date(datetime.fromisoformat(offer["start_date"]).date()),
        }
    return {
        **match,
        "interview_proposal": proposal,
        "offer": offer,
        "salary": gettext("%(low)s to %(high)s")
        % {"low": pounds(band["min_pence"]), "high": pounds(band["max_pence"])},
        "closing_day": long_date(datetime.fromisoformat(match["closing_date"]).date()),
        "interview": interview,
    }


def _slot_shown(slot: dict[str, Any]) -> dict[str, Any]:
    at = datetime.fromisoformat(slot["starts_at"]).astimezone(UK_TIME)
    return {**slot, "day": long_date(at.date()), "time": f"{at:%H:%M}"}


def _needs_you(match: dict[str, Any]) -> bool:
    """Waiting for the candidate: times to choose from, or an offer to answer."""
    offer = match["offer"]
    return match["interview_proposal"] is not None or (offer is not None and offer["status"] == "made")


@router.get("/my/interest")
async def interest(request: Request, uow: UnitOfWorkDep, answered: str | None = None) -> HTMLResponse:
    """Councils interested in me (as GET /candidates/{id}/matches)."""
    candidate = signed_in(request, Role.CANDIDATE)
    matches = [shown(m) for m in await outreach.matches_for_candidate(uow, UUID(candidate.subject))]
    waiting = [m for m in matches if m["status"] == "reached_out"]
    answered_before = [m for m in matches if m["status"] != "reached_out" and not _needs_you(m)]
    to_do = [m for m in matches if m["status"] != "reached_out" and _needs_you(m)]
    state = form_state(request)
    return PAGES.render(
        request,
        "interest.html",
        {
            "waiting": waiting,
            "answered_before": answered_before,
            "to_do": to_do,
            "answered": answered if answered in ANSWERS else None,
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


@router.post("/my/interest/interviews/{interview_id}")
async def book(request: Request, interview_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Book one of the interview times a council proposed (both get a calendar invitation)."""
    candidate = signed_in(request, Role.CANDIDATE)
    form = await read_form(request)
    errors = FormErrors()
    field = f"slot-{interview_id}"
    typed = text(form, "slot")
    # ASCII digits only, and few: "²" is a digit to str.isdigit but not to int(), and a
    # 5,000-digit number is past what int() reads.
    if not (typed.isascii() and typed.isdigit() and len(typed) <= 3):
        errors.add(field, CHOOSE_TIME)
        return redirect_with_problems(request, PAGE, errors, {})
    try:
        await interviews.book(uow, interview_id, int(typed), candidate)
    except Conflict:
        await uow.session.rollback()
        errors.add(field, BOOKING_CLOSED)
        return redirect_with_problems(request, PAGE, errors, {})
    return redirect(request, f"{PAGE}?answered=booked")


@router.post("/my/interest/offers/{offer_id}")
async def answer_offer(request: Request, offer_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Accept (you are hired) or decline a council's offer."""
    candidate = signed_in(request, Role.CANDIDATE)
    form = await read_form(request)
    errors = FormErrors()
    field = f"offer-{offer_id}"
    try:
        answer = MatchResponse(text(form, "response"))
    except ValueError:
        errors.add(field, CHOOSE_OFFER)
        return redirect_with_problems(request, PAGE, errors, {})
    try:
        await interviews.answer_offer(uow, offer_id, answer, candidate)
    except Conflict:
        await uow.session.rollback()
        errors.add(field, OFFER_CLOSED)
        return redirect_with_problems(request, PAGE, errors, {})
    return redirect(request, f"{PAGE}?answered=offer-{answer.value}")
