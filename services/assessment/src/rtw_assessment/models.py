"""The assessment service's tables, in its own schema `assessment`.

It keeps no name or contact detail: candidates are ids, and their applications are the facts
screening needs.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from rtw_platform.db import json_field, service_registry, timestamp_field
from sqlalchemy import Column, Date, UniqueConstraint
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

REGISTRY = service_registry("assessment")


class AssessmentTable(SQLModel, registry=REGISTRY):
    """Base of every table of this service."""


class ScheduledCohort(AssessmentTable, table=True):
    """A cohort as applications scheduled it (CohortScheduled): its title and application window."""

    __tablename__ = "scheduled_cohorts"

    cohort_id: str = Field(primary_key=True, max_length=64)
    programme: str = Field(max_length=20)
    title: str = Field(max_length=200)
    opens_on: date = Field(sa_column=Column(Date, nullable=False))
    closes_on: date = Field(sa_column=Column(Date, nullable=False))
    video_required: bool = True
    sequence: int = 0
    changed_at: datetime = timestamp_field()


class CohortConfigVersion(AssessmentTable, table=True):
    """One version of a cohort's configuration; the highest version is in force."""

    __tablename__ = "cohort_configs"

    cohort_id: str = Field(primary_key=True, max_length=64)
    version: int = Field(primary_key=True)
    programme: str = Field(max_length=20)
    config: dict[str, Any] = json_field()
    created_by: str = Field(max_length=200)
    created_at: datetime = timestamp_field()


class Candidacy(AssessmentTable, table=True):
    """An application as assessment sees it: the facts screening uses, and where it stands."""

    __tablename__ = "candidacies"

    application_id: UUID = Field(primary_key=True)
    candidate_id: UUID = Field(index=True)
    cohort_id: str = Field(max_length=64, index=True)
    programme: str = Field(max_length=20)
    submitted_at: datetime = timestamp_field()
    facts: dict[str, Any] = json_field()
    stage1_score: float | None = None
    screening_outcome: str | None = Field(default=None, max_length=20)
    second_stage_submitted_at: datetime | None = timestamp_field(nullable=True)
    second_stage: dict[str, Any] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    second_stage_score: float | None = None
    final_score: float | None = None
    calibration: list[str] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    selection_outcome: str | None = Field(default=None, max_length=20)
    rank: int | None = None
    withdrawn_at: datetime | None = timestamp_field(nullable=True)
    erased_at: datetime | None = timestamp_field(nullable=True)
    sequence: int = 0
    training_enrolled_at: datetime | None = timestamp_field(nullable=True)
    training_completed_at: datetime | None = timestamp_field(nullable=True)
    hired_at: datetime | None = timestamp_field(nullable=True)


class Decision(AssessmentTable, table=True):
    """Every decision, with its inputs, the versions it used and why (append-only)."""

    __tablename__ = "decisions"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    application_id: UUID = Field(index=True)
    cohort_id: str = Field(max_length=64, index=True)
    stage: str = Field(max_length=20)
    outcome: str = Field(max_length=20)
    decision_kind: str = Field(max_length=20)
    score: float | None = None
    breakdown: list[dict[str, Any]] = json_field()
    reasons: list[dict[str, Any]] = json_field()
    inputs: dict[str, Any] = json_field()
    config_version: int
    rule_set_version: str = Field(max_length=40)
    rubric_version: str | None = Field(default=None, max_length=40)
    justification: str | None = None
    decided_by: str = Field(max_length=200)
    decided_at: datetime = timestamp_field()
    event_id: UUID


class Assessor(AssessmentTable, table=True):
    """Someone who scores second-stage submissions."""

    __tablename__ = "assessors"

    id: str = Field(primary_key=True, max_length=100)
    display_name: str = Field(max_length=200)
    programmes: list[str] = json_field()
    active: bool = True
    created_at: datetime = timestamp_field()


class Assignment(AssessmentTable, table=True):
    """An assessor asked to score one candidate's second stage."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("application_id", "assessor_id"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    application_id: UUID = Field(index=True)
    assessor_id: str = Field(max_length=100, index=True)
    status: str = Field(max_length=20)
    assigned_at: datetime = timestamp_field()


class Scorecard(AssessmentTable, table=True):
    """An assessor's scores for one assignment."""

    __tablename__ = "scorecards"

    assignment_id: UUID = Field(primary_key=True)
    application_id: UUID = Field(index=True)
    assessor_id: str = Field(max_length=100)
    scores: dict[str, int] = json_field()
    recommendation: str = Field(max_length=20)
    comments: str = ""
    rubric_version: str = Field(max_length=40)
    submitted_at: datetime = timestamp_field()
    changed_at: datetime | None = timestamp_field(nullable=True)
    changes: int = 0


class Calibration(AssessmentTable, table=True):
    """Two (or more) assessors who disagree about a candidate, and how the disagreement was
    resolved: a third assessor's scorecard, a correction that made them agree, or an admin's
    moderated scores with the reason. Open ones block the cohort's selection."""

    __tablename__ = "calibrations"

    application_id: UUID = Field(primary_key=True)
    cohort_id: str = Field(max_length=64, index=True)
    status: str = Field(max_length=20)
    reasons: list[str] = json_field()
    opened_at: datetime = timestamp_field()
    third_assignment_id: UUID | None = None
    moderated_scores: dict[str, int] | None = Field(default=None, sa_column=Column(JSONB, nullable=True))
    moderated_score: float | None = None
    moderation_reason: str | None = None
    resolved_by: str | None = Field(default=None, max_length=200)
    resolved_at: datetime | None = timestamp_field(nullable=True)


class ConflictOfInterest(AssessmentTable, table=True):
    """An assessor must not assess this candidate."""

    __tablename__ = "conflicts"

    assessor_id: str = Field(primary_key=True, max_length=100)
    candidate_id: UUID = Field(primary_key=True)
    reason: str = Field(max_length=500)
    declared_by: str = Field(max_length=200)
    declared_at: datetime = timestamp_field()


class Appeal(AssessmentTable, table=True):
    """A candidate's appeal against an ineligible decision, and the admin's answer."""

    __tablename__ = "appeals"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    application_id: UUID = Field(index=True)
    candidate_id: UUID
    #: The decision appealed against: one appeal per decision (null on appeals made before this
    #: was recorded, which were one per application).
    decision_id: UUID | None = Field(default=None, unique=True)
    grounds: str
    status: str = Field(max_length=20)
    decision_reason: str | None = None
    decided_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = timestamp_field()
    decided_at: datetime | None = timestamp_field(nullable=True)


class CohortClosure(AssessmentTable, table=True):
    """When shortlisting or selection of a cohort was closed, and by whom."""

    __tablename__ = "cohort_closures"

    cohort_id: str = Field(primary_key=True, max_length=64)
    step: str = Field(primary_key=True, max_length=20)
    config_version: int
    closed_by: str = Field(max_length=200)
    closed_at: datetime = timestamp_field()


class SelectionReopening(AssessmentTable, table=True):
    """A confirmed selection an admin reopened within its window: when it had been confirmed and
    by whom, who reopened it, when and why, and how many decisions it took back (kept for good)."""

    __tablename__ = "selection_reopenings"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    cohort_id: str = Field(max_length=64, index=True)
    config_version: int
    closed_by: str = Field(max_length=200)
    closed_at: datetime = timestamp_field()
    reopened_by: str = Field(max_length=200)
    reopened_at: datetime = timestamp_field()
    reason: str = Field(max_length=2000)
    decisions_taken_back: int
