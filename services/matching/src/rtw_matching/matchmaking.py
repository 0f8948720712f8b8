"""Incremental matching: a new or changed candidate against the open vacancies they could see,
a new vacancy against the pool; the best pairs proposed, near fits told their skill gaps.

Built for a large pool: rows are read as plain column tuples (no ORM objects); pairs are ranked
with `domain.quick_score` (the score's exact total without its explanations); only the pairs
that are proposed, re-scored or signalled are explained with `domain.score`, and the decisions
are written in a few set-based statements. Re-matching a vacancy does not read the pool:
PostgreSQL ranks it by a bound of the score (`score_bound_sql`) and sends the best rows first.

A vacancy keeps at most `proposals_per_vacancy` standing proposals: a better candidate arriving
later displaces the weakest proposal nobody has acted on yet (status `displaced`; the council can
still find and shortlist that candidate in a search).
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar
from uuid import UUID, uuid4

import pydantic_core
from rtw_contracts import Event, FlexibleWorking, MatchProposed, SkillGapIdentified, caused_by
from rtw_platform.uow import UnitOfWork
from sqlalchemy import Row, String, Table, Uuid, any_, bindparam, select, text, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import NullType
from sqlmodel import col

from . import domain
from .models import CandidateMatch, CandidateProfile, Council, MatchWeights, SkillGapSignal, Vacancy

MATCHES: Table = CandidateMatch.__table__  # type: ignore[attr-defined]
SIGNALS: Table = SkillGapSignal.__table__  # type: ignore[attr-defined]
PROFILES: Table = CandidateProfile.__table__  # type: ignore[attr-defined]
VACANCIES: Table = Vacancy.__table__  # type: ignore[attr-defined]

K = TypeVar("K")
V = TypeVar("V")

#: Statuses of a match that no longer stands among a vacancy's proposals.
NOT_STANDING = ("withdrawn", "displaced")
#: The only status a proposal can be displaced from (nobody has acted on it yet).
DISPLACEABLE = "proposed"


@dataclass(frozen=True)
class WeightsInForce:
    version: str
    weights: domain.Weights


async def weights_in_force(uow: UnitOfWork) -> WeightsInForce:
    """The latest weights (the defaults until an admin saves a version)."""
    latest = (
        await uow.session.execute(
            select(col(MatchWeights.version), col(MatchWeights.weights))
            .order_by(col(MatchWeights.version).desc())
            .limit(1)
        )
    ).first()
    if latest is None:
        weights = domain.Weights()
        return WeightsInForce(weights.version, weights)
    return WeightsInForce(f"v{latest[0]}", domain.Weights.model_validate(latest[1]))


def candidate_of(profile: CandidateProfile) -> domain.Candidate:
    """A profile as the scoring rules see it."""
    return domain.Candidate(
        candidate_id=str(profile.candidate_id),
        programme=profile.programme,
        home=domain.Place(profile.latitude, profile.longitude),
        region=profile.region,
        specialisms=frozenset(profile.specialisms),
        skills=profile.skills or {},
        years_experience=profile.years_experience,
        flexible_working=frozenset(profile.flexible_working),
        max_travel_km=profile.max_travel_km,
        visible_to_regions=frozenset(profile.visible_regions),
        visible_to_councils=frozenset(profile.visible_councils),
        earliest_start=profile.earliest_start,
        training_status=profile.training_status,
        modules_completed=profile.modules_completed,
        modules_total=profile.modules_total,
    )


def vacancy_of(vacancy: Vacancy) -> domain.Vacancy:
    """A vacancy as the scoring rules see it."""
    return domain.Vacancy(
        vacancy_id=str(vacancy.id),
        council_gss=vacancy.gss_code,
        council_region=vacancy.region,
        programme=vacancy.programme,
        specialism=vacancy.specialism,
        role=vacancy.role,
        required_skills=vacancy.required_skills,
        bases=tuple(domain.Place(b["latitude"], b["longitude"]) for b in vacancy.bases),
        work_mode=vacancy.work_mode,
        flexible_working=frozenset(vacancy.flexible_working),
        starts_on=domain.vacancy_start(vacancy.closing_date),
    )


# --------------------------------------------------------------------------------------------
# Rows as plain tuples


#: A pool row: the twelve `domain.Facts` first, then who the candidate is.
POOL_COLUMNS = (
    PROFILES.c.programme,
    PROFILES.c.latitude,
    PROFILES.c.longitude,
    PROFILES.c.specialisms,
    PROFILES.c.skills,
    PROFILES.c.years_experience,
    PROFILES.c.flexible_working,
    PROFILES.c.max_travel_km,
    PROFILES.c.earliest_start,
    PROFILES.c.training_status,
    PROFILES.c.modules_completed,
    PROFILES.c.modules_total,
    PROFILES.c.application_id,
    PROFILES.c.candidate_id,
)
APPLICATION, CANDIDATE = 12, 13


@dataclass(frozen=True, slots=True)
class Target:
    """An open vacancy as matching needs it."""

    id: UUID
    council_id: UUID
    vacancy: domain.Vacancy


VACANCY_COLUMNS = (
    VACANCIES.c.id,
    VACANCIES.c.council_id,
    VACANCIES.c.gss_code,
    VACANCIES.c.region,
    VACANCIES.c.programme,
    VACANCIES.c.specialism,
    VACANCIES.c.role,
    VACANCIES.c.required_skills,
    VACANCIES.c.bases,
    VACANCIES.c.work_mode,
    VACANCIES.c.flexible_working,
    VACANCIES.c.closing_date,
)


def _target(row: Any) -> Target:
    (id_, council_id, gss, region, programme, specialism, role, skills, bases, mode, flexible, closing) = row
    return Target(
        id_,
        council_id,
        domain.Vacancy(
            vacancy_id=str(id_),
            council_gss=gss,
            council_region=region,
            programme=programme,
            specialism=specialism,
            role=role,
            required_skills=skills,
            bases=tuple(domain.Place(b["latitude"], b["longitude"]) for b in bases),
            work_mode=mode,
            flexible_working=frozenset(flexible),
            starts_on=domain.vacancy_start(closing),
        ),
    )


def _target_of(vacancy: Vacancy) -> Target:
    return Target(vacancy.id, vacancy.council_id, vacancy_of(vacancy))


def _facts_of(profile: CandidateProfile) -> domain.Facts:
    return domain.Facts(
        profile.programme,
        profile.latitude,
        profile.longitude,
        profile.specialisms,
        profile.skills or {},
        profile.years_experience,
        profile.flexible_working,
        profile.max_travel_km,
        profile.earliest_start,
        profile.training_status,
        profile.modules_completed,
        profile.modules_total,
    )


#: The type of array parameters a statement casts itself (`CAST(:ids AS uuid[])`): handed to
#: the driver as they are, without SQLAlchemy processing each item.
_AS_IS = NullType()


def _uuids(name: str, values: Sequence[UUID]) -> Any:
    return any_(bindparam(name, list(values), type_=ARRAY(Uuid)))


def _texts(name: str, values: Sequence[str]) -> Any:
    return any_(bindparam(name, list(values), type_=ARRAY(String)))


class _Cache(Generic[K, V]):
    """A small process-wide cache (emptied when full)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self.items.get(key)

    def put(self, key: K, value: V) -> V:
        if len(self.items) >= self.size:
            self.items.clear()
        self.items[key] = value
        return value


