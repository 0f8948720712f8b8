"""Enums, constrained types and small value models shared by every event.

Reference data (regions, ICT specialisms) is copied here from the project's reference data
set; nothing is read from disk at run time.

``YearMonth`` is a :class:`datetime.date` that is always the first day of its month. It accepts
a ``date`` or an ISO string (``"2019-03"`` or ``"2019-03-14"``); any day is normalised to the
1st, and it serialises as an ISO date (``"2019-03-01"``), so plain JSON consumers see an ordinary
date.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import IntEnum, StrEnum
from typing import Annotated, Literal, Self

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from rtw_contracts.months import add_months, whole_months

__all__ = [
    "AdjustmentKind",
    "AssessmentOutcome",
    "AssessmentStage",
    "CareerBreak",
    "CareerBreakReason",
    "CohortId",
    "ContractType",
    "DecisionKind",
    "FlexibleWorking",
    "GssCode",
    "IctSpecialism",
    "IneligibilityReason",
    "Language",
    "MatchResponse",
    "Nation",
    "Pence",
    "PostcodeDistrict",
    "ProfessionalRegistration",
    "Programme",
    "ReasonCode",
    "Recommendation",
    "Region",
    "SalaryBand",
    "Score",
    "ScoreFactor",
    "SecondStageAnswer",
    "SkillClaim",
    "SkillGap",
    "SkillLevel",
    "TrainingModuleRef",
    "UtcDatetime",
    "VideoFile",
    "WithdrawalReason",
    "WorkMode",
    "WorkPreferences",
    "YearMonth",
    "to_utc",
    "year_month",
]


# --------------------------------------------------------------------------- enums


class Labelled:
    """Every enum of the contracts has a name for people (see `rtw_contracts.labels`, the one
    source of them): `.label` in the language of the page being made (English outside a page),
    `.label_in(language)` in a given one (English until that language has it)."""

    @property
    def label(self) -> str:
        """The name people read, e.g. ``Programme.ICT.label == "ICT and digital"`` (in Welsh while a
        Welsh page is made: `rtw_contracts.labels.reading_language`)."""
        from .labels import label_of

        return label_of(self)  # type: ignore[arg-type]

    def label_in(self, language: str) -> str:
        """The name people read in `language` (`Language.EN`, `Language.CY`)."""
        from .labels import label_of

        return label_of(self, language)  # type: ignore[arg-type]


class Programme(Labelled, StrEnum):
    """A Return to Work programme (one per council profession)."""

    ICT = "ict"
    SOCIAL_WORK = "social_work"
    PLANNING = "planning"
    LEGAL = "legal"


class Nation(Labelled, StrEnum):
    """A nation of the United Kingdom."""

    ENGLAND = "england"
    WALES = "wales"
    SCOTLAND = "scotland"
    NORTHERN_IRELAND = "northern_ireland"


class Region(Labelled, StrEnum):
    """England's nine regions plus Wales, Scotland and Northern Ireland (ONS naming)."""

    EAST_MIDLANDS = "east_midlands"
    EAST_OF_ENGLAND = "east_of_england"
    LONDON = "london"
    NORTH_EAST = "north_east"
    NORTH_WEST = "north_west"
    NORTHERN_IRELAND = "northern_ireland"
    SCOTLAND = "scotland"
    SOUTH_EAST = "south_east"
    SOUTH_WEST = "south_west"
    WALES = "wales"
    WEST_MIDLANDS = "west_midlands"
    YORKSHIRE_AND_THE_HUMBER = "yorkshire_and_the_humber"

    @property
    def nation(self) -> Nation:
        """The nation the region belongs to."""
        return _REGION_NATIONS[self]

    @classmethod
    def from_label(cls, label: str) -> Region:
        """Return the region whose human name is ``label`` (case and spacing insensitive).

        Raises ``ValueError`` for an unknown name.
        """
        key = " ".join(label.split()).casefold()
        for region in cls:
            if region.label_in("en").casefold() == key:  # the reference data names regions in English
                return region
        raise ValueError(f"unknown region label: {label!r}")


