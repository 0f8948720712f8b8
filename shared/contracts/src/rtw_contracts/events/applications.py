"""Events published by the applications service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import ClassVar
from uuid import UUID, uuid5

from pydantic import EmailStr, Field

from rtw_contracts.envelope import DEPRECATION_DAYS, Event, not_personal, personal, personal_data
from rtw_contracts.types import (
    AdjustmentKind,
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
    "NEXT_PAGE_PATTERN",
    "V1_DEPRECATION",
    "V1_RETIREMENT",
    "AdjustmentDecided",
    "ApplicationContactGiven",
    "ApplicationSubmitted",
    "ApplicationSubmittedV2",
    "ApplicationWithdrawn",
    "CandidateErased",
    "CandidatePreferencesChanged",
    "CandidateSignInRequested",
    "CandidateSignInRequestedV2",
    "SecondStageSubmitted",
]

_PRODUCER = "applications"

V1_DEPRECATION = date(2026, 12, 4)
"""The day the version-1 events were replaced (their names, e-mail and links off the bus)."""
V1_RETIREMENT = V1_DEPRECATION + timedelta(days=DEPRECATION_DAYS)
"""The day they retire: the platform's deprecation period (:data:`DEPRECATION_DAYS`) after it,
for outside subscribers to move and queued and dead-lettered v1 messages to be drained."""

NEXT_PAGE_PATTERN = r"^(/[A-Za-z0-9_.-]+)+/?$"
"""A path on the platform (no scheme, host, query or empty segment): where a sign-in link leads."""


class ApplicationSubmitted(Event):
    """Published (until version 2 replaced it) when a candidate submitted an application.

    Deprecated: it carried the candidate's name and e-mail to every subscriber, the blind
    assessment service among them. Applications publishes ApplicationSubmittedV2 and
    ApplicationContactGiven instead; `split()` turns a v1 message into those two. Consumed by
    training, matching and notifications until it retires: they drain v1 messages still queued or
    dead-lettered by handling their split. Assessment stopped reading it at once.
    """

    ROUTING_KEY: ClassVar[str] = "application.submitted.v1"
    SEQUENCE_OF: ClassVar[str] = "application"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("application_id",)
    SEQUENCE_SET_BY_PRODUCER: ClassVar[bool] = True
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUPERSEDED_BY: ClassVar[str | None] = "application.submitted.v2"
    RETIRES_ON: ClassVar[date | None] = V1_RETIREMENT
    DEPRECATED_ON: ClassVar[date | None] = V1_DEPRECATION
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "training": (
            "application_id",
            "candidate_id",
            "cohort_id",
            "programme",
            "given_name",
            "family_name",
            "career_break",
            "professional_registration",
        ),
        "matching": (
            "application_id",
            "candidate_id",
            "cohort_id",
            "programme",
            "given_name",
            "family_name",
            "email",
            "postcode_district",
            "years_experience",
            "specialisms",
            "skills",
            "work_preferences",
        ),
        "notifications": (
            "application_id",
            "candidate_id",
            "cohort_id",
            "programme",
            "reference",
            "given_name",
            "email",
            "preferred_language",
        ),
    }

    application_id: UUID = Field(description="The application.")
    candidate_id: UUID = Field(description="The candidate (stable across applications).")
    reference: str = not_personal(
        pattern=r"^RTW-[A-Z]+-[0-9]+$",
        description="Human reference quoted to the candidate, e.g. `RTW-ICT-000123`.",
    )
    programme: Programme = Field(description="The programme applied to.")
    cohort_id: CohortId = not_personal(description="The cohort applied to.")
    submitted_at: UtcDatetime = Field(description="When the candidate submitted (UTC).")
    given_name: str = personal("Candidate's given name.", what="name", min_length=1, max_length=200)
    family_name: str = personal("Candidate's family name.", what="name", min_length=1, max_length=200)
    email: EmailStr = personal("Candidate's e-mail address (for notifications).", what="e-mail address")
    preferred_language: Language = Field(description="Language to write to the candidate in.")
    postcode_district: PostcodeDistrict = personal_data(
        "where the candidate lives (postcode district)",
        description="Candidate's postcode district (outward code only), upper case.",
    )
    region: Region = Field(description="Region of the postcode district.")
    right_to_work: bool = Field(description="Candidate declares the right to work in the UK.")
    career_break: CareerBreak = personal_data(
        "the candidate's career break: its dates and reason (e.g. caring)",
        description="The candidate's career break.",
    )
    years_experience: float = Field(ge=0, le=70, description="Years of experience in the profession.")
    professional_registration: ProfessionalRegistration | None = personal_data(
        "the candidate's professional registration number",
        default=None,
        description="Registration with a professional body (social work, …).",
    )
    specialisms: list[IctSpecialism] = Field(
        description="Desired ICT specialisms claimed (empty for other programmes)."
    )
    skills: list[SkillClaim] = not_personal(description="Skills the candidate claims, with levels.")
    work_preferences: WorkPreferences = not_personal(description="How and where the candidate wants to work.")
    privacy_notice_version: str = not_personal(
        min_length=1, max_length=50, description="Version of the privacy notice accepted."
    )

    def split(self) -> tuple[ApplicationSubmittedV2, ApplicationContactGiven]:
        """The two version-2 events this message stands for: the facts (same `event_id`) and the
        contact details (an `event_id` derived from it, so handling it twice is one event)."""
        facts = ApplicationSubmittedV2.model_validate(
            self.model_dump(exclude={"event_type", "event_version", "producer"})
        )
        contact = ApplicationContactGiven(
            event_id=uuid5(self.event_id, "contact"),
            occurred_at=self.occurred_at,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            sequence=self.sequence,
            application_id=self.application_id,
            candidate_id=self.candidate_id,
            reference=self.reference,
            programme=self.programme,
            cohort_id=self.cohort_id,
            given_name=self.given_name,
            family_name=self.family_name,
            email=self.email,
            preferred_language=self.preferred_language,
            given_at=self.submitted_at,
        )
        return facts, contact


class ApplicationSubmittedV2(Event):
    """Published when a candidate submits an application to a cohort: the application's facts,
    nothing that names the candidate or reaches them (ApplicationContactGiven, published with it,
    carries that to the services that must contact or show the person).

    Consumed by assessment (screens it against the cohort's eligibility rules, blind: it never
    learns who applied), matching (builds the candidate's talent-pool profile) and training (when
    the candidate last practised, for the CPD rule). The postcode district (an outward code, some
    thousands of addresses) is kept: matching measures distances with it.
    """

    ROUTING_KEY: ClassVar[str] = "application.submitted.v2"
    SEQUENCE_OF: ClassVar[str] = "application"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("application_id",)
    SEQUENCE_SET_BY_PRODUCER: ClassVar[bool] = True
    EVENT_TYPE: ClassVar[str] = "ApplicationSubmitted"
    EVENT_VERSION: ClassVar[int] = 2
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "assessment": (
            "application_id",
            "candidate_id",
            "cohort_id",
            "programme",
            "submitted_at",
            "right_to_work",
            "career_break",
            "years_experience",
            "professional_registration",
            "specialisms",
            "skills",
            "guaranteed_second_stage",
        ),
        "training": (
            "application_id",
            "candidate_id",
            "cohort_id",
            "programme",
            "career_break",
            "professional_registration",
        ),
        "matching": (
            "application_id",
            "candidate_id",
            "cohort_id",
            "programme",
            "postcode_district",
            "years_experience",
            "specialisms",
            "skills",
            "work_preferences",
        ),
    }

    application_id: UUID = Field(description="The application.")
    candidate_id: UUID = Field(description="The candidate (stable across applications).")
    reference: str = not_personal(
        pattern=r"^RTW-[A-Z]+-[0-9]+$",
        description="Human reference quoted to the candidate, e.g. `RTW-ICT-000123`.",
    )
    programme: Programme = Field(description="The programme applied to.")
    cohort_id: CohortId = not_personal(description="The cohort applied to.")
    submitted_at: UtcDatetime = Field(description="When the candidate submitted (UTC).")
    postcode_district: PostcodeDistrict = personal_data(
        "where the candidate lives (postcode district)",
        description="Candidate's postcode district (outward code only), upper case.",
    )
    region: Region = Field(description="Region of the postcode district.")
    right_to_work: bool = Field(description="Candidate declares the right to work in the UK.")
    career_break: CareerBreak = personal_data(
        "the candidate's career break: its dates and reason (e.g. caring)",
        description="The candidate's career break.",
    )
    years_experience: float = Field(ge=0, le=70, description="Years of experience in the profession.")
    professional_registration: ProfessionalRegistration | None = personal_data(
        "the candidate's professional registration number",
        default=None,
        description="Registration with a professional body (social work, …).",
    )
    specialisms: list[IctSpecialism] = Field(
        description="Desired ICT specialisms claimed (empty for other programmes)."
    )
    skills: list[SkillClaim] = not_personal(description="Skills the candidate claims, with levels.")
    work_preferences: WorkPreferences = not_personal(description="How and where the candidate wants to work.")
    privacy_notice_version: str = not_personal(
        min_length=1, max_length=50, description="Version of the privacy notice accepted."
    )
    guaranteed_second_stage: bool = personal_data(
        "that the candidate opted into the Disability Confident guaranteed second stage (implies a "
        "declared disability, which itself never travels)",
        default=False,
        description=(
            "The candidate declared a disability and opted into a guaranteed second stage: when "
            "they meet the minimum criteria they are shortlisted whatever their rank. Absent: no."
        ),
    )


class ApplicationContactGiven(Event):
    """Published with every ApplicationSubmittedV2: who applied and how to reach them, the
    personal half of a submission, for the services that must contact or show the person.

    Consumed by notifications (keeps the contact details, acknowledges the application), training
    (the name, for certificates and the trainers' progress pages) and matching (kept apart, shown
    to a council only once the candidate accepts its reach-out). Never by assessment.
    """

    ROUTING_KEY: ClassVar[str] = "application.contact-given.v1"
    SEQUENCE_OF: ClassVar[str] = "application"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("application_id",)
    SEQUENCE_SET_BY_PRODUCER: ClassVar[bool] = True
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "training": ("application_id", "candidate_id", "cohort_id", "programme", "given_name", "family_name"),
        "matching": ("candidate_id", "given_name", "family_name", "email", "phone"),
        "notifications": (
            "application_id",
            "candidate_id",
            "programme",
            "reference",
            "given_name",
            "email",
            "preferred_language",
        ),
    }

    application_id: UUID = Field(description="The application.")
    candidate_id: UUID = Field(description="The candidate.")
    reference: str = not_personal(
        pattern=r"^RTW-[A-Z]+-[0-9]+$",
        description="Human reference quoted to the candidate, e.g. `RTW-ICT-000123`.",
    )
    programme: Programme = Field(description="The programme applied to.")
    cohort_id: CohortId = not_personal(description="The cohort applied to.")
    given_name: str = personal("Candidate's given name.", what="name", min_length=1, max_length=200)
    family_name: str = personal("Candidate's family name.", what="name", min_length=1, max_length=200)
    email: EmailStr = personal("Candidate's e-mail address.", what="e-mail address")
    phone: str | None = personal(
        "The phone number the candidate gave for a council to call about a job (absent: none given); "
        "matching releases it with the contact details once the candidate accepts a reach-out.",
        what="phone number",
        default=None,
        max_length=30,
    )
    preferred_language: Language = Field(description="Language to write to the candidate in.")
    given_at: UtcDatetime = Field(description="When the candidate submitted the application (UTC).")


class SecondStageSubmitted(Event):
    """Published when a shortlisted candidate submits the second-stage form (and video).

    Consumed by assessment (queues the submission for assessors to score on the rubric) and
    notifications (acknowledgement to the candidate).
    """

    ROUTING_KEY: ClassVar[str] = "application.second-stage-submitted.v1"
    SEQUENCE_OF: ClassVar[str] = "application"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("application_id",)
    SEQUENCE_SET_BY_PRODUCER: ClassVar[bool] = True
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "assessment": (
            "application_id",
            "submitted_at",
            "answers",
            "video",
            "adjustments",
            "written_alternative",
        ),
        "notifications": ("application_id", "candidate_id"),
    }

    application_id: UUID = Field(description="The application.")
    candidate_id: UUID = Field(description="The candidate.")
    cohort_id: CohortId = not_personal(description="The cohort.")
    programme: Programme = Field(description="The programme.")
    submitted_at: UtcDatetime = Field(description="When the form was submitted (UTC).")
    answers: list[SecondStageAnswer] = personal_data(
        "the candidate's own words (free text)", description="Answers to the second-stage questions."
    )
    video: VideoFile | None = personal_data(
        "the storage key of the candidate's video",
        default=None,
        description="The video assessment, if the cohort asks for one.",
    )
    adjustments: list[AdjustmentKind] = personal_data(
        "the reasonable adjustments agreed for the candidate (they may hint at a disability)",
        default_factory=list,
        description=(
            "Reasonable adjustments staff agreed for this candidate's second stage (absent: none). "
            "The evidence is scored on the same rubric; assessors are told it was adjusted."
        ),
    )
    written_alternative: str | None = personal_data(
        "the candidate's own words (free text)",
        default=None,
        max_length=20_000,
        description=(
            "Written answers given instead of the video, when `written_alternative_to_video` was "
            "agreed (absent otherwise)."
        ),
    )


class AdjustmentDecided(Event):
    """Published when programme staff agree or decline a candidate's request for reasonable
    adjustments. Carries only that a decision was made and which way: what was asked, why and
    the staff's reasons stay in applications (they may reveal a disability), where the candidate
    reads them on their page.

    Consumed by notifications (e-mails the candidate that their request was decided, with a link
    to read the decision; the e-mail does not say what was asked).
    """

    ROUTING_KEY: ClassVar[str] = "application.adjustment-decided.v1"
    SEQUENCE_OF: ClassVar[str] = "application"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("application_id",)
    SEQUENCE_SET_BY_PRODUCER: ClassVar[bool] = True
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "notifications": ("application_id", "candidate_id", "agreed"),
    }

    application_id: UUID = Field(description="The application the request was made on.")
    candidate_id: UUID = Field(description="The candidate.")
    request_id: UUID = Field(description="The adjustment request decided.")
    agreed: bool = Field(description="True: agreed (in full or in part); false: declined.")
    decided_at: UtcDatetime = Field(description="When staff decided (UTC).")


class ApplicationWithdrawn(Event):
    """Published when a candidate withdraws an application.

    Consumed by assessment (drops the application from screening, scoring and selection and
    may promote from the waitlist), training (ends any enrolment), matching (removes the
    candidate from the talent pool) and notifications (confirms the withdrawal).
    """

    ROUTING_KEY: ClassVar[str] = "application.withdrawn.v1"
    SEQUENCE_OF: ClassVar[str] = "application"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("application_id",)
    SEQUENCE_SET_BY_PRODUCER: ClassVar[bool] = True
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "assessment": ("application_id", "candidate_id", "withdrawn_at"),
        "training": ("application_id", "candidate_id", "cohort_id", "programme", "withdrawn_at"),
        "matching": ("application_id",),
        "notifications": ("application_id", "candidate_id"),
    }

    application_id: UUID = Field(description="The application.")
    candidate_id: UUID = Field(description="The candidate.")
    cohort_id: CohortId = not_personal(description="The cohort.")
    programme: Programme = Field(description="The programme.")
    withdrawn_at: UtcDatetime = Field(description="When the candidate withdrew (UTC).")
    reason: WithdrawalReason = Field(description="Why the candidate withdrew.")


class CandidatePreferencesChanged(Event):
    """Published when a candidate changes, after applying, how and when they can work, how far
    they can travel or which councils may see them.

    Consumed by matching, which updates the candidate's entry in the talent pool (and re-matches
    it): councils the candidate no longer allows cannot find them, and their open matches with
    those councils end. Empty `visible_to_regions` and `visible_to_councils` hide the candidate
    from every council. A change with a lower `sequence` than one already applied is ignored.
    """

    ROUTING_KEY: ClassVar[str] = "candidate.preferences-changed.v1"
    SEQUENCE_OF: ClassVar[str] = "application"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("application_id",)
    SEQUENCE_SET_BY_PRODUCER: ClassVar[bool] = True
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "matching": ("application_id", "candidate_id", "work_preferences"),
    }

    application_id: UUID = Field(description="The application whose preferences changed.")
    candidate_id: UUID = Field(description="The candidate.")
    work_preferences: WorkPreferences = not_personal(
        description="The preferences in full, as they are now (not only what changed)."
    )
    changed_at: UtcDatetime = Field(description="When the candidate changed them (UTC).")


class CandidateErased(Event):
    """Published when a candidate exercises the right to erasure.

    Consumed by every other service (assessment, training, matching, notifications), each of
    which deletes or anonymises everything it holds about the candidate.
    """

    ROUTING_KEY: ClassVar[str] = "candidate.erased.v1"
    SEQUENCE_OF: ClassVar[str] = "candidate"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("candidate_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "assessment": ("candidate_id", "application_ids", "erased_at"),
        "training": ("candidate_id", "application_ids", "erased_at"),
        "matching": ("candidate_id", "application_ids"),
        "notifications": ("candidate_id", "application_ids", "erased_at"),
    }

    candidate_id: UUID = Field(description="The candidate whose data must be erased.")
    application_ids: list[UUID] = Field(description="Every application the candidate made.")
    erased_at: UtcDatetime = Field(description="When the applications service erased it (UTC).")


class CandidateSignInRequested(Event):
    """Published (until version 2 replaced it) when a known candidate asked to sign in.

    Deprecated: it carried the sign-in link itself, a credential any reader of a queue could use.
    Consumed by nobody any more (notifications stopped at once: a link lasts half an hour, and
    whoever did not get one asks again); the model stays until it retires so that dead letters of
    it still parse (to be inspected or erased).
    """

    ROUTING_KEY: ClassVar[str] = "candidate.sign-in-requested.v1"
    SEQUENCE_OF: ClassVar[str] = "candidate's sign-in"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("candidate_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUPERSEDED_BY: ClassVar[str | None] = "candidate.sign-in-requested.v2"
    RETIRES_ON: ClassVar[date | None] = V1_RETIREMENT
    DEPRECATED_ON: ClassVar[date | None] = V1_DEPRECATION

    candidate_id: UUID = Field(description="The candidate.")
    email: EmailStr = personal("Where to send the link.", what="e-mail address")
    given_name: str = personal("Name to greet.", what="name", min_length=1, max_length=200)
    preferred_language: Language = Field(description="Language to write in.")
    link: str = personal_data(
        "a sign-in link for the candidate (a credential)",
        min_length=1,
        max_length=2000,
        description="The sign-in link to send.",
    )
    expires_at: UtcDatetime = Field(description="When the link stops working (UTC).")


class CandidateSignInRequestedV2(Event):
    """Published when a known candidate asks to sign in (or to resume a saved application), or
    when an application sent without signing in must be confirmed from the address it gives.

    Consumed by notifications, which makes the single-use sign-in link itself (signed with the
    platform's token secret, for this candidate only, working until `expires_at`) and e-mails it.
    The event carries what addresses the person and scopes the link, never the link.
    """

    ROUTING_KEY: ClassVar[str] = "candidate.sign-in-requested.v2"
    SEQUENCE_OF: ClassVar[str] = "candidate's sign-in"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("candidate_id",)
    EVENT_TYPE: ClassVar[str] = "CandidateSignInRequested"
    EVENT_VERSION: ClassVar[int] = 2
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "notifications": (
            "candidate_id",
            "email",
            "given_name",
            "preferred_language",
            "next_page",
            "expires_at",
        ),
    }

    candidate_id: UUID = Field(description="The candidate the link signs in.")
    email: EmailStr = personal("Where to send the link.", what="e-mail address")
    given_name: str = personal("Name to greet.", what="name", min_length=1, max_length=200)
    preferred_language: Language = Field(description="Language to write in.")
    next_page: str | None = not_personal(
        default=None,
        max_length=500,
        pattern=NEXT_PAGE_PATTERN,
        description="Where the link leads once signed in: a path on the platform, e.g. "
        "`/applications/my/applications/…` (none: the candidate's applications).",
    )
    expires_at: UtcDatetime = Field(description="When the link must stop working (UTC).")
