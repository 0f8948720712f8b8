"""The matching service's tables, in its own schema `matching`.

Talent-pool profiles hold facts only; the few contact details are apart (`candidate_contacts`)
and reach a council only after the candidate accepts its reach-out.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from rtw_platform.db import json_field, service_registry, timestamp_field
from sqlalchemy import Column, Date, Index, String, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Field, SQLModel

REGISTRY = service_registry("matching")


def _texts() -> Any:
    return Field(default_factory=list, sa_column=Column(ARRAY(String), nullable=False))


class MatchingTable(SQLModel, registry=REGISTRY):
    """Base of every table of this service."""


class Council(MatchingTable, table=True):
    """A council claimed by someone who signed it up; it sees returners only once a programme
    admin approved a claim (`status` approved). The contact is the approved claim's (until then,
    the first claimant's)."""

    __tablename__ = "councils"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    gss_code: str = Field(max_length=9, unique=True)
    name: str = Field(max_length=200)
    region: str = Field(max_length=40)
    nation: str = Field(max_length=40)
    contact_name: str = Field(max_length=200)
    contact_email: str = Field(max_length=320)
    specialisms_needed: list[str] = _texts()
    flexible_working_offered: list[str] = _texts()
    registered_at: datetime = timestamp_field()
    status: str = Field(
        default="pending",
        max_length=20,
        sa_column_kwargs={"server_default": "pending"},
        description="pending (claimed, not approved yet), approved, or rejected (every claim).",
    )
    approved_at: datetime | None = timestamp_field(nullable=True)


