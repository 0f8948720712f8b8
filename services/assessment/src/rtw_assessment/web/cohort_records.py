"""What the admin pages list about cohorts: every cohort assessment knows, its versions and
whether it is closed (reads only; changes go through the use cases)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rtw_platform.uow import UnitOfWork
from sqlalchemy import func
from sqlmodel import col, select

from ..models import Candidacy, CohortClosure, CohortConfigVersion


@dataclass(frozen=True)
class CohortSummary:
    """A cohort in the admin's list."""

    cohort_id: str
    programme: str
    version: int
    capacity: int
    waitlist_size: int
    applications: int
    closed_steps: tuple[str, ...]

    @property
    def status(self) -> str:
        """Open, shortlist closed, or closed (selected)."""
        if "selection" in self.closed_steps:
            return "Closed"
        if "shortlisting" in self.closed_steps:
            return "Shortlist closed"
        return "Open"


async def cohort_summaries(uow: UnitOfWork) -> list[CohortSummary]:
    """Every cohort with a configuration, by id, with its version in force."""
    versions = (
        await uow.session.exec(
            select(CohortConfigVersion).order_by(
                col(CohortConfigVersion.cohort_id), col(CohortConfigVersion.version)
            )
        )
    ).all()
    latest: dict[str, CohortConfigVersion] = {v.cohort_id: v for v in versions}
    counts = dict(
        (
            await uow.session.exec(
                select(Candidacy.cohort_id, func.count()).group_by(col(Candidacy.cohort_id))
            )
        ).all()
    )
    closed: dict[str, list[str]] = defaultdict(list)
    for closure in (await uow.session.exec(select(CohortClosure))).all():
        closed[closure.cohort_id].append(closure.step)
    return [
        CohortSummary(
            cohort_id=cohort_id,
            programme=row.programme,
            version=row.version,
            capacity=int(row.config.get("capacity", 0)),
            waitlist_size=int(row.config.get("waitlist_size", 0)),
            applications=int(counts.get(cohort_id, 0)),
            closed_steps=tuple(sorted(closed.get(cohort_id, []))),
        )
        for cohort_id, row in sorted(latest.items())
    ]


@dataclass(frozen=True)
class VersionRow:
    """One saved version of a cohort's configuration, as the history shows it."""

    version: int
    created_by: str
    created_at: datetime
    config: dict[str, Any]


async def config_history(uow: UnitOfWork, cohort_id: str) -> list[VersionRow]:
    """Every version of a cohort's configuration, newest first."""
    rows = (
        await uow.session.exec(
            select(CohortConfigVersion)
            .where(CohortConfigVersion.cohort_id == cohort_id)
            .order_by(col(CohortConfigVersion.version).desc())
        )
    ).all()
    return [VersionRow(r.version, r.created_by, r.created_at, r.config) for r in rows]


async def closures_of(uow: UnitOfWork, cohort_id: str) -> dict[str, CohortClosure]:
    """The steps of the cohort that are closed ('shortlisting', 'selection')."""
    rows = (await uow.session.exec(select(CohortClosure).where(CohortClosure.cohort_id == cohort_id))).all()
    return {r.step: r for r in rows}
