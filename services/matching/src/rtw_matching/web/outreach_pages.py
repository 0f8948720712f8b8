"""From shortlist to hire, as the recruiter sees it: the shortlist, one match with its explained
score, reaching out, and recording the interview and the outcome (the outreach state machine).
A refused form goes back to the match's page with its problems and what was typed
(post/redirect/get, rtw_platform.web.form_state)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from rtw_contracts import ContractType
from rtw_contracts.labels import labels_for
from rtw_platform.clock import UK_TIME
from rtw_platform.errors import Conflict, Invalid
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.uow import UnitOfWork
from rtw_platform.web import FormErrors, form_state, read_form, redirect, redirect_with_problems
from rtw_platform.web.i18n import N_, gettext
from starlette.datastructures import FormData

from .. import domain, interviews, outreach
from .common import LABELS, PAGES, council_of, recruiter
from .forms import date_answer, from_validation, read_date, read_number, read_pence, text
from .views import match_for, shortlist_of

router = APIRouter(include_in_schema=False)

OUTCOME_FIELDS = {
    "hired": "hired",
    "start_date": "start_date-day",
    "hours_per_week": "hours_per_week",
    "salary_band": "salary_min",
    "contract": "contract",
}
CONTRACTS = labels_for(ContractType)
CRITERION_LABELS = {
    "skills": N_("Skills"),
    "experience": N_("Experience"),
    "communication": N_("Communication"),
    "values": N_("Values"),
}
RECOMMENDATION_LABELS = {
    "offer": N_("Make an offer"),
    "next_stage": N_("Another interview"),
    "not_hired": N_("Do not hire"),
}
#: The rows of the form proposing interview times (one to domain.MAX_SLOTS of them filled in).
SLOT_ROWS = range(1, domain.MAX_SLOTS + 1)


@router.get("/council/shortlist")
async def shortlist_page(request: Request, uow: UnitOfWorkDep) -> HTMLResponse:
    """Every returner the council has taken up, and where each stands."""
    council = await council_of(uow, recruiter(request))
    rows = await shortlist_of(uow, council)
    return PAGES.render(request, "shortlist.html", {"council": council, "rows": rows, "labels": LABELS})


def _answers(form: FormData | None) -> dict[str, Any]:
    if form is None:
        empty = {"day": "", "month": "", "year": ""}
        return {
            **{f"slot{n}_date": empty for n in SLOT_ROWS},
            "minutes": "60",
            "offer_start": empty,
            "offer_contract": ContractType.PERMANENT.value,
            "message": "",
            "interview_date": empty,
            "interview_place": "",
            "start_date": empty,
            "contract": ContractType.PERMANENT.value,
        }
    return {
        **{f"slot{n}_date": date_answer(form, f"slot{n}_date") for n in SLOT_ROWS},
        **{f"slot{n}_{part}": text(form, f"slot{n}_{part}") for n in SLOT_ROWS for part in ("time", "place")},
        "minutes": text(form, "minutes"),
        "offer_salary": text(form, "offer_salary"),
        "offer_start": date_answer(form, "offer_start"),
        "offer_hours": text(form, "offer_hours"),
        "offer_contract": text(form, "offer_contract"),
        "message": text(form, "message"),
        "interview_date": date_answer(form, "interview_date"),
        "interview_time": text(form, "interview_time"),
        "interview_place": text(form, "interview_place"),
        "hired": text(form, "hired"),
        "start_date": date_answer(form, "start_date"),
        "hours_per_week": text(form, "hours_per_week"),
        "salary_min": text(form, "salary_min"),
        "salary_max": text(form, "salary_max"),
        "contract": text(form, "contract"),
    }


def _refused(request: Request, match_id: UUID, form: FormData, errors: FormErrors) -> RedirectResponse:
    """Back to the match's page, with the problems and what was typed."""
    return redirect_with_problems(request, f"/council/matches/{match_id}", errors, _answers(form))


