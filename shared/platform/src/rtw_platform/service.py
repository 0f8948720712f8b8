"""A service's definition (what it is) and runtime (engine, broker, relay), wired in one place."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import aio_pika
from fastapi import APIRouter
from faststream.rabbit import RabbitBroker
from faststream.specification import AsyncAPI
from rtw_contracts import Event
from rtw_contracts.topology import dead_letter_queue_name
from sqlalchemy import MetaData, text
from sqlalchemy.orm import registry as Registry

from .consumer_failures import ConsumerFailurePolicy
from .db import create_engine
from .erasure import DeadLetterEraser, with_platform_erasure
from .logging import get_logger
from .messaging import (
    AmqpEventPublisher,
    BrokerEventPublisher,
    Subscription,
    bind_publish_exchange,
    create_broker,
    document_publication,
    subscribe,
)
from .metrics import DEAD_LETTERS, QUEUE_CONSUMERS, QUEUE_MESSAGES
from .outbox import OutboxRelay
from .secret_checks import refuse_unsafe_secrets, warn_if_development_mode
from .sessions import SessionRevocations
from .settings import ServiceSettings
from .topology import Topology, existing
from .tracing import tracer_provider
from .uow import UnitOfWorkFactory

log = get_logger(__name__)


class ClosablePublisher(Protocol):
    async def __call__(self, batch: Sequence[Any]) -> None: ...
    async def close(self) -> None: ...


@dataclass(frozen=True)
class ServiceDefinition:
    """Everything the platform needs to know to run a service."""

    name: str
    title: str
    description: str
    registry: Registry
    package_file: str
    subscriptions: Sequence[Subscription] = ()
    publishes: Sequence[type[Event]] = ()
    routers: Sequence[APIRouter] = ()
    default_port: int = 8000
    version: str = "0.1.0"
    settings_class: type[ServiceSettings] = ServiceSettings
    on_startup: Sequence[Callable[[ServiceRuntime], Any]] = field(default_factory=tuple)
    background: Sequence[Callable[[ServiceRuntime], Awaitable[None]]] = field(default_factory=tuple)
    """Long-running loops of the service (e.g. sending e-mail), started and stopped with it."""
    bind_subscriptions: Callable[[ServiceSettings], Sequence[Subscription]] | None = None
    """The composition root: the handlers bound to one process's settings, made when its runtime
    is (no state built at import time). `subscriptions` then lists the same events with handlers
    of the same names (for the topology, the registry and the docs), which the runtime checks."""

    def subscriptions_for(self, settings: ServiceSettings) -> Sequence[Subscription]:
        """The subscriptions a process with these settings runs."""
        if self.bind_subscriptions is None:
            return self.subscriptions
        bound = tuple(self.bind_subscriptions(settings))
        listed = [(s.event, s.name) for s in self.subscriptions]
        if [(s.event, s.name) for s in bound] != listed:
            raise ValueError(f"{self.name}: the bound subscriptions differ from the listed ones")
        return bound

    @property
    def metadata(self) -> MetaData:
        """The service's tables, in its own schema."""
        return self.registry.metadata

    @property
    def schema(self) -> str:
        """The PostgreSQL schema the service owns."""
        return self.metadata.schema or self.name

    @property
    def migrations_dir(self) -> Path:
        """`services/<svc>/migrations` (beside `src/`)."""
        return Path(self.package_file).resolve().parents[2] / "migrations"

    def settings(self, **overrides: Any) -> ServiceSettings:
        """Settings from the environment (the service's default port unless set), then overrides."""
        settings = self.settings_class()
        if "http_port" not in settings.model_fields_set:
            settings = settings.model_copy(update={"http_port": self.default_port})
        return settings.model_copy(update=overrides) if overrides else settings


