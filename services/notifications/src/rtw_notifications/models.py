"""The notifications service's tables, in its own schema `notifications`: its own contact
directory (from events), what it needs to word messages, and the delivery log."""

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


class ReminderLog(NotificationsTable, table=True):
    """Reminders already scheduled (each is sent once)."""

    __tablename__ = "reminders"

    kind: str = Field(primary_key=True, max_length=40)
    subject_id: UUID = Field(primary_key=True)
    created_at: datetime = timestamp_field()
