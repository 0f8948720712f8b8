"""Messaging benchmark: the raw limit of the broker and database, and the platform's event hop.

Measures in one run, against the local RabbitMQ and PostgreSQL:

(a) the raw limit
    - raw_e2e: aio-pika, persistent messages with publisher confirms (a bounded window of
      in-flight publishes) into a durable quorum queue, consumed with a manual ack per message;
      messages/s from the first publish to the last ack;
    - asyncpg: one INSERT per transaction (autocommit) on a few concurrent connections;
      commits/s.
(b) the platform hop: a bench service of its own (schema `bench_hop`) whose writers commit events
    to the outbox; the real OutboxRelay + AmqpEventPublisher publish them to the real broker; the
    real consumer path (ServiceRuntime, Subscription, CommitBatcher, inbox) runs a handler that
    adds one domain row per event to its unit of work. Events/s from the first outbox write to the
    last domain row committed (the domain table's count is polled). It runs twice:
    - the hop itself (its figure is the JSON's `platform_hop_events_per_s` and `ratio`): writers
      that commit `--events-per-uow` events (50) per transaction, as the platform's own writers of
      most events do — a consumer's batch writes the events of all its messages in one outbox
      statement, a bulk import 250 applications' — so that the figure is the hop's, not the cost
      of one database transaction per event before it;
    - for comparison, writers that commit one event per transaction (an HTTP request that
      publishes one event), eight at once: there the writers' own transactions are the limit.
    By default the writers and their relay run in a process of their own (the producing service),
    the consumer in this one; `--same-process` runs everything here.

Everything it creates (a scratch database `rtw_bench_<random>`, exchanges and queues under a
random prefix) is deleted at the end. The last line printed is one JSON object with the figures.

    python bench/messaging.py [--events N] [--raw-messages N] [--events-per-uow N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import signal
import sys
import time
import uuid
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aio_pika
import asyncpg
from aio_pika.exceptions import ChannelClosed
from rich.console import Console
from rich.table import Table as RichTable
from rtw_contracts import ApplicationWithdrawn
from rtw_contracts import topology as names
from rtw_contracts.examples import example
from rtw_platform.db import asyncpg_dsn, create_engine, service_registry
from rtw_platform.logging import configure_logging
from rtw_platform.messaging import AmqpEventPublisher, Subscription
from rtw_platform.outbox import OutboxRelay
from rtw_platform.service import ServiceDefinition, ServiceRuntime
from rtw_platform.settings import ServiceSettings
from rtw_platform.topology import Topology
from rtw_platform.uow import UnitOfWork, UnitOfWorkFactory
from sqlalchemy import Column, DateTime, Table, func, text
from sqlalchemy.dialects.postgresql import UUID as PgUUID

DEFAULT_DATABASE_SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"
EVENT = ApplicationWithdrawn
console = Console(width=140)
# Core statements need session.execute; SQLModel's session warns about it regardless.
warnings.filterwarnings(
    "ignore", message=r"\s*🚨 You probably want to use `session.exec", category=DeprecationWarning
)


# --------------------------------------------------------------------------------------------
# The bench service: schema bench_hop, one domain table, one subscription.
# --------------------------------------------------------------------------------------------

SCHEMA = "bench_hop"
REGISTRY = service_registry(SCHEMA)
RECEIVED = Table(
    "received_withdrawals",
    REGISTRY.metadata,
    Column("event_id", PgUUID(as_uuid=True), primary_key=True),
    Column("application_id", PgUUID(as_uuid=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)


class ReceivedWithdrawal:
    """The bench service's domain object: one row per event received."""

    def __init__(self, event_id: uuid.UUID, application_id: uuid.UUID) -> None:
        self.event_id = event_id
        self.application_id = application_id


REGISTRY.map_imperatively(ReceivedWithdrawal, RECEIVED)


async def record_withdrawal(event: ApplicationWithdrawn, uow: UnitOfWork) -> None:
    """The bench handler: one domain row per event, added to the unit of work as the services'
    handlers add theirs (written when the batch's session flushes, in the inbox transaction)."""
    uow.session.add(ReceivedWithdrawal(event.event_id, event.application_id))


