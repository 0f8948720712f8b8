"""Assessors: registering, changing, activating and retiring them (admins), and each one's load.

Every change publishes AssessorChanged (staff identity and whether they may sign in, no address),
so that notifications, which holds staff e-mail addresses and makes sign-in links, sends a link
only to an active assessor."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import NAMESPACE_URL, uuid5

from rtw_contracts import AssessorChanged, Programme
from rtw_platform.errors import Conflict, NotFound
from rtw_platform.uow import UnitOfWork
from sqlalchemy import func
from sqlmodel import col, select

from . import domain, second_stage
from .models import Assessor, Assignment


@dataclass(frozen=True)
class AssessorRow:
    """An assessor as the admin's list shows them: with their open assignments."""

    id: str
    display_name: str
    programmes: list[str]
    active: bool
    open_assignments: int


@dataclass(frozen=True)
class Saved:
    """An assessor after a change, and how many waiting submissions still lack assessors."""

    assessor: Assessor
    assignments_still_missing: int


async def list_assessors(uow: UnitOfWork) -> list[AssessorRow]:
    """Every assessor, by id, with their load (assignments given and not yet scored)."""
    assessors = (await uow.session.exec(select(Assessor).order_by(col(Assessor.id)))).all()
    loads = dict(
        (
            await uow.session.exec(
                select(Assignment.assessor_id, func.count())
                .where(Assignment.status == domain.AssignmentStatus.PENDING.value)
                .group_by(col(Assignment.assessor_id))
            )
        ).all()
    )
    return [
        AssessorRow(a.id, a.display_name, list(a.programmes), a.active, loads.get(a.id, 0)) for a in assessors
    ]


def by_programme(rows: Sequence[AssessorRow]) -> dict[str, list[AssessorRow]]:
    """The assessors of each programme (one assessor may be under several), every programme listed."""
    return {p.value: [row for row in rows if p.value in row.programmes] for p in Programme}


async def save_assessor(
    uow: UnitOfWork,
    assessor_id: str,
    display_name: str,
    programmes: Sequence[Programme],
    active: bool = True,
    *,
    new: bool = False,
) -> Saved:
    """Add or change an assessor (`new`: refuse an id already registered). Retiring one gives
    their unstarted assignments back to be shared out; any change shares out waiting work. Changes
    to one assessor run one after the other (the same id registered twice at once: once)."""
    await uow.lock(f"assessment.assessor:{assessor_id}")
    assessor = await uow.session.get(Assessor, assessor_id, populate_existing=True)
    if assessor is not None and new:
        raise Conflict(
            f"There is already an assessor with the id {assessor_id} ({assessor.display_name}). "
            "Choose another id, or change that assessor in the list."
        )
    now = datetime.now(UTC)
    if assessor is None:
        assessor = Assessor(id=assessor_id, display_name=display_name, programmes=[], created_at=now)
    assessor.display_name = display_name
    assessor.programmes = [p.value for p in programmes]
    assessor.active = active
    uow.session.add(assessor)
    if not active:
        await _give_back_unstarted(uow, assessor_id)
    await uow.session.flush()
    missing = await second_stage.assign_waiting(uow)
    uow.publish(_changed(assessor, now))
    await uow.commit()
    return Saved(assessor, missing)


async def set_active(uow: UnitOfWork, assessor_id: str, active: bool) -> Saved:
    """Activate or retire an assessor."""
    assessor = await uow.session.get(Assessor, assessor_id)
    if assessor is None:
        raise NotFound(f"There is no assessor with the id {assessor_id}.")
    programmes = [Programme(p) for p in assessor.programmes]
    return await save_assessor(uow, assessor_id, assessor.display_name, programmes, active)


async def _give_back_unstarted(uow: UnitOfWork, assessor_id: str) -> None:
    """A retired assessor's assignments not yet scored are withdrawn (others will be given them)."""
    pending = await uow.session.exec(
        select(Assignment).where(
            Assignment.assessor_id == assessor_id,
            Assignment.status == domain.AssignmentStatus.PENDING.value,
        )
    )
    for assignment in pending.all():
        assignment.status = domain.AssignmentStatus.WITHDRAWN.value
        uow.session.add(assignment)


def _changed(assessor: Assessor, now: datetime) -> AssessorChanged:
    return AssessorChanged(
        correlation_id=uuid5(NAMESPACE_URL, f"rtw:assessor:{assessor.id}"),
        assessor_id=assessor.id,
        display_name=assessor.display_name,
        programmes=[Programme(p) for p in assessor.programmes],
        active=assessor.active,
        changed_at=now,
    )
