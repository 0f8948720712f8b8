"""Matching rules: the explainable score of a candidate for a vacancy, visibility, skill gaps.
Pure functions over plain data: no I/O.

Score 0-100 = the weighted sum of named factors; each factor reports its points, its share of the
score and, below its maximum, what would raise it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import cached_property, lru_cache
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator
from rtw_contracts import (
    AssessmentOutcome,
    FlexibleWorking,
    IctSpecialism,
    ScoreFactor,
    SkillGap,
    SkillLevel,
    WorkMode,
)
from rtw_contracts.labels import label_for_code
from rtw_contracts.units import miles_from_km
from rtw_platform import names

LEVEL_NAMES = {int(level): level.label for level in SkillLevel}


def _far(km: float) -> str:
    """A distance as the profile has it (km) and as candidates gave it (miles): '32 km (20 miles)'."""
    return f"{km:.0f} km ({miles_from_km(km)} miles)"


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
class WeightsInForce:
    """The weights matching scores with, and the version pairs are recorded with."""

    version: str
    weights: Weights


DEFAULT_WEIGHTS = WeightsInForce(Weights().version, Weights())


def same_weights(a: WeightsInForce, b: WeightsInForce) -> bool:
    """Whether two weights in force score alike (and are recorded with the same version)."""
    return a.version == b.version and (a.weights is b.weights or a.weights == b.weights)


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float


# --------------------------------------------------------------------------------------------
# The score's formula, written once. Each factor scores `points(weight, fraction)`: its weight
# (`Weights`) times a fraction from 0 to 1 worked out below. The explained score (`Explainer`),
# the quick score (`quick_scores`) and the SQL bound matching ranks a pool by
# (`store.score_bound_sql`) are all built from these functions and constants.

#: A hybrid role asks for fewer days in the office: the candidate's distance counts this many times.
HYBRID_TRAVEL_FACTOR = 2
#: The role fit of a candidate of the same profession who chose another specialism.
PARTIAL_ROLE_FIT = 0.4
#: Training in progress scores this much at once, and up to this much more as modules are done.
TRAINING_STARTED = 0.3
TRAINING_MODULES = 0.6
#: A start this many days after the vacancy's scores no availability points.
LATE_START_DAYS = 180
#: The mean radius of the Earth (great-circle distances).
EARTH_RADIUS_KM = 6371.0088


def points(weight: float, fraction: float) -> float:
    """A factor's points: its weight times the fraction, held within 0 and 1, to 0.01."""
    return round(weight * max(0.0, min(1.0, fraction)), 2)


def role_fraction(full_fit: bool) -> float:
    """Role fit: whole for the vacancy's specialism or role, else `PARTIAL_ROLE_FIT`."""
    return 1.0 if full_fit else PARTIAL_ROLE_FIT


def skills_coverage(required: Sequence[tuple[str, int]], held: Mapping[str, int]) -> tuple[float, bool]:
    """Skills: the mean over the required skills (sorted by name) of the level held over the
    level needed, each at most 1; and whether any is held below its level."""
    if not required:
        return 1.0, False
    get = held.get
    covered = 0.0  # added in order: the explained and the quick scores add the same numbers
    lacks = False
    for skill, needed in required:
        ratio = get(skill, 0) / needed
        if ratio < 1.0:
            covered += ratio
            lacks = True
        else:
            covered += 1.0
    return covered / len(required), lacks


def experience_fraction(years: float, full_years: float) -> float:
    """Experience: the years, up to `Weights.full_experience_years`, over those."""
    return min(years, full_years) / full_years


def allowed_km(travel_km: float, hybrid: bool) -> float:
    """How far the candidate's distance allows: their own, extended for a hybrid role."""
    return travel_km * HYBRID_TRAVEL_FACTOR if hybrid else travel_km


def distance_fraction(km: float, allowed: float) -> float:
    """Distance: whole within the distance allowed, less the further beyond it."""
    return 1.0 if km <= allowed else max(0.0, 1 - (km - allowed) / max(allowed, 1.0))


def flexible_fraction(needs_met: int, needs: int) -> float:
    """Flexible working: the candidate's needs the vacancy meets, over their needs (whole if none)."""
    return needs_met / needs if needs else 1.0


def training_fraction(status: str, modules_completed: int, modules_total: int) -> float:
    """Training: whole once completed, in part while enrolled, none before."""
    if status == "completed":
        return 1.0
    if status == "enrolled" and modules_total:
        return TRAINING_STARTED + TRAINING_MODULES * modules_completed / modules_total
    return 0.0


def availability_fraction(days_late: int) -> float:
    """Availability: whole if the candidate can start by the start date, less the later they can."""
    return 1.0 if days_late <= 0 else max(0.0, 1 - days_late / LATE_START_DAYS)