class ServiceRuntime:
    """The live parts of one service process: engine, unit of work, broker, relay."""

    def __init__(
        self,
        definition: ServiceDefinition,
        settings: ServiceSettings,
        *,
        in_memory_broker: bool = False,
    ) -> None:
        self.definition = definition
        self.settings = settings
        self.in_memory_broker = in_memory_broker
        self.topology = Topology(definition.name, settings.topology_prefix, settings.delivery_limit)
        self.engine = create_engine(
            settings.sqlalchemy_url(), definition.schema, pool_size=settings.db_pool_size
        )
        self.uow_factory = UnitOfWorkFactory(
            self.engine,
            definition.metadata,
            publishes=frozenset(event.ROUTING_KEY for event in definition.publishes),
        )
        self.sessions = SessionRevocations(self.uow_factory, definition.name, definition.schema)
        self.failure_policy = ConsumerFailurePolicy(
            service=definition.name,
            dead_letter_exchange=self.topology.dead_letter_exchange,
            delivery_limit=settings.delivery_limit,
        )
        if not in_memory_broker:
            self.failure_policy.publishers = settings.publishers()
        self.broker: RabbitBroker = create_broker(
            settings.amqp_url.get_secret_value(),
            self.topology,
            prefetch=settings.prefetch,
            failure_policy=self.failure_policy,
            tracer_provider=tracer_provider(),
        )
        # Every service's CandidateErased handler is followed by the platform's part of erasure
        # (the person's outbox rows and dead letters): see erasure.py.
        dead_letters = (
            None
            if in_memory_broker  # no DLQs are declared for the in-memory broker
            else DeadLetterEraser(
                settings.amqp_url.get_secret_value(),
                tuple(self.topology.queue_name(s.event) for s in definition.subscriptions),
            )
        )
        #: Erases a person's dead letters from this service's DLQs (None on the in-memory broker);
        #: the erasure wrapper calls it, and a service that publishes CandidateErased itself
        #: (applications) calls it after its own erasure.
        self.dead_letter_eraser = dead_letters
        self.batchers = [
            subscribe(
                self.broker,
                self.topology,
                with_platform_erasure(subscription, dead_letters=dead_letters),
                self.uow_factory,
                max_batch=settings.prefetch,
                publishers=None if in_memory_broker else settings.publishers(),
            )
            for subscription in definition.subscriptions_for(settings)
        ]
        for event in definition.publishes:
            document_publication(self.broker, self.topology, event)
        self.publisher: ClosablePublisher = (
            BrokerEventPublisher(self.broker, self.topology.events_exchange)
            if in_memory_broker
            else AmqpEventPublisher(
                settings.amqp_url.get_secret_value(),
                self.topology.publish_exchange,
                app_id=definition.name,
                binds_to=(self.topology.events_exchange.name, self.publish_keys),
            )
        )
        self.relay = OutboxRelay(
            database_url=settings.sqlalchemy_url(),
            schema=definition.schema,
            publish=self.publisher,
            service=definition.name,
            batch_size=settings.relay_batch_size,
            poll_interval_s=settings.relay_poll_interval_s,
            keep_published_for=timedelta(days=settings.outbox_keep_published_days),
        )
        if settings.relay_enabled:
            # Commits made in this process wake its relay directly (no NOTIFY, which serialises
            # commits); other writers (CLI commands, processes without a relay) still NOTIFY.
            self.uow_factory.wake_relay_in_process(self.relay.wake)
        self.broker_connected = asyncio.Event()
        self._connect_task: asyncio.Task[None] | None = None
        self._background: list[asyncio.Task[None]] = []
        self.state: dict[str, Any] = {}

    @property
    def queue_names(self) -> list[str]:
        """The queues this service consumes from."""
        return [self.topology.queue_name(s.event) for s in self.definition.subscriptions]

    async def start(self) -> None:
        """Start consuming and relaying. If the broker is away, keep trying in the background:
        the HTTP API serves meanwhile and events wait in the outbox. Refuses (`UnsafeSecrets`)
        on a public, short or missing secret outside development mode."""
        refuse_unsafe_secrets(self.settings)
        warn_if_development_mode(self.settings)
        await self.sessions.start()
        for hook in self.definition.on_startup:
            result = hook(self)
            if asyncio.iscoroutine(result):
                await result
        if self.in_memory_broker:
            self.broker_connected.set()
        else:
            try:
                await self._connect_broker()
            except Exception as exc:
                log.warning("broker_unreachable_at_start", error=repr(exc))
                self._connect_task = asyncio.create_task(self._connect_broker_until_up())
        if self.settings.relay_enabled:
            await self.relay.start()
        for loop in self.definition.background:
            self._background.append(asyncio.create_task(_keep_running(loop, self), name=loop.__name__))

    async def _connect_broker(self) -> None:
        await self.broker.connect()
        await self.declare_topology()
        await self.broker.start()
        self.broker_connected.set()
        log.info("broker_connected", queues=self.queue_names)

    async def _connect_broker_until_up(self) -> None:
        pause = 1.0
        while True:
            await asyncio.sleep(pause)
            try:
                await self._connect_broker()
                return
            except Exception as exc:
                pause = min(pause * 2, 15.0)
                log.warning("broker_still_unreachable", error=repr(exc), retry_in_s=pause)
                with contextlib.suppress(Exception):
                    await self.broker.stop()

    @property
    def publish_keys(self) -> list[str]:
        """The routing keys this service publishes: its publishing exchange carries exactly these
        on to the events exchange."""
        return sorted({event.ROUTING_KEY for event in self.definition.publishes})

    async def declare_topology(self) -> None:
        """Declare the exchanges (with the publishing exchange's bindings, where this service may
        make them) and each consumed queue's DLQ (the queues come with consumers)."""
        declared = []
        found: dict[str, bool] = {}
        topology = self.topology
        for exchange in (topology.events_exchange, topology.dead_letter_exchange, topology.publish_exchange):
            # Passively where it exists (a deployment's setup made it and the service's user may
            # not configure it); created only where it is missing (local runs and tests).
            found[exchange.name] = await self._exchange_exists(exchange.name)
            declared.append(
                await self.broker.declare_exchange(existing(exchange) if found[exchange.name] else exchange)
            )
        if self.publish_keys and (
            not found[topology.publish_exchange.name] or not self.settings.publisher_user
        ):
            # Where it made the exchange, or runs with one broker user for all (local runs and
            # tests: no publisher_user): binding is idempotent, and keeps a local broker's
            # bindings up to date with the keys the service publishes now. A deployment's
            # service user may not bind (no write on the events exchange): `rtw broker setup`
            # binds, and a refusal here is only logged.
            await self._bind_publish_exchange()
        dlx = declared[1]
        for subscription in self.definition.subscriptions:
            name = self.topology.queue_name(subscription.event)
            dlq = await self.broker.declare_queue(self.topology.dead_letter_queue(name))
            await dlq.bind(dlx, routing_key=name)

    async def stop(self) -> None:
        """Stop relaying and consuming (in-flight messages finish), then close connections."""
        for task in self._background:
            task.cancel()
        for task in self._background:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._background.clear()
        await self.sessions.stop()
        if self._connect_task is not None:
            self._connect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._connect_task
        await self.relay.stop()
        with contextlib.suppress(Exception):
            await self.broker.stop()
        for batcher in self.batchers:
            await batcher.close()
        await self.publisher.close()
        await self.engine.dispose()

    async def check_database(self) -> bool:
        """True if a query answers."""
        try:
            async with self.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout=3)
            return True
        except Exception:
            return False

    async def check_broker(self) -> bool:
        """True if the broker connection is up."""
        if self.in_memory_broker:
            return True
        if not self.broker_connected.is_set():
            return False
        try:
            return bool(await self.broker.ping(timeout=3))
        except Exception:
            return False

    async def _bind_publish_exchange(self) -> None:
        connection = self.broker._connection  # faststream gives no other access
        if connection is None:
            return
        bound = await bind_publish_exchange(
            await connection.channel(),
            self.topology.publish_exchange.name,
            self.topology.events_exchange.name,
            self.publish_keys,
        )
        if not bound:
            log.info("publish_bindings_left_to_broker_setup", exchange=self.topology.publish_exchange.name)

    async def _exchange_exists(self, name: str) -> bool:
        """Whether the exchange exists, asked on a channel of its own (a missing exchange closes
        the channel that asked)."""
        connection = self.broker._connection  # faststream gives no other access
        if connection is None:
            return False
        channel = await connection.channel()
        try:
            await channel.declare_exchange(name, passive=True, robust=False)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            return False
        finally:
            with contextlib.suppress(Exception):
                if not channel.is_closed:
                    await channel.close()
        return True

    async def _declare_passively(self, names: list[str]) -> dict[str, tuple[int, int] | None] | None:
        """(messages ready, consumers) of each queue as the broker reports them, None for a queue
        that does not exist; None in all when the broker cannot be asked."""
        connection = getattr(self.broker, "_connection", None)
        if connection is None or not self.broker_connected.is_set():
            return None
        found: dict[str, tuple[int, int] | None] = {}
        try:
            channel = await asyncio.wait_for(connection.channel(), timeout=3)
        except Exception:
            return None
        try:
            for name in names:
                if channel.is_closed:  # a queue that does not exist closes the channel
                    channel = await asyncio.wait_for(connection.channel(), timeout=3)
                try:
                    queue = await channel.declare_queue(name, passive=True, robust=False, timeout=3)
                    result = queue.declaration_result
                    found[name] = (int(result.message_count or 0), int(result.consumer_count or 0))
                except Exception:
                    found[name] = None
        except Exception:
            return None
        finally:
            with contextlib.suppress(Exception):
                if not channel.is_closed:
                    await asyncio.wait_for(channel.close(), timeout=3)
        return found

    async def queues_without_consumer(self) -> list[str]:
        """The consumed queues the broker reports no consumer on (readiness): a queue nobody
        consumes fills up unseen. Every queue is reported when the broker cannot be asked."""
        if self.in_memory_broker or not self.queue_names:
            return []
        found = await self._declare_passively(list(self.queue_names))
        if found is None:
            return list(self.queue_names)
        return [name for name, depth in found.items() if depth is None or depth[1] == 0]

    async def observe_queues(self) -> None:
        """Set the queue gauges for Prometheus: messages waiting in each consumed queue (consumer
        lag), its consumers, and the dead letters in its DLQ. Left as they were when the broker
        cannot be asked."""
        if self.in_memory_broker or not self.queue_names:
            return
        dead_letter_queues = {name: dead_letter_queue_name(name) for name in self.queue_names}
        found = await self._declare_passively([*self.queue_names, *dead_letter_queues.values()])
        if found is None:
            return
        service = self.definition.name
        for name, dlq in dead_letter_queues.items():
            depth = found.get(name)
            if depth is not None:
                QUEUE_MESSAGES.labels(service, name).set(depth[0])
                QUEUE_CONSUMERS.labels(service, name).set(depth[1])
            dead = found.get(dlq)
            DEAD_LETTERS.labels(service, name).set(dead[0] if dead is not None else 0)

    def asyncapi(self) -> dict[str, Any]:
        """The service's AsyncAPI 3.0 document."""
        spec = AsyncAPI(
            self.broker,
            title=f"Return to Work: {self.definition.title}",
            version=self.definition.version,
            description=self.definition.description,
            schema_version="3.0.0",
        ).to_specification()
        document: dict[str, Any] = json.loads(spec.to_json())
        return document


async def _keep_running(loop: Callable[[ServiceRuntime], Awaitable[None]], runtime: ServiceRuntime) -> None:
    """Run a background loop; if it fails, log and start it again after a pause."""
    while True:
        try:
            await loop(runtime)
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("background_loop_failed", loop=loop.__name__, error=repr(exc))
            await asyncio.sleep(5)
