"""The applications service's tables, in its own schema `applications`.

Personal data lives in `candidates` (contact) and `applications.answers`; equality monitoring
lives apart in `equality_monitoring`, joined only for aggregate reports.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from rtw_platform.db import service_registry, timestamp_field
from sqlalchemy import BigInteger, Column, Date, Index, Text, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

REGISTRY = service_registry("applications")


class ApplicationsTable(SQLModel, registry=REGISTRY):
    """Base of every table of this service."""


class Cohort(ApplicationsTable, table=True):
    """A programme's intake with its application window."""

    __tablename__ = "cohorts"

    id: str = Field(primary_key=True, max_length=64)
    programme: str = Field(max_length=20)
    title: str = Field(max_length=200)
    opens_on: date = Field(sa_column=Column(Date, nullable=False))
    closes_on: date = Field(sa_column=Column(Date, nullable=False))
    video_required: bool = True
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    #: How many times the window was created or changed (the CohortScheduled sequence).
    revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    #: When assessment closed the cohort's selection (CohortSelectionClosed): nobody starts then.
    selection_closed_at: datetime | None = timestamp_field(nullable=True)


class Candidate(ApplicationsTable, table=True):
    """A person who applies; one per e-mail address."""

    __tablename__ = "candidates"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    email: str | None = Field(default=None, max_length=320, unique=True)
    given_name: str | None = Field(default=None, max_length=200)
    family_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    preferred_language: str = Field(default="en", max_length=5)
    created_at: datetime = timestamp_field()
    erased_at: datetime | None = timestamp_field(nullable=True)


class Application(ApplicationsTable, table=True):
    """A draft or submitted application to a cohort."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("cohort_id", "candidate_id", name="uq_applications_cohort_candidate"),
        UniqueConstraint("client_request_id", name="uq_applications_client_request_id"),
    )

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    number: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True))
    reference: str | None = Field(default=None, max_length=40, unique=True)
    candidate_id: UUID = Field(index=True)
    cohort_id: str = Field(max_length=64, index=True)
    programme: str = Field(max_length=20)
    status: str = Field(max_length=40, index=True)
    client_request_id: str | None = Field(default=None, max_length=100)
    answers: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    region: str | None = Field(default=None, max_length=40)
    consent_given_at: datetime | None = timestamp_field(nullable=True)
    privacy_notice_version: str | None = Field(default=None, max_length=50)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()
    submitted_at: datetime | None = timestamp_field(nullable=True)
    shortlisted_at: datetime | None = timestamp_field(nullable=True)
    second_stage_deadline: datetime | None = timestamp_field(nullable=True)
    final_outcome_at: datetime | None = timestamp_field(nullable=True)
    withdrawn_at: datetime | None = timestamp_field(nullable=True)
    anonymised_at: datetime | None = timestamp_field(nullable=True)
    event_sequence: int = 0
    #: Disability Confident: the candidate declared a disability and opted into a guaranteed
    #: second stage (shortlisted whenever they meet the minimum criteria).
    guaranteed_second_stage: bool = Field(default=False, sa_column_kwargs={"server_default": "false"})


class SecondStageSubmission(ApplicationsTable, table=True):
    """A shortlisted candidate's second-stage answers and video (stored in the file store)."""

    __tablename__ = "second_stage_submissions"

    application_id: UUID = Field(primary_key=True)
    answers: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    video_key: str | None = Field(default=None, max_length=300)
    video_content_type: str | None = Field(default=None, max_length=40)
    video_size_bytes: int | None = None
    video_sha256: str | None = Field(default=None, max_length=64)
    #: Written answers given instead of the video (an agreed reasonable adjustment).
    written_alternative: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    submitted_at: datetime = timestamp_field()


class SecondStageDraft(ApplicationsTable, table=True):
    """Second-stage answers saved before sending (the video is chosen when sending); deleted when
    the second stage is sent, and with the application when the candidate is erased."""

    __tablename__ = "second_stage_drafts"

    application_id: UUID = Field(primary_key=True)
    answers: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    saved_at: datetime = timestamp_field()


class JourneyEntry(ApplicationsTable, table=True):
    """One dated step of an application's journey, from the event that made it."""

    __tablename__ = "journey_entries"

    event_id: UUID = Field(primary_key=True)
    application_id: UUID = Field(index=True)
    stage: str = Field(max_length=40)
    detail: str | None = Field(default=None, max_length=300)
    codes: list[str] | None = Field(
        default=None, sa_column=Column(JSONB, nullable=True), description="Reason codes, for reports."
    )
    occurred_at: datetime = timestamp_field()


class AssessmentDecision(ApplicationsTable, table=True):
    """An assessment decision about an application, as AssessmentScored told it: kept for the
    candidate's subject-access export (the outcome, its score and why). Erased with them."""

    __tablename__ = "assessment_decisions"

    event_id: UUID = Field(primary_key=True)
    application_id: UUID = Field(index=True)
    stage: str = Field(max_length=40)
    outcome: str = Field(max_length=40)
    decision_kind: str = Field(max_length=40)
    score: float | None = None
    breakdown: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    reasons: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    rule_set_version: str = Field(max_length=50)
    rubric_version: str | None = Field(default=None, max_length=50)
    rank: int | None = None
    next_step_deadline: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    decided_at: datetime = timestamp_field()