#: Vacancies as scored, by id. What a vacancy requires never changes once it is posted (only its
#: status does, and every query checks the status), so its parsed form can be kept.
_TARGETS: _Cache[UUID, Target] = _Cache(20_000)
#: Vacancies compiled for `domain.quick_score`, by the weights' numbers and then by id.
_SCORERS: dict[tuple[Any, ...], dict[UUID, domain.Scorer]] = {}


def _weights_key(weights: domain.Weights) -> tuple[Any, ...]:
    return tuple(weights.model_dump(exclude={"version"}).values())


def _compiled_with(key: tuple[Any, ...]) -> dict[UUID, domain.Scorer]:
    compiled = _SCORERS.get(key)
    if compiled is None or len(compiled) >= 20_000:
        if len(_SCORERS) >= 8:
            _SCORERS.clear()
        compiled = _SCORERS[key] = {}
    return compiled


def scorer_for(target: Target, weights: domain.Weights, key: tuple[Any, ...] | None = None) -> domain.Scorer:
    """The vacancy compiled for `domain.quick_score` with these weights (cached)."""
    compiled = _compiled_with(key if key is not None else _weights_key(weights))
    found = compiled.get(target.id)
    if found is None:
        found = compiled[target.id] = domain.scorer(target.vacancy, weights)
    return found


def scorers_for(targets: Sequence[Target], weights: domain.Weights) -> list[domain.Scorer]:
    """`scorer_for` each of the vacancies."""
    compiled = _compiled_with(_weights_key(weights))
    found = []
    for target in targets:
        s = compiled.get(target.id)
        if s is None:
            s = compiled[target.id] = domain.scorer(target.vacancy, weights)
        found.append(s)
    return found


async def open_vacancies_visible_to(uow: UnitOfWork, profile: CandidateProfile) -> list[Target]:
    """Open vacancies of the candidate's profession at councils the candidate allows."""
    statement = select(VACANCIES.c.id).where(
        VACANCIES.c.programme == profile.programme,
        VACANCIES.c.status == "open",
        (VACANCIES.c.region == _texts("regions", profile.visible_regions))
        | (VACANCIES.c.gss_code == _texts("councils", profile.visible_councils)),
    )
    return await _targets(uow, (await uow.session.execute(statement)).scalars().all())


async def _targets(uow: UnitOfWork, ids: Sequence[UUID]) -> list[Target]:
    """These vacancies as matching needs them (parsed once per process)."""
    targets = {i: t for i in ids if (t := _TARGETS.get(i)) is not None}
    missing = [i for i in ids if i not in targets]
    if missing:
        rows = await uow.session.execute(
            select(*VACANCY_COLUMNS).where(VACANCIES.c.id == _uuids("ids", missing))
        )
        for row in rows.all():
            targets[row[0]] = _hold(_target(row))
    return [targets[i] for i in ids if i in targets]


def _hold(target: Target) -> Target:
    """Keep a parsed vacancy (and, in `_OPEN`, among its programme's)."""
    _TARGETS.put(target.id, target)
    known = _OPEN.get(target.vacancy.programme)
    if known is not None:
        known.add(target)
    return target


class _OpenVacancies:
    """A programme's open vacancies as this process holds them, by region and by council."""

    def __init__(self) -> None:
        self.by_region: dict[str, dict[UUID, Target]] = {}
        self.by_council: dict[str, dict[UUID, Target]] = {}

    def add(self, target: Target) -> None:
        self.by_region.setdefault(target.vacancy.council_region, {})[target.id] = target
        self.by_council.setdefault(target.vacancy.council_gss, {})[target.id] = target

    def discard(self, target: Target) -> None:
        self.by_region.get(target.vacancy.council_region, {}).pop(target.id, None)
        self.by_council.get(target.vacancy.council_gss, {}).pop(target.id, None)

    def visible_to(self, regions: Sequence[str], councils: Sequence[str]) -> list[Target]:
        """Those at a council in one of `regions`, or one of `councils` (each once)."""
        found: dict[UUID, Target] = {}
        for region in regions:
            found.update(self.by_region.get(region, {}))
        for council in councils:
            found.update(self.by_council.get(council, {}))
        return list(found.values())


#: Per programme, the open vacancies this process holds, once it has read them all (the first
#: time a candidate of the programme is matched). New vacancies join when first seen and closed
#: ones leave when found closed, so the candidate's path can score a new candidate before its
#: first statement and load the standing proposals of the vacancies that matter with it.
_OPEN: dict[str, _OpenVacancies] = {}


async def _hold_open(uow: UnitOfWork, programme: str) -> _OpenVacancies:
    """The programme's open vacancies as this process holds them (read them all the first time)."""
    known = _OPEN.get(programme)
    if known is None:
        rows = await uow.session.execute(
            select(*VACANCY_COLUMNS).where(VACANCIES.c.programme == programme, VACANCIES.c.status == "open")
        )
        known = _OpenVacancies()
        for row in rows.all():
            known.add(_TARGETS.get(row[0]) or _TARGETS.put(row[0], _target(row)))
        _OPEN[programme] = known
    return known


