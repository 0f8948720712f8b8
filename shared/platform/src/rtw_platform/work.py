"""What a use case is given: a unit of work and, through it, its service's store.

A use case takes `Work[SomeStore]`: it reads and writes through `work.store` (the service's
`store.py`, the only module that builds queries), publishes events and commits. In production
that is `StoreWork(uow, SqlStore(uow.session))` over the platform's `UnitOfWork`; in a unit test
it is `rtw_platform.testing.fake_uow.FakeUnitOfWork(InMemoryStore())`, with no database.
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from rtw_contracts import Event

from .uow import UnitOfWork

S = TypeVar("S")
S_co = TypeVar("S_co", covariant=True)


class Work(Protocol[S_co]):
    """A unit of work with its service's store."""

    @property
    def store(self) -> S_co: ...

    def publish(self, *events: Event) -> None: ...

    async def commit(self) -> None: ...

    async def lock(self, key: str) -> None: ...


class StoreWork(Generic[S]):
    """The platform's unit of work with the service's store over its session."""

    def __init__(self, uow: UnitOfWork, store: S) -> None:
        self.uow = uow
        self.store = store

    def publish(self, *events: Event) -> None:
        self.uow.publish(*events)

    async def commit(self) -> None:
        await self.uow.commit()

    async def lock(self, key: str) -> None:
        await self.uow.lock(key)
