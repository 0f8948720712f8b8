"""Events published by the training service."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from rtw_contracts.envelope import Event, not_personal
from rtw_contracts.types import CohortId, Programme, SkillClaim, TrainingModuleRef, UtcDatetime

__all__ = ["TrainingCompleted", "TrainingEnrolled", "TrainingModuleCompleted", "TrainingProviderChanged"]

_PRODUCER = "training"


class TrainingEnrolled(Event):
    """Published when a selected candidate is enrolled on the cohort's curriculum.

    Consumed by applications (the candidate's journey), assessment (the cohort's state),
    matching (training progress in the talent-pool profile) and notifications (welcome to
    training).
    """

    ROUTING_KEY: ClassVar[str] = "training.enrolled.v1"
    SEQUENCE_OF: ClassVar[str] = "enrolment"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("enrolment_id",)
    SEQUENCE_SET_BY_PRODUCER: ClassVar[bool] = True
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "applications": ("application_id", "enrolled_at"),
        "assessment": ("application_id", "enrolled_at"),
        "matching": ("application_id", "modules"),
        "notifications": ("application_id", "candidate_id", "programme", "modules", "expected_end"),
    }

    enrolment_id: UUID = Field(description="The enrolment.")
    application_id: UUID = Field(description="The application that was selected.")
    candidate_id: UUID = Field(description="The candidate.")
    programme: Programme = Field(description="The programme.")
    cohort_id: CohortId = not_personal(description="The cohort.")
    curriculum_id: str = not_personal(
        min_length=1, max_length=100, description="The curriculum (a configuration slug)."
    )
    curriculum_version: str = not_personal(
        min_length=1, max_length=50, description="Version of the curriculum enrolled on."
    )
    modules: list[TrainingModuleRef] = not_personal(description="The curriculum's modules.")
    enrolled_at: UtcDatetime = Field(description="When the candidate was enrolled (UTC).")
    expected_end: date | None = Field(
        default=None, description="When the training is expected to end, if known."
    )


class TrainingModuleCompleted(Event):
    """Published when a candidate completes a training module (recorded or from an LMS).

    Consumed by applications (the candidate's journey) and matching (skills and training
    progress in the talent-pool profile).
    """

    ROUTING_KEY: ClassVar[str] = "training.module-completed.v1"
    SEQUENCE_OF: ClassVar[str] = "enrolment"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("enrolment_id",)
    SEQUENCE_SET_BY_PRODUCER: ClassVar[bool] = True
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "applications": ("application_id", "module_title", "completed_at"),
        "matching": ("application_id", "skills"),
    }

    enrolment_id: UUID = Field(description="The enrolment.")
    application_id: UUID = Field(description="The application.")
    candidate_id: UUID = Field(description="The candidate.")
    module_id: str = not_personal(min_length=1, max_length=100, description="The module completed.")
    module_title: str = not_personal(min_length=1, max_length=300, description="The module's title.")
    hours: float = Field(ge=0, le=1000, description="Learning hours (CPD) the module counts for.")
    skills: list[SkillClaim] = not_personal(description="Skills the module develops, with levels.")
    completed_at: UtcDatetime = Field(description="When the module was completed (UTC).")


class TrainingCompleted(Event):
    """Published when a candidate completes the curriculum and a certificate is issued.

    Consumed by applications (the candidate's journey and reports), assessment (the cohort's
    state: the returner moves from training to matching), matching (marks the
    profile as trained and adds the skills gained) and notifications (congratulations, with
    the certificate).
    """

    ROUTING_KEY: ClassVar[str] = "training.completed.v1"
    SEQUENCE_OF: ClassVar[str] = "enrolment"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("enrolment_id",)
    SEQUENCE_SET_BY_PRODUCER: ClassVar[bool] = True
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "applications": ("application_id", "certificate_id", "completed_at"),
        "assessment": ("application_id", "completed_at"),
        "matching": ("application_id", "skills_gained"),
        "notifications": ("application_id", "candidate_id", "certificate_id"),
    }

    enrolment_id: UUID = Field(description="The enrolment.")
    application_id: UUID = Field(description="The application.")
    candidate_id: UUID = Field(description="The candidate.")
    programme: Programme = Field(description="The programme.")
    certificate_id: UUID = Field(description="The certificate issued.")
    skills_gained: list[SkillClaim] = not_personal(description="Skills gained through the training.")
    completed_at: UtcDatetime = Field(description="When the training was completed (UTC).")


class TrainingProviderChanged(Event):
    """Published when a programme admin registers a training provider, changes its name or
    cohorts, or retires or reactivates it (pages or `PUT /providers/{id}`). No e-mail address and
    no link: notifications holds the trainers' addresses and makes the links (docs/notifications.md,
    "Staff directory").

    Consumed by notifications (whether an address registered for one of the provider's trainers
    may be sent a sign-in link). A later change supersedes an earlier one (`changed_at`).
    """

    ROUTING_KEY: ClassVar[str] = "training.provider-changed.v1"
    SEQUENCE_OF: ClassVar[str] = "training provider"
    SEQUENCE_KEY: ClassVar[tuple[str, ...]] = ("provider_id",)
    EVENT_VERSION: ClassVar[int] = 1
    PRODUCER: ClassVar[str] = _PRODUCER
    SUBSCRIBERS: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "notifications": ("provider_id", "name", "active", "changed_at"),
    }

    provider_id: str = not_personal(min_length=1, max_length=100, description="The provider's id.")
    name: str = not_personal(min_length=1, max_length=200, description="The provider's name.")
    cohorts: list[CohortId] = not_personal(description="The cohorts it trains.")
    active: bool = Field(description="Whether it is active (a retired provider's trainers may not sign in).")
    changed_at: UtcDatetime = Field(description="When the change was made (UTC).")