_POOL_MEMBER = (
    "programme = :programme AND in_pool AND NOT withdrawn"
    # Containment (@>) lets PostgreSQL use the GIN indexes on the arrays.
    " AND (visible_regions @> CAST(ARRAY[:region] AS varchar[])"
    " OR visible_councils @> CAST(ARRAY[:gss] AS varchar[]))"
)
_POOL_SELECT = ", ".join(c.name for c in POOL_COLUMNS)


def _pool_parameters(vacancy: Vacancy) -> dict[str, Any]:
    return {"programme": vacancy.programme, "region": vacancy.region, "gss": vacancy.gss_code}


#: Added to the SQL bound: each of the seven factors is rounded to 0.01 (±0.005) and the total too,
#: and PostgreSQL's floating point may differ from Python's in the last digits.
BOUND_MARGIN = 0.1


def _f(value: float) -> str:
    return f"CAST({float(value)!r} AS float8)"


def _clamp(fraction: str) -> str:
    return f"GREATEST(0, LEAST(1, {fraction}))"


def score_bound_sql(s: domain.Scorer) -> tuple[str, dict[str, Any]]:
    """A SQL expression over a `candidate_profiles` row that is at least the score
    `domain.quick_score` gives it for this vacancy (the same formula, unrounded, plus
    `BOUND_MARGIN`; where the exact count is awkward in SQL it errs upwards). Ranking the pool
    by it lets PostgreSQL send only the few rows that can be among the best."""
    w_role, w_skills, w_experience, w_distance, w_flexible, w_training, w_availability = s.weights
    parameters: dict[str, Any] = {"b_fitting": sorted(s.fitting), "b_programme": s.programme}
    terms = []
    same = "(cardinality(specialisms) = 0 AND programme = :b_programme)" if not s.specialism else "false"
    terms.append(
        f"CASE WHEN specialisms && CAST(:b_fitting AS varchar[]) OR {same}"
        f" THEN {_f(w_role)} ELSE {_f(w_role)} * 0.4 END"
    )
    if s.skills:
        ratios = []
        for i, (skill, needed) in enumerate(s.skills):
            parameters[f"b_skill_{i}"] = skill
            ratios.append(f"LEAST(COALESCE(CAST(skills ->> :b_skill_{i} AS float8), 0) / {int(needed)}, 1)")
        coverage = f"({' + '.join(ratios)}) / {len(ratios)}"
        terms.append(f"{_f(w_skills)} * {_clamp(coverage)}")
    else:
        terms.append(_f(w_skills))
    full = _f(s.full_experience_years)
    terms.append(f"{_f(w_experience)} * {_clamp(f'LEAST(years_experience, {full}) / {full}')}")
    if s.distance_matters:
        kms = [
            "(6371.0088 * 2 * asin(LEAST(1, sqrt("
            f"power(sin((radians({_f(lat)}) - radians(latitude)) / 2), 2)"
            f" + cos(radians(latitude)) * {_f(cos2)} * power(sin(radians({_f(lon)} - longitude) / 2), 2)"
            "))))"
            for lat, lon, cos2 in s.bases
        ]
        km = kms[0] if len(kms) == 1 else f"LEAST({', '.join(kms)})"
        allowed = "(max_travel_km * 2)" if s.hybrid else "max_travel_km"
        terms.append(
            f"{_f(w_distance)} * CASE WHEN {km} <= {allowed} THEN 1"
            f" ELSE {_clamp(f'1 - ({km} - {allowed}) / GREATEST({allowed}, 1)')} END"
        )
    else:
        terms.append(_f(w_distance))
    # Needs met over distinct needs; counting only the needs the platform knows errs upwards.
    met = []
    for i, value in enumerate(sorted(s.offered)):
        parameters[f"b_offered_{i}"] = value
        met.append(f"CAST(:b_offered_{i} = ANY(flexible_working) AS int)")
    known = []
    for i, need in enumerate(FlexibleWorking):
        parameters[f"b_need_{i}"] = need.value
        known.append(f"CAST(:b_need_{i} = ANY(flexible_working) AS int)")
    terms.append(
        f"CASE WHEN cardinality(flexible_working) = 0 THEN {_f(w_flexible)} ELSE {_f(w_flexible)} * "
        + _clamp(f"CAST({' + '.join(met) or '0'} AS float8) / GREATEST(1, {' + '.join(known)})")
        + " END"
    )
    terms.append(
        f"CASE WHEN training_status = 'completed' THEN {_f(w_training)}"
        f" WHEN training_status = 'enrolled' AND modules_total <> 0 THEN {_f(w_training)} * "
        + _clamp("0.3 + 0.6 * CAST(modules_completed AS float8) / modules_total")
        + " ELSE 0 END"
    )
    parameters["b_starts"] = s.starts_on
    terms.append(
        f"CASE WHEN earliest_start IS NULL OR earliest_start <= :b_starts THEN {_f(w_availability)}"
        f" ELSE {_f(w_availability)} * "
        + _clamp("1 - CAST(earliest_start - CAST(:b_starts AS date) AS float8) / 180")
        + " END"
    )
    return f"({' + '.join(terms)} + {BOUND_MARGIN!r})", parameters


async def ranked_pool(
    uow: UnitOfWork, vacancy: Vacancy, s: domain.Scorer, *, offset: int, limit: int | None
) -> Sequence[Row[Any]]:
    """Pool rows (`POOL_COLUMNS`, then the bound and the pool's size), the highest bound first."""
    bound, parameters = score_bound_sql(s)
    # Ranked narrow (id and bound only); the whole rows are read for the batch alone.
    statement = text(
        "WITH scored AS MATERIALIZED ("
        f"SELECT application_id, {bound} AS bound FROM candidate_profiles WHERE {_POOL_MEMBER}),"
        " ranked AS (SELECT application_id, bound, count(*) OVER () AS pool FROM scored"
        " ORDER BY bound DESC, application_id"
        + (" LIMIT :b_limit" if limit is not None else "")
        + " OFFSET :b_offset)"
        f" SELECT {', '.join('p.' + c.name for c in POOL_COLUMNS)}, ranked.bound, ranked.pool"
        " FROM ranked JOIN candidate_profiles AS p USING (application_id)"
        " ORDER BY ranked.bound DESC, p.application_id"
    )
    parameters |= _pool_parameters(vacancy) | {"b_offset": offset}
    if limit is not None:
        parameters["b_limit"] = limit
    return (await uow.session.execute(statement, parameters)).all()


