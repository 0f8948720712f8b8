"""Fixtures of the notifications service's tests: real SMTP servers (aiosmtpd) on free local
ports, and the service started against them with the in-memory broker and real PostgreSQL."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
import pytest
import pytest_asyncio
from faststream.rabbit import TestRabbitBroker
from rtw_contracts import Event
from rtw_notifications.app import SERVICE
from rtw_notifications.models import Delivery, Person
from rtw_platform.auth import Principal, Role, issue_token
from rtw_platform.service import ServiceRuntime
from rtw_platform.testing.fixtures import app_for
from rtw_platform.testing.mail import Mailbox, serve_mailbox
from sqlmodel import col, select


@pytest.fixture
def smtp_server() -> Iterator[Mailbox]:
    """A real SMTP server that accepts every message."""
    yield from serve_mailbox()


@pytest.fixture
def failing_smtp_server() -> Iterator[Callable[[str, str], Mailbox]]:
    """`failing_smtp_server(answer, at)`: a real SMTP server that answers every message with
    `answer` (e.g. "451 4.3.0 try later") at the RCPT or DATA step."""
    servers: list[Iterator[Mailbox]] = []

    def start(answer: str, at: str = "DATA") -> Mailbox:
        server = serve_mailbox(answer, at)
        servers.append(server)
        return next(server)

    yield start
    for server in servers:
        next(server, None)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass
class Notifications:
    """The started service, its HTTP API and its tables."""

    runtime: ServiceRuntime
    http: httpx.AsyncClient

    async def deliver(self, event: Event) -> None:
        """Hand the event to the service's consumer, as the broker would."""
        await self.runtime.broker.publish(
            event.model_dump(mode="json"),
            exchange=self.runtime.topology.events_exchange,
            routing_key=event.ROUTING_KEY,
        )

    def token(self, subject: UUID | str, role: Role) -> dict[str, str]:
        secret = self.runtime.settings.token_secret.get_secret_value()
        return bearer(issue_token(secret, Principal(subject=str(subject), role=role)))

    def admin(self) -> dict[str, str]:
        return self.token("admin-1", Role.ADMIN)

    async def deliveries(self, **where: Any) -> list[Delivery]:
        """Delivery rows (oldest first), filtered by column values."""
        async with self.runtime.uow_factory() as uow:
            statement = select(Delivery).order_by(col(Delivery.created_at))
            for name, value in where.items():
                statement = statement.where(getattr(Delivery, name) == value)
            return list((await uow.session.exec(statement)).all())

    async def person(self, person_id: UUID) -> Person | None:
        async with self.runtime.uow_factory() as uow:
            return await uow.session.get(Person, person_id)

    async def wait_for_status(self, status: str, timeout: float = 15.0, **where: Any) -> list[Delivery]:
        """The matching deliveries once every one of them (at least one) has `status`."""
        deadline = time.monotonic() + timeout
        rows: list[Delivery] = []
        while time.monotonic() < deadline:
            rows = await self.deliveries(**where)
            if rows and all(row.status == status for row in rows):
                return rows
            await asyncio.sleep(0.05)
        raise AssertionError(
            f"timed out waiting for {status}: {[(r.template, r.status, r.attempts, r.last_error) for r in rows]}"
        )


StartNotifications = Callable[..., Any]


@pytest_asyncio.fixture
async def start_notifications(start_service: Callable[..., Any]) -> AsyncIterator[StartNotifications]:
    """`await start_notifications(**settings)`: the service with the in-memory broker."""
    stack: list[tuple[TestRabbitBroker, httpx.AsyncClient]] = []

    async def start(**settings: Any) -> Notifications:
        values: dict[str, Any] = {
            "dispatch_interval_s": 0.1,
            "retry_base_s": 0.05,
            "reminder_interval_s": 3600,
            "relay_enabled": False,
            **settings,
        }
        runtime: ServiceRuntime = await start_service(SERVICE, in_memory_broker=True, **values)
        test_broker = TestRabbitBroker(runtime.broker)
        await test_broker.__aenter__()
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app_for(runtime)), base_url="http://notifications"
        )
        stack.append((test_broker, http))
        return Notifications(runtime, http)

    yield start
    for test_broker, http in reversed(stack):
        await http.aclose()
        await test_broker.__aexit__(None, None, None)


@pytest_asyncio.fixture
async def service(start_notifications: StartNotifications, smtp_server: Mailbox) -> Notifications:
    """The service sending through the local SMTP server (background dispatcher on)."""
    notifications: Notifications = await start_notifications(
        smtp_host="127.0.0.1", smtp_port=smtp_server.port
    )
    return notifications
