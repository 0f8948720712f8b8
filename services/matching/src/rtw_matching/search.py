"""Councils search the talent pool: only candidates who allow them, only pseudonymous profiles."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from rtw_contracts import FlexibleWorking, IctSpecialism, Programme, SkillClaim
from rtw_platform import reference
from rtw_platform.errors import Invalid, NotFound
from rtw_platform.uow import UnitOfWork
from sqlalchemy import text
from sqlmodel import col, select

from . import domain, store
from .models import CandidateProfile, Council, SavedSearch, SearchAlert, Vacancy
from .profiles import candidate_of, vacancy_of
from .store import weights_in_force

KM_PER_DEGREE_LAT = 111.32
#: Skills one search may require (a vacancy requires at most 30 too).
MAX_SKILLS = 30


class SearchFilters(BaseModel):
    """What a council can filter the pool by."""

    model_config = ConfigDict(extra="forbid")

    programme: Programme = Programme.ICT
    specialisms: list[IctSpecialism] = Field(
        default_factory=list, max_length=len(IctSpecialism), description="Any of these."
    )
    skills: list[SkillClaim] = Field(
        default_factory=list,
        max_length=MAX_SKILLS,
        description=f"All of these, at least at the level (at most {MAX_SKILLS}).",
    )
    min_years_experience: float | None = Field(default=None, ge=0)
    near: str | None = Field(
        default=None, max_length=8, description="A postcode district (default: the council)."
    )
    radius_km: float | None = Field(default=None, gt=0, le=1000)
    region: str | None = Field(default=None, max_length=40)
    flexible_working: list[FlexibleWorking] = Field(
        default_factory=list, max_length=len(FlexibleWorking), description="Candidates wanting all of these."
    )
    training_status: list[Literal["none", "enrolled", "completed"]] = Field(
        default_factory=list, max_length=3
    )
    available_by: date | None = None
    vacancy_id: UUID | None = Field(default=None, description="Score against this vacancy.")
    sort: Literal["score", "distance"] = "distance"
    page: int = Field(default=1, ge=1, le=100_000)
    page_size: int = Field(default=20, ge=1, le=100)


def profile_view(
    profile: CandidateProfile, distance: float | None, match: domain.Match | None
) -> dict[str, Any]:
    """A pseudonymous profile: no name, no contact details."""
    return {
        "candidate_ref": str(profile.application_id),
        "programme": profile.programme,
        "region": profile.region,
        "postcode_district": profile.postcode_district,
        "distance_km": None if distance is None else round(distance, 1),
        "specialisms": profile.specialisms,
        "skills": [{"skill": k, "level": v} for k, v in sorted(profile.skills.items())],
        "years_experience": profile.years_experience,
        "flexible_working": profile.flexible_working,
        "training_status": profile.training_status,
        "modules_completed": profile.modules_completed,
        "earliest_start": profile.earliest_start.isoformat() if profile.earliest_start else None,
        "score": None if match is None else match.score,
        "factors": None if match is None else [f.model_dump(mode="json") for f in match.factors],
    }


async def search(uow: UnitOfWork, council: Council, filters: SearchFilters) -> dict[str, Any]:  # noqa: C901 (issue 21)
    """The pool as this council may see it, filtered, sorted and paged."""
    if filters.near:
        district = reference.postcode_district(filters.near)
        if district is None:
            raise Invalid([("near", "is not a UK postcode district (e.g. WS1)")])
        centre = domain.Place(district.latitude, district.longitude)
    else:
        known = reference.councils()[council.gss_code]
        centre = domain.Place(known.latitude, known.longitude)
    vacancy: Vacancy | None = None
    if filters.vacancy_id is not None:
        vacancy = await uow.session.get(Vacancy, filters.vacancy_id)
        if vacancy is None or vacancy.council_id != council.id:
            raise NotFound("Your council has no vacancy with that id.")
    if filters.sort == "score" and vacancy is None:
        raise Invalid([("sort", "sorting by score needs a vacancy_id to score against")])

    statement = select(CandidateProfile).where(
        CandidateProfile.programme == filters.programme.value,
        col(CandidateProfile.in_pool).is_(True),
        col(CandidateProfile.withdrawn).is_(False),
        text(
            "(visible_regions @> CAST(ARRAY[:council_region] AS varchar[])"
            " OR visible_councils @> CAST(ARRAY[:council_gss] AS varchar[]))"
        ).bindparams(council_region=council.region, council_gss=council.gss_code),
    )
    if filters.radius_km is not None:
        d_lat = filters.radius_km / KM_PER_DEGREE_LAT
        d_lon = filters.radius_km / (KM_PER_DEGREE_LAT * max(0.01, math.cos(math.radians(centre.latitude))))
        statement = statement.where(
            col(CandidateProfile.latitude).between(centre.latitude - d_lat, centre.latitude + d_lat),
            col(CandidateProfile.longitude).between(centre.longitude - d_lon, centre.longitude + d_lon),
        )
    if filters.specialisms:
        statement = statement.where(
            CandidateProfile.__table__.c.specialisms.overlap([s.value for s in filters.specialisms])  # type: ignore[attr-defined]
        )
    if filters.flexible_working:
        statement = statement.where(
            col(CandidateProfile.flexible_working).contains([f.value for f in filters.flexible_working])
        )
    if filters.region:
        statement = statement.where(CandidateProfile.region == filters.region)
    if filters.training_status:
        statement = statement.where(col(CandidateProfile.training_status).in_(filters.training_status))
    if filters.min_years_experience is not None:
        statement = statement.where(CandidateProfile.years_experience >= filters.min_years_experience)
    if filters.available_by is not None:
        statement = statement.where(
            col(CandidateProfile.earliest_start).is_(None)
            | (col(CandidateProfile.earliest_start) <= filters.available_by)
        )
    for index, claim in enumerate(filters.skills):
        statement = statement.where(
            text(f"coalesce((skills ->> :skill_{index})::int, 0) >= :level_{index}").bindparams(
                **{f"skill_{index}": claim.skill, f"level_{index}": int(claim.level)}
            )
        )
    rows = (await uow.session.exec(statement)).all()
    weights = (await weights_in_force(uow)).weights if vacancy else None
    target = vacancy_of(vacancy) if vacancy else None
    found: list[tuple[CandidateProfile, float, domain.Match | None]] = []
    for profile in rows:
        km = domain.distance_km(centre, domain.Place(profile.latitude, profile.longitude))
        if filters.radius_km is not None and km > filters.radius_km:
            continue
        match = domain.score(candidate_of(profile), target, weights) if target and weights else None
        found.append((profile, km, match))
    if filters.sort == "score":
        found.sort(key=lambda item: (-(item[2].score if item[2] else 0), item[1]))
    else:
        found.sort(key=lambda item: (item[1], str(item[0].application_id)))
    start = (filters.page - 1) * filters.page_size
    page = found[start : start + filters.page_size]
    return {
        "total": len(found),
        "page": filters.page,
        "page_size": filters.page_size,
        "results": [profile_view(p, km, m) for p, km, m in page],
    }


async def save_search(
    uow: UnitOfWork, council: Council, name: str, filters: SearchFilters, by: str
) -> SavedSearch:
    """Save a search; new candidates matching it raise alerts."""
    await check_room_for_another(uow, council)
    saved = SavedSearch(
        council_id=council.id,
        name=name,
        filters=filters.model_dump(mode="json", exclude={"page", "page_size", "sort"}),
        created_by=by,
        created_at=datetime.now(UTC),
    )
    uow.session.add(saved)
    await uow.session.flush()
    # Those who match today are the baseline: alerts are for candidates who match later.
    await refresh_alerts(uow, council, only=saved, mark_seen=True)
    return saved


async def refresh_alerts(
    uow: UnitOfWork, council: Council, *, only: SavedSearch | None = None, mark_seen: bool = False
) -> int:
    """Raise an alert for every candidate now matching a saved search who had none before."""
    created = 0
    searches = [only] if only else await store.saved_searches_alerting(uow, council.id)
    for saved in searches:
        filters = SearchFilters.model_validate({**saved.filters, "page_size": 100})
        seen = await store.alerted_applications(uow, saved.id)
        page = 1
        while True:
            result = await search(uow, council, filters.model_copy(update={"page": page}))
            for item in result["results"]:
                application_id = UUID(item["candidate_ref"])
                if application_id not in seen:
                    uow.session.add(
                        SearchAlert(
                            saved_search_id=saved.id,
                            council_id=council.id,
                            application_id=application_id,
                            created_at=datetime.now(UTC),
                            seen_at=datetime.now(UTC) if mark_seen else None,
                        )
                    )
                    seen.add(application_id)
                    created += 1
            if page * filters.page_size >= result["total"]:
                break
            page += 1
    await uow.commit()
    return created


#: The most searches one council may save (each is run again for every alerts check).
MAX_SAVED_SEARCHES = 50


async def saved_searches_of(uow: UnitOfWork, council: Council) -> list[SavedSearch]:
    """The council's saved searches, newest first."""
    return await store.saved_searches_of(uow, council.id)


