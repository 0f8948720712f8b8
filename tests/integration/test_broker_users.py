"""Broker users from secrets (`rtw broker setup`) on the local RabbitMQ, in a throwaway vhost
with throwaway users (deleted afterwards): each service's user can do what it needs and no
more, a rotated password takes and stays, and the dead-letter tools work with their own user
where a service's user is refused."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aio_pika
import httpx
import pytest
import pytest_asyncio
from aio_pika.exceptions import ProbableAuthenticationError
from aiormq.exceptions import ChannelAccessRefused
from rtw_platform import dlq
from rtw_platform.broker_setup import BrokerSetupSettings, setup_broker
from rtw_platform.broker_users import platform_users

pytestmark = pytest.mark.integration

DEFINITIONS = Path(__file__).resolve().parents[2] / "deploy" / "rabbitmq" / "definitions.json"
MANAGEMENT = os.environ.get("RTW_TEST_BROKER_ADMIN_URL", "http://127.0.0.1:15672")


@dataclass
class Broker:
    """A throwaway vhost, its users' password files and the setup's settings."""

    settings: BrokerSetupSettings
    passwords: Path
    users: dict[str, str]
    """Role (`applications`, …, `dead-letters`) to user name."""

    def password(self, role: str) -> str:
        return (self.passwords / f"rtw_amqp_password_{role.replace('-', '_')}").read_text().strip()

    def url(self, role: str, password: str | None = None) -> str:
        secret = quote(password if password is not None else self.password(role), safe="")
        user = quote(self.users[role], safe="")
        return f"amqp://{user}:{secret}@127.0.0.1:5672/{quote(self.settings.vhost, safe='')}"

    def rotate(self, role: str) -> tuple[str, str]:
        """A new password in the role's secret file: (old, new)."""
        old = self.password(role)
        new = secrets.token_urlsafe(24)
        (self.passwords / f"rtw_amqp_password_{role.replace('-', '_')}").write_text(new + "\n")
        return old, new


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    try:
        httpx.get(f"{MANAGEMENT}/api/overview", auth=("guest", "guest"), timeout=5).raise_for_status()
    except httpx.HTTPError as exc:  # pragma: no cover - the local setup enables it (make services)
        pytest.fail(f"RabbitMQ's management API is not on {MANAGEMENT} (run `make services`): {exc}")
    tag = uuid.uuid4().hex[:8]
    settings = BrokerSetupSettings(
        admin_url=MANAGEMENT,
        admin_user="guest",
        admin_password="guest",
        vhost=f"t-{tag}",
        passwords_dir=tmp_path,
        user_prefix=f"t-{tag}-",
    )
    users = platform_users(settings.user_prefix)
    for user in users:
        (tmp_path / user.secret_file).write_text(secrets.token_urlsafe(24) + "\n")
    yield Broker(settings, tmp_path, {user.role: user.name for user in users})
    with httpx.Client(base_url=f"{MANAGEMENT}/api", auth=("guest", "guest"), timeout=15) as api:
        api.delete(f"/vhosts/{quote(settings.vhost, safe='')}")
        for user in users:
            api.delete(f"/users/{quote(user.name, safe='')}")


@pytest_asyncio.fixture
async def set_up(broker: Broker) -> AsyncIterator[Broker]:
    await asyncio.to_thread(setup_broker, broker.settings, DEFINITIONS)
    yield broker


async def _can_connect(url: str) -> bool:
    try:
        connection = await aio_pika.connect(url, timeout=10)
    except ProbableAuthenticationError:
        return False
    await connection.close()
    return True


async def _declare(url: str, queue: str) -> None:
    connection = await aio_pika.connect(url, timeout=10)
    try:
        channel = await connection.channel()
        await channel.declare_queue(queue, durable=True)
    finally:
        await connection.close()


async def _publish(url: str, routing_key: str) -> None:
    connection = await aio_pika.connect(url, timeout=10)
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange("rtw.events", ensure=False)
        await exchange.publish(aio_pika.Message(b"{}"), routing_key=routing_key)
        await asyncio.sleep(0.2)  # a refused publish closes the channel asynchronously
        assert not channel.is_closed
        await channel.close()
    finally:
        await connection.close()


async def test_setup_gives_each_service_its_own_queues_and_events_only(set_up: Broker) -> None:
    broker = set_up
    applications = broker.url("applications")
    await _declare(applications, "applications.probe")
    await _declare(applications, "applications.probe.dlq")
    with pytest.raises(ChannelAccessRefused):
        await _declare(applications, "assessment.probe")
    await _publish(applications, "application.submitted.v2")
    with pytest.raises((ChannelAccessRefused, AssertionError)):
        await _publish(applications, "council.recruiter-invited.v2")
    # The dead-letter user declares no source queue.
    with pytest.raises(ChannelAccessRefused):
        await _declare(broker.url("dead-letters"), "applications.other")


async def test_a_rotated_password_takes_the_old_is_refused_and_no_rerun_puts_it_back(
    set_up: Broker,
) -> None:
    broker = set_up
    assert await _can_connect(broker.url("matching"))
    old, new = broker.rotate("matching")
    await asyncio.to_thread(setup_broker, broker.settings, DEFINITIONS)
    assert await _can_connect(broker.url("matching", new))
    assert not await _can_connect(broker.url("matching", old))
    # Run again (as at every start, with the topology imported again): the new one stays.
    await asyncio.to_thread(setup_broker, broker.settings, DEFINITIONS)
    assert await _can_connect(broker.url("matching", new))
    assert not await _can_connect(broker.url("matching", old))


