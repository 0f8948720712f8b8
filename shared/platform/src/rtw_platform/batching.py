"""Group commit for consumers: messages delivered concurrently to one subscriber share a commit.

One transaction per message costs a disk flush per message; the broker delivers up to `prefetch`
messages at once, so the batcher runs those waiting together in one transaction, commits once,
and only then lets each message be acknowledged.

The batch is written with set-based statements: one inbox `INSERT … ON CONFLICT DO NOTHING
RETURNING` claims every message of the batch at once (the ones already marked are duplicates),
the handlers then run one after the other in the same transaction without savepoints, the
session is flushed once, every event the handlers published goes to the outbox in one `INSERT`,
the transaction commits and the relay is woken once (see `UnitOfWork.commit`). That is one round
trip per message (its own writes), where a savepoint per message cost four.

If anything in that fast path fails, the transaction is rolled back and the batch is run again
the careful way: each message inside its own savepoint (claim, handler, outbox), so a failing
message rolls back alone and is retried or dead-lettered alone while the others commit. A message
whose handler raised an error of its own (not a database error, which a neighbour's pending
writes may have caused) is not run again in that second pass: it fails with its error, as it
would have alone. If the commit fails, or the connection is lost, every message of the batch
fails and is redelivered; the inbox makes that harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from opentelemetry import context as otel_context
from rtw_contracts import Event
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel.ext.asyncio.session import AsyncSession

from .tracing import tracer, tracing_enabled, within
from .uow import PendingEvent, UnitOfWork, UnitOfWorkFactory

Handler = Callable[[Any, UnitOfWork], Awaitable[None]]


class Duplicate:
    """Result of a message the inbox had already seen."""


DUPLICATE = Duplicate()

_Item = tuple[Event, "asyncio.Future[object]", "otel_context.Context | None"]
"""A message, the future its delivery waits on, and its trace (None when tracing is off)."""
_Outcomes = list[tuple["asyncio.Future[object]", object, BaseException | None]]


class CommitBatcher:
    """Runs one subscriber's messages in batches; `submit` returns once its batch committed."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        handler: Handler,
        handler_name: str,
        *,
        max_batch: int = 64,
        workers: int = 2,
    ) -> None:
        self._uow_factory = uow_factory
        self._handler = handler
        self._handler_name = handler_name
        self._max_batch = max_batch
        self._workers_wanted = workers
        self._queue: asyncio.Queue[_Item] | None = None
        self._workers: list[asyncio.Task[None]] = []
        schema = uow_factory.metadata.schema or "public"
        self._claim_batch = text(
            f"INSERT INTO {schema}.inbox (event_id, handler)"
            " SELECT ids.event_id, :handler FROM unnest(CAST(:ids AS uuid[])) AS ids(event_id)"
            " ON CONFLICT DO NOTHING RETURNING event_id"
        )

    async def submit(self, event: Event) -> bool:
        """Process the event; True if it had effect, False if it was a duplicate. Raises the
        handler's (or the commit's) exception."""
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._workers = [
                asyncio.create_task(self._work(), name=f"batcher-{self._handler_name}-{i}")
                for i in range(self._workers_wanted)
            ]
        future: asyncio.Future[object] = asyncio.get_running_loop().create_future()
        # The worker that runs the handler is another task: the message's trace goes with it.
        trace = otel_context.get_current() if tracing_enabled() else None
        self._queue.put_nowait((event, future, trace))
        result = await future
        return result is not DUPLICATE

    async def close(self) -> None:
        """Stop the workers (call after the subscriber stopped delivering)."""
        for worker in self._workers:
            worker.cancel()
        for worker in self._workers:
            with contextlib.suppress(asyncio.CancelledError):
                await worker
        self._workers = []
        self._queue = None

    async def _work(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            batch = [await queue.get()]
            # Let the other deliveries of this moment arrive, then take what is waiting.
            await asyncio.sleep(0)
            while len(batch) < self._max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            await self._process(batch)

    async def _process(self, batch: list[_Item]) -> None:
        session = self._uow_factory.session()
        try:
            try:
                outcomes = await self._fast(session, batch)
            except _HandlerFailed as failure:
                # The fast path rolled back; the same session runs the batch the careful way.
                outcomes = await self._careful(session, batch, failure)
                self._uow_factory.events_committed()
        except BaseException as exc:
            self._fail_all(batch, exc)
            if not isinstance(exc, Exception):
                raise
            return
        finally:
            with contextlib.suppress(Exception):
                await session.close()
        for future, result, error in outcomes:
            if future.done():
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(result)

    @staticmethod
    def _fail_all(batch: list[_Item], exc: BaseException) -> None:
        for _event, future, _trace in batch:
            if not future.done():
                future.set_exception(exc)

    async def _fast(self, session: AsyncSession, batch: list[_Item]) -> _Outcomes:
        """The whole batch in one transaction with set-based inbox and outbox writes."""
        outcomes: _Outcomes = []
        events: list[PendingEvent] = []
        async with session.begin():
            claimed = await self._claim(session, sorted({event.event_id for event, _, _ in batch}))
            for index, (event, future, trace) in enumerate(batch):
                if event.event_id not in claimed:
                    outcomes.append((future, DUPLICATE, None))
                    continue
                claimed.discard(event.event_id)  # a second copy in this batch is a duplicate
                uow = self._uow_factory.within(session, outbox_sink=events)
                try:
                    await self._run_handler(event, uow, trace)
                except Exception as exc:
                    if _connection_lost(exc):
                        raise
                    raise _HandlerFailed(index, exc) from exc
                outcomes.append((future, None, None))
            try:
                await session.flush()
            except Exception as exc:
                if _connection_lost(exc):
                    raise
                raise _HandlerFailed(None, exc) from exc
            await self._uow_factory.write_outbox(session, events)
        if events:
            self._uow_factory.events_committed()
        return outcomes

    async def _run_handler(self, event: Event, uow: UnitOfWork, trace: otel_context.Context | None) -> None:
        """The handler, then its unit of work's commit, in the message's trace (when traced)."""
        if trace is None:
            await self._handler(event, uow)
            await uow.commit()
            return
        with (
            within(trace),
            tracer().start_as_current_span(
                f"handle {self._handler_name}",
                attributes={"rtw.handler": self._handler_name, "rtw.event_type": event.event_type},
                record_exception=False,  # an exception's message may quote the event
                set_status_on_exception=False,
            ),
        ):
            await self._handler(event, uow)
            await uow.commit()

    async def _claim(self, session: AsyncSession, event_ids: list[UUID]) -> set[UUID]:
        """Mark every event of the batch in the inbox; the ids that were not marked before."""
        result = await session.execute(self._claim_batch, {"ids": event_ids, "handler": self._handler_name})
        return set(result.scalars())

    async def _careful(self, session: AsyncSession, batch: list[_Item], failure: _HandlerFailed) -> _Outcomes:
        """The batch again, each message in its own savepoint (after the fast path failed)."""
        outcomes: _Outcomes = []
        async with session.begin():
            for index, (event, future, trace) in enumerate(batch):
                if index == failure.index and not isinstance(failure.error, DBAPIError):
                    # The handler's own failure: not run twice for one delivery.
                    outcomes.append((future, None, failure.error))
                    continue
                uow = self._uow_factory.within(session)
                try:
                    async with session.begin_nested():
                        if not await uow.claim_message(event.event_id, self._handler_name):
                            outcomes.append((future, DUPLICATE, None))
                            continue
                        await self._run_handler(event, uow, trace)
                    outcomes.append((future, None, None))
                except Exception as exc:
                    outcomes.append((future, None, exc))
                    if not session.is_active or _connection_lost(exc):
                        raise
        return outcomes


class _HandlerFailed(Exception):
    """A handler (at `index`, or unknown when the final flush failed) raised in the fast path."""

    def __init__(self, index: int | None, error: Exception) -> None:
        super().__init__(repr(error))
        self.index = index
        self.error = error


def _connection_lost(exc: BaseException) -> bool:
    from .consumer_failures import is_infrastructure_error

    return is_infrastructure_error(exc)
