"""The matching service's queries: matchmaking, the HTTP API, outreach and the pool's handlers
build none of their own (councils.py, erasure.py, the pool search in search.search and one page,
web/talent.py, still do: see docs/architecture.md).

Rows for matching are read as plain column tuples (no ORM objects) and its decisions are written
in a few set-based statements. Re-matching a vacancy does not read the pool: PostgreSQL ranks it
by a bound of the score (`score_bound_sql`, built from the score's own formula in `domain`) and
sends the best rows first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pydantic_core
from rtw_contracts import FlexibleWorking
from rtw_platform.uow import UnitOfWork
from sqlalchemy import String, Table, Uuid, any_, bindparam, func, text, update
from sqlalchemy import select as select_rows
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.types import NullType
from sqlmodel import col, select

from . import domain
from .domain import DISPLACEABLE, NOT_STANDING
from .models import (
    AssessmentOutcomeRecord,
    CandidateContact,
    CandidateMatch,
    CandidateProfile,
    Council,
    Departure,
    ErasedMatchTally,
    Interview,
    MatchWeights,
    Offer,
    SavedSearch,
    SearchAlert,
    SkillGapSignal,
    Vacancy,
)

MATCHES: Table = CandidateMatch.__table__  # type: ignore[attr-defined]
SIGNALS: Table = SkillGapSignal.__table__  # type: ignore[attr-defined]
PROFILES: Table = CandidateProfile.__table__  # type: ignore[attr-defined]
VACANCIES: Table = Vacancy.__table__  # type: ignore[attr-defined]

#: The type of array parameters a statement casts itself (`CAST(:ids AS uuid[])`): handed to
#: the driver as they are, without SQLAlchemy processing each item.
_AS_IS = NullType()


def _uuids(name: str, values: Sequence[UUID]) -> Any:
    return any_(bindparam(name, list(values), type_=ARRAY(Uuid)))


def _texts(name: str, values: Sequence[str]) -> Any:
    return any_(bindparam(name, list(values), type_=ARRAY(String)))


# --------------------------------------------------------------------------------------------
# Weights


async def weights_in_force(uow: UnitOfWork) -> domain.WeightsInForce:
    """The latest weights (the defaults until an admin saves a version)."""
    latest = (
        await uow.session.execute(
            select_rows(col(MatchWeights.version), col(MatchWeights.weights))
            .order_by(col(MatchWeights.version).desc())
            .limit(1)
        )
    ).first()
    if latest is None:
        return domain.DEFAULT_WEIGHTS
    return domain.WeightsInForce(f"v{latest[0]}", domain.Weights.model_validate(latest[1]))


async def save_weights(uow: UnitOfWork, weights: domain.Weights, saved_by: str) -> int:
    """Save the weights as the next version (not committed); its number."""
    latest = (
        await uow.session.exec(select(MatchWeights).order_by(col(MatchWeights.version).desc()).limit(1))
    ).first()
    version = 1 if latest is None else latest.version + 1
    uow.session.add(
        MatchWeights(
            version=version,
            weights=weights.model_dump(mode="json"),
            created_by=saved_by,
            created_at=datetime.now(UTC),
        )
    )
    return version


# --------------------------------------------------------------------------------------------
# Councils, vacancies and alerts (for the API)


async def council_of(uow: UnitOfWork, council_id: UUID) -> Council | None:
    """A signed-up council."""
    return await uow.session.get(Council, council_id)


async def council_vacancies(uow: UnitOfWork, council_id: UUID) -> Sequence[Vacancy]:
    """A council's vacancies (in no particular order)."""
    return (await uow.session.exec(select(Vacancy).where(Vacancy.council_id == council_id))).all()


async def take_unseen_alerts(uow: UnitOfWork, council_id: UUID) -> Sequence[SearchAlert]:
    """A council's alerts not yet seen, marked seen now (not committed)."""
    unseen = (
        await uow.session.exec(
            select(SearchAlert).where(
                SearchAlert.council_id == council_id, col(SearchAlert.seen_at).is_(None)
            )
        )
    ).all()
    now = datetime.now(UTC)
    for alert in unseen:
        alert.seen_at = now
        uow.session.add(alert)
    return unseen


