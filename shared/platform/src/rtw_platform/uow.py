"""Unit of work: one transaction for a use case's state change, outbox rows and inbox mark."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self
from uuid import UUID

from rtw_contracts import Event
from sqlalchemy import MetaData, insert, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from .db import outbox_channel

NOTIFY = text("SELECT pg_notify(:channel, '')")


class UnitOfWork:
    """Collects a use case's writes and events and commits them together, only when told.

    Leaving the `async with` block without `commit()` rolls everything back, events included.
    """

    def __init__(self, session: AsyncSession, metadata: MetaData, *, owns_transaction: bool = True) -> None:
        self.session = session
        self._owns_transaction = owns_transaction
        self._metadata = metadata
        self._schema = metadata.schema or "public"
        self._outbox = metadata.tables[f"{self._schema}.outbox"]
        self._inbox = metadata.tables[f"{self._schema}.inbox"]
        self._events: list[Event] = []
        self.committed = False

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

    def publish(self, *events: Event) -> None:
        """Queue events to be written to the outbox in this transaction."""
        self._events.extend(events)

    @property
    def pending_events(self) -> tuple[Event, ...]:
        """Events queued in this unit of work and not yet committed."""
        return tuple(self._events)

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
        transaction, which commits once for the whole batch.
        """
        await self._write_outbox()
        if self._owns_transaction:
            await self.session.commit()
        self.committed = True

    async def _write_outbox(self) -> None:
        if self._events:
            await self.session.execute(
                insert(self._outbox),
                [
                    {
                        "event_id": event.event_id,
                        "event_type": event.event_type,
                        "routing_key": event.ROUTING_KEY,
                        "correlation_id": event.correlation_id,
                        "payload": event.model_dump(mode="json"),
                    }
                    for event in self._events
                ],
            )
            # NOTIFY is transactional: the relay is woken only if the commit succeeds.
            await self.session.execute(NOTIFY, {"channel": outbox_channel(self._schema)})
        self._events.clear()


class UnitOfWorkFactory:
    """Makes a fresh unit of work per use case, sharing one engine."""

    def __init__(self, engine: AsyncEngine, metadata: MetaData) -> None:
        self.engine = engine
        self.metadata = metadata
        self._sessions: Callable[[], AsyncSession] = async_sessionmaker(
            engine, class_=AsyncSession, expire_on_commit=False
        )

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._sessions(), self.metadata)

    def session(self) -> AsyncSession:
        """A new session (the caller manages its transaction)."""
        return self._sessions()

    def within(self, session: AsyncSession) -> UnitOfWork:
        """A unit of work inside a transaction someone else commits."""
        return UnitOfWork(session, self.metadata, owns_transaction=False)
