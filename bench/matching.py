"""Matching benchmark: council search, scoring a new candidate and re-matching a vacancy at scale.

Builds, in a scratch database `rtw_bench_match_<random>` migrated with the matching service's own
migrations, a realistic pool (default 100,000 in-pool ICT candidates over real postcode districts
of every region; 2,000 open ICT vacancies at real councils, skills from the DDaT framework), then
times, through the service's own code:

    search_p95_ms       rtw_matching.search.search(): a council search within 40 km with three
                        filters (specialism, skill at a level, flexible-working need), sorted by
                        distance, page 1 of 20;
    score_candidate_ms  rtw_matching.candidate_matching.match_candidate(): a new candidate against every
                        open vacancy they can see (rolled back);
    rematch_vacancy_ms  rtw_matching.pool_ranking.match_vacancy(): the whole pool against a new
                        vacancy (rolled back).

Before timing, the proposals stand as the service itself leaves them: its own match_vacancy has
matched every vacancy against the pool (`--proposals random` seeds random ones instead, a harsher
state the service never leaves, in which a new candidate displaces many).

The scratch database is dropped at the end (also after an error, Ctrl-C or SIGTERM). The last
line printed is one JSON object with the p95 of each figure.

    python bench/matching.py [--candidates N] [--vacancies N] [--searches N] ...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import signal
import sys
import time
import uuid
import warnings
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from rich.console import Console
from rich.table import Table as RichTable
from rtw_contracts import FlexibleWorking, IctSpecialism, Region, SkillClaim, SkillLevel, WorkMode
from rtw_matching import domain
from rtw_matching.app import SERVICE
from rtw_matching.caches import MatchingCaches
from rtw_matching.candidate_matching import match_candidate, open_vacancies_visible_to
from rtw_matching.models import CandidateProfile, Council, Vacancy
from rtw_matching.pool_ranking import match_vacancy
from rtw_matching.profiles import candidate_of, vacancy_of
from rtw_matching.search import SearchFilters, search
from rtw_matching.store import ranked_pool, weights_in_force
from rtw_platform import reference
from rtw_platform.db import asyncpg_dsn, create_engine
from rtw_platform.logging import configure_logging
from rtw_platform.migrations import upgrade
from rtw_platform.uow import UnitOfWork, UnitOfWorkFactory
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

DEFAULT_DATABASE_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
SCHEMA = SERVICE.schema
TARGETS = {"search_p95_ms": 50.0, "score_candidate_ms": 20.0, "rematch_vacancy_ms": 1000.0}
console = Console(width=150)
warnings.filterwarnings(
    "ignore", message=r"\s*🚨 You probably want to use `session.exec", category=DeprecationWarning
)

# Rough shares of the UK population by region (ONS mid-year estimates), for where candidates live.
REGION_SHARE = {
    Region.LONDON: 13.1,
    Region.SOUTH_EAST: 13.7,
    Region.NORTH_WEST: 11.0,
    Region.EAST_OF_ENGLAND: 9.4,
    Region.WEST_MIDLANDS: 8.8,
    Region.SOUTH_WEST: 8.4,
    Region.YORKSHIRE_AND_THE_HUMBER: 8.1,
    Region.EAST_MIDLANDS: 7.3,
    Region.SCOTLAND: 8.1,
    Region.WALES: 4.6,
    Region.NORTH_EAST: 4.0,
    Region.NORTHERN_IRELAND: 2.8,
}
# Regions that share a border (or, for Northern Ireland, a short crossing).
NEIGHBOURS: dict[Region, tuple[Region, ...]] = {
    Region.NORTH_EAST: (Region.NORTH_WEST, Region.YORKSHIRE_AND_THE_HUMBER, Region.SCOTLAND),
    Region.NORTH_WEST: (
        Region.NORTH_EAST,
        Region.YORKSHIRE_AND_THE_HUMBER,
        Region.WEST_MIDLANDS,
        Region.EAST_MIDLANDS,
        Region.WALES,
        Region.SCOTLAND,
    ),
    Region.YORKSHIRE_AND_THE_HUMBER: (Region.NORTH_EAST, Region.NORTH_WEST, Region.EAST_MIDLANDS),
    Region.EAST_MIDLANDS: (
        Region.YORKSHIRE_AND_THE_HUMBER,
        Region.NORTH_WEST,
        Region.WEST_MIDLANDS,
        Region.EAST_OF_ENGLAND,
        Region.SOUTH_EAST,
    ),
    Region.WEST_MIDLANDS: (
        Region.NORTH_WEST,
        Region.EAST_MIDLANDS,
        Region.SOUTH_WEST,
        Region.SOUTH_EAST,
        Region.WALES,
    ),
    Region.EAST_OF_ENGLAND: (Region.EAST_MIDLANDS, Region.LONDON, Region.SOUTH_EAST),
    Region.LONDON: (Region.EAST_OF_ENGLAND, Region.SOUTH_EAST),
    Region.SOUTH_EAST: (
        Region.LONDON,
        Region.EAST_OF_ENGLAND,
        Region.SOUTH_WEST,
        Region.WEST_MIDLANDS,
        Region.EAST_MIDLANDS,
    ),
    Region.SOUTH_WEST: (Region.SOUTH_EAST, Region.WEST_MIDLANDS, Region.WALES),
    Region.WALES: (Region.NORTH_WEST, Region.WEST_MIDLANDS, Region.SOUTH_WEST),
    Region.SCOTLAND: (Region.NORTH_EAST, Region.NORTH_WEST),
    Region.NORTHERN_IRELAND: (Region.SCOTLAND,),
}
FLEXIBLE_WANTED = {  # share of candidates wanting each arrangement
    FlexibleWorking.HYBRID: 0.50,
    FlexibleWorking.PART_TIME: 0.35,
    FlexibleWorking.REMOTE: 0.25,
    FlexibleWorking.COMPRESSED_HOURS: 0.15,
    FlexibleWorking.TERM_TIME: 0.12,
    FlexibleWorking.JOB_SHARE: 0.08,
    FlexibleWorking.CHOICE_OF_BASE: 0.05,
}
SEARCH_NEEDS = (
    FlexibleWorking.HYBRID,
    FlexibleWorking.PART_TIME,
    FlexibleWorking.REMOTE,
    FlexibleWorking.COMPRESSED_HOURS,
)
MODULES_TOTAL = 6


# --------------------------------------------------------------------------------------------
# Scratch database
# --------------------------------------------------------------------------------------------


def with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


@dataclass
class Scratch:
    server_url: str
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    created: bool = False

    @property
    def database(self) -> str:
        return f"rtw_bench_match_{self.token}"

    @property
    def url(self) -> str:
        return with_database(self.server_url, self.database)

    async def create(self) -> None:
        conn = await asyncpg.connect(asyncpg_dsn(self.server_url))
        try:
            await conn.execute(f'CREATE DATABASE "{self.database}"')
            self.created = True
        finally:
            await conn.close()

    async def drop(self) -> str | None:
        if not self.created:
            return None
        try:
            conn = await asyncpg.connect(asyncpg_dsn(self.server_url))
            try:
                await conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            finally:
                await conn.close()
        except Exception as exc:
            return f"dropping {self.database} failed: {exc!r}"
        self.created = False
        return None


# --------------------------------------------------------------------------------------------
# A realistic world: councils, vacancies, candidates
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoleLevel:
    role: str
    name: str
    rank: int
    skills: dict[str, int]


class World:
    """Reference data arranged for generating rows quickly."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.today = datetime.now(UTC).date()
        self.now = datetime.now(UTC)
        self.councils = sorted(reference.councils().values(), key=lambda c: c.gss_code)
        self.council_ids = {
            c.gss_code: uuid.uuid5(uuid.NAMESPACE_URL, f"council/{c.gss_code}") for c in self.councils
        }
        self.councils_by_region: dict[Region, list[Any]] = defaultdict(list)
        for council in self.councils:
            self.councils_by_region[council.region].append(council)
        self.districts_by_region: dict[Region, list[Any]] = defaultdict(list)
        self.districts_by_council: dict[str, list[Any]] = defaultdict(list)
        for district in sorted(reference.postcode_districts().values(), key=lambda d: d.code):
            self.districts_by_region[district.region].append(district)
            self.districts_by_council[district.nearest_council_gss].append(district)
        self.regions = list(REGION_SHARE)
        self.region_weights = [REGION_SHARE[r] for r in self.regions]
        levels: dict[tuple[str, str], RoleLevel] = {}
        for rs in reference.role_skills():
            key = (rs.role, rs.role_level)
            if key not in levels:
                levels[key] = RoleLevel(rs.role, rs.role_level, rs.role_level_rank, {})
            levels[key].skills[rs.skill] = rs.skill_level
        self.levels_of_role: dict[str, list[RoleLevel]] = defaultdict(list)
        for level in sorted(levels.values(), key=lambda lv: (lv.role, lv.rank)):
            self.levels_of_role[level.role].append(level)
        self.specialisms = list(IctSpecialism)
        self.all_skills = sorted(reference.framework_skills())
        # Council preferences (what they need and offer) are fixed per council.
        self.needs: dict[str, list[IctSpecialism]] = {}
        self.offers: dict[str, list[str]] = {}
        for council in self.councils:
            self.needs[council.gss_code] = self.rng.sample(self.specialisms, self.rng.randint(2, 4))
            self.offers[council.gss_code] = sorted(
                f.value
                for f in (
                    FlexibleWorking.PART_TIME,
                    FlexibleWorking.JOB_SHARE,
                    FlexibleWorking.COMPRESSED_HOURS,
                    FlexibleWorking.TERM_TIME,
                    FlexibleWorking.CHOICE_OF_BASE,
                )
                if self.rng.random() < 0.5
            )

    def entry_levels(self, role: str) -> list[RoleLevel]:
        """Levels a returner would apply for: the framework's first three ranks of the role."""
        levels = self.levels_of_role[role]
        return [lv for lv in levels if lv.rank <= 3] or levels[:1]

    # ---- councils

    def council_records(self) -> list[tuple[Any, ...]]:
        return [
            (
                self.council_ids[c.gss_code],
                c.gss_code,
                c.name,
                c.region.value,
                c.nation,
                "Recruitment team",
                f"recruitment@{c.gss_code.lower()}.gov.uk",
                [s.value for s in self.needs[c.gss_code]],
                self.offers[c.gss_code],
                self.now,
            )
            for c in self.councils
        ]

    COUNCIL_COLUMNS = (
        "id",
        "gss_code",
        "name",
        "region",
        "nation",
        "contact_name",
        "contact_email",
        "specialisms_needed",
        "flexible_working_offered",
        "registered_at",
    )

    # ---- vacancies

    def vacancy_fields(self, council: Any) -> dict[str, Any]:
        rng = self.rng
        gss = council.gss_code
        specialism = rng.choice(self.needs[gss]) if rng.random() < 0.75 else rng.choice(self.specialisms)
        role = rng.choice(specialism.ddat_roles)
        level = rng.choice(self.entry_levels(role))
        skills = list(level.skills.items())
        required = dict(rng.sample(skills, min(len(skills), rng.randint(5, 8))))
        bases = [{"district": None, "latitude": council.latitude, "longitude": council.longitude}]
        nearby = self.districts_by_council.get(gss)
        if nearby and rng.random() < 0.25:
            d = rng.choice(nearby)
            bases.append({"district": d.code, "latitude": d.latitude, "longitude": d.longitude})
        work_mode = rng.choices((WorkMode.ON_SITE, WorkMode.HYBRID, WorkMode.REMOTE), weights=(30, 50, 20))[
            0
        ].value
        offered = [f for f in self.offers[gss] if rng.random() < 0.7]
        low = rng.randrange(26_000, 45_000, 500) * 100
        return {
            "id": uuid.uuid4(),
            "council_id": self.council_ids[gss],
            "gss_code": gss,
            "region": council.region.value,
            "title": f"{level.name}, {council.name}",
            "programme": "ict",
            "specialism": specialism.value,
            "role": role,
            "role_level": level.name,
            "required_skills": required,
            "bases": bases,
            "work_mode": work_mode,
            "flexible_working": offered,
            "salary_min_pence": low,
            "salary_max_pence": low + rng.randrange(3_000, 9_000, 500) * 100,
            "hours_per_week": rng.choice((37.0, 37.0, 37.0, 30.0, 22.5)),
            "closing_date": self.today + timedelta(days=rng.randint(14, 60)),
            "status": "open",
            "posted_at": self.now - timedelta(days=rng.randint(0, 30)),
        }

    VACANCY_COLUMNS = (
        "id",
        "council_id",
        "gss_code",
        "region",
        "title",
        "programme",
        "specialism",
        "role",
        "role_level",
        "required_skills",
        "bases",
        "work_mode",
        "flexible_working",
        "salary_min_pence",
        "salary_max_pence",
        "hours_per_week",
        "closing_date",
        "status",
        "posted_at",
    )

    # ---- candidates

    def candidate_fields(self, region: Region | None = None) -> dict[str, Any]:
        rng = self.rng
        region = region or rng.choices(self.regions, weights=self.region_weights)[0]
        district = rng.choice(self.districts_by_region[region])
        chosen = rng.sample(self.specialisms, 2 if rng.random() < 0.3 else 1)
        skills: dict[str, int] = {}
        for n, specialism in enumerate(chosen):
            role = rng.choice(specialism.ddat_roles)
            level = rng.choice(self.entry_levels(role))
            for skill, needed in level.skills.items():
                if n and rng.random() < 0.5:
                    continue  # a second specialism: only some of its skills
                held = max(0, min(4, needed + rng.choice((-2, -1, -1, 0, 0, 0, 1))))
                if held:
                    skills[skill] = max(held, skills.get(skill, 0))
        for skill in rng.sample(self.all_skills, rng.randint(1, 4)):
            skills.setdefault(skill, rng.randint(1, 3))
        visible_regions = [region.value]
        if rng.random() < 0.3:
            visible_regions.append(rng.choice(NEIGHBOURS[region]).value)
        visible_councils: list[str] = []
        if rng.random() < 0.1:
            visible_councils.append(district.nearest_council_gss)
            if rng.random() < 0.5:
                visible_councils.append(rng.choice(self.councils).gss_code)
        training = rng.choices(("none", "enrolled", "completed"), weights=(40, 35, 25))[0]
        completed = {"none": 0, "enrolled": rng.randint(0, MODULES_TOTAL - 1), "completed": MODULES_TOTAL}[
            training
        ]
        rng.random()  # drawn as before, so the generated pool is the same
        outcome = "selected"  # the pool holds those selected (and promoted), never the waiting list
        return {
            "application_id": uuid.uuid4(),
            "candidate_id": uuid.uuid4(),
            "programme": "ict",
            "cohort_id": f"ict-{self.today.year}-{rng.randint(1, 4):02d}",
            "postcode_district": district.code,
            "latitude": district.latitude,
            "longitude": district.longitude,
            "region": region.value,
            "specialisms": [s.value for s in chosen],
            "skills": skills,
            "years_experience": round(min(30.0, rng.gammavariate(2.0, 3.5)), 1),
            "flexible_working": [f.value for f, p in FLEXIBLE_WANTED.items() if rng.random() < p],
            "max_travel_km": float(rng.choice((10, 15, 20, 25, 30, 40, 50, 80))),
            "visible_regions": visible_regions,
            "visible_councils": visible_councils,
            "earliest_start": None
            if rng.random() < 0.4
            else self.today + timedelta(days=rng.randint(0, 120)),
            "assessment_outcome": outcome,
            "assessment_sequence": 3,
            "in_pool": True,
            "training_status": training,
            "modules_completed": completed,
            "modules_total": MODULES_TOTAL if training != "none" else 0,
            "withdrawn": False,
            "updated_at": self.now,
        }

    CANDIDATE_COLUMNS = (
        "application_id",
        "candidate_id",
        "programme",
        "cohort_id",
        "postcode_district",
        "latitude",
        "longitude",
        "region",
        "specialisms",
        "skills",
        "years_experience",
        "flexible_working",
        "max_travel_km",
        "visible_regions",
        "visible_councils",
        "earliest_start",
        "assessment_outcome",
        "assessment_sequence",
        "in_pool",
        "training_status",
        "modules_completed",
        "modules_total",
        "withdrawn",
        "updated_at",
    )

    def search_filters(self) -> tuple[Any, SearchFilters]:
        """A council and a realistic three-filter search of its pool within 40 km."""
        rng = self.rng
        council = rng.choice(self.councils)
        specialism = rng.choice(self.needs[council.gss_code])
        level = rng.choice(self.entry_levels(rng.choice(specialism.ddat_roles)))
        skill = rng.choice(sorted(level.skills))
        return council, SearchFilters(
            specialisms=[specialism],
            skills=[SkillClaim(skill=skill, level=SkillLevel(rng.choice((2, 2, 3))))],
            flexible_working=[rng.choice(SEARCH_NEEDS)],
            radius_km=40,
            sort="distance",
            page=1,
            page_size=20,
        )


