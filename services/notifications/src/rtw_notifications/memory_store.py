"""The notifications store in memory, for the use cases' unit tests (with the testing kit's
`FakeUnitOfWork`): the same answers as `store.SqlNotificationsStore`, no database. Its tables
roll back with the fake unit of work."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from uuid import UUID

from rtw_platform.testing.fake_uow import InMemoryStore, InMemoryTable

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
from .store import DeliveryLogQuery, ResendFilter, reference_id


class InMemoryNotificationsStore(InMemoryStore):
    """Rows by key, as the tables hold them."""

    def __init__(self) -> None:
        self.people: InMemoryTable[UUID, Person] = InMemoryTable()
        self.notes: InMemoryTable[UUID, ApplicationNote] = InMemoryTable()
        self.councils: InMemoryTable[UUID, Council] = InMemoryTable()
        self.vacancies: InMemoryTable[UUID, Vacancy] = InMemoryTable()
        self.deliveries: InMemoryTable[tuple[UUID, UUID, str], Delivery] = InMemoryTable()
        self.reminders: InMemoryTable[tuple[str, UUID], ReminderLog] = InMemoryTable()
        self.staff_records: InMemoryTable[tuple[str, str], StaffRecord] = InMemoryTable()
        self.staff: InMemoryTable[UUID, StaffAddress] = InMemoryTable()
        self.interviews: InMemoryTable[UUID, InterviewNote] = InMemoryTable()

    # ------------------------------------------------------------------ the contact directory

    async def person(self, person_id: UUID) -> Person | None:
        return self.people.get(person_id)

    async def save_person(self, person: Person) -> None:
        self.people.put(person.id, person)

    async def people_of_council(self, council_id: UUID) -> list[Person]:
        return sorted((p for p in self.people if p.council_id == council_id), key=lambda p: p.id)

    # ------------------------------------------------------------------ what messages are worded with

    async def note(self, application_id: UUID) -> ApplicationNote | None:
        return self.notes.get(application_id)

    async def add_note_if_absent(self, note: ApplicationNote) -> None:
        self.notes.put_if_absent(note.id, note)

    async def save_note(self, note: ApplicationNote) -> None:
        self.notes.put(note.id, note)

    async def notes_of(self, candidate_id: UUID, application_ids: Sequence[UUID]) -> list[ApplicationNote]:
        return [n for n in self.notes if n.candidate_id == candidate_id or n.id in application_ids]

    async def council(self, council_id: UUID) -> Council | None:
        return self.councils.get(council_id)

    async def add_council_if_absent(self, council: Council) -> None:
        self.councils.put_if_absent(council.id, council)

    async def vacancy(self, vacancy_id: UUID) -> Vacancy | None:
        return self.vacancies.get(vacancy_id)

    async def add_vacancy_if_absent(self, vacancy: Vacancy) -> None:
        self.vacancies.put_if_absent(vacancy.id, vacancy)

    # ------------------------------------------------------------------ deliveries

    async def add_delivery_if_absent(self, delivery: Delivery) -> None:
        self.deliveries.put_if_absent((delivery.event_id, delivery.recipient_id, delivery.template), delivery)

    async def delete_deliveries_to(self, recipient_id: UUID) -> None:
        for key, delivery in self.deliveries.items():
            if delivery.recipient_id == recipient_id:
                self.deliveries.delete(key)

    async def delivery_log(self, query: DeliveryLogQuery) -> tuple[int, list[Delivery]]:
        rows = [
            d
            for d in self.deliveries
            if (query.recipient_id is None or d.recipient_id == query.recipient_id)
            and (query.event_id is None or d.event_id == query.event_id)
            and (query.status is None or d.status == query.status)
        ]
        rows.sort(key=lambda d: d.created_at, reverse=True)
        start = (query.page - 1) * query.page_size
        return len(rows), rows[start : start + query.page_size]

    async def failed_deliveries(self, which: ResendFilter, limit: int) -> list[Delivery]:
        rows = sorted(
            (d for d in self.deliveries if which.matches(d)), key=lambda d: d.created_at, reverse=True
        )
        return rows[:limit]

    async def count_resendable(self, which: ResendFilter) -> int:
        return sum(1 for d in self.deliveries if which.matches(d))

    async def mark_for_resending(self, which: ResendFilter, now: datetime) -> int:
        chosen = [d for d in self.deliveries if which.matches(d)]
        for delivery in chosen:
            delivery.status, delivery.attempts, delivery.next_attempt_at = "pending", 0, now
        return len(chosen)

    async def delivery_for_receipt(self, notify_id: str, reference: str | None) -> Delivery | None:
        delivery_id = reference_id(reference)
        return next(
            (d for d in self.deliveries if d.provider_reference == notify_id or d.id == delivery_id),
            None,
        )

    async def save_delivery(self, delivery: Delivery) -> None:
        self.deliveries.put((delivery.event_id, delivery.recipient_id, delivery.template), delivery)

    # ------------------------------------------------------------------ reminders

    async def record_reminder(self, kind: str, subject_id: UUID, at: datetime) -> bool:
        return self.reminders.put_if_absent(
            (kind, subject_id), ReminderLog(kind=kind, subject_id=subject_id, created_at=at)
        )

    async def delete_reminders_about(self, subject_ids: Sequence[UUID]) -> None:
        for key, reminder in self.reminders.items():
            if reminder.subject_id in subject_ids:
                self.reminders.delete(key)

    async def second_stage_due(self, first_day: date, last_day: date) -> list[ApplicationNote]:
        return [
            n
            for n in self.notes
            if n.second_stage_deadline is not None
            and first_day <= n.second_stage_deadline <= last_day
            and not n.second_stage_submitted
            and not n.withdrawn
        ]

    async def training_overdue(self, before: date) -> list[ApplicationNote]:
        return [
            n
            for n in self.notes
            if n.training_expected_end is not None
            and n.training_expected_end < before
            and not n.training_completed
            and not n.withdrawn
        ]

    async def save_interview_note(self, note: InterviewNote) -> None:
        self.interviews.put(note.match_id, note)

    async def interviews_starting(self, start: datetime, end: datetime) -> list[InterviewNote]:
        return [n for n in self.interviews if start <= n.starts_at < end]

    async def delete_interview_notes_of(self, candidate_id: UUID) -> None:
        for key, note in self.interviews.items():
            if note.candidate_id == candidate_id:
                self.interviews.delete(key)

    # ------------------------------------------------------------------ the staff directory

    async def staff_record(self, kind: str, id_: str) -> StaffRecord | None:
        return self.staff_records.get((kind, id_))

    async def save_staff_record(self, record: StaffRecord) -> None:
        self.staff_records.put((record.kind, record.id), record)

    async def staff_addresses(self) -> list[StaffAddress]:
        return sorted(self.staff, key=lambda a: (a.role, a.name))

    async def staff_address(self, address_id: UUID) -> StaffAddress | None:
        return self.staff.get(address_id)

    async def staff_address_of(self, email: str) -> StaffAddress | None:
        return next((a for a in self.staff if a.email == email), None)

    async def staff_address_for(self, role: str, staff_id: str | None) -> StaffAddress | None:
        return next((a for a in self.staff if a.role == role and a.staff_id == staff_id), None)

    async def save_staff_address(self, entry: StaffAddress) -> None:
        if any(a.email == entry.email and a.id != entry.id for a in self.staff):
            raise ValueError(f"{entry.email} is another entry's address")  # the unique index
        self.staff.put(entry.id, entry)

    async def delete_staff_address(self, entry: StaffAddress) -> None:
        self.staff.delete(entry.id)

    async def add_delivery(self, delivery: Delivery) -> None:
        self.deliveries.put((delivery.event_id, delivery.recipient_id, delivery.template), delivery)