_REGION_NATIONS: dict[Region, Nation] = {
    Region.EAST_MIDLANDS: Nation.ENGLAND,
    Region.EAST_OF_ENGLAND: Nation.ENGLAND,
    Region.LONDON: Nation.ENGLAND,
    Region.NORTH_EAST: Nation.ENGLAND,
    Region.NORTH_WEST: Nation.ENGLAND,
    Region.NORTHERN_IRELAND: Nation.NORTHERN_IRELAND,
    Region.SCOTLAND: Nation.SCOTLAND,
    Region.SOUTH_EAST: Nation.ENGLAND,
    Region.SOUTH_WEST: Nation.ENGLAND,
    Region.WALES: Nation.WALES,
    Region.WEST_MIDLANDS: Nation.ENGLAND,
    Region.YORKSHIRE_AND_THE_HUMBER: Nation.ENGLAND,
}


class CareerBreakReason(Labelled, StrEnum):
    """Why the candidate is out of work (each is a qualifying route onto the programme).

    The application asks with the reasons a returner recognises (`ASKED_CAREER_BREAK_REASONS`);
    the first three values stay valid for applications made before them (`caring` is either
    kind of caring)."""

    CARING = "caring"
    CARING_COVID_UNEMPLOYED = "caring_covid_unemployed"
    LONG_TERM_UNEMPLOYED = "long_term_unemployed"
    CARING_FOR_CHILDREN = "caring_for_children"
    CARING_FOR_ADULT = "caring_for_adult"
    OWN_HEALTH = "own_health"
    RELOCATION = "relocation"
    OTHER = "other"

    @property
    def is_caring(self) -> bool:
        """A break to care for someone (a child or an adult)."""
        return self in _CARING_REASONS


_CARING_REASONS = frozenset(
    {
        CareerBreakReason.CARING,
        CareerBreakReason.CARING_COVID_UNEMPLOYED,
        CareerBreakReason.CARING_FOR_CHILDREN,
        CareerBreakReason.CARING_FOR_ADULT,
    }
)

#: The reasons the application and the eligibility checker offer, in the order they are shown.
ASKED_CAREER_BREAK_REASONS: tuple[CareerBreakReason, ...] = (
    CareerBreakReason.CARING_FOR_CHILDREN,
    CareerBreakReason.CARING_FOR_ADULT,
    CareerBreakReason.OWN_HEALTH,
    CareerBreakReason.RELOCATION,
    CareerBreakReason.CARING_COVID_UNEMPLOYED,
    CareerBreakReason.OTHER,
)


class IctSpecialism(Labelled, StrEnum):
    """The eleven desired specialisms of the Return to Work - ICT council information pack."""

    IT_TECHNICAL_SUPPORT = "it_technical_support"
    SOFTWARE_DEVELOPER = "software_developer"
    DATA_ANALYST = "data_analyst"
    IT_ADMINISTRATOR = "it_administrator"
    PROJECT_MANAGER = "project_manager"
    ENTERPRISE_ARCHITECT = "enterprise_architect"
    TECHNICAL_ARCHITECT = "technical_architect"
    SOLUTION_ARCHITECT = "solution_architect"
    SECURITY_SPECIALIST = "security_specialist"
    SECURITY_ARCHITECT = "security_architect"
    INFORMATION_MANAGEMENT_SPECIALIST = "information_management_specialist"

    @property
    def ddat_roles(self) -> tuple[str, ...]:
        """The nearest roles of the government DDaT capability framework."""
        return _SPECIALISM_ROLES[self]


