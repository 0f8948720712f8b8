"""Assessment rules: eligibility gates, the stage-1 score, the second-stage rubric, cohort
selection and the time to appeal. Pure functions over plain data: no I/O, no frameworks.

Everything configurable is a versioned `CohortConfig`; every decision records the versions used.
The length of a career break is an eligibility fact only: no score function takes it as input.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import cache

from pydantic import BaseModel, ConfigDict, Field, model_validator
from rtw_contracts import (
    AssessmentOutcome,
    CareerBreakReason,
    IctSpecialism,
    IneligibilityReason,
    Programme,
    ReasonCode,
    Recommendation,
    ScoreFactor,
    SkillClaim,
)
from rtw_contracts.months import whole_months
from rtw_contracts.types import CareerBreak, ProfessionalRegistration
from rtw_platform import reference

# --------------------------------------------------------------------------- configuration


class EligibilityRules(BaseModel):
    """The hard gates of one programme (a versioned rule set)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1, max_length=40)
    min_break_months: int = Field(default=12, ge=0, le=120)
    covid_route_needs_break: bool = Field(
        default=False,
        description="Whether carers unemployed because of COVID-19 also need the minimum break.",
    )
    min_years_experience: float = Field(default=0, ge=0, le=40)
    registration_required: bool = False
    registration_bodies: tuple[str, ...] = ()
    min_years_out_of_practice: float | None = Field(default=None, ge=0)
    max_years_out_of_practice: float | None = Field(default=None, ge=0)


class Stage1Weights(BaseModel):
    """Maximum points of each stage-1 factor (they add up to 100)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    experience: float = Field(ge=0)
    specialism_demand: float = Field(default=0, ge=0)
    skills: float = Field(default=0, ge=0)
    full_experience_years: float = Field(default=15, gt=0)

    @model_validator(mode="after")
    def _total(self) -> Stage1Weights:
        total = self.experience + self.specialism_demand + self.skills
        if abs(total - 100) > 1e-6:
            raise ValueError(f"the factors' points must add up to 100, not {total:g}")
        return self


class Criterion(BaseModel):
    """A rubric criterion scored 1 (weak) to 4 (strong)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    title: str
    weight: float = Field(gt=0)
    from_video: bool = False


class Rubric(BaseModel):
    """The second-stage rubric (versioned)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1, max_length=40)
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    assessors_per_candidate: int = Field(default=2, ge=2, le=5)
    calibration_spread: int = Field(
        default=1, ge=0, le=3, description="Largest allowed gap between assessors on a criterion."
    )


class CohortConfig(BaseModel):
    """Everything assessment needs to know about a cohort, as one versioned document."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    programme: Programme
    capacity: int = Field(default=20, ge=1, le=10_000)
    waitlist_size: int = Field(default=5, ge=0, le=10_000)
    shortlist_size: int | None = Field(
        default=None, ge=1, description="Shortlist the best N eligible when shortlisting closes."
    )
    shortlist_threshold: float | None = Field(
        default=None, ge=0, le=100, description="Shortlist at once everyone scoring at least this."
    )
    window_opens_on: date | None = None
    window_closes_on: date | None = None
    second_stage_days: int = Field(default=14, ge=1, le=90)
    eligibility: EligibilityRules
    weights: Stage1Weights
    specialism_demand: dict[IctSpecialism, float] = Field(default_factory=dict)
    rubric: Rubric
    final_weight_stage1: float = Field(default=0.3, ge=0, le=1)

    @model_validator(mode="after")
    def _one_shortlisting_rule(self) -> CohortConfig:
        if (self.shortlist_size is None) == (self.shortlist_threshold is None):
            raise ValueError("give exactly one of shortlist_size or shortlist_threshold")
        for value in self.specialism_demand.values():
            if not 0 <= value <= 1:
                raise ValueError("specialism demand runs from 0 (none) to 1 (highest)")
        return self