BENCH_SERVICE = ServiceDefinition(
    name=SCHEMA,
    title="Bench hop",
    description="Benchmark service: consumes its own ApplicationWithdrawn events.",
    registry=REGISTRY,
    package_file=__file__,
    subscriptions=(Subscription(EVENT, record_withdrawal, "record_withdrawal"),),
    publishes=(EVENT,),
)


# --------------------------------------------------------------------------------------------
# Scratch resources and their clean-up
# --------------------------------------------------------------------------------------------


def with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


@dataclass
class Scratch:
    """What this run created, so that it can all be deleted."""

    server_url: str
    amqp_url: str
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:10])
    database_created: bool = False
    queues: set[str] = field(default_factory=set)
    exchanges: set[str] = field(default_factory=set)

    @property
    def database(self) -> str:
        return f"rtw_bench_{self.token}"

    @property
    def prefix(self) -> str:
        return f"bench{self.token}."

    @property
    def database_url(self) -> str:
        return with_database(self.server_url, self.database)

    async def create_database(self) -> None:
        conn = await asyncpg.connect(asyncpg_dsn(self.server_url))
        try:
            await conn.execute(f'CREATE DATABASE "{self.database}"')
            self.database_created = True
        finally:
            await conn.close()

    async def purge_queues(self) -> None:
        """Empty the queues made so far (a hop starts from none left by the one before)."""

        async def purge(channel: aio_pika.abc.AbstractChannel, name: str) -> None:
            queue = await channel.declare_queue(name, passive=True)
            await queue.purge()

        await self._on_each(sorted(self.queues), purge)

    async def _on_each(
        self,
        names: list[str],
        action: Callable[[aio_pika.abc.AbstractChannel, str], Awaitable[object]],
    ) -> None:
        """`action(channel, name)` for each broker name, on a channel of its own (an action on a
        name that does not exist closes its channel, and is skipped)."""
        if not names:
            return
        connection = await aio_pika.connect(self.amqp_url, timeout=10)
        try:
            for name in names:
                channel = await connection.channel()
                with contextlib.suppress(ChannelClosed):
                    await action(channel, name)
                if not channel.is_closed:
                    await channel.close()
        finally:
            await connection.close()

    async def cleanup(self) -> list[str]:
        problems: list[str] = []
        try:
            await self._on_each(sorted(self.queues), lambda channel, name: channel.queue_delete(name))
            await self._on_each(sorted(self.exchanges), lambda channel, name: channel.exchange_delete(name))
        except Exception as exc:
            problems.append(f"broker clean-up failed: {exc!r} (names under {self.prefix})")
        if self.database_created:
            try:
                conn = await asyncpg.connect(asyncpg_dsn(self.server_url))
                try:
                    await conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
                finally:
                    await conn.close()
            except Exception as exc:
                problems.append(f"dropping {self.database} failed: {exc!r}")
        return problems


def sample_body() -> bytes:
    """The same JSON body the platform sends for the bench event."""
    return json.dumps(example(EVENT).model_dump(mode="json")).encode()


# --------------------------------------------------------------------------------------------
# (a) raw limit: aio-pika end to end
# --------------------------------------------------------------------------------------------


@dataclass
class RawResult:
    messages: int
    seconds: float
    publish_seconds: float
    cpu_seconds: float
    """CPU time of this (publishing and consuming) process during the run."""

    @property
    def per_s(self) -> float:
        return self.messages / self.seconds