_SPECIALISM_ROLES: dict[IctSpecialism, tuple[str, ...]] = {
    IctSpecialism.IT_TECHNICAL_SUPPORT: ("End user computing engineer", "Service desk manager"),
    IctSpecialism.SOFTWARE_DEVELOPER: ("Software developer", "Frontend developer"),
    IctSpecialism.DATA_ANALYST: ("Data analyst", "Performance analyst"),
    IctSpecialism.IT_ADMINISTRATOR: ("Infrastructure operations engineer", "Application operations engineer"),
    IctSpecialism.PROJECT_MANAGER: ("Delivery manager", "Programme delivery manager"),
    IctSpecialism.ENTERPRISE_ARCHITECT: ("Enterprise architect",),
    IctSpecialism.TECHNICAL_ARCHITECT: ("Technical architect",),
    IctSpecialism.SOLUTION_ARCHITECT: ("Solution architect",),
    IctSpecialism.SECURITY_SPECIALIST: ("Security architect", "Infrastructure engineer"),
    IctSpecialism.SECURITY_ARCHITECT: ("Security architect",),
    IctSpecialism.INFORMATION_MANAGEMENT_SPECIALIST: ("Data governance manager",),
}


class SkillLevel(Labelled, IntEnum):
    """A DDaT framework skill level (ordered: a higher value is a deeper skill)."""

    AWARENESS = 1
    WORKING = 2
    PRACTITIONER = 3
    EXPERT = 4


class FlexibleWorking(Labelled, StrEnum):
    """A flexible-working arrangement a candidate wants or a council offers."""

    PART_TIME = "part_time"
    JOB_SHARE = "job_share"
    COMPRESSED_HOURS = "compressed_hours"
    TERM_TIME = "term_time"
    REMOTE = "remote"
    HYBRID = "hybrid"
    CHOICE_OF_BASE = "choice_of_base"


class WorkMode(Labelled, StrEnum):
    """Where a vacancy's work is done."""

    ON_SITE = "on_site"
    HYBRID = "hybrid"
    REMOTE = "remote"


class AssessmentStage(Labelled, StrEnum):
    """The stage of assessment a decision belongs to."""

    SCREENING = "screening"
    SECOND_STAGE = "second_stage"
    FINAL = "final"


class AssessmentOutcome(Labelled, StrEnum):
    """The outcome of an assessment decision."""

    INELIGIBLE = "ineligible"
    SHORTLISTED = "shortlisted"
    NOT_SHORTLISTED = "not_shortlisted"
    SCORED = "scored"
    SELECTED = "selected"
    WAITLISTED = "waitlisted"
    REJECTED = "rejected"


class DecisionKind(Labelled, StrEnum):
    """How an assessment decision was made."""

    AUTOMATIC = "automatic"
    OVERRIDE = "override"
    APPEAL = "appeal"
    WAITLIST_PROMOTION = "waitlist_promotion"


class IneligibilityReason(Labelled, StrEnum):
    """A failed eligibility gate."""

    CAREER_BREAK_TOO_SHORT = "career_break_too_short"
    NO_QUALIFYING_BREAK = "no_qualifying_break"
    INSUFFICIENT_EXPERIENCE = "insufficient_experience"
    NOT_PREVIOUSLY_REGISTERED = "not_previously_registered"
    OUT_OF_PRACTICE_TOO_SHORT = "out_of_practice_too_short"
    OUT_OF_PRACTICE_TOO_LONG = "out_of_practice_too_long"
    NO_RIGHT_TO_WORK = "no_right_to_work"
    OUTSIDE_WINDOW = "outside_window"
    MISSING_PROFESSIONAL_BODY = "missing_professional_body"


class WithdrawalReason(Labelled, StrEnum):
    """Why a candidate withdrew."""

    FOUND_WORK = "found_work"
    PERSONAL_CIRCUMSTANCES = "personal_circumstances"
    PROGRAMME_NOT_SUITABLE = "programme_not_suitable"
    OTHER = "other"


class AdjustmentKind(Labelled, StrEnum):
    """A reasonable adjustment a candidate may ask for (Equality Act 2010), at any stage."""

    WRITTEN_ALTERNATIVE_TO_VIDEO = "written_alternative_to_video"
    LIVE_CALL_WITH_ASSESSOR = "live_call_with_assessor"
    MORE_TIME = "more_time"
    OTHER_FORMAT = "other_format"


