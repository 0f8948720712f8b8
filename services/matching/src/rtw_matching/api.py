"""HTTP API of the matching service: councils sign up and post vacancies, recruiters search the
pool and reach out, candidates answer, admins set the scoring weights."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, Query, Request, status
from pydantic import BaseModel, ConfigDict, Field
from rtw_platform.auth import AdminOnly, CurrentPrincipal, Role
from rtw_platform.errors import Forbidden, NotFound
from rtw_platform.http import UnitOfWorkDep
from rtw_platform.rate_limits import limit_link_request

from . import councils, interview_views, interviews, outreach, search, store
from .councils import vacancy_for
from .domain import ClaimStatus, Weights
from .models import RateLimitWindow
from .request_settings import link_options, settings_of
from .store import VacancyCounts, matches_of, vacancy_counts, weights_in_force

router = APIRouter()


class SavedSearchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    filters: search.SearchFilters


# --------------------------------------------------------------------------- councils


@router.post("/councils", status_code=status.HTTP_201_CREATED, tags=["councils"])
async def sign_up(body: councils.CouncilSignUp, request: Request, uow: UnitOfWorkDep) -> dict[str, Any]:
    """Claim a council for its contact. The claim waits for a programme admin; once approved, the
    contact is e-mailed a link to sign in as the council's first recruiter (409 if the council is
    already on the programme)."""
    await limit_link_request(request, uow, RateLimitWindow, str(body.contact_email))
    council, claim = await councils.sign_up(uow, body)
    return {
        "claim_id": str(claim.id),
        "council_id": str(council.id),
        "name": council.name,
        "region": council.region,
        "status": claim.status,
    }


@router.post("/recruiters/sign-in/token", tags=["councils"])
async def recruiter_sign_in(
    token: Annotated[str, Body(embed=True)], request: Request, uow: UnitOfWorkDep
) -> dict[str, str]:
    """Trade an invitation link's token for an access token."""
    access = await councils.recruiter_sign_in(
        uow, token, secret=settings_of(request).token_secret.get_secret_value()
    )
    return {"access_token": access, "token_type": "bearer"}


@router.post("/councils/{council_id}/recruiters", status_code=status.HTTP_201_CREATED, tags=["councils"])
async def invite(
    council_id: UUID,
    body: councils.RecruiterIn,
    request: Request,
    uow: UnitOfWorkDep,
    principal: CurrentPrincipal,
) -> dict[str, str]:
    """Invite a colleague (they get an e-mailed sign-in link)."""
    await limit_link_request(request, uow, RateLimitWindow, str(body.email))
    recruiter = await councils.invite_recruiter(uow, council_id, body, principal, **link_options(request))
    return {"recruiter_id": str(recruiter.id)}


