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
    AdjustmentKind,
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


#: The generic 1-4 scale, for a criterion whose configuration gives no anchors of its own.
GENERIC_ANCHORS: tuple[str, str, str, str] = (
    "Little or no evidence for this criterion",
    "Some evidence, with important gaps",
    "Good evidence, with minor gaps",
    "Strong, consistent evidence throughout",
)


class Criterion(BaseModel):
    """A rubric criterion scored 1 (weak) to 4 (strong), with what each score looks like."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    title: str
    weight: float = Field(gt=0)
    from_video: bool = False
    anchors: tuple[str, ...] = Field(
        default=(),
        description="What a 1, 2, 3 and 4 look like on this criterion (four texts, weakest first).",
    )

    @model_validator(mode="after")
    def _four_anchors(self) -> Criterion:
        if self.anchors and (
            len(self.anchors) != 4 or any(not 1 <= len(a.strip()) <= 300 for a in self.anchors)
        ):
            raise ValueError("give four anchors (for 1, 2, 3 and 4), each up to 300 characters")
        return self

    def anchor(self, score: int) -> str:
        """What a score on this criterion means (the generic scale when none is configured)."""
        return (self.anchors or GENERIC_ANCHORS)[score - 1]


class Rubric(BaseModel):
    """The second-stage rubric (versioned), with when two assessors are said to disagree."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = Field(min_length=1, max_length=40)
    criteria: tuple[Criterion, ...] = Field(min_length=1)
    assessors_per_candidate: int = Field(default=2, ge=2, le=5)
    calibration_spread: int = Field(
        default=1, ge=0, le=3, description="Largest allowed gap between assessors on a criterion."
    )
    recommendation_spread: int = Field(
        default=2,
        ge=1,
        le=3,
        description=(
            "Recommendations this many steps apart are a disagreement (strong no, no, yes, strong "
            "yes: 3 is strong no against strong yes)."
        ),
    )
    score_gap: float = Field(
        default=25,
        ge=0,
        le=100,
        description="Scorecards more than this many points apart (of 100) are a disagreement.",
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
    reopen_hours: int = Field(
        default=24,
        ge=0,
        le=168,
        description="For how many hours after selection is confirmed an admin may reopen it (0: never).",
    )

    @model_validator(mode="after")
    def _one_shortlisting_rule(self) -> CohortConfig:
        if (self.shortlist_size is None) == (self.shortlist_threshold is None):
            raise ValueError("give exactly one of shortlist_size or shortlist_threshold")
        for value in self.specialism_demand.values():
            if not 0 <= value <= 1:
                raise ValueError("specialism demand runs from 0 (none) to 1 (highest)")
        return self


# Anchors follow the programme pack: the ICT pack asks for current technical skills, an
# understanding of digital services in local government, self-awareness about learning, and soft
# skills; the practice programmes look for reflective practice and awareness of what changed.
_VIDEO = Criterion(
    id="communication",
    title="Clear communication (video)",
    weight=2,
    from_video=True,
    anchors=(
        "Hard to follow; the main points do not come across",
        "Understandable, but rambling or unclear in places",
        "Clear and organised; explains ideas so a colleague would follow",
        "Clear, concise and confident; adapts the explanation to a non-specialist",
    ),
)
_ICT_RUBRIC = Rubric(
    version="ict-rubric-2",
    criteria=(
        Criterion(
            id="technical_depth",
            title="Technical depth and currency",
            weight=3,
            anchors=(
                "No concrete technical work described, or only tools long out of use",
                "Some hands-on work, but shallow or with no sense of current practice",
                "Solid hands-on work in the specialism; aware of current tools such as cloud hosting",
                "Deep, specific technical detail, and keeps it current with recent practice",
            ),
        ),
        Criterion(
            id="problem_solving",
            title="Solving problems for users",
            weight=3,
            anchors=(
                "No problem described, or users play no part in it",
                "A problem solved, but the users' needs or the result are vague",
                "A real problem solved for users, with the approach and result explained",
                "A clear account of users' needs, trade-offs weighed and a measured result",
            ),
        ),
        Criterion(
            id="public_service",
            title="Motivation for public service",
            weight=2,
            anchors=(
                "No reason given for working for a council",
                "A general wish to work, with little about councils or residents",
                "Understands what councils' digital services do for residents",
                "A specific, well-informed motivation tied to council services and residents",
            ),
        ),
        Criterion(
            id="learning_plan",
            title="A credible plan to catch up",
            weight=2,
            anchors=(
                "No awareness of what changed during the break",
                "Knows things changed, but no plan to catch up",
                "Names the changes and a reasonable plan to learn them",
                "A specific plan already under way, with self-awareness about how they learn",
            ),
        ),
        _VIDEO,
    ),
)


def _practice_rubric(programme: str, practice: tuple[str, ...], currency: tuple[str, ...]) -> Rubric:
    return Rubric(
        version=f"{programme}-rubric-2",
        criteria=(
            Criterion(
                id="professional_practice",
                title="Quality of professional practice",
                weight=3,
                anchors=practice,
            ),
            Criterion(
                id="reflection",
                title="Reflection and learning",
                weight=3,
                anchors=(
                    "Describes events only; no reflection on their own part",
                    "Some reflection, but general or without what they would do differently",
                    "Reflects on their own practice and what they learned from it",
                    "Insightful reflection that shaped later practice, with specific examples",
                ),
            ),
            Criterion(
                id="currency",
                title="Awareness of what has changed",
                weight=2,
                anchors=currency,
            ),
            _VIDEO,
        ),
    )


_SOCIAL_WORK_RUBRIC = _practice_rubric(
    "social-work",
    (
        "No piece of practice described, or one with no part for the person supported",
        "Practice described, but the person's needs or the outcome are vague",
        "Sound, person-centred practice with the outcome explained",
        "Excellent person-centred practice, working with partners, with a clear outcome",
    ),
    (
        "Unaware of changes in social work since they last practised",
        "Aware of some changes, with no plan to catch up",
        "Names key changes in law, guidance or practice and how they will catch up",
        "A thorough grasp of the changes and a specific return-to-practice plan",
    ),
)
_PLANNING_RUBRIC = _practice_rubric(
    "planning",
    (
        "No planning case described, or no part of the process explained",
        "A case described, but the steps from application to decision are vague",
        "A case handled from application to decision, with the judgement explained",
        "A complex case handled well, balancing policy, consultees and the public",
    ),
    (
        "Unaware of policy changes since they last practised",
        "Aware of some policy changes, with no plan to catch up",
        "Names the main policy changes and how they will catch up",
        "A thorough grasp of the policy changes and a specific plan to catch up",
    ),
)
_LEGAL_RUBRIC = _practice_rubric(
    "legal",
    (
        "No matter described, or no advice given",
        "A matter described, but the advice or the outcome is vague",
        "Sound advice to a public body, with the outcome explained",
        "Excellent advice on a complex matter, with the risks weighed and a clear outcome",
    ),
    (
        "Unaware of changes in the law since they last practised",
        "Aware of some changes, with no plan to catch up",
        "Names the main changes in the law and how they will catch up",
        "A thorough grasp of the changes and a specific plan to catch up",
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
            rubric=_SOCIAL_WORK_RUBRIC,
        )
    if programme is Programme.PLANNING:
        return CohortConfig(
            programme=programme,
            shortlist_threshold=40,
            eligibility=EligibilityRules(version="planning-rules-1", min_years_experience=2),
            weights=Stage1Weights(experience=100),
            rubric=_PLANNING_RUBRIC,
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
        rubric=_LEGAL_RUBRIC,
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
    #: Disability Confident: the candidate opted into a guaranteed second stage (the disability
    #: itself is never known here). Met minimum criteria (eligible) means shortlisted.
    guaranteed_second_stage: bool = False


def _years_between(start: date, end: date) -> float:
    """Years in whole calendar months (June 2017 to June 2019 is exactly 2)."""
    return whole_months(start, end) / 12


def eligibility_reasons(
    facts: ApplicationFacts, rules: EligibilityRules, config: CohortConfig, today: date
) -> list[ReasonCode]:
    """Every gate the application fails, each with a code and a plain-English reason."""
    reasons: list[ReasonCode] = []

    def fail(code: IneligibilityReason, message: str, **params: str | int | float | list[str] | None) -> None:
        # `params`: what the message is worded from, so a reader words it in their own language
        # (rtw_platform.web.reasons, which a test holds to these English words).
        reasons.append(ReasonCode(code=code, message=message, params=params))

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
            f"The application arrived on {submitted.day} {submitted:%B %Y}, outside the cohort's window.",
            submitted_on=submitted.isoformat(),
        )
    break_ = facts.career_break
    months = break_.months_as_of(today)  # whole months: the month under way does not count yet
    needs_break = break_.reason is not CareerBreakReason.CARING_COVID_UNEMPLOYED or (
        rules.covid_route_needs_break
    )
    if needs_break and months < rules.min_break_months:
        what = (
            "career break to care for someone"
            if break_.reason.is_caring
            else "time out of work"
            if break_.reason is CareerBreakReason.LONG_TERM_UNEMPLOYED
            else "career break"
        )
        fail(
            IneligibilityReason.CAREER_BREAK_TOO_SHORT,
            f"Your {what} is {_months(months)}; "
            f"the programme is for {rules.min_break_months} months or more.",
            months=months,
            minimum_months=rules.min_break_months,
            kind="caring"
            if break_.reason.is_caring
            else "unemployed"
            if break_.reason is CareerBreakReason.LONG_TERM_UNEMPLOYED
            else "break",
        )
    if facts.years_experience < rules.min_years_experience:
        fail(
            IneligibilityReason.INSUFFICIENT_EXPERIENCE,
            f"The programme needs at least {rules.min_years_experience:g} years' experience in the "
            f"profession; you told us {facts.years_experience:g}.",
            minimum_years=rules.min_years_experience,
            years=facts.years_experience,
        )
    registration = facts.professional_registration
    if rules.registration_required:
        if registration is None:
            fail(
                IneligibilityReason.NOT_PREVIOUSLY_REGISTERED,
                f"The programme is for people who were registered with {_either(rules.registration_bodies)}.",
                bodies=list(rules.registration_bodies),
            )
        elif rules.registration_bodies and registration.body not in rules.registration_bodies:
            fail(
                IneligibilityReason.MISSING_PROFESSIONAL_BODY,
                f"{registration.body} is not one of the bodies the programme accepts: "
                f"{_either(rules.registration_bodies)}.",
                body=registration.body,
                bodies=list(rules.registration_bodies),
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
                years_out=round(out, 1),
                minimum_years=low,
                maximum_years=high,
            )
        if high is not None and out > high:
            fail(
                IneligibilityReason.OUT_OF_PRACTICE_TOO_LONG,
                f"You have been out of practice for {out:.1f} years; the programme is for up to "
                f"{high:g} years. The regulator's return-to-practice route may suit you.",
                years_out=round(out, 1),
                maximum_years=high,
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
    shortlist size it waits (outcome None) until the admin closes shortlisting. An eligible
    candidate who opted into the guaranteed second stage is shortlisted whatever their score."""
    reasons = eligibility_reasons(facts, config.eligibility, config, today)
    if reasons:
        return ScreeningResult(AssessmentOutcome.INELIGIBLE, None, [], reasons)
    score, breakdown = stage1_score(facts, config)
    if config.shortlist_threshold is None:
        return ScreeningResult(None, score, breakdown, [])
    outcome = (
        AssessmentOutcome.SHORTLISTED
        if score >= config.shortlist_threshold or facts.guaranteed_second_stage
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


def shortlist(
    candidates: Iterable[Ranked], size: int, guaranteed: frozenset[str] = frozenset()
) -> tuple[list[Ranked], list[Ranked]]:
    """(shortlisted, not shortlisted) by rank: the best `size`, and besides them every eligible
    candidate in `guaranteed` (Disability Confident: they take no one else's place)."""
    ordered = rank(candidates)
    best = ordered[:size]
    also = [c for c in ordered[size:] if c.application_id in guaranteed]
    return best + also, [c for c in ordered[size:] if c.application_id not in guaranteed]


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


@dataclass(frozen=True)
class Placement:
    """Where selection puts one ranked candidate: the outcome and the rank (1 is best)."""

    ranked: Ranked
    outcome: AssessmentOutcome
    rank: int


def placements(candidates: Iterable[Ranked], capacity: int, waitlist_size: int) -> list[Placement]:
    """Every ranked candidate in rank order with the outcome selection gives them: the first
    `capacity` selected, the next `waitlist_size` waitlisted, the rest rejected. What the admin
    sees before confirming is what confirming records."""
    chosen = select(candidates, capacity, waitlist_size)
    groups = (
        (AssessmentOutcome.SELECTED, chosen.selected),
        (AssessmentOutcome.WAITLISTED, chosen.waitlisted),
        (AssessmentOutcome.REJECTED, chosen.rejected),
    )
    ordered = [(outcome, ranked) for outcome, group in groups for ranked in group]
    return [Placement(ranked, outcome, position) for position, (outcome, ranked) in enumerate(ordered, 1)]


def selection_refusal(*, awaiting: int, force: bool, blockers: Sequence[str]) -> str | None:
    """Why selection may not be confirmed now, or None. A blocker (e.g. a disagreement between
    assessors left open) refuses even a forced close; outstanding scorecards refuse unless the
    admin forces the close (those candidates are then not ranked)."""
    if blockers:
        return " ".join(blockers)
    if awaiting and not force:
        return (
            f"{awaiting} candidate(s) still await scorecards; close again when they are in, "
            "or force the close to rank them out."
        )
    return None


def selection_flags(
    *,
    disagreements: Sequence[str],
    conflicts: int,
    decision_kinds: Iterable[str],
    second_stage_sent: bool,
    scored: bool,
) -> list[str]:
    """What an admin should look at before confirming a candidate's place, in words: assessors
    who disagree (criteria flagged for calibration), conflicts of interest declared, earlier
    overrides and upheld appeals, and why an unscored candidate is not ranked."""
    flags: list[str] = []
    if not second_stage_sent:
        flags.append("Not ranked: no second stage was received")
    elif not scored:
        flags.append("Not ranked: the second stage is not fully scored")
    if disagreements:
        flags.append(f"Assessors disagree on {_count(len(disagreements), 'criterion', 'criteria')}")
    if conflicts:
        flags.append(f"{_count(conflicts, 'conflict', 'conflicts')} of interest declared")
    kinds = set(decision_kinds)
    if "override" in kinds:
        flags.append("An admin overrode an earlier decision")
    if "appeal" in kinds:
        flags.append("Screened again after an upheld appeal")
    if "waitlist_promotion" in kinds:
        flags.append("Promoted from the waiting list")
    return flags


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


#: The fewest characters of a reason for reopening a selection (it is kept with the reopening).
REOPEN_REASON_MIN = 20


def reopen_until(closed_at: datetime, reopen_hours: int) -> datetime:
    """The moment after which a selection confirmed at `closed_at` can no longer be reopened."""
    return closed_at + timedelta(hours=reopen_hours)


def reopen_window_refusal(closed_at: datetime, reopen_hours: int, now: datetime) -> str | None:
    """Why a selection confirmed at `closed_at` may no longer be reopened, or None. The window
    is half open: at `reopen_until` exactly it has closed."""
    until = reopen_until(closed_at, reopen_hours)
    if now < until:
        return None
    if reopen_hours == 0:
        return "This cohort's configuration allows no reopening of a confirmed selection."
    return (
        f"Selection can no longer be reopened: it could be reopened for {reopen_hours} hours "
        f"after it was confirmed, until {until:%-d %B %Y, %H:%M} UTC. Change single outcomes "
        "with an override instead."
    )


def reopen_reason_problem(reason: str) -> str | None:
    """What is wrong with a reason given for reopening a selection, or None."""
    if len(reason.strip()) < REOPEN_REASON_MIN:
        return f"Give the reason for reopening selection in at least {REOPEN_REASON_MIN} characters."
    if len(reason) > 2000:
        return "Give the reason for reopening selection in 2,000 characters or fewer."
    return None


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


def adjusted_evidence(kinds: Sequence[str]) -> list[str]:
    """The agreed reasonable adjustments an assessor is told of, as words (unknown codes, from a
    newer producer, are shown as they are). The evidence is scored on the same rubric: an
    adjustment changes how the candidate shows it, never what a score means."""
    known = {kind.value: kind for kind in AdjustmentKind}
    return [known[kind].label_in("en") if kind in known else kind for kind in kinds]


class AssignmentStatus(StrEnum):
    PENDING = "pending"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


# --------------------------------------------------------------------------- cohort lifecycle


class CohortState(StrEnum):
    """Where a cohort stands, in the order a cohort lives them."""

    DRAFT = "draft"
    OPEN = "open"
    SHORTLISTING = "shortlisting"
    SECOND_STAGE = "second_stage"
    SCORING = "scoring"
    SELECTION = "selection"
    TRAINING = "training"
    MATCHING = "matching"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        """The state as the admin reads it."""
        return _STATE_LABELS[self]


_STATE_LABELS = {
    CohortState.DRAFT: "Draft",
    CohortState.OPEN: "Open for applications",
    CohortState.SHORTLISTING: "Shortlisting",
    CohortState.SECOND_STAGE: "Second stage",
    CohortState.SCORING: "Scoring",
    CohortState.SELECTION: "Selection",
    CohortState.TRAINING: "Training",
    CohortState.MATCHING: "Matching",
    CohortState.CLOSED: "Closed",
}


@dataclass(frozen=True)
class CohortProgress:
    """The facts a cohort's state is derived from (counts, never people)."""

    opens_on: date | None
    closes_on: date | None
    shortlist_by_size: bool = False
    shortlisting_closed: bool = False
    selection_closed: bool = False
    applications: int = 0
    eligible_waiting: int = 0
    second_stage_due: int = 0
    second_stage_deadline: date | None = None
    awaiting_scorecards: int = 0
    assessors_owing: tuple[str, ...] = ()
    selected: int = 0
    in_training: int = 0
    awaiting_hire: int = 0
    hired: int = 0


@dataclass(frozen=True)
class Lifecycle:
    """A cohort's state, who is waiting on whom, and what comes next."""

    state: CohortState
    waiting: tuple[str, ...]
    next_step: str

    @property
    def steps(self) -> list[tuple[CohortState, str]]:
        """Every state with 'done', 'current' or 'to come'."""
        order = list(CohortState)
        here = order.index(self.state)
        return [
            (state, "done" if i < here else "current" if i == here else "to come")
            for i, state in enumerate(order)
        ]


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _long_day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _names(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _waiting_lines(progress: CohortProgress) -> list[str]:
    lines = []
    if progress.shortlist_by_size and not progress.shortlisting_closed and progress.eligible_waiting:
        lines.append(
            _plural(progress.eligible_waiting, "eligible candidate waits", "eligible candidates wait")
            + " for the programme team to close shortlisting."
        )
    if progress.second_stage_due:
        until = (
            f" (until {_long_day(progress.second_stage_deadline)})" if progress.second_stage_deadline else ""
        )
        lines.append(
            _plural(progress.second_stage_due, "shortlisted candidate has", "shortlisted candidates have")
            + f" not sent their second stage yet{until}: waiting for candidates."
        )
    if progress.awaiting_scorecards:
        what = _plural(progress.awaiting_scorecards, "second stage is", "second stages are")
        if progress.assessors_owing:
            lines.append(
                f"{what} waiting for scorecards from "
                + ("assessor " if len(progress.assessors_owing) == 1 else "assessors ")
                + _names(progress.assessors_owing)
                + "."
            )
        else:
            lines.append(
                f"{what} waiting for scorecards, and no assessor is assigned: register active "
                "assessors for the programme."
            )
    if progress.in_training:
        lines.append(
            _plural(progress.in_training, "selected candidate is", "selected candidates are")
            + " in training: waiting for training providers to record their modules."
        )
    if progress.awaiting_hire:
        lines.append(
            _plural(progress.awaiting_hire, "trained returner waits", "trained returners wait")
            + " for a council to hire them: waiting for councils."
        )
    return lines


def cohort_lifecycle(progress: CohortProgress, today: date) -> Lifecycle:
    """The cohort's state (the earliest stage not finished), who waits on whom, and what is next.

    Without a known window (a cohort only ever seen through its applications) the window is
    taken as open until something later has happened."""
    waiting = tuple(_waiting_lines(progress))
    p = progress
    if p.selection_closed:
        if p.in_training:
            return Lifecycle(
                CohortState.TRAINING,
                waiting,
                "Each returner moves to matching when their training provider records the last module.",
            )
        if p.awaiting_hire:
            return Lifecycle(
                CohortState.MATCHING,
                waiting,
                "The cohort closes when every trained returner is hired or has left the programme.",
            )
        return Lifecycle(
            CohortState.CLOSED,
            waiting,
            f"Nothing is left to do: {_plural(p.hired, 'returner was', 'returners were')} hired.",
        )
    if p.opens_on is not None and today < p.opens_on:
        return Lifecycle(
            CohortState.DRAFT,
            waiting,
            f"Applications open on {_long_day(p.opens_on)}. Set the configuration (places, "
            "shortlisting, second-stage time) before then.",
        )
    window_open = p.closes_on is None or today <= p.closes_on
    if window_open:
        closes = f" until {_long_day(p.closes_on)}" if p.closes_on else ""
        return Lifecycle(
            CohortState.OPEN,
            waiting,
            f"Candidates apply{closes} ({_plural(p.applications, 'application', 'applications')} so far). "
            + (
                "Shortlisting can be closed once the window has closed."
                if p.shortlist_by_size
                else "Those scoring above the threshold are invited to the second stage as they apply."
            ),
        )
    if p.shortlist_by_size and not p.shortlisting_closed:
        return Lifecycle(
            CohortState.SHORTLISTING,
            waiting,
            "Close shortlisting: the best are invited to the second stage and the others are told.",
        )
    if p.second_stage_due:
        return Lifecycle(
            CohortState.SECOND_STAGE,
            waiting,
            "Assessors score each second stage as it arrives; selection waits until they are scored.",
        )
    if p.awaiting_scorecards:
        return Lifecycle(
            CohortState.SCORING,
            waiting,
            "When every scorecard is in, close the cohort and select.",
        )
    return Lifecycle(
        CohortState.SELECTION,
        waiting,
        "Every second stage is scored: close the cohort and select. The selected are enrolled in training.",
    )


# --------------------------------------------------------------------------- calibration

#: Recommendations in order, as steps apart (strong no to strong yes is 3 steps).
RECOMMENDATION_STEPS: dict[Recommendation, int] = {
    Recommendation.STRONG_NO: 0,
    Recommendation.NO: 1,
    Recommendation.YES: 2,
    Recommendation.STRONG_YES: 3,
}
RECOMMENDATION_NAMES: dict[Recommendation, str] = {
    Recommendation.STRONG_NO: "strong no",
    Recommendation.NO: "no",
    Recommendation.YES: "yes",
    Recommendation.STRONG_YES: "strong yes",
}


@dataclass(frozen=True)
class Card:
    """One assessor's sent scorecard, as the calibration rules see it."""

    assessor_id: str
    scores: Mapping[str, int]
    recommendation: Recommendation


def disagreement(rubric: Rubric, cards: Sequence[Card]) -> list[str]:
    """Why the assessors disagree, in plain English (empty when they agree): recommendations
    at least the rubric's `recommendation_spread` steps apart, or scorecards more than its
    `score_gap` points apart."""
    if len(cards) < 2:
        return []
    reasons = []
    ordered = sorted(cards, key=lambda c: RECOMMENDATION_STEPS[c.recommendation])
    low, high = ordered[0].recommendation, ordered[-1].recommendation
    steps = RECOMMENDATION_STEPS[high] - RECOMMENDATION_STEPS[low]
    if steps >= rubric.recommendation_spread:
        reasons.append(
            f"Recommendations differ by {steps} step{'s' if steps != 1 else ''}: "
            f"{RECOMMENDATION_NAMES[low]} against {RECOMMENDATION_NAMES[high]} "
            f"(the cohort flags {rubric.recommendation_spread} or more)."
        )
    points = [scorecard_points(rubric, c.scores) for c in cards]
    gap = round(max(points) - min(points), 2)
    if gap > rubric.score_gap:
        reasons.append(
            f"Scorecards are {gap:g} points apart out of 100 (the cohort flags more than "
            f"{rubric.score_gap:g})."
        )
    return reasons


class CalibrationStatus(StrEnum):
    """Where a disagreement between assessors stands. Open ones block selection."""

    OPEN = "open"
    THIRD_ASKED = "third_asked"
    SETTLED_BY_THIRD = "settled_by_third"
    AGREED = "agreed"
    MODERATED = "moderated"

    @property
    def blocks_selection(self) -> bool:
        return self in (CalibrationStatus.OPEN, CalibrationStatus.THIRD_ASKED)


@dataclass(frozen=True)
class SecondStageOutcome:
    """The second-stage score of a candidate's scorecards and whether the assessors disagree."""

    score: float
    reasons: list[str]
    status: CalibrationStatus | None


def closest_cards(rubric: Rubric, cards: Sequence[Card]) -> list[Card]:
    """The `assessors_per_candidate` scorecards closest together in points (ties: the earliest
    in the order given)."""
    wanted = rubric.assessors_per_candidate
    if len(cards) <= wanted:
        return list(cards)
    ordered = sorted(cards, key=lambda c: scorecard_points(rubric, c.scores))
    windows = [ordered[i : i + wanted] for i in range(len(ordered) - wanted + 1)]
    return min(
        windows,
        key=lambda w: scorecard_points(rubric, w[-1].scores) - scorecard_points(rubric, w[0].scores),
    )


def second_stage_outcome(
    rubric: Rubric, cards: Sequence[Card], current: CalibrationStatus | None = None
) -> SecondStageOutcome:
    """Score the scorecards and say where calibration stands.

    Assessors who agree: the mean of their scorecards. Assessors who disagree: the disagreement
    is open (or stays waiting for the third assessor asked) and the mean stands until it is
    resolved. Once a further assessor's scorecard is in, the closest scorecards settle it (the
    mean of the `assessors_per_candidate` closest). A disagreement that a correction removes is
    closed as agreed. A moderated outcome is not this function's business (it stands)."""
    reasons = disagreement(rubric, cards)
    if len(cards) > rubric.assessors_per_candidate and (reasons or current is not None):
        used = closest_cards(rubric, cards)
        score = second_stage_score(rubric, [c.scores for c in used])
        return SecondStageOutcome(score, reasons, CalibrationStatus.SETTLED_BY_THIRD)
    score = second_stage_score(rubric, [c.scores for c in cards])
    if not reasons:
        return SecondStageOutcome(score, [], None if current is None else CalibrationStatus.AGREED)
    status = (
        CalibrationStatus.THIRD_ASKED if current is CalibrationStatus.THIRD_ASKED else CalibrationStatus.OPEN
    )
    return SecondStageOutcome(score, reasons, status)


MIN_MODERATION_REASON = 10


def moderation_problems(rubric: Rubric, scores: Mapping[str, int], reason: str) -> list[tuple[str, str]]:
    """(field, message) for a moderation that cannot be recorded."""
    problems = scorecard_problems(rubric, scores)
    reason = reason.strip()
    if not reason:
        problems.append(("reason", "Give the reason for the moderated scores."))
    elif len(reason) < MIN_MODERATION_REASON:
        problems.append(
            (
                "reason",
                f"Give the reason for the moderated scores in at least {MIN_MODERATION_REASON} characters.",
            )
        )
    elif len(reason) > 2000:
        problems.append(("reason", "Keep the reason to 2,000 characters or fewer."))
    return problems


def moderated_score(rubric: Rubric, scores: Mapping[str, int]) -> float:
    """The moderated second-stage score: the moderator's scorecard alone, 0-100."""
    return scorecard_points(rubric, scores)


def scorecard_change_refusal(cohort_id: str, selection_closed_at: datetime | None) -> str | None:
    """Why an assessor can no longer send or change a scorecard (None while they can): scoring
    is open until the cohort's selection is closed."""
    if selection_closed_at is None:
        return None
    return (
        f"Scoring for cohort {cohort_id} closed on {selection_closed_at:%-d %B %Y} when candidates "
        "were selected: scorecards can no longer be sent or changed. Ask the programme team if "
        "something in your scorecard is wrong."
    )


def disagreements_refusal(open_disagreements: int) -> str | None:
    """Why selection cannot go ahead while assessors' disagreements are unresolved."""
    if open_disagreements == 0:
        return None
    plural = "s between assessors are" if open_disagreements != 1 else " between assessors is"
    return (
        f"{open_disagreements} disagreement{plural} still open: resolve "
        f"{'them' if open_disagreements != 1 else 'it'} on the calibration page (ask a third "
        "assessor or moderate) before selecting."
    )


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