# --------------------------------------------------------------------------------------------
# What stands already


#: Near fits told their skill gaps per new vacancy (the closest ones; the pool can be large).
GAP_SIGNALS_PER_VACANCY = 25


@dataclass(slots=True)
class Pair:
    """A match row already made for a vacancy and candidate."""

    id: UUID
    score: float
    proposed_score: float | None
    status: str


@dataclass(slots=True)
class Standing:
    """A vacancy's standing proposals: how many, and those that can be displaced, weakest first,
    as (score, tie-break, match id); a match id of None stands for "the weakest one", found when
    the displacement is written."""

    count: int = 0
    displaceable: list[tuple[float, str, UUID | None]] = field(default_factory=list)

    def weakest(self) -> float | None:
        return self.displaceable[0][0] if self.displaceable else None

    def rescore(self, match_id: UUID, score: float) -> None:
        for i, (_, _, found) in enumerate(self.displaceable):
            if found == match_id:
                del self.displaceable[i]
                self.add(score, match_id)
                return

    def add(self, score: float, match_id: UUID) -> None:
        bisect.insort(self.displaceable, (score, match_id.hex, match_id))


@dataclass
class ProposalBook:
    """What was already proposed and signalled, loaded for the pairs at hand."""

    pairs: dict[tuple[UUID, UUID], Pair] = field(default_factory=dict)  # (vacancy, application)
    standing: dict[UUID, Standing] = field(default_factory=dict)
    signals: dict[tuple[UUID, UUID], str] = field(default_factory=dict)  # gaps key

    async def load_pairs(self, uow: UnitOfWork, *, vacancy: UUID | None, application: UUID | None) -> None:
        columns = (MATCHES.c.vacancy_id, MATCHES.c.application_id, MATCHES.c.id, MATCHES.c.score)
        statement = select(*columns, MATCHES.c.proposed_score, MATCHES.c.status)
        if vacancy is not None:
            statement = statement.where(MATCHES.c.vacancy_id == vacancy)
        if application is not None:
            statement = statement.where(MATCHES.c.application_id == application)
        for v, a, id_, score, proposed, status in (await uow.session.execute(statement)).all():
            self.pairs[(v, a)] = Pair(id_, score, proposed, status)

    async def load_standing(self, uow: UnitOfWork, vacancy_ids: list[UUID]) -> None:
        for vacancy_id in vacancy_ids:
            self.standing.setdefault(vacancy_id, Standing())
        if not vacancy_ids:
            return
        statement = select(MATCHES.c.vacancy_id, MATCHES.c.id, MATCHES.c.score, MATCHES.c.status).where(
            MATCHES.c.vacancy_id == _uuids("vacancies", vacancy_ids),
            MATCHES.c.proposed_score.is_not(None),
            MATCHES.c.status.not_in(NOT_STANDING),
        )
        for vacancy_id, match_id, score, status in (await uow.session.execute(statement)).all():
            standing = self.standing[vacancy_id]
            standing.count += 1
            if status == DISPLACEABLE:
                standing.displaceable.append((score, match_id.hex, match_id))
        for standing in self.standing.values():
            standing.displaceable.sort()

    async def load_weakest(self, uow: UnitOfWork, vacancy_ids: list[UUID]) -> None:
        """How many proposals stand on each vacancy and the weakest score that could give way
        (kept as a proposal of unknown id: the write displaces the weakest it finds)."""
        if not vacancy_ids:
            return
        for vacancy_id, n, weakest in (
            await uow.session.execute(_STANDING, {"vacancies": vacancy_ids})
        ).all():
            self.standing[vacancy_id] = Standing(int(n), [] if weakest is None else [(weakest, "", None)])

    async def load_signals(self, uow: UnitOfWork, pairs: list[tuple[UUID, UUID]]) -> None:
        if not pairs:
            return
        vacancies = sorted({v for v, _ in pairs})
        applications = sorted({a for _, a in pairs})
        statement = select(SIGNALS.c.vacancy_id, SIGNALS.c.application_id, SIGNALS.c.gaps_key).where(
            SIGNALS.c.vacancy_id == _uuids("vacancies", vacancies),
            SIGNALS.c.application_id == _uuids("applications", applications),
        )
        for v, a, key in (await uow.session.execute(statement)).all():
            self.signals[(v, a)] = key


_CANDIDATE_WORLD = text(
    # The weights in force.
    "SELECT 0 AS kind, NULL::uuid AS vacancy_id, NULL::uuid AS id, NULL::float8 AS score,"
    " NULL::float8 AS proposed, NULL::varchar AS status, version::bigint AS n, weights::text AS text"
    " FROM (SELECT version, weights FROM weights ORDER BY version DESC LIMIT 1) AS w"
    # Each open vacancy of the candidate's profession at a council the candidate allows.
    # (Index-only scans of ix_vacancies_visible: by region, then by council, each vacancy once.)
    " UNION ALL SELECT 1, id, NULL, NULL, NULL, NULL, NULL, NULL FROM vacancies"
    " WHERE programme = :programme AND status = 'open' AND region = ANY(CAST(:regions AS varchar[]))"
    " UNION ALL SELECT 1, id, NULL, NULL, NULL, NULL, NULL, NULL FROM vacancies"
    " WHERE cardinality(CAST(:councils AS varchar[])) > 0 AND programme = :programme AND status = 'open'"
    " AND gss_code = ANY(CAST(:councils AS varchar[])) AND NOT region = ANY(CAST(:regions AS varchar[]))"
    # The candidate's pairs and the skill gaps they were told.
    " UNION ALL SELECT 2, vacancy_id, id, score, proposed_score, status, NULL, NULL"
    " FROM matches WHERE application_id = :application"
    " UNION ALL SELECT 3, vacancy_id, NULL, NULL, NULL, NULL, NULL, gaps_key"
    " FROM skill_gap_signals WHERE application_id = :application"
    # How many proposals stand on each vacancy the candidate was scored high enough for (on the
    # vacancies this process holds), and the weakest score that could give way (see _STANDING).
    " UNION ALL SELECT 4, v.id, NULL, s.weakest, NULL, NULL, s.n, NULL"
    " FROM unnest(CAST(:hopeful AS uuid[])) AS v(id)"
    f" CROSS JOIN LATERAL (SELECT count(*) AS n, min(score) FILTER (WHERE status = '{DISPLACEABLE}')"
    " AS weakest FROM matches WHERE vacancy_id = v.id AND proposed_score IS NOT NULL"
    f" AND status NOT IN ({', '.join(repr(s) for s in NOT_STANDING)})) AS s"
).bindparams(
    bindparam("regions", type_=_AS_IS),
    bindparam("councils", type_=_AS_IS),
    bindparam("application", type_=Uuid),
    bindparam("hopeful", type_=_AS_IS),
)

