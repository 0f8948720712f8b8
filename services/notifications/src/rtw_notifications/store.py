"""The notifications service's store: the only module of the service's use cases that builds
queries. `NotificationsStore` is what the use cases need; `SqlNotificationsStore` does it over a
unit of work's session, `memory_store.InMemoryNotificationsStore` in memory for their unit tests.

The dispatcher's statements (claim due deliveries, record outcomes) run over a connection of its
own, in the claim's transaction: `claim_due`, `mark_sent`, `mark_failed`, `schedule_retry`."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from rtw_platform.uow import UnitOfWork
from rtw_platform.work import StoreWork
from sqlalchemy import Row, delete, func, or_, text, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from .domain import RESENDABLE
from .models import (
    ApplicationNote,
    Council,
    Delivery,
    InterviewNote,
    Person,
    ReminderLog,
    StaffAddress,
    StaffRecord,
    Vacancy,
)


@dataclass(frozen=True)
class ResendFilter:
    """Which failed deliveries to send again (every one when nothing is set)."""

    template: str | None = None
    since: datetime | None = None
    recipient_id: UUID | None = None
    delivery_ids: tuple[UUID, ...] = ()

    def matches(self, delivery: Delivery) -> bool:
        """The same choice as `where()`, for rows held in memory."""
        return (
            delivery.status in RESENDABLE
            and delivery.to_address is not None
            and (self.template is None or delivery.template == self.template)
            and (self.since is None or delivery.created_at >= self.since)
            and (self.recipient_id is None or delivery.recipient_id == self.recipient_id)
            and (not self.delivery_ids or delivery.id in self.delivery_ids)
        )

    def where(self) -> list[Any]:
        clauses: list[Any] = [col(Delivery.status).in_(RESENDABLE), col(Delivery.to_address).is_not(None)]
        if self.template is not None:
            clauses.append(col(Delivery.template) == self.template)
        if self.since is not None:
            clauses.append(col(Delivery.created_at) >= self.since)
        if self.recipient_id is not None:
            clauses.append(col(Delivery.recipient_id) == self.recipient_id)
        if self.delivery_ids:
            clauses.append(col(Delivery.id).in_(self.delivery_ids))
        return clauses


@dataclass(frozen=True)
class DeliveryLogQuery:
    """A page of the delivery log, filtered by person, event or status."""

    recipient_id: UUID | None = None
    event_id: UUID | None = None
    status: str | None = None
    page: int = 1
    page_size: int = 50


class NotificationsStore(Protocol):
    """What the use cases read and write."""

    # the contact directory
    async def person(self, person_id: UUID) -> Person | None: ...
    async def save_person(self, person: Person) -> None: ...
    async def people_of_council(self, council_id: UUID) -> list[Person]: ...

    # what messages are worded with
    async def note(self, application_id: UUID) -> ApplicationNote | None: ...
    async def add_note_if_absent(self, note: ApplicationNote) -> None: ...
    async def save_note(self, note: ApplicationNote) -> None: ...
    async def notes_of(
        self, candidate_id: UUID, application_ids: Sequence[UUID]
    ) -> list[ApplicationNote]: ...
    async def council(self, council_id: UUID) -> Council | None: ...
    async def add_council_if_absent(self, council: Council) -> None: ...
    async def vacancy(self, vacancy_id: UUID) -> Vacancy | None: ...
    async def add_vacancy_if_absent(self, vacancy: Vacancy) -> None: ...

    # deliveries
    async def add_delivery_if_absent(self, delivery: Delivery) -> None: ...
    async def delete_deliveries_to(self, recipient_id: UUID) -> None: ...
    async def delivery_log(self, query: DeliveryLogQuery) -> tuple[int, list[Delivery]]: ...
    async def failed_deliveries(self, which: ResendFilter, limit: int) -> list[Delivery]: ...
    async def count_resendable(self, which: ResendFilter) -> int: ...
    async def mark_for_resending(self, which: ResendFilter, now: datetime) -> int: ...
    async def delivery_for_receipt(self, notify_id: str, reference: str | None) -> Delivery | None: ...
    async def save_delivery(self, delivery: Delivery) -> None: ...

    # reminders
    async def record_reminder(self, kind: str, subject_id: UUID, at: datetime) -> bool: ...
    async def delete_reminders_about(self, subject_ids: Sequence[UUID]) -> None: ...
    async def second_stage_due(self, first_day: date, last_day: date) -> list[ApplicationNote]: ...
    async def training_overdue(self, before: date) -> list[ApplicationNote]: ...
    async def save_interview_note(self, note: InterviewNote) -> None: ...
    async def interviews_starting(self, start: datetime, end: datetime) -> list[InterviewNote]: ...
    async def delete_interview_notes_of(self, candidate_id: UUID) -> None: ...

    # the staff directory
    async def staff_record(self, kind: str, id_: str) -> StaffRecord | None: ...
    async def save_staff_record(self, record: StaffRecord) -> None: ...
    async def staff_addresses(self) -> list[StaffAddress]: ...
    async def staff_address(self, address_id: UUID) -> StaffAddress | None: ...
    async def staff_address_of(self, email: str) -> StaffAddress | None: ...
    async def staff_address_for(self, role: str, staff_id: str | None) -> StaffAddress | None: ...
    async def save_staff_address(self, entry: StaffAddress) -> None: ...
    async def delete_staff_address(self, entry: StaffAddress) -> None: ...
    async def add_delivery(self, delivery: Delivery) -> None: ...


def reference_id(reference: str | None) -> UUID | None:
    """The delivery id we gave Notify as the reference (None: none, or not one of ours)."""
    if reference:
        with contextlib.suppress(ValueError):
            return UUID(reference)
    return None


class SqlNotificationsStore:
    """The store over a session (PostgreSQL)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # ------------------------------------------------------------------ the contact directory

    async def person(self, person_id: UUID) -> Person | None:
        return await self.session.get(Person, person_id)

    async def save_person(self, person: Person) -> None:
        self.session.add(person)
        await self.session.flush()

    async def people_of_council(self, council_id: UUID) -> list[Person]:
        """The council's contact and recruiters, by id."""
        rows = await self.session.exec(
            select(Person).where(Person.council_id == council_id).order_by(col(Person.id))
        )
        return list(rows.all())

    # ------------------------------------------------------------------ what messages are worded with

    async def note(self, application_id: UUID) -> ApplicationNote | None:
        return await self.session.get(ApplicationNote, application_id)

    async def add_note_if_absent(self, note: ApplicationNote) -> None:
        await self.session.execute(
            insert(ApplicationNote)
            .values(
                id=note.id, candidate_id=note.candidate_id, reference=note.reference, programme=note.programme
            )
            .on_conflict_do_nothing(index_elements=["id"])
        )

    async def save_note(self, note: ApplicationNote) -> None:
        self.session.add(note)

    async def notes_of(self, candidate_id: UUID, application_ids: Sequence[UUID]) -> list[ApplicationNote]:
        """The person's applications, and those named (known to be theirs)."""
        rows = await self.session.exec(
            select(ApplicationNote).where(
                or_(
                    col(ApplicationNote.candidate_id) == candidate_id,
                    col(ApplicationNote.id).in_(application_ids),
                )
            )
        )
        return list(rows.all())

    async def council(self, council_id: UUID) -> Council | None:
        return await self.session.get(Council, council_id)

    async def add_council_if_absent(self, council: Council) -> None:
        await self.session.execute(
            insert(Council)
            .values(id=council.id, name=council.name)
            .on_conflict_do_nothing(index_elements=["id"])
        )

    async def vacancy(self, vacancy_id: UUID) -> Vacancy | None:
        return await self.session.get(Vacancy, vacancy_id)

    async def add_vacancy_if_absent(self, vacancy: Vacancy) -> None:
        await self.session.execute(
            insert(Vacancy)
            .values(id=vacancy.id, council_id=vacancy.council_id, title=vacancy.title)
            .on_conflict_do_nothing(index_elements=["id"])
        )

    # ------------------------------------------------------------------ deliveries

    async def add_delivery_if_absent(self, delivery: Delivery) -> None:
        """At most one per (event, recipient, template): a redelivered event owes nothing more."""
        await self.session.execute(
            insert(Delivery)
            .values(**delivery.model_dump())
            .on_conflict_do_nothing(index_elements=["event_id", "recipient_id", "template"])
        )

    async def delete_deliveries_to(self, recipient_id: UUID) -> None:
        await self.session.execute(delete(Delivery).where(col(Delivery.recipient_id) == recipient_id))

    async def delivery_log(self, query: DeliveryLogQuery) -> tuple[int, list[Delivery]]:
        """How many match, and the page asked for (newest first)."""
        statement: Any = select(Delivery)
        counting: Any = select(func.count()).select_from(Delivery)
        for column, value in (
            (Delivery.recipient_id, query.recipient_id),
            (Delivery.event_id, query.event_id),
            (Delivery.status, query.status),
        ):
            if value is not None:
                statement = statement.where(column == value)
                counting = counting.where(column == value)
        total = (await self.session.exec(counting)).one()
        rows = (
            await self.session.exec(
                statement.order_by(col(Delivery.created_at).desc())
                .offset((query.page - 1) * query.page_size)
                .limit(query.page_size)
            )
        ).all()
        return int(total), list(rows)

    async def failed_deliveries(self, which: ResendFilter, limit: int) -> list[Delivery]:
        statement = (
            select(Delivery).where(*which.where()).order_by(col(Delivery.created_at).desc()).limit(limit)
        )
        return list((await self.session.exec(statement)).all())

    async def count_resendable(self, which: ResendFilter) -> int:
        counted = await self.session.exec(select(func.count()).select_from(Delivery).where(*which.where()))
        return int(counted.one())

    async def mark_for_resending(self, which: ResendFilter, now: datetime) -> int:
        """Back in the dispatcher's queue, due now, tries counted from zero; how many."""
        result = await self.session.execute(
            update(Delivery).where(*which.where()).values(status="pending", attempts=0, next_attempt_at=now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def delivery_for_receipt(self, notify_id: str, reference: str | None) -> Delivery | None:
        """The delivery Notify's receipt is about: by Notify's id, or by the reference we gave."""
        matches: list[Any] = [col(Delivery.provider_reference) == notify_id]
        delivery_id = reference_id(reference)
        if delivery_id is not None:
            matches.append(col(Delivery.id) == delivery_id)
        return (await self.session.exec(select(Delivery).where(or_(*matches)))).first()

    async def save_delivery(self, delivery: Delivery) -> None:
        self.session.add(delivery)

    # ------------------------------------------------------------------ reminders

    async def record_reminder(self, kind: str, subject_id: UUID, at: datetime) -> bool:
        """Record a reminder; False if it was already recorded."""
        result = await self.session.execute(
            insert(ReminderLog)
            .values(kind=kind, subject_id=subject_id, created_at=at)
            .on_conflict_do_nothing(index_elements=["kind", "subject_id"])
            .returning(ReminderLog.__table__.c.subject_id)  # type: ignore[attr-defined]
        )
        return result.first() is not None

    async def delete_reminders_about(self, subject_ids: Sequence[UUID]) -> None:
        await self.session.execute(delete(ReminderLog).where(col(ReminderLog.subject_id).in_(subject_ids)))

    async def second_stage_due(self, first_day: date, last_day: date) -> list[ApplicationNote]:
        """Open applications whose second stage is due between the two days and not yet sent."""
        rows = await self.session.exec(
            select(ApplicationNote).where(
                col(ApplicationNote.second_stage_deadline).is_not(None),
                col(ApplicationNote.second_stage_deadline) <= last_day,
                col(ApplicationNote.second_stage_deadline) >= first_day,
                col(ApplicationNote.second_stage_submitted).is_(False),
                col(ApplicationNote.withdrawn).is_(False),
            )
        )
        return list(rows.all())

    async def training_overdue(self, before: date) -> list[ApplicationNote]:
        """Open applications whose training was expected to end before the day, not completed."""
        rows = await self.session.exec(
            select(ApplicationNote).where(
                col(ApplicationNote.training_expected_end).is_not(None),
                col(ApplicationNote.training_expected_end) < before,
                col(ApplicationNote.training_completed).is_(False),
                col(ApplicationNote.withdrawn).is_(False),
            )
        )
        return list(rows.all())

    async def save_interview_note(self, note: InterviewNote) -> None:
        """Keep the match's interview (replacing the one noted before)."""
        await self.session.merge(note)

    async def interviews_starting(self, start: datetime, end: datetime) -> list[InterviewNote]:
        """Interviews starting from `start` (inclusive) to `end` (exclusive)."""
        rows = await self.session.exec(
            select(InterviewNote).where(
                col(InterviewNote.starts_at) >= start, col(InterviewNote.starts_at) < end
            )
        )
        return list(rows.all())

    async def delete_interview_notes_of(self, candidate_id: UUID) -> None:
        await self.session.execute(
            delete(InterviewNote).where(col(InterviewNote.candidate_id) == candidate_id)
        )

    # ------------------------------------------------------------------ the staff directory

    async def staff_record(self, kind: str, id_: str) -> StaffRecord | None:
        return await self.session.get(StaffRecord, (kind, id_))

    async def save_staff_record(self, record: StaffRecord) -> None:
        self.session.add(record)

    async def staff_addresses(self) -> list[StaffAddress]:
        """Every address, by role then name."""
        rows = await self.session.exec(
            select(StaffAddress).order_by(col(StaffAddress.role), col(StaffAddress.name))
        )
        return list(rows.all())

    async def staff_address(self, address_id: UUID) -> StaffAddress | None:
        return await self.session.get(StaffAddress, address_id)

    async def staff_address_of(self, email: str) -> StaffAddress | None:
        """The entry for an address (as stored: trimmed, lower case)."""
        return (await self.session.exec(select(StaffAddress).where(StaffAddress.email == email))).first()

    async def staff_address_for(self, role: str, staff_id: str | None) -> StaffAddress | None:
        statement = select(StaffAddress).where(StaffAddress.role == role, StaffAddress.staff_id == staff_id)
        return (await self.session.exec(statement)).first()

    async def save_staff_address(self, entry: StaffAddress) -> None:
        self.session.add(entry)
        await self.session.flush()

    async def delete_staff_address(self, entry: StaffAddress) -> None:
        await self.session.delete(entry)

    async def add_delivery(self, delivery: Delivery) -> None:
        """A delivery of its own (a staff link: no event owes it twice)."""
        self.session.add(delivery)


NotificationsWork = StoreWork[SqlNotificationsStore]


# ---------------------------------------------------------------------- the dispatcher's statements

CLAIM = text(
    "SELECT id, template, to_address, subject, body_text, body_html, attempts, traceparent, calendar"
    " FROM notifications.deliveries"
    " WHERE status = 'pending' AND next_attempt_at <= now() ORDER BY created_at"
    " LIMIT :limit FOR UPDATE SKIP LOCKED"
)
SENT = text(
    "UPDATE notifications.deliveries AS d SET status = 'sent', sent_at = now(),"
    " attempts = d.attempts + 1, provider_reference = s.reference, last_error = NULL"
    " FROM unnest(CAST(:ids AS uuid[]), CAST(:references AS text[])) AS s(id, reference)"
    " WHERE d.id = s.id"
)
RETRY = text(
    "UPDATE notifications.deliveries SET attempts = attempts + 1, last_error = :error,"
    " next_attempt_at = :next WHERE id = :id"
)
FAILED = text(
    "UPDATE notifications.deliveries SET status = 'failed', attempts = attempts + 1,"
    " last_error = :error WHERE id = :id"
)


async def claim_due(conn: AsyncConnection, limit: int) -> list[Row[Any]]:
    """Pending deliveries due now, oldest first, locked for this transaction (others skip them)."""
    return list((await conn.execute(CLAIM, {"limit": limit})).all())


async def mark_sent(conn: AsyncConnection, sent: Sequence[tuple[UUID, str]]) -> None:
    """Deliveries the server took, each with its reference there (one statement)."""
    await conn.execute(SENT, {"ids": [id_ for id_, _ in sent], "references": [ref for _, ref in sent]})


async def mark_failed(conn: AsyncConnection, delivery_id: UUID, error: str) -> None:
    await conn.execute(FAILED, {"id": delivery_id, "error": error})


async def schedule_retry(
    conn: AsyncConnection, delivery_id: UUID, error: str, next_attempt: datetime
) -> None:
    await conn.execute(RETRY, {"id": delivery_id, "error": error, "next": next_attempt})


def work_of(uow: UnitOfWork) -> NotificationsWork:
    """The platform's unit of work with this service's store over its session."""
    return StoreWork(uow, SqlNotificationsStore(uow.session))
