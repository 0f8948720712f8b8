"""Moves a deployment made when every queue dead-lettered through the one shared exchange `rtw.dlx`
onto each service's own dead-letter exchange `rtw.dlx.<service>` (part of `rtw broker setup`).

A queue's `x-dead-letter-exchange` cannot change in place (RabbitMQ refuses to declare it again
with another one), so each such queue is made again, and nothing in it is lost:

1. a holding queue `<queue>.migrating` takes the queue's bindings, and the queue gives them up
   (new events wait in the holding queue);
2. the queue's messages are moved to the holding queue, each acknowledged only once the broker
   confirmed its copy, with every property kept, `user_id` too (a short-lived migration user with
   RabbitMQ's `impersonator` tag publishes them: consumers believe an event only from its
   producer's user);
3. the queue, now empty, is deleted (`if-empty`: the broker refuses otherwise) and
   declared again with the new arguments and its bindings;
4. the holding queue gives up its bindings, its messages are moved back, and it is deleted.

An event published between 3 and 4 reaches both queues: consumers take an event once (inbox).
Every step can be run again: a run that stopped half-way is finished by the next. A queue that a
consumer is reading is not touched: the setup fails, saying which service to stop. The DLQs are
queues of their own: they stay as they are, bound to `rtw.dlx` (which no service may write to any
more) and to the service's own exchange, and keep every letter.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import aio_pika
from rtw_contracts import topology as names

from .registry import installed_services
from .topology import Topology

if TYPE_CHECKING:
    from aio_pika.abc import AbstractChannel, AbstractIncomingMessage

    from .broker_setup import BrokerSetupSettings, ManagementApi

HOLDING_SUFFIX = ".migrating"
MIGRATION_USER = "rtw-broker-migration"


class MigrationRefused(RuntimeError):
    """A queue to move is being read (message says which service to stop)."""


def _arguments(owner: str, queue: str) -> dict[str, Any]:
    """The arguments `queue` is declared with today (as its service declares it)."""
    definition = installed_services()[owner]
    topology = Topology(owner)
    for subscription in definition.subscriptions:
        if topology.queue_name(subscription.event) == queue:
            return dict(topology.queue(subscription.event).arguments or {})
    raise KeyError(queue)


def queues_to_move(api: ManagementApi, vhost: str) -> dict[str, str]:
    """Every consumed queue (name → service) that still dead-letters through the shared `rtw.dlx`,
    or whose move a run left half-way (its holding queue is still there)."""
    present = {queue["name"]: queue for queue in api.call("GET", f"/queues/{quote(vhost, safe='')}") or []}
    found: dict[str, str] = {}
    for owner, definition in installed_services().items():
        topology = Topology(owner)
        for subscription in definition.subscriptions:
            name = topology.queue_name(subscription.event)
            queue = present.get(name)
            shared = (queue or {}).get("arguments", {}).get("x-dead-letter-exchange") == (
                names.DEAD_LETTER_EXCHANGE
            )
            if shared or name + HOLDING_SUFFIX in present:
                found[name] = owner
    return found


def move_to_own_dead_letter_exchanges(
    api: ManagementApi, settings: BrokerSetupSettings, user_prefix: str = ""
) -> list[str]:
    """Move every queue `queues_to_move` finds (see the module); the queues moved."""
    vhost = quote(settings.vhost, safe="")
    moving = queues_to_move(api, settings.vhost)
    if not moving:
        return []
    user = f"{user_prefix}{MIGRATION_USER}"
    password = secrets.token_urlsafe(24)
    api.call("PUT", f"/users/{quote(user, safe='')}", {"password": password, "tags": "impersonator"})
    try:
        everything = {"configure": ".*", "write": ".*", "read": ".*"}
        api.call("PUT", f"/permissions/{vhost}/{quote(user, safe='')}", everything)
        host = urlsplit(settings.admin_url).hostname or "127.0.0.1"
        url = f"amqp://{quote(user, safe='')}:{quote(password, safe='')}@{host}:{settings.amqp_port}/{vhost}"
        for queue, owner in sorted(moving.items()):
            _move(api, settings.vhost, url, queue, owner)
    finally:
        api.call("DELETE", f"/users/{quote(user, safe='')}")
    return sorted(moving)


def _bindings(api: ManagementApi, vhost: str, queue: str) -> list[tuple[str, str]]:
    """(exchange, routing key) of each binding of `queue` but the default exchange's."""
    found = api.call("GET", f"/queues/{quote(vhost, safe='')}/{quote(queue, safe='')}/bindings") or []
    return [(b["source"], b["routing_key"]) for b in found if b["source"]]