#: How many proposals stand on each of these vacancies, and the weakest score that could give way
#: (which proposal that is, is looked for only if one does: see _WRITE).
_STANDING = text(
    "SELECT v.id, s.n, s.weakest FROM unnest(CAST(:vacancies AS uuid[])) AS v(id)"
    f" CROSS JOIN LATERAL (SELECT count(*) AS n, min(score) FILTER (WHERE status = '{DISPLACEABLE}')"
    " AS weakest FROM matches WHERE vacancy_id = v.id AND proposed_score IS NOT NULL"
    f" AND status NOT IN ({', '.join(repr(s) for s in NOT_STANDING)})) AS s"
).bindparams(bindparam("vacancies", type_=_AS_IS))


async def candidate_world(
    uow: UnitOfWork, profile: CandidateProfile, hopeful: Sequence[UUID] = ()
) -> tuple[WeightsInForce, list[Target], ProposalBook]:
    """In one round trip: the weights in force, the open vacancies the candidate could be seen
    for (as `weights_in_force` and `open_vacancies_visible_to`), the candidate's own pairs and
    signals, and the standing proposals of the `hopeful` vacancies (those the candidate scores
    high enough to be proposed for; others' are loaded with `ProposalBook.load_weakest`)."""
    application_id = profile.application_id
    rows = await uow.session.execute(
        _CANDIDATE_WORLD,
        {
            "programme": profile.programme,
            "regions": list(profile.visible_regions),
            "councils": list(profile.visible_councils),
            "application": application_id,
            "hopeful": list(hopeful),
        },
    )
    in_force: WeightsInForce | None = None
    book = ProposalBook()
    ids = []
    for kind, vacancy_id, id_, score, proposed, status, n, value in rows.all():
        if kind == 1:
            ids.append(vacancy_id)
        elif kind == 2:
            book.pairs[(vacancy_id, application_id)] = Pair(id_, score, proposed, status)
        elif kind == 3:
            book.signals[(vacancy_id, application_id)] = value
        elif kind == 4:
            book.standing[vacancy_id] = Standing(int(n), [] if score is None else [(score, "", None)])
        else:
            in_force = WeightsInForce(f"v{n}", _weights_of(value))
    if in_force is None:
        in_force = _DEFAULT_WEIGHTS
    return in_force, await _targets(uow, ids), book


_DEFAULT_WEIGHTS = WeightsInForce(domain.Weights().version, domain.Weights())


#: Weights as saved, parsed (the few versions there are never change once saved).
_WEIGHTS: _Cache[str, domain.Weights] = _Cache(100)


def _weights_of(saved: str) -> domain.Weights:
    return _WEIGHTS.get(saved) or _WEIGHTS.put(saved, domain.Weights.model_validate_json(saved))


# --------------------------------------------------------------------------------------------
# Deciding and recording


@dataclass(frozen=True)
class Matched:
    """What one matching run did: `scored` candidates or vacancies considered, of which `ranked`
    were scored in Python (a re-match leaves the rest to PostgreSQL's ranking)."""

    scored: int
    proposed: int
    displaced: int
    signalled: int
    seconds: float
    ranked: int = 0


def gaps_key(missing: Sequence[tuple[str, int, int]]) -> str:
    """What identifies a set of skill gaps (the same gaps are not signalled twice): the SHA-256
    of the gaps as JSON with sorted keys (`json.dumps(..., sort_keys=True)` of each gap's
    `current_level` or null, `required_level` and `skill`), written out directly."""
    body = ", ".join(
        f'{{"current_level": {held or "null"}, "required_level": {needed}, "skill": {_json_string(skill)}}}'
        for skill, needed, held in missing
    )
    return hashlib.sha256(f"[{body}]".encode()).hexdigest()


#: How `json.dumps` writes a string (ASCII only, escaped).
_json_string = json.encoder.encode_basestring_ascii