def nearest_km(
    phi1: float, cos1: float, longitude: float, bases: Sequence[tuple[float, float, float]]
) -> float | None:
    """The great-circle distance to the nearest base ((latitude, longitude, cos(latitude in
    radians)) each) from a point at `longitude` whose latitude in radians is `phi1` and its cosine
    `cos1` (worked out once per candidate); None without bases."""
    km: float | None = None
    for base_latitude, base_longitude, cos2 in bases:
        d_lambda = _radians(base_longitude - longitude)
        h = _sin((_radians(base_latitude) - phi1) / 2) ** 2 + cos1 * cos2 * _sin(d_lambda / 2) ** 2
        d = EARTH_RADIUS_KM * 2 * _asin(_sqrt(h))
        if km is None or d < km:
            km = d
    return km


_radians, _sin, _cos, _asin, _sqrt = math.radians, math.sin, math.cos, math.asin, math.sqrt


def distance_reason(km: float, travel_km: float, hybrid: bool) -> str:
    """Why the distance scores what it does, with the candidate's own distance and, for a hybrid
    role, the distance it is extended to (and why)."""
    allowed = travel_km * HYBRID_TRAVEL_FACTOR if hybrid else travel_km
    side = "within" if km <= allowed else "beyond"
    if not hybrid:
        return f"{_far(km)} away, {side} the {_far(travel_km)} the candidate would travel"
    return (
        f"{_far(km)} away, {side} {_far(allowed)}: the candidate would travel {_far(travel_km)},"
        f" extended to {_far(allowed)} for a hybrid role (fewer days in the office)"
    )


def distance_km(a: Place, b: Place) -> float:
    """Great-circle distance."""
    return _great_circle_km(a.latitude, a.longitude, b.latitude, b.longitude)


def _great_circle_km(lat_a: float, lon_a: float, lat_b: float, lon_b: float) -> float:
    phi1, phi2 = math.radians(lat_a), math.radians(lat_b)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon_b - lon_a)
    h = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return EARTH_RADIUS_KM * 2 * math.asin(math.sqrt(h))


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


def in_pool(outcome: str | None, *, withdrawn: bool) -> bool:
    """Whether a candidate is in the talent pool councils search and are proposed. Councils connect
    with returners developing their skills through the programme: those selected (in or past
    training, and those promoted from the waiting list, which assessment publishes as a later
    `selected`), never the waiting list itself, and nobody who withdrew."""
    return outcome == AssessmentOutcome.SELECTED.value and not withdrawn


class HeldOutcome(NamedTuple):
    """The assessment outcome a profile holds, and whether it puts the candidate in the pool."""

    outcome: str
    sequence: int
    in_pool: bool


def later_outcome(held_sequence: int, outcome: str, sequence: int, *, withdrawn: bool) -> HeldOutcome | None:
    """The outcome a profile holds once `outcome` (numbered `sequence`) arrives: None when a later
    one is held already (an earlier outcome never replaces it), else the outcome with whether it
    puts the candidate in the pool (`in_pool`)."""
    if sequence < held_sequence:
        return None
    return HeldOutcome(outcome, sequence, in_pool(outcome, withdrawn=withdrawn))


def visible_to(candidate: Candidate, council_gss: str, council_region: str) -> bool:
    """A council sees a candidate only if the candidate allows its region or the council itself."""
    return council_region in candidate.visible_to_regions or council_gss in candidate.visible_to_councils


@lru_cache(maxsize=1024)
def roles_of(specialisms: frozenset[str]) -> frozenset[str]:
    """The framework roles of the chosen ICT specialisms."""
    roles: set[str] = set()
    for code in specialisms:
        try:
            roles.update(IctSpecialism(code).ddat_roles)
        except ValueError:
            continue
    return frozenset(roles)


class _Part(NamedTuple):
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
        return [ScoreFactor(**row) for row in self.factor_rows]

    @cached_property
    def factor_rows(self) -> list[dict[str, Any]]:
        """The factors as JSON objects (what `factors` dump to), built without the models."""
        return [
            {
                "name": p.name,
                "points": p.points,
                "max_points": p.maximum,
                "share": round(p.points / self.score, 4) if self.score else 0.0,
                "explanation": p.why,
                "would_rise_if": None if p.points >= p.maximum else p.hint,
            }
            for p in self.parts
        ]

    @cached_property
    def gaps(self) -> list[SkillGap]:
        """The skills missing or below the level the vacancy needs."""
        return gaps_of(self.missing)


def missing_skills(required: Mapping[str, int], held: Mapping[str, int]) -> tuple[tuple[str, int, int], ...]:
    """(skill, level needed, level held) of each required skill held below its level, by name."""
    return tuple(
        (skill, needed, held.get(skill, 0))
        for skill, needed in sorted(required.items())
        if held.get(skill, 0) < needed
    )