# --------------------------------------------------------------------------------------------
# What the recruiter's pages and the API read of a council's vacancies and matches

#: A match the council has taken up (from shortlisting on).
TAKEN_UP = ["shortlisted", "reached_out", "accepted", "declined", "interviewing", "hired", "not_hired"]


async def vacancies_of(uow: UnitOfWork, council: Council) -> Sequence[Vacancy]:
    """The council's vacancies, newest first."""
    statement = (
        select(Vacancy).where(Vacancy.council_id == council.id).order_by(col(Vacancy.posted_at).desc())
    )
    return (await uow.session.exec(statement)).all()


async def matches_of(uow: UnitOfWork, vacancy: Vacancy) -> Sequence[CandidateMatch]:
    """The vacancy's proposed and taken-up candidates, best first (as GET /vacancies/{id}/matches)."""
    statement = (
        select(CandidateMatch)
        .where(
            CandidateMatch.vacancy_id == vacancy.id,
            col(CandidateMatch.status).not_in(NOT_STANDING),
        )
        .order_by(col(CandidateMatch.score).desc())
    )
    return (await uow.session.exec(statement)).all()


async def shortlist_of(uow: UnitOfWork, council: Council) -> Sequence[tuple[CandidateMatch, Vacancy]]:
    """The candidates the council has taken up, across its vacancies, latest first."""
    statement = (
        select(CandidateMatch, Vacancy)
        .join(Vacancy, Vacancy.id == CandidateMatch.vacancy_id)  # type: ignore[arg-type]
        .where(CandidateMatch.council_id == council.id, col(CandidateMatch.status).in_(TAKEN_UP))
        .order_by(col(CandidateMatch.updated_at).desc())
    )
    return [(m, v) for m, v in (await uow.session.exec(statement)).all()]


async def match_of(uow: UnitOfWork, vacancy: Vacancy, application_id: UUID) -> CandidateMatch | None:
    """The candidate's match with the vacancy, if there is one."""
    statement = select(CandidateMatch).where(
        CandidateMatch.vacancy_id == vacancy.id, CandidateMatch.application_id == application_id
    )
    return (await uow.session.exec(statement)).first()


async def interest_of_candidate(
    uow: UnitOfWork, candidate_id: UUID
) -> Sequence[tuple[CandidateMatch, Vacancy, Council]]:
    """A candidate's matches the candidate sees (`domain.SHOWN_TO_CANDIDATE`), with their
    vacancies and councils."""
    statement = (
        select(CandidateMatch, Vacancy, Council)
        .join(Vacancy, Vacancy.id == CandidateMatch.vacancy_id)  # type: ignore[arg-type]
        .join(Council, Council.id == CandidateMatch.council_id)  # type: ignore[arg-type]
        .where(
            CandidateMatch.candidate_id == candidate_id,
            col(CandidateMatch.status).in_(domain.SHOWN_TO_CANDIDATE),
        )
    )
    return [(m, v, c) for m, v, c in (await uow.session.exec(statement)).all()]


@dataclass(frozen=True)
class VacancyCounts:
    """How many returners the platform proposed for a vacancy, and how many it hired: erased
    candidates' matches are gone, and still counted (from their tallies)."""

    proposed: int = 0
    hired: int = 0


async def vacancy_counts(uow: UnitOfWork, council_id: UUID) -> dict[UUID, VacancyCounts]:
    """Each of the council's vacancies' counts (vacancies with none are left out)."""
    live = (
        await uow.session.exec(
            select(
                CandidateMatch.vacancy_id,
                func.count().filter(col(CandidateMatch.proposed_score).is_not(None)),
                func.count().filter(col(CandidateMatch.status) == "hired"),
            )
            .where(CandidateMatch.council_id == council_id)
            .group_by(col(CandidateMatch.vacancy_id))
        )
    ).all()
    erased = (
        await uow.session.exec(select(ErasedMatchTally).where(ErasedMatchTally.council_id == council_id))
    ).all()
    counts: dict[UUID, VacancyCounts] = {}
    for vacancy_id, proposed, hired in live:
        counts[vacancy_id] = VacancyCounts(proposed, hired)
    for tally in erased:
        held = counts.get(tally.vacancy_id, VacancyCounts())
        counts[tally.vacancy_id] = VacancyCounts(held.proposed + tally.proposed, held.hired + tally.hired)
    return counts


