"""Broker users from secrets (`rtw broker setup`) on the local RabbitMQ, in a throwaway vhost
with throwaway users (deleted afterwards): each service's user can do what it needs and no
more, a rotated password takes and stays, and the dead-letter tools work with their own user
where a service's user is refused."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import aio_pika
import httpx
import pytest
import pytest_asyncio
from aio_pika.exceptions import ProbableAuthenticationError
from aiormq.exceptions import ChannelAccessRefused
from rtw_platform import dlq
from rtw_platform.broker_setup import setup_broker
from rtw_platform.testing.broker_users import DEFINITIONS, Broker

pytestmark = pytest.mark.integration


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


async def _publish(url: str, routing_key: str, *, exchange: str = "rtw.events") -> None:
    connection = await aio_pika.connect(url, timeout=10)
    try:
        channel = await connection.channel(publisher_confirms=True)
        target = (
            channel.default_exchange if exchange == "" else await channel.get_exchange(exchange, ensure=False)
        )
        await target.publish(aio_pika.Message(b"{}"), routing_key=routing_key)
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
    await _publish(applications, "application.submitted.v2", exchange="rtw.publish.applications")
    with pytest.raises((ChannelAccessRefused, AssertionError)):
        await _publish(applications, "council.recruiter-invited.v2", exchange="rtw.publish.applications")
    # Nothing on `rtw.events` itself, even its own keys: only its exchange's bindings lead there
    # (test_broker_publish_exchanges.py).
    with pytest.raises((ChannelAccessRefused, AssertionError)):
        await _publish(applications, "application.submitted.v2")
    # The dead-letter user declares no source queue.
    with pytest.raises(ChannelAccessRefused):
        await _declare(broker.url("dead-letters"), "applications.other")


async def test_a_service_cannot_publish_into_another_services_queue_or_dead_letters_directly(
    set_up: Broker,
) -> None:
    """Straight into a queue is through the default exchange (`amq.default`), which only the
    dead-letter user may write (its replays). A service reaches another's queues only through
    its own exchange `rtw.publish.<service>` with its own routing keys, and another's DLQ not at all: each service's
    dead-letter exchange `rtw.dlx.<service>` is its own (test_authentic_publishers.py)."""
    broker = set_up
    await _declare(broker.url("assessment"), "assessment.probe")
    await _declare(broker.url("assessment"), "assessment.probe.dlq")
    for queue in ("assessment.probe", "assessment.probe.dlq"):
        with pytest.raises((ChannelAccessRefused, AssertionError)):
            await _publish(broker.url("applications"), queue, exchange="")
    await _publish(broker.url("dead-letters"), "assessment.probe", exchange="")  # a replay
    with pytest.raises((ChannelAccessRefused, AssertionError)):
        await _publish(broker.url("applications"), "assessment.probe", exchange="rtw.dlx.assessment")
    await _publish(broker.url("assessment"), "assessment.probe", exchange="rtw.dlx.assessment")


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
    result = broker.rtw("broker", "setup")
    assert result.returncode == 1
    assert "rtw_amqp_password_training" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_setup_command_sets_up_the_users(broker: Broker) -> None:
    result = broker.rtw("broker", "setup", "--definitions", str(DEFINITIONS))
    assert result.returncode == 0, result.stderr
    assert asyncio.run(_can_connect(broker.url("dead-letters")))


async def _dead_letter_in(url: str, queue: str) -> None:
    """`queue` and its DLQ declared by their service, and one message dead-lettered there."""
    connection = await aio_pika.connect(url, timeout=10)
    try:
        channel = await connection.channel(publisher_confirms=True)
        await channel.declare_queue(queue, durable=True)
        await channel.declare_queue(f"{queue}.dlq", durable=True)
        # Its own, passively, as a service does: the setup made it, and a service may not
        # configure it.
        service = queue.split(".", 1)[0]
        exchange = await channel.get_exchange(f"rtw.dlx.{service}", ensure=True)
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
    refused = broker.rtw("dlq", "show", queue, **as_notifications)
    assert refused.returncode == 1, refused.stderr
    assert "RTW_DLQ_AMQP_URL" in refused.stderr
    assert "Traceback" not in refused.stderr
    shown = broker.rtw(
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