def gaps_of(missing: Sequence[tuple[str, int, int]]) -> list[SkillGap]:
    """Skill gaps from (skill, level needed, level held)."""
    return [
        SkillGap(
            skill=skill,
            required_level=SkillLevel(needed),
            current_level=SkillLevel(held) if held else None,
        )
        for skill, needed, held in missing
    ]


def _factor(name: str, fraction: float, maximum: float, why: str, hint: str | None) -> _Part:
    return _Part(name, points(maximum, fraction), maximum, why, hint)


def score(candidate: Candidate, vacancy: Vacancy, weights: Weights) -> Match:
    """The explainable score of a candidate for a vacancy."""
    return Explainer(facts_of(candidate), weights).explain(vacancy)


_REMOTE, _HYBRID = WorkMode.REMOTE.value, WorkMode.HYBRID.value


class Explainer:
    """One candidate's explainable scores with the weights in force, for any number of vacancies.

    What depends on the candidate alone (experience, training, the roles of their specialisms) is
    worked out once, and the parts that recur from vacancy to vacancy (role fit, flexible working,
    availability) are kept, so explaining many pairs of one candidate costs little more than
    scoring them. `score` is this, for one pair."""

    __slots__ = (
        "_availability",
        "_cos1",
        "_distances",
        "_experience",
        "_flexible",
        "_held",
        "_latitude",
        "_longitude",
        "_phi1",
        "_role",
        "_roles",
        "_training",
        "chosen",
        "earliest",
        "programme",
        "travel",
        "wanted",
        "weights",
    )

    def __init__(self, facts: Sequence[Any], weights: Weights) -> None:
        f = Facts._make(facts[:12])
        self.weights = weights
        self.programme = f.programme
        self.chosen = f.specialisms if isinstance(f.specialisms, frozenset) else frozenset(f.specialisms)
        self.wanted = (
            f.flexible_working if isinstance(f.flexible_working, frozenset) else frozenset(f.flexible_working)
        )
        self.travel = f.max_travel_km
        self.earliest = f.earliest_start
        self._held: Mapping[str, int] = f.skills or {}
        self._latitude, self._longitude = f.latitude, f.longitude
        self._phi1 = math.radians(f.latitude)
        self._cos1 = math.cos(self._phi1)
        self._roles: frozenset[str] | None = None
        self._role: dict[tuple[str | None, str, str], _Part] = {}
        self._flexible: dict[int, _Part] = {}
        self._distances: dict[int, tuple[_Part, float | None]] = {}
        self._availability: dict[date, _Part] = {}
        self._experience = _factor(
            "experience",
            experience_fraction(f.years_experience, weights.full_experience_years),
            weights.experience,
            f"{f.years_experience:g} years' experience",
            "more experience would add to it",
        )
        fraction = training_fraction(f.training_status, f.modules_completed, f.modules_total)
        if f.training_status == "completed":
            why = "completed the programme's training"
        elif f.training_status == "enrolled" and f.modules_total:
            why = f"in training: {f.modules_completed} of {f.modules_total} modules done"
        else:
            why = "not in training yet"
        self._training = _factor(
            "training", fraction, weights.training, why, "completing more training modules would add to it"
        )

    def explain(self, vacancy: Vacancy, compiled: Scorer | None = None) -> Match:
        """The explainable score of this candidate for `vacancy` (exactly what `score` gives);
        `compiled` is the vacancy compiled with these weights (`scorer`), if at hand."""
        s = compiled if compiled is not None else scorer(vacancy, self.weights)
        role = self._role_fit(vacancy)
        skills, missing = self._skills(s.skills)
        distance, km = self._distance(vacancy.work_mode, s)
        flexible = self._flexible_working(s)
        availability = self._available(s.starts_on)
        factors = (role, skills, self._experience, distance, flexible, self._training, availability)
        # Added in order, as `quick_scores` adds them.
        total = 0.0
        for factor in factors:
            total += factor.points
        return Match(score=round(total, 2), parts=factors, missing=missing, distance_km=km)

    def _role_fit(self, vacancy: Vacancy) -> _Part:
        # The vacancy's specialism or role among the candidate's.
        key = (vacancy.specialism, vacancy.role, vacancy.programme)
        part = self._role.get(key)
        if part is not None:
            return part
        if vacancy.specialism and vacancy.specialism in self.chosen:
            full, why = True, "the vacancy's specialism is one the candidate chose"
        else:
            if self._roles is None:
                self._roles = roles_of(self.chosen)
            if vacancy.role in self._roles:
                full, why = True, f"{vacancy.role} is a role of a specialism the candidate chose"
            elif not vacancy.specialism and not self.chosen and vacancy.programme == self.programme:
                full, why = True, "same profession"
            else:
                full, why = False, "same profession, another specialism"
        part = _factor(
            "role_fit",
            role_fraction(full),
            self.weights.role_fit,
            why,
            "choosing this specialism would add to it",
        )
        self._role[key] = part
        return part

    def _skills(
        self, required: tuple[tuple[str, int], ...]
    ) -> tuple[_Part, tuple[tuple[str, int, int], ...]]:
        # Skills coverage against the vacancy's required levels (`required` sorted by skill).
        weights, held_levels = self.weights, self._held
        coverage, _ = skills_coverage(required, held_levels)
        missing: list[tuple[str, int, int]] = []
        widest, lack = -1, ("", 0, 0)
        for skill, needed in required:
            held = held_levels.get(skill, 0)
            if held < needed:
                gap = (skill, needed, held)
                missing.append(gap)
                if needed - held > widest:  # the first of the widest gaps
                    widest, lack = needed - held, gap
        hint = None
        if missing:
            skill, needed, held = lack
            rise = weights.skills * (1 - held / needed) / len(required)
            hint = (
                f"reaching {LEVEL_NAMES[needed]} in {skill} (for example through training)"
                f" would add {rise:.0f}"
            )
        part = _factor(
            "skills",
            coverage,
            weights.skills,
            f"covers {coverage:.0%} of the skill levels the vacancy needs",
            hint,
        )
        return part, tuple(missing)

    def _distance(self, work_mode: str, s: Scorer) -> tuple[_Part, float | None]:
        # Distance, relaxed for hybrid and remote vacancies.
        cached = self._distances.get(s.distance_key) if s.distance_key else None
        if cached is not None:
            return cached
        # `_great_circle_km`, with the candidate's side worked out once.
        km = nearest_km(self._phi1, self._cos1, self._longitude, s.bases)
        if work_mode == _REMOTE or km is None:
            fraction, why = 1.0, "remote: distance does not matter"
        else:
            hybrid = work_mode == _HYBRID  # fewer days in the office
            fraction = distance_fraction(km, allowed_km(self.travel, hybrid))
            why = distance_reason(km, self.travel, hybrid)
        part = _factor(
            "distance", fraction, self.weights.distance, why, "a hybrid or remote arrangement would add to it"
        )
        if s.distance_key:
            self._distances[s.distance_key] = (part, km)
        return part, km

    def _flexible_working(self, s: Scorer) -> _Part:
        # Flexible working: how many of the candidate's needs the vacancy meets.
        part = self._flexible.get(s.offered_key) if s.offered_key else None
        if part is not None:
            return part
        wanted, offered = self.wanted, s.offered
        met = wanted & offered
        fraction = flexible_fraction(len(met), len(wanted))
        unmet = ", ".join(label_for_code(m, FlexibleWorking).lower() for m in sorted(wanted - offered))
        part = _factor(
            "flexible_working",
            fraction,
            self.weights.flexible_working,
            f"meets {len(met)} of {len(wanted)} flexible-working needs"
            if wanted
            else "no flexible-working needs",
            f"offering {unmet} would add to it",
        )
        if s.offered_key:
            self._flexible[s.offered_key] = part
        return part

    def _available(self, starts_on: date) -> _Part:
        part = self._availability.get(starts_on)
        if part is not None:
            return part
        earliest = self.earliest
        if earliest is None or earliest <= starts_on:
            fraction, why = 1.0, "available by the start date"
        else:
            late = (earliest - starts_on).days
            fraction, why = availability_fraction(late), f"available {late} days after the start date"
        part = _factor(
            "availability", fraction, self.weights.availability, why, "an earlier start would add to it"
        )
        self._availability[starts_on] = part
        return part


