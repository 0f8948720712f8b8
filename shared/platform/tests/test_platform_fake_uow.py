"""The testing kit's FakeUnitOfWork: commits and rollbacks as the real unit of work makes them."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID, uuid4

import pytest
from rtw_contracts import CandidateErased, CouncilRegistered
from rtw_contracts.examples import example
from rtw_platform.testing.fake_uow import FakeUnitOfWork, InMemoryStore, InMemoryTable, NoSession

pytestmark = pytest.mark.unit


@dataclass
class Row:
    name: str


class Store(InMemoryStore):
    def __init__(self) -> None:
        self.rows: InMemoryTable[UUID, Row] = InMemoryTable()
        self.tags: InMemoryTable[str, int] = InMemoryTable()


class Boom(Exception):
    pass


def council_registered() -> CouncilRegistered:
    return example(CouncilRegistered, event_id=uuid4())


async def test_a_commit_keeps_the_writes_and_publishes_the_events() -> None:
    store = Store()
    uow = FakeUnitOfWork(store)
    event = council_registered()
    key = uuid4()

    async with uow:
        store.rows.put(key, Row("kept"))
        uow.publish(event)
        assert uow.pending_events == (event,)
        assert not uow.published
        await uow.commit()

    assert store.rows.get(key) == Row("kept")
    assert uow.published == (event,)
    assert not uow.pending_events
    assert (uow.commits, uow.rollbacks) == (1, 0)
    [row] = uow.outbox
    assert row.routing_key == CouncilRegistered.ROUTING_KEY
    assert row.subject_id is None  # an event about no one person


async def test_the_outbox_row_names_the_person_an_event_is_about() -> None:
    uow = FakeUnitOfWork(Store())
    event = example(CandidateErased)
    uow.publish(event)
    await uow.commit()

    assert uow.outbox[0].subject_id == event.candidate_id


async def test_leaving_without_a_commit_rolls_everything_back() -> None:
    store = Store()
    kept = uuid4()
    store.rows.put(kept, Row("before"))
    uow = FakeUnitOfWork(store)

    async def use_case() -> None:
        async with uow:
            store.rows.put(uuid4(), Row("added"))
            changed = store.rows.get(kept)
            assert changed is not None
            changed.name = "changed in place"
            store.tags.put("t", 1)
            uow.publish(council_registered())
            assert await uow.claim_message(uuid4(), "handler")
            raise Boom

    with pytest.raises(Boom):
        await use_case()

    assert store.rows.rows() == [Row("before")]
    assert len(store.tags) == 0
    assert uow.published == ()
    assert uow.pending_events == ()
    assert uow.inbox == set()
    assert (uow.commits, uow.rollbacks) == (0, 1)


async def test_only_what_came_after_the_last_commit_is_rolled_back() -> None:
    store = Store()
    first, second = council_registered(), council_registered()
    uow = FakeUnitOfWork(store)
    async with uow:
        store.tags.put("first", 1)
        uow.publish(first)
        await uow.commit()
    async with uow:
        store.tags.put("second", 2)
        uow.publish(second)

    assert [key for key, _ in store.tags.items()] == ["first"]
    assert uow.published == (first,)
    assert (uow.commits, uow.rollbacks) == (1, 1)


async def test_a_message_is_handled_once_and_a_failed_one_leaves_no_mark() -> None:
    store = Store()
    uow = FakeUnitOfWork(store)
    event = council_registered()
    calls: list[UUID] = []

    async def council_registered_handler(message: CouncilRegistered, work: FakeUnitOfWork[Store]) -> None:
        calls.append(message.event_id)
        work.store.tags.put(str(message.event_id), 1)

    assert await uow.handle(council_registered_handler, event)
    assert not await uow.handle(council_registered_handler, event)  # a redelivery
    assert calls == [event.event_id]
    assert uow.inbox == {(event.event_id, "council_registered_handler")}

    async def failing(message: CouncilRegistered, work: FakeUnitOfWork[Store]) -> None:
        work.store.tags.put("failing", 1)
        raise Boom

    other = council_registered()
    with pytest.raises(Boom):
        await uow.handle(failing, other)
    assert (other.event_id, "failing") not in uow.inbox
    assert "failing" not in store.tags
    assert not await uow.claim_message(event.event_id, "council_registered_handler")


async def test_put_if_absent_keeps_the_first_row() -> None:
    table: InMemoryTable[str, Row] = InMemoryTable()
    assert table.put_if_absent("k", Row("first"))
    assert not table.put_if_absent("k", Row("second"))
    assert table.get("k") == Row("first")
    assert table.delete("k") == Row("first")
    assert table.delete("k") is None


async def test_locks_are_recorded_and_there_is_no_session() -> None:
    uow = FakeUnitOfWork(Store())
    await uow.lock("notifications.staff-directory")
    assert uow.locks == ["notifications.staff-directory"]
    with pytest.raises(NoSession, match=r"go through uow\.store"):
        _ = uow.session


async def test_a_store_that_is_not_in_memory_is_held_as_given() -> None:
    store = {"plain": 1}
    uow = FakeUnitOfWork(store)
    async with uow:
        store["plain"] = 2
    assert store == {"plain": 2}  # nothing to restore: only InMemoryStore tables are transactional
    assert uow.rollbacks == 1
