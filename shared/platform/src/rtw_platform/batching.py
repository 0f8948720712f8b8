"""Group commit for consumers: messages delivered concurrently to one subscriber share a commit.

One transaction per message costs a disk flush per message; the broker delivers up to `prefetch`
messages at once, so the batcher runs those waiting together in one transaction, each inside its
own savepoint (a failing message rolls back alone and is retried or dead-lettered alone), commits
once, and only then lets each message be acknowledged. If the commit fails, every message of the
batch fails and is redelivered; the inbox makes the retry harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from rtw_contracts import Event

from .uow import UnitOfWork, UnitOfWorkFactory

Handler = Callable[[Any, UnitOfWork], Awaitable[None]]


class Duplicate:
    """Result of a message the inbox had already seen."""


DUPLICATE = Duplicate()


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
        self._queue: asyncio.Queue[tuple[Event, asyncio.Future[object]]] | None = None
        self._workers: list[asyncio.Task[None]] = []

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
        self._queue.put_nowait((event, future))
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

    async def _process(self, batch: list[tuple[Event, asyncio.Future[object]]]) -> None:
        outcomes: list[tuple[asyncio.Future[object], object, BaseException | None]] = []
        session = self._uow_factory.session()
        try:
            async with session.begin():
                for event, future in batch:
                    uow = self._uow_factory.within(session)
                    try:
                        async with session.begin_nested():
                            if not await uow.claim_message(event.event_id, self._handler_name):
                                outcomes.append((future, DUPLICATE, None))
                                continue
                            await self._handler(event, uow)
                            await uow.commit()
                        outcomes.append((future, None, None))
                    except Exception as exc:
                        outcomes.append((future, None, exc))
                        if not session.is_active or _connection_lost(exc):
                            raise
        except BaseException as exc:
            for _event, future in batch:
                if not future.done():
                    future.set_exception(exc)
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


def _connection_lost(exc: BaseException) -> bool:
    from .consumer_failures import is_infrastructure_error

    return is_infrastructure_error(exc)