# --------------------------------------------------------------------------------------------
# The talent pool's records (for its handlers)


async def keep_contact(
    uow: UnitOfWork, candidate_id: UUID, *, given_name: str, family_name: str, email: str, phone: str | None
) -> None:
    """Keep (or replace) a candidate's contact details."""
    statement = insert(CandidateContact).values(
        candidate_id=candidate_id, given_name=given_name, family_name=family_name, email=email, phone=phone
    )
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["candidate_id"],
            set_={k: statement.excluded[k] for k in ("given_name", "family_name", "email", "phone")},
        )
    )


async def keep_outcome_record(
    uow: UnitOfWork, application_id: UUID, candidate_id: UUID, outcome: str, sequence: int
) -> None:
    """Keep an application's assessment outcome unless a later one (by sequence) is kept."""
    statement = insert(AssessmentOutcomeRecord).values(
        application_id=application_id,
        candidate_id=candidate_id,
        outcome=outcome,
        sequence=sequence,
    )
    await uow.session.execute(
        statement.on_conflict_do_update(
            index_elements=["application_id"],
            set_={"outcome": statement.excluded.outcome, "sequence": statement.excluded.sequence},
            where=AssessmentOutcomeRecord.sequence <= sequence,  # type: ignore[arg-type]
        )
    )


async def remember_departure(uow: UnitOfWork, subject: UUID, kind: str) -> None:
    """Remember that an application was withdrawn or a candidate erased (the id only)."""
    await uow.session.execute(
        insert(Departure)
        .values(id=subject, kind=kind, at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["id"])
    )


async def matches_with_councils_of(
    uow: UnitOfWork, application_id: UUID
) -> Sequence[tuple[CandidateMatch, Council]]:
    """An application's matches, each with its council."""
    statement = (
        select(CandidateMatch, Council)
        .join(Council, Council.id == CandidateMatch.council_id)  # type: ignore[arg-type]
        .where(CandidateMatch.application_id == application_id)
    )
    return [(m, c) for m, c in (await uow.session.exec(statement)).all()]


async def matches_of_applications(
    uow: UnitOfWork, application_ids: Sequence[UUID]
) -> Sequence[CandidateMatch]:
    """These applications' matches."""
    statement = select(CandidateMatch).where(col(CandidateMatch.application_id).in_(application_ids))
    return (await uow.session.exec(statement)).all()


# --------------------------------------------------------------------------------------------
# Saved searches and their alerts


async def saved_searches_of(uow: UnitOfWork, council_id: UUID) -> list[SavedSearch]:
    """A council's saved searches, newest first."""
    statement = (
        select(SavedSearch)
        .where(SavedSearch.council_id == council_id)
        .order_by(col(SavedSearch.created_at).desc())
    )
    return list((await uow.session.exec(statement)).all())


async def saved_searches_alerting(uow: UnitOfWork, council_id: UUID) -> Sequence[SavedSearch]:
    """A council's saved searches whose alerts are on."""
    statement = select(SavedSearch).where(
        SavedSearch.council_id == council_id, col(SavedSearch.alerts_on).is_(True)
    )
    return (await uow.session.exec(statement)).all()


async def alerted_applications(uow: UnitOfWork, saved_search_id: UUID) -> set[UUID]:
    """The applications a saved search has raised an alert for."""
    statement = select(SearchAlert.application_id).where(SearchAlert.saved_search_id == saved_search_id)
    return set((await uow.session.exec(statement)).all())


async def unseen_alerts_of(uow: UnitOfWork, council_id: UUID) -> Sequence[SearchAlert]:
    """A council's alerts nobody has seen yet, oldest first."""
    statement = (
        select(SearchAlert)
        .where(SearchAlert.council_id == council_id, col(SearchAlert.seen_at).is_(None))
        .order_by(col(SearchAlert.created_at))
    )
    return (await uow.session.exec(statement)).all()