# --------------------------------------------------------------------------------------------
# Scoring many pairs: the numbers of `score`, without building the explanations.
#
# `quick_score` must give exactly the total `score` gives (the same operations in the same order,
# rounded the same way); tests compare the two over many generated pairs. Matching ranks a pool
# with it and explains, with `score`, only the pairs it proposes, updates or signals.


class Facts(NamedTuple):
    """The candidate facts the score depends on, as plain values (a row's first columns)."""

    programme: str
    latitude: float
    longitude: float
    specialisms: Collection[str]
    skills: Mapping[str, int]
    years_experience: float
    flexible_working: Collection[str]
    max_travel_km: float
    earliest_start: date | None
    training_status: str
    modules_completed: int
    modules_total: int


def facts_of(candidate: Candidate) -> Facts:
    """A candidate's facts for `quick_score`."""
    return Facts(
        candidate.programme,
        candidate.home.latitude,
        candidate.home.longitude,
        candidate.specialisms,
        candidate.skills,
        candidate.years_experience,
        candidate.flexible_working,
        candidate.max_travel_km,
        candidate.earliest_start,
        candidate.training_status,
        candidate.modules_completed,
        candidate.modules_total,
    )


@lru_cache(maxsize=512)
def specialisms_with_role(role: str) -> frozenset[str]:
    """The ICT specialisms one of whose framework roles is `role`."""
    return frozenset(s.value for s in IctSpecialism if role in s.ddat_roles)