@dataclass
class _Run:
    """One matching run: the decisions taken, written at the end in a few statements."""

    uow: UnitOfWork
    in_force: WeightsInForce
    cause: Event | None
    book: ProposalBook
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    new_matches: list[tuple[Any, ...]] = field(default_factory=list)
    rescores: list[dict[str, Any]] = field(default_factory=list)
    reproposals: list[dict[str, Any]] = field(default_factory=list)
    displaced: list[UUID] = field(default_factory=list)
    displaced_weakest: list[UUID] = field(default_factory=list)  # vacancies
    signals: list[tuple[UUID, UUID, str]] = field(default_factory=list)
    proposed: int = 0
    #: The last candidate explained, with their explainer (a run explains one candidate's pairs
    #: together, or one pair per candidate).
    _explaining: tuple[UUID, domain.Explainer] | None = None

    def explainer(self, application_id: UUID, facts: Sequence[Any]) -> domain.Explainer:
        """The candidate's explainer (a new one for each new candidate)."""
        if self._explaining is None or self._explaining[0] != application_id:
            self._explaining = (application_id, domain.Explainer(facts, self.in_force.weights))
        return self._explaining[1]

    @property
    def displacements(self) -> int:
        return len(self.displaced) + len(self.displaced_weakest)

    def proposes(self, target: Target, application_id: UUID, total: float) -> bool:
        """Would this pair be proposed now (decided on the quick score)?"""
        pair = self.book.pairs.get((target.id, application_id))
        standing = self.book.standing.get(target.id) or Standing()
        previous = pair.proposed_score if pair is not None else None
        stands = pair is not None and previous is not None and pair.status not in NOT_STANDING
        return domain.should_propose(
            total, previous, self.in_force.weights, standing.weakest(), standing.count, standing=stands
        )

    def consider(
        self,
        target: Target,
        facts: Sequence[Any],
        application_id: UUID,
        candidate_id: UUID,
        total: float,
        lacks: bool,
        *,
        signal_gaps: bool,
        compiled: domain.Scorer | None = None,
    ) -> None:
        """Record what this pair calls for: a new score, a proposal, its skill gaps (`compiled`:
        the vacancy compiled with the weights in force, if at hand)."""
        weights = self.in_force.weights
        pair = self.book.pairs.get((target.id, application_id))
        if pair is None and total < weights.propose_at and not signal_gaps:
            return  # nothing made before, nothing to propose or signal
        rescored = pair is not None and abs(pair.score - total) > 1e-9
        propose = self.proposes(target, application_id, total)
        near = signal_gaps and domain.quick_near_fit(total, lacks, weights)
        if rescored or propose:
            match = self.explainer(application_id, facts).explain(target.vacancy, compiled)
            factors = match.factor_rows
            if propose:
                self._propose(target, application_id, candidate_id, pair, match, factors)
            elif pair is not None:
                self._rescore(target, pair, match.score, factors)
        if near:
            self._signal(target, application_id, candidate_id, total, facts[4] or {}, compiled)

    def _rescore(self, target: Target, pair: Pair, score: float, factors: Any) -> None:
        pair.score = score
        self.rescores.append(
            {
                "m_id": pair.id,
                "m_score": score,
                "m_factors": factors,
                "m_version": self.in_force.version,
                "m_updated": self.now,
            }
        )
        standing = self.book.standing.get(target.id)
        if standing is not None and pair.status == DISPLACEABLE and pair.proposed_score is not None:
            standing.rescore(pair.id, score)

    def _propose(
        self,
        target: Target,
        application_id: UUID,
        candidate_id: UUID,
        pair: Pair | None,
        match: domain.Match,
        factors: Any,
    ) -> None:
        standing = self.book.standing.setdefault(target.id, Standing())
        was_standing = (
            pair is not None and pair.proposed_score is not None and pair.status not in NOT_STANDING
        )
        if pair is None:
            pair = Pair(uuid4(), match.score, match.score, DISPLACEABLE)
            self.book.pairs[(target.id, application_id)] = pair
            self.new_matches.append(
                (pair.id, target.id, target.council_id, application_id, candidate_id, match.score, factors)
            )
        else:
            if pair.status == "displaced":
                pair.status = DISPLACEABLE
            pair.score = pair.proposed_score = match.score
            self.reproposals.append(
                {
                    "m_id": pair.id,
                    "m_score": match.score,
                    "m_factors": factors,
                    "m_version": self.in_force.version,
                    "m_updated": self.now,
                    "m_status": pair.status,
                }
            )
        if was_standing:
            if pair.status == DISPLACEABLE:
                standing.rescore(pair.id, match.score)
        else:
            standing.count += 1
            # Keep the best: the weakest proposal nobody acted on gives way to a better one.
            limit = self.in_force.weights.proposals_per_vacancy
            while (
                standing.count > limit and standing.displaceable and standing.displaceable[0][0] < match.score
            ):
                _, _, loser = standing.displaceable.pop(0)
                if loser is None:
                    self.displaced_weakest.append(target.id)
                    standing.count -= 1
                    continue
                self.displaced.append(loser)
                for found in self.book.pairs.values():
                    if found.id == loser:
                        found.status = "displaced"
                        break
                standing.count -= 1
            if pair.status == DISPLACEABLE:
                standing.add(match.score, pair.id)
        self.proposed += 1
        self.uow.publish(
            MatchProposed(
                **self._envelope(application_id),
                match_id=pair.id,
                vacancy_id=target.id,
                council_id=target.council_id,
                candidate_id=candidate_id,
                application_id=application_id,
                score=match.score,
                factors=factors,  # the rows, validated as the event's ScoreFactor models
                weights_version=self.in_force.version,
                proposed_at=self.now,
            )
        )

    def _signal(
        self,
        target: Target,
        application_id: UUID,
        candidate_id: UUID,
        score: float,
        skills: dict[str, int],
        compiled: domain.Scorer | None = None,
    ) -> None:
        if compiled is not None:  # the required skills, sorted by name
            get = skills.get
            missing = tuple((k, n, get(k, 0)) for k, n in compiled.skills if get(k, 0) < n)
        else:
            missing = domain.missing_skills(target.vacancy.required_skills, skills)
        if not missing:
            return
        key = gaps_key(missing)
        if self.book.signals.get((target.id, application_id)) == key:
            return
        self.book.signals[(target.id, application_id)] = key
        self.signals.append((application_id, target.id, key))
        self.uow.publish(
            SkillGapIdentified(
                **self._envelope(application_id),
                candidate_id=candidate_id,
                application_id=application_id,
                vacancy_id=target.id,
                council_id=target.council_id,
                # As `domain.gaps_of` makes them, validated as the event's SkillGap models.
                gaps=[
                    {"skill": skill, "required_level": needed, "current_level": held or None}
                    for skill, needed, held in missing
                ],
                score=score,
                identified_at=self.now,
            )
        )

    def _envelope(self, application_id: UUID) -> dict[str, Any]:
        return dict(caused_by(self.cause)) if self.cause else {"correlation_id": application_id}

    async def write(self) -> None:
        """Write the run's decisions: a statement per kind of change."""
        session = self.uow.session
        if self.displaced_weakest or self.new_matches or self.signals:
            # One round trip. The weakest proposal is looked for in the statement's snapshot,
            # without the proposals it adds; no row is changed twice.
            new: list[tuple[Any, ...]] = list(zip(*self.new_matches, strict=True)) or [()] * 7
            signals: list[tuple[Any, ...]] = list(zip(*self.signals, strict=True)) or [()] * 3
            await session.execute(
                _WRITE,
                {
                    "now": self.now,
                    "version": self.in_force.version,
                    "weakest_of": list(dict.fromkeys(self.displaced_weakest)),  # each vacancy once
                    "n_id": list(new[0]),
                    "n_vacancy": list(new[1]),
                    "n_council": list(new[2]),
                    "n_application": list(new[3]),
                    "n_candidate": list(new[4]),
                    "n_score": list(new[5]),
                    # One JSON array of every new match's factors, taken apart in SQL.
                    "n_factors": pydantic_core.to_json(list(new[6])).decode(),
                    "s_application": list(signals[0]),
                    "s_vacancy": list(signals[1]),
                    "s_key": list(signals[2]),
                },
            )
        if self.displaced:
            await session.execute(
                update(MATCHES)
                .where(MATCHES.c.id == _uuids("displaced", self.displaced), MATCHES.c.status == DISPLACEABLE)
                .values(status="displaced", updated_at=self.now)
            )
        if self.rescores:
            await session.execute(_RESCORE, self.rescores)
        if self.reproposals:
            await session.execute(_REPROPOSE, self.reproposals)


