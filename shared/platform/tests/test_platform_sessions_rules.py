"""Revoked sessions without a database: what a process admits, when it forgets, what each read of
the table asks for, and how the polling keeps going through an outage (`rtw_platform.sessions`).

The table is a fake that answers the module's three statements the way PostgreSQL would (the real
statements are run against PostgreSQL in `test_platform_sessions.py`); the polls run on a fake
clock and sleep, so nothing here waits.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast
from uuid import UUID, uuid4

import pytest
import structlog
from rtw_platform.sessions import KEEP_AFTER_EXPIRY, RevokedSessions, SessionRevocations
from rtw_platform.uow import UnitOfWorkFactory

pytestmark = pytest.mark.unit

HOUR = timedelta(hours=1)
#: A poll reads again the rows recorded up to a minute before the latest it saw (RECORDING_LAG).
MARGIN = timedelta(minutes=1)


# --- RevokedSessions: the ids in memory -----------------------------------------------------


def test_nothing_is_admitted_before_the_revoked_sessions_are_loaded() -> None:
    revoked = RevokedSessions()
    assert not revoked.admits(uuid4())
    revoked.loaded_from([])
    assert revoked.admits(uuid4())


def test_a_loaded_or_remembered_session_is_refused_and_others_admitted() -> None:
    now = datetime.now(UTC)
    revoked, read, here = RevokedSessions(), uuid4(), uuid4()
    revoked.loaded_from([(read, now + HOUR)])
    revoked.remember(here, now + HOUR)
    assert not revoked.admits(read)
    assert not revoked.admits(here)
    assert revoked.admits(uuid4())
    assert len(revoked) == 2


def test_a_revoked_session_is_forgotten_only_an_hour_after_it_expired() -> None:
    now = datetime.now(UTC)
    live, lapsed, on_the_hour, long_gone = uuid4(), uuid4(), uuid4(), uuid4()
    revoked = RevokedSessions()
    revoked.loaded_from(
        [
            (live, now + HOUR),
            (lapsed, now - timedelta(minutes=59)),
            (on_the_hour, now - KEEP_AFTER_EXPIRY),
            (long_gone, now - timedelta(minutes=61)),
        ]
    )
    revoked.forget_expired(now)
    assert not revoked.admits(live)
    assert not revoked.admits(lapsed)
    assert not revoked.admits(on_the_hour)
    assert revoked.admits(long_gone)
    assert len(revoked) == 3


# --- SessionRevocations over a fake table ----------------------------------------------------


@dataclass
class Row:
    session_id: UUID
    expires_at: datetime
    recorded_at: datetime


@dataclass
class FakeTable:
    """`revoked_sessions` as the module's SELECT and DELETE see it, with every read's `since`."""

    rows: list[Row] = field(default_factory=list)
    reads: list[datetime | None] = field(default_factory=list)
    purges: int = 0
    failing: bool = False
    hanging: bool = False

    def add(self, expires_in: timedelta, recorded_ago: timedelta = timedelta(0)) -> Row:
        now = datetime.now(UTC)
        row = Row(uuid4(), now + expires_in, now - recorded_ago)
        self.rows.append(row)
        return row

    async def execute(self, statement: Any, parameters: Mapping[str, Any]) -> Any:
        sql = str(statement)
        threshold = datetime.now(UTC) - parameters["keep"]
        if sql.startswith("DELETE"):
            self.purges += 1
            self.rows = [r for r in self.rows if not r.expires_at < threshold]
            return None
        since = parameters.get("since")
        assert ("recorded_at > :since" in sql) == ("since" in parameters)
        self.reads.append(since)
        found = [
            r for r in self.rows if r.expires_at > threshold and (since is None or r.recorded_at > since)
        ]
        return SimpleNamespace(all=lambda: found)

    async def commit(self) -> None:
        pass

    @contextlib.asynccontextmanager
    async def connect(self) -> AsyncIterator[FakeTable]:
        if self.hanging:
            await asyncio.Event().wait()
        if self.failing:
            raise ConnectionRefusedError("the database is away")
        yield self


def revocations(table: FakeTable, **options: Any) -> SessionRevocations:
    factory = cast(UnitOfWorkFactory, SimpleNamespace(engine=table))
    return SessionRevocations(factory, "probe", "probe", **options)


async def test_the_first_read_asks_for_every_row_and_a_poll_for_those_since_a_minute_before_the_latest_seen() -> (
    None
):
    table = FakeTable()
    first = table.add(HOUR, recorded_ago=timedelta(minutes=5))
    latest = table.add(HOUR, recorded_ago=timedelta(minutes=3))
    sessions = revocations(table)

    await sessions.refresh()  # a poll before any read reads everything
    assert table.reads == [None]
    assert not sessions.revoked.admits(first.session_id)
    assert not sessions.revoked.admits(latest.session_id)

    late = table.add(HOUR, recorded_ago=timedelta(minutes=3, seconds=30))  # committed after its time
    await sessions.refresh()
    assert table.reads[-1] == latest.recorded_at - MARGIN
    assert not sessions.revoked.admits(late.session_id)

    newer = table.add(HOUR, recorded_ago=timedelta(minutes=1))
    await sessions.refresh()  # the latest seen moves on
    assert table.reads[-1] == latest.recorded_at - MARGIN
    await sessions.refresh()
    assert table.reads[-1] == newer.recorded_at - MARGIN
    assert table.purges == 0  # only a full read purges


async def test_a_poll_that_finds_nothing_or_only_older_rows_keeps_the_latest_seen() -> None:
    table = FakeTable()
    latest = table.add(HOUR, recorded_ago=timedelta(minutes=3))
    sessions = revocations(table)
    await sessions.refresh()

    table.rows.clear()  # purged by another replica: the next poll finds nothing
    await sessions.refresh()
    await sessions.refresh()
    assert table.reads[-1] == latest.recorded_at - MARGIN

    table.add(HOUR, recorded_ago=timedelta(minutes=3, seconds=30))  # older than the latest seen
    await sessions.refresh()
    await sessions.refresh()
    assert table.reads[-1] == latest.recorded_at - MARGIN


async def test_a_full_read_asks_for_every_row_purges_and_forgets_the_long_expired() -> None:
    table = FakeTable()
    table.add(HOUR, recorded_ago=timedelta(minutes=3))
    gone = table.add(-2 * HOUR, recorded_ago=timedelta(hours=10))
    sessions = revocations(table)
    await sessions.refresh()
    ended_here = uuid4()
    sessions.revoked.remember(ended_here, datetime.now(UTC) - 2 * HOUR)

    await sessions.refresh()  # a poll forgets nothing and purges nothing
    assert len(sessions.revoked) == 2
    assert gone in table.rows

    await sessions.refresh(full=True)
    assert table.reads[-1] is None
    assert table.purges == 1
    assert gone not in table.rows
    assert sessions.revoked.admits(ended_here)
    assert len(sessions.revoked) == 1


async def test_start_reads_everything_and_purges() -> None:
    table = FakeTable()
    table.add(HOUR)
    gone = table.add(-2 * HOUR, recorded_ago=timedelta(hours=10))
    sessions = revocations(table, sleep=lambda _: asyncio.Event().wait())
    await sessions.start()
    try:
        assert sessions.revoked.loaded
        assert table.reads == [None]
        assert table.purges == 1
        assert gone not in table.rows
    finally:
        await sessions.stop()


class Polls:
    """A fake clock and sleep: each sleep moves the clock on by the next of `advances` (then by
    the interval slept)."""

    def __init__(self, *advances: float) -> None:
        self.now = 1000.0
        self.advances = list(advances)
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += self.advances.pop(0) if self.advances else seconds
        await asyncio.sleep(0)

    async def until(self, condition: Callable[[], bool]) -> None:
        for _ in range(1000):
            if condition():
                return
            await asyncio.sleep(0)
        raise AssertionError("the polls never got there")


async def stopped(sessions: SessionRevocations) -> None:
    """Stop, and fail if stopping hangs (a cancel that lands as a read completes was once lost in
    `asyncio.wait_for`, and the polling went on for ever)."""
    try:
        await asyncio.wait_for(sessions.stop(), timeout=10)
    except TimeoutError:
        raise AssertionError("stop() did not stop the polling") from None


async def test_it_polls_every_second_and_reads_everything_every_ten_minutes() -> None:
    table = FakeTable()
    table.add(HOUR)
    # The polls after start-up, in seconds since it: 599.5, 600, 1199.9, 1200.5.
    polls = Polls(599.5, 0.5, 599.9, 0.6)
    sessions = revocations(table, clock=polls.clock, sleep=polls.sleep)
    await sessions.start()
    try:
        await polls.until(lambda: len(table.reads) >= 6)
    finally:
        await stopped(sessions)
    assert set(polls.slept) == {1.0}
    assert [since is None for since in table.reads[:5]] == [True, False, True, False, True]
    assert table.purges == 3


async def test_a_stopped_revocations_polls_no_more_and_stopping_before_start_is_fine() -> None:
    await revocations(FakeTable()).stop()
    table, polls = FakeTable(), Polls()
    sessions = revocations(table, clock=polls.clock, sleep=polls.sleep)
    await sessions.start()
    await polls.until(lambda: len(table.reads) >= 3)
    await stopped(sessions)
    reads = len(table.reads)
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(table.reads) == reads


async def test_an_outage_is_logged_once_its_end_once_and_a_new_outage_again() -> None:
    table = FakeTable(failing=True)
    sessions = revocations(table)
    with structlog.testing.capture_logs() as logs:
        await sessions.start()  # the database is away: start-up goes on
        await sessions.stop()
        assert not sessions.revoked.loaded
        await sessions._refresh_or_log(full=False)
        table.failing = False
        await sessions._refresh_or_log(full=False)
        await sessions._refresh_or_log(full=False)
        table.failing = True
        await sessions._refresh_or_log(full=False)
    events = [entry["event"] for entry in logs]
    assert events == [
        "revoked_sessions_unreadable",
        "revoked_sessions_readable_again",
        "revoked_sessions_unreadable",
    ]
    assert sessions.revoked.loaded


async def test_reads_that_succeed_log_nothing() -> None:
    sessions = revocations(FakeTable())
    with structlog.testing.capture_logs() as logs:
        await sessions._refresh_or_log(full=True)
        await sessions._refresh_or_log(full=False)
    assert logs == []
    assert sessions.revoked.loaded


async def test_a_read_that_hangs_is_given_up() -> None:
    sessions = revocations(FakeTable(hanging=True), refresh_timeout_s=0.01)
    with structlog.testing.capture_logs() as logs:
        await sessions._refresh_or_log(full=True)
    assert [entry["event"] for entry in logs] == ["revoked_sessions_unreadable"]
    assert not sessions.revoked.loaded


def test_a_read_is_given_up_after_ten_seconds_unless_told_otherwise() -> None:
    """Start-up and each poll wait at most this long for the database (REFRESH_TIMEOUT_S)."""
    assert vars(revocations(FakeTable()))["_refresh_timeout_s"] == 10.0