async def alerts_of_search(
    uow: UnitOfWork, saved_search_id: UUID, *, unseen_only: bool
) -> Sequence[SearchAlert]:
    """A saved search's alerts (those not yet seen, if `unseen_only`)."""
    statement = select(SearchAlert).where(SearchAlert.saved_search_id == saved_search_id)
    if unseen_only:
        statement = statement.where(col(SearchAlert.seen_at).is_(None))
    return (await uow.session.exec(statement)).all()


# --------------------------------------------------------------------------------------------
# Vacancies as matching reads them

#: A vacancy as `profiles.target_of_row` takes it.
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


async def open_vacancy_ids_visible_to(uow: UnitOfWork, profile: CandidateProfile) -> Sequence[UUID]:
    """Open vacancies of the candidate's profession at councils the candidate allows."""
    statement = select_rows(VACANCIES.c.id).where(
        VACANCIES.c.programme == profile.programme,
        VACANCIES.c.status == "open",
        (VACANCIES.c.region == _texts("regions", profile.visible_regions))
        | (VACANCIES.c.gss_code == _texts("councils", profile.visible_councils)),
    )
    return (await uow.session.execute(statement)).scalars().all()


async def vacancy_rows(uow: UnitOfWork, ids: Sequence[UUID]) -> Sequence[Any]:
    """These vacancies (`VACANCY_COLUMNS`)."""
    return (
        await uow.session.execute(select_rows(*VACANCY_COLUMNS).where(VACANCIES.c.id == _uuids("ids", ids)))
    ).all()


async def open_vacancy_rows(uow: UnitOfWork, programme: str) -> Sequence[Any]:
    """A programme's open vacancies (`VACANCY_COLUMNS`)."""
    statement = select_rows(*VACANCY_COLUMNS).where(
        VACANCIES.c.programme == programme, VACANCIES.c.status == "open"
    )
    return (await uow.session.execute(statement)).all()


# --------------------------------------------------------------------------------------------
# The pool, ranked by a bound of the score

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

_POOL_MEMBER = (
    "programme = :programme AND in_pool AND NOT withdrawn"
    # Containment (@>) lets PostgreSQL use the GIN indexes on the arrays.
    " AND (visible_regions @> CAST(ARRAY[:region] AS varchar[])"
    " OR visible_councils @> CAST(ARRAY[:gss] AS varchar[]))"
)
_POOL_SELECT = ", ".join(c.name for c in POOL_COLUMNS)


def _pool_parameters(vacancy: Vacancy) -> dict[str, Any]:
    return {"programme": vacancy.programme, "region": vacancy.region, "gss": vacancy.gss_code}


async def pool_rows_of(uow: UnitOfWork, vacancy: Vacancy, applications: Sequence[UUID]) -> Sequence[Any]:
    """These applications' pool rows (`POOL_COLUMNS`), those still in the pool the vacancy's
    council may see."""
    made = await uow.session.execute(
        text(
            f"SELECT {_POOL_SELECT} FROM candidate_profiles"
            f" WHERE {_POOL_MEMBER} AND application_id = ANY(:applications)"
        ),
        _pool_parameters(vacancy) | {"applications": list(applications)},
    )
    return made.all()


#: Added to the SQL bound: each of the seven factors is rounded to 0.01 (±0.005) and the total too,
#: and PostgreSQL's floating point may differ from Python's in the last digits.
BOUND_MARGIN = 0.1


def _f(value: float) -> str:
    return f"CAST({float(value)!r} AS float8)"


def _clamp(fraction: str) -> str:
    return f"GREATEST(0, LEAST(1, {fraction}))"