async def raw_e2e(scratch: Scratch, messages: int, *, window: int, prefetch: int, warmup: int) -> RawResult:
    exchange_name = f"{scratch.prefix}raw.events"
    queue_name = f"{scratch.prefix}raw.queue"
    scratch.exchanges.add(exchange_name)
    scratch.queues.add(queue_name)
    routing_key = EVENT.ROUTING_KEY
    body = sample_body()

    pub_conn = await aio_pika.connect(scratch.amqp_url, timeout=10)
    con_conn = await aio_pika.connect(scratch.amqp_url, timeout=10)
    try:
        pub_channel = await pub_conn.channel(publisher_confirms=True)
        exchange = await pub_channel.declare_exchange(
            exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        con_channel = await con_conn.channel()
        await con_channel.set_qos(prefetch_count=prefetch)
        queue = await con_channel.declare_queue(
            queue_name, durable=True, arguments={"x-queue-type": "quorum"}
        )
        await queue.bind(exchange_name, routing_key=routing_key)

        loop = asyncio.get_running_loop()
        state: dict[str, Any] = {"acked": 0, "target": 0, "done": loop.create_future()}

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            await message.ack()
            state["acked"] += 1
            if state["acked"] >= state["target"] and not state["done"].done():
                state["done"].set_result(time.perf_counter())

        await queue.consume(on_message, no_ack=False)

        async def run(count: int) -> tuple[float, float, float]:
            state["acked"] = 0
            state["target"] = count
            state["done"] = loop.create_future()
            in_flight = asyncio.Semaphore(window)
            tasks: set[asyncio.Task[Any]] = set()

            async def publish_one() -> None:
                try:
                    await exchange.publish(
                        aio_pika.Message(
                            body,
                            message_id=str(uuid.uuid4()),
                            correlation_id=str(uuid.uuid4()),
                            content_type="application/json",
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                            type=EVENT.__name__,
                            app_id="rtw-bench-raw",
                        ),
                        routing_key=routing_key,
                        timeout=30,
                    )
                finally:
                    in_flight.release()

            start = time.perf_counter()
            for _ in range(count):
                await in_flight.acquire()
                task = asyncio.create_task(publish_one())
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            if tasks:
                await asyncio.gather(*tasks)  # every confirm received (raises if any failed)
            published = time.perf_counter()
            finished = await asyncio.wait_for(state["done"], timeout=300)
            return start, published, finished

        if warmup:
            await run(warmup)
        cpu = time.process_time()
        start, published, finished = await run(messages)
        cpu = time.process_time() - cpu
        return RawResult(messages, finished - start, published - start, cpu)
    finally:
        await pub_conn.close()
        await con_conn.close()


# --------------------------------------------------------------------------------------------
# (a) raw limit: asyncpg one-row commits
# --------------------------------------------------------------------------------------------


@dataclass
class CommitResult:
    commits: int
    seconds: float
    connections: int

    @property
    def per_s(self) -> float:
        return self.commits / self.seconds


async def asyncpg_commits(scratch: Scratch, *, connections: int, seconds: float) -> CommitResult:
    dsn = asyncpg_dsn(scratch.database_url)
    setup = await asyncpg.connect(dsn)
    try:
        await setup.execute(
            "CREATE TABLE public.bench_raw_commits (id bigserial PRIMARY KEY,"
            " event_id uuid NOT NULL, payload jsonb NOT NULL,"
            " created_at timestamptz NOT NULL DEFAULT now())"
        )
    finally:
        await setup.close()
    payload = sample_body().decode()
    sql = "INSERT INTO public.bench_raw_commits (event_id, payload) VALUES ($1, $2::jsonb)"
    conns = [await asyncpg.connect(dsn) for _ in range(connections)]
    try:
        for conn in conns:  # warm up: prepare the statement
            await conn.execute(sql, uuid.uuid4(), payload)
        deadline = time.perf_counter() + seconds
        counts = [0] * connections

        async def worker(index: int, conn: asyncpg.Connection) -> None:
            while time.perf_counter() < deadline:
                await conn.execute(sql, uuid.uuid4(), payload)  # autocommit: one transaction
                counts[index] += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker(i, c) for i, c in enumerate(conns)))
        elapsed = time.perf_counter() - start
        return CommitResult(sum(counts), elapsed, connections)
    finally:
        for conn in conns:
            await conn.close()


# --------------------------------------------------------------------------------------------
# (b) the platform hop
# --------------------------------------------------------------------------------------------


@dataclass
class HopResult:
    events: int
    producers: int
    seconds: float
    produced_s: float
    relayed_s: float | None
    settings: dict[str, Any]
    consumer_cpu_seconds: float
    """CPU time of the service process (relay, consumer, and producers unless in a process of
    their own) during the measured run."""
    producer_cpu_seconds: float | None
    """CPU time of the producer process, if the producers ran in one."""

    @property
    def per_s(self) -> float:
        return self.events / self.seconds


def make_events(count: int) -> list[ApplicationWithdrawn]:
    base = example(EVENT)
    return [
        base.model_copy(update={"event_id": uuid.uuid4(), "application_id": uuid.uuid4()})
        for _ in range(count)
    ]


