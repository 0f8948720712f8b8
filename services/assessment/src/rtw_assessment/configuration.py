"""Cohort configuration as versioned data: read the version in force, save a new one."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from rtw_contracts import Programme
from rtw_platform.errors import Conflict
from rtw_platform.uow import UnitOfWork
from sqlmodel import select

from .domain import CohortConfig, default_config
from .models import CohortConfigVersion


@dataclass(frozen=True)
class ConfigInForce:
    """A cohort's configuration and its version number."""

    cohort_id: str
    version: int
    config: CohortConfig


@dataclass
class _Seen:
    """What one session (a unit of work, or a consumer's batch) has read and written of cohorts'
    configurations: versions read that another transaction committed are kept and used again;
    a cohort whose configuration this session wrote is always read afresh (its write could still
    be rolled back, and a batch that fails runs again in the same session)."""

    read: dict[str, ConfigInForce] = field(default_factory=dict)
    written: set[str] = field(default_factory=set)


def _seen(uow: UnitOfWork) -> _Seen:
    seen = uow.session.info.get(_Seen)
    if seen is None:
        seen = uow.session.info[_Seen] = _Seen()
    assert isinstance(seen, _Seen)
    return seen


async def config_in_force(
    uow: UnitOfWork, cohort_id: str, programme: Programme | None = None
) -> ConfigInForce | None:
    """The latest version; with a programme, version 1 from the programme's defaults if none.

    A version read from the database is kept for the rest of the session (see `_Seen`): a
    consumer's batch screens many applications of one cohort, and each would otherwise read and
    validate the same configuration again. Versions are only ever added, each committed on its
    own, so what another transaction committed stays true (the session may miss a version saved
    while it runs, as it would between a first and a second read)."""
    seen = _seen(uow)
    if (kept := seen.read.get(cohort_id)) is not None:
        return kept
    statement = (
        select(CohortConfigVersion)
        .where(CohortConfigVersion.cohort_id == cohort_id)
        .order_by(CohortConfigVersion.version.desc())  # type: ignore[attr-defined]
        .limit(1)
    )
    latest = (await uow.session.exec(statement)).first()
    if latest is not None:
        found = ConfigInForce(cohort_id, latest.version, CohortConfig.model_validate(latest.config))
        if cohort_id not in seen.written:
            seen.read[cohort_id] = found
        return found
    if programme is None:
        return None
    config = default_config(programme)
    seen.written.add(cohort_id)
    uow.session.add(
        CohortConfigVersion(
            cohort_id=cohort_id,
            version=1,
            programme=programme.value,
            config=config.model_dump(mode="json"),
            created_by="defaults",
            created_at=datetime.now(UTC),
        )
    )
    await uow.session.flush()
    return ConfigInForce(cohort_id, 1, config)


async def save_config(uow: UnitOfWork, cohort_id: str, config: CohortConfig, admin: str) -> ConfigInForce:
    """Save a new version (earlier decisions keep naming the version they used)."""
    current = await config_in_force(uow, cohort_id)
    if current is not None and current.config.programme is not config.programme:
        raise Conflict(
            f"Cohort {cohort_id} belongs to the {current.config.programme.value} programme; "
            "its programme cannot change."
        )
    version = 1 if current is None else current.version + 1
    seen = _seen(uow)
    seen.read.pop(cohort_id, None)
    seen.written.add(cohort_id)
    uow.session.add(
        CohortConfigVersion(
            cohort_id=cohort_id,
            version=version,
            programme=config.programme.value,
            config=config.model_dump(mode="json"),
            created_by=admin,
            created_at=datetime.now(UTC),
        )
    )
    await uow.commit()
    return ConfigInForce(cohort_id, version, config)