class MatchResponse(Labelled, StrEnum):
    """A candidate's answer to a council's reach-out."""

    ACCEPTED = "accepted"
    DECLINED = "declined"


class Language(Labelled, StrEnum):
    """The language a candidate wants to be written to in."""

    EN = "en"
    CY = "cy"


class Recommendation(Labelled, StrEnum):
    """An assessor's overall recommendation on a second-stage submission."""

    STRONG_NO = "strong_no"
    NO = "no"
    YES = "yes"
    STRONG_YES = "strong_yes"


class ContractType(Labelled, StrEnum):
    """The kind of employment contract of a hire."""

    PERMANENT = "permanent"
    FIXED_TERM = "fixed_term"


# --------------------------------------------------------------------------- constrained types


def to_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC (naive datetimes are rejected before this runs)."""
    return value.astimezone(UTC)


UtcDatetime = Annotated[AwareDatetime, AfterValidator(to_utc)]
"""A timezone-aware datetime, converted to UTC; naive datetimes are rejected."""


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _strip_upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


PostcodeDistrict = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{1,2}[0-9][A-Z0-9]?$"),
    BeforeValidator(_strip_upper),
]
"""A UK postcode district (outward code) such as ``WS1`` or ``SW1A``; stripped, upper-cased."""

GssCode = Annotated[str, StringConstraints(pattern=r"^[EWSN][0-9]{8}$"), BeforeValidator(_strip)]
"""An ONS GSS code of a council, e.g. ``E06000001``."""

CohortId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")]
"""A cohort's slug, e.g. ``ict-2020``."""

Pence = Annotated[int, Field(ge=0)]
"""An amount of money in pence (non-negative)."""

_YEAR_MONTH = re.compile(r"^\d{4}-\d{2}$")


def year_month(value: object) -> object:
    """Parse ``"YYYY-MM"`` / ISO dates / dates into the first day of the month.

    Other inputs are passed through for pydantic to reject with its usual error.
    """
    if isinstance(value, str) and _YEAR_MONTH.match(value.strip()):
        value = f"{value.strip()}-01"
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            return value
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return value.replace(day=1)
    return value


YearMonth = Annotated[date, BeforeValidator(year_month)]
"""A month, held as the first day of that month (see the module docstring)."""

Score = Annotated[float, Field(ge=0, le=100)]
"""A score from 0 to 100."""


# --------------------------------------------------------------------------- value models