_WRITE = text(
    "WITH weakest AS ("
    # Each vacancy's weakest: the first of its displaceable proposals in ix_matches_proposals.
    " UPDATE matches AS m SET status = 'displaced', updated_at = :now FROM ("
    " SELECT w.id FROM unnest(CAST(:weakest_of AS uuid[])) AS v(id) CROSS JOIN LATERAL ("
    " SELECT id FROM matches WHERE vacancy_id = v.id AND proposed_score IS NOT NULL"
    f" AND status = '{DISPLACEABLE}' ORDER BY score, id LIMIT 1) AS w) AS w"
    " WHERE m.id = w.id RETURNING m.id),"
    " new AS ("
    " INSERT INTO matches (id, vacancy_id, council_id, application_id, candidate_id, score, factors,"
    " weights_version, status, proposed_score, proposed_at, updated_at)"
    " SELECT n.id, n.vacancy_id, n.council_id, n.application_id, n.candidate_id, n.score, n.factors,"
    f" :version, '{DISPLACEABLE}', n.score, :now, :now"
    " FROM ROWS FROM (unnest(CAST(:n_id AS uuid[])), unnest(CAST(:n_vacancy AS uuid[])),"
    " unnest(CAST(:n_council AS uuid[])), unnest(CAST(:n_application AS uuid[])),"
    " unnest(CAST(:n_candidate AS uuid[])), unnest(CAST(:n_score AS float8[])),"
    # The factors come as one JSON array, parsed once.
    " jsonb_array_elements(CAST(:n_factors AS jsonb)))"
    " AS n(id, vacancy_id, council_id, application_id, candidate_id, score, factors)"
    " RETURNING id),"
    " signalled AS ("
    " INSERT INTO skill_gap_signals (application_id, vacancy_id, gaps_key, sent_at)"
    " SELECT s.application_id, s.vacancy_id, s.gaps_key, :now"
    " FROM unnest(CAST(:s_application AS uuid[]), CAST(:s_vacancy AS uuid[]), CAST(:s_key AS varchar[]))"
    " AS s(application_id, vacancy_id, gaps_key)"
    " ON CONFLICT (application_id, vacancy_id)"
    " DO UPDATE SET gaps_key = EXCLUDED.gaps_key, sent_at = EXCLUDED.sent_at"
    " RETURNING application_id)"
    " SELECT (SELECT count(*) FROM weakest), (SELECT count(*) FROM new), (SELECT count(*) FROM signalled)"
).bindparams(
    bindparam("weakest_of", type_=_AS_IS),
    bindparam("n_id", type_=_AS_IS),
    bindparam("n_vacancy", type_=_AS_IS),
    bindparam("n_council", type_=_AS_IS),
    bindparam("n_application", type_=_AS_IS),
    bindparam("n_candidate", type_=_AS_IS),
    bindparam("n_score", type_=_AS_IS),
    bindparam("n_factors", type_=String),
    bindparam("s_application", type_=_AS_IS),
    bindparam("s_vacancy", type_=_AS_IS),
    bindparam("s_key", type_=_AS_IS),
)

_RESCORE = (
    update(MATCHES)
    .where(MATCHES.c.id == bindparam("m_id"))
    .values(
        score=bindparam("m_score"),
        factors=bindparam("m_factors", type_=MATCHES.c.factors.type),
        weights_version=bindparam("m_version"),
        updated_at=bindparam("m_updated"),
    )
)
_REPROPOSE = _RESCORE.values(
    proposed_score=bindparam("m_score"), proposed_at=bindparam("m_updated"), status=bindparam("m_status")
)


# --------------------------------------------------------------------------------------------
# The two directions


#: Near fits told their skill gaps per candidate scored (their closest vacancies).
GAP_SIGNALS_PER_CANDIDATE = 25


#: The weights the last candidate was scored with in this process (the candidate's path scores
#: with them before it reads the weights in force, and again if those differ).
_LAST_WEIGHTS: list[WeightsInForce] = []


def _same_weights(a: WeightsInForce, b: WeightsInForce) -> bool:
    return a.version == b.version and (a.weights is b.weights or a.weights == b.weights)


async def match_candidate(uow: UnitOfWork, profile: CandidateProfile, *, cause: Event | None) -> Matched:
    """Score a candidate against every open vacancy they could be seen for; propose and signal.

    Two round trips, as a rule: the candidate is scored first against the open vacancies this
    process holds that they allow (with the weights last in force), so that one statement reads
    what they could be seen for, what they were told already, the weights in force and the
    standing proposals of the vacancies they score high enough to be proposed for (no other
    vacancy's can change what is decided); one statement writes the decisions. A vacancy this
    process does not hold yet, or weights changed since, cost a statement more."""
    started = time.perf_counter()
    programme = profile.programme
    facts = _facts_of(profile)
    guess = _LAST_WEIGHTS[-1] if _LAST_WEIGHTS else _DEFAULT_WEIGHTS
    held = await _hold_open(uow, programme)
    seen = held.visible_to(profile.visible_regions, profile.visible_councils)
    scored = _score_all(facts, seen, guess)
    hopeful = [t.id for t in seen if scored[t.id][0] >= guess.weights.propose_at]
    in_force, targets, book = await candidate_world(uow, profile, hopeful)
    weights = in_force.weights
    if not _same_weights(in_force, guess):
        scored = {}
        _LAST_WEIGHTS[:] = [in_force]
    visible = {t.id for t in targets}
    for t in seen:
        if t.id not in visible:  # closed (or no longer visible) since this process read it
            held.discard(t)
    fresh = [t for t in targets if t.id not in scored]
    if fresh:  # vacancies not held before, or the weights changed
        scored |= _score_all(facts, fresh, in_force)
        await book.load_weakest(uow, [t.id for t in fresh if scored[t.id][0] >= weights.propose_at])
    totals = [scored[t.id] for t in targets]
    # The candidate's closest near fits are told their gaps.
    near_fit = domain.quick_near_fit
    near = sorted(
        (
            (total, t.id)
            for t, (total, lacks, _) in zip(targets, totals, strict=True)
            if near_fit(total, lacks, weights)
        ),
        key=lambda n: -n[0],
    )
    closest = {vacancy_id for _, vacancy_id in near[:GAP_SIGNALS_PER_CANDIDATE]}
    run = _Run(uow, in_force, cause, book)
    application_id, candidate_id = profile.application_id, profile.candidate_id
    for target, (total, lacks, compiled) in zip(targets, totals, strict=True):
        run.consider(
            target,
            facts,
            application_id,
            candidate_id,
            total,
            lacks,
            signal_gaps=target.id in closest,
            compiled=compiled,
        )
    await run.write()
    seconds = time.perf_counter() - started
    return Matched(len(targets), run.proposed, run.displacements, len(run.signals), seconds, len(targets))