async def produce(
    uow_factory: UnitOfWorkFactory,
    events: list[ApplicationWithdrawn],
    producers: int,
    per_uow: int = 1,
) -> float:
    """Commit the events, `per_uow` per unit of work (a use case), from `producers` concurrent
    tasks; returns when the last one committed."""
    queue: asyncio.Queue[ApplicationWithdrawn] = asyncio.Queue()
    for event in events:
        queue.put_nowait(event)

    async def producer() -> None:
        while not queue.empty():
            chunk = [queue.get_nowait() for _ in range(min(per_uow, queue.qsize()))]
            async with uow_factory() as uow:
                uow.publish(*chunk)
                await uow.commit()

    await asyncio.gather(*(producer() for _ in range(producers)))
    return time.perf_counter()


def producer_process(
    database_url: str,
    amqp_url: str,
    prefix: str,
    count: int,
    warmup: int,
    producers: int,
    per_uow: int,
    pool_size: int,
    relay_batch_size: int,
    relay_poll_interval_s: float,
    ready: Any,
    go: Any,
    results: Any,
) -> None:
    """The producing service in a process of its own (the default): its use cases commit events
    to its outbox and its own relay publishes them, as a deployed service does."""
    configure_logging("bench-producer", level="WARNING", json=False)

    async def run() -> tuple[float, float]:
        engine = create_engine(database_url, SCHEMA, pool_size=pool_size)
        topology = Topology(SCHEMA, prefix, ServiceSettings().delivery_limit)
        publisher = AmqpEventPublisher(amqp_url, topology.events_exchange, app_id="rtw-bench-producer")
        relay = OutboxRelay(
            database_url=database_url,
            schema=SCHEMA,
            publish=publisher,
            service="bench-producer",
            batch_size=relay_batch_size,
            poll_interval_s=relay_poll_interval_s,
        )
        try:
            uow_factory = UnitOfWorkFactory(engine, REGISTRY.metadata)
            uow_factory.wake_relay_in_process(relay.wake)  # as ServiceRuntime wires it
            events = make_events(count)
            await relay.start()
            await produce(uow_factory, make_events(max(warmup, producers)), producers)  # warm up
            ready.set()
            await asyncio.get_running_loop().run_in_executor(None, go.wait)
            cpu = time.process_time()
            produced_at = await produce(uow_factory, events, producers, per_uow)
            while await relay.backlog():  # noqa: ASYNC110 (polls the database)
                await asyncio.sleep(0.02)
            return produced_at, time.process_time() - cpu
        finally:
            await relay.stop()
            await publisher.close()
            await engine.dispose()

    try:
        results.put(("ok", *asyncio.run(run())))
    except BaseException as exc:
        results.put(("error", repr(exc)))
        raise


async def create_bench_schema(database_url: str) -> None:
    """The bench service's schema, created if missing and emptied (each hop starts from none)."""
    engine = create_engine(database_url, SCHEMA, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}"))
            await conn.run_sync(REGISTRY.metadata.create_all)
            tables = ", ".join(f"{SCHEMA}.{name}" for name in (RECEIVED.name, "outbox", "inbox"))
            await conn.execute(text(f"TRUNCATE {tables}"))
    finally:
        await engine.dispose()