def test_the_setup_command_names_a_missing_password_file(broker: Broker) -> None:
    (broker.passwords / "rtw_amqp_password_training").unlink()
    result = _rtw(broker, "broker", "setup")
    assert result.returncode == 1
    assert "rtw_amqp_password_training" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_setup_command_sets_up_the_users(broker: Broker) -> None:
    result = _rtw(broker, "broker", "setup", "--definitions", str(DEFINITIONS))
    assert result.returncode == 0, result.stderr
    assert asyncio.run(_can_connect(broker.url("dead-letters")))


def _rtw(broker: Broker, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    settings = broker.settings
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RTW_")},
        "RTW_BROKER_ADMIN_URL": settings.admin_url,
        "RTW_BROKER_ADMIN_USER": settings.admin_user,
        "RTW_BROKER_ADMIN_PASSWORD": settings.admin_password.get_secret_value(),
        "RTW_BROKER_VHOST": settings.vhost,
        "RTW_BROKER_USER_PREFIX": settings.user_prefix,
        "RTW_BROKER_PASSWORDS_DIR": str(broker.passwords),
        "COLUMNS": "200",
        **extra,
    }
    return subprocess.run(
        [sys.executable, "-m", "rtw_platform.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def _dead_letter_in(url: str, queue: str) -> None:
    """`queue` and its DLQ declared by their service, and one message dead-lettered there."""
    connection = await aio_pika.connect(url, timeout=10)
    try:
        channel = await connection.channel(publisher_confirms=True)
        await channel.declare_queue(queue, durable=True)
        await channel.declare_queue(f"{queue}.dlq", durable=True)
        exchange = await channel.declare_exchange("rtw.dlx", aio_pika.ExchangeType.DIRECT, durable=True)
        dlq_queue = await channel.get_queue(f"{queue}.dlq", ensure=False)
        await dlq_queue.bind(exchange, routing_key=queue)
        await exchange.publish(aio_pika.Message(b'{"x": 1}', message_id="m-1"), routing_key=queue)
    finally:
        await connection.close()


async def test_dead_letter_tools_need_their_own_user_not_a_services(set_up: Broker) -> None:
    broker = set_up
    queue = "assessment.application-submitted"
    await _dead_letter_in(broker.url("assessment"), queue)
    notifications = broker.url("notifications")
    with pytest.raises(dlq.AccessRefused):
        await dlq.peek(notifications, queue)
    with pytest.raises(dlq.AccessRefused):
        await dlq.replay(notifications, queue)
    with pytest.raises(dlq.AccessRefused):
        await dlq.purge(notifications, queue)

    dead_letters = broker.url("dead-letters")
    assert (await dlq.count(dead_letters, [queue]))[queue] == 1
    assert [letter.message_id for letter in await dlq.peek(dead_letters, queue)] == ["m-1"]
    assert await dlq.replay(dead_letters, queue) == 1
    assert (await dlq.count(dead_letters, [queue]))[queue] == 0
    await _dead_letter_in(broker.url("assessment"), queue)
    assert await dlq.purge(dead_letters, queue) == 1


def test_rtw_dlq_uses_the_dead_letter_user(set_up: Broker) -> None:
    broker = set_up
    queue = "training.application-submitted"
    asyncio.run(_dead_letter_in(broker.url("training"), queue))
    as_notifications = {"RTW_AMQP_URL": broker.url("notifications")}
    refused = _rtw(broker, "dlq", "show", queue, **as_notifications)
    assert refused.returncode == 1, refused.stderr
    assert "RTW_DLQ_AMQP_URL" in refused.stderr
    assert "Traceback" not in refused.stderr
    shown = _rtw(
        broker,
        "dlq",
        "show",
        queue,
        "--json",
        **as_notifications,
        RTW_DLQ_AMQP_URL=broker.url("dead-letters"),
    )
    assert shown.returncode == 0, shown.stderr
    assert '"message_id": "m-1"' in shown.stdout


async def test_the_dead_letter_page_acts_with_the_dead_letter_user(
    set_up: Broker, start_service: Callable[..., Any]
) -> None:
    """The notifications service's page under compose: its own user is refused another service's
    dead letters (said on the page); with RTW_DLQ_AMQP_URL it shows, replays and purges them."""
    from rtw_notifications.app import SERVICE
    from rtw_platform.auth import Principal, Role, issue_session_token
    from rtw_platform.registry import consumed_queues
    from rtw_platform.testing.fixtures import app_for

    broker = set_up
    queue = next(name for name, owner in consumed_queues("").items() if owner == "assessment")
    await _dead_letter_in(broker.url("assessment"), queue)

    async def page(runtime: Any, method: str, path: str) -> httpx.Response:
        token = issue_session_token(
            runtime.settings.token_secret.get_secret_value(), Principal("a", Role.ADMIN)
        )
        transport = httpx.ASGITransport(app=app_for(runtime))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://n", cookies={"rtw_session": token}
        ) as admin:
            if method == "GET":
                return await admin.get(path)
            form = await admin.get(path)
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
            assert csrf is not None, form.text
            return await admin.post(path, data={"csrf_token": csrf.group(1)})

    own_user = {"amqp_url": broker.url("notifications"), "topology_prefix": ""}
    refused = await start_service(SERVICE, in_memory_broker=True, **own_user)
    answer = await page(refused, "GET", f"/admin/dead-letters/{queue}")
    assert answer.status_code == 503
    assert "RTW_DLQ_AMQP_URL" in answer.text

    allowed = await start_service(
        SERVICE, in_memory_broker=True, dlq_amqp_url=broker.url("dead-letters"), **own_user
    )
    shown = await page(allowed, "GET", f"/admin/dead-letters/{queue}")
    assert shown.status_code == 200
    assert "m-1" in shown.text
    replayed = await page(allowed, "POST", f"/admin/dead-letters/{queue}/replay")
    assert replayed.status_code == 303
    assert "count=1" in replayed.headers["location"]
