"""A tiny service for testing the platform's messaging: it records one row per event it handles,
and can be told to fail for chosen events. Its tables are made with `create_tables` (it has no
migrations: it is never deployed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from uuid import UUID

from rtw_contracts import ApplicationWithdrawn, Event
from sqlalchemy import Column, DateTime, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import Field, SQLModel

from ..consumer_failures import NotYetKnown
from ..db import service_registry
from ..messaging import Subscription
from ..service import ServiceDefinition
from ..uow import UnitOfWork

PROBE_SCHEMA = "rtw_probe"
REGISTRY = service_registry(PROBE_SCHEMA)
PROBE_EVENT: type[Event] = ApplicationWithdrawn


class ProbeTable(SQLModel, registry=REGISTRY):
    """Base of the probe's tables."""


class Effect(ProbeTable, table=True):
    """One row per successful handling: duplicates would show as two rows."""

    __tablename__ = "effects"

    id: int | None = Field(default=None, primary_key=True)
    event_id: UUID = Field(index=True)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


@dataclass
class Behaviour:
    """How the probe's handler misbehaves, per event id."""

    fail_times: dict[UUID, int] = field(default_factory=dict)
    always_fail: set[UUID] = field(default_factory=set)
    unknown_times: dict[UUID, int] = field(default_factory=dict)
    """Raise NotYetKnown this many times (as if an earlier event had not arrived yet)."""
    attempts: dict[UUID, int] = field(default_factory=dict)


class ProbeFailure(RuntimeError):
    """The probe was told to fail."""


def probe_definition(behaviour: Behaviour | None = None) -> ServiceDefinition:
    """A definition of the probe service with the given behaviour."""
    behaviour = behaviour or Behaviour()

    async def record_effect(event: Event, uow: UnitOfWork) -> None:
        """Record that the event was handled (or fail as told)."""
        behaviour.attempts[event.event_id] = behaviour.attempts.get(event.event_id, 0) + 1
        if event.event_id in behaviour.always_fail:
            raise ProbeFailure("the probe always fails for this event")
        waiting = behaviour.unknown_times.get(event.event_id, 0)
        if waiting > 0:
            behaviour.unknown_times[event.event_id] = waiting - 1
            raise NotYetKnown(f"not known yet ({waiting} left)")
        remaining = behaviour.fail_times.get(event.event_id, 0)
        if remaining > 0:
            behaviour.fail_times[event.event_id] = remaining - 1
            raise ProbeFailure(f"transient failure ({remaining} left)")
        uow.session.add(Effect(event_id=event.event_id, created_at=datetime.now(UTC)))

    return ServiceDefinition(
        name="probe",
        title="Probe",
        description="Records one row per event; fails when told (tests only).",
        registry=REGISTRY,
        package_file=__file__,
        subscriptions=(Subscription(PROBE_EVENT, record_effect, "record_effect"),),
    )


async def create_tables(engine: AsyncEngine) -> None:
    """Create the probe's schema and tables (idempotent)."""
    async with engine.begin() as conn:
        await conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{PROBE_SCHEMA}"')
        await conn.run_sync(REGISTRY.metadata.create_all)


async def effect_count(engine: AsyncEngine, event_id: UUID) -> int:
    """How many times the event had an effect."""
    async with engine.connect() as conn:
        result = await conn.execute(
            select(func.count()).select_from(Effect.__table__).where(Effect.event_id == event_id)  # type: ignore[attr-defined,arg-type]
        )
        return int(result.scalar_one())
