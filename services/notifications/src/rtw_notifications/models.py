"""The notifications service's tables, in its own schema `notifications`: its own contact
directory (from events), the staff directory (addresses admins gave, and the assessors and
providers their services announced), what it needs to word messages, and the delivery log."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID, uuid4

from rtw_platform.db import service_registry, timestamp_field
from sqlalchemy import Column, Date, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

REGISTRY = service_registry("notifications")


class NotificationsTable(SQLModel, registry=REGISTRY):
    """Base of every table of this service."""


class Person(NotificationsTable, table=True):
    """Someone to write to: a candidate, a council's contact or a recruiter."""

    __tablename__ = "people"

    id: UUID = Field(primary_key=True)
    kind: str = Field(max_length=20)
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=200)
    language: str = Field(default="en", max_length=5)
    council_id: UUID | None = Field(default=None, index=True)
    non_essential_opt_out: bool = False
    erased_at: datetime | None = timestamp_field(nullable=True)
    updated_at: datetime = timestamp_field()


class Council(NotificationsTable, table=True):
    """A council's name, for wording messages."""

    __tablename__ = "councils"

    id: UUID = Field(primary_key=True)
    name: str = Field(max_length=200)


class Vacancy(NotificationsTable, table=True):
    """A vacancy's title, for wording messages."""

    __tablename__ = "vacancies"

    id: UUID = Field(primary_key=True)
    council_id: UUID
    title: str = Field(max_length=200)


class ApplicationNote(NotificationsTable, table=True):
    """What reminders need to know about an application."""

    __tablename__ = "applications"

    id: UUID = Field(primary_key=True)
    candidate_id: UUID = Field(index=True)
    reference: str = Field(max_length=40)
    programme: str = Field(max_length=20)
    second_stage_deadline: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    second_stage_submitted: bool = False
    withdrawn: bool = False
    training_expected_end: date | None = Field(default=None, sa_column=Column(Date, nullable=True))
    training_completed: bool = False


class Delivery(NotificationsTable, table=True):
    """One message for one person about one event: at most one per (event, recipient, template)."""

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "recipient_id", "template"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    event_id: UUID = Field(index=True)
    recipient_id: UUID = Field(index=True)
    template: str = Field(max_length=60)
    essential: bool = True
    language: str = Field(default="en", max_length=5)
    to_address: str | None = Field(default=None, max_length=320)
    subject: str | None = None
    body_text: str | None = None
    body_html: str | None = None
    status: str = Field(max_length=20)
    attempts: int = 0
    next_attempt_at: datetime | None = timestamp_field(nullable=True)
    last_error: str | None = None
    provider_reference: str | None = Field(default=None, max_length=200)
    created_at: datetime = timestamp_field()
    sent_at: datetime | None = timestamp_field(nullable=True)
    traceparent: str | None = Field(default=None, max_length=55)
    calendar: str | None = Field(
        default=None, description="An iCalendar invitation sent with the message (text/calendar), if any."
    )
    """The trace of the event that owed the message (W3C), continued by the span that sends it."""


class InterviewNote(NotificationsTable, table=True):
    """An interview booked (InterviewInvited), kept for its reminder the day before: one per match
    (a new invitation replaces it). Deleted when the candidate is erased."""

    __tablename__ = "interview_notes"

    match_id: UUID = Field(primary_key=True)
    interview_id: UUID
    candidate_id: UUID = Field(index=True)
    council_id: UUID
    vacancy_id: UUID
    stage: int
    starts_at: datetime = timestamp_field()
    place: str = Field(max_length=300)


class ReminderLog(NotificationsTable, table=True):
    """Reminders already scheduled (each is sent once)."""

    __tablename__ = "reminders"

    kind: str = Field(primary_key=True, max_length=40)
    subject_id: UUID = Field(primary_key=True)
    created_at: datetime = timestamp_field()


class StaffRecord(NotificationsTable, table=True):
    """An assessor or a training provider as its service last announced it (AssessorChanged,
    TrainingProviderChanged): whether its staff may be sent sign-in links."""

    __tablename__ = "staff_records"

    kind: str = Field(primary_key=True, max_length=20)
    id: str = Field(primary_key=True, max_length=100)
    name: str = Field(max_length=200)
    active: bool
    changed_at: datetime = timestamp_field()


class StaffAddress(NotificationsTable, table=True):
    """A member of staff's e-mail address, given by a programme admin: the only place staff
    addresses are held, and where their sign-in links are made (docs/notifications.md)."""

    __tablename__ = "staff_addresses"
    __table_args__ = (UniqueConstraint("role", "staff_id"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    email: str = Field(max_length=320, unique=True)
    role: str = Field(max_length=20)
    staff_id: str = Field(max_length=100)
    provider_id: str | None = Field(default=None, max_length=100)
    name: str = Field(max_length=200)
    added_by: str = Field(max_length=100)
    created_at: datetime = timestamp_field()
    updated_at: datetime = timestamp_field()


class RateLimitWindow(NotificationsTable, table=True):
    """Requests for e-mailed staff links counted per address and per client in fixed windows
    (rtw_platform.rate_limits). Keys are keyed hashes: no address is stored."""

    __tablename__ = "rate_limit_windows"
    __table_args__ = (Index("ix_rate_limit_windows_expires_at", "expires_at"),)

    key: str = Field(primary_key=True, max_length=64)
    window_started_at: datetime = timestamp_field()
    hits: int
    expires_at: datetime = timestamp_field()
