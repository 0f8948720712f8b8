"""Scheduled reminders: the second-stage deadline in 48 hours, training past its expected end.
Each is recorded before it is owed, so it is never sent twice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from rtw_platform.logging import get_logger
from rtw_platform.service import ServiceRuntime
from rtw_platform.uow import UnitOfWork
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col, select

from .models import ApplicationNote, Person, ReminderLog
from .notices import Notices
from .rendering import long_date
from .settings import NotificationsSettings

log = get_logger(__name__)
REMINDER_NAMESPACE = uuid.UUID("5b3f3c1e-8d0a-4c55-9a4e-2f7f1d2c9e10")


async def _once(uow: UnitOfWork, kind: str, subject_id: uuid.UUID) -> bool:
    """Record a reminder; False if it was already recorded."""
    result = await uow.session.execute(
        insert(ReminderLog)
        .values(kind=kind, subject_id=subject_id, created_at=datetime.now(UTC))
        .on_conflict_do_nothing(index_elements=["kind", "subject_id"])
        .returning(ReminderLog.__table__.c.subject_id)  # type: ignore[attr-defined]
    )
    return result.first() is not None


async def send_due_reminders(uow: UnitOfWork, notices: Notices, now: datetime | None = None) -> int:
    """Owe every reminder that is due now; commits. Returns how many."""
    now = now or datetime.now(UTC)
    owed = 0
    soon = (now + timedelta(hours=48)).date()
    due_second_stage = (
        await uow.session.exec(
            select(ApplicationNote).where(
                col(ApplicationNote.second_stage_deadline).is_not(None),
                col(ApplicationNote.second_stage_deadline) <= soon,
                col(ApplicationNote.second_stage_deadline) >= now.date(),
                col(ApplicationNote.second_stage_submitted).is_(False),
                col(ApplicationNote.withdrawn).is_(False),
            )
        )
    ).all()
    for note in due_second_stage:
        if await _once(uow, "second_stage_deadline", note.id):
            person = await uow.session.get(Person, note.candidate_id)
            event_id = uuid.uuid5(REMINDER_NAMESPACE, f"second_stage_deadline:{note.id}")
            assert note.second_stage_deadline is not None
            await notices.owe(
                uow,
                event_id,
                person,
                "second_stage_reminder",
                {
                    "reference": note.reference,
                    "application_id": str(note.id),
                    "deadline": long_date(note.second_stage_deadline, person.language if person else "en"),
                },
            )
            owed += 1
    overdue = (
        await uow.session.exec(
            select(ApplicationNote).where(
                col(ApplicationNote.training_expected_end).is_not(None),
                col(ApplicationNote.training_expected_end) < now.date(),
                col(ApplicationNote.training_completed).is_(False),
                col(ApplicationNote.withdrawn).is_(False),
            )
        )
    ).all()
    for note in overdue:
        if await _once(uow, "training_overdue", note.id):
            person = await uow.session.get(Person, note.candidate_id)
            event_id = uuid.uuid5(REMINDER_NAMESPACE, f"training_overdue:{note.id}")
            assert note.training_expected_end is not None
            await notices.owe(
                uow,
                event_id,
                person,
                "training_overdue",
                {"expected_end": long_date(note.training_expected_end, person.language if person else "en")},
            )
            owed += 1
    await uow.commit()
    return owed


async def run_reminders(runtime: ServiceRuntime) -> None:
    """Background loop: look for due reminders every few minutes."""
    settings = runtime.settings
    assert isinstance(settings, NotificationsSettings)
    notices = Notices(settings)
    while True:
        try:
            async with runtime.uow_factory() as uow:
                await send_due_reminders(uow, notices)
        except Exception as exc:
            log.warning("reminders_waiting", error=repr(exc))
        await asyncio.sleep(settings.reminder_interval_s)