async def platform_hop(
    scratch: Scratch,
    events: int,
    *,
    producers: int,
    per_uow: int,
    warmup: int,
    prefetch: int,
    relay_batch_size: int,
    db_pool_size: int,
    relay_poll_interval_s: float,
    producer_in_process: bool,
) -> HopResult:
    await create_bench_schema(scratch.database_url)
    await scratch.purge_queues()
    overrides: dict[str, Any] = {
        "database_url": scratch.database_url,
        "amqp_url": scratch.amqp_url,
        "topology_prefix": scratch.prefix,
        "prefetch": prefetch,
        "relay_batch_size": relay_batch_size,
        "db_pool_size": db_pool_size,
        "relay_poll_interval_s": relay_poll_interval_s,
        "development_mode": True,  # a scratch service: the public default secrets will do
    }
    if producer_in_process:
        overrides["relay_enabled"] = False  # the producing service's process relays its outbox
    settings = ServiceSettings(**overrides)
    runtime = ServiceRuntime(BENCH_SERVICE, settings)
    topology = runtime.topology
    for subscription in BENCH_SERVICE.subscriptions:
        queue = topology.queue_name(subscription.event)
        scratch.queues.update({queue, names.dead_letter_queue_name(queue)})
    scratch.exchanges.update({topology.events_exchange.name, topology.dead_letter_exchange.name})

    warm = [] if producer_in_process else make_events(warmup)
    measured = [] if producer_in_process else make_events(events)

    poller = await asyncpg.connect(asyncpg_dsn(scratch.database_url))
    count_sql = f"SELECT count(*) FROM {SCHEMA}.{RECEIVED.name}"
    published_sql = f"SELECT count(*) FROM {SCHEMA}.outbox WHERE published_at IS NOT NULL"

    async def wait_for(target: int, timeout: float) -> tuple[float, float | None]:
        """Poll until `target` domain rows exist; when that happened and when the outbox emptied."""
        deadline = time.perf_counter() + timeout
        relayed_at: float | None = None
        while True:
            now = time.perf_counter()
            if relayed_at is None and await poller.fetchval(published_sql) >= target:
                relayed_at = now
            if await poller.fetchval(count_sql) >= target:
                return time.perf_counter(), relayed_at
            if now > deadline:
                got = await poller.fetchval(count_sql)
                raise TimeoutError(f"platform hop: {got}/{target} domain rows after {timeout}s")
            await asyncio.sleep(0.02)

    process: multiprocessing.process.BaseProcess | None = None
    producing: asyncio.Task[float] | None = None
    loop = asyncio.get_running_loop()
    try:
        await runtime.start()
        if not runtime.broker_connected.is_set():
            raise RuntimeError("the bench runtime could not connect to the broker")
        if warm:
            await produce(runtime.uow_factory, warm, producers)
            await wait_for(len(warm), timeout=60)
        timeout = max(60.0, events / 20)  # generous: 20 events/s would still finish
        if producer_in_process:
            context = multiprocessing.get_context("spawn")
            ready, go, results = context.Event(), context.Event(), context.Queue()
            process = context.Process(
                target=producer_process,
                args=(
                    scratch.database_url,
                    scratch.amqp_url,
                    scratch.prefix,
                    events,
                    warmup,
                    producers,
                    per_uow,
                    db_pool_size,
                    relay_batch_size,
                    relay_poll_interval_s,
                    ready,
                    go,
                    results,
                ),
                name="bench-producer",
            )
            process.start()
            if not await loop.run_in_executor(None, ready.wait, 60):
                raise RuntimeError("the producer process did not get ready")
            warm_count = await poller.fetchval(f"SELECT count(*) FROM {SCHEMA}.outbox")
            await wait_for(warm_count, timeout=60)
            warmup = warm_count
            cpu = time.process_time()
            start = time.perf_counter()
            go.set()
            finished, relayed_at = await wait_for(warmup + events, timeout=timeout)
            cpu = time.process_time() - cpu
            status, *values = await loop.run_in_executor(None, results.get, True, 60)
            if status != "ok":
                raise RuntimeError(f"the producer process failed: {values[0]}")
            produced_at, producer_cpu = float(values[0]), float(values[1])
        else:
            cpu = time.process_time()
            start = time.perf_counter()
            producing = asyncio.create_task(produce(runtime.uow_factory, measured, producers, per_uow))
            finished, relayed_at = await wait_for(warmup + events, timeout=timeout)
            cpu = time.process_time() - cpu
            produced_at = await producing
            producer_cpu = None
    finally:
        if producing is not None and not producing.done():
            producing.cancel()
            with contextlib.suppress(BaseException):
                await producing
        if process is not None:
            process.join(timeout=10)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
        with contextlib.suppress(Exception):
            await poller.close()
        await runtime.stop()
    return HopResult(
        events=events,
        producers=producers,
        seconds=finished - start,
        produced_s=produced_at - start,
        relayed_s=None if relayed_at is None else relayed_at - start,
        settings={
            "prefetch": prefetch,
            "relay_batch_size": relay_batch_size,
            "db_pool_size": db_pool_size,
            "relay_poll_interval_s": relay_poll_interval_s,
            "producer_process": producer_in_process,
            "events_per_uow": per_uow,
        },
        consumer_cpu_seconds=cpu,
        producer_cpu_seconds=producer_cpu,
    )


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def report(
    raw: RawResult,
    commits: CommitResult,
    hops: list[tuple[HopResult, str, str]],
    args: argparse.Namespace,
) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    table = RichTable(
        title="Messaging benchmark (local RabbitMQ + PostgreSQL)",
        caption=f"{os.cpu_count()} CPUs; load average at the end (1, 5, 15 min): {load}",
    )
    table.add_column("measure")
    table.add_column("setup")
    table.add_column("count", justify="right")
    table.add_column("seconds", justify="right")
    table.add_column("per second", justify="right")
    table.add_column("Python CPU per message", justify="right")
    table.add_row(
        "raw e2e (aio-pika → quorum queue → ack)",
        f"persistent, confirms, window {args.raw_window}, prefetch {args.raw_prefetch}",
        f"{raw.messages}",
        f"{raw.seconds:.2f}",
        f"{raw.per_s:,.0f} msg/s",
        f"{1000 * raw.cpu_seconds / raw.messages:.2f} ms",
    )
    table.add_row(
        "  of which: publish + confirms",
        "",
        f"{raw.messages}",
        f"{raw.publish_seconds:.2f}",
        f"{raw.messages / raw.publish_seconds:,.0f} msg/s",
    )
    table.add_row(
        "asyncpg one-row commits",
        f"{commits.connections} connections, autocommit INSERT",
        f"{commits.commits}",
        f"{commits.seconds:.2f}",
        f"{commits.per_s:,.0f} commits/s",
    )
    for hop, label, target in hops:
        s = hop.settings
        hop_cpu = hop.consumer_cpu_seconds + (hop.producer_cpu_seconds or 0.0)
        table.add_row(
            f"platform hop, {label} (outbox → relay → broker → inbox + domain row)",
            f"{hop.producers} producers, {s['events_per_uow']} event(s) per UoW "
            f"({'own process, with its relay' if s['producer_process'] else 'same process'}); prefetch "
            f"{s['prefetch']}, relay batch {s['relay_batch_size']}, pool {s['db_pool_size']}",
            f"{hop.events}",
            f"{hop.seconds:.2f}",
            f"{hop.per_s:,.0f} events/s",
            f"{1000 * hop_cpu / hop.events:.2f} ms",
        )
        table.add_row(
            "  of which: producers committed to the outbox",
            "",
            f"{hop.events}",
            f"{hop.produced_s:.2f}",
            f"{hop.events / hop.produced_s:,.0f} events/s",
        )
        if hop.producer_cpu_seconds is not None:
            table.add_row(
                "  of which: producer process CPU",
                "",
                "",
                "",
                "",
                f"{1000 * hop.producer_cpu_seconds / hop.events:.2f} ms",
            )
        if hop.relayed_s is not None:
            table.add_row(
                "  of which: outbox emptied by the relay",
                "",
                f"{hop.events}",
                f"{hop.relayed_s:.2f}",
                f"{hop.events / hop.relayed_s:,.0f} events/s",
            )
        ratio = hop.per_s / raw.per_s
        table.add_row(f"ratio platform hop / raw e2e ({label})", target, "", "", f"{ratio:.2f}", "")
    console.print(table)