class _Value(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class SkillClaim(_Value):
    """A skill (DDaT framework skill name) held at a level."""

    skill: str = Field(min_length=1, max_length=200, description="DDaT framework skill name.")
    level: SkillLevel = Field(description="Level held (1 Awareness … 4 Expert).")


class SkillGap(_Value):
    """A skill a vacancy needs at a level the candidate does not (yet) have."""

    skill: str = Field(min_length=1, max_length=200, description="DDaT framework skill name.")
    required_level: SkillLevel = Field(description="Level the vacancy needs.")
    current_level: SkillLevel | None = Field(
        default=None, description="Level the candidate has; null if they have none."
    )

    @model_validator(mode="after")
    def _is_a_gap(self) -> Self:
        if self.current_level is not None and self.current_level >= self.required_level:
            raise ValueError("current_level must be below required_level for a skill gap")
        return self


class SalaryBand(_Value):
    """An annual salary range in pence."""

    min_pence: Pence = Field(description="Lowest annual salary, in pence.")
    max_pence: Pence = Field(description="Highest annual salary, in pence.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min_pence > self.max_pence:
            raise ValueError(f"min_pence ({self.min_pence}) must not exceed max_pence ({self.max_pence})")
        return self


class ScoreFactor(_Value):
    """One named factor of an explainable score."""

    name: str = Field(min_length=1, max_length=100, description="Factor name, e.g. `distance`.")
    points: float = Field(ge=0, description="Points this factor contributed.")
    max_points: float = Field(ge=0, description="Most points this factor can contribute.")
    share: float = Field(ge=0, le=1, description="Share of the total score (0 to 1).")
    explanation: str = Field(description="Plain-English explanation of the points.")
    would_rise_if: str | None = Field(
        default=None, description="Plain-English hint of what would raise the points."
    )

    @model_validator(mode="after")
    def _within_max(self) -> Self:
        if self.points > self.max_points + 1e-9:
            raise ValueError(f"points ({self.points}) exceed max_points ({self.max_points})")
        return self


class ReasonCode(_Value):
    """Why a candidate is ineligible: a code and a plain-English message."""

    code: IneligibilityReason = Field(description="The failed eligibility gate.")
    message: str = Field(min_length=1, description="Plain-English reason shown to people.")
    params: dict[str, str | int | float | list[str] | None] | None = Field(
        default=None,
        # personal_data(...) of rtw_contracts.envelope (which imports this module): the values
        # are the candidate's own facts (months of career break, years of experience).
        json_schema_extra={"x-personal-data": "the candidate's facts the reason is worded from"},
        description=(
            "The values the reason is worded from (e.g. `months`, `minimum_months`, `years`, "
            "`bodies`), so that a reader can word it in their own language from `code` and these; "
            "null on reasons from before they were carried (word those from `message`)."
        ),
    )


class CareerBreak(_Value):
    """A career break: from a month to a month (null while ongoing), and why."""

    start: YearMonth = Field(description="First month of the break (YYYY-MM-01).")
    end: YearMonth | None = Field(
        default=None, description="Last month of the break (YYYY-MM-01); null if ongoing."
    )
    reason: CareerBreakReason = Field(description="Why the candidate is out of work.")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end ({self.end}) must not be before start ({self.start})")
        return self

    def months_as_of(self, on: date) -> int:
        """Whole months the break has lasted as of `on` (the day of a decision). An ongoing break
        counts up to `on` only: the month still under way is not a whole month yet. A break that
        has ended counts its last month in full, but never past `on` (it ended by then)."""
        after_last_month = on if self.end is None else min(add_months(self.end, 1), on)
        return whole_months(self.start, after_last_month)


class ProfessionalRegistration(_Value):
    """A registration with a professional body (e.g. Social Work England)."""

    body: str = Field(min_length=1, max_length=200, description="Professional body name.")
    registration_number: str | None = Field(
        default=None, max_length=100, description="Registration number, if known."
    )
    last_practised: YearMonth | None = Field(
        default=None, description="Month the candidate last practised (YYYY-MM-01)."
    )


class WorkPreferences(_Value):
    """How, where and when a candidate wants to work, and who may see them."""

    flexible_working: list[FlexibleWorking] = Field(description="Flexible-working arrangements wanted.")
    max_travel_km: int = Field(ge=0, le=1000, description="Furthest daily travel, in km.")
    visible_to_regions: list[Region] = Field(
        description="Regions whose councils may see the candidate in the talent pool."
    )
    visible_to_councils: list[GssCode] = Field(
        description="Further councils (GSS codes) that may see the candidate."
    )
    earliest_start: date | None = Field(
        default=None, description="Earliest date the candidate can start work."
    )


class VideoFile(_Value):
    """An uploaded video held in object storage."""

    storage_key: str = Field(min_length=1, max_length=500, description="Object storage key.")
    content_type: Literal["video/mp4", "video/webm", "video/quicktime"] = Field(
        description="Media type, checked on upload."
    )
    size_bytes: int = Field(gt=0, description="Size in bytes.")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the file, hex.")


class SecondStageAnswer(_Value):
    """A candidate's answer to one second-stage question."""

    question_id: str = Field(min_length=1, max_length=100, description="Question id.")
    answer: str = Field(description="The answer text.")


class TrainingModuleRef(_Value):
    """A module of a training curriculum."""

    module_id: str = Field(min_length=1, max_length=100, description="Module id.")
    title: str = Field(min_length=1, max_length=300, description="Module title.")
    required: bool = Field(description="Whether completing the module is required.")