def _offered(vacancy: Vacancy) -> frozenset[str]:
    """The flexible working a vacancy offers, its work mode included."""
    offered = set(vacancy.flexible_working)
    if vacancy.work_mode == WorkMode.REMOTE.value:
        offered.update({FlexibleWorking.REMOTE.value, FlexibleWorking.HYBRID.value})
    elif vacancy.work_mode == WorkMode.HYBRID.value:
        offered.add(FlexibleWorking.HYBRID.value)
    return frozenset(offered)


#: Small integers standing for the parts of vacancies that recur (see `Scorer`), so that scoring
#: one candidate against many vacancies works each recurring part out once.
_KEYS: dict[Any, int] = {}
_NEXT_KEY = itertools.count(1)


def _key(value: Any) -> int:
    found = _KEYS.get(value)
    if found is None:
        if len(_KEYS) >= 100_000:
            _KEYS.clear()  # new numbers from then on: never one number for two values
        found = _KEYS[value] = next(_NEXT_KEY)
    return found


@dataclass(frozen=True, slots=True)
class Scorer:
    """A vacancy and the weights in force, compiled for scoring many candidates (`quick_score`)."""

    programme: str
    specialism: str | None
    fitting: frozenset[str]  # candidate specialisms that make a full role fit
    skills: tuple[tuple[str, int], ...]  # (skill, level needed), in the order `score` takes them
    bases: tuple[tuple[float, float, float], ...]  # (latitude, longitude, cos(latitude in radians))
    distance_matters: bool
    hybrid: bool
    offered: frozenset[str]
    starts_on: date
    weights: tuple[float, ...]  # role fit, skills, experience, distance, flexible, training, availability
    full_experience_years: float
    # The same number for the same weights (`weights` and `full_experience_years`), role fit
    # (`programme`, `specialism`, `fitting`), distance (`bases`, `distance_matters`, `hybrid`),
    # flexible working (`offered`) and start date.
    weights_key: int = 0
    role_key: int = 0
    distance_key: int = 0
    offered_key: int = 0
    starts_key: int = 0


def scorer(vacancy: Vacancy, weights: Weights) -> Scorer:
    """Compile a vacancy for `quick_score`."""
    programme, specialism = vacancy.programme, vacancy.specialism
    fitting = specialisms_with_role(vacancy.role) | ({specialism} if specialism else set())
    bases = tuple((b.latitude, b.longitude, math.cos(math.radians(b.latitude))) for b in vacancy.bases)
    distance_matters = vacancy.work_mode != WorkMode.REMOTE.value and bool(vacancy.bases)
    hybrid = vacancy.work_mode == WorkMode.HYBRID.value
    offered = _offered(vacancy)
    numbers = (
        weights.role_fit,
        weights.skills,
        weights.experience,
        weights.distance,
        weights.flexible_working,
        weights.training,
        weights.availability,
    )
    return Scorer(
        programme=programme,
        specialism=specialism,
        fitting=fitting,
        skills=tuple(sorted(vacancy.required_skills.items())),
        bases=bases,
        distance_matters=distance_matters,
        hybrid=hybrid,
        offered=offered,
        starts_on=vacancy.starts_on,
        weights=numbers,
        full_experience_years=weights.full_experience_years,
        weights_key=_key(("weights", numbers, weights.full_experience_years)),
        role_key=_key(("role", programme, specialism, fitting)),
        distance_key=_key(("distance", bases, distance_matters, hybrid)),
        offered_key=_key(("offered", offered)),
        starts_key=vacancy.starts_on.toordinal(),
    )


def quick_score(s: Scorer, facts: Sequence[Any]) -> tuple[float, bool]:
    """The total `score` gives (exactly), and whether the candidate lacks a skill the vacancy needs.

    `facts` is a `Facts` or any sequence whose first twelve items are a `Facts`' fields."""
    return quick_scores(Facts(*facts[:12]), (s,))[0]


class _Points:
    """One candidate's points with one set of weights, for the parts that recur between
    vacancies (each worked out the first time it is needed)."""

    __slots__ = ("availability", "distance", "experience", "flexible", "role", "training")

    def __init__(self, experience: float, training: float) -> None:
        self.experience = experience
        self.training = training
        self.role: dict[int, float] = {}
        self.distance: dict[int, float] = {}
        self.flexible: dict[int, float] = {}
        self.availability: dict[int, float] = {}