async def _match_page(request: Request, uow: UnitOfWork, match_id: UUID) -> HTMLResponse:
    principal = recruiter(request)
    state = form_state(request)
    match, vacancy = await match_for(uow, match_id, principal)
    steps = await interviews.of_match(uow, match.id)
    contact = None
    if match.status in domain.CONTACT_RELEASED:
        contact = await outreach.contact(uow, match.id, principal)
    return PAGES.render(
        request,
        "match.html",
        {
            "match": match,
            "vacancy": vacancy,
            "contact": contact,
            "interview_at": match.interview_at.astimezone(UK_TIME) if match.interview_at else None,
            "answers": {**_answers(None), **state.values} if state else _answers(None),
            "interviews": [_in_uk_time(i) for i in steps["interviews"]],
            "offer": steps["offer"],
            "slot_rows": SLOT_ROWS,
            "criteria": domain.FEEDBACK_CRITERIA,
            "recommendations": domain.RECOMMENDATIONS,
            "criterion_labels": {k: gettext(v) for k, v in CRITERION_LABELS.items()},
            "recommendation_labels": {k: gettext(v) for k, v in RECOMMENDATION_LABELS.items()},
            "message_max": outreach.MESSAGE_MAX,
            "contracts": CONTRACTS,
            "labels": LABELS,
        },
        errors=state.errors if state else None,
    )


def _in_uk_time(interview: dict[str, Any]) -> dict[str, Any]:
    """An interview with its times as the council reads them (UK time)."""

    def shown(at: str) -> datetime:
        return datetime.fromisoformat(at).astimezone(UK_TIME)

    return {
        **interview,
        "slots": [{**slot, "at": shown(slot["starts_at"])} for slot in interview["slots"]],
        "at": shown(interview["starts_at"]) if interview["starts_at"] else None,
    }


def _read_time(form: FormData, name: str, errors: FormErrors) -> time | None:
    """A time of day in the 24-hour clock (14:30, or 14.30)."""
    typed = text(form, name).replace(".", ":")
    if not typed:
        errors.add(name, gettext("Enter the interview time"))
        return None
    try:
        return time.fromisoformat(typed.zfill(5))
    except ValueError:
        errors.add(name, gettext("Enter the time in the 24-hour clock, like 14:30"))
        return None


@router.get("/council/matches/{match_id}")
async def match_page(request: Request, match_id: UUID, uow: UnitOfWorkDep) -> HTMLResponse:
    """A shortlisted returner for a vacancy: the explained score and the next step."""
    return await _match_page(request, uow, match_id)


