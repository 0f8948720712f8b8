"""Dead letters for operators: list, inspect, replay and purge, over plain AMQP."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aio_pika
from aio_pika.exceptions import ChannelClosed
from aiormq.exceptions import ChannelAccessRefused
from rtw_contracts.topology import dead_letter_queue_name

from .consumer_failures import (
    ATTEMPTS_HEADER,
    DEAD_LETTER_USER_HEADER,
    DEAD_LETTERED_AT_HEADER,
    ERROR_HEADER,
    ERROR_TYPE_HEADER,
    PUBLISHED_BY_HEADER,
    QUEUE_HEADER,
    REPLAYS_HEADER,
    ROUTING_KEY_HEADER,
    header_int,
)
from .publishers import amqp_user

DLQ_SUFFIX = ".dlq"
_RTW_FAILURE_HEADERS = (
    ERROR_HEADER,
    ERROR_TYPE_HEADER,
    QUEUE_HEADER,
    ATTEMPTS_HEADER,
    DEAD_LETTERED_AT_HEADER,
    ROUTING_KEY_HEADER,
)


class QueueNotFound(LookupError):
    """The broker has no such queue."""


class AccessRefused(Exception):
    """The broker user may not touch this queue: the dead-letter tools need the dead-letter
    user's URL (RTW_DLQ_AMQP_URL), not a service's own."""

    def __init__(self, queue: str) -> None:
        super().__init__(
            f"the broker refused access to {queue}: give the dead-letter tools the dead-letter "
            "user (RTW_DLQ_AMQP_URL), which may act on every dead-letter queue"
        )
        self.queue = queue


@contextmanager
def _refusals(queue: str) -> Iterator[None]:
    """A refusal anywhere (a get, a purge, a publish) said as `AccessRefused`."""
    try:
        yield
    except ChannelAccessRefused:
        raise AccessRefused(queue) from None


def _missing(exc: ChannelClosed, queue: str) -> Exception:
    """A passive declaration failed: the queue is missing, or the user may not touch it."""
    if isinstance(exc, ChannelAccessRefused):
        return AccessRefused(queue)
    return QueueNotFound(queue)


@dataclass(frozen=True)
class DeadLetter:
    """One dead-lettered message as an operator sees it."""

    position: int
    message_id: str | None
    correlation_id: str | None
    event_type: str | None
    routing_key: str | None
    error: str | None
    attempts: int | None
    dead_lettered_at: str | None
    body: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return self.__dict__.copy()


def split_queue(name: str) -> tuple[str, str]:
    """(source queue, dead-letter queue) from either name."""
    if name.endswith(DLQ_SUFFIX):
        return name[: -len(DLQ_SUFFIX)], name
    return name, dead_letter_queue_name(name)


async def count(url: str, queues: Iterable[str]) -> dict[str, int | None]:
    """Messages waiting in each source queue's DLQ (None where the DLQ does not exist)."""
    result: dict[str, int | None] = {}
    connection = await aio_pika.connect(url, timeout=10)
    try:
        for queue in queues:
            _, dlq = split_queue(queue)
            channel = await connection.channel()
            try:
                declared = await channel.declare_queue(dlq, passive=True)
                result[queue] = declared.declaration_result.message_count
            except ChannelAccessRefused:
                raise AccessRefused(dlq) from None
            except ChannelClosed:
                result[queue] = None
            finally:
                if not channel.is_closed:
                    await channel.close()
    finally:
        await connection.close()
    return result


async def _peek(url: str, queue: str, limit: int = 20) -> list[DeadLetter]:
    """Read up to `limit` dead letters without removing them (they are returned unacknowledged)."""
    _, dlq = split_queue(queue)
    connection = await aio_pika.connect(url, timeout=10)
    letters: list[DeadLetter] = []
    try:
        channel = await connection.channel()
        try:
            source = await channel.declare_queue(dlq, passive=True)
        except ChannelClosed as exc:
            raise _missing(exc, dlq) from exc
        for position in range(1, limit + 1):
            message = await source.get(no_ack=False, fail=False)
            if message is None:
                break
            letters.append(_describe(position, message))
        # Closing the channel returns every unacknowledged message to the DLQ, in order.
        await channel.close()
    finally:
        await connection.close()
    return letters