def quick_scores(facts: Facts, scorers: Sequence[Scorer]) -> list[tuple[float, bool]]:
    """For one candidate and many vacancies, the totals `score` gives (exactly) and whether the
    candidate lacks a skill each vacancy needs; what depends on the candidate alone is worked out
    once, and so is each part that recurs between the vacancies (a role fit, a set of bases, the
    flexible working offered, a start date)."""
    (
        programme,
        latitude,
        longitude,
        specialisms,
        skills,
        years,
        flexible,
        travel,
        earliest,
        training,
        done,
        modules,
    ) = facts
    chosen = frozenset(specialisms)
    wanted = frozenset(flexible)
    phi1 = _radians(latitude)
    cos1 = _cos(phi1)
    trained = training_fraction(training, done, modules)
    # The formula's functions as locals: looked up once, not once per pair.
    _points, _coverage, _nearest = points, skills_coverage, nearest_km
    by_weights: dict[int, _Points] = {}
    points_key = -1
    held = _Points(0.0, 0.0)
    results: list[tuple[float, bool]] = []
    append = results.append
    for s in scorers:
        if s.weights_key != points_key or not points_key:
            points_key = s.weights_key
            found = by_weights.get(points_key) if points_key else None
            if found is None:
                found = _Points(
                    points(s.weights[2], experience_fraction(years, s.full_experience_years)),
                    points(s.weights[5], trained),
                )
                if points_key:
                    by_weights[points_key] = found
            held = found
        cached = held.role.get(s.role_key) if s.role_key else None
        if cached is None:
            full = not s.fitting.isdisjoint(chosen) or (
                not s.specialism and not chosen and s.programme == programme
            )
            cached = _points(s.weights[0], role_fraction(full))
            if s.role_key:
                held.role[s.role_key] = cached
        total = cached

        coverage, lacks = _coverage(s.skills, skills)
        total += _points(s.weights[1], coverage)
        total += held.experience

        cached = held.distance.get(s.distance_key) if s.distance_key else None
        if cached is None:
            fraction = 1.0
            if s.distance_matters:
                km = _nearest(phi1, cos1, longitude, s.bases)
                if km is not None:
                    fraction = distance_fraction(km, allowed_km(travel, s.hybrid))
            cached = _points(s.weights[3], fraction)
            if s.distance_key:
                held.distance[s.distance_key] = cached
        total += cached

        cached = held.flexible.get(s.offered_key) if s.offered_key else None
        if cached is None:
            cached = _points(s.weights[4], flexible_fraction(len(wanted & s.offered), len(wanted)))
            if s.offered_key:
                held.flexible[s.offered_key] = cached
        total += cached
        total += held.training

        cached = held.availability.get(s.starts_key) if s.starts_key else None
        if cached is None:
            late = 0 if earliest is None else (earliest - s.starts_on).days
            cached = _points(s.weights[6], availability_fraction(late))
            if s.starts_key:
                held.availability[s.starts_key] = cached
        total += cached
        append((round(total, 2), lacks))
    return results


def quick_near_fit(total: float, lacks: bool, weights: Weights) -> bool:
    """`near_fit_gaps` would name gaps for a pair with this quick score."""
    return lacks and weights.near_fit_at <= total < 100


def vacancy_start(closing_date: date) -> date:
    """When a vacancy's post starts, for availability: four weeks after it closes."""
    return closing_date + timedelta(weeks=4)


def should_propose(
    new_score: float,
    previous: float | None,
    weights: Weights,
    weakest_proposed: float | None,
    proposed: int,
    *,
    standing: bool = True,
) -> bool:
    """Propose a pair once, again only if its score moved materially; keep the best per vacancy.

    `proposed` counts the vacancy's standing proposals and `weakest_proposed` is the score of the
    weakest one that a better candidate may displace. A pair proposed before (`previous`) that no
    longer stands (`standing=False`: it was displaced) must both have moved materially and rank
    among the best again."""
    if new_score < weights.propose_at:
        return False
    if previous is not None:
        if abs(new_score - previous) < weights.material_change:
            return False
        if standing:
            return True
    return proposed < weights.proposals_per_vacancy or (
        weakest_proposed is not None and new_score > weakest_proposed
    )


def near_fit_gaps(match: Match, weights: Weights) -> Sequence[SkillGap]:
    """The gaps worth training for: the candidate nearly fits (skills are what holds them back)."""
    if not match.missing or match.score < weights.near_fit_at or match.score >= 100:
        return []
    return match.gaps


# --------------------------------------------------------------------------- a match's steps

