"""Unit of work: one transaction for a use case's state change, outbox rows and inbox mark."""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import TracebackType
from typing import Self
from uuid import UUID

from rtw_contracts import Event
from sqlalchemy import MetaData, TextClause, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from .db import outbox_channel
from .sequencing import number_events
from .tracing import current_traceparent

PendingEvent = tuple[Event, str | None]
"""An event queued for the outbox, with the `traceparent` of the work that published it."""


def subject_of(event: Event) -> UUID | None:
    """The person an event is about (its `candidate_id`), kept beside it in the outbox so that
    erasure can find the person's rows (None for events about no one person)."""
    subject = getattr(event, "candidate_id", None)
    return subject if isinstance(subject, UUID) else None


@functools.cache
def _write_outbox_statement(schema: str, *, notify: bool) -> TextClause:
    """Insert a list of events into the schema's outbox (and NOTIFY its relay), in one statement."""
    insert = (
        f"INSERT INTO {schema}.outbox"
        " (event_id, event_type, routing_key, correlation_id, subject_id, payload, traceparent)"
        " SELECT e.event_id, e.event_type, e.routing_key, e.correlation_id, e.subject_id,"
        " CAST(e.payload AS jsonb), e.traceparent"
        " FROM unnest(CAST(:event_ids AS uuid[]), CAST(:event_types AS text[]),"
        " CAST(:routing_keys AS text[]), CAST(:correlation_ids AS uuid[]),"
        " CAST(:subject_ids AS uuid[]), CAST(:payloads AS text[]), CAST(:traceparents AS text[]))"
        " AS e(event_id, event_type, routing_key, correlation_id, subject_id, payload, traceparent)"
    )
    if not notify:
        return text(insert)
    # A data-modifying WITH runs exactly once, whatever the outer query reads.
    return text(f"WITH written AS ({insert} RETURNING 1) SELECT pg_notify(:channel, '')")


_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))")


class UnitOfWork:
    """Collects a use case's writes and events and commits them together, only when told.

    Leaving the `async with` block without `commit()` rolls everything back, events included.
    """

    def __init__(
        self,
        session: AsyncSession,
        metadata: MetaData,
        *,
        owns_transaction: bool = True,
        outbox_sink: list[PendingEvent] | None = None,
        wake_relay: Callable[[], None] | None = None,
        publishes: frozenset[str] | None = None,
    ) -> None:
        self.session = session
        self._publishes = publishes
        self._owns_transaction = owns_transaction
        self._outbox_sink = outbox_sink
        self._wake_relay = wake_relay
        self._metadata = metadata
        self._schema = metadata.schema or "public"
        self._inbox = metadata.tables[f"{self._schema}.inbox"]
        self._events: list[PendingEvent] = []
        self.committed = False
        self._channel = outbox_channel(self._schema)
        self._write_outbox_sql = _write_outbox_statement(self._schema, notify=wake_relay is None)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._owns_transaction:
            return  # the batch that lent the session commits or rolls back
        if not self.committed:
            # Detach loaded objects first so that a read-only caller can still use them.
            self.session.expunge_all()
            await self.session.rollback()
        await self.session.close()

    @property
    def schema(self) -> str:
        """The service's PostgreSQL schema (its tables and the platform's)."""
        return self._schema

    def publish(self, *events: Event) -> None:
        """Queue events to be written to the outbox in this transaction (each with the current
        trace, which the relay and the consumers continue). An event whose routing key the service
        does not list among what it publishes is refused here: its publishing exchange is bound to
        `rtw.events` for the listed keys only, so it would reach nobody."""
        if self._publishes is not None:
            unlisted = sorted({e.ROUTING_KEY for e in events} - self._publishes)
            if unlisted:
                raise ValueError(
                    f"{', '.join(unlisted)} is not among the events this service publishes "
                    "(ServiceDefinition.publishes): it would reach no subscriber"
                )
        traceparent = current_traceparent()
        self._events.extend((event, traceparent) for event in events)

    @property
    def pending_events(self) -> tuple[Event, ...]:
        """Events queued in this unit of work and not yet committed."""
        return tuple(event for event, _ in self._events)

    async def lock(self, key: str) -> None:
        """Wait for, then hold until this transaction ends, a lock on `key` (a PostgreSQL advisory
        lock): units of work that take the same key run one after the other. For changes to one
        thing that arrive by different queues in concurrent transactions, each reading what the
        others write. A deadlock is retried like any transient database failure."""
        await self.session.execute(_LOCK, {"key": key})

    async def claim_message(self, event_id: UUID, handler: str) -> bool:
        """Record that `handler` is processing `event_id`; False if it already did (a duplicate).

        The mark is part of this transaction: if the work rolls back, so does the mark, and a
        redelivery processes the message again. A concurrent duplicate waits on the key and then
        sees the first one's mark.
        """
        statement = (
            pg_insert(self._inbox)
            .values(event_id=event_id, handler=handler)
            .on_conflict_do_nothing()
            .returning(self._inbox.c.event_id)
        )
        result = await self.session.execute(statement)
        return result.first() is not None

    async def commit(self) -> None:
        """Write queued events to the outbox, wake the relay and commit everything at once.

        In a unit of work lent a batch's transaction (see `CommitBatcher`), the writes join that
        transaction, which commits once for the whole batch; with an `outbox_sink` the events are
        handed to the batch, which writes every message's events in one statement.
        """
        wrote = await self._write_outbox()
        if self._owns_transaction:
            await self.session.commit()
            if wrote and self._wake_relay is not None:
                self._wake_relay()
        self.committed = True

    async def _write_outbox(self) -> bool:
        """Write the queued events (one statement); True if there were any."""
        if not self._events:
            return False
        if self._outbox_sink is not None:
            self._outbox_sink.extend(self._events)
        else:
            # With no relay in this process to wake, the statement also NOTIFYs (transactional:
            # the relay is woken only if the commit succeeds). NOTIFY serialises every commit
            # that issues it on one lock held through the commit's disk flush, so a process that
            # runs its own relay wakes it in process after the commit instead.
            events = await number_events(self.session, self._schema, [event for event, _ in self._events])
            await self.session.execute(
                self._write_outbox_sql,
                {
                    "traceparents": [traceparent for _, traceparent in self._events],
                    "event_ids": [event.event_id for event in events],
                    "event_types": [event.event_type for event in events],
                    "routing_keys": [event.ROUTING_KEY for event in events],
                    "correlation_ids": [event.correlation_id for event in events],
                    "subject_ids": [subject_of(event) for event in events],
                    "payloads": [event.model_dump_json() for event in events],
                    "channel": self._channel,
                },
            )
        self._events.clear()
        return True


