"""The training service's tables, in its own schema `training`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from rtw_platform.db import json_field, service_registry, timestamp_field
from sqlalchemy import Column, Date, UniqueConstraint
from sqlmodel import Field, SQLModel

REGISTRY = service_registry("training")


class TrainingTable(SQLModel, registry=REGISTRY):
    """Base of every table of this service."""


class Learner(TrainingTable, table=True):
    """What training knows of a candidate's application: the name for the certificate, when
    they last practised (for the CPD rule) and the latest assessment outcome."""

    __tablename__ = "learners"

    application_id: UUID = Field(primary_key=True)
    candidate_id: UUID = Field(index=True)
    cohort_id: str = Field(max_length=64)
    programme: str = Field(max_length=20)
    given_name: str | None = Field(default=None, max_length=200)
    family_name: str | None = Field(default=None, max_length=200)
    last_practised: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    assessment_stage: str | None = Field(default=None, max_length=20)
    assessment_outcome: str | None = Field(default=None, max_length=20)
    assessment_sequence: int = 0
    decided_at: datetime | None = timestamp_field(nullable=True)
    erased_at: datetime | None = timestamp_field(nullable=True)
    withdrawn_at: datetime | None = timestamp_field(nullable=True)


class Provider(TrainingTable, table=True):
    """A training provider, the cohorts it trains, and the secret its LMS signs webhooks with."""

    __tablename__ = "providers"

    id: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=200)
    cohorts: list[str] = json_field()
    lms_secret: str | None = Field(default=None, max_length=200)
    active: bool = Field(default=True, sa_column_kwargs={"server_default": "true"})
    created_at: datetime = timestamp_field()


class Enrolment(TrainingTable, table=True):
    """A selected candidate on a curriculum (the version they started on)."""

    __tablename__ = "enrolments"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    application_id: UUID = Field(unique=True)
    candidate_id: UUID = Field(index=True)
    cohort_id: str = Field(max_length=64, index=True)
    programme: str = Field(max_length=20)
    curriculum_id: str = Field(max_length=60)
    curriculum_version: str = Field(max_length=20)
    status: str = Field(max_length=20)
    years_out_of_practice: float | None = None
    enrolled_at: datetime = timestamp_field()
    completed_at: datetime | None = timestamp_field(nullable=True)
    withdrawn_at: datetime | None = timestamp_field(nullable=True)
    sequence: int = 0


class ModuleProgress(TrainingTable, table=True):
    """A learner's progress on one module."""

    __tablename__ = "module_progress"

    enrolment_id: UUID = Field(primary_key=True)
    module_id: str = Field(primary_key=True, max_length=60)
    status: str = Field(max_length=20)
    hours: float | None = None
    result: str | None = Field(default=None, max_length=20)
    source: str = Field(max_length=20)
    started_at: datetime | None = timestamp_field(nullable=True)
    completed_at: datetime | None = timestamp_field(nullable=True)
    announced_at: datetime | None = timestamp_field(nullable=True)
    """When TrainingModuleCompleted was published for it: once, even if a correction takes the
    completion back and it is recorded again."""


class ModuleCorrection(TrainingTable, table=True):
    """A provider's correction of a recorded outcome: before, after, why, who and when."""

    __tablename__ = "module_corrections"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    enrolment_id: UUID = Field(index=True)
    module_id: str = Field(max_length=60)
    previous_status: str = Field(max_length=20)
    previous_result: str | None = Field(default=None, max_length=20)
    previous_hours: float | None = None
    status: str = Field(max_length=20)
    result: str | None = Field(default=None, max_length=20)
    hours: float | None = None
    reason: str = Field(max_length=500)
    corrected_by: str = Field(max_length=200)
    corrected_at: datetime = timestamp_field()


class CpdRecord(TrainingTable, table=True):
    """A day (or part) of continuing professional development."""

    __tablename__ = "cpd_entries"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    enrolment_id: UUID = Field(index=True)
    day: date = Field(sa_column=Column(Date, nullable=False))
    days: float
    kind: str = Field(max_length=20)
    description: str = Field(max_length=1000)
    recorded_by: str = Field(max_length=200)
    recorded_at: datetime = timestamp_field()


class Certificate(TrainingTable, table=True):
    """A signed certificate of completion."""

    __tablename__ = "certificates"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    enrolment_id: UUID = Field(unique=True)
    candidate_id: UUID = Field(index=True)
    facts: dict[str, Any] = json_field()
    signature: str = Field(max_length=200)
    issued_at: datetime = timestamp_field()
    revoked_at: datetime | None = timestamp_field(nullable=True)


class LmsLearner(TrainingTable, table=True):
    """Which enrolment a provider's LMS user id is."""

    __tablename__ = "lms_learners"

    provider_id: str = Field(primary_key=True, max_length=100)
    lms_user_id: str = Field(primary_key=True, max_length=100)
    enrolment_id: UUID


class LmsModule(TrainingTable, table=True):
    """Which curriculum module a provider's LMS course module (cmid) is."""

    __tablename__ = "lms_modules"

    provider_id: str = Field(primary_key=True, max_length=100)
    lms_module_id: str = Field(primary_key=True, max_length=100)
    module_id: str = Field(max_length=60)


class Recommendation(TrainingTable, table=True):
    """Modules recommended to close a candidate's skill gaps for a vacancy they nearly fit."""

    __tablename__ = "recommendations"
    __table_args__ = (UniqueConstraint("candidate_id", "vacancy_id"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    candidate_id: UUID = Field(index=True)
    application_id: UUID
    vacancy_id: UUID
    gaps: list[dict[str, Any]] = json_field()
    modules: list[dict[str, Any]] = json_field()
    created_at: datetime = timestamp_field()


class ErasedEnrolments(TrainingTable, table=True):
    """How many of a cohort's enrolments were erased, by the status each had then: the cohort's
    counts keep them without the person (their enrolment rows are deleted)."""

    __tablename__ = "erased_enrolments"

    cohort_id: str = Field(primary_key=True, max_length=64)
    status: str = Field(primary_key=True, max_length=20)
    count: int = 0