def score_bound_sql(s: domain.Scorer) -> tuple[str, dict[str, Any]]:
    """A SQL expression over a `candidate_profiles` row that is at least the score
    `domain.quick_score` gives it for this vacancy: the same formula (`domain`'s fractions and
    constants, written in SQL term by term), unrounded, plus `BOUND_MARGIN`; where the exact count
    is awkward in SQL it errs upwards. Ranking the pool by it lets PostgreSQL send only the few
    rows that can be among the best."""
    w_role, w_skills, w_experience, w_distance, w_flexible, w_training, w_availability = s.weights
    parameters: dict[str, Any] = {"b_fitting": sorted(s.fitting), "b_programme": s.programme}
    terms = []
    # domain.role_fraction
    same = "(cardinality(specialisms) = 0 AND programme = :b_programme)" if not s.specialism else "false"
    terms.append(
        f"CASE WHEN specialisms && CAST(:b_fitting AS varchar[]) OR {same}"
        f" THEN {_f(w_role)} ELSE {_f(w_role)} * {_f(domain.role_fraction(False))} END"
    )
    # domain.skills_coverage
    if s.skills:
        ratios = []
        for i, (skill, needed) in enumerate(s.skills):
            parameters[f"b_skill_{i}"] = skill
            ratios.append(f"LEAST(COALESCE(CAST(skills ->> :b_skill_{i} AS float8), 0) / {int(needed)}, 1)")
        coverage = f"({' + '.join(ratios)}) / {len(ratios)}"
        terms.append(f"{_f(w_skills)} * {_clamp(coverage)}")
    else:
        terms.append(_f(w_skills))
    # domain.experience_fraction
    full = _f(s.full_experience_years)
    terms.append(f"{_f(w_experience)} * {_clamp(f'LEAST(years_experience, {full}) / {full}')}")
    # domain.nearest_km, domain.allowed_km and domain.distance_fraction
    if s.distance_matters:
        kms = [
            f"({_f(domain.EARTH_RADIUS_KM)} * 2 * asin(LEAST(1, sqrt("
            f"power(sin((radians({_f(lat)}) - radians(latitude)) / 2), 2)"
            f" + cos(radians(latitude)) * {_f(cos2)} * power(sin(radians({_f(lon)} - longitude) / 2), 2)"
            "))))"
            for lat, lon, cos2 in s.bases
        ]
        km = kms[0] if len(kms) == 1 else f"LEAST({', '.join(kms)})"
        allowed = f"(max_travel_km * {_f(domain.HYBRID_TRAVEL_FACTOR)})" if s.hybrid else "max_travel_km"
        terms.append(
            f"{_f(w_distance)} * CASE WHEN {km} <= {allowed} THEN 1"
            f" ELSE {_clamp(f'1 - ({km} - {allowed}) / GREATEST({allowed}, 1)')} END"
        )
    else:
        terms.append(_f(w_distance))
    # domain.flexible_fraction: needs met over distinct needs; counting only the needs the
    # platform knows errs upwards.
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
    # domain.training_fraction
    started, per_module = _f(domain.TRAINING_STARTED), _f(domain.TRAINING_MODULES)
    terms.append(
        f"CASE WHEN training_status = 'completed' THEN {_f(w_training)}"
        f" WHEN training_status = 'enrolled' AND modules_total <> 0 THEN {_f(w_training)} * "
        + _clamp(f"{started} + {per_module} * CAST(modules_completed AS float8) / modules_total")
        + " ELSE 0 END"
    )
    # domain.availability_fraction
    parameters["b_starts"] = s.starts_on
    terms.append(
        f"CASE WHEN earliest_start IS NULL OR earliest_start <= :b_starts THEN {_f(w_availability)}"
        f" ELSE {_f(w_availability)} * "
        + _clamp(
            f"1 - CAST(earliest_start - CAST(:b_starts AS date) AS float8) / {_f(domain.LATE_START_DAYS)}"
        )
        + " END"
    )
    return f"({' + '.join(terms)} + {BOUND_MARGIN!r})", parameters


async def ranked_pool(
    uow: UnitOfWork, vacancy: Vacancy, s: domain.Scorer, *, offset: int, limit: int | None
) -> Sequence[Any]:
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
# What stands already: pairs made, standing proposals, skill gaps signalled


async def pair_rows(uow: UnitOfWork, *, vacancy: UUID | None, application: UUID | None) -> Sequence[Any]:
    """Match rows made (vacancy, application, id, score, proposed score, status), of a vacancy
    and/or an application."""
    columns = (MATCHES.c.vacancy_id, MATCHES.c.application_id, MATCHES.c.id, MATCHES.c.score)
    statement = select_rows(*columns, MATCHES.c.proposed_score, MATCHES.c.status)
    if vacancy is not None:
        statement = statement.where(MATCHES.c.vacancy_id == vacancy)
    if application is not None:
        statement = statement.where(MATCHES.c.application_id == application)
    return (await uow.session.execute(statement)).all()


