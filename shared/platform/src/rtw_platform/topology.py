"""Declares a service's exchanges and queues, in exactly one place per service."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from faststream.rabbit import ExchangeType, QueueType, RabbitExchange, RabbitQueue
from rtw_contracts import Event
from rtw_contracts import topology as names


@dataclass(frozen=True)
class Topology:
    """Names of everything one service declares on the broker, all under an optional prefix."""

    service: str
    prefix: str = ""
    delivery_limit: int = names.DELIVERY_LIMIT
    _queues: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def events_exchange(self) -> RabbitExchange:
        """The durable topic exchange every event is published to."""
        return RabbitExchange(
            names.exchange_name(names.EVENTS_EXCHANGE, self.prefix),
            type=ExchangeType.TOPIC,
            durable=True,
        )

    @property
    def publish_exchange(self) -> RabbitExchange:
        """This service's own durable topic exchange (`rtw.publish.<service>`), the only one its
        broker user may publish events to: bound to the events exchange for exactly the routing
        keys the service produces (`rtw broker setup` binds them; see `publish_bindings`)."""
        return RabbitExchange(
            names.publish_exchange_name(self.service, self.prefix),
            type=ExchangeType.TOPIC,
            durable=True,
        )

    @property
    def dead_letter_exchange(self) -> RabbitExchange:
        """This service's own direct exchange that routes a failed message to its queue's DLQ
        (`rtw.dlx.<service>`: only this service's broker user may write to it)."""
        return RabbitExchange(
            names.dead_letter_exchange_name(self.service, self.prefix),
            type=ExchangeType.DIRECT,
            durable=True,
        )

    def queue_name(self, event: type[Event]) -> str:
        """`<prefix><service>.<event-kebab>`."""
        return names.queue_name(self.service, event, self.prefix)

    def queue(self, event: type[Event]) -> RabbitQueue:
        """The durable quorum queue this service consumes `event` from.

        Failed deliveries are counted by the broker (`x-delivery-limit`); past the limit the
        broker dead-letters the message at-least-once to `<queue>.dlq` through `rtw.dlx.<service>`.
        """
        name = self.queue_name(event)
        return RabbitQueue(
            name,
            queue_type=QueueType.QUORUM,
            durable=True,
            routing_key=event.ROUTING_KEY,
            arguments={
                "x-delivery-limit": self.delivery_limit,
                "x-dead-letter-exchange": self.dead_letter_exchange.name,
                "x-dead-letter-routing-key": name,
                "x-dead-letter-strategy": "at-least-once",
                "x-overflow": "reject-publish",
            },
        )

    def dead_letter_queue(self, queue: str) -> RabbitQueue:
        """The DLQ of a queue: classic and durable, so inspecting it never counts as a failure."""
        return RabbitQueue(
            names.dead_letter_queue_name(queue),
            durable=True,
            routing_key=queue,
            # Explicit, in case the broker's default queue type is not classic.
            arguments=cast("Any", {"x-queue-type": "classic"}),
        )


def existing(exchange: RabbitExchange) -> RabbitExchange:
    """The same exchange, declared passively: it must exist already. A service's broker user may
    not configure the platform's exchanges (only `rtw broker setup` makes them), so a service
    declares them passively when they are there; equal to `exchange`, so faststream's declarer
    reuses it for every subscriber and publisher."""
    return RabbitExchange(
        exchange.name,
        type=exchange.type,
        durable=exchange.durable,
        auto_delete=exchange.auto_delete,
        arguments=exchange.arguments,
        declare=False,
    )
