"""Where the tests' PostgreSQL and RabbitMQ are: the URLs given, the local services, or containers.

Order: `RTW_TEST_DATABASE_URL` / `RTW_TEST_AMQP_URL` when set (they must answer); otherwise the
local services on 127.0.0.1 if they answer; otherwise testcontainers when a Docker engine answers;
otherwise the tests that need them are skipped with a reason saying what to set. In CI (`CI=true`)
or with `RTW_TEST_REQUIRE_SERVICES=1` they fail instead: a run that skipped most of its tests for
want of a server must not pass.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator
from typing import Any, NoReturn
from urllib.parse import urlparse

LOCAL_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
LOCAL_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


class Unavailable(RuntimeError):
    """Neither a configured service, a local one nor a container could be had."""


def services_required() -> bool:
    """True when a missing server (or browser) must fail the tests: in CI (`CI=true`, as CI
    systems set it) or with `RTW_TEST_REQUIRE_SERVICES=1`."""
    return (
        os.environ.get("CI", "").strip().lower() == "true"
        or os.environ.get("RTW_TEST_REQUIRE_SERVICES", "").strip() == "1"
    )


def skip_or_fail(reason: str) -> NoReturn:
    """Skip the test for want of something this machine lacks, or fail it where it is required
    (see `services_required`)."""
    import pytest

    if services_required():
        pytest.fail(f"{reason} (required here: CI=true or RTW_TEST_REQUIRE_SERVICES=1)", pytrace=False)
    pytest.skip(reason)


def answers(url: str, timeout: float = 1.0) -> bool:
    """True if something accepts TCP connections at the URL's host and port."""
    parsed = urlparse(url)
    default_port = 5672 if parsed.scheme.startswith("amqp") else 5432
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or default_port), timeout):
            return True
    except OSError:
        return False


def _where(url: str) -> str:
    """Host and port of a URL (never its password)."""
    parsed = urlparse(url)
    return f"{parsed.hostname}:{parsed.port}" if parsed.port else str(parsed.hostname)


def docker_answers() -> bool:
    """True if a Docker engine answers (the client alone is not enough)."""
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


@contextlib.contextmanager
def database_server() -> Iterator[str]:
    """An admin URL (SQLAlchemy, asyncpg) of a PostgreSQL server for the test session."""
    configured = os.environ.get("RTW_TEST_DATABASE_URL")
    if configured:
        if not answers(configured):
            raise Unavailable(f"no PostgreSQL answers at RTW_TEST_DATABASE_URL ({_where(configured)})")
        yield configured
        return
    if answers(LOCAL_DATABASE_URL):
        yield LOCAL_DATABASE_URL
        return
    if docker_answers():
        from testcontainers.community.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver="asyncpg") as container:
            yield container.get_connection_url()
        return
    raise Unavailable(
        "no PostgreSQL: set RTW_TEST_DATABASE_URL, start PostgreSQL on 127.0.0.1:5432, or run a Docker engine"
    )


@contextlib.contextmanager
def broker_server() -> Iterator[str]:
    """An AMQP URL of a RabbitMQ server for the test session."""
    configured = os.environ.get("RTW_TEST_AMQP_URL")
    if configured:
        if not answers(configured):
            raise Unavailable(f"no RabbitMQ answers at RTW_TEST_AMQP_URL ({_where(configured)})")
        yield configured
        return
    if answers(LOCAL_AMQP_URL):
        yield LOCAL_AMQP_URL
        return
    if docker_answers():
        from testcontainers.community.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13-management-alpine") as container:
            params: Any = container.get_connection_params()
            yield (
                f"amqp://{params.credentials.username}:{params.credentials.password}"
                f"@{params.host}:{params.port}/"
            )
        return
    raise Unavailable(
        "no RabbitMQ: set RTW_TEST_AMQP_URL, start RabbitMQ on 127.0.0.1:5672, or run a Docker engine"
    )