_ICT_RUBRIC = Rubric(
    version="ict-rubric-1",
    criteria=(
        Criterion(id="technical_depth", title="Technical depth and currency", weight=3),
        Criterion(id="problem_solving", title="Solving problems for users", weight=3),
        Criterion(id="public_service", title="Motivation for public service", weight=2),
        Criterion(id="learning_plan", title="A credible plan to catch up", weight=2),
        Criterion(id="communication", title="Clear communication (video)", weight=2, from_video=True),
    ),
)
_PRACTICE_RUBRIC = Rubric(
    version="practice-rubric-1",
    criteria=(
        Criterion(id="professional_practice", title="Quality of professional practice", weight=3),
        Criterion(id="reflection", title="Reflection and learning", weight=3),
        Criterion(id="currency", title="Awareness of what has changed", weight=2),
        Criterion(id="communication", title="Clear communication (video)", weight=2, from_video=True),
    ),
)

#: Demand for each ICT specialism among councils (the pack lists them all as desired; the
#: security and data roles were the hardest to fill). An admin changes this per cohort.
DEFAULT_ICT_DEMAND: dict[IctSpecialism, float] = {
    IctSpecialism.IT_TECHNICAL_SUPPORT: 0.6,
    IctSpecialism.SOFTWARE_DEVELOPER: 0.8,
    IctSpecialism.DATA_ANALYST: 0.9,
    IctSpecialism.IT_ADMINISTRATOR: 0.6,
    IctSpecialism.PROJECT_MANAGER: 0.7,
    IctSpecialism.ENTERPRISE_ARCHITECT: 0.7,
    IctSpecialism.TECHNICAL_ARCHITECT: 0.8,
    IctSpecialism.SOLUTION_ARCHITECT: 0.8,
    IctSpecialism.SECURITY_SPECIALIST: 1.0,
    IctSpecialism.SECURITY_ARCHITECT: 1.0,
    IctSpecialism.INFORMATION_MANAGEMENT_SPECIALIST: 0.8,
}


def default_config(programme: Programme) -> CohortConfig:
    """The programme's starting configuration (version 1 of a new cohort)."""
    if programme is Programme.ICT:
        return CohortConfig(
            programme=programme,
            shortlist_threshold=50,
            eligibility=EligibilityRules(version="ict-rules-1", min_years_experience=2),
            weights=Stage1Weights(experience=40, specialism_demand=30, skills=30),
            specialism_demand=dict(DEFAULT_ICT_DEMAND),
            rubric=_ICT_RUBRIC,
        )
    if programme is Programme.SOCIAL_WORK:
        return CohortConfig(
            programme=programme,
            shortlist_threshold=40,
            eligibility=EligibilityRules(
                version="social-work-rules-1",
                registration_required=True,
                registration_bodies=(
                    "Social Work England",
                    "Social Care Wales",
                    "Scottish Social Services Council",
                    "Northern Ireland Social Care Council",
                    "Health and Care Professions Council",
                ),
                min_years_out_of_practice=2,
                max_years_out_of_practice=10,
            ),
            weights=Stage1Weights(experience=100),
            rubric=_PRACTICE_RUBRIC,
        )
    if programme is Programme.PLANNING:
        return CohortConfig(
            programme=programme,
            shortlist_threshold=40,
            eligibility=EligibilityRules(version="planning-rules-1", min_years_experience=2),
            weights=Stage1Weights(experience=100),
            rubric=_PRACTICE_RUBRIC,
        )
    return CohortConfig(
        programme=programme,
        shortlist_threshold=40,
        eligibility=EligibilityRules(
            version="legal-rules-1",
            min_years_experience=2,
            registration_required=True,
            registration_bodies=(
                "Solicitors Regulation Authority",
                "Bar Standards Board",
                "CILEx Regulation",
            ),
        ),
        weights=Stage1Weights(experience=100),
        rubric=_PRACTICE_RUBRIC,
    )


# --------------------------------------------------------------------------- screening


@dataclass(frozen=True)
class ApplicationFacts:
    """What screening looks at (no name, contact or other personal detail)."""

    programme: Programme
    submitted_at: datetime
    right_to_work: bool
    career_break: CareerBreak
    years_experience: float
    professional_registration: ProfessionalRegistration | None
    specialisms: tuple[IctSpecialism, ...]
    skills: tuple[SkillClaim, ...]


def _years_between(start: date, end: date) -> float:
    """Years in whole calendar months (June 2017 to June 2019 is exactly 2)."""
    return whole_months(start, end) / 12


