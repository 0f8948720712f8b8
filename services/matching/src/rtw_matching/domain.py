"""Matching rules: the explainable score of a candidate for a vacancy, visibility, skill gaps.
Pure functions over plain data: no I/O.

Score 0-100 = the weighted sum of named factors; each factor reports its points, its share of the
score and, below its maximum, what would raise it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field, model_validator
from rtw_contracts import FlexibleWorking, IctSpecialism, ScoreFactor, SkillGap, SkillLevel, WorkMode

LEVEL_NAMES = {1: "Awareness", 2: "Working", 3: "Practitioner", 4: "Expert"}


class Weights(BaseModel):
    """The maximum points of each factor (they add up to 100); versioned by the admin."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str = "weights-1"
    role_fit: float = Field(default=20, ge=0)
    skills: float = Field(default=30, ge=0)
    experience: float = Field(default=10, ge=0)
    distance: float = Field(default=15, ge=0)
    flexible_working: float = Field(default=10, ge=0)
    training: float = Field(default=10, ge=0)
    availability: float = Field(default=5, ge=0)
    full_experience_years: float = Field(default=10, gt=0)
    propose_at: float = Field(default=55, ge=0, le=100, description="Lowest score proposed.")
    proposals_per_vacancy: int = Field(default=10, ge=1, le=200)
    material_change: float = Field(default=5, gt=0, description="Score change that re-proposes.")
    near_fit_at: float = Field(default=40, ge=0, le=100, description="Lowest score for skill gaps.")

    @model_validator(mode="after")
    def _total(self) -> Weights:
        total = (
            self.role_fit
            + self.skills
            + self.experience
            + self.distance
            + self.flexible_working
            + self.training
            + self.availability
        )
        if abs(total - 100) > 1e-6:
            raise ValueError(f"the factors' points must add up to 100, not {total:g}")
        return self


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float


def distance_km(a: Place, b: Place) -> float:
    """Great-circle distance."""
    phi1, phi2 = math.radians(a.latitude), math.radians(b.latitude)
    d_phi = phi2 - phi1
    d_lambda = math.radians(b.longitude - a.longitude)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 6371.0088 * 2 * math.asin(math.sqrt(h))


@dataclass(frozen=True)
class Candidate:
    """A talent-pool profile: facts only, no name or contact details."""

    candidate_id: str
    programme: str
    home: Place
    region: str
    specialisms: frozenset[str]
    skills: Mapping[str, int]
    years_experience: float
    flexible_working: frozenset[str]
    max_travel_km: float
    visible_to_regions: frozenset[str]
    visible_to_councils: frozenset[str]
    earliest_start: date | None
    training_status: str = "none"  # none | enrolled | completed
    modules_completed: int = 0
    modules_total: int = 0


@dataclass(frozen=True)
class Vacancy:
    vacancy_id: str
    council_gss: str
    council_region: str
    programme: str
    specialism: str | None
    role: str
    required_skills: Mapping[str, int]
    bases: tuple[Place, ...]
    work_mode: str
    flexible_working: frozenset[str]
    starts_on: date


def visible_to(candidate: Candidate, council_gss: str, council_region: str) -> bool:
    """A council sees a candidate only if the candidate allows its region or the council itself."""
    return council_region in candidate.visible_to_regions or council_gss in candidate.visible_to_councils


def roles_of(specialisms: frozenset[str]) -> frozenset[str]:
    """The framework roles of the chosen ICT specialisms."""
    roles: set[str] = set()
    for code in specialisms:
        try:
            roles.update(IctSpecialism(code).ddat_roles)
        except ValueError:
            continue
    return frozenset(roles)


def nearest_base_km(candidate: Candidate, vacancy: Vacancy) -> float:
    """Distance from the candidate's postcode district to the vacancy's nearest base."""
    return min(distance_km(candidate.home, base) for base in vacancy.bases)


def allowed_distance_km(candidate: Candidate, vacancy: Vacancy) -> float | None:
    """How far the candidate would travel for this vacancy (None: distance does not matter)."""
    if vacancy.work_mode == WorkMode.REMOTE.value:
        return None
    if vacancy.work_mode == WorkMode.HYBRID.value:
        return candidate.max_travel_km * 2  # fewer days in the office
    return candidate.max_travel_km


@dataclass(frozen=True, slots=True)
class _Part:
    name: str
    points: float
    maximum: float
    why: str
    hint: str | None


@dataclass(frozen=True)
class Match:
    """A score with its factors and the skills the candidate lacks for the vacancy.

    Scoring a large pool needs only the numbers: the explained factors and the gaps are built
    when first asked for (for the pairs that are proposed, shown or signalled)."""

    score: float
    parts: tuple[_Part, ...]
    missing: tuple[tuple[str, int, int], ...] = ()  # (skill, level needed, level held)
    distance_km: float | None = None

    @cached_property
    def factors(self) -> list[ScoreFactor]:
        """Each factor with its points, share and what would raise it."""
        return [
            ScoreFactor(
                name=p.name,
                points=p.points,
                max_points=p.maximum,
                share=round(p.points / self.score, 4) if self.score else 0.0,
                explanation=p.why,
                would_rise_if=None if p.points >= p.maximum else p.hint,
            )
            for p in self.parts
        ]

    @cached_property
    def gaps(self) -> list[SkillGap]:
        """The skills missing or below the level the vacancy needs."""
        return [
            SkillGap(
                skill=skill,
                required_level=SkillLevel(needed),
                current_level=SkillLevel(held) if held else None,
            )
            for skill, needed, held in self.missing
        ]


def _factor(name: str, fraction: float, maximum: float, why: str, hint: str | None) -> _Part:
    points = round(maximum * max(0.0, min(1.0, fraction)), 2)
    return _Part(name, points, maximum, why, hint)