def as_record(row: dict[str, Any], columns: tuple[str, ...], json_columns: set[str]) -> tuple[Any, ...]:
    return tuple(json.dumps(row[c]) if c in json_columns else row[c] for c in columns)


def domain_candidate(row: dict[str, Any]) -> domain.Candidate:
    return candidate_of(CandidateProfile(**row))


@dataclass
class SetupResult:
    seconds: float
    phases: dict[str, float]
    councils: int
    vacancies: int
    candidates: int
    seeded_matches: int
    open_vacancies_by_region: dict[str, int]
    pool_by_region: dict[str, int]


async def set_up(scratch: Scratch, world: World, args: argparse.Namespace) -> SetupResult:
    phases: dict[str, float] = {}
    started = time.perf_counter()
    await scratch.create()
    await asyncio.to_thread(upgrade, SERVICE, scratch.url)
    phases["create + migrate"] = time.perf_counter() - started

    t = time.perf_counter()
    vacancy_rows = [world.vacancy_fields(world.rng.choice(world.councils)) for _ in range(args.vacancies)]
    candidate_rows = [world.candidate_fields() for _ in range(args.candidates)]
    phases["generate rows (Python)"] = time.perf_counter() - t

    # Steady state: each vacancy already has its proposals (pool members it can see, really scored).
    t = time.perf_counter()
    weights = domain.Weights()
    visible: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(candidate_rows):
        for r in row["visible_regions"]:
            visible[r].append(i)
    match_records = []
    for vrow in vacancy_rows:
        pool = visible.get(vrow["region"], [])
        if not pool or args.proposals != "random" or args.proposals_per_vacancy <= 0:
            continue
        target = vacancy_of(Vacancy(**vrow))
        sample = world.rng.sample(pool, min(len(pool), args.proposals_per_vacancy))
        for i in sample:
            match = domain.score(domain_candidate(candidate_rows[i]), target, weights)
            crow = candidate_rows[i]
            factors = json.dumps([f.model_dump(mode="json") for f in match.factors])
            match_records.append(
                (
                    uuid.uuid4(),
                    vrow["id"],
                    vrow["council_id"],
                    crow["application_id"],
                    crow["candidate_id"],
                    match.score,
                    factors,
                    weights.version,
                    "proposed",
                    match.score,
                    world.now,
                    world.now,
                )
            )
    phases["score seeded proposals (Python)"] = time.perf_counter() - t

    t = time.perf_counter()
    conn = await asyncpg.connect(asyncpg_dsn(scratch.url))
    try:
        await conn.copy_records_to_table(
            "councils", schema_name=SCHEMA, columns=World.COUNCIL_COLUMNS, records=world.council_records()
        )
        await conn.copy_records_to_table(
            "vacancies",
            schema_name=SCHEMA,
            columns=World.VACANCY_COLUMNS,
            records=[as_record(r, World.VACANCY_COLUMNS, {"required_skills", "bases"}) for r in vacancy_rows],
        )
        records = [as_record(r, World.CANDIDATE_COLUMNS, {"skills"}) for r in candidate_rows]
        for chunk in range(0, len(records), 20_000):
            await conn.copy_records_to_table(
                "candidate_profiles",
                schema_name=SCHEMA,
                columns=World.CANDIDATE_COLUMNS,
                records=records[chunk : chunk + 20_000],
            )
        await conn.copy_records_to_table(
            "matches",
            schema_name=SCHEMA,
            columns=(
                "id",
                "vacancy_id",
                "council_id",
                "application_id",
                "candidate_id",
                "score",
                "factors",
                "weights_version",
                "status",
                "proposed_score",
                "proposed_at",
                "updated_at",
            ),
            records=match_records,
        )
        phases["COPY into PostgreSQL"] = time.perf_counter() - t
        t = time.perf_counter()
        # The steady state: autovacuum has long since processed the loaded tables.
        await conn.execute(
            f'VACUUM (ANALYZE) "{SCHEMA}".councils, "{SCHEMA}".vacancies, "{SCHEMA}".matches,'
            f' "{SCHEMA}".candidate_profiles'
        )
        phases["VACUUM ANALYZE"] = time.perf_counter() - t
        seeded = len(match_records)
        if args.proposals == "service":
            t = time.perf_counter()
            seeded = await propose_as_the_service_would(scratch, conn)
            phases["match_vacancy for every vacancy (the service's proposals)"] = time.perf_counter() - t
        by_region = {
            r["region"]: r["n"]
            for r in await conn.fetch(
                f'SELECT region, count(*) AS n FROM "{SCHEMA}".vacancies WHERE status = $1 GROUP BY region',
                "open",
            )
        }
    finally:
        await conn.close()
    pool_by_region = {r: len(ix) for r, ix in visible.items()}
    return SetupResult(
        seconds=time.perf_counter() - started,
        phases=phases,
        councils=len(world.councils),
        vacancies=len(vacancy_rows),
        candidates=len(candidate_rows),
        seeded_matches=seeded,
        open_vacancies_by_region=by_region,
        pool_by_region=pool_by_region,
    )