def add_server_arguments(parser: argparse.ArgumentParser) -> None:
    """--database-server-url and --amqp-url: the servers the scratch names are made on."""
    parser.add_argument(
        "--database-server-url",
        default=DEFAULT_DATABASE_SERVER,
        help="admin URL of the PostgreSQL server (a scratch database is created on it)",
    )
    parser.add_argument("--amqp-url", default=DEFAULT_AMQP_URL)


def run_benchmark(
    main: Callable[[argparse.Namespace], Awaitable[dict[str, Any]]], args: argparse.Namespace
) -> None:
    """Run a benchmark's `main` and print its figures as the last line, one JSON object. SIGTERM
    cancels the run like Ctrl-C does, so that its clean-up still happens."""

    async def cancellable() -> dict[str, Any]:
        task = asyncio.current_task()
        assert task is not None
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await main(args)

    try:
        figures = asyncio.run(cancellable())
    except (KeyboardInterrupt, asyncio.CancelledError):
        console.print("[red]interrupted; scratch database and broker names deleted[/]")
        sys.exit(130)
    sys.stdout.flush()
    print(json.dumps(figures))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    defaults = ServiceSettings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=5000, help="events through the platform hop")
    parser.add_argument("--raw-messages", type=int, default=20000, help="raw aio-pika messages")
    parser.add_argument("--raw-window", type=int, default=500, help="raw in-flight publishes")
    parser.add_argument("--raw-prefetch", type=int, default=500, help="raw consumer prefetch")
    parser.add_argument("--commit-seconds", type=float, default=5.0)
    parser.add_argument("--commit-connections", type=int, default=4)
    parser.add_argument("--producers", type=int, default=8, help="concurrent outbox producers")
    parser.add_argument(
        "--events-per-uow",
        type=int,
        default=50,
        help="events each writer commits in the main hop (a consumer's batch, a bulk import)",
    )
    parser.add_argument(
        "--no-single-event-hop",
        action="store_true",
        help="skip the second hop, whose writers commit one event each (an HTTP request)",
    )
    parser.add_argument("--prefetch", type=int, default=defaults.prefetch)
    parser.add_argument("--relay-batch-size", type=int, default=defaults.relay_batch_size)
    parser.add_argument("--db-pool-size", type=int, default=defaults.db_pool_size)
    parser.add_argument("--relay-poll-interval", type=float, default=defaults.relay_poll_interval_s)
    parser.add_argument(
        "--same-process",
        action="store_true",
        help="run the producers and the relay in the consuming process (by default they run in a"
        " process of their own, as the producing service does in a deployment)",
    )
    parser.add_argument("--warmup", type=int, default=200, help="warm-up messages/events")
    add_server_arguments(parser)
    return parser.parse_args(argv)


