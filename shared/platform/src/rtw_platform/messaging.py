"""Broker factory, subscriptions and the relay's publishers."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aio_pika
from aiormq.exceptions import ChannelAccessRefused
from faststream import AckPolicy, BaseMiddleware
from faststream.rabbit import Channel, RabbitBroker, RabbitExchange
from faststream.rabbit.opentelemetry import RabbitTelemetryMiddleware
from opentelemetry.sdk.trace import TracerProvider
from pydantic import ValidationError
from rtw_contracts import Event
from structlog.contextvars import bind_contextvars, reset_contextvars

from .batching import CommitBatcher
from .consumer_failures import ConsumerFailurePolicy
from .metrics import MESSAGES_CONSUMED
from .outbox import OutboxMessage, PartialPublish
from .publishers import PublisherUsers, amqp_user
from .topology import Topology
from .tracing import publishing
from .uow import UnitOfWork, UnitOfWorkFactory

Handler = Callable[[Any, UnitOfWork], Awaitable[None]]
INBOX_KEY = re.compile(r"[a-z0-9_]{1,100}")


@dataclass(frozen=True)
class Subscription:
    """A service consumes `event` with `handler(event, uow)`; listed once per service. `key` is the
    subscription's inbox key, stored with every event it handled (`(event_id, key)`): declared, never
    derived from the handler's name, so that renaming or wrapping a handler cannot make the inbox
    forget what it already handled. It never changes once deployed."""

    event: type[Event]
    handler: Handler
    key: str

    def __post_init__(self) -> None:
        if not INBOX_KEY.fullmatch(self.key):
            raise ValueError(f"inbox key {self.key!r}: 1 to 100 lower-case letters, digits and _")

    @property
    def name(self) -> str:
        """The inbox key (the name the topology, the registry and the docs know it by)."""
        return self.key


def create_broker(
    url: str,
    topology: Topology,
    *,
    prefetch: int,
    failure_policy: ConsumerFailurePolicy,
    tracer_provider: TracerProvider | None = None,
) -> RabbitBroker:
    """A broker for one service: confirms on, prefetch set, the failure policy on every consumer;
    with a tracer provider, FastStream's OpenTelemetry middleware (outermost) continues each
    message's trace from its `traceparent` header. Everything it publishes carries the broker user
    it connects as in `user_id` (StampUserId)."""
    middlewares: tuple[Any, ...] = (failure_policy, StampUserId(amqp_user(url)))
    if tracer_provider is not None:
        # Outside the failure policy, which catches a handler's error: the span never records the
        # error's text (it may quote personal data), only that the message was dead-lettered.
        middlewares = (RabbitTelemetryMiddleware(tracer_provider=tracer_provider), *middlewares)
    broker = RabbitBroker(
        url,
        default_channel=Channel(prefetch_count=prefetch, publisher_confirms=True),
        middlewares=middlewares,
        fail_fast=True,
        graceful_timeout=20.0,
        # No FastDepends per message: each subscriber's decoder validates the body into its event
        # (`model_validate_json`) and the handler takes nothing else.
        apply_types=False,
        app_id=topology.service,
        # FastStream's own chatter at DEBUG, through the standard library's logging as every
        # library's lines (JSON, rtw_platform.logging), not its own plain-text handler on stdout.
        logger=logging.getLogger("rtw.broker"),
        log_level=logging.DEBUG,
    )
    failure_policy.broker = broker
    return broker


class StampUserId:
    """Middleware factory: every message a broker publishes carries `user_id`, the broker user it
    connects as (RabbitMQ refuses any other), unless the publish names one itself."""

    def __init__(self, user_id: str) -> None:
        self.user_id = user_id

    def __call__(self, msg: Any, /, *, context: Any) -> _StampUserIdMiddleware:
        return _StampUserIdMiddleware(msg, context=context, user_id=self.user_id)


class _StampUserIdMiddleware(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, user_id: str) -> None:
        super().__init__(msg, context=context)
        self.user_id = user_id

    async def publish_scope(self, call_next: Callable[[Any], Awaitable[Any]], cmd: Any) -> Any:
        options = getattr(cmd, "message_options", None)
        if isinstance(options, dict) and not options.get("user_id"):
            options["user_id"] = self.user_id
        return await call_next(cmd)


def subscribe(
    broker: RabbitBroker,
    topology: Topology,
    subscription: Subscription,
    uow_factory: UnitOfWorkFactory,
    *,
    max_batch: int = 64,
    publishers: PublisherUsers | None = None,
) -> CommitBatcher:
    """Register a consumer that runs the handler once per event, in the same transaction as the
    inbox mark `(event_id, subscription.key)`: a duplicate delivery (redelivery after a crash, a publisher
    retry) is acknowledged and does nothing. Concurrent deliveries share commits (CommitBatcher).
    With `publishers`, a message not published by the event's producer's broker user is
    dead-lettered (None: the in-memory test broker, which has no users).
    """
    queue = topology.queue(subscription.event)
    handler_name = subscription.key
    service = topology.service
    handler = subscription.handler

    async def handle(event: Event, uow: UnitOfWork) -> None:
        # What the handler logs carries the message's ids (bound here, reset afterwards).
        tokens = bind_contextvars(
            event_id=str(event.event_id),
            correlation_id=str(event.correlation_id),
            event_type=event.event_type,
            handler=handler_name,
        )
        try:
            await handler(event, uow)
        finally:
            reset_contextvars(**tokens)

    batcher = CommitBatcher(uow_factory, handle, handler_name, max_batch=max_batch)

    processed = MESSAGES_CONSUMED.labels(service, queue.name, "processed")
    duplicate = MESSAGES_CONSUMED.labels(service, queue.name, "duplicate")

    async def consume(event: Event) -> None:
        had_effect = await batcher.submit(event)
        (processed if had_effect else duplicate).inc()

    # FastStream reads the payload type (for validation and AsyncAPI) from the signature.
    parameter = inspect.Parameter(
        "event", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=subscription.event
    )
    consume.__signature__ = inspect.Signature([parameter], return_annotation=None)  # type: ignore[attr-defined]
    consume.__annotations__ = {"event": subscription.event, "return": None}
    consume.__name__ = handler_name
    consume.__doc__ = handler.__doc__
    broker.subscriber(
        queue,
        exchange=topology.events_exchange,
        ack_policy=AckPolicy.MANUAL,
        decoder=event_decoder(subscription.event, publishers),
        title=f"{queue.name}:{subscription.event.__name__}",
        description=handler.__doc__,
    )(consume)
    return batcher


def event_decoder(
    event: type[Event], publishers: PublisherUsers | None = None
) -> Callable[[Any], Awaitable[Event]]:
    """A decoder that checks who published the message (with `publishers`: UnexpectedPublisher,
    to the DLQ with the reason) and validates the body straight from its JSON bytes into `event`.

    A body that is not this event (shape, version) raises pydantic's `ValidationError`; a body
    that is not JSON at all raises `JSONDecodeError` (or `UnicodeDecodeError`) as before. Both
    send the message to the DLQ with that error.
    """
    validate = event.model_validate_json

    async def decode_event(message: Any) -> Event:
        if publishers is not None:
            raw = message.raw_message
            publishers.check(event, raw.user_id, raw.headers)
        try:
            return validate(message.body)
        except ValidationError as exc:
            if exc.error_count() and exc.errors()[0]["type"] == "json_invalid":
                json.loads(message.body)  # raises the JSON error operators expect to see
            raise

    return decode_event


def document_publication(broker: RabbitBroker, topology: Topology, event: type[Event]) -> None:
    """Describe an event the service publishes (through its outbox) in its AsyncAPI document."""
    broker.publisher(
        exchange=topology.events_exchange,
        routing_key=event.ROUTING_KEY,
        schema=event,
        title=f"{event.ROUTING_KEY}:{event.__name__}",
        description=inspect.cleandoc(event.__doc__ or ""),
        persist=True,
    )


async def bind_publish_exchange(
    channel: aio_pika.abc.AbstractChannel, publish_exchange: str, events_exchange: str, keys: Sequence[str]
) -> bool:
    """Bind a service's publishing exchange to the events exchange for exactly `keys` (both must
    exist). False where the broker refuses it (403): a deployment's service user may not write
    to `rtw.events`, and `rtw broker setup` made these bindings. Closes the channel it is given."""
    try:
        events = await channel.get_exchange(events_exchange, ensure=False)
        for key in keys:
            await events.bind(publish_exchange, routing_key=key)
    except ChannelAccessRefused:
        return False
    finally:
        with contextlib.suppress(Exception):
            if not channel.is_closed:
                await channel.close()
    return True


class AmqpEventPublisher:
    """Publishes outbox batches with aio-pika: persistent, publisher confirms, pipelined.

    A service publishes to its own exchange `rtw.publish.<service>` (`exchange`), which carries
    only its own routing keys on to `rtw.events` (`binds_to`: the events exchange and those keys,
    bound here where this publisher has to make the exchange itself, as in local runs)."""

    window = 200
    """Publishes awaiting their confirm at once."""
    timeout_s = 15.0
    """How long one publish may wait for its confirm."""

    def __init__(
        self,
        url: str,
        exchange: RabbitExchange,
        *,
        app_id: str,
        binds_to: tuple[str, Sequence[str]] | None = None,
    ) -> None:
        self._url = url
        self._exchange_name = exchange.name
        self._app_id = app_id
        self._binds_to = binds_to
        # RabbitMQ refuses a user_id that is not the connection's user: consumers can trust it.
        self._user_id = amqp_user(url)
        self._connection: aio_pika.abc.AbstractRobustConnection | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._lock = asyncio.Lock()

    async def _ensure(self) -> aio_pika.abc.AbstractExchange:
        async with self._lock:
            if self._exchange is None or self._connection is None or self._connection.is_closed:
                if self._connection is not None:
                    await self.close()
                self._connection = await aio_pika.connect_robust(self._url, timeout=10)
                channel = await self._connection.channel(publisher_confirms=True)
                try:
                    # Passively: a service's broker user may not configure the exchange.
                    self._exchange = await channel.get_exchange(self._exchange_name, ensure=True)
                except aio_pika.exceptions.ChannelNotFoundEntity:
                    # Missing (a local run or a test, as an administrator): made here, with its
                    # bindings (before the service declared them: the relay may start first).
                    channel = await self._connection.channel(publisher_confirms=True)
                    self._exchange = await channel.declare_exchange(
                        self._exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
                    )
                    if self._binds_to is not None:
                        events, keys = self._binds_to
                        other = await self._connection.channel()
                        await other.declare_exchange(events, aio_pika.ExchangeType.TOPIC, durable=True)
                        await bind_publish_exchange(other, self._exchange_name, events, keys)
            return self._exchange

    async def __call__(self, batch: Sequence[OutboxMessage]) -> None:
        exchange = await self._ensure()
        in_flight = asyncio.Semaphore(self.window)
        published: set[int] = set()

        async def publish(message: OutboxMessage) -> None:
            # The timeout runs from when the message is sent, not from the start of the batch:
            # a large batch on a slow broker is not a failure of its last messages.
            trace = {"messaging.message.id": str(message.event_id), "rtw.event_type": message.event_type}
            async with in_flight:
                with publishing(message.traceparent, message.routing_key, **trace) as headers:
                    await self._publish(exchange, message, headers)
            published.add(message.id)

        results = await asyncio.gather(*(publish(message) for message in batch), return_exceptions=True)
        errors = [result for result in results if isinstance(result, BaseException)]
        if errors:
            raise PartialPublish(published, errors[0])

    async def _publish(
        self, exchange: aio_pika.abc.AbstractExchange, message: OutboxMessage, headers: dict[str, Any]
    ) -> None:
        await exchange.publish(
            aio_pika.Message(
                message.body,
                headers=headers,
                message_id=str(message.event_id),
                correlation_id=str(message.correlation_id),
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                type=message.event_type,
                app_id=self._app_id,
                user_id=self._user_id,
                timestamp=message.created_at,
            ),
            routing_key=message.routing_key,
            timeout=self.timeout_s,
        )

    async def close(self) -> None:
        """Close the connection."""
        connection, self._connection, self._exchange = self._connection, None, None
        if connection is not None:
            # Closing a connection that already died may fail; there is nothing left to do.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=5)


class BrokerEventPublisher:
    """Publishes outbox batches through a FastStream broker (for the in-memory test broker)."""

    def __init__(self, broker: RabbitBroker, exchange: RabbitExchange) -> None:
        self._broker = broker
        self._exchange = exchange

    async def __call__(self, batch: Sequence[OutboxMessage]) -> None:
        for message in batch:
            with publishing(message.traceparent, message.routing_key) as headers:
                await self._publish(message, headers)

    async def _publish(self, message: OutboxMessage, headers: dict[str, Any]) -> None:
        await self._broker.publish(
            message.body,
            headers=headers,
            exchange=self._exchange,
            routing_key=message.routing_key,
            persist=True,
            mandatory=False,
            message_id=str(message.event_id),
            correlation_id=str(message.correlation_id),
            content_type="application/json",
            message_type=message.event_type,
        )

    async def close(self) -> None:
        """Nothing to close: the broker is owned by the runtime."""