async def propose_as_the_service_would(scratch: Scratch, conn: asyncpg.Connection) -> int:
    """Each loaded vacancy matched against the loaded pool by the service's own `match_vacancy`
    and committed, as if the vacancies had been posted after the pool formed: the proposals the
    service itself leaves standing. Returns how many it made."""
    engine = create_engine(scratch.url, SCHEMA, pool_size=2)
    try:
        factory = UnitOfWorkFactory(engine, SERVICE.metadata)
        rows = await conn.fetch(f'SELECT id FROM "{SCHEMA}".vacancies ORDER BY posted_at, id')
        ids = [row["id"] for row in rows]
        lanes = asyncio.Semaphore(2)  # PostgreSQL ranks one while Python explains another

        async def propose(vacancy_id: uuid.UUID) -> None:
            async with lanes, factory() as uow:
                vacancy = await uow.session.get(Vacancy, vacancy_id)
                assert vacancy is not None
                await match_vacancy(uow, vacancy, cause=None)
                await uow.commit()

        await asyncio.gather(*(propose(i) for i in ids))
    finally:
        await engine.dispose()
    await conn.execute(f'VACUUM (ANALYZE) "{SCHEMA}".matches')
    return int(await conn.fetchval(f'SELECT count(*) FROM "{SCHEMA}".matches'))


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