async def main(args: argparse.Namespace) -> dict[str, float]:
    scratch = Scratch(args.database_server_url, args.amqp_url)
    try:
        await scratch.create_database()
        console.print(f"[dim]scratch database {scratch.database}, broker prefix {scratch.prefix}[/]")
        console.print(f"[dim]raw e2e: {args.raw_messages} messages…[/]")
        raw = await raw_e2e(
            scratch,
            args.raw_messages,
            window=args.raw_window,
            prefetch=args.raw_prefetch,
            warmup=args.warmup,
        )
        console.print(f"[dim]asyncpg commits: {args.commit_seconds}s…[/]")
        commits = await asyncpg_commits(
            scratch, connections=args.commit_connections, seconds=args.commit_seconds
        )
        runs = [(args.events_per_uow, "target ≥ 0.5")]
        if not args.no_single_event_hop and args.events_per_uow != 1:
            runs.append((1, "(for comparison)"))
        hops: list[tuple[HopResult, str, str]] = []
        for per_uow, target in runs:
            label = f"writers of {per_uow} event{'s' if per_uow > 1 else ''} per transaction"
            console.print(f"[dim]platform hop, {label}: {args.events} events…[/]")
            hop = await platform_hop(
                scratch,
                args.events,
                producers=args.producers,
                per_uow=per_uow,
                warmup=args.warmup,
                prefetch=args.prefetch,
                relay_batch_size=args.relay_batch_size,
                db_pool_size=args.db_pool_size,
                relay_poll_interval_s=args.relay_poll_interval,
                producer_in_process=not args.same_process,
            )
            hops.append((hop, label, target))
    finally:
        problems = await scratch.cleanup()
        for problem in problems:
            console.print(f"[red]{problem}[/]")
    report(raw, commits, hops, args)
    main_hop = hops[0][0]
    figures: dict[str, float] = {
        "raw_e2e_msgs_per_s": round(raw.per_s, 1),
        "asyncpg_commits_per_s": round(commits.per_s, 1),
        "events_per_writer_transaction": args.events_per_uow,
        "platform_hop_events_per_s": round(main_hop.per_s, 1),
        "ratio": round(main_hop.per_s / raw.per_s, 3),
    }
    if len(hops) > 1:
        single = hops[1][0]
        figures["single_event_writers_hop_events_per_s"] = round(single.per_s, 1)
        figures["single_event_writers_ratio"] = round(single.per_s / raw.per_s, 3)
    return figures


if __name__ == "__main__":
    arguments = parse_args()
    configure_logging("bench", level="WARNING", json=False)
    run_benchmark(main, arguments)
