"""Events published by the applications service."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import EmailStr, Field

from rtw_contracts.envelope import Event
from rtw_contracts.types import (
    CareerBreak,
    CohortId,
    IctSpecialism,
    Language,
    PostcodeDistrict,
    ProfessionalRegistration,
    Programme,
    Region,
    SecondStageAnswer,
    SkillClaim,
    UtcDatetime,
    VideoFile,
    WithdrawalReason,
    WorkPreferences,
)

__all__ = [
    "ApplicationSubmitted",
    "ApplicationWithdrawn",
    "CandidateErased",
    "CandidateSignInRequested",
    "SecondStageSubmitted",
]

_PRODUCER = "applications"


class ApplicationSubmitted(Event):
    """Published when a candidate submits an application to a cohort.

    Consumed by assessment (screens it against the cohort's eligibility rules), matching
    (builds the candidate's talent-pool profile) and notifications (keeps the contact details
    and sends the acknowledgement). The only event that carries a candidate's name, e-mail and
    telephone number.
    """

    ROUTING_KEY: ClassVar[str] = "application.submitted.v1"
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER

    application_id: UUID = Field(description="The application.")
    candidate_id: UUID = Field(description="The candidate (stable across applications).")
    reference: str = Field(
        pattern=r"^RTW-[A-Z]+-[0-9]+$",
        description="Human reference quoted to the candidate, e.g. `RTW-ICT-000123`.",
    )
    programme: Programme = Field(description="The programme applied to.")
    cohort_id: CohortId = Field(description="The cohort applied to.")
    submitted_at: UtcDatetime = Field(description="When the candidate submitted (UTC).")
    given_name: str = Field(min_length=1, max_length=200, description="Candidate's given name.")
    family_name: str = Field(min_length=1, max_length=200, description="Candidate's family name.")
    email: EmailStr = Field(description="Candidate's e-mail address (for notifications).")
    phone: str | None = Field(
        default=None,
        max_length=30,
        description=(
            "Telephone number the candidate gave for a council to call them about a job (matching"
            " releases it with the name and e-mail once the candidate accepts a council's interest);"
            " absent when not given."
        ),
    )
    preferred_language: Language = Field(description="Language to write to the candidate in.")
    postcode_district: PostcodeDistrict = Field(
        description="Candidate's postcode district (outward code only), upper case."
    )
    region: Region = Field(description="Region of the postcode district.")
    right_to_work: bool = Field(description="Candidate declares the right to work in the UK.")
    career_break: CareerBreak = Field(description="The candidate's career break.")
    years_experience: float = Field(ge=0, le=70, description="Years of experience in the profession.")
    professional_registration: ProfessionalRegistration | None = Field(
        default=None, description="Registration with a professional body (social work, …)."
    )
    specialisms: list[IctSpecialism] = Field(
        description="Desired ICT specialisms claimed (empty for other programmes)."
    )
    skills: list[SkillClaim] = Field(description="Skills the candidate claims, with levels.")
    work_preferences: WorkPreferences = Field(description="How and where the candidate wants to work.")
    privacy_notice_version: str = Field(
        min_length=1, max_length=50, description="Version of the privacy notice accepted."
    )


class SecondStageSubmitted(Event):
    """Published when a shortlisted candidate submits the second-stage form (and video).

    Consumed by assessment (queues the submission for assessors to score on the rubric) and
    notifications (acknowledgement to the candidate).
    """

    ROUTING_KEY: ClassVar[str] = "application.second-stage-submitted.v1"
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER

    application_id: UUID = Field(description="The application.")
    candidate_id: UUID = Field(description="The candidate.")
    cohort_id: CohortId = Field(description="The cohort.")
    programme: Programme = Field(description="The programme.")
    submitted_at: UtcDatetime = Field(description="When the form was submitted (UTC).")
    answers: list[SecondStageAnswer] = Field(description="Answers to the second-stage questions.")
    video: VideoFile | None = Field(
        default=None, description="The video assessment, if the cohort asks for one."
    )


class ApplicationWithdrawn(Event):
    """Published when a candidate withdraws an application.

    Consumed by assessment (drops the application from screening, scoring and selection and
    may promote from the waitlist), training (ends any enrolment), matching (removes the
    candidate from the talent pool) and notifications (confirms the withdrawal).
    """

    ROUTING_KEY: ClassVar[str] = "application.withdrawn.v1"
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER

    application_id: UUID = Field(description="The application.")
    candidate_id: UUID = Field(description="The candidate.")
    cohort_id: CohortId = Field(description="The cohort.")
    programme: Programme = Field(description="The programme.")
    withdrawn_at: UtcDatetime = Field(description="When the candidate withdrew (UTC).")
    reason: WithdrawalReason = Field(description="Why the candidate withdrew.")


class CandidateErased(Event):
    """Published when a candidate exercises the right to erasure.

    Consumed by every other service (assessment, training, matching, notifications), each of
    which deletes or anonymises everything it holds about the candidate.
    """

    ROUTING_KEY: ClassVar[str] = "candidate.erased.v1"
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER

    candidate_id: UUID = Field(description="The candidate whose data must be erased.")
    application_ids: list[UUID] = Field(description="Every application the candidate made.")
    erased_at: UtcDatetime = Field(description="When the applications service erased it (UTC).")


class CandidateSignInRequested(Event):
    """Published when a known candidate asks to sign in (or to resume a saved application).

    Consumed by notifications, which e-mails the link. The link holds a single-use sign-in token
    valid until `expires_at`; it is the only event carrying a sign-in link.
    """

    ROUTING_KEY: ClassVar[str] = "candidate.sign-in-requested.v1"
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER

    candidate_id: UUID = Field(description="The candidate.")
    email: EmailStr = Field(description="Where to send the link.")
    given_name: str = Field(min_length=1, max_length=200, description="Name to greet.")
    preferred_language: Language = Field(description="Language to write in.")
    link: str = Field(min_length=1, max_length=2000, description="The sign-in link to send.")
    expires_at: UtcDatetime = Field(description="When the link stops working (UTC).")
