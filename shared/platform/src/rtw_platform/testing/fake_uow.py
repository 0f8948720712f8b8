"""A unit of work without a database, for testing use cases (the cosmicpython pattern).

`FakeUnitOfWork(store)` stands in for `rtw_platform.uow.UnitOfWork` where a use case takes the
unit of work and reaches its service's store through it (`uow.store`): it holds an in-memory
store, queues what the use case publishes, and on `commit()` moves those events to `outbox` (the
rows the real unit of work writes) and the store's writes become the committed state. Leaving
the `async with` block without a commit, or `rollback()`, throws away the store's writes, the
queued events and the inbox marks, as the real transaction would, and is counted in `rollbacks`:
a test asserts "what was published" (`published`) and "nothing committed on failure".

An in-memory store keeps its rows in `InMemoryTable`s (attributes of an `InMemoryStore`), which
the fake snapshots when its transaction begins (when it is made, and after each commit or
rollback) and restores on a rollback: seed the store before making the fake.

There is no database session: a use case that reaches for `uow.session` fails with an error that
says to go through the store (SQL belongs in the service's `store.py`).
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, Self, TypeVar
from uuid import UUID

from rtw_contracts import Event

from ..tracing import current_traceparent
from ..uow import subject_of

K = TypeVar("K")
V = TypeVar("V")
S = TypeVar("S")


class InMemoryTable(Generic[K, V]):
    """Rows by key, with the transaction a fake unit of work gives it (snapshot, restore)."""

    def __init__(self) -> None:
        self._rows: dict[K, V] = {}
        self._snapshot: dict[K, V] | None = None

    def get(self, key: K) -> V | None:
        return self._rows.get(key)

    def put(self, key: K, row: V) -> None:
        self._rows[key] = row

    def put_if_absent(self, key: K, row: V) -> bool:
        """Add the row unless the key is taken (`ON CONFLICT DO NOTHING`); True if added."""
        if key in self._rows:
            return False
        self._rows[key] = row
        return True

    def delete(self, key: K) -> V | None:
        return self._rows.pop(key, None)

    def rows(self) -> list[V]:
        """Every row, in the order they were first added."""
        return list(self._rows.values())

    def items(self) -> list[tuple[K, V]]:
        return list(self._rows.items())

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[V]:
        return iter(list(self._rows.values()))

    def begin(self) -> None:
        """Remember the committed state (deep copies: a row changed in place rolls back too)."""
        if self._snapshot is None:
            self._snapshot = copy.deepcopy(self._rows)

    def commit(self) -> None:
        self._snapshot = None

    def rollback(self) -> None:
        if self._snapshot is not None:
            self._rows = self._snapshot
            self._snapshot = None


class InMemoryStore:
    """Base of a service's in-memory store: its `InMemoryTable` attributes share the fake unit of
    work's transaction."""

    def tables(self) -> list[InMemoryTable[Any, Any]]:
        return [value for value in vars(self).values() if isinstance(value, InMemoryTable)]

    def begin(self) -> None:
        for table in self.tables():
            table.begin()

    def commit(self) -> None:
        for table in self.tables():
            table.commit()

    def rollback(self) -> None:
        for table in self.tables():
            table.rollback()


@dataclass(frozen=True)
class OutboxRow:
    """What the real unit of work writes to the outbox for one event."""

    event: Event
    routing_key: str
    subject_id: UUID | None
    traceparent: str | None


class NoSession(AttributeError):
    """A use case reached for SQL under the fake: queries belong in the service's store."""


class FakeUnitOfWork(Generic[S]):
    """The unit of work of a use case under test, over an in-memory `store`."""

    def __init__(self, store: S, *, schema: str = "fake") -> None:
        self.store = store
        self.schema = schema
        self.outbox: list[OutboxRow] = []
        """Every event committed, in order (what the relay would publish)."""
        self.inbox: set[tuple[UUID, str]] = set()
        """Messages claimed in committed transactions: (event_id, handler)."""
        self.locks: list[str] = []
        """Keys locked, in order (each held until its transaction ended)."""
        self.commits = 0
        self.rollbacks = 0
        self.committed = False
        self._events: list[tuple[Event, str | None]] = []
        self._claims: set[tuple[UUID, str]] = set()
        self._begin()

    # ------------------------------------------------------------------ the transaction

    async def __aenter__(self) -> Self:
        self.committed = False
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self.committed:
            self.rollback()

    def _begin(self) -> None:
        """A transaction starts: the store's committed state is remembered."""
        if isinstance(self.store, InMemoryStore):
            self.store.begin()

    async def commit(self) -> None:
        """Make the store's writes, the queued events and the inbox marks the committed state."""
        self.outbox.extend(
            OutboxRow(event, event.ROUTING_KEY, subject_of(event), traceparent)
            for event, traceparent in self._events
        )
        self._events.clear()
        self.inbox |= self._claims
        self._claims.clear()
        if isinstance(self.store, InMemoryStore):
            self.store.commit()
        self.commits += 1
        self.committed = True
        self._begin()

    def rollback(self) -> None:
        """Throw away everything since the last commit (the store's writes, events, inbox marks)."""
        self._events.clear()
        self._claims.clear()
        if isinstance(self.store, InMemoryStore):
            self.store.rollback()
        self.rollbacks += 1
        self._begin()

    # ------------------------------------------------------------------ what UnitOfWork offers

    def publish(self, *events: Event) -> None:
        traceparent = current_traceparent()
        self._events.extend((event, traceparent) for event in events)

    @property
    def pending_events(self) -> tuple[Event, ...]:
        """Events queued and not yet committed."""
        return tuple(event for event, _ in self._events)

    @property
    def published(self) -> tuple[Event, ...]:
        """Events committed (in the outbox), in order."""
        return tuple(row.event for row in self.outbox)

    async def lock(self, key: str) -> None:
        self.locks.append(key)

    async def claim_message(self, event_id: UUID, handler: str) -> bool:
        """Mark the message as handled in this transaction; False if a committed one did."""
        key = (event_id, handler)
        if key in self.inbox or key in self._claims:
            return False
        self._claims.add(key)
        return True

    @property
    def session(self) -> Any:
        raise NoSession(
            "FakeUnitOfWork has no database session: the use case should go through uow.store "
            "(queries belong in the service's store.py)"
        )

    # ------------------------------------------------------------------ as the consumer runs it

    async def handle(self, handler: Callable[[Any, Self], Awaitable[None]], event: Event) -> bool:
        """Run `handler(event, self)` as the platform's consumer does: claim the message under the
        handler's name, run it, commit; a duplicate does nothing (False). If the handler raises,
        everything rolls back and the error propagates (the broker would retry the message)."""
        async with self:
            if not await self.claim_message(event.event_id, getattr(handler, "__name__", "handler")):
                await self.commit()
                return False
            await handler(event, self)
            await self.commit()
        return True