def eligibility_reasons(
    facts: ApplicationFacts, rules: EligibilityRules, config: CohortConfig, today: date
) -> list[ReasonCode]:
    """Every gate the application fails, each with a code and a plain-English reason."""
    reasons: list[ReasonCode] = []

    def fail(code: IneligibilityReason, message: str) -> None:
        reasons.append(ReasonCode(code=code, message=message))

    if not facts.right_to_work:
        fail(
            IneligibilityReason.NO_RIGHT_TO_WORK,
            "The programme is open to people with the right to work in the UK.",
        )
    submitted = facts.submitted_at.date()
    if (config.window_opens_on and submitted < config.window_opens_on) or (
        config.window_closes_on and submitted > config.window_closes_on
    ):
        fail(
            IneligibilityReason.OUTSIDE_WINDOW,
            f"The application arrived on {submitted:%d %B %Y}, outside the cohort's window.",
        )
    break_ = facts.career_break
    months = break_.months_as_of(today)  # whole months: the month under way does not count yet
    needs_break = break_.reason is not CareerBreakReason.CARING_COVID_UNEMPLOYED or (
        rules.covid_route_needs_break
    )
    if needs_break and months < rules.min_break_months:
        what = (
            "time out of work"
            if break_.reason is CareerBreakReason.LONG_TERM_UNEMPLOYED
            else "career break to care for someone"
        )
        fail(
            IneligibilityReason.CAREER_BREAK_TOO_SHORT,
            f"Your {what} is {_months(months)}; "
            f"the programme is for {rules.min_break_months} months or more.",
        )
    if facts.years_experience < rules.min_years_experience:
        fail(
            IneligibilityReason.INSUFFICIENT_EXPERIENCE,
            f"The programme needs at least {rules.min_years_experience:g} years' experience in the "
            f"profession; you told us {facts.years_experience:g}.",
        )
    registration = facts.professional_registration
    if rules.registration_required:
        if registration is None:
            fail(
                IneligibilityReason.NOT_PREVIOUSLY_REGISTERED,
                f"The programme is for people who were registered with {_either(rules.registration_bodies)}.",
            )
        elif rules.registration_bodies and registration.body not in rules.registration_bodies:
            fail(
                IneligibilityReason.MISSING_PROFESSIONAL_BODY,
                f"{registration.body} is not one of the bodies the programme accepts: "
                f"{_either(rules.registration_bodies)}.",
            )
    if rules.min_years_out_of_practice is not None or rules.max_years_out_of_practice is not None:
        last = (registration.last_practised if registration else None) or break_.start
        out = _years_between(last, today)
        low, high = rules.min_years_out_of_practice, rules.max_years_out_of_practice
        if low is not None and out < low:
            fail(
                IneligibilityReason.OUT_OF_PRACTICE_TOO_SHORT,
                f"You have been out of practice for {out:.1f} years; the programme is for "
                f"{low:g} to {high:g} years."
                if high is not None
                else f"You have been out of practice for {out:.1f} years; the programme needs {low:g}.",
            )
        if high is not None and out > high:
            fail(
                IneligibilityReason.OUT_OF_PRACTICE_TOO_LONG,
                f"You have been out of practice for {out:.1f} years; the programme is for up to "
                f"{high:g} years. The regulator's return-to-practice route may suit you.",
            )
    return reasons


def _months(count: int) -> str:
    return "1 month" if count == 1 else f"{count} months"


def _either(options: Sequence[str]) -> str:
    if not options:
        return "a professional body"
    if len(options) == 1:
        return options[0]
    return ", ".join(options[:-1]) + " or " + options[-1]


