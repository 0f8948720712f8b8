"""pytest fixtures: a fresh database per session (every service migrated), a random broker prefix
per test (its exchanges and queues deleted afterwards), and service runtimes to start.

Enable with `pytest_plugins = ["rtw_platform.testing.fixtures"]` in a conftest.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import aio_pika
import asyncpg
import pytest
import pytest_asyncio
from aio_pika.exceptions import ChannelClosed
from fastapi import FastAPI
from rtw_contracts import Event
from rtw_contracts import topology as names

from ..db import asyncpg_dsn
from ..logging import configure_logging
from ..migrations import upgrade
from ..publishers import amqp_user
from ..registry import declared_names, installed_services
from ..service import ServiceDefinition, ServiceRuntime
from ..settings import ServiceSettings
from .infrastructure import Unavailable, broker_server, database_server, skip_or_fail


def pytest_configure(config: pytest.Config) -> None:
    """Tests run in development mode: the services they start (in this process or as processes,
    which inherit the environment) accept the public default secrets. Tests of the refusal
    remove it."""
    os.environ["RTW_DEVELOPMENT_MODE"] = "true"


@pytest.fixture(scope="session")
def database_server_url() -> Iterator[str]:
    """Admin URL of the PostgreSQL server the tests use (skipped without one; failed in CI)."""
    try:
        with database_server() as url:
            yield url
    except Unavailable as exc:
        skip_or_fail(str(exc))


@pytest.fixture(scope="session")
def amqp_url() -> Iterator[str]:
    """URL of the RabbitMQ server the tests use (skipped without one; failed in CI)."""
    try:
        with broker_server() as url:
            yield url
    except Unavailable as exc:
        skip_or_fail(str(exc))


def _with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


@pytest.fixture(scope="session")
def database_url(database_server_url: str) -> Iterator[str]:
    """A fresh database for this test session with every installed service migrated."""
    name = f"rtw_test_{uuid.uuid4().hex[:12]}"
    admin = asyncpg_dsn(database_server_url)

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    url = _with_database(database_server_url, name)
    for definition in installed_services().values():
        upgrade(definition, url)
    try:
        yield url
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest_asyncio.fixture
async def clean_database(database_url: str) -> AsyncIterator[str]:
    """The session database, emptied of every service's rows before the test."""
    conn = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        schemas = [d.schema for d in installed_services().values()]
        rows = await conn.fetch(
            "SELECT schemaname, tablename FROM pg_tables WHERE schemaname = ANY($1::text[])"
            " AND tablename <> 'alembic_version'",
            schemas,
        )
        if rows:
            tables = ", ".join(f'"{r["schemaname"]}"."{r["tablename"]}"' for r in rows)
            await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()
    yield database_url


class BrokerNamespace:
    """A random prefix for one test's exchanges and queues, and their deletion afterwards."""

    def __init__(self, amqp_url: str) -> None:
        self.amqp_url = amqp_url
        self.prefix = f"t{uuid.uuid4().hex[:10]}."
        self.extra_queues: set[str] = set()
        self.extra_exchanges: set[str] = set()

    def names(self) -> tuple[list[str], list[str]]:
        """Every queue and exchange any installed service would declare under the prefix."""
        from .probe import probe_definition

        definitions = [*installed_services().values(), probe_definition()]
        queues, exchanges = declared_names(self.prefix, definitions)
        queues.update(self.extra_queues)
        queues.update(names.dead_letter_queue_name(q) for q in self.extra_queues)
        exchanges.update(self.extra_exchanges)
        return sorted(queues), sorted(exchanges)

    async def publish(self, body: bytes, routing_key: str, message_id: str) -> None:
        """Put a message on the events exchange under the prefix, as another service would."""
        connection = await aio_pika.connect(self.amqp_url, timeout=10)
        try:
            channel = await connection.channel(publisher_confirms=True)
            name = names.exchange_name(names.EVENTS_EXCHANGE, self.prefix)
            exchange = await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
            message = aio_pika.Message(
                body,
                message_id=message_id,
                user_id=amqp_user(self.amqp_url),  # as the platform's publishers do
                content_type="application/json",
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            )
            await exchange.publish(message, routing_key=routing_key)
        finally:
            await connection.close()

    async def publish_event(self, event: Event) -> None:
        """Publish a contract event (persistent, confirmed)."""
        await self.publish(event.model_dump_json().encode(), event.ROUTING_KEY, str(event.event_id))

    async def delete(self) -> None:
        """Delete everything declared under the prefix (missing ones are skipped)."""
        queues, exchanges = self.names()
        connection = await aio_pika.connect(self.amqp_url, timeout=10)
        try:
            for queue in queues:
                channel = await connection.channel()
                with contextlib.suppress(ChannelClosed):
                    await channel.queue_delete(queue)
                if not channel.is_closed:
                    await channel.close()
            for exchange in exchanges:
                channel = await connection.channel()
                with contextlib.suppress(ChannelClosed):
                    await channel.exchange_delete(exchange)
                if not channel.is_closed:
                    await channel.close()
        finally:
            await connection.close()


@pytest_asyncio.fixture
async def broker_namespace(amqp_url: str) -> AsyncIterator[BrokerNamespace]:
    """A random topology prefix for this test, cleaned up afterwards."""
    namespace = BrokerNamespace(amqp_url)
    yield namespace
    await namespace.delete()


RuntimeFactory = Callable[..., Any]


@pytest_asyncio.fixture
async def start_service(
    clean_database: str, broker_namespace: BrokerNamespace
) -> AsyncIterator[RuntimeFactory]:
    """Start service runtimes against the test database and broker prefix; all stop afterwards.

    `await start_service(definition, in_memory_broker=False, **settings)` returns the started
    `ServiceRuntime`.
    """
    configure_logging("tests", level="WARNING", json=True)
    started: list[ServiceRuntime] = []

    async def start(
        definition: ServiceDefinition, *, in_memory_broker: bool = False, **overrides: Any
    ) -> ServiceRuntime:
        settings = settings_for_test(definition, clean_database, broker_namespace, **overrides)
        runtime = ServiceRuntime(definition, settings, in_memory_broker=in_memory_broker)
        await runtime.start()
        started.append(runtime)
        return runtime

    yield start
    for runtime in reversed(started):
        await runtime.stop()


def settings_for_test(
    definition: ServiceDefinition,
    database_url: str,
    namespace: BrokerNamespace,
    **overrides: Any,
) -> ServiceSettings:
    """Settings of a service under test."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "amqp_url": namespace.amqp_url,
        "topology_prefix": namespace.prefix,
        "relay_poll_interval_s": 0.2,
        "db_pool_size": 5,
        "development_mode": True,
    }
    values.update(overrides)
    return definition.settings_class.model_validate({"http_port": definition.default_port, **values})


def app_for(runtime: ServiceRuntime) -> FastAPI:
    """The service's ASGI app around an already started runtime (its lifespan is not run)."""
    from ..http import create_app

    return create_app(runtime.definition, runtime.settings, runtime=runtime, configure_logs=False)