class MatchProposal(ApplicationsTable, table=True):
    """A vacancy matching proposed for an application, with its score and factors (the latest
    MatchProposed of each match): kept for the subject-access export. Erased with the candidate."""

    __tablename__ = "match_proposals"

    match_id: UUID = Field(primary_key=True)
    application_id: UUID = Field(index=True)
    vacancy_id: UUID
    council_id: UUID
    score: float
    factors: list[dict[str, Any]] = Field(sa_column=Column(JSONB, nullable=False))
    weights_version: str = Field(max_length=50)
    proposed_at: datetime = timestamp_field()


class EqualityMonitoringAnswers(ApplicationsTable, table=True):
    """Optional equality-monitoring answers, apart from the application."""

    __tablename__ = "equality_monitoring"

    application_id: UUID = Field(primary_key=True)
    cohort_id: str = Field(max_length=64, index=True)
    programme: str = Field(max_length=20)
    answers: dict[str, Any] = Field(sa_column=Column(JSONB, nullable=False))
    recorded_at: datetime = timestamp_field()


class AnonymisedApplication(ApplicationsTable, table=True):
    """What the programme's reports still count of an application whose person was erased (or
    whose retention period ended), built by `reports.anonymised`: the reports' dimensions only,
    under a new random id. No name, contact, answer in the person's words, application or
    candidate id, reference or date: steps are kept as times after the application started."""

    __tablename__ = "anonymised_applications"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    programme: str = Field(max_length=20)
    cohort_id: str = Field(max_length=64, index=True)
    region: str | None = Field(default=None, max_length=40)
    postcode_district: str | None = Field(default=None, max_length=8)
    max_travel_km: float | None = None
    steps: dict[str, int] = Field(
        sa_column=Column(JSONB, nullable=False), description="Funnel step -> microseconds after starting."
    )
    codes: dict[str, list[str]] = Field(
        sa_column=Column(JSONB, nullable=False), description="Stage -> reason codes the funnel counts."
    )
    equality: dict[str, str] = Field(
        sa_column=Column(JSONB, nullable=False), description="Fairness question -> answer."
    )
    hires: list[dict[str, Any]] = Field(
        sa_column=Column(JSONB, nullable=False), description="Council id and hours of each hire."
    )


class UsedSignInToken(ApplicationsTable, table=True):
    """Sign-in links already used (each works once)."""

    __tablename__ = "used_sign_in_tokens"

    token_hash: str = Field(primary_key=True, max_length=64)
    used_at: datetime = timestamp_field()


class ReportCouncil(ApplicationsTable, table=True):
    """A council that signed up (from CouncilRegistered), for the reach report."""

    __tablename__ = "report_councils"

    id: UUID = Field(primary_key=True)
    gss_code: str = Field(max_length=9)
    name: str = Field(max_length=200)
    region: str = Field(max_length=40)
    registered_at: datetime = timestamp_field()


class ReportVacancy(ApplicationsTable, table=True):
    """A vacancy (from VacancyPosted), for the reach report."""

    __tablename__ = "report_vacancies"

    id: UUID = Field(primary_key=True)
    council_id: UUID
    programme: str = Field(max_length=20)
    work_mode: str = Field(max_length=20)
    bases: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    posted_at: datetime = timestamp_field()


class Hire(ApplicationsTable, table=True):
    """A hire (from CandidateHired), for the savings and reach reports."""

    __tablename__ = "hires"

    match_id: UUID = Field(primary_key=True)
    application_id: UUID = Field(index=True)
    council_id: UUID
    hours_per_week: float
    salary_min_pence: int
    salary_max_pence: int
    start_date: date = Field(sa_column=Column(Date, nullable=False))
    hired_at: datetime = timestamp_field()


class RateLimitWindow(ApplicationsTable, table=True):
    """Requests for e-mailed links counted per address and per client in fixed windows
    (rtw_platform.rate_limits). Keys are keyed hashes: no address is stored."""

    __tablename__ = "rate_limit_windows"
    __table_args__ = (Index("ix_rate_limit_windows_expires_at", "expires_at"),)

    key: str = Field(primary_key=True, max_length=64)
    window_started_at: datetime = timestamp_field()
    hits: int
    expires_at: datetime = timestamp_field()


class AdjustmentRequest(ApplicationsTable, table=True):
    """A candidate's request for reasonable adjustments (any stage), and staff's decision on it.

    What is asked and why may reveal a disability (special-category data): it stays here, read
    by the candidate, the programme's admins and, in aggregate only, the fairness report; only
    the agreed kinds travel to assessment with the second stage. Erased with the candidate."""

    __tablename__ = "adjustment_requests"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    application_id: UUID = Field(index=True)
    candidate_id: UUID = Field(index=True)
    stage: str = Field(max_length=40)
    kinds: list[str] = Field(sa_column=Column(JSONB, nullable=False))
    details: str = Field(default="", max_length=2000)
    status: str = Field(max_length=20, index=True)
    agreed_kinds: list[str] = Field(default_factory=list, sa_column=Column(JSONB, nullable=False))
    extra_minutes: int | None = None
    reason: str | None = Field(default=None, max_length=2000)
    decided_by: str | None = Field(default=None, max_length=200)
    requested_at: datetime = timestamp_field()
    decided_at: datetime | None = timestamp_field(nullable=True)