def _queue(api: ManagementApi, vhost: str, name: str) -> dict[str, Any] | None:
    for queue in api.call("GET", f"/queues/{quote(vhost, safe='')}") or []:
        if queue["name"] == name:
            return dict(queue)
    return None


def _move(api: ManagementApi, vhost: str, url: str, queue: str, owner: str) -> None:
    holding = queue + HOLDING_SUFFIX
    current = _queue(api, vhost, queue)
    if current is not None and current.get("arguments", {}).get("x-dead-letter-exchange") == (
        names.DEAD_LETTER_EXCHANGE
    ):
        bindings = _bindings(api, vhost, queue)
        asyncio.run(_hold_and_empty(url, queue, owner, holding, bindings))
    bindings = _bindings(api, vhost, holding)
    asyncio.run(_make_again_and_refill(url, queue, holding, bindings, _arguments(owner, queue)))


async def _hold_and_empty(
    url: str, queue: str, owner: str, holding: str, bindings: list[tuple[str, str]]
) -> None:
    connection = await aio_pika.connect(url, timeout=15)
    try:
        channel = await connection.channel(publisher_confirms=True)
        old = await channel.declare_queue(queue, passive=True)
        if old.declaration_result.consumer_count:
            raise MigrationRefused(
                f"queue {queue} is being read: stop the {owner} service, then run the setup again "
                "(it moves the queue onto its own dead-letter exchange)"
            )
        kept = await channel.declare_queue(holding, durable=True, arguments={"x-queue-type": "classic"})
        for exchange, key in bindings:
            await kept.bind(exchange, routing_key=key)
        for exchange, key in bindings:
            await old.unbind(exchange, routing_key=key)
        await _move_messages(channel, queue, holding)
        # Quorum queues take neither if-empty nor if-unused: ask, then delete (nothing routes to
        # it any more; a dead letter replayed into it this instant is the one risk, see the docs).
        emptied = await channel.declare_queue(queue, passive=True)
        result = emptied.declaration_result
        if result.message_count or result.consumer_count:
            raise MigrationRefused(f"queue {queue} is not empty or is being read: run the setup again")
        await old.delete(if_unused=False, if_empty=False)
    finally:
        await connection.close()


async def _make_again_and_refill(
    url: str,
    queue: str,
    holding: str,
    bindings: list[tuple[str, str]],
    arguments: dict[str, Any],
) -> None:
    connection = await aio_pika.connect(url, timeout=15)
    try:
        channel = await connection.channel(publisher_confirms=True)
        # Declaring again with the same arguments changes nothing (a run that stopped after it).
        new = await channel.declare_queue(queue, durable=True, arguments=arguments)
        kept = await channel.get_queue(holding, ensure=False)
        for exchange, key in bindings:
            await new.bind(exchange, routing_key=key)
        for exchange, key in bindings:
            await kept.unbind(exchange, routing_key=key)
        await _move_messages(channel, holding, queue)
        await kept.delete(if_unused=True, if_empty=True)
    finally:
        await connection.close()


async def _move_messages(channel: AbstractChannel, source: str, target: str) -> None:
    """Every message of `source` into `target`, each acknowledged once its copy is confirmed."""
    queue = await channel.get_queue(source, ensure=False)
    while True:
        message = await queue.get(no_ack=False, fail=False, timeout=15)
        if message is None:
            return
        await channel.default_exchange.publish(_copy(message), routing_key=target)
        await message.ack()


def _copy(message: AbstractIncomingMessage) -> aio_pika.Message:
    return aio_pika.Message(
        message.body,
        headers=dict(message.headers or {}),
        content_type=message.content_type,
        content_encoding=message.content_encoding,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        priority=message.priority,
        correlation_id=message.correlation_id,
        reply_to=message.reply_to,
        message_id=message.message_id,
        timestamp=message.timestamp,
        type=message.type,
        user_id=message.user_id,
        app_id=message.app_id,
    )