#: Which step may follow which (from a proposal to a hire).
TRANSITIONS: Mapping[str, frozenset[str]] = {
    "proposed": frozenset({"shortlisted"}),
    "displaced": frozenset({"shortlisted"}),  # a better candidate took its place; a search still finds it
    "shortlisted": frozenset({"reached_out"}),
    "reached_out": frozenset({"accepted", "declined"}),
    "accepted": frozenset({"interviewing", "hired", "not_hired"}),
    "interviewing": frozenset({"hired", "not_hired"}),
}
#: Statuses in which the council may read the candidate's contact details (they accepted).
CONTACT_RELEASED = frozenset({"accepted", "interviewing", "hired", "not_hired"})
#: Statuses the candidate sees: a council's reach-out and what followed (never mere proposals).
SHOWN_TO_CANDIDATE = ("reached_out", "accepted", "declined", "interviewing", "hired", "not_hired")
#: Statuses that end a match for good: leaving the pool does not withdraw them.
CONCLUDED = frozenset({"hired", "not_hired", "declined"})
#: Statuses of a match that no longer stands among a vacancy's proposals.
NOT_STANDING = ("withdrawn", "displaced")
#: The only status a proposal can be displaced from (nobody has acted on it yet).
DISPLACEABLE = "proposed"

_STEP_NEEDS = {
    "shortlisted": "Only a proposed or found candidate can be shortlisted",
    "reached_out": "Shortlist the candidate before reaching out",
    "accepted": "The candidate can answer only a reach-out",
    "declined": "The candidate can answer only a reach-out",
    "interviewing": "An interview needs the candidate to have accepted",
    "hired": "Record an outcome only after the candidate accepted",
    "not_hired": "Record an outcome only after the candidate accepted",
}


class StepRefused(ValueError):
    """A step that may not follow the match's status; the message says what must come first."""


def next_status(current: str, to: str) -> str:
    """The match's status after the step to `to`; raises StepRefused, saying why, when `to` may
    not follow `current`."""
    if to not in TRANSITIONS.get(current, frozenset()):
        needs = _STEP_NEEDS.get(to, "Not allowed")
        raise StepRefused(f"{needs}; this match is {current.replace('_', ' ')}.")
    return to


def ends_on_leaving(status: str) -> bool:
    """Whether a match ends (withdrawn) when the candidate leaves the pool or stops allowing the
    council: every match not concluded already."""
    return status not in CONCLUDED


# --------------------------------------------------------------------------- people and claims

NAME_MAX_LENGTH = 200


def person_name(typed: str) -> str:
    """A person's name as kept: the platform's one rule for names (`rtw_platform.names`: NFC, a
    letter, nothing hidden), with runs of spaces made one and at most NAME_MAX_LENGTH characters.
    Raises ValueError saying what to change."""
    name = " ".join(names.person_name(typed).split())
    if len(name) > NAME_MAX_LENGTH:
        raise ValueError(f"a name must be {NAME_MAX_LENGTH} characters or fewer")
    return name


def person_name_problem(typed: str) -> str | None:
    """What is wrong with a typed name, said to a person (None when it will do)."""
    try:
        person_name(typed)
    except ValueError as problem:
        message = str(problem)
        return message[0].upper() + message[1:]
    return None


#: Where UK councils' own e-mail addresses are (a council's address ends in one of these).
GOVERNMENT_DOMAINS = ("gov.uk", "gov.wales", "llyw.cymru", "gov.scot")


def email_domain(address: str) -> str:
    """The domain of an e-mail address, lower case ('' when there is none)."""
    _, at, domain = address.rpartition("@")
    return domain.lower() if at else ""


def is_government_domain(domain: str) -> bool:
    """True when the domain is under a UK government domain (walsall.gov.uk, but not
    walsall-gov.uk or gov.uk.example.com)."""
    return any(domain == suffix or domain.endswith(f".{suffix}") for suffix in GOVERNMENT_DOMAINS)


def domain_names_council(domain: str, council_name: str) -> bool:
    """True when the domain's name (its labels before the government suffix, letters only) holds
    every distinctive word of the council's name, each whole or by its first five letters
    (walsall.gov.uk for Walsall, cityofyork.gov.uk for York, northyorks.gov.uk for North
    Yorkshire). One shared word is not enough: southtyneside.gov.uk is not North Tyneside's, nor
    eastsussex.gov.uk West Sussex's. When unsure (no word of four letters or more) it says no."""
    labels = domain.split(".")
    for suffix in GOVERNMENT_DOMAINS:
        if domain.endswith(f".{suffix}"):
            labels = domain.removesuffix(f".{suffix}").split(".")
            break
    own = "".join(c for c in "".join(labels) if c.isalpha())
    words = ["".join(c for c in w if c.isalpha()).lower() for w in council_name.split()]
    distinctive = [word for word in words if len(word) >= 4 and word not in _COMMON_WORDS]
    return bool(distinctive) and all(word in own or word[:5] in own for word in distinctive)