class CouncilClaim(MatchingTable, table=True):
    """Someone's claim to act for a council, made by signing it up: a programme admin approves
    it (the claimant becomes the council's first recruiter) or rejects it with a reason."""

    __tablename__ = "council_claims"
    __table_args__ = (Index("ix_council_claims_status", "status", "claimed_at"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    council_id: UUID = Field(index=True)
    contact_name: str = Field(max_length=200)
    contact_email: str = Field(max_length=320)
    contact_domain: str = Field(max_length=255)
    specialisms_needed: list[str] = _texts()
    flexible_working_offered: list[str] = _texts()
    status: str = Field(max_length=20)
    claimed_at: datetime = timestamp_field()
    decided_at: datetime | None = timestamp_field(nullable=True)
    decided_by: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=500)


class Recruiter(MatchingTable, table=True):
    """Someone who acts for a council."""

    __tablename__ = "recruiters"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    council_id: UUID = Field(index=True)
    name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    invited_at: datetime = timestamp_field()


class Vacancy(MatchingTable, table=True):
    """A council's vacancy."""

    __tablename__ = "vacancies"
    __table_args__ = (
        Index("ix_vacancies_open", "programme", "status"),
        # The open vacancies a candidate could be seen for (matching reads only these columns).
        Index(
            "ix_vacancies_visible",
            "programme",
            "region",
            "gss_code",
            postgresql_include=["id"],
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    council_id: UUID = Field(index=True)
    gss_code: str = Field(max_length=9)
    region: str = Field(max_length=40)
    title: str = Field(max_length=200)
    programme: str = Field(max_length=20)
    specialism: str | None = Field(default=None, max_length=60)
    role: str = Field(max_length=100)
    role_level: str = Field(max_length=100)
    required_skills: dict[str, int] = json_field()
    bases: list[dict[str, Any]] = json_field()
    work_mode: str = Field(max_length=20)
    flexible_working: list[str] = _texts()
    salary_min_pence: int
    salary_max_pence: int
    hours_per_week: float
    closing_date: date = Field(sa_column=Column(Date, nullable=False))
    interview_required: bool = False  # a hire needs an interview recorded first
    status: str = Field(max_length=20)
    posted_at: datetime = timestamp_field()
    description: str | None = Field(
        default=None, max_length=4000, description="What the job is, in the council's words (plain text)."
    )


class CandidateProfile(MatchingTable, table=True):
    """A pseudonymous talent-pool profile: ids, codes and facts, never a name or contact."""

    __tablename__ = "candidate_profiles"
    __table_args__ = (
        Index("ix_profiles_pool", "programme", "in_pool", "latitude"),
        Index("ix_profiles_visible_regions", "visible_regions", postgresql_using="gin"),
        Index("ix_profiles_visible_councils", "visible_councils", postgresql_using="gin"),
        Index("ix_profiles_specialisms", "specialisms", postgresql_using="gin"),
        Index("ix_profiles_flexible", "flexible_working", postgresql_using="gin"),
    )

    application_id: UUID = Field(primary_key=True)
    candidate_id: UUID = Field(index=True)
    programme: str = Field(max_length=20)
    cohort_id: str = Field(max_length=64)
    postcode_district: str = Field(max_length=8)
    latitude: float
    longitude: float
    region: str = Field(max_length=40)
    specialisms: list[str] = _texts()
    skills: dict[str, int] = json_field()
    years_experience: float
    flexible_working: list[str] = _texts()
    max_travel_km: float
    visible_regions: list[str] = _texts()
    visible_councils: list[str] = _texts()
    earliest_start: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    #: The sequence of the event the preferences above came from (an older one changes nothing).
    preferences_sequence: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    assessment_outcome: str | None = Field(default=None, max_length=20)
    assessment_sequence: int = 0
    in_pool: bool = False
    training_status: str = Field(default="none", max_length=20)
    modules_completed: int = 0
    modules_total: int = 0
    withdrawn: bool = False
    updated_at: datetime = timestamp_field()


class AssessmentOutcomeRecord(MatchingTable, table=True):
    """The latest assessment outcome per application, whichever of the events arrives first."""

    __tablename__ = "assessment_outcomes"

    application_id: UUID = Field(primary_key=True)
    candidate_id: UUID = Field(index=True)
    outcome: str = Field(max_length=20)
    sequence: int = 0


class CandidateContact(MatchingTable, table=True):
    """Contact details, released to a council only after the candidate accepts its reach-out."""

    __tablename__ = "candidate_contacts"

    candidate_id: UUID = Field(primary_key=True)
    given_name: str = Field(max_length=200)
    family_name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    phone: str | None = Field(
        default=None, max_length=30, description="Only if the candidate gave it for a council to call."
    )


class MatchWeights(MatchingTable, table=True):
    """A version of the scoring weights; the highest is in force."""

    __tablename__ = "weights"

    version: int = Field(primary_key=True)
    weights: dict[str, Any] = json_field()
    created_by: str = Field(max_length=200)
    created_at: datetime = timestamp_field()


class CandidateMatch(MatchingTable, table=True):
    """A candidate and a vacancy: the score, and how far the council and candidate have got."""

    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("vacancy_id", "application_id"),
        # A vacancy's proposals, weakest first, without reading the (wide) rows: matching looks
        # up how many stand and which could give way to a better candidate.
        Index(
            "ix_matches_proposals",
            "vacancy_id",
            "score",
            "id",
            postgresql_include=["status"],
            postgresql_where=text("proposed_score IS NOT NULL"),
        ),
    )

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    # No index of its own: the unique (vacancy_id, application_id) index serves it.
    vacancy_id: UUID
    council_id: UUID = Field(index=True)
    application_id: UUID = Field(index=True)
    candidate_id: UUID = Field(index=True)
    score: float
    factors: list[dict[str, Any]] = json_field()
    weights_version: str = Field(max_length=40)
    status: str = Field(max_length=20)
    proposed_score: float | None = None
    proposed_at: datetime | None = timestamp_field(nullable=True)
    interview_at: datetime | None = timestamp_field(nullable=True)
    updated_at: datetime = timestamp_field()
    reach_out_message: str | None = Field(
        default=None,
        max_length=1000,
        description="The council's message to the candidate with its reach-out (erased with the match).",
    )
    interview_id: UUID | None = Field(default=None, description="The latest interview invitation's id.")
    interview_place: str | None = Field(default=None, max_length=300, description="Where the interview is.")


class Interview(MatchingTable, table=True):
    """One interview of a match: the times the council proposed (`slots`, each {"starts_at": ISO
    UTC, "place": text}), then the one the candidate booked, then the council's feedback. Erased
    with the candidate (CandidateErased)."""

    __tablename__ = "interviews"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    match_id: UUID = Field(index=True)
    council_id: UUID = Field(index=True)
    candidate_id: UUID = Field(index=True)
    stage: int
    minutes: int
    slots: list[dict[str, Any]] = json_field()
    status: str = Field(max_length=20)  # proposed | booked | superseded
    starts_at: datetime | None = timestamp_field(nullable=True)
    place: str | None = Field(default=None, max_length=300)
    proposed_at: datetime = timestamp_field()
    booked_at: datetime | None = timestamp_field(nullable=True)
    feedback: dict[str, Any] | None = json_field(nullable=True)
    feedback_at: datetime | None = timestamp_field(nullable=True)


class Offer(MatchingTable, table=True):
    """A council's offer of the job to a matched candidate, and the candidate's answer. Erased
    with the candidate (CandidateErased)."""

    __tablename__ = "offers"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    match_id: UUID = Field(index=True)
    council_id: UUID = Field(index=True)
    candidate_id: UUID = Field(index=True)
    salary_pence: int
    start_date: date = Field(sa_column=Column(Date, nullable=False))
    hours_per_week: float
    contract: str = Field(max_length=20)
    status: str = Field(max_length=20)  # made | accepted | declined | withdrawn
    made_at: datetime = timestamp_field()
    answered_at: datetime | None = timestamp_field(nullable=True)


class ErasedMatchTally(MatchingTable, table=True):
    """What erased candidates' matches added to a vacancy's counts, kept without them: how many
    the platform proposed and how many were hired. The numbers a council sees (and the vacancy's
    status) stay as they were after the candidates and their matches are gone."""

    __tablename__ = "erased_match_tallies"

    vacancy_id: UUID = Field(primary_key=True)
    council_id: UUID = Field(index=True)
    proposed: int = 0
    hired: int = 0


class SkillGapSignal(MatchingTable, table=True):
    """The last skill gaps sent for a candidate and vacancy (sent again only when they change)."""

    __tablename__ = "skill_gap_signals"

    application_id: UUID = Field(primary_key=True)
    vacancy_id: UUID = Field(primary_key=True)
    gaps_key: str = Field(max_length=64)
    sent_at: datetime = timestamp_field()


class SavedSearch(MatchingTable, table=True):
    """A council's saved talent-pool search, which alerts when new candidates match it."""

    __tablename__ = "saved_searches"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    council_id: UUID = Field(index=True)
    name: str = Field(max_length=200)
    filters: dict[str, Any] = json_field()
    created_by: str = Field(max_length=200)
    created_at: datetime = timestamp_field()
    alerts_on: bool = True  # off: no alerts are raised for it (turning on again starts afresh)


class SearchAlert(MatchingTable, table=True):
    """A new candidate matching a saved search."""

    __tablename__ = "search_alerts"
    __table_args__ = (UniqueConstraint("saved_search_id", "application_id"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    saved_search_id: UUID = Field(index=True)
    council_id: UUID = Field(index=True)
    application_id: UUID
    created_at: datetime = timestamp_field()
    seen_at: datetime | None = timestamp_field(nullable=True)


class Departure(MatchingTable, table=True):
    """A candidate who left (withdrew an application, or was erased), kept even if the event
    overtakes the application's own, so the candidate never joins the pool afterwards."""

    __tablename__ = "departures"

    id: UUID = Field(primary_key=True, description="The application (withdrawal) or candidate (erasure).")
    kind: str = Field(max_length=20)
    at: datetime = timestamp_field()


class UsedSignInToken(MatchingTable, table=True):
    """Recruiters' sign-in links already used (each works once)."""

    __tablename__ = "used_sign_in_tokens"

    token_hash: str = Field(primary_key=True, max_length=64)
    used_at: datetime = timestamp_field()


class RateLimitWindow(MatchingTable, table=True):
    """Requests for e-mailed links counted per address and per client in fixed windows
    (rtw_platform.rate_limits). Keys are keyed hashes: no address is stored."""

    __tablename__ = "rate_limit_windows"
    __table_args__ = (Index("ix_rate_limit_windows_expires_at", "expires_at"),)

    key: str = Field(primary_key=True, max_length=64)
    window_started_at: datetime = timestamp_field()
    hits: int
    expires_at: datetime = timestamp_field()
