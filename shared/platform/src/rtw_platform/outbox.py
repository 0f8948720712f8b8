"""The outbox relay: publishes committed events to the broker, at least once, in order of writing.

Each service's use cases write events to its `outbox` table in the business transaction
(see `UnitOfWork.commit`). The relay claims unpublished rows with `FOR UPDATE SKIP LOCKED` (so
several replicas can run side by side), publishes them persistent with publisher confirms, and
marks them published in the same transaction as the claim. It wakes on NOTIFY from the commit and
polls as a safety net; while the broker is away it backs off and the events wait in the table.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import asyncpg

from .db import asyncpg_dsn, outbox_channel
from .logging import get_logger
from .metrics import OUTBOX_BACKLOG, OUTBOX_OLDEST_SECONDS, OUTBOX_PUBLISH_FAILURES, OUTBOX_PUBLISHED

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One event as the relay sends it."""

    id: int
    event_id: UUID
    event_type: str
    routing_key: str
    correlation_id: UUID
    body: bytes
    created_at: datetime
    traceparent: str | None = None
    """The trace of the transaction that wrote the event (W3C), continued by its consumers."""


PublishBatch = Callable[[Sequence[OutboxMessage]], Awaitable[None]]
"""Publishes every message of a batch and returns only once the broker confirmed each one.
If some were confirmed and others not, it raises `PartialPublish` naming the confirmed ones."""


class PartialPublish(Exception):
    """Some messages of a batch were confirmed by the broker, the others failed."""

    def __init__(self, published: set[int], error: BaseException) -> None:
        super().__init__(f"{len(published)} published, then: {error!r}")
        self.published = published
        self.error = error