async def _replay(
    url: str,
    queue: str,
    *,
    limit: int | None = None,
    message_id: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Send dead letters back to the queue they failed in (not to every subscriber of the event).

    Each is published persistent with confirms before it is removed from the DLQ, so a failure
    half-way loses nothing. With `message_id`, only that message is replayed. `on_progress` is
    told (replayed so far, how many at most) before the first and after each message.
    """
    source_queue, dlq = split_queue(queue)
    replayer = amqp_user(url)
    connection = await aio_pika.connect(url, timeout=10)
    replayed = 0
    try:
        channel = await connection.channel(publisher_confirms=True)
        try:
            source = await channel.declare_queue(dlq, passive=True)
            await channel.declare_queue(source_queue, passive=True)
        except ChannelClosed as exc:
            raise _missing(exc, f"{source_queue} or {dlq}") from exc
        pending = source.declaration_result.message_count or 0
        at_most = min(pending, limit if limit is not None else pending, 1 if message_id else pending)
        if on_progress is not None:
            on_progress(0, at_most)
        for _ in range(pending):
            if limit is not None and replayed >= limit:
                break
            message = await source.get(no_ack=False, fail=False)
            if message is None:
                break
            if message_id is not None and message.message_id != message_id:
                continue  # left unacknowledged: returned to the DLQ when the channel closes
            headers = {k: v for k, v in (message.headers or {}).items() if k not in _RTW_FAILURE_HEADERS}
            headers["x-rtw-last-error"] = (message.headers or {}).get(ERROR_HEADER)
            headers[REPLAYS_HEADER] = (header_int(message.headers, REPLAYS_HEADER) or 0) + 1
            headers[PUBLISHED_BY_HEADER] = _first_publisher(message, replayer)
            # Who put the letter in the DLQ, as RabbitMQ vouched for it: the consumer believes the
            # header above only from the right one (publishers.PublisherUsers.published_by).
            headers[DEAD_LETTER_USER_HEADER] = message.user_id or ""
            headers.pop("x-death", None)
            await channel.default_exchange.publish(
                aio_pika.Message(
                    message.body,
                    headers=headers,
                    message_id=message.message_id,
                    correlation_id=message.correlation_id,
                    content_type=message.content_type,
                    type=message.type,
                    app_id=message.app_id,
                    user_id=replayer,
                    timestamp=message.timestamp,
                    delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                ),
                routing_key=source_queue,
                mandatory=True,
            )
            await message.ack()
            replayed += 1
            if on_progress is not None:
                on_progress(replayed, at_most)
        await channel.close()
    finally:
        await connection.close()
    return replayed


def _first_publisher(message: aio_pika.abc.AbstractIncomingMessage, replayer: str) -> str:
    """The broker user that first published a dead letter: its own `user_id` when the broker
    dead-lettered it as it arrived (past its delivery limit: the broker adds `x-death`) unless it
    was a replay; else the user recorded with it (by the consuming service that dead-lettered
    it, publishing it as itself, or by the replay)."""
    headers = message.headers or {}
    if "x-death" in headers and message.user_id != replayer:
        return message.user_id or ""
    recorded = headers.get(PUBLISHED_BY_HEADER)
    return recorded.decode() if isinstance(recorded, bytes) else str(recorded or "")


async def _purge(url: str, queue: str) -> int:
    """Delete every dead letter of a queue; how many were deleted."""
    _, dlq = split_queue(queue)
    connection = await aio_pika.connect(url, timeout=10)
    try:
        channel = await connection.channel()
        try:
            declared = await channel.declare_queue(dlq, passive=True)
        except ChannelClosed as exc:
            raise _missing(exc, dlq) from exc
        result = await declared.purge()
        return int(result.message_count or 0)
    finally:
        await connection.close()


async def erase(url: str, queues: Iterable[str], needles: Iterable[str], *, limit: int = 10_000) -> int:
    """Delete, from each queue's DLQ, every dead letter whose body or correlation id contains one
    of `needles` (an erased person's ids); the others stay, in order. Reads at most `limit`
    messages per DLQ (dead letters expire after 30 days, so a DLQ is short unless something is
    badly wrong; what lies beyond the limit expires with the rest). How many were deleted."""
    wanted = [needle for needle in needles if needle]
    if not wanted:
        return 0
    patterns = [needle.encode() for needle in wanted]
    erased = 0
    connection = await aio_pika.connect(url, timeout=10)
    try:
        for queue in queues:
            _, dlq = split_queue(queue)
            channel = await connection.channel()
            try:
                source = await channel.declare_queue(dlq, passive=True)
            except ChannelAccessRefused:
                raise AccessRefused(dlq) from None
            except ChannelClosed:
                continue  # no DLQ (never declared here): nothing dead-lettered
            pending = min(source.declaration_result.message_count or 0, limit)
            for _ in range(pending):
                message = await source.get(no_ack=False, fail=False)
                if message is None:
                    break
                if any(p in message.body for p in patterns) or (message.correlation_id or "") in wanted:
                    await message.ack()
                    erased += 1
            # Closing the channel returns every message left unacknowledged to the DLQ, in order.
            await channel.close()
    finally:
        await connection.close()
    return erased


async def peek(url: str, queue: str, limit: int = 20) -> list[DeadLetter]:
    """Read up to `limit` dead letters without removing them (they are returned unacknowledged)."""
    with _refusals(split_queue(queue)[1]):
        return await _peek(url, queue, limit)


async def replay(
    url: str,
    queue: str,
    *,
    limit: int | None = None,
    message_id: str | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> int:
    """Send dead letters back to the queue they failed in (see `_replay`)."""
    with _refusals(split_queue(queue)[1]):
        return await _replay(url, queue, limit=limit, message_id=message_id, on_progress=on_progress)


async def purge(url: str, queue: str) -> int:
    """Delete every dead letter of a queue; how many were deleted."""
    with _refusals(split_queue(queue)[1]):
        return await _purge(url, queue)


def _describe(position: int, message: aio_pika.abc.AbstractIncomingMessage) -> DeadLetter:
    headers = message.headers or {}
    error = headers.get(ERROR_HEADER)
    if error is None and headers.get("x-death"):
        deaths: Any = headers["x-death"]
        reason = deaths[0].get("reason")
        reason = reason.decode() if isinstance(reason, bytes) else reason
        error = f"dead-lettered by the broker: {reason}"
    try:
        body = json.dumps(json.loads(message.body), indent=2, ensure_ascii=False)
    except (ValueError, UnicodeDecodeError):
        body = message.body.decode("utf-8", errors="replace")
    dead_at = headers.get(DEAD_LETTERED_AT_HEADER)
    return DeadLetter(
        position=position,
        message_id=message.message_id,
        correlation_id=message.correlation_id,
        event_type=message.type,
        routing_key=str(headers.get(ROUTING_KEY_HEADER) or message.routing_key or ""),
        error=str(error) if error is not None else None,
        attempts=header_int(headers, ATTEMPTS_HEADER),
        dead_lettered_at=dead_at.isoformat()
        if isinstance(dead_at, datetime)
        else (str(dead_at) if dead_at else None),
        body=body,
    )
