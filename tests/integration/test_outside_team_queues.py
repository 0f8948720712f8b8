"""An outside team's queues are configuration (`queues` in the teams file), made by
`rtw broker setup --teams`: its broker user configures nothing, so it cannot declare a queue
(`x-overflow: reject-publish` with a small length would have every publish routed to it nacked to
the platform's relays, which retry: one team stalling every outbox), delete one or set its
arguments. It binds its granted keys to its own queues and consumes them. On the local RabbitMQ
in a throwaway vhost with throwaway users (deleted afterwards)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aio_pika
import httpx
import pytest
from aiormq.exceptions import ChannelAccessRefused
from rtw_platform.broker_setup import team_policy_name
from rtw_platform.testing.broker_users import DEFINITIONS, MANAGEMENT, Broker

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

GRANTED = "match.candidate-hired.v1"
NOT_GRANTED = "assessment.scored.v1"
TEAMS = """
[[teams]]
name = "payroll"
contact = "payroll@example.gov.uk"
queues = ["hires"]
[[teams.grants]]
routing_key = "match.candidate-hired.v1"
purpose = "Set up pay for hired candidates."
keep_for = "Six years after employment ends."

[[teams]]
name = "jobs"
contact = "jobs@example.gov.uk"
[[teams.grants]]
routing_key = "vacancy.posted.v1"
"""


def _api(broker: Broker, path: str) -> Any:
    vhost = quote(broker.settings.vhost, safe="")
    response = httpx.get(f"{MANAGEMENT}/api{path.format(vhost=vhost)}", auth=("guest", "guest"), timeout=15)
    response.raise_for_status()
    return response.json()


def _setup(broker: Broker, path: Path) -> str:
    made = broker.rtw("broker", "setup", "--definitions", str(DEFINITIONS), "--teams", str(path))
    assert made.returncode == 0, made.stderr
    return made.stdout


@pytest.fixture
def teams(broker: Broker, tmp_path: Path) -> tuple[Broker, Path]:
    for role in ("ext-payroll", "ext-jobs"):
        broker.add_password(role)
    path = tmp_path / "teams.toml"
    path.write_text(TEAMS)
    _setup(broker, path)
    return broker, path


async def _on_a_channel(url: str, action) -> Any:  # type: ignore[no-untyped-def]
    connection = await aio_pika.connect(url, timeout=10)
    try:
        return await action(await connection.channel())
    finally:
        await connection.close()


@pytest.mark.parametrize(
    ("queue", "arguments"),
    [
        ("ext.payroll.stall", {"x-overflow": "reject-publish", "x-max-length": 1}),
        ("ext.payroll.hires", {"x-overflow": "reject-publish", "x-max-length": 1}),  # its own, again
        ("ext.payroll.hires", {"x-queue-type": "quorum"}),
        ("ext.payroll.other", {}),
        ("payroll", {}),
    ],
)
async def test_a_team_cannot_declare_a_queue(
    teams: tuple[Broker, Path], queue: str, arguments: dict[str, Any]
) -> None:
    broker, _ = teams

    async def declare(channel: aio_pika.abc.AbstractChannel) -> None:
        await channel.declare_queue(queue, durable=True, arguments=arguments)

    with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
        await _on_a_channel(broker.url("ext-payroll"), declare)
    assert queue not in {q["name"] for q in _api(broker, "/queues/{vhost}")} or queue == "ext.payroll.hires"


async def test_a_team_cannot_delete_or_purge_another_queue_nor_delete_its_own(
    teams: tuple[Broker, Path],
) -> None:
    broker, _ = teams

    async def delete(channel: aio_pika.abc.AbstractChannel) -> None:
        await channel.queue_delete("ext.payroll.hires")

    with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
        await _on_a_channel(broker.url("ext-payroll"), delete)
    assert "ext.payroll.hires" in {q["name"] for q in _api(broker, "/queues/{vhost}")}


def test_the_setup_makes_each_teams_queues_with_the_platforms_arguments(teams: tuple[Broker, Path]) -> None:
    broker, _ = teams
    queues = {q["name"]: q for q in _api(broker, "/queues/{vhost}")}
    for name in ("ext.payroll.hires", "ext.jobs.events"):  # named, and the default
        queue = queues[name]
        assert queue["durable"]
        assert not queue["auto_delete"]
        assert queue["arguments"] == {
            "x-queue-type": "quorum",
            "x-max-length": 100_000,
            "x-max-length-bytes": 256 * 1024 * 1024,
            "x-overflow": "drop-head",
            "x-dead-letter-exchange": f"{name.rsplit('.', 1)[0]}.overflow",
        }
        assert team_policy_name(name.split(".")[1]) in {p["name"] for p in _api(broker, "/policies/{vhost}")}
    assert queues["ext.payroll.dead-letters"]["arguments"]["x-overflow"] == "drop-head"
    assert "ext.payroll.events" not in queues  # only what the file names
    bound = _api(broker, "/exchanges/{vhost}/ext.payroll.overflow/bindings/source")
    assert [b["destination"] for b in bound] == ["ext.payroll.dead-letters"]


async def test_a_team_binds_a_granted_key_consumes_and_its_rejects_are_kept(
    teams: tuple[Broker, Path],
) -> None:
    broker, _ = teams

    async def bind(channel: aio_pika.abc.AbstractChannel) -> None:
        queue = await channel.get_queue("ext.payroll.hires", ensure=True)  # passive
        await queue.bind("rtw.events", routing_key=GRANTED)

    await _on_a_channel(broker.url("ext-payroll"), bind)

    async def publish(channel: aio_pika.abc.AbstractChannel) -> None:
        exchange = await channel.get_exchange("rtw.publish.matching", ensure=False)
        await exchange.publish(aio_pika.Message(b"{}", delivery_mode=2), routing_key=GRANTED)

    await _on_a_channel(broker.url("matching"), publish)

    async def take_and_reject(channel: aio_pika.abc.AbstractChannel) -> str | None:
        queue = await channel.get_queue("ext.payroll.hires", ensure=False)
        message = await queue.get(timeout=10, fail=False)
        assert message is not None
        await message.reject(requeue=False)
        return message.routing_key

    assert await _on_a_channel(broker.url("ext-payroll"), take_and_reject) == GRANTED

    async def dead_letter(channel: aio_pika.abc.AbstractChannel) -> str | None:
        queue = await channel.get_queue("ext.payroll.dead-letters", ensure=False)
        for _ in range(20):
            message = await queue.get(timeout=10, fail=False)
            if message is not None:
                await message.ack()
                return message.routing_key
            await asyncio.sleep(0.2)
        return None

    assert await _on_a_channel(broker.url("ext-payroll"), dead_letter) == GRANTED

    async def unbind(channel: aio_pika.abc.AbstractChannel) -> None:
        queue = await channel.get_queue("ext.payroll.hires", ensure=True)
        await queue.unbind("rtw.events", routing_key=GRANTED)

    await _on_a_channel(broker.url("ext-payroll"), unbind)


@pytest.mark.parametrize(("role", "queue", "key"), [
    ("ext-payroll", "ext.payroll.hires", NOT_GRANTED),
    ("ext-payroll", "ext.payroll.hires", "#"),
    ("ext-jobs", "ext.payroll.hires", "vacancy.posted.v1"),  # another team's queue
    ("ext-payroll", "ext.payroll.dead-letters", GRANTED),  # its dead letters: read, never bound
])  # fmt: skip
async def test_binding_an_ungranted_key_or_another_queue_is_refused(
    teams: tuple[Broker, Path], role: str, queue: str, key: str
) -> None:
    broker, _ = teams

    async def bind(channel: aio_pika.abc.AbstractChannel) -> None:
        declared = await channel.get_queue(queue, ensure=False)
        await declared.bind("rtw.events", routing_key=key)

    with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
        await _on_a_channel(broker.url(role), bind)


def _state(broker: Broker) -> dict[str, Any]:
    def queue(q: dict[str, Any]) -> tuple[Any, ...]:
        return (q["name"], q["durable"], sorted(q["arguments"].items()))

    return {
        "queues": sorted(queue(q) for q in _api(broker, "/queues/{vhost}")),
        "exchanges": sorted((e["name"], e["type"]) for e in _api(broker, "/exchanges/{vhost}")),
        "bindings": sorted(
            (b["source"], b["destination"], b["routing_key"]) for b in _api(broker, "/bindings/{vhost}")
        ),
        "policies": sorted((p["name"], str(p["definition"])) for p in _api(broker, "/policies/{vhost}")),
        "permissions": sorted(
            (p["user"], p["configure"], p["write"], p["read"])
            for p in _api(broker, "/vhosts/{vhost}/permissions")
        ),
        "topic": sorted(
            (p["user"], p["exchange"], p["write"], p["read"])
            for p in _api(broker, "/vhosts/{vhost}/topic-permissions")
        ),
    }


async def test_the_setup_run_again_changes_nothing_and_keeps_what_a_team_has(
    teams: tuple[Broker, Path],
) -> None:
    broker, path = teams

    async def bind_and_publish(_: aio_pika.abc.AbstractChannel) -> None:
        async def bind(channel: aio_pika.abc.AbstractChannel) -> None:
            await (await channel.get_queue("ext.payroll.hires", ensure=True)).bind(
                "rtw.events", routing_key=GRANTED
            )

        async def publish(channel: aio_pika.abc.AbstractChannel) -> None:
            exchange = await channel.get_exchange("rtw.publish.matching", ensure=False)
            await exchange.publish(aio_pika.Message(b"{}", delivery_mode=2), routing_key=GRANTED)

        await _on_a_channel(broker.url("ext-payroll"), bind)
        await _on_a_channel(broker.url("matching"), publish)

    await _on_a_channel(broker.url("ext-payroll"), bind_and_publish)
    before = _state(broker)
    again = broker.rtw("broker", "setup", "--definitions", str(DEFINITIONS), "--teams", str(path))
    assert again.returncode == 0, again.stderr
    assert "other arguments" not in again.stdout
    assert _state(broker) == before

    async def count(channel: aio_pika.abc.AbstractChannel) -> int:
        queue = await channel.get_queue("ext.payroll.hires", ensure=True)
        return queue.declaration_result.message_count or 0

    assert await _on_a_channel(broker.url("ext-payroll"), count) == 1  # its message kept


async def test_a_queue_a_team_declared_before_is_left_alone_and_named(broker: Broker, tmp_path: Path) -> None:
    """A deployment where teams declared their own queues: the setup deletes nothing a team has
    (its messages), and names the queue with other arguments for an operator to replace."""
    for role in ("ext-payroll", "ext-jobs"):
        broker.add_password(role)
    path = tmp_path / "teams.toml"
    path.write_text(TEAMS)
    made = broker.rtw("broker", "setup", "--definitions", str(DEFINITIONS))
    assert made.returncode == 0, made.stderr

    async def declare(channel: aio_pika.abc.AbstractChannel) -> None:
        await channel.declare_queue(
            "ext.payroll.hires", durable=True, arguments={"x-overflow": "reject-publish"}
        )

    await _on_a_channel(
        f"amqp://guest:guest@{broker.amqp_host}/{quote(broker.settings.vhost, safe='')}", declare
    )
    output = _setup(broker, path)
    assert "ext.payroll.hires exists with other arguments" in output
    queues = {q["name"]: q for q in _api(broker, "/queues/{vhost}")}
    assert queues["ext.payroll.hires"]["arguments"] == {"x-overflow": "reject-publish"}
    assert queues["ext.jobs.events"]["arguments"]["x-overflow"] == "drop-head"
