"""Interviews and offers: the council proposes times (InterviewSlotsProposed), the candidate
books one on their page (InterviewInvited, with a calendar invitation for both), the council
records structured feedback per stage, makes an offer (OfferMade), and the candidate accepts
(OfferAnswered, and the hire: CandidateHired) or declines it (OfferAnswered).

The times, places, feedback and offer stay here, with the match; the events say only what
notifications needs to write to people."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints
from rtw_contracts import (
    CandidateHired,
    ContractType,
    InterviewInvited,
    InterviewSlotsProposed,
    MatchResponse,
    OfferAnswered,
    OfferMade,
    SalaryBand,
)
from rtw_platform.auth import Principal, Role
from rtw_platform.errors import Conflict, Forbidden, Invalid, NotFound
from rtw_platform.uow import UnitOfWork

from . import domain, store
from .interview_views import interview_view, offer_view
from .models import CandidateMatch, Interview, Offer, Vacancy
from .outreach import PLACE_MAX, Written, _councils_match, _match, _move, about

NO_INTERVIEW = "No interview with that id."
NO_OFFER = "No offer with that id."
#: The highest annual salary an offer may name, in pence (£500,000).
OFFER_SALARY_MAX_PENCE = 50_000_000


class SlotIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    starts_at: datetime = Field(description="When the interview would start (with a time zone).")
    place: Annotated[Written, StringConstraints(max_length=PLACE_MAX)] = Field(
        description="Where: the premises and room, or how to join a video call (plain text)."
    )


class SlotsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slots: list[SlotIn] = Field(min_length=1, max_length=domain.MAX_SLOTS)
    minutes: int = Field(
        default=60, ge=domain.INTERVIEW_MINUTES[0], le=domain.INTERVIEW_MINUTES[1], description="How long."
    )


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Strict: JSON's true is not a rating of 1, nor "3" a rating of 3.
    ratings: dict[str, StrictInt] = Field(description="Each of domain.FEEDBACK_CRITERIA rated 1 to 4.")
    recommendation: str = Field(description="offer, next_stage or not_hired.")
    notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


class OfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    salary_pence: int = Field(gt=0, le=OFFER_SALARY_MAX_PENCE, description="Annual salary offered, in pence.")
    start_date: date
    hours_per_week: float = Field(gt=0, le=48)
    contract: ContractType = ContractType.PERMANENT


async def _locked(uow: UnitOfWork, match: CandidateMatch) -> CandidateMatch:
    """The match again, its row locked until the commit: two proposals or offers sent at the
    same moment (a double click, two recruiters) take turns, so the second sees the first."""
    locked = await uow.session.get(CandidateMatch, match.id, with_for_update=True, populate_existing=True)
    assert locked is not None
    return locked


def _require_candidate(principal: Principal) -> UUID:
    if principal.role is not Role.CANDIDATE:
        raise Forbidden("Only the candidate can answer this.")
    return UUID(principal.subject)


async def propose_slots(uow: UnitOfWork, match_id: UUID, body: SlotsIn, principal: Principal) -> Interview:
    """The council proposes one to five times (InterviewSlotsProposed). A proposal not booked yet
    is replaced by the new one."""
    match = await _locked(uow, await _councils_match(uow, match_id, principal))
    if match.status not in domain.INTERVIEWABLE:
        status = match.status.replace("_", " ")
        raise Conflict(f"An interview needs the candidate to have accepted; this match is {status}.")
    now = datetime.now(UTC)
    starts = [slot.starts_at.astimezone(UTC) for slot in body.slots]
    refusal = domain.slots_refusal(starts, now)
    if refusal is not None:
        raise Invalid([("slots", refusal)])
    earlier = await store.interviews_of_match(uow, match.id)
    for old in earlier:
        if old.status == "proposed":
            old.status = "superseded"
            uow.session.add(old)
    interview = Interview(
        match_id=match.id,
        council_id=match.council_id,
        candidate_id=match.candidate_id,
        stage=domain.next_stage([i.stage for i in earlier if i.status == "booked"]),
        minutes=body.minutes,
        slots=[
            {"starts_at": start.isoformat(), "place": slot.place}
            for start, slot in zip(starts, body.slots, strict=True)
        ],
        status="proposed",
        proposed_at=now,
    )
    if match.status != "interviewing":
        _move(match, "interviewing")
    uow.session.add(match)
    uow.session.add(interview)
    uow.publish(
        InterviewSlotsProposed(
            **about(match),
            interview_id=interview.id,
            stage=interview.stage,
            slots=len(starts),
            proposed_at=now,
        )
    )
    await uow.commit()
    return interview


async def _candidates_interview(
    uow: UnitOfWork, interview_id: UUID, principal: Principal
) -> tuple[Interview, CandidateMatch]:
    candidate_id = _require_candidate(principal)
    interview = await uow.session.get(Interview, interview_id, with_for_update=True)
    if interview is None or interview.candidate_id != candidate_id:
        raise NotFound(NO_INTERVIEW)  # another candidate's: as if there were none
    match = await _match(uow, interview.match_id)
    return interview, match


async def book(uow: UnitOfWork, interview_id: UUID, slot: int, principal: Principal) -> Interview:
    """The candidate books one of the proposed times (InterviewInvited: both are sent a calendar
    invitation)."""
    interview, match = await _candidates_interview(uow, interview_id, principal)
    now = datetime.now(UTC)
    chosen = interview.slots[slot] if 0 <= slot < len(interview.slots) else None
    starts = datetime.fromisoformat(chosen["starts_at"]) if chosen else None
    refusal = domain.booking_refusal(interview.status, slot, len(interview.slots), starts, now)
    if refusal is None and match.status not in domain.INTERVIEWABLE:
        refusal = "This interview is no longer open: the match has concluded."
    if refusal is not None:
        raise Conflict(refusal)
    assert chosen is not None
    assert starts is not None
    interview.status = "booked"
    interview.starts_at = starts
    interview.place = chosen["place"]
    interview.booked_at = now
    match.interview_id = interview.id
    match.interview_at = starts
    match.interview_place = interview.place
    match.updated_at = now
    uow.session.add(interview)
    uow.session.add(match)
    uow.publish(
        InterviewInvited(
            **about(match),
            interview_id=interview.id,
            starts_at=starts,
            ends_at=starts + timedelta(minutes=interview.minutes),
            stage=interview.stage,
            place=chosen["place"],
            invited_at=now,
        )
    )
    await uow.commit()
    return interview


async def match_of_interview(uow: UnitOfWork, interview_id: UUID) -> tuple[UUID, int]:
    """The match an interview is of, and its stage (404 when there is no such interview)."""
    interview = await uow.session.get(Interview, interview_id)
    if interview is None:
        raise NotFound(NO_INTERVIEW)
    return interview.match_id, interview.stage


async def record_feedback(
    uow: UnitOfWork, interview_id: UUID, body: FeedbackIn, principal: Principal
) -> Interview:
    """The council's structured feedback on a booked interview (kept here; no event: nobody else
    needs it). Recording again replaces it."""
    interview = await uow.session.get(Interview, interview_id)
    if interview is None:
        raise NotFound(NO_INTERVIEW)
    await _councils_match(uow, interview.match_id, principal)  # another council's: not found
    if interview.status != "booked":
        raise Conflict("Record feedback on an interview the candidate has booked.")
    problems = domain.feedback_problems(body.ratings, body.recommendation)
    if problems:
        raise Invalid(problems)
    now = datetime.now(UTC)
    interview.feedback = {
        "ratings": {c: body.ratings[c] for c in domain.FEEDBACK_CRITERIA},
        "recommendation": body.recommendation,
        "notes": body.notes,
        "by": principal.subject,
    }
    interview.feedback_at = now
    uow.session.add(interview)
    await uow.commit()
    return interview


async def make_offer(uow: UnitOfWork, match_id: UUID, body: OfferIn, principal: Principal) -> Offer:
    """The council offers the job: salary and start date (OfferMade); the candidate answers."""
    match = await _locked(uow, await _councils_match(uow, match_id, principal))
    vacancy = await uow.session.get(Vacancy, match.vacancy_id)
    refusal = domain.offer_refusal(
        match.status,
        open_offer=await store.open_offer(uow, match.id) is not None,
        interview_required=vacancy is not None and vacancy.interview_required,
        interviewed=match.interview_at is not None,
    )
    if refusal is not None:
        raise Conflict(refusal)
    if body.start_date <= datetime.now(UTC).date():
        raise Invalid([("start_date", "The start date must be in the future")])
    now = datetime.now(UTC)
    offer = Offer(
        match_id=match.id,
        council_id=match.council_id,
        candidate_id=match.candidate_id,
        salary_pence=body.salary_pence,
        start_date=body.start_date,
        hours_per_week=body.hours_per_week,
        contract=body.contract.value,
        status="made",
        made_at=now,
    )
    uow.session.add(offer)
    uow.publish(
        OfferMade(
            **about(match),
            offer_id=offer.id,
            made_at=now,
        )
    )
    await uow.commit()
    return offer


async def answer_offer(
    uow: UnitOfWork, offer_id: UUID, response: MatchResponse, principal: Principal
) -> Offer:
    """The candidate accepts (OfferAnswered, then CandidateHired: the vacancy is filled) or
    declines (OfferAnswered; the match ends not hired)."""
    candidate_id = _require_candidate(principal)
    offer = await uow.session.get(Offer, offer_id, with_for_update=True)
    if offer is None or offer.candidate_id != candidate_id:
        raise NotFound(NO_OFFER)  # another candidate's: as if there were none
    match = await _match(uow, offer.match_id)
    if offer.status != "made":
        raise Conflict("You have already answered this offer, or the council withdrew it.")
    accepted = response is MatchResponse.ACCEPTED
    _move(match, "hired" if accepted else "not_hired")
    now = datetime.now(UTC)
    offer.status = "accepted" if accepted else "declined"
    offer.answered_at = now
    uow.session.add(offer)
    uow.session.add(match)
    answered = OfferAnswered(
        **about(match),
        offer_id=offer.id,
        response=response,
        answered_at=now,
    )
    uow.publish(answered)
    if accepted:
        vacancy = await uow.session.get(Vacancy, match.vacancy_id)
        if vacancy is not None and vacancy.status == "open":
            vacancy.status = "filled"
            uow.session.add(vacancy)
        uow.publish(
            CandidateHired(
                **about(match),
                causation_id=answered.event_id,
                start_date=offer.start_date,
                hours_per_week=offer.hours_per_week,
                salary_band=SalaryBand(min_pence=offer.salary_pence, max_pence=offer.salary_pence),
                contract=ContractType(offer.contract),
                hired_at=now,
            )
        )
    await uow.commit()
    return offer


async def of_match(uow: UnitOfWork, match_id: UUID) -> dict[str, Any]:
    """A match's interviews (not the replaced proposals) and its latest offer."""
    held = await store.interviews_of_match(uow, match_id)
    interviews = [interview_view(i) for i in held if i.status != "superseded"]
    offers = await store.offers_of_match(uow, match_id)
    return {"interviews": interviews, "offer": offer_view(offers[-1]) if offers else None}
