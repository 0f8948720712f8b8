"""Broker topology names (no broker code): exchanges, queues, dead letters.

Every event reaches one durable topic exchange, :data:`EVENTS_EXCHANGE`, with the event's
``ROUTING_KEY``: each service publishes to its own durable topic exchange
``rtw.publish.<service>`` (:func:`publish_exchange_name`), bound to :data:`EVENTS_EXCHANGE` with
exactly the routing keys that service produces, so a message with any other key (a dead-lettered
one too, on which RabbitMQ checks no topic permission) never reaches a subscriber. Each consuming
service has one durable quorum queue per event it consumes,
``<service>.<event-kebab>`` (bound with that event's routing key), with ``x-delivery-limit``
:data:`DELIVERY_LIMIT`, dead-lettered to its service's own direct exchange
``rtw.dlx.<service>`` (:func:`dead_letter_exchange_name`) with the queue's name as dead-letter
routing key, into ``<queue>.dlq``: only that service's broker user may write to it, so no service
can put a letter in another's DLQ. Every name can take a prefix,
prepended verbatim (tests use a random one, e.g. ``"t3f9a1c2."``, on a shared broker).
"""

from __future__ import annotations

import re

from rtw_contracts.envelope import Event

__all__ = [
    "DEAD_LETTER_EXCHANGE",
    "DEAD_LETTER_EXCHANGE_TYPE",
    "DELIVERY_LIMIT",
    "EVENTS_EXCHANGE",
    "EVENTS_EXCHANGE_TYPE",
    "PUBLISH_EXCHANGE",
    "PUBLISH_EXCHANGE_TYPE",
    "dead_letter_exchange_name",
    "dead_letter_queue_name",
    "exchange_name",
    "kebab",
    "publish_exchange_name",
    "queue_name",
]

EVENTS_EXCHANGE = "rtw.events"
"""The durable topic exchange every event is published to."""
EVENTS_EXCHANGE_TYPE = "topic"
PUBLISH_EXCHANGE = "rtw.publish"
"""The base of each service's durable topic exchange ``rtw.publish.<service>``: the only exchange
its broker user may write events to, bound to :data:`EVENTS_EXCHANGE` for its own routing keys."""
PUBLISH_EXCHANGE_TYPE = "topic"
DEAD_LETTER_EXCHANGE = "rtw.dlx"
"""The base of each service's durable direct dead-letter exchange, ``rtw.dlx.<service>``; alone,
the one exchange all services shared before (kept by deployments made then; see
docs/operations.md, "Dead-letter exchange per service")."""
DEAD_LETTER_EXCHANGE_TYPE = "direct"
DELIVERY_LIMIT = 5
"""Deliveries of a message before the quorum queue dead-letters it (``x-delivery-limit``)."""

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def kebab(name: str) -> str:
    """Return ``name`` in kebab case: ``"ApplicationSubmitted"`` → ``"application-submitted"``.

    Handles acronyms (``"ICTReport"`` → ``"ict-report"``), snake case and spaces.
    """
    spaced = _WORD_BOUNDARY.sub("-", name.strip())
    return re.sub(r"[-_\s]+", "-", spaced).strip("-").lower()


def exchange_name(base: str, prefix: str = "") -> str:
    """Return the exchange ``base`` (e.g. :data:`EVENTS_EXCHANGE`) with ``prefix`` prepended."""
    return f"{prefix}{base}"


def publish_exchange_name(service: str, prefix: str = "") -> str:
    """Return the exchange ``service`` publishes to: ``<prefix>rtw.publish.<service>``."""
    return f"{prefix}{PUBLISH_EXCHANGE}.{service}"


def dead_letter_exchange_name(service: str, prefix: str = "") -> str:
    """Return ``service``'s dead-letter exchange: ``<prefix>rtw.dlx.<service>``."""
    return f"{prefix}{DEAD_LETTER_EXCHANGE}.{service}"


def queue_name(service: str, event: type[Event], prefix: str = "") -> str:
    """Return the queue of ``service`` for ``event``: ``<prefix><service>.<event-kebab>``.

    The event part is the kebab case of the class name, e.g.
    ``queue_name("assessment", ApplicationSubmitted)`` → ``"assessment.application-submitted"``.
    """
    return f"{prefix}{service}.{kebab(event.__name__)}"


def dead_letter_queue_name(queue: str) -> str:
    """Return the dead-letter queue of ``queue`` (its full, prefixed name): ``<queue>.dlq``."""
    return f"{queue}.dlq"
