"""PostgreSQL access: one schema per service, an async engine bound to it, the platform's tables."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import registry
from sqlmodel import Field

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def service_registry(schema: str) -> registry:
    """A SQLAlchemy registry whose MetaData lives in the service's own schema.

    Use it as `class Base(SQLModel, registry=service_registry("applications"))` so the service's
    tables never mix with another service's (SQLModel otherwise shares one global MetaData).
    The platform's outbox, inbox and revoked-sessions tables are added to the same MetaData, so
    Alembic sees them.
    """
    metadata = MetaData(schema=schema, naming_convention=NAMING_CONVENTION)
    add_platform_tables(metadata)
    return registry(metadata=metadata)


def add_platform_tables(metadata: MetaData) -> None:
    """Add the outbox, inbox, event-sequence and revoked-sessions tables to a service's MetaData
    (idempotent)."""
    if f"{metadata.schema}.outbox" in metadata.tables:
        return
    Table(
        "outbox",
        metadata,
        Column("id", BigInteger, primary_key=True, autoincrement=True),
        Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("event_type", String(100), nullable=False),
        Column("routing_key", String(200), nullable=False),
        Column("correlation_id", UUID(as_uuid=True), nullable=False),
        Column("payload", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text, nullable=True),
        # The candidate the event is about (its `candidate_id`), so that erasure finds every row
        # that mentions the person by an index instead of reading every payload.
        Column("subject_id", UUID(as_uuid=True), nullable=True),
        # The W3C trace context of the transaction that wrote the event (None when tracing was
        # off): the relay publishes the event in that trace (see tracing.py).
        Column("traceparent", String(55), nullable=True),
        Index("ix_outbox_subject_id", "subject_id"),
        Index(
            "ix_outbox_unpublished",
            "id",
            postgresql_where=text("published_at IS NULL"),
        ),
    )
    Table(
        "inbox",
        metadata,
        Column("event_id", UUID(as_uuid=True), nullable=False),
        Column("handler", String(200), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        PrimaryKeyConstraint("event_id", "handler"),
    )
    # The last `sequence` given to each aggregate's events (see sequencing.py).
    Table(
        "event_sequences",
        metadata,
        Column("aggregate", String(100), nullable=False),
        Column("aggregate_key", String(200), nullable=False),
        Column("last", BigInteger, nullable=False),
        PrimaryKeyConstraint("aggregate", "aggregate_key"),
    )
    # Sessions signed out of (in any service), until they would have expired: see sessions.py.
    Table(
        "revoked_sessions",
        metadata,
        Column("session_id", UUID(as_uuid=True), primary_key=True),
        Column("expires_at", DateTime(timezone=True), nullable=False),
        Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Index("ix_revoked_sessions_recorded_at", "recorded_at"),
    )


def timestamp_field(*, nullable: bool = False) -> Any:
    """A SQLModel field stored as a timezone-aware timestamp."""
    return Field(default=None, sa_column=Column(DateTime(timezone=True), nullable=nullable))


def json_field(*, nullable: bool = False) -> Any:
    """A SQLModel field stored as JSONB."""
    return Field(default=None, sa_column=Column(JSONB, nullable=nullable))


def create_engine(url: str, schema: str, *, pool_size: int = 10, **kwargs: Any) -> AsyncEngine:
    """An async engine whose connections look in the service's schema first."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # No pre-ping: it costs a round trip per checkout; a connection lost to a database
        # restart fails its use case, which the consumers retry in place and HTTP answers 503.
        pool_pre_ping=False,
        connect_args={"server_settings": {"search_path": f"{schema},public"}},
        **kwargs,
    )


def asyncpg_dsn(url: str) -> str:
    """The plain libpq DSN asyncpg takes, from a SQLAlchemy URL."""
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def outbox_channel(schema: str) -> str:
    """The NOTIFY channel on which the relay of one service's outbox is woken."""
    return f"rtw_outbox_{schema}"


def sqlstate_of(exc: DBAPIError) -> str:
    """The SQLSTATE of a database error ('' when there is none), from the driver or its cause."""
    original = exc.orig
    cause = getattr(original, "__cause__", None)
    return str(getattr(original, "sqlstate", "") or getattr(cause, "sqlstate", "") or "")
