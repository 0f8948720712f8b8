"""What happens to a message whose handler fails: nothing is ever silently dropped.

- A message that can never succeed (not JSON, wrong shape, wrong version) goes straight to its
  queue's DLQ with the error recorded in its headers.
- Any other failure is retried by redelivery (nack, requeue) after a short pause; on the last
  allowed delivery it goes to the DLQ with the error. A handler that raises NotYetKnown (the
  event refers to something whose own event has not arrived yet) is retried the same way but
  counted apart, as `not_yet_known`, so that waiting for an earlier event is not mistaken for a
  failing one.
- A failure of the infrastructure itself (database unreachable) is not the message's fault: the
  handler is retried in place, holding the message, until the database is back.
- If the DLQ publish itself fails, the message is requeued, never acknowledged.
The broker's own `x-delivery-limit` remains as a safety net for processes that die mid-message.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from faststream import BaseMiddleware
from faststream.exceptions import FastStreamException
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from .db import sqlstate_of
from .logging import get_logger
from .metrics import MESSAGE_SECONDS, MESSAGES_CONSUMED

if TYPE_CHECKING:
    from faststream._internal.context.repository import ContextRepo
    from faststream.message import StreamMessage
    from faststream.rabbit import RabbitBroker, RabbitExchange
    from faststream.rabbit.message import RabbitMessage

    from .publishers import PublisherUsers

log = get_logger(__name__)

ERROR_HEADER = "x-rtw-error"
ERROR_TYPE_HEADER = "x-rtw-error-type"
QUEUE_HEADER = "x-rtw-queue"
ATTEMPTS_HEADER = "x-rtw-attempts"
DEAD_LETTERED_AT_HEADER = "x-rtw-dead-lettered-at"
ROUTING_KEY_HEADER = "x-rtw-routing-key"
REPLAYS_HEADER = "x-rtw-replays"
PUBLISHED_BY_HEADER = "x-rtw-published-by"
"""On a dead letter and its replay: the broker user that first published the message (a dead
letter is re-published by the consuming service, so its own `user_id` is lost). Believed only
on a replay, and only as far as DEAD_LETTER_USER_HEADER vouches for it (publishers.py)."""
DEAD_LETTER_USER_HEADER = "x-rtw-dead-letter-user"
"""On a replay: the `user_id` of the dead letter the replay took off its DLQ, that is, the broker
user that put it there (RabbitMQ held it to that user's connection). Set by the replay only."""


class PermanentFailure(Exception):
    """Raise from a handler for a message that can never succeed: it goes to the DLQ at once."""


class NotYetKnown(LookupError):
    """Raise from a handler whose event refers to something this service has not heard of yet
    (its own event comes on another queue and may arrive later): not a fault of the message, which
    is retried after a pause and counted apart (outcome `not_yet_known`); dead-lettered only when it
    is still unknown after the queue's every allowed delivery."""


PERMANENT_ERRORS: tuple[type[BaseException], ...] = (
    PermanentFailure,
    ValidationError,
    json.JSONDecodeError,
    UnicodeDecodeError,
)


#: SQLSTATE classes that say the database, not the message, is the trouble: connection exceptions
#: (08), a server shutting down or restarting (57P), insufficient resources (53), and a transaction
#: rolled back by a deadlock or a serialisation failure (40), which succeeds when tried again.
TRANSIENT_SQLSTATES = ("08", "57P", "53", "40")


def is_infrastructure_error(exc: BaseException) -> bool:
    """The database or network is away: not the message's fault."""
    if isinstance(exc, DBAPIError) and (
        exc.connection_invalidated or sqlstate_of(exc).startswith(TRANSIENT_SQLSTATES)
    ):
        return True
    return isinstance(exc, (OperationalError, InterfaceError, ConnectionError, OSError))


class ConsumerFailurePolicy:
    """Middleware factory applying the rules above to every subscriber of a broker."""

    def __init__(
        self,
        *,
        service: str,
        dead_letter_exchange: RabbitExchange,
        delivery_limit: int,
        retry_pause_s: float = 0.2,
        infrastructure_retry_for_s: float = 120.0,
    ) -> None:
        self.service = service
        self.dead_letter_exchange = dead_letter_exchange
        self.delivery_limit = delivery_limit
        self.retry_pause_s = retry_pause_s
        self.infrastructure_retry_for_s = infrastructure_retry_for_s
        self.broker: RabbitBroker | None = None
        self.publishers: PublisherUsers | None = None
        """Who publishes as whom: records a dead letter's first publisher (set by the service)."""
        self._seconds: dict[str, Any] = {}

    def observe_seconds(self, queue: str, seconds: float) -> None:
        """Record how long a message of `queue` took (the labelled metric is looked up once)."""
        metric = self._seconds.get(queue)
        if metric is None:
            metric = self._seconds[queue] = MESSAGE_SECONDS.labels(self.service, queue)
        metric.observe(seconds)

    def __call__(self, msg: Any, /, *, context: ContextRepo) -> _ConsumerFailureMiddleware:
        return _ConsumerFailureMiddleware(msg, context=context, policy=self)

    async def dead_letter(
        self, message: RabbitMessage, queue: str, exc: BaseException, attempts: int
    ) -> None:
        """Publish the message to its DLQ with the error, then acknowledge the original."""
        assert self.broker is not None, "the broker must be attached before consuming"
        raw = message.raw_message
        headers = dict(raw.headers or {})
        published_by = (
            self.publishers.published_by(raw.user_id, raw.headers) if self.publishers else raw.user_id
        )
        headers.update(
            {
                ERROR_HEADER: f"{type(exc).__name__}: {exc}"[:4000],
                ERROR_TYPE_HEADER: type(exc).__name__,
                QUEUE_HEADER: queue,
                ATTEMPTS_HEADER: attempts,
                DEAD_LETTERED_AT_HEADER: datetime.now(UTC).isoformat(),
                ROUTING_KEY_HEADER: raw.routing_key or "",
                PUBLISHED_BY_HEADER: published_by or "",
            }
        )
        await self.broker.publish(
            raw.body,
            exchange=self.dead_letter_exchange,
            routing_key=queue,
            headers=headers,
            persist=True,
            mandatory=False,
            message_id=raw.message_id,
            correlation_id=raw.correlation_id,
            content_type=raw.content_type,
            timestamp=raw.timestamp,
            timeout=10,
        )
        await message.ack()


class _ConsumerFailureMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: ContextRepo, policy: ConsumerFailurePolicy) -> None:
        super().__init__(msg, context=context)
        self.policy = policy

    async def consume_scope(self, call_next: Any, stream_message: StreamMessage[Any]) -> Any:
        msg = cast("RabbitMessage", stream_message)
        queue = _queue_of(self.context, msg)
        started = time.perf_counter()
        deadline = time.monotonic() + self.policy.infrastructure_retry_for_s
        pause = 0.5
        while True:
            try:
                result = await call_next(msg)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                error = _unwrap(exc)
                if is_infrastructure_error(error) and time.monotonic() < deadline:
                    log.warning("consumer_waiting_for_infrastructure", queue=queue, error=repr(error))
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, 10.0)
                    continue
                await self._on_failure(msg, queue, error)
                return None
            else:
                await msg.ack()
                self.policy.observe_seconds(queue, time.perf_counter() - started)
                return result

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: Any = None,
    ) -> bool | None:
        """An error outside the handler (e.g. the message could not be parsed): requeue it, so the
        broker's delivery limit moves it to the DLQ rather than losing it."""
        if exc_val is not None and not isinstance(exc_val, asyncio.CancelledError):
            log.error("message_not_processed_requeued", error=repr(exc_val))
            raw = self.msg
            nack = getattr(raw, "nack", None)
            if nack is not None and not getattr(raw, "processed", False):
                await nack(requeue=True)
            return True
        return False

    async def _on_failure(self, msg: RabbitMessage, queue: str, exc: BaseException) -> None:
        attempts = (header_int(msg.raw_message.headers, "x-delivery-count") or 0) + 1
        permanent = isinstance(exc, PERMANENT_ERRORS)
        if permanent or attempts >= self.policy.delivery_limit:
            log.error(
                "message_dead_lettered",
                queue=queue,
                attempts=attempts,
                error_type=type(exc).__name__,
                error=str(exc)[:500],
                message_id=msg.message_id,
            )
            try:
                await self.policy.dead_letter(msg, queue, exc, attempts)
            except Exception as publish_error:
                log.error("dead_letter_failed_requeued", queue=queue, error=repr(publish_error))
                await msg.nack(requeue=True)
                return
            MESSAGES_CONSUMED.labels(self.policy.service, queue, "dead_lettered").inc()
            return
        waiting = isinstance(exc, NotYetKnown)
        (log.info if waiting else log.warning)(
            "message_waits_for_an_earlier_event" if waiting else "message_failed_will_retry",
            queue=queue,
            attempts=attempts,
            error_type=type(exc).__name__,
            error=str(exc)[:500],
            message_id=msg.message_id,
        )
        await asyncio.sleep(self.policy.retry_pause_s * attempts)
        await msg.nack(requeue=True)
        outcome = "not_yet_known" if waiting else "retried"
        MESSAGES_CONSUMED.labels(self.policy.service, queue, outcome).inc()


def header_int(headers: Mapping[str, Any] | None, name: str) -> int | None:
    """An integer AMQP header, or None when absent or not a number."""
    value = (headers or {}).get(name)
    if isinstance(value, int | float | str | bytes):
        try:
            return int(value)
        except ValueError:
            return None
    return None


def _queue_of(context: ContextRepo, message: RabbitMessage) -> str:
    """The queue the message came from (the AMQP delivery does not say; the subscriber does)."""
    subscriber = context.get("handler_")
    queue = getattr(subscriber, "queue", None)
    return str(getattr(queue, "name", None) or message.raw_message.routing_key or "unknown")


def _unwrap(exc: BaseException) -> BaseException:
    """FastStream may wrap a handler's exception; find the cause."""
    if isinstance(exc, FastStreamException) and exc.__cause__ is not None:
        return exc.__cause__
    return exc