class OutboxRelay:
    """Moves events from one schema's outbox to the broker."""

    def __init__(
        self,
        *,
        database_url: str,
        schema: str,
        publish: PublishBatch,
        service: str,
        batch_size: int = 500,
        poll_interval_s: float = 1.0,
        max_backoff_s: float = 30.0,
        keep_published_for: timedelta = timedelta(days=7),
    ) -> None:
        self._dsn = asyncpg_dsn(database_url)
        self._schema = schema
        self._publish = publish
        self._service = service
        self._batch_size = batch_size
        self._poll_interval_s = poll_interval_s
        self._max_backoff_s = max_backoff_s
        self._keep_published_for = keep_published_for
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pool: asyncpg.Pool | None = None
        self._listener: asyncpg.Connection | None = None
        self._last_cleanup = datetime.min.replace(tzinfo=UTC)
        self._claim_sql = (
            f"SELECT id, event_id, event_type, routing_key, correlation_id, payload::text AS body,"
            f" created_at, traceparent FROM {schema}.outbox WHERE published_at IS NULL"
            f" ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"
        )
        self._mark_sql = (
            f"UPDATE {schema}.outbox SET published_at = now(), attempts = attempts + 1,"
            f" last_error = NULL WHERE id = ANY($1::bigint[])"
        )
        self._fail_sql = (
            f"UPDATE {schema}.outbox SET attempts = attempts + 1, last_error = $2"
            f" WHERE id = ANY($1::bigint[])"
        )
        self._backlog_sql = (
            f"SELECT count(*) AS waiting, coalesce(extract(epoch FROM now() - min(created_at)), 0)"
            f" AS oldest_s FROM {schema}.outbox WHERE published_at IS NULL"
        )
        self._cleanup_sql = (
            f"DELETE FROM {schema}.outbox WHERE published_at IS NOT NULL AND published_at < $1"
        )

    async def start(self) -> None:
        """Start relaying in the background."""
        self._stopping.clear()
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self._schema}")

    async def stop(self) -> None:
        """Finish the batch in flight, then stop."""
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._close_connections()

    def wake(self) -> None:
        """Look for new rows now (the NOTIFY listener calls this)."""
        self._wake.set()

    async def backlog(self) -> int:
        """How many events wait to be published (and the age of the oldest, as a gauge)."""
        pool = await self._ensure_pool()
        row = await pool.fetchrow(self._backlog_sql)
        count = int(row["waiting"]) if row is not None else 0
        OUTBOX_BACKLOG.labels(self._service).set(count)
        OUTBOX_OLDEST_SECONDS.labels(self._service).set(float(row["oldest_s"]) if row is not None else 0.0)
        return count

    async def relay_once(self) -> int:
        """Claim and publish one batch; how many events were published."""
        pool = await self._ensure_pool()
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(self._claim_sql, self._batch_size)
            if not rows:
                return 0
            batch = [
                OutboxMessage(
                    id=row["id"],
                    event_id=row["event_id"],
                    event_type=row["event_type"],
                    routing_key=row["routing_key"],
                    correlation_id=row["correlation_id"],
                    body=row["body"].encode(),
                    created_at=row["created_at"],
                    traceparent=row["traceparent"],
                )
                for row in rows
            ]
            ids = [message.id for message in batch]
            published: list[int] = []
            try:
                await self._publish(batch)
            except Exception as exc:
                # The rows stay unpublished; note the failure on them for operators and commit
                # that note (the claim's locks end with this transaction). Those the broker did
                # confirm are marked published, so that they are not sent again.
                failure: Exception | None = exc
                if isinstance(exc, PartialPublish):
                    published = [i for i in ids if i in exc.published]
                confirmed = set(published)
                failed = [i for i in ids if i not in confirmed]
                if published:
                    await conn.execute(self._mark_sql, published)
                await conn.execute(self._fail_sql, failed, repr(exc)[:2000])
            else:
                failure = None
                published = ids
                await conn.execute(self._mark_sql, ids)
        if published:
            OUTBOX_PUBLISHED.labels(self._service).inc(len(published))
        if failure is not None:
            OUTBOX_PUBLISH_FAILURES.labels(self._service).inc()
            raise failure
        return len(batch)

    async def drain(self) -> int:
        """Publish until the outbox is empty; how many events were published."""
        total = 0
        while published := await self.relay_once():
            total += published
        return total

    async def _run(self) -> None:
        backoff = 0.0
        while not self._stopping.is_set():
            try:
                await self._ensure_listener()
                published = await self.relay_once()
                backoff = 0.0
                if published == self._batch_size:
                    continue  # more is waiting: no sleep
                await self.backlog()
                await self._cleanup_if_due()
                await self._sleep(self._poll_interval_s)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                backoff = min(self._max_backoff_s, max(0.25, backoff * 2))
                log.warning("outbox_relay_waiting", error=repr(exc), retry_in_s=backoff)
                await self._close_listener()
                await self._sleep(backoff)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    async def _ensure_pool(self) -> asyncpg.Pool:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(self._dsn, min_size=1, max_size=2)
        return self._pool

    async def _ensure_listener(self) -> None:
        if self._listener is not None and not self._listener.is_closed():
            return
        self._listener = await asyncpg.connect(self._dsn)
        await self._listener.add_listener(outbox_channel(self._schema), self._on_notify)

    def _on_notify(self, *_args: Any) -> None:
        self._wake.set()

    async def purge_published(self, now: datetime | None = None) -> int:
        """Delete the events published longer ago than `keep_published_for` (the outbox is not an
        archive: a published payload may carry personal data); how many were deleted."""
        pool = await self._ensure_pool()
        status = await pool.execute(self._cleanup_sql, (now or datetime.now(UTC)) - self._keep_published_for)
        return int(status.rsplit(" ", 1)[-1])

    async def _cleanup_if_due(self) -> None:
        now = datetime.now(UTC)
        if now - self._last_cleanup < timedelta(minutes=10):
            return
        self._last_cleanup = now
        await self.purge_published(now)

    async def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close(timeout=2)
            self._listener = None

    async def _close_connections(self) -> None:
        await self._close_listener()
        if self._pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._pool.close(), timeout=5)
            self._pool = None


def decode_body(message: OutboxMessage) -> dict[str, Any]:
    """The event as a dict (for tests and tools)."""
    body: dict[str, Any] = json.loads(message.body)
    return body
