"""Events published by the matching service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import EmailStr, Field

from rtw_contracts.envelope import Event, not_personal, personal, personal_data
from rtw_contracts.events.applications import V1_DEPRECATION, V1_RETIREMENT
from rtw_contracts.types import (
    ContractType,
    FlexibleWorking,
    GssCode,
    IctSpecialism,
    MatchResponse,
    PostcodeDistrict,
    Programme,
    Region,
    SalaryBand,
    Score,
    ScoreFactor,
    SkillClaim,
    SkillGap,
    UtcDatetime,
    WorkMode,
)

__all__ = [
    "CandidateHired",
    "CouncilClaimRejected",
    "CouncilRegistered",
    "InterviewInvited",
    "InterviewSlotsProposed",
    "MatchProposed",
    "MatchResponded",
    "OfferAnswered",
    "OfferMade",
    "ReachOutSent",
    "RecruiterInvited",
    "RecruiterInvitedV2",
    "SkillGapIdentified",
    "VacancyPosted",
]

_PRODUCER = "matching"


class CouncilRegistered(Event):
    """Published when a council signs up to the programme.

    Consumed by applications (councils taking part, for programme reports) and notifications
    (keeps the council's organisational contact and welcomes it).
    """

    ROUTING_KEY: ClassVar[str] = "council.registered.v1"
    SEQUENCE_OF: ClassVar[str] = "council"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("council_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "applications": ("council_id", "gss_code", "name", "region", "registered_at"),
        "notifications": ("council_id", "name", "contact_name", "contact_email"),
    }

    council_id: UUID = Field(description="The council.")
    gss_code: GssCode = not_personal(description="The council's ONS GSS code.")
    name: str = not_personal(min_length=1, max_length=200, description="The council's name.")
    region: Region = Field(description="The council's region.")
    contact_name: str = personal("Organisational contact's name.", what="name", min_length=1, max_length=200)
    contact_email: EmailStr = personal("Organisational contact's e-mail address.", what="e-mail address")
    specialisms_needed: list[IctSpecialism] = Field(description="ICT specialisms the council wants.")
    flexible_working_offered: list[FlexibleWorking] = Field(
        description="Flexible-working arrangements the council offers."
    )
    registered_at: UtcDatetime = Field(description="When the council registered (UTC).")


class CouncilClaimRejected(Event):
    """Published when a programme admin rejects someone's claim to sign a council up (or another
    claim for the council is approved). Nobody acts for the council on this claim.

    Consumed by notifications (tells the claimant why). A claim that is approved is announced by
    CouncilRegistered instead.
    """

    ROUTING_KEY: ClassVar[str] = "council.claim-rejected.v1"
    SEQUENCE_OF: ClassVar[str] = "council claim"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("claim_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "notifications": ("claim_id", "name", "contact_name", "contact_email", "reason"),
    }

    claim_id: UUID = Field(description="The claim.")
    council_id: UUID = Field(description="The council claimed.")
    gss_code: GssCode = not_personal(description="The council's ONS GSS code.")
    name: str = not_personal(min_length=1, max_length=200, description="The council's name.")
    contact_name: str = personal("The claimant's name.", what="name", min_length=1, max_length=200)
    contact_email: EmailStr = personal("The claimant's e-mail address.", what="e-mail address")
    reason: str = not_personal(min_length=1, max_length=500, description="Why, as the claimant reads it.")
    rejected_at: UtcDatetime = Field(description="When the claim was rejected (UTC).")


class RecruiterInvited(Event):
    """Published (until version 2 replaced it) when a council invited a recruiter.

    Deprecated: it carried the invitation's sign-in link, a credential any reader of a queue
    could trade for the council's access. Consumed by nobody any more (notifications stopped at
    once: an invitation lasts a day, and the recruiter can ask for a new link); the model stays
    until it retires so that dead letters of it still parse.
    """

    ROUTING_KEY: ClassVar[str] = "council.recruiter-invited.v1"
    SEQUENCE_OF: ClassVar[str] = "recruiter"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("recruiter_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUPERSEDED_BY: ClassVar[str | None] = "council.recruiter-invited.v2"
    RETIRES_ON: ClassVar[date | None] = V1_RETIREMENT
    DEPRECATED_ON: ClassVar[date | None] = V1_DEPRECATION

    council_id: UUID = Field(description="The council.")
    recruiter_id: UUID = Field(description="The recruiter.")
    name: str = personal("The recruiter's name.", what="name", min_length=1, max_length=200)
    email: EmailStr = personal("The recruiter's work e-mail address.", what="e-mail address")
    invited_at: UtcDatetime = Field(description="When the recruiter was invited (UTC).")
    link: str | None = personal_data(
        "a sign-in link for the recruiter (a credential)",
        default=None,
        max_length=2000,
        description="A single-use sign-in link for the recruiter (absent: they ask for one).",
    )


class RecruiterInvitedV2(Event):
    """Published when a recruiter is to be sent a sign-in link for their council: invited by a
    colleague, made the council's first recruiter when a programme admin approves its claim, or
    asking for a new link.

    Consumed by notifications, which makes the single-use link itself (signed with the platform's
    token secret, for this recruiter and council only, working until `expires_at`) and e-mails
    it. The event carries what addresses the person and scopes the link, never the link.
    """

    ROUTING_KEY: ClassVar[str] = "council.recruiter-invited.v2"
    SEQUENCE_OF: ClassVar[str] = "recruiter"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("recruiter_id",)
    EVENT_TYPE: ClassVar[str] = "RecruiterInvited"
    EVENT_VERSION: ClassVar[int] = 2
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "notifications": ("council_id", "recruiter_id", "name", "email", "expires_at"),
    }

    council_id: UUID = Field(description="The council the link signs in for.")
    recruiter_id: UUID = Field(description="The recruiter the link signs in.")
    name: str = personal("The recruiter's name.", what="name", min_length=1, max_length=200)
    email: EmailStr = personal("The recruiter's work e-mail address.", what="e-mail address")
    invited_at: UtcDatetime = Field(description="When the link was asked for (UTC).")
    expires_at: UtcDatetime = Field(description="When the link must stop working (UTC).")


class VacancyPosted(Event):
    """Published when a council posts a vacancy.

    Consumed by applications (vacancies for programme reports). Matching itself scores the
    vacancy against the talent pool as it publishes it.
    """

    ROUTING_KEY: ClassVar[str] = "vacancy.posted.v1"
    SEQUENCE_OF: ClassVar[str] = "vacancy"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("vacancy_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "applications": (
            "vacancy_id",
            "council_id",
            "programme",
            "work_mode",
            "base_postcode_districts",
            "posted_at",
        ),
        "notifications": ("vacancy_id", "council_id", "title"),
    }

    vacancy_id: UUID = Field(description="The vacancy.")
    council_id: UUID = Field(description="The council.")
    gss_code: GssCode = not_personal(description="The council's ONS GSS code.")
    title: str = not_personal(min_length=1, max_length=200, description="The job title.")
    programme: Programme = Field(description="The programme (profession) of the vacancy.")
    specialism: IctSpecialism | None = Field(
        default=None, description="The ICT specialism, for ICT vacancies."
    )
    role: str = not_personal(
        min_length=1, max_length=200, description="DDaT framework role, e.g. `Data analyst`."
    )
    role_level: str = not_personal(
        min_length=1,
        max_length=200,
        description="DDaT framework role level, e.g. `Senior data analyst`.",
    )
    required_skills: list[SkillClaim] = not_personal(description="Skills needed, with levels.")
    work_mode: WorkMode = Field(description="On site, hybrid or remote.")
    flexible_working: list[FlexibleWorking] = Field(description="Flexible-working arrangements offered.")
    base_postcode_districts: list[PostcodeDistrict] = not_personal(
        description="Postcode districts of the possible work bases."
    )
    salary_band: SalaryBand = not_personal(description="Annual salary range.")
    hours_per_week: float = Field(gt=0, le=60, description="Contracted hours per week.")
    closing_date: date = Field(description="Last day to be considered.")
    posted_at: UtcDatetime = Field(description="When the vacancy was posted (UTC).")
    description: str | None = not_personal(
        default=None,
        max_length=4000,
        description="What the job is, in the council's words (absent: none written). Plain text.",
    )


class MatchProposed(Event):
    """Published when matching proposes a candidate for a vacancy (a new or better score).

    Consumed by applications (the candidate's journey) and notifications (tells the
    council's recruiters about a strong match). The council sees a pseudonymous profile.
    """

    ROUTING_KEY: ClassVar[str] = "match.proposed.v1"
    SEQUENCE_OF: ClassVar[str] = "match"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("match_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "applications": (
            "application_id",
            "proposed_at",
            "match_id",
            "vacancy_id",
            "council_id",
            "score",
            "factors",
            "weights_version",
        ),
        "notifications": ("application_id", "candidate_id", "vacancy_id", "council_id", "score"),
    }

    match_id: UUID = Field(description="The match.")
    vacancy_id: UUID = Field(description="The vacancy.")
    council_id: UUID = Field(description="The council.")
    candidate_id: UUID = Field(description="The candidate.")
    application_id: UUID = Field(description="The candidate's application.")
    score: Score = Field(description="Match score 0 to 100.")
    factors: list[ScoreFactor] = personal_data(
        "explanations drawn from the candidate's facts (e.g. their career break)",
        description="The score's factors, with hints.",
    )
    weights_version: str = not_personal(
        min_length=1, max_length=50, description="Version of the factor weights used."
    )
    proposed_at: UtcDatetime = Field(description="When the match was proposed (UTC).")


class ReachOutSent(Event):
    """Published when a council reaches out to a matched candidate.

    Consumed by applications (the candidate's journey) and notifications (asks the candidate
    to accept or decline).
    """

    ROUTING_KEY: ClassVar[str] = "match.reach-out-sent.v1"
    SEQUENCE_OF: ClassVar[str] = "match"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("match_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "applications": ("application_id", "sent_at"),
        "notifications": ("candidate_id", "vacancy_id"),
    }

    match_id: UUID = Field(description="The match.")
    vacancy_id: UUID = Field(description="The vacancy.")
    council_id: UUID = Field(description="The council.")
    candidate_id: UUID = Field(description="The candidate.")
    application_id: UUID = Field(description="The candidate's application.")
    sent_at: UtcDatetime = Field(description="When the council reached out (UTC).")


class MatchResponded(Event):
    """Published when a candidate accepts or declines a council's reach-out.

    Consumed by applications (the candidate's journey) and notifications (tells the council;
    on acceptance the council may see the candidate's contact details).
    """

    ROUTING_KEY: ClassVar[str] = "match.responded.v1"
    SEQUENCE_OF: ClassVar[str] = "match"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("match_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "applications": ("application_id", "response", "responded_at"),
        "notifications": ("vacancy_id", "council_id", "response"),
    }

    match_id: UUID = Field(description="The match.")
    vacancy_id: UUID = Field(description="The vacancy.")
    council_id: UUID = Field(description="The council.")
    candidate_id: UUID = Field(description="The candidate.")
    application_id: UUID = Field(description="The candidate's application.")
    response: MatchResponse = Field(description="Accepted or declined.")
    responded_at: UtcDatetime = Field(description="When the candidate responded (UTC).")


class InterviewSlotsProposed(Event):
    """Published when a council proposes times for an interview with a candidate who accepted
    its reach-out; the candidate picks one on their page (InterviewInvited follows).

    Consumed by notifications (asks the candidate to choose a time). The times and places stay
    with matching: the candidate reads them on their page, signed in.
    """

    ROUTING_KEY: ClassVar[str] = "match.interview-slots-proposed.v1"
    SEQUENCE_OF: ClassVar[str] = "match"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("match_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "notifications": ("candidate_id", "vacancy_id", "slots"),
    }

    interview_id: UUID = Field(description="The interview the times are for (the booking keeps it).")
    match_id: UUID = Field(description="The match.")
    vacancy_id: UUID = Field(description="The vacancy.")
    council_id: UUID = Field(description="The council.")
    candidate_id: UUID = Field(description="The candidate.")
    application_id: UUID = Field(description="The candidate's application.")
    stage: int = Field(ge=1, le=10, description="Which interview of this match: 1 for the first.")
    slots: int = Field(ge=1, le=5, description="How many times were proposed.")
    proposed_at: UtcDatetime = Field(description="When the council proposed them (UTC).")


class InterviewInvited(Event):
    """Published when a council invites a candidate who accepted its reach-out to an interview,
    or when the candidate books one of the times the council proposed (InterviewSlotsProposed).

    Consumed by notifications (e-mails the candidate, and the council's people, the date, time
    and place with a calendar invitation, and reminds them the day before). Each invitation has
    its own `interview_id`, which later events about the same interview (a change of time,
    feedback) can name; an invitation for the same match replaces the one before.
    """

    ROUTING_KEY: ClassVar[str] = "match.interview-invited.v1"
    SEQUENCE_OF: ClassVar[str] = "match"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("match_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "notifications": (
            "interview_id",
            "match_id",
            "candidate_id",
            "vacancy_id",
            "council_id",
            "stage",
            "starts_at",
            "ends_at",
            "place",
            "invited_at",
        ),
    }

    interview_id: UUID = Field(description="The interview (one per invitation).")
    match_id: UUID = Field(description="The match.")
    vacancy_id: UUID = Field(description="The vacancy.")
    council_id: UUID = Field(description="The council.")
    candidate_id: UUID = Field(description="The candidate.")
    application_id: UUID = Field(description="The candidate's application.")
    starts_at: UtcDatetime = Field(description="When the interview starts (UTC).")
    place: str = personal_data(
        "where one candidate's interview is held, in the council's words (it may name who to ask for)",
        min_length=1,
        max_length=300,
        description="Where: the council's premises and room, or how to join a video call. Plain text.",
    )
    invited_at: UtcDatetime = Field(description="When the council sent the invitation (UTC).")
    ends_at: UtcDatetime | None = Field(
        default=None, description="When the interview ends (UTC; absent: an hour after it starts)."
    )
    stage: int | None = Field(
        default=None, ge=1, le=10, description="Which interview of this match (absent: the first)."
    )


class OfferMade(Event):
    """Published when a council offers a candidate the job (a salary and a start date) after
    interviewing them; the candidate accepts or declines on their page (OfferAnswered).

    Consumed by notifications (tells the candidate an offer waits for their answer). The salary
    and start date stay with matching: the candidate reads them on their page, signed in.
    """

    ROUTING_KEY: ClassVar[str] = "match.offer-made.v1"
    SEQUENCE_OF: ClassVar[str] = "match"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("match_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "notifications": ("candidate_id", "vacancy_id"),
    }

    offer_id: UUID = Field(description="The offer.")
    match_id: UUID = Field(description="The match.")
    vacancy_id: UUID = Field(description="The vacancy.")
    council_id: UUID = Field(description="The council.")
    candidate_id: UUID = Field(description="The candidate.")
    application_id: UUID = Field(description="The candidate's application.")
    made_at: UtcDatetime = Field(description="When the council made the offer (UTC).")


class OfferAnswered(Event):
    """Published when a candidate accepts or declines a council's offer. An acceptance is a hire:
    CandidateHired follows it at once, from the same step.

    Consumed by notifications (tells the council the answer).
    """

    ROUTING_KEY: ClassVar[str] = "match.offer-answered.v1"
    SEQUENCE_OF: ClassVar[str] = "match"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("match_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "notifications": ("vacancy_id", "council_id", "response"),
    }

    offer_id: UUID = Field(description="The offer.")
    match_id: UUID = Field(description="The match.")
    vacancy_id: UUID = Field(description="The vacancy.")
    council_id: UUID = Field(description="The council.")
    candidate_id: UUID = Field(description="The candidate.")
    application_id: UUID = Field(description="The candidate's application.")
    response: MatchResponse = Field(description="Accepted or declined.")
    answered_at: UtcDatetime = Field(description="When the candidate answered (UTC).")


class CandidateHired(Event):
    """Published when a council records that it hired a candidate, or when a candidate accepts
    the council's offer (OfferAnswered).

    Consumed by applications (outcomes and savings in programme reports), assessment (the
    cohort's state: a hired returner no longer waits in matching), training (closes any open
    enrolment) and notifications (congratulations).
    """

    ROUTING_KEY: ClassVar[str] = "match.candidate-hired.v1"
    SEQUENCE_OF: ClassVar[str] = "match"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("match_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "applications": (
            "match_id",
            "council_id",
            "application_id",
            "start_date",
            "hours_per_week",
            "salary_band",
            "hired_at",
        ),
        "assessment": ("application_id", "hired_at"),
        "notifications": ("candidate_id", "vacancy_id", "council_id", "start_date"),
    }

    match_id: UUID = Field(description="The match.")
    vacancy_id: UUID = Field(description="The vacancy.")
    council_id: UUID = Field(description="The council.")
    candidate_id: UUID = Field(description="The candidate.")
    application_id: UUID = Field(description="The candidate's application.")
    start_date: date = Field(description="First day of work.")
    hours_per_week: float = Field(gt=0, le=60, description="Contracted hours per week.")
    salary_band: SalaryBand = not_personal(description="Annual salary range agreed.")
    contract: ContractType = Field(description="Permanent or fixed term.")
    hired_at: UtcDatetime = Field(description="When the hire was recorded (UTC).")


class SkillGapIdentified(Event):
    """Published when a near-miss match shows skills a candidate lacks for a vacancy.

    Consumed by training (suggests modules that close the gaps) and applications (the
    candidate's journey).
    """

    ROUTING_KEY: ClassVar[str] = "skills.gap-identified.v1"
    SEQUENCE_OF: ClassVar[str] = "skill gap"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("vacancy_id", "application_id")
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "training": ("application_id", "candidate_id", "vacancy_id", "gaps"),
    }

    candidate_id: UUID = Field(description="The candidate.")
    application_id: UUID = Field(description="The candidate's application.")
    vacancy_id: UUID = Field(description="The vacancy.")
    council_id: UUID = Field(description="The council.")
    gaps: list[SkillGap] = not_personal(description="The skills missing or below the level needed.")
    score: Score = Field(description="The match score 0 to 100 despite the gaps.")
    identified_at: UtcDatetime = Field(description="When the gaps were identified (UTC).")