class SqlClock:
    """Time spent in the driver (statement round trip and fetching every row), from SQLAlchemy's
    cursor events; everything else in an operation is Python (ORM, scoring, events)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.seconds = 0.0
        self.statements = 0
        self.last: tuple[str, Any] | None = None
        self._started = 0.0
        event.listen(engine.sync_engine, "before_cursor_execute", self._before)
        event.listen(engine.sync_engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.last = (statement, parameters)
        self._started = time.perf_counter()

    def _after(self, *_: Any) -> None:
        self.seconds += time.perf_counter() - self._started
        self.statements += 1

    def mark(self) -> tuple[float, int]:
        return self.seconds, self.statements


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Series:
    name: str
    total_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    statements: list[int] = field(default_factory=list)
    extra: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class SearchRun:
    series: Series
    slowest: tuple[float, str, Any, str] | None = None  # ms, statement, parameters, label
    totals: list[int] = field(default_factory=list)


async def run_searches(
    factory: UnitOfWorkFactory,
    clock: SqlClock,
    world: World,
    councils: dict[str, Council],
    n: int,
    warmup: int,
) -> SearchRun:
    run = SearchRun(Series("search"))
    for i in range(warmup + n):
        ref, filters = world.search_filters()
        council = councils[ref.gss_code]
        async with factory() as uow:
            sql0, st0 = clock.mark()
            t = time.perf_counter()
            result = await search(uow, council, filters)
            ms = (time.perf_counter() - t) * 1000
            sql1, st1 = clock.mark()
            statement = clock.last
        if i < warmup:
            continue
        run.series.total_ms.append(ms)
        run.series.sql_ms.append((sql1 - sql0) * 1000)
        run.series.statements.append(st1 - st0)
        run.totals.append(result["total"])
        if run.slowest is None or ms > run.slowest[0]:
            assert statement is not None
            label = (
                f"{ref.name} ({ref.region.value}); {filters.specialisms[0].value}, "
                f"{filters.skills[0].skill} ≥ {int(filters.skills[0].level)}, "
                f"{filters.flexible_working[0].value}"
            )
            run.slowest = (ms, statement[0], statement[1], label)
    return run


async def in_rolled_back_uow(factory: UnitOfWorkFactory, body: Callable[[UnitOfWork], Awaitable[Any]]) -> Any:
    """Run `body` in a transaction that is always rolled back (a unit of work lent the session)."""
    session = factory.session()
    try:
        return await body(factory.within(session))
    finally:
        await session.rollback()
        await session.close()


@dataclass
class CandidateRun:
    series: Series
    vacancies_seen: list[int] = field(default_factory=list)
    proposals: list[int] = field(default_factory=list)
    events: list[int] = field(default_factory=list)


async def run_candidates(
    factory: UnitOfWorkFactory, clock: SqlClock, world: World, n: int, warmup: int
) -> CandidateRun:
    run = CandidateRun(Series("score one candidate"))
    caches = MatchingCaches()  # as the service keeps them, between one candidate and the next
    for i in range(warmup + n):
        profile = CandidateProfile(**world.candidate_fields())

        async def body(uow: UnitOfWork, profile: CandidateProfile = profile) -> dict[str, Any]:
            sql0, st0 = clock.mark()
            t, cpu = time.perf_counter(), time.process_time()
            matched = await match_candidate(uow, profile, cause=None, caches=caches)
            total, cpu = time.perf_counter() - t, time.process_time() - cpu
            sql1, st1 = clock.mark()
            # The ranking alone: the same quick scoring again, without I/O, explanations or events.
            weights = (await weights_in_force(uow)).weights
            targets = await open_vacancies_visible_to(uow, profile, caches)
            t = time.perf_counter()
            facts = domain.facts_of(candidate_of(profile))
            domain.quick_scores(facts, caches.scorers_for(targets, weights))
            scoring = time.perf_counter() - t
            events = len(uow.pending_events)
            proposals = sum(1 for e in uow.pending_events if type(e).__name__ == "MatchProposed")
            # What the commit would add: flushing matches and skill-gap signals, the outbox rows.
            t = time.perf_counter()
            await uow.commit()  # lent session: writes the outbox and flushes, does not commit
            writes = time.perf_counter() - t
            return {
                "total": total,
                "cpu": cpu,
                "sql": sql1 - sql0,
                "statements": st1 - st0,
                "scoring": scoring,
                "writes": writes,
                "seen": matched.scored,
                "events": events,
                "proposals": proposals,
            }

        r = await in_rolled_back_uow(factory, body)
        if i < warmup:
            continue
        s = run.series
        s.total_ms.append(r["total"] * 1000)
        s.extra["CPU"].append(r["cpu"] * 1000)
        s.sql_ms.append(r["sql"] * 1000)
        s.statements.append(r["statements"])
        s.extra["pure-Python scoring"].append(r["scoring"] * 1000)
        s.extra["+ writes at commit (flush + outbox)"].append(r["writes"] * 1000)
        run.vacancies_seen.append(r["seen"])
        run.proposals.append(r["proposals"])
        run.events.append(r["events"])
    return run


@dataclass
class VacancyResult:
    region: str
    council: str
    work_mode: str
    scored: int
    ranked: int
    total_ms: float
    cpu_ms: float
    sql_ms: float
    scoring_ms: float
    writes_ms: float
    proposals: int
    events: int


@dataclass
class VacancyRun:
    series: Series
    results: list[VacancyResult] = field(default_factory=list)


async def run_vacancies(
    factory: UnitOfWorkFactory, clock: SqlClock, world: World, n: int, warmup: int
) -> VacancyRun:
    run = VacancyRun(Series("rematch one vacancy"))
    regions = [r for r in world.regions if world.councils_by_region[r]]
    for i in range(warmup + n):
        region = regions[i % len(regions)] if i >= warmup else world.rng.choice(regions)
        council = world.rng.choice(world.councils_by_region[region])
        vacancy = Vacancy(**world.vacancy_fields(council))

        async def body(
            uow: UnitOfWork,
            vacancy: Vacancy = vacancy,
            council: Any = council,
            region: Region = region,
        ) -> VacancyResult:
            uow.session.add(vacancy)
            await uow.session.flush()  # as post_vacancy does before matching
            sql0, _ = clock.mark()
            t, cpu = time.perf_counter(), time.process_time()
            matched = await match_vacancy(uow, vacancy, cause=None)
            total, cpu = time.perf_counter() - t, time.process_time() - cpu
            sql1, _ = clock.mark()
            # The Python scoring alone: the rows PostgreSQL ranked highest, as many as were sent.
            weights = (await weights_in_force(uow)).weights
            compiled = domain.scorer(vacancy_of(vacancy), weights)
            rows = await ranked_pool(uow, vacancy, compiled, offset=0, limit=matched.ranked)
            t = time.perf_counter()
            for row in rows:
                domain.quick_score(compiled, row)
            scoring = time.perf_counter() - t
            events = len(uow.pending_events)
            proposals = sum(1 for e in uow.pending_events if type(e).__name__ == "MatchProposed")
            t = time.perf_counter()
            await uow.commit()  # lent session: writes the outbox and flushes, does not commit
            writes = time.perf_counter() - t
            return VacancyResult(
                region=region.value,
                council=council.name,
                work_mode=vacancy.work_mode,
                scored=matched.scored,
                ranked=matched.ranked,
                total_ms=total * 1000,
                cpu_ms=cpu * 1000,
                sql_ms=(sql1 - sql0) * 1000,
                scoring_ms=scoring * 1000,
                writes_ms=writes * 1000,
                proposals=proposals,
                events=events,
            )

        r = await in_rolled_back_uow(factory, body)
        if i < warmup:
            continue
        run.results.append(r)
        s = run.series
        s.total_ms.append(r.total_ms)
        s.extra["CPU"].append(r.cpu_ms)
        s.sql_ms.append(r.sql_ms)
        s.extra["pure-Python scoring"].append(r.scoring_ms)
        s.extra["+ writes at commit (flush + outbox)"].append(r.writes_ms)
    return run


async def explain(url: str, statement: str, parameters: Any) -> list[str]:
    conn = await asyncpg.connect(asyncpg_dsn(url), server_settings={"search_path": f"{SCHEMA},public"})
    try:
        rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + statement, *parameters)
    finally:
        await conn.close()
    return [r[0] for r in rows]


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def fmt(ms: float) -> str:
    return f"{ms:,.1f}" if ms >= 10 else f"{ms:.2f}"


def report(
    setup: SetupResult,
    searches: SearchRun,
    candidates: CandidateRun,
    vacancies: VacancyRun,
    args: argparse.Namespace,
) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    info = RichTable(title="Matching benchmark: data set", show_header=False)
    info.add_column()
    info.add_column(justify="right")
    info.add_row("in-pool ICT candidates", f"{setup.candidates:,}")
    info.add_row("open ICT vacancies", f"{setup.vacancies:,}")
    info.add_row("councils (reference list)", f"{setup.councils:,}")
    info.add_row(f"standing proposals before timing ({args.proposals})", f"{setup.seeded_matches:,}")
    info.add_row("setup total", f"{setup.seconds:.1f} s")
    for phase, seconds in setup.phases.items():
        info.add_row(f"  {phase}", f"{seconds:.1f} s")
    console.print(info)

    table = RichTable(
        title="Matching benchmark (ms; SQL = time in the driver: round trips, row and JSONB decoding)",
        caption=f"{os.cpu_count()} CPUs; load average at the end (1, 5, 15 min): {load}",
    )
    for name, justify in (
        ("measure", "left"),
        ("n", "right"),
        ("p50", "right"),
        ("p95", "right"),
        ("p99", "right"),
        ("max", "right"),
        ("target (p95)", "right"),
        ("notes", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]

    def row(label: str, values: list[float], target: float | None = None, notes: str = "") -> None:
        if not values:
            return
        p95 = pct(values, 95)
        verdict = ""
        if target is not None:
            ok = p95 < target
            verdict = f"{'[green]' if ok else '[red]'}< {target:g} {'met' if ok else 'MISSED'}[/]"
        table.add_row(
            label,
            str(len(values)),
            fmt(pct(values, 50)),
            fmt(p95),
            fmt(pct(values, 99)),
            fmt(max(values)),
            verdict,
            notes,
        )

    s = searches.series
    row(
        "search_p95_ms: council search",
        s.total_ms,
        TARGETS["search_p95_ms"],
        f"40 km, specialism + skill level + flexible need, by distance, page 1/20; "
        f"found p50 {pct([float(x) for x in searches.totals], 50):.0f}, max {max(searches.totals)}",
    )
    row("  of which SQL", s.sql_ms)
    row(
        "  of which the rest (pool pre-ping, ORM rows, distance, sort)",
        [a - b for a, b in zip(s.total_ms, s.sql_ms, strict=True)],
    )
    c = candidates.series
    seen = [float(x) for x in candidates.vacancies_seen]
    row(
        "score_candidate_ms: match_candidate",
        c.total_ms,
        TARGETS["score_candidate_ms"],
        f"vacancies scored p50 {pct(seen, 50):.0f} (max {max(seen):.0f}); "
        f"proposals p50 {pct([float(x) for x in candidates.proposals], 50):.0f}; "
        f"events p50 {pct([float(x) for x in candidates.events], 50):.0f}",
    )
    row(
        "  this process's CPU time (the rest is waiting)",
        c.extra["CPU"],
        notes="for the machine's load: see the caption",
    )
    row("  of which SQL", c.sql_ms, notes=f"{pct([float(x) for x in c.statements], 50):.0f} statements")
    row(
        "  of which pure-Python scoring",
        c.extra["pure-Python scoring"],
        notes="quick_scores of every vacancy (compiled once per process)",
    )
    row(
        "  of which the rest (rows, explaining and recording the proposals and gaps)",
        [t - q - p for t, q, p in zip(c.total_ms, c.sql_ms, c.extra["pure-Python scoring"], strict=True)],
    )
    row("  + outbox rows at commit (not in the figure)", c.extra["+ writes at commit (flush + outbox)"])
    v = vacancies.series
    scored = [float(r.scored) for r in vacancies.results]
    row(
        "rematch_vacancy_ms: match_vacancy",
        v.total_ms,
        TARGETS["rematch_vacancy_ms"],
        f"pool (candidates who allow the council) p50 {pct(scored, 50):.0f} "
        f"(min {min(scored):.0f}, max {max(scored):.0f})",
    )
    ranked = [float(r.ranked) for r in vacancies.results]
    row("  this process's CPU time (the rest is waiting)", v.extra["CPU"])
    row(
        "  of which SQL",
        v.sql_ms,
        notes=f"PostgreSQL ranks the pool; rows sent p50 {pct(ranked, 50):.0f} (max {max(ranked):.0f})",
    )
    row(
        "  of which pure-Python scoring", v.extra["pure-Python scoring"], notes="quick_score of the rows sent"
    )
    row(
        "  of which the rest (rows, ranking, explaining and recording the proposals and gaps)",
        [t - q - p for t, q, p in zip(v.total_ms, v.sql_ms, v.extra["pure-Python scoring"], strict=True)],
    )
    row("  + outbox rows at commit (not in the figure)", v.extra["+ writes at commit (flush + outbox)"])
    console.print(table)

    per = RichTable(title="Each rematch (match_vacancy, rolled back)")
    for name in (
        "region",
        "council",
        "mode",
        "pool",
        "rows sent",
        "ms",
        "SQL ms",
        "scoring ms",
        "proposals",
        "events",
        "+ writes ms",
    ):
        per.add_column(name, justify="left" if name in ("region", "council", "mode") else "right")
    for r in vacancies.results:
        per.add_row(
            r.region,
            r.council,
            r.work_mode,
            f"{r.scored:,}",
            f"{r.ranked:,}",
            fmt(r.total_ms),
            fmt(r.sql_ms),
            fmt(r.scoring_ms),
            str(r.proposals),
            f"{r.events:,}",
            fmt(r.writes_ms),
        )
    console.print(per)


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=100_000, help="in-pool candidates")
    parser.add_argument("--vacancies", type=int, default=2_000, help="open vacancies")
    parser.add_argument("--searches", type=int, default=200, help="searches timed")
    parser.add_argument("--scorings", type=int, default=100, help="new candidates scored")
    parser.add_argument("--rematches", type=int, default=20, help="new vacancies re-matched")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs of each before timing")
    parser.add_argument(
        "--proposals",
        choices=("service", "random", "none"),
        default="service",
        help="the proposals standing before timing: 'service' (default) has the service's own"
        " match_vacancy propose for every vacancy against the loaded pool, as if each had been posted"
        " after the pool formed; 'random' seeds --proposals-per-vacancy random pool members who can see"
        " each vacancy (a state the service never leaves: a new candidate displaces many of them);"
        " 'none' starts with no proposals",
    )
    parser.add_argument(
        "--proposals-per-vacancy",
        type=int,
        default=10,
        help="with --proposals random: random proposals per vacancy",
    )
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the slowest search")
    parser.add_argument(
        "--database-server-url",
        default=DEFAULT_DATABASE_SERVER,
        help="admin URL of the PostgreSQL server (a scratch database is created on it)",
    )
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> dict[str, float]:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    world = World(args.seed)
    scratch = Scratch(args.database_server_url)
    engine: AsyncEngine | None = None
    try:
        console.print(
            f"[dim]scratch database {scratch.database}: setting up {args.candidates:,} candidates, "
            f"{args.vacancies:,} vacancies…[/]"
        )
        setup = await set_up(scratch, world, args)
        console.print(f"[dim]set up in {setup.seconds:.1f} s[/]")
        engine = create_engine(scratch.url, SCHEMA, pool_size=2)
        clock = SqlClock(engine)
        factory = UnitOfWorkFactory(engine, SERVICE.metadata)
        async with factory() as uow:
            from sqlmodel import select

            councils = {c.gss_code: c for c in (await uow.session.exec(select(Council))).all()}
        console.print(f"[dim]{args.searches} searches…[/]")
        searches = await run_searches(factory, clock, world, councils, args.searches, args.warmup)
        console.print(f"[dim]{args.scorings} new candidates scored…[/]")
        candidates = await run_candidates(factory, clock, world, args.scorings, args.warmup)
        console.print(f"[dim]{args.rematches} new vacancies re-matched…[/]")
        vacancies = await run_vacancies(factory, clock, world, args.rematches, min(args.warmup, 1))
        plan: list[str] = []
        if args.explain and searches.slowest is not None:
            plan = await explain(scratch.url, searches.slowest[1], searches.slowest[2])
    finally:
        if engine is not None:
            await engine.dispose()
        problem = await scratch.drop()
        if problem:
            console.print(f"[red]{problem}[/]")
    report(setup, searches, candidates, vacancies, args)
    if plan and searches.slowest is not None:
        console.print(
            f"[bold]EXPLAIN ANALYZE of the slowest search[/] ({searches.slowest[0]:.1f} ms; "
            f"{searches.slowest[3]}):"
        )
        console.print(searches.slowest[1], markup=False, highlight=False)
        console.print("\n".join(plan), markup=False, highlight=False)
    return {
        "search_p95_ms": round(pct(searches.series.total_ms, 95), 2),
        "score_candidate_ms": round(pct(candidates.series.total_ms, 95), 2),
        "rematch_vacancy_ms": round(pct(vacancies.series.total_ms, 95), 1),
    }


if __name__ == "__main__":
    arguments = parse_args()
    configure_logging("bench", level="WARNING", json=False)
    figures = asyncio.run(main(arguments))
    sys.stdout.flush()
    print(json.dumps(figures))