async def standing_rows(uow: UnitOfWork, vacancy_ids: Sequence[UUID]) -> Sequence[Any]:
    """The standing proposals of these vacancies: (vacancy, match id, score, status)."""
    statement = select_rows(MATCHES.c.vacancy_id, MATCHES.c.id, MATCHES.c.score, MATCHES.c.status).where(
        MATCHES.c.vacancy_id == _uuids("vacancies", vacancy_ids),
        MATCHES.c.proposed_score.is_not(None),
        MATCHES.c.status.not_in(NOT_STANDING),
    )
    return (await uow.session.execute(statement)).all()


#: How many proposals stand on each of these vacancies, and the weakest score that could give way
#: (which proposal that is, is looked for only if one does: see _WRITE).
_STANDING = text(
    "SELECT v.id, s.n, s.weakest FROM unnest(CAST(:vacancies AS uuid[])) AS v(id)"
    f" CROSS JOIN LATERAL (SELECT count(*) AS n, min(score) FILTER (WHERE status = '{DISPLACEABLE}')"
    " AS weakest FROM matches WHERE vacancy_id = v.id AND proposed_score IS NOT NULL"
    f" AND status NOT IN ({', '.join(repr(s) for s in NOT_STANDING)})) AS s"
).bindparams(bindparam("vacancies", type_=_AS_IS))


async def weakest_rows(uow: UnitOfWork, vacancy_ids: Sequence[UUID]) -> Sequence[Any]:
    """(vacancy, how many proposals stand on it, the weakest score that could give way or None)."""
    return (await uow.session.execute(_STANDING, {"vacancies": list(vacancy_ids)})).all()


async def signal_rows(uow: UnitOfWork, pairs: Sequence[tuple[UUID, UUID]]) -> Sequence[Any]:
    """The gaps keys signalled for these (vacancy, application) pairs (and perhaps a few more of
    the same vacancies and applications): (vacancy, application, gaps key)."""
    vacancies = sorted({v for v, _ in pairs})
    applications = sorted({a for _, a in pairs})
    statement = select_rows(SIGNALS.c.vacancy_id, SIGNALS.c.application_id, SIGNALS.c.gaps_key).where(
        SIGNALS.c.vacancy_id == _uuids("vacancies", vacancies),
        SIGNALS.c.application_id == _uuids("applications", applications),
    )
    return (await uow.session.execute(statement)).all()


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

#: The kinds of row `candidate_world_rows` reads.
WORLD_WEIGHTS, WORLD_VACANCY, WORLD_PAIR, WORLD_SIGNAL, WORLD_STANDING = 0, 1, 2, 3, 4


async def candidate_world_rows(
    uow: UnitOfWork, profile: CandidateProfile, hopeful: Sequence[UUID]
) -> Sequence[Any]:
    """In one round trip, rows (kind, vacancy, id, score, proposed, status, n, text) of five kinds:
    the weights in force (`WORLD_WEIGHTS`: version in n, JSON in text), each open vacancy the
    candidate could be seen for (`WORLD_VACANCY`), the candidate's pairs (`WORLD_PAIR`) and
    signals (`WORLD_SIGNAL`: gaps key in text), and for each `hopeful` vacancy how many proposals
    stand and the weakest that could give way (`WORLD_STANDING`: n, score)."""
    rows = await uow.session.execute(
        _CANDIDATE_WORLD,
        {
            "programme": profile.programme,
            "regions": list(profile.visible_regions),
            "councils": list(profile.visible_councils),
            "application": profile.application_id,
            "hopeful": list(hopeful),
        },
    )
    return rows.all()


# --------------------------------------------------------------------------------------------
# Writing a run's decisions

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