@cache
def role_targets(role: str) -> dict[str, int]:
    """The skills a framework role needs at its middle level, with the level each needs."""
    skills = [s for s in reference.role_skills() if s.role == role]
    if not skills:
        return {}
    ranks = sorted({s.role_level_rank for s in skills})
    middle = ranks[(len(ranks) - 1) // 2]
    return {s.skill: s.skill_level for s in skills if s.role_level_rank == middle}


def stage1_score(facts: ApplicationFacts, config: CohortConfig) -> tuple[float, list[ScoreFactor]]:
    """The explainable stage-1 score (0-100) and its factors.

    Inputs: years of experience, the demand for the chosen specialisms, and the self-assessed
    skills against the levels the chosen specialisms' roles need. Each factor only rises with
    its input; the career break is not an input.
    """
    weights = config.weights
    factors: list[ScoreFactor] = []
    years = min(facts.years_experience, weights.full_experience_years)
    experience = weights.experience * years / weights.full_experience_years
    factors.append(
        _factor(
            "experience",
            experience,
            weights.experience,
            f"{facts.years_experience:g} years in the profession "
            f"(full marks at {weights.full_experience_years:g})",
            None if years >= weights.full_experience_years else "more years of experience would add to it",
        )
    )
    if weights.specialism_demand:
        demand = max((config.specialism_demand.get(s, 0.0) for s in facts.specialisms), default=0.0)
        best = max(facts.specialisms, key=lambda s: config.specialism_demand.get(s, 0.0), default=None)
        factors.append(
            _factor(
                "specialism_demand",
                weights.specialism_demand * demand,
                weights.specialism_demand,
                f"councils' demand for {best.label if best else 'no specialism chosen'}",
                None if demand >= 1 else "a specialism councils need more would add to it",
            )
        )
    if weights.skills:
        coverage, short = _skills_coverage(facts)
        factors.append(
            _factor(
                "skills",
                weights.skills * coverage,
                weights.skills,
                f"self-assessed skills cover {coverage:.0%} of the levels the chosen roles need",
                None if not short else f"a higher level in {short} would add to it",
            )
        )
    total = round(sum(f.points for f in factors), 2)
    return total, _with_shares(factors, total)


def _skills_coverage(facts: ApplicationFacts) -> tuple[float, str | None]:
    """How well the self-assessed skills cover the best-fitting role of the chosen specialisms
    (each skill counts up to the level the role needs), and the weakest skill of that role."""
    claimed = {c.skill: int(c.level) for c in facts.skills}
    best: tuple[float, str | None] = (0.0, None)
    for role in sorted({r for s in facts.specialisms for r in s.ddat_roles}):
        needed = role_targets(role)
        if not needed:
            continue
        ratios = {skill: min(claimed.get(skill, 0) / level, 1.0) for skill, level in needed.items()}
        coverage = statistics.fmean(ratios.values())
        short = min((s for s, r in ratios.items() if r < 1), key=lambda s: ratios[s], default=None)
        if coverage > best[0] or (best[1] is None and coverage == best[0]):
            best = (coverage, short)
    return best


def _factor(name: str, points: float, maximum: float, why: str, hint: str | None) -> ScoreFactor:
    return ScoreFactor(
        name=name,
        points=min(round(points, 2), maximum),
        max_points=maximum,
        share=0.0,
        explanation=why,
        would_rise_if=hint,
    )


def _with_shares(factors: list[ScoreFactor], total: float) -> list[ScoreFactor]:
    return [f.model_copy(update={"share": round(f.points / total, 4) if total else 0.0}) for f in factors]


@dataclass(frozen=True)
class ScreeningResult:
    """The screening decision: outcome, score (for the eligible), breakdown and reasons."""

    outcome: AssessmentOutcome | None
    score: float | None
    breakdown: list[ScoreFactor] = field(default_factory=list)
    reasons: list[ReasonCode] = field(default_factory=list)


def screen(facts: ApplicationFacts, config: CohortConfig, today: date) -> ScreeningResult:
    """Screen one application. With a shortlist threshold the outcome is decided at once; with a
    shortlist size it waits (outcome None) until the admin closes shortlisting."""
    reasons = eligibility_reasons(facts, config.eligibility, config, today)
    if reasons:
        return ScreeningResult(AssessmentOutcome.INELIGIBLE, None, [], reasons)
    score, breakdown = stage1_score(facts, config)
    if config.shortlist_threshold is None:
        return ScreeningResult(None, score, breakdown, [])
    outcome = (
        AssessmentOutcome.SHORTLISTED
        if score >= config.shortlist_threshold
        else AssessmentOutcome.NOT_SHORTLISTED
    )
    return ScreeningResult(outcome, score, breakdown, [])


# --------------------------------------------------------------------------- ranking


@dataclass(frozen=True)
class Ranked:
    """A candidate in a ranking: higher score first, earlier submission first on a tie."""

    application_id: str
    score: float
    submitted_at: datetime


def rank(candidates: Iterable[Ranked]) -> list[Ranked]:
    """Best first; ties go to the earlier submission, then the id (so the order is total)."""
    return sorted(candidates, key=lambda c: (-c.score, c.submitted_at, c.application_id))


def shortlist(candidates: Iterable[Ranked], size: int) -> tuple[list[Ranked], list[Ranked]]:
    """(shortlisted, not shortlisted) by rank."""
    ordered = rank(candidates)
    return ordered[:size], ordered[size:]


@dataclass(frozen=True)
class Selection:
    selected: list[Ranked]
    waitlisted: list[Ranked]
    rejected: list[Ranked]


def select(candidates: Iterable[Ranked], capacity: int, waitlist_size: int) -> Selection:
    """Select up to capacity, waitlist the next N, reject the rest."""
    ordered = rank(candidates)
    return Selection(
        selected=ordered[:capacity],
        waitlisted=ordered[capacity : capacity + waitlist_size],
        rejected=ordered[capacity + waitlist_size :],
    )


# --------------------------------------------------------------------------- second stage


class ScorecardIn(BaseModel):
    """An assessor's scorecard: 1-4 per criterion and an overall recommendation."""

    model_config = ConfigDict(extra="forbid")

    scores: dict[str, int]
    recommendation: Recommendation
    comments: str = Field(default="", max_length=5000)


def scorecard_problems(rubric: Rubric, scores: Mapping[str, int]) -> list[tuple[str, str]]:
    """(field, message) for every criterion missing, unknown or off the 1-4 scale."""
    problems: list[tuple[str, str]] = []
    known = {c.id for c in rubric.criteria}
    for criterion in rubric.criteria:
        if criterion.id not in scores:
            problems.append((f"scores.{criterion.id}", f"Score '{criterion.title}' from 1 to 4."))
    for key, value in scores.items():
        if key not in known:
            problems.append((f"scores.{key}", "is not a criterion of this rubric"))
        elif not 1 <= value <= 4:
            problems.append((f"scores.{key}", "Use the scale 1 (weak) to 4 (strong)."))
    return problems


def scorecard_points(rubric: Rubric, scores: Mapping[str, int]) -> float:
    """A scorecard as 0-100 (1 on every criterion is 0; 4 on every criterion is 100)."""
    total_weight = sum(c.weight for c in rubric.criteria)
    weighted = sum(c.weight * (scores[c.id] - 1) / 3 for c in rubric.criteria)
    return round(100 * weighted / total_weight, 2)


def needs_calibration(rubric: Rubric, scorecards: Sequence[Mapping[str, int]]) -> list[str]:
    """The criteria on which assessors disagree by more than the rubric's spread."""
    flagged = []
    for criterion in rubric.criteria:
        values = [card[criterion.id] for card in scorecards if criterion.id in card]
        if values and max(values) - min(values) > rubric.calibration_spread:
            flagged.append(criterion.id)
    return flagged


def second_stage_score(rubric: Rubric, scorecards: Sequence[Mapping[str, int]]) -> float:
    """The mean of the assessors' scorecards, 0-100."""
    return round(statistics.fmean(scorecard_points(rubric, card) for card in scorecards), 2)


def final_score(config: CohortConfig, stage1: float, second_stage: float) -> float:
    """What selection ranks on: mostly the second stage, partly stage 1."""
    weight = config.final_weight_stage1
    return round(weight * stage1 + (1 - weight) * second_stage, 2)


class SpreadAssessor(BaseModel):
    """An assessor available for a candidate, with how much work they already have."""

    id: str
    load: int


def choose_assessors(available: Sequence[SpreadAssessor], wanted: int) -> list[str]:
    """The `wanted` least-loaded assessors (ties by id, so the choice is repeatable)."""
    ordered = sorted(available, key=lambda a: (a.load, a.id))
    return [a.id for a in ordered[:wanted]]


class AssignmentStatus(StrEnum):
    PENDING = "pending"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


# --------------------------------------------------------------------------- appeals

#: Days a candidate has to appeal a decision that they are not eligible.
APPEAL_DAYS = 28


def appeal_deadline(decided_at: datetime) -> date:
    """The last day an appeal is accepted: the 28th day after the day of the decision (UTC
    days, as every deadline of the platform)."""
    return decided_at.astimezone(UTC).date() + timedelta(days=APPEAL_DAYS)


def in_time_to_appeal(decided_at: datetime, now: datetime) -> bool:
    """True until the end of the last day to appeal (and never before the decision)."""
    return decided_at <= now and now.astimezone(UTC).date() <= appeal_deadline(decided_at)
