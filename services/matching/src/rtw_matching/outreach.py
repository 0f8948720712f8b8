"""From match to hire: shortlist, reach out, the candidate's answer, interview, outcome.

Contact details reach the council only after the candidate accepts its reach-out."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from rtw_contracts import (
    CandidateHired,
    ContractType,
    InterviewInvited,
    MatchResponded,
    MatchResponse,
    ReachOutSent,
    SalaryBand,
)
from rtw_platform.auth import Principal, Role
from rtw_platform.errors import Conflict, Forbidden, Invalid, NotFound
from rtw_platform.uow import UnitOfWork

from . import domain, store
from .councils import NO_MATCH, NO_VACANCY, council_for
from .interview_views import of_candidate
from .models import CandidateContact, CandidateMatch, CandidateProfile, Vacancy
from .profiles import candidate_of, vacancy_of
from .store import weights_in_force


class ResponseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    response: MatchResponse


#: Words a person writes: surrounding spaces dropped, never empty.
Written = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
MESSAGE_MAX = 1000
PLACE_MAX = 300
NO_CANDIDATE = "There is no candidate with that id."


class ReachOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: Annotated[Written, StringConstraints(max_length=MESSAGE_MAX)] | None = Field(
        default=None,
        description="The council's message to the candidate, shown beside the vacancy (plain text; "
        "the pages ask for one).",
    )


class InterviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    at: datetime
    place: Annotated[Written, StringConstraints(max_length=PLACE_MAX)] = Field(
        description="Where: the premises and room, or how to join a video call (plain text)."
    )


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hired: bool
    start_date: date | None = None
    hours_per_week: float | None = Field(default=None, gt=0, le=48)
    salary_band: SalaryBand | None = None
    contract: ContractType = ContractType.PERMANENT


def _move(match: CandidateMatch, to: str) -> None:
    """Take the step to `to` (the rule: `domain.next_status`), or refuse it (409) saying why."""
    try:
        match.status = domain.next_status(match.status, to)
    except domain.StepRefused as refused:
        raise Conflict(str(refused)) from None
    match.updated_at = datetime.now(UTC)


def about(match: CandidateMatch) -> dict[str, Any]:
    """What every event about a match says of it: the match, its vacancy, council, candidate and
    application (the application's id is the correlation id)."""
    return {
        "correlation_id": match.application_id,
        "match_id": match.id,
        "vacancy_id": match.vacancy_id,
        "council_id": match.council_id,
        "candidate_id": match.candidate_id,
        "application_id": match.application_id,
    }


async def _match(uow: UnitOfWork, match_id: UUID) -> CandidateMatch:
    match = await uow.session.get(CandidateMatch, match_id)
    if match is None or match.status == "withdrawn":
        raise NotFound(NO_MATCH)
    return match


async def _councils_match(uow: UnitOfWork, match_id: UUID, principal: Principal) -> CandidateMatch:
    """A match of a council the principal acts for (as unknown otherwise), once it is approved."""
    match = await _match(uow, match_id)
    await council_for(uow, principal, match.council_id, missing=NO_MATCH)
    return match


councils_match = _councils_match


async def shortlist(
    uow: UnitOfWork, vacancy_id: UUID, candidate_ref: UUID, principal: Principal
) -> CandidateMatch:
    """Shortlist a candidate for a vacancy (proposed by the platform, or found in a search)."""
    vacancy = await uow.session.get(Vacancy, vacancy_id)
    if vacancy is None:
        raise NotFound(NO_VACANCY)
    council = await council_for(uow, principal, vacancy.council_id, missing=NO_VACANCY)
    profile = await uow.session.get(CandidateProfile, candidate_ref)
    if (
        profile is None
        or not profile.in_pool
        or not domain.visible_to(candidate_of(profile), council.gss_code, council.region)
    ):
        raise NotFound("No candidate with that reference is visible to your council.")
    match = await store.match_of(uow, vacancy, profile.application_id)
    if match is None:
        in_force = await weights_in_force(uow)
        scored = domain.score(candidate_of(profile), vacancy_of(vacancy), in_force.weights)
        match = CandidateMatch(
            vacancy_id=vacancy.id,
            council_id=vacancy.council_id,
            application_id=profile.application_id,
            candidate_id=profile.candidate_id,
            score=scored.score,
            factors=[f.model_dump(mode="json") for f in scored.factors],
            weights_version=in_force.version,
            status="proposed",
            updated_at=datetime.now(UTC),
        )
    _move(match, "shortlisted")
    uow.session.add(match)
    await uow.commit()
    return match


async def reach_out(
    uow: UnitOfWork, match_id: UUID, principal: Principal, reach: ReachOutIn | None = None
) -> CandidateMatch:
    """The council reaches out to a shortlisted candidate (ReachOutSent), with its message. The
    message stays here, with the match (the event only says that the council reached out)."""
    match = await _councils_match(uow, match_id, principal)
    _move(match, "reached_out")
    match.reach_out_message = reach.message if reach else None
    uow.session.add(match)
    uow.publish(
        ReachOutSent(
            **about(match),
            sent_at=datetime.now(UTC),
        )
    )
    await uow.commit()
    return match


async def respond(
    uow: UnitOfWork, match_id: UUID, answer: ResponseIn, principal: Principal
) -> CandidateMatch:
    """The candidate accepts or declines a council's reach-out (MatchResponded)."""
    if principal.role is not Role.CANDIDATE:
        raise Forbidden("Only the candidate can answer a council's interest.")
    match = await _match(uow, match_id)
    if not principal.is_candidate(match.candidate_id):
        raise NotFound(NO_MATCH)  # another candidate's match: as if there were none
    _move(match, "accepted" if answer.response is MatchResponse.ACCEPTED else "declined")
    uow.session.add(match)
    uow.publish(
        MatchResponded(
            **about(match),
            response=answer.response,
            responded_at=datetime.now(UTC),
        )
    )
    await uow.commit()
    return match


async def contact(uow: UnitOfWork, match_id: UUID, principal: Principal) -> dict[str, str | None]:
    """The candidate's contact details, once they accepted this council's reach-out: name, e-mail,
    and the telephone number if they gave one for a council to call (None otherwise)."""
    match = await _councils_match(uow, match_id, principal)
    if match.status not in domain.CONTACT_RELEASED:
        raise Forbidden("Contact details are shared only after the candidate accepts your reach-out.")
    details = await uow.session.get(CandidateContact, match.candidate_id)
    if details is None:
        raise NotFound("The candidate's contact details are no longer held.")
    return {
        "given_name": details.given_name,
        "family_name": details.family_name,
        "email": details.email,
        "phone": details.phone,
    }


async def interview(
    uow: UnitOfWork, match_id: UUID, when: InterviewIn, principal: Principal
) -> CandidateMatch:
    """Invite the candidate to an interview (InterviewInvited): its day, time and place reach the
    candidate by e-mail and on their page. Inviting again, while interviewing, replaces it."""
    match = await _councils_match(uow, match_id, principal)
    if when.at > datetime.now(UTC) + domain.SLOT_HORIZON:
        raise Invalid([("at", "The interview must be within a year.")])
    if match.status != "interviewing":
        _move(match, "interviewing")
    match.interview_id = uuid4()
    match.interview_at = when.at
    match.interview_place = when.place
    match.updated_at = datetime.now(UTC)
    uow.session.add(match)
    uow.publish(
        InterviewInvited(
            **about(match),
            interview_id=match.interview_id,
            starts_at=when.at,
            place=when.place,
            invited_at=match.updated_at,
        )
    )
    await uow.commit()
    return match


async def record_outcome(
    uow: UnitOfWork, match_id: UUID, outcome: OutcomeIn, principal: Principal
) -> CandidateMatch:
    """Hired (CandidateHired, and the vacancy is filled) or not hired. An offer still waiting for
    the candidate's answer is withdrawn: the council decided without it."""
    match = await _councils_match(uow, match_id, principal)
    await store.withdraw_open_offers(uow, match.id, datetime.now(UTC))
    if not outcome.hired:
        _move(match, "not_hired")
        uow.session.add(match)
        await uow.commit()
        return match
    missing = [f for f in ("start_date", "hours_per_week", "salary_band") if getattr(outcome, f) is None]
    if missing:
        from rtw_platform.errors import Invalid

        raise Invalid([(f, "is needed to record a hire") for f in missing])
    vacancy = await uow.session.get(Vacancy, match.vacancy_id)
    refusal = domain.hire_refusal(
        interview_required=vacancy is not None and vacancy.interview_required,
        interviewed=match.interview_at is not None,
    )
    if refusal is not None:
        raise Conflict(refusal)
    _move(match, "hired")
    uow.session.add(match)
    if vacancy is not None and vacancy.status == "open":
        vacancy.status = "filled"
        uow.session.add(vacancy)
    assert outcome.start_date is not None
    assert outcome.hours_per_week is not None
    assert outcome.salary_band is not None
    uow.publish(
        CandidateHired(
            **about(match),
            start_date=outcome.start_date,
            hours_per_week=outcome.hours_per_week,
            salary_band=outcome.salary_band,
            contract=outcome.contract,
            hired_at=datetime.now(UTC),
        )
    )
    await uow.commit()
    return match


async def candidates_matches(uow: UnitOfWork, candidate_id: UUID) -> list[dict[str, Any]]:
    """The candidate's part of a subject-access request held here (`matches_for_candidate`): an
    erased candidate answers as an unknown id (404)."""
    if await store.erased(uow, candidate_id):
        raise NotFound(NO_CANDIDATE)
    return await matches_for_candidate(uow, candidate_id)


async def matches_for_candidate(uow: UnitOfWork, candidate_id: UUID) -> list[dict[str, Any]]:
    """A candidate's councils' interest: reach-outs and what followed (never mere proposals), with
    every interview stage (times proposed, the one booked, the place, the council's feedback) and
    every offer (salary, start date, hours, contract, status, when made and answered)."""
    rows = await store.interest_of_candidate(uow, candidate_id)
    steps = await of_candidate(uow, candidate_id)
    return [
        {
            "match_id": str(m.id),
            "council": c.name,
            "vacancy": v.title,
            "description": v.description,
            "salary_band": {"min_pence": v.salary_min_pence, "max_pence": v.salary_max_pence},
            "hours_per_week": v.hours_per_week,
            "work_mode": v.work_mode,
            "flexible_working": list(v.flexible_working),
            "places_of_work": [b["district"] for b in v.bases if b.get("district")],
            "closing_date": v.closing_date.isoformat(),
            "message": m.reach_out_message,
            "interview": (
                {"at": m.interview_at.isoformat(), "place": m.interview_place}
                if m.interview_at is not None
                else None
            ),
            "interview_proposal": steps.get(m.id, {}).get("proposal"),
            "offer": steps.get(m.id, {}).get("offer"),
            "interviews": steps.get(m.id, {}).get("interviews", []),
            "offers": steps.get(m.id, {}).get("offers", []),
            "status": m.status,
            "score": m.score,
            "factors": m.factors,
        }
        for m, v, c in rows
    ]