@router.post("/council/matches/{match_id}/reach-out")
async def reach_out(request: Request, match_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Tell the returner the council is interested (ReachOutSent), with the council's message."""
    principal = recruiter(request)
    form = await read_form(request)
    await match_for(uow, match_id, principal)  # another council's: not found, before any check
    errors = FormErrors()
    message = text(form, "message")
    if not message:
        errors.add("message", "Enter your message to the returner")
    elif len(message) > outreach.MESSAGE_MAX:
        errors.add("message", f"Your message must be {outreach.MESSAGE_MAX} characters or fewer")
    if errors:
        return _refused(request, match_id, form, errors)
    await outreach.reach_out(uow, match_id, principal, outreach.ReachOutIn(message=message))
    return redirect(request, f"/council/matches/{match_id}")


@router.post("/council/matches/{match_id}/interview")
async def interview(request: Request, match_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Invite the returner to an interview: its date, time and place (InterviewInvited)."""
    principal = recruiter(request)
    form = await read_form(request)
    await match_for(uow, match_id, principal)  # another council's: not found, before any check
    errors = FormErrors()
    day = read_date(form, "interview_date", "the interview date", errors, required=True)
    typed = text(form, "interview_time").replace(".", ":")
    at_time: time | None = None
    if not typed:
        errors.add("interview_time", "Enter the interview time")
    else:
        try:
            at_time = time.fromisoformat(typed.zfill(5))
        except ValueError:
            errors.add("interview_time", "Enter the time in the 24-hour clock, like 14:30")
    place = text(form, "interview_place")
    if not place:
        errors.add("interview_place", "Enter where the interview is")
    elif len(place) > outreach.PLACE_MAX:
        errors.add("interview_place", f"The place must be {outreach.PLACE_MAX} characters or fewer")
    if errors or day is None or at_time is None:
        return _refused(request, match_id, form, errors)
    at = datetime.combine(day, at_time, tzinfo=UK_TIME)
    if at < datetime.now(UTC):
        errors.add("interview_date-day", "The interview must be in the future")
        return _refused(request, match_id, form, errors)
    if at > datetime.now(UTC) + domain.SLOT_HORIZON:
        errors.add("interview_date-day", "The interview must be within a year")
        return _refused(request, match_id, form, errors)
    await outreach.interview(uow, match_id, outreach.InterviewIn(at=at, place=place), principal)
    return redirect(request, f"/council/matches/{match_id}")


@router.post("/council/matches/{match_id}/outcome")
async def outcome(request: Request, match_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Record whether the returner was hired (a hire fills the vacancy: CandidateHired)."""
    principal = recruiter(request)
    form = await read_form(request)
    await match_for(uow, match_id, principal)  # another council's: not found, before any check
    errors = FormErrors()
    hired = text(form, "hired")
    body: dict[str, Any] = {}
    if hired not in {"yes", "no"}:
        errors.add("hired", "Select whether the returner was hired")
    elif hired == "no":
        body = {"hired": False}
    else:
        start = read_date(form, "start_date", "the start date", errors, required=True)
        hours = read_number(
            form, "hours_per_week", "the hours per week", errors, required=True, low=0, high=48
        )
        low = read_pence(form, "salary_min", "the lowest salary", errors)
        high = read_pence(form, "salary_max", "the highest salary", errors)
        if low is not None and high is not None and low > high:
            errors.add("salary_max", "The highest salary must be the same as or more than the lowest")
        contract = text(form, "contract")
        if contract not in CONTRACTS:
            errors.add("contract", "Select the kind of contract")
        body = {
            "hired": True,
            "start_date": start,
            "hours_per_week": hours,
            "salary_band": {"min_pence": low, "max_pence": high},
            "contract": contract,
        }
    if errors:
        return _refused(request, match_id, form, errors)
    try:
        await outreach.record_outcome(uow, match_id, outreach.OutcomeIn.model_validate(body), principal)
    except ValidationError as problem:
        return _refused(request, match_id, form, from_validation(problem, OUTCOME_FIELDS, "hired"))
    except Invalid as refusal:
        return _refused(request, match_id, form, FormErrors.from_refusal(refusal, OUTCOME_FIELDS))
    except Conflict as refusal:  # e.g. the vacancy asks for an interview first
        errors.add("hired", refusal.message)
        return _refused(request, match_id, form, errors)
    return redirect(request, f"/council/matches/{match_id}")


@router.post("/council/matches/{match_id}/interview-slots")
async def interview_slots(request: Request, match_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Propose one to five interview times (InterviewSlotsProposed); the returner books one."""
    principal = recruiter(request)
    form = await read_form(request)
    await match_for(uow, match_id, principal)  # another council's: not found, before any check
    errors = FormErrors()
    slots: list[interviews.SlotIn] = []
    now = datetime.now(UTC)
    for n in SLOT_ROWS:
        typed = [
            *date_answer(form, f"slot{n}_date").values(),
            text(form, f"slot{n}_time"),
            text(form, f"slot{n}_place"),
        ]
        if not any(typed):
            continue  # a row left empty
        day = read_date(form, f"slot{n}_date", "the date", errors, required=True)
        at_time = _read_time(form, f"slot{n}_time", errors)
        place = text(form, f"slot{n}_place")
        if not place:
            errors.add(f"slot{n}_place", gettext("Enter where the interview is"))
        elif len(place) > outreach.PLACE_MAX:
            errors.add(
                f"slot{n}_place",
                gettext("The place must be %(max)s characters or fewer") % {"max": outreach.PLACE_MAX},
            )
        if day is None or at_time is None or not place:
            continue
        at = datetime.combine(day, at_time, tzinfo=UK_TIME)
        if at <= now:
            errors.add(f"slot{n}_date-day", gettext("The time must be in the future"))
            continue
        if at > now + domain.SLOT_HORIZON:
            errors.add(f"slot{n}_date-day", gettext("The time must be within a year"))
            continue
        slots.append(interviews.SlotIn(starts_at=at, place=place))
    if not errors and not slots:
        errors.add("slot1_date-day", gettext("Enter at least one time"))
    if len({slot.starts_at for slot in slots}) != len(slots):
        errors.add("slot1_date-day", gettext("Give each time once"))
    minutes = read_number(
        form, "minutes", "how long the interview lasts", errors, required=True, low=15, high=480
    )
    if errors:
        return _refused(request, match_id, form, errors)
    try:
        await interviews.propose_slots(
            uow, match_id, interviews.SlotsIn(slots=slots, minutes=int(minutes or 60)), principal
        )
    except Invalid as refusal:
        return _refused(
            request, match_id, form, FormErrors.from_refusal(refusal, {"slots": "slot1_date-day"})
        )
    except Conflict as refusal:
        errors.add("slot1_date-day", refusal.message)
        return _refused(request, match_id, form, errors)
    return redirect(request, f"/council/matches/{match_id}")


@router.post("/council/interviews/{interview_id}/feedback")
async def interview_feedback(request: Request, interview_id: UUID, uow: UnitOfWorkDep) -> Response:
    """The panel's structured feedback on one interview stage (kept with the match). Each stage's
    form on the match page has its own ids (`rating_skills-2`), so problems show beside the right one."""
    principal = recruiter(request)
    form = await read_form(request)
    match_id, stage = await interviews.match_of_interview(uow, interview_id)
    await match_for(uow, match_id, principal)  # another council's: not found, before any check
    errors = FormErrors()
    ratings: dict[str, int] = {}
    for criterion in domain.FEEDBACK_CRITERIA:
        typed = text(form, f"rating_{criterion}")
        if typed not in {"1", "2", "3", "4"}:
            errors.add(f"rating_{criterion}-{stage}", gettext("Rate it from 1 to 4"))
        else:
            ratings[criterion] = int(typed)
    recommendation = text(form, "recommendation")
    if recommendation not in domain.RECOMMENDATIONS:
        errors.add(f"recommendation-{stage}", gettext("Choose what the panel recommends"))
    notes = text(form, "notes")
    if len(notes) > 2000:
        errors.add(f"notes-{stage}", gettext("The notes must be 2000 characters or fewer"))
    if errors:
        return _refused(request, match_id, form, errors)
    body = interviews.FeedbackIn(ratings=ratings, recommendation=recommendation, notes=notes)
    try:
        await interviews.record_feedback(uow, interview_id, body, principal)
    except Conflict as refusal:
        errors.add(f"recommendation-{stage}", refusal.message)
        return _refused(request, match_id, form, errors)
    return redirect(request, f"/council/matches/{match_id}")


@router.post("/council/matches/{match_id}/offer")
async def offer(request: Request, match_id: UUID, uow: UnitOfWorkDep) -> Response:
    """Offer the returner the job: salary and start date (OfferMade); they accept or decline."""
    principal = recruiter(request)
    form = await read_form(request)
    await match_for(uow, match_id, principal)  # another council's: not found, before any check
    errors = FormErrors()
    salary = read_pence(
        form, "offer_salary", "the annual salary", errors, most=interviews.OFFER_SALARY_MAX_PENCE // 100
    )
    start = read_date(form, "offer_start", "the start date", errors, required=True)
    hours = read_number(form, "offer_hours", "the hours per week", errors, required=True, low=0, high=48)
    contract = text(form, "offer_contract")
    if contract not in CONTRACTS:
        errors.add("offer_contract", gettext("Select the kind of contract"))
    if salary == 0:
        errors.add("offer_salary", gettext("Enter the annual salary"))
    if start is not None and start <= datetime.now(UTC).date():
        errors.add("offer_start-day", gettext("The start date must be in the future"))
    if errors or salary is None or start is None or hours is None:
        return _refused(request, match_id, form, errors)
    body = interviews.OfferIn(
        salary_pence=salary, start_date=start, hours_per_week=hours, contract=ContractType(contract)
    )
    try:
        await interviews.make_offer(uow, match_id, body, principal)
    except Conflict as refusal:
        errors.add("offer_salary", refusal.message)
        return _refused(request, match_id, form, errors)
    return redirect(request, f"/council/matches/{match_id}")