async def write_decisions(
    uow: UnitOfWork,
    *,
    now: datetime,
    version: str,
    displaced_weakest: Sequence[UUID],
    new_matches: Sequence[tuple[Any, ...]],
    signals: Sequence[tuple[UUID, UUID, str]],
    displaced: Sequence[UUID],
    rescores: Sequence[dict[str, Any]],
    reproposals: Sequence[dict[str, Any]],
) -> None:
    """Write a run's decisions, a statement per kind of change: the weakest proposal of each of
    `displaced_weakest` (vacancies) displaced, `new_matches` (id, vacancy, council, application,
    candidate, score, factors) proposed, `signals` (application, vacancy, gaps key) kept,
    `displaced` (match ids) displaced if still displaceable, `rescores` and `reproposals` made
    (`m_id`, `m_score`, `m_factors`, `m_version`, `m_updated`, and `m_status` for reproposals)."""
    session = uow.session
    if displaced_weakest or new_matches or signals:
        # One round trip. The weakest proposal is looked for in the statement's snapshot,
        # without the proposals it adds; no row is changed twice.
        new: list[tuple[Any, ...]] = list(zip(*new_matches, strict=True)) or [()] * 7
        signalled: list[tuple[Any, ...]] = list(zip(*signals, strict=True)) or [()] * 3
        await session.execute(
            _WRITE,
            {
                "now": now,
                "version": version,
                "weakest_of": list(dict.fromkeys(displaced_weakest)),  # each vacancy once
                "n_id": list(new[0]),
                "n_vacancy": list(new[1]),
                "n_council": list(new[2]),
                "n_application": list(new[3]),
                "n_candidate": list(new[4]),
                "n_score": list(new[5]),
                # One JSON array of every new match's factors, taken apart in SQL.
                "n_factors": pydantic_core.to_json(list(new[6])).decode(),
                "s_application": list(signalled[0]),
                "s_vacancy": list(signalled[1]),
                "s_key": list(signalled[2]),
            },
        )
    if displaced:
        await session.execute(
            update(MATCHES)
            .where(MATCHES.c.id == _uuids("displaced", displaced), MATCHES.c.status == DISPLACEABLE)
            .values(status="displaced", updated_at=now)
        )
    if rescores:
        await session.execute(_RESCORE, list(rescores))
    if reproposals:
        await session.execute(_REPROPOSE, list(reproposals))


# --------------------------------------------------------------------------- interviews and offers


async def interviews_of_match(uow: UnitOfWork, match_id: UUID) -> list[Interview]:
    """A match's interviews, oldest proposal first (replaced proposals too)."""
    rows = await uow.session.exec(
        select(Interview).where(Interview.match_id == match_id).order_by(col(Interview.proposed_at))
    )
    return list(rows.all())


async def interviews_of_candidate(uow: UnitOfWork, candidate_id: UUID) -> list[Interview]:
    """Every interview of the candidate's matches, oldest proposal first (replaced proposals and
    those waiting for them to choose a time too)."""
    rows = await uow.session.exec(
        select(Interview)
        .where(Interview.candidate_id == candidate_id)
        .order_by(col(Interview.proposed_at), col(Interview.stage))
    )
    return list(rows.all())


async def erased(uow: UnitOfWork, candidate_id: UUID) -> bool:
    """Whether the candidate was erased here (only their id is kept, in `departures`)."""
    departure = await uow.session.get(Departure, candidate_id)
    return departure is not None and departure.kind == "erased"


async def offers_of_match(uow: UnitOfWork, match_id: UUID) -> list[Offer]:
    """A match's offers, oldest first."""
    rows = await uow.session.exec(
        select(Offer).where(Offer.match_id == match_id).order_by(col(Offer.made_at))
    )
    return list(rows.all())


async def offers_to(uow: UnitOfWork, candidate_id: UUID) -> list[Offer]:
    """The offers made to a candidate, oldest first."""
    rows = await uow.session.exec(
        select(Offer).where(Offer.candidate_id == candidate_id).order_by(col(Offer.made_at))
    )
    return list(rows.all())


async def open_offer(uow: UnitOfWork, match_id: UUID) -> Offer | None:
    """The match's offer waiting for the candidate's answer, if any."""
    rows = await uow.session.exec(select(Offer).where(Offer.match_id == match_id, Offer.status == "made"))
    return rows.first()


async def withdraw_open_offers(uow: UnitOfWork, match_id: UUID, at: datetime) -> None:
    """The match's open offer ends unanswered (the council recorded the outcome itself)."""
    await uow.session.execute(
        update(Offer)
        .where(col(Offer.match_id) == match_id, col(Offer.status) == "made")
        .values(status="withdrawn", answered_at=at)
    )