_COMMON_WORDS = frozenset(
    {"city", "county", "council", "borough", "district", "metropolitan", "royal", "upon", "with"}
)


class ClaimStatus(StrEnum):
    """Where a claim to act for a council stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


def council_refusal(status: str, *, own: bool) -> str | None:
    """Why a council cannot search, post or reach out yet (None once it is approved)."""
    whose = "Your council's" if own else "This council's"
    if status == ClaimStatus.APPROVED:
        return None
    if status == ClaimStatus.REJECTED:
        return (
            f"{whose} claim to join the programme was not approved by the programme team, so it "
            "cannot see returners. Sign the council up again with a council e-mail address."
        )
    return (
        f"{whose} claim is awaiting approval by the programme team. Until it is approved, it "
        "cannot see returners, post vacancies or invite colleagues; we will e-mail the contact."
    )


def hire_refusal(*, interview_required: bool, interviewed: bool) -> str | None:
    """Why a hire cannot be recorded yet, or None: a vacancy that asks for an interview hires
    only someone interviewed (deciding not to hire needs no interview)."""
    if interview_required and not interviewed:
        return "This vacancy asks for an interview: record the interview before recording a hire."
    return None


# --------------------------------------------------------------------------- interviews and offers

#: How many times a council may propose for one interview.
MAX_SLOTS = 5
#: How long an interview may last, in minutes.
INTERVIEW_MINUTES = (15, 480)
#: How far ahead an interview time may be proposed (and so never near the end of the calendar,
#: where its end could not be counted).
SLOT_HORIZON = timedelta(days=365)
#: Match statuses in which a council may propose interview times or make an offer (the
#: candidate accepted its reach-out, and nothing has concluded the match).
INTERVIEWABLE = frozenset({"accepted", "interviewing"})
#: What a council's structured feedback rates, each 1 (weak) to 4 (strong), per interview stage.
FEEDBACK_CRITERIA = ("skills", "experience", "communication", "values")
FEEDBACK_RATINGS = range(1, 5)
#: What the panel recommends after an interview stage.
RECOMMENDATIONS = ("offer", "next_stage", "not_hired")


def slots_refusal(starts: Sequence[datetime], now: datetime) -> str | None:
    """Why these proposed interview times cannot be sent, or None: one to MAX_SLOTS of them,
    every one in the future, no time twice."""
    if not starts:
        return "Propose at least one time."
    if len(starts) > MAX_SLOTS:
        return f"Propose at most {MAX_SLOTS} times."
    if any(start <= now for start in starts):
        return "Every proposed time must be in the future."
    if any(start > now + SLOT_HORIZON for start in starts):
        return "Every proposed time must be within a year."
    if len(set(starts)) != len(starts):
        return "Propose each time once."
    return None


def next_stage(booked_stages: Sequence[int]) -> int:
    """The stage a new interview proposal is for: one after the last booked (1 for the first).
    Proposing again before the candidate books replaces the proposal for the same stage."""
    return max(booked_stages, default=0) + 1


def booking_refusal(
    status: str, slot: int, slot_count: int, starts: datetime | None, now: datetime
) -> str | None:
    """Why the candidate cannot book this time, or None: the proposal still stands, the slot is
    one of its times, and it has not passed."""
    if status != "proposed":
        return "These times are no longer open: the council booked or replaced them."
    if not 0 <= slot < slot_count or starts is None:
        return "Choose one of the times the council proposed."
    if starts <= now:
        return "That time has passed: choose a later one."
    return None


def feedback_problems(ratings: Mapping[str, int], recommendation: str) -> list[tuple[str, str]]:
    """What is wrong with an interview's feedback, field by field (empty when it will do)."""
    problems = [
        (criterion, "Rate it from 1 to 4")
        for criterion in FEEDBACK_CRITERIA
        if ratings.get(criterion) not in FEEDBACK_RATINGS
    ]
    problems += [
        (name, "Not a criterion of the feedback") for name in ratings if name not in FEEDBACK_CRITERIA
    ]
    if recommendation not in RECOMMENDATIONS:
        problems.append(("recommendation", "Choose what the panel recommends"))
    return problems


def offer_refusal(
    status: str, *, open_offer: bool, interview_required: bool, interviewed: bool
) -> str | None:
    """Why a council cannot make an offer now, or None."""
    if status not in INTERVIEWABLE:
        return (
            "Make an offer only to a candidate who accepted your reach-out and is not hired or turned down."
        )
    if open_offer:
        return "An offer is already waiting for the candidate's answer."
    return hire_refusal(interview_required=interview_required, interviewed=interviewed)
