"""What candidates and admins send to and get from the applications API (validated at the edge)."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, model_validator
from rtw_contracts import (
    CareerBreak,
    FlexibleWorking,
    IctSpecialism,
    Language,
    ProfessionalRegistration,
    Programme,
    Region,
    SkillClaim,
    WithdrawalReason,
    WorkPreferences,
)
from rtw_contracts.types import CohortId
from rtw_platform import reference
from rtw_platform.names import person_name

_PHONE = re.compile(r"^\+?[0-9 ()-]{10,20}$")


def _known_district(value: str) -> str:
    """A full postcode or its first part, kept as the district only (the rest is never stored)."""
    if reference.outward_code(value) is None:
        raise ValueError("enter a UK postcode, for example WS1 1AA, or its first part, for example WS1")
    district = reference.district_of_postcode(value)
    if district is None:
        raise ValueError(
            "we do not know that postcode district: check the postcode, for example WS1 1AA or WS1"
        )
    return district.code


def _uk_phone(value: str) -> str:
    digits = sum(ch.isdigit() for ch in value)
    if not _PHONE.match(value.strip()) or not 10 <= digits <= 15:
        raise ValueError("enter a telephone number, like 01632 960 001 or +44 7700 900 982")
    return value.strip()


def _known_skill(claims: list[SkillClaim]) -> list[SkillClaim]:
    known = reference.framework_skills()
    for claim in claims:
        if claim.skill not in known:
            raise ValueError(f"{claim.skill!r} is not a skill of the digital and data framework")
    names = [claim.skill for claim in claims]
    if len(names) != len(set(names)):
        raise ValueError("list each skill once")
    return claims


def _bounded_preferences(preferences: WorkPreferences) -> WorkPreferences:
    # Each list holds distinct choices from a known set, so it can be no longer than that set.
    limits = (
        ("flexible_working", preferences.flexible_working, len(FlexibleWorking)),
        ("visible_to_regions", preferences.visible_to_regions, len(Region)),
        ("visible_to_councils", preferences.visible_to_councils, len(reference.councils())),
    )
    for name, chosen, largest in limits:
        if len(chosen) > largest:
            raise ValueError(f"{name}: choose at most {largest}")
        if len(set(chosen)) != len(chosen):
            raise ValueError(f"{name}: list each choice once")
    return preferences


KnownDistrict = Annotated[str, AfterValidator(_known_district)]
Phone = Annotated[str, AfterValidator(_uk_phone)]
FrameworkSkills = Annotated[list[SkillClaim], AfterValidator(_known_skill)]
#: A person's name: NFC, at least one letter, no hidden or text-direction characters.
BoundedPreferences = Annotated[WorkPreferences, AfterValidator(_bounded_preferences)]
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(person_name)]


class ApplicationAnswers(BaseModel):
    """The answers of an application. Every field may be left out while it is a draft; all that
    the programme needs must be there to submit."""

    model_config = ConfigDict(extra="forbid")

    given_name: Name | None = None
    family_name: Name | None = None
    phone: Phone | None = None
    preferred_language: Language | None = None
    postcode_district: KnownDistrict | None = Field(
        default=None,
        description=(
            "The postcode district, e.g. WS1. A full postcode (WS1 1AA) is accepted and only its "
            "district is kept."
        ),
    )
    right_to_work: bool | None = None
    career_break: CareerBreak | None = None
    years_experience: float | None = Field(default=None, ge=0, le=70)
    professional_registration: ProfessionalRegistration | None = None
    specialisms: list[IctSpecialism] | None = Field(default=None, max_length=11)
    skills: FrameworkSkills | None = Field(default=None, max_length=60)
    work_preferences: BoundedPreferences | None = None
    privacy_notice_version: str | None = Field(default=None, min_length=1, max_length=50)
    consent_to_processing: bool | None = Field(
        default=None, description="The candidate agrees to the privacy notice."
    )


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"


class AgeBand(StrEnum):
    UNDER_25 = "16-24"
    FROM_25 = "25-34"
    FROM_35 = "35-44"
    FROM_45 = "45-54"
    FROM_55 = "55-64"
    FROM_65 = "65+"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"


class Ethnicity(StrEnum):
    """The five broad groups of the England and Wales census."""

    ASIAN = "asian"
    BLACK = "black"
    MIXED = "mixed"
    WHITE = "white"
    OTHER = "other"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    PREFER_NOT_TO_SAY = "prefer_not_to_say"


class EqualityMonitoring(BaseModel):
    """Optional equality-monitoring answers: held apart from the application, used only in
    aggregate, never shown per person to staff, never in an event or a log."""

    model_config = ConfigDict(extra="forbid")

    sex: Sex | None = None
    age_band: AgeBand | None = None
    ethnicity: Ethnicity | None = None
    disability: Answer | None = None
    caring: Answer | None = None


class NewDraft(BaseModel):
    """Start an application: which cohort, and who you are."""

    model_config = ConfigDict(extra="forbid")

    cohort_id: CohortId
    email: EmailStr
    given_name: Name | None = None
    family_name: Name | None = None


class NewApplication(ApplicationAnswers):
    """A whole application sent at once (services and bulk import; people use drafts)."""

    cohort_id: CohortId
    email: EmailStr
    equality_monitoring: EqualityMonitoring | None = None


class SignInRequested(BaseModel):
    message: str


class ApplicationReceipt(BaseModel):
    """A submitted application, as its sender (the signed-in candidate or an admin) sees it."""

    application_id: str
    reference: str
    status: str
    candidate_id: str


class JourneyStepView(BaseModel):
    stage: str
    label: str
    occurred_at: datetime


class ApplicationView(BaseModel):
    application_id: str
    reference: str | None
    programme: Programme
    cohort_id: str
    status: str
    label: str
    answers: ApplicationAnswers
    missing: list[str]
    journey: list[JourneyStepView]
    second_stage_deadline: datetime | None
    second_stage_submitted: bool


class ApplicationSummary(BaseModel):
    application_id: str
    reference: str | None
    cohort_id: str
    programme: Programme
    status: str
    region: str | None
    submitted_at: datetime | None


class ApplicationPage(BaseModel):
    items: list[ApplicationSummary]
    total: int
    page: int
    page_size: int


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: WithdrawalReason


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr


class SignInExchange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=2000)


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    candidate_id: str


class CohortIn(BaseModel):
    """A cohort as an admin defines it."""

    model_config = ConfigDict(extra="forbid")

    id: CohortId
    programme: Programme
    title: str = Field(min_length=1, max_length=200)
    opens_on: date
    closes_on: date
    video_required: bool = True

    @model_validator(mode="after")
    def _window(self) -> CohortIn:
        if self.closes_on < self.opens_on:
            raise ValueError("closes_on must be on or after opens_on")
        return self


class CohortView(CohortIn):
    is_open: bool
    status: str
    window: str
    questions: list[dict[str, str | int]]