class UnitOfWorkFactory:
    """Makes a fresh unit of work per use case, sharing one engine."""

    def __init__(
        self, engine: AsyncEngine, metadata: MetaData, *, publishes: frozenset[str] | None = None
    ) -> None:
        self.engine = engine
        self.metadata = metadata
        #: The routing keys its units of work may publish (None: any, as in tests of the platform).
        self.publishes = publishes
        self._sessions: Callable[[], AsyncSession] = async_sessionmaker(
            engine, class_=AsyncSession, expire_on_commit=False
        )
        self._wake_relay: Callable[[], None] | None = None

    def wake_relay_in_process(self, wake: Callable[[], None] | None) -> None:
        """The outbox relay runs in this process: wake it with `wake` after each commit that wrote
        events, instead of a NOTIFY in the transaction (None: NOTIFY again)."""
        self._wake_relay = wake

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(
            self._sessions(), self.metadata, wake_relay=self._wake_relay, publishes=self.publishes
        )

    def session(self) -> AsyncSession:
        """A new session (the caller manages its transaction)."""
        return self._sessions()

    def within(self, session: AsyncSession, *, outbox_sink: list[PendingEvent] | None = None) -> UnitOfWork:
        """A unit of work inside a transaction someone else commits (and then calls
        `events_committed`); with `outbox_sink`, the events it commits are appended there for the
        owner of the transaction to write."""
        return UnitOfWork(
            session,
            self.metadata,
            owns_transaction=False,
            outbox_sink=outbox_sink,
            wake_relay=self._wake_relay,
            publishes=self.publishes,
        )

    async def write_outbox(self, session: AsyncSession, events: list[PendingEvent]) -> None:
        """Write `events` (each with its trace) to the outbox in the session's transaction (call
        `events_committed` after the commit)."""
        if events:
            uow = self.within(session)
            uow._events.extend(events)
            await uow._write_outbox()

    def events_committed(self) -> None:
        """A transaction lent to units of work committed events: wake the in-process relay."""
        if self._wake_relay is not None:
            self._wake_relay()