@router.get("/councils/{council_id}", tags=["councils"])
async def get_council(council_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """The council, whether its claim is approved yet, its hires, and its vacancies with how many
    returners were proposed for each and hired (counts that erasure leaves as they were)."""
    council = await councils.council_for(uow, principal, council_id, approved=False)
    vacancies = await store.council_vacancies(uow, council.id)
    counts = await vacancy_counts(uow, council.id)
    none = VacancyCounts()
    return {
        "council_id": str(council.id),
        "name": council.name,
        "gss_code": council.gss_code,
        "region": council.region,
        "status": council.status,
        "specialisms_needed": council.specialisms_needed,
        "flexible_working_offered": council.flexible_working_offered,
        "hires": sum(c.hired for c in counts.values()),
        "vacancies": [
            {
                "vacancy_id": str(v.id),
                "title": v.title,
                "status": v.status,
                "proposed": counts.get(v.id, none).proposed,
                "hired": counts.get(v.id, none).hired,
            }
            for v in vacancies
        ],
    }


@router.post("/councils/{council_id}/vacancies", status_code=status.HTTP_201_CREATED, tags=["councils"])
async def post_vacancy(
    council_id: UUID, body: councils.VacancyIn, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Post a vacancy; the pool is matched against it at once."""
    vacancy, matched = await councils.post_vacancy(uow, council_id, body, principal)
    return {
        "vacancy_id": str(vacancy.id),
        "candidates_scored": matched.scored,
        "proposed": matched.proposed,
        "matching_seconds": round(matched.seconds, 3),
    }


@router.post("/vacancies/{vacancy_id}/close", tags=["councils"])
async def close_vacancy(vacancy_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> dict[str, str]:
    """Close a vacancy without filling it."""
    vacancy = await councils.set_vacancy_status(uow, vacancy_id, "closed", principal)
    return {"vacancy_id": str(vacancy.id), "status": vacancy.status}


@router.post("/vacancies/{vacancy_id}/fill", tags=["councils"])
async def fill_vacancy(vacancy_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> dict[str, str]:
    """Mark a vacancy filled."""
    vacancy = await councils.set_vacancy_status(uow, vacancy_id, "filled", principal)
    return {"vacancy_id": str(vacancy.id), "status": vacancy.status}


@router.get("/vacancies/{vacancy_id}/matches", tags=["councils"])
async def vacancy_matches(
    vacancy_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    """The proposed and shortlisted candidates of a vacancy, best first, pseudonymous (not those
    displaced by better candidates since: a search still finds them)."""
    rows = await matches_of(uow, await vacancy_for(uow, vacancy_id, principal))
    return [
        {
            "match_id": str(m.id),
            "candidate_ref": str(m.application_id),
            "score": m.score,
            "factors": m.factors,
            "status": m.status,
            "weights_version": m.weights_version,
        }
        for m in rows
    ]


@router.post("/councils/{council_id}/search", tags=["councils"])
async def search_pool(
    council_id: UUID, filters: search.SearchFilters, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Search the candidates who allow your council (pseudonymous profiles)."""
    council = await councils.council_for(uow, principal, council_id)
    return await search.search(uow, council, filters)


@router.post("/councils/{council_id}/saved-searches", status_code=status.HTTP_201_CREATED, tags=["councils"])
async def save_search(
    council_id: UUID, body: SavedSearchIn, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, str]:
    """Save a search; you are alerted when new candidates match it."""
    council = await councils.council_for(uow, principal, council_id)
    saved = await search.save_search(uow, council, body.name, body.filters, principal.subject)
    await uow.commit()
    return {"saved_search_id": str(saved.id)}


@router.get("/councils/{council_id}/saved-searches", tags=["councils"])
async def saved_searches(
    council_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    """Your council's saved searches, newest first."""
    council = await councils.council_for(uow, principal, council_id)
    return [
        {
            "saved_search_id": str(saved.id),
            "name": saved.name,
            "filters": saved.filters,
            "alerts_on": saved.alerts_on,
            "created_at": saved.created_at.isoformat(),
        }
        for saved in await search.saved_searches_of(uow, council)
    ]


class AlertsSwitch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    alerts_on: bool


@router.patch("/councils/{council_id}/saved-searches/{saved_search_id}", tags=["councils"])
async def switch_alerts(
    council_id: UUID,
    saved_search_id: UUID,
    body: AlertsSwitch,
    uow: UnitOfWorkDep,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    """Turn a saved search's alerts off or on (on again: alerts are for candidates matching from
    then on)."""
    council = await councils.council_for(uow, principal, council_id)
    saved = await search.saved_search_for(uow, council, saved_search_id)
    await search.set_alerts(uow, council, saved, body.alerts_on)
    return {"saved_search_id": str(saved.id), "alerts_on": body.alerts_on}


@router.delete(
    "/councils/{council_id}/saved-searches/{saved_search_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    tags=["councils"],
)
async def delete_saved_search(
    council_id: UUID, saved_search_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> None:
    """Delete a saved search and its alerts."""
    council = await councils.council_for(uow, principal, council_id)
    saved = await search.saved_search_for(uow, council, saved_search_id)
    await search.delete_saved_search(uow, saved)


@router.get("/councils/{council_id}/alerts", tags=["councils"])
async def alerts(council_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> list[dict[str, str]]:
    """New candidates matching your saved searches (each shown once)."""
    council = await councils.council_for(uow, principal, council_id)
    await search.refresh_alerts(uow, council)
    unseen = await store.take_unseen_alerts(uow, council.id)
    await uow.commit()
    return [
        {"saved_search_id": str(a.saved_search_id), "candidate_ref": str(a.application_id)} for a in unseen
    ]


@router.post("/vacancies/{vacancy_id}/shortlist", status_code=status.HTTP_201_CREATED, tags=["councils"])
async def shortlist(
    vacancy_id: UUID,
    candidate_ref: Annotated[UUID, Body(embed=True)],
    uow: UnitOfWorkDep,
    principal: CurrentPrincipal,
) -> dict[str, str]:
    """Shortlist a candidate for a vacancy."""
    match = await outreach.shortlist(uow, vacancy_id, candidate_ref, principal)
    return {"match_id": str(match.id), "status": match.status}


@router.post("/matches/{match_id}/reach-out", tags=["councils"])
async def reach_out(
    match_id: UUID,
    uow: UnitOfWorkDep,
    principal: CurrentPrincipal,
    body: outreach.ReachOutIn | None = None,
) -> dict[str, str]:
    """Tell a shortlisted candidate your council is interested, with a message they read beside
    the vacancy's facts before they answer."""
    match = await outreach.reach_out(uow, match_id, principal, body)
    return {"match_id": str(match.id), "status": match.status}


@router.get("/matches/{match_id}/contact", tags=["councils"])
async def contact(match_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> dict[str, str | None]:
    """The candidate's contact details (after they accepted): name, e-mail, and the telephone
    number if they gave one for a council to call (null otherwise)."""
    return await outreach.contact(uow, match_id, principal)


@router.post("/matches/{match_id}/interview", tags=["councils"])
async def interview(
    match_id: UUID, body: outreach.InterviewIn, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, str]:
    """Invite the candidate to an interview (its time and place; they are e-mailed)."""
    match = await outreach.interview(uow, match_id, body, principal)
    return {"match_id": str(match.id), "status": match.status}


@router.post("/matches/{match_id}/outcome", tags=["councils"])
async def outcome(
    match_id: UUID, body: outreach.OutcomeIn, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, str]:
    """Record whether the candidate was hired."""
    match = await outreach.record_outcome(uow, match_id, body, principal)
    return {"match_id": str(match.id), "status": match.status}


@router.post("/matches/{match_id}/interview-slots", status_code=status.HTTP_201_CREATED, tags=["councils"])
async def propose_interview_slots(
    match_id: UUID, body: interviews.SlotsIn, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Propose one to five interview times; the candidate books one on their page."""
    return interview_views.interview_view(await interviews.propose_slots(uow, match_id, body, principal))


@router.get("/matches/{match_id}/interviews", tags=["councils"])
async def match_interviews(match_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal) -> dict[str, Any]:
    """The match's interviews (proposed and booked, with feedback) and its latest offer."""
    await outreach.councils_match(uow, match_id, principal)
    return await interviews.of_match(uow, match_id)


@router.put("/interviews/{interview_id}/feedback", tags=["councils"])
async def interview_feedback(
    interview_id: UUID, body: interviews.FeedbackIn, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """The panel's structured feedback on a booked interview (replaces any recorded before)."""
    recorded = await interviews.record_feedback(uow, interview_id, body, principal)
    return interview_views.interview_view(recorded)


@router.post("/matches/{match_id}/offer", status_code=status.HTTP_201_CREATED, tags=["councils"])
async def make_offer(
    match_id: UUID, body: interviews.OfferIn, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Offer the candidate the job (salary, start date); they accept or decline."""
    return interview_views.offer_view(await interviews.make_offer(uow, match_id, body, principal))


# --------------------------------------------------------------------------- candidates


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slot: int = Field(ge=0, description="Which of the proposed times (0 for the first).")


@router.post("/interviews/{interview_id}/booking", tags=["candidates"])
async def book_interview(
    interview_id: UUID, body: BookingIn, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Book one of the times a council proposed (both are sent a calendar invitation)."""
    return interview_views.interview_view(await interviews.book(uow, interview_id, body.slot, principal))


@router.post("/offers/{offer_id}/response", tags=["candidates"])
async def answer_offer(
    offer_id: UUID, body: outreach.ResponseIn, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, Any]:
    """Accept (you are hired) or decline a council's offer."""
    return interview_views.offer_view(await interviews.answer_offer(uow, offer_id, body.response, principal))


@router.get("/candidates/{candidate_id}/matches", tags=["candidates"])
async def my_matches(
    candidate_id: UUID, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> list[dict[str, Any]]:
    """Councils that reached out to you, and what followed: every interview stage with the
    council's feedback, and every offer (your subject-access request's matching part)."""
    if principal.role not in (Role.CANDIDATE, Role.ADMIN):
        raise Forbidden("Only the candidate can see their matches.")
    if not principal.reaches_candidate(candidate_id):
        raise NotFound(outreach.NO_CANDIDATE)  # as for an unknown id
    return await outreach.candidates_matches(uow, candidate_id)


@router.post("/matches/{match_id}/response", tags=["candidates"])
async def respond(
    match_id: UUID, body: outreach.ResponseIn, uow: UnitOfWorkDep, principal: CurrentPrincipal
) -> dict[str, str]:
    """Accept or decline a council's interest (accepting shares your contact details with it)."""
    match = await outreach.respond(uow, match_id, body, principal)
    return {"match_id": str(match.id), "status": match.status}


# --------------------------------------------------------------------------- admins


@router.get("/council-claims", tags=["admin"])
async def council_claims(
    uow: UnitOfWorkDep,
    _: AdminOnly,
    claim_status: Annotated[ClaimStatus, Query(alias="status")] = ClaimStatus.PENDING,
) -> list[dict[str, Any]]:
    """Claims to act for a council, with the contact's e-mail domain and whether it looks like the
    council's own (waiting ones oldest first; decided ones, the latest 200)."""
    return [view.as_json() for view in await councils.claims(uow, claim_status)]


@router.post("/council-claims/{claim_id}/approve", tags=["admin"])
async def approve_claim(
    claim_id: UUID, request: Request, uow: UnitOfWorkDep, admin: AdminOnly
) -> dict[str, str]:
    """Approve a claim: the council joins and its contact is e-mailed a sign-in link (the council's
    other waiting claims are rejected)."""
    claim = await councils.approve_claim(uow, claim_id, admin, **link_options(request))
    return {"claim_id": str(claim.id), "council_id": str(claim.council_id), "status": claim.status}


@router.post("/council-claims/{claim_id}/reject", tags=["admin"])
async def reject_claim(
    claim_id: UUID, body: councils.Rejection, uow: UnitOfWorkDep, admin: AdminOnly
) -> dict[str, str]:
    """Reject a claim, saying why."""
    claim = await councils.reject_claim(uow, claim_id, body, admin)
    return {"claim_id": str(claim.id), "council_id": str(claim.council_id), "status": claim.status}


@router.get("/weights", tags=["admin"])
async def get_weights(uow: UnitOfWorkDep, _: AdminOnly) -> dict[str, Any]:
    """The scoring weights in force."""
    found = await weights_in_force(uow)
    return {"version": found.version, "weights": found.weights.model_dump(mode="json")}


@router.put("/weights", tags=["admin"])
async def put_weights(body: Weights, uow: UnitOfWorkDep, admin: AdminOnly) -> dict[str, Any]:
    """Save a new version of the scoring weights."""
    version = await store.save_weights(uow, body, admin.subject)
    await uow.commit()
    return {"version": f"v{version}"}