def score(candidate: Candidate, vacancy: Vacancy, weights: Weights) -> Match:
    """The explainable score of a candidate for a vacancy."""
    factors: list[_Part] = []

    # Role fit: the vacancy's specialism or role among the candidate's.
    if vacancy.specialism and vacancy.specialism in candidate.specialisms:
        fit, why = 1.0, "the vacancy's specialism is one the candidate chose"
    elif vacancy.role in roles_of(candidate.specialisms):
        fit, why = 1.0, f"{vacancy.role} is a role of a specialism the candidate chose"
    elif not vacancy.specialism and not candidate.specialisms and vacancy.programme == candidate.programme:
        fit, why = 1.0, "same profession"
    else:
        fit, why = 0.4, "same profession, another specialism"
    factors.append(
        _factor("role_fit", fit, weights.role_fit, why, "choosing this specialism would add to it")
    )

    # Skills coverage against the vacancy's required levels.
    missing: list[tuple[str, int, int]] = []
    ratios: list[float] = []
    for skill, needed in sorted(vacancy.required_skills.items()):
        held = candidate.skills.get(skill, 0)
        ratios.append(min(held / needed, 1.0))
        if held < needed:
            missing.append((skill, needed, held))
    coverage = sum(ratios) / len(ratios) if ratios else 1.0
    hint = None
    if missing:
        skill, needed, held = max(missing, key=lambda m: m[1] - m[2])
        rise = weights.skills * (1 - held / needed) / len(ratios)
        hint = (
            f"reaching {LEVEL_NAMES[needed]} in {skill} (for example through training) would add {rise:.0f}"
        )
    factors.append(
        _factor(
            "skills",
            coverage,
            weights.skills,
            f"covers {coverage:.0%} of the skill levels the vacancy needs",
            hint,
        )
    )

    # Experience.
    years = min(candidate.years_experience, weights.full_experience_years)
    factors.append(
        _factor(
            "experience",
            years / weights.full_experience_years,
            weights.experience,
            f"{candidate.years_experience:g} years' experience",
            "more experience would add to it",
        )
    )

    # Distance, relaxed for hybrid and remote vacancies.
    allowed = allowed_distance_km(candidate, vacancy)
    km = nearest_base_km(candidate, vacancy) if vacancy.bases else None
    if allowed is None or km is None:
        fraction, why = 1.0, "remote: distance does not matter"
    elif km <= allowed:
        fraction, why = 1.0, f"{km:.0f} km away, within the {allowed:.0f} km the candidate would travel"
    else:
        fraction = max(0.0, 1 - (km - allowed) / max(allowed, 1.0))
        why = f"{km:.0f} km away, beyond the {allowed:.0f} km the candidate would travel"
    factors.append(
        _factor("distance", fraction, weights.distance, why, "a hybrid or remote arrangement would add to it")
    )

    # Flexible working: how many of the candidate's needs the vacancy meets.
    offered = set(vacancy.flexible_working)
    if vacancy.work_mode == WorkMode.REMOTE.value:
        offered.update({FlexibleWorking.REMOTE.value, FlexibleWorking.HYBRID.value})
    elif vacancy.work_mode == WorkMode.HYBRID.value:
        offered.add(FlexibleWorking.HYBRID.value)
    wanted = set(candidate.flexible_working)
    met = wanted & offered
    fraction = len(met) / len(wanted) if wanted else 1.0
    unmet = sorted(wanted - offered)
    factors.append(
        _factor(
            "flexible_working",
            fraction,
            weights.flexible_working,
            f"meets {len(met)} of {len(wanted)} flexible-working needs"
            if wanted
            else "no flexible-working needs",
            f"offering {', '.join(m.replace('_', ' ') for m in unmet)} would add to it",
        )
    )

    # Training progress.
    if candidate.training_status == "completed":
        fraction, why = 1.0, "completed the programme's training"
    elif candidate.training_status == "enrolled" and candidate.modules_total:
        fraction = 0.3 + 0.6 * candidate.modules_completed / candidate.modules_total
        why = f"in training: {candidate.modules_completed} of {candidate.modules_total} modules done"
    else:
        fraction, why = 0.0, "not in training yet"
    factors.append(
        _factor(
            "training", fraction, weights.training, why, "completing more training modules would add to it"
        )
    )

    # Availability.
    if candidate.earliest_start is None or candidate.earliest_start <= vacancy.starts_on:
        fraction, why = 1.0, "available by the start date"
    else:
        late = (candidate.earliest_start - vacancy.starts_on).days
        fraction, why = max(0.0, 1 - late / 180), f"available {late} days after the start date"
    factors.append(
        _factor("availability", fraction, weights.availability, why, "an earlier start would add to it")
    )

    total = round(sum(f.points for f in factors), 2)
    return Match(score=total, parts=tuple(factors), missing=tuple(missing), distance_km=km)


def vacancy_start(closing_date: date) -> date:
    """When a vacancy's post starts, for availability: four weeks after it closes."""
    return closing_date + timedelta(weeks=4)


def should_propose(
    new_score: float, previous: float | None, weights: Weights, weakest_proposed: float | None, proposed: int
) -> bool:
    """Propose a pair once, again only if its score moved materially; keep the best per vacancy."""
    if new_score < weights.propose_at:
        return False
    if previous is not None:
        return abs(new_score - previous) >= weights.material_change
    return proposed < weights.proposals_per_vacancy or (
        weakest_proposed is not None and new_score > weakest_proposed
    )


def near_fit_gaps(match: Match, weights: Weights) -> Sequence[SkillGap]:
    """The gaps worth training for: the candidate nearly fits (skills are what holds them back)."""
    if not match.missing or match.score < weights.near_fit_at or match.score >= 100:
        return []
    return match.gaps