def _score_all(
    facts: domain.Facts, targets: Sequence[Target], in_force: WeightsInForce
) -> dict[UUID, tuple[float, bool, domain.Scorer]]:
    """The candidate's quick score for each vacancy, whether they lack a skill, and the vacancy
    compiled with these weights."""
    scorers = scorers_for(targets, in_force.weights)
    totals = domain.quick_scores(facts, scorers)
    return {t.id: (total, lacks, s) for t, s, (total, lacks) in zip(targets, scorers, totals, strict=True)}


#: Pool rows fetched in the first batch when re-matching (more follow only if these do not settle
#: the best proposals and the closest near fits).
FIRST_BATCH = 200


async def match_vacancy(uow: UnitOfWork, vacancy: Vacancy, *, cause: Event | None) -> Matched:
    """Rank the pool against a vacancy; propose the best, tell the closest near fits their gaps.

    PostgreSQL ranks the pool by a bound of each candidate's score (`score_bound_sql`) and sends
    the highest first, in batches; each row is scored exactly (`domain.quick_score`) and the
    pairs are decided best first, as if the whole pool had been scored, stopping as soon as no
    row still unsent could be proposed or be among the closest near fits."""
    started = time.perf_counter()
    in_force = await weights_in_force(uow)
    weights = in_force.weights
    target = _target_of(vacancy)
    compiled = domain.scorer(target.vacancy, weights)
    book = ProposalBook()
    await book.load_pairs(uow, vacancy=vacancy.id, application=None)
    await book.load_standing(uow, [vacancy.id])
    standing = book.standing[vacancy.id]
    run = _Run(uow, in_force, cause, book)
    quick = domain.quick_score
    bound_at, pool_at = len(POOL_COLUMNS), len(POOL_COLUMNS) + 1

    pending: list[tuple[float, bool, Any]] = []
    decided: set[UUID] = set()
    near_fits = 0
    pool = ranked = 0

    def decide(total: float, lacks: bool, row: Any) -> None:
        nonlocal near_fits
        application_id = row[APPLICATION]
        decided.add(application_id)
        signal = near_fits < GAP_SIGNALS_PER_VACANCY and domain.quick_near_fit(total, lacks, weights)
        near_fits += signal
        run.consider(
            target, row, application_id, row[CANDIDATE], total, lacks, signal_gaps=signal, compiled=compiled
        )

    def settled(frontier: float) -> bool:
        """No row scoring at most `frontier` can be proposed or be a closest near fit."""
        weakest = standing.weakest()
        proposals_over = frontier < weights.propose_at or (
            standing.count >= weights.proposals_per_vacancy and (weakest is None or frontier <= weakest)
        )
        near_fits_over = near_fits >= GAP_SIGNALS_PER_VACANCY or frontier < weights.near_fit_at
        return proposals_over and near_fits_over

    offset, batch = 0, FIRST_BATCH
    signals_loaded: set[UUID] = set()
    while True:
        # The last batch takes all the rest.
        limit = batch if offset + batch <= FIRST_BATCH * 21 else None
        rows = await ranked_pool(uow, vacancy, compiled, offset=offset, limit=limit)
        ranked += len(rows)
        if rows:
            pool = int(rows[0][pool_at])
        exhausted = limit is None or len(rows) < limit
        frontier = -math.inf if exhausted else float(rows[-1][bound_at])
        for row in rows:
            total, lacks = quick(compiled, row)
            pending.append((total, lacks, row))
        pending.sort(key=lambda item: -item[0])
        ready = [p for p in pending if p[0] > frontier]
        pending = pending[len(ready) :]
        # The gaps already signalled for the near fits among these rows.
        fresh = [r[APPLICATION] for t, lacks, r in ready if domain.quick_near_fit(t, lacks, weights)]
        await book.load_signals(uow, [(vacancy.id, a) for a in fresh if a not in signals_loaded])
        signals_loaded.update(fresh)
        for total, lacks, row in ready:
            decide(total, lacks, row)
        if exhausted or settled(frontier):
            break
        offset, batch = offset + batch, batch * 4

    # Pairs made before for this vacancy are re-scored whatever their rank.
    others = [a for _, a in book.pairs if a not in decided]
    if others:
        made = await uow.session.execute(
            text(
                f"SELECT {_POOL_SELECT} FROM candidate_profiles"
                f" WHERE {_POOL_MEMBER} AND application_id = ANY(:applications)"
            ),
            _pool_parameters(vacancy) | {"applications": others},
        )
        made_rows = made.all()
        ranked += len(made_rows)
        for row in made_rows:
            total, lacks = quick(compiled, row)
            run.consider(
                target,
                row,
                row[APPLICATION],
                row[CANDIDATE],
                total,
                lacks,
                signal_gaps=False,
                compiled=compiled,
            )
    await run.write()
    seconds = time.perf_counter() - started
    return Matched(pool, run.proposed, run.displacements, len(run.signals), seconds, ranked)


async def council_of(uow: UnitOfWork, council_id: UUID) -> Council | None:
    """A signed-up council."""
    return await uow.session.get(Council, council_id)