async def saved_search_for(uow: UnitOfWork, council: Council, saved_search_id: UUID) -> SavedSearch:
    """One of the council's saved searches (another council's is as unknown as a missing one)."""
    saved = await uow.session.get(SavedSearch, saved_search_id)
    if saved is None or saved.council_id != council.id:
        raise NotFound("Your council has no saved search with that id.")
    return saved


async def check_room_for_another(uow: UnitOfWork, council: Council) -> None:
    """Refuse a search beyond the council's limit."""
    if len(await saved_searches_of(uow, council)) >= MAX_SAVED_SEARCHES:
        raise Invalid(
            [("name", f"Your council has {MAX_SAVED_SEARCHES} saved searches: delete one first")],
            "Your council has as many saved searches as it may keep.",
        )


async def unseen_alerts(uow: UnitOfWork, council: Council) -> dict[UUID, list[SearchAlert]]:
    """The council's alerts nobody has seen yet, by saved search, oldest first."""
    found: dict[UUID, list[SearchAlert]] = {}
    for alert in await store.unseen_alerts_of(uow, council.id):
        found.setdefault(alert.saved_search_id, []).append(alert)
    return found


async def mark_seen(uow: UnitOfWork, saved: SavedSearch) -> int:
    """Mark a saved search's alerts seen; how many were new."""
    alerts = await store.alerts_of_search(uow, saved.id, unseen_only=True)
    now = datetime.now(UTC)
    for alert in alerts:
        alert.seen_at = now
        uow.session.add(alert)
    await uow.commit()
    return len(alerts)


async def set_alerts(uow: UnitOfWork, council: Council, saved: SavedSearch, on: bool) -> None:
    """Turn a saved search's alerts on or off. Turned on again, those who match now are the new
    baseline: alerts are for candidates who match from then on."""
    if saved.alerts_on == on:
        return
    saved.alerts_on = on
    uow.session.add(saved)
    await uow.session.flush()
    if on:
        await refresh_alerts(uow, council, only=saved, mark_seen=True)
    else:
        await uow.commit()


async def delete_saved_search(uow: UnitOfWork, saved: SavedSearch) -> None:
    """Delete a saved search and its alerts."""
    alerts = await store.alerts_of_search(uow, saved.id, unseen_only=False)
    for alert in alerts:
        await uow.session.delete(alert)
    await uow.session.delete(saved)
    await uow.commit()
