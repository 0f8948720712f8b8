"""The RabbitMQ users the platform runs with and what each may do: one per service (its own
queues, its own publishing exchange `rtw.publish.<service>` with only its own routing keys, its own
dead-letter exchange, and binding only the events it consumes from `rtw.events`, to which it may
not write at all), one for the dead-letter tools (every dead-letter queue,
and sending a dead letter back to its queue), and one per outside team of the teams file (binding
and reading the queues the setup made for it, `ext.<team>.<queue>`, declaring none, binding only
the routing keys it was granted, publishing nothing; see `teams`).

Nothing here holds a password: `rtw broker setup` (see `broker_setup`) reads them from secret
files and creates or updates the users, so rotating a password is changing its secret and
running the setup again; no definitions file puts an old one back at the broker's next start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rtw_contracts.topology import dead_letter_exchange_name, publish_exchange_name

from .registry import installed_services
from .teams import Team

DEAD_LETTERS = "dead-letters"
"""The dead-letter tools' user (`rtw-dead-letters`): the admin page and `rtw dlq`."""

EVENTS_EXCHANGE = "rtw.events"


@dataclass(frozen=True)
class BrokerUser:
    """A broker user's name and its permissions in the platform's vhost (regular expressions,
    as RabbitMQ takes them)."""

    role: str
    """`applications`, …, or `dead-letters`: names the user and its password's secret file."""
    name: str
    configure: str
    write: str
    read: str
    topic_write: str | None = None
    """Routing keys the user may publish to the events exchange with (None: no topic rule)."""
    topic_read: str = "^$"
    """Routing keys the user may bind a queue to the events exchange with."""
    publish_exchange: str | None = None
    """A service's own publishing exchange (`rtw.publish.<service>`), None for other users."""
    publish_keys: str = "^$"
    """Routing keys the user may publish to its own publishing exchange with."""

    @property
    def secret_file(self) -> str:
        """The file (in the secrets folder) holding this user's password."""
        return f"rtw_amqp_password_{self.role.replace('-', '_')}"


def _exactly(names: list[str]) -> str:
    return "^(" + "|".join(re.escape(name) for name in sorted(set(names))) + ")$"


def platform_users(user_prefix: str = "") -> list[BrokerUser]:
    """Every user the platform needs; `user_prefix` (tests) keeps throwaway users apart."""
    users = []
    for name, definition in installed_services().items():
        # Writes to its own queues, its own publishing exchange (`rtw.publish.<name>`) and its
        # own dead-letter exchange (`rtw.dlx.<name>`), never to `rtw.events`: RabbitMQ checks
        # topic permissions on a publish but not when it dead-letters a message, so a user that
        # may write to `rtw.events` could declare a queue dead-lettering there with any routing
        # key (RabbitMQ asks for write on a queue's dead-letter exchange when it is declared,
        # which is what refuses it). Its publishing exchange is bound to `rtw.events` for its
        # own routing keys only (publish_bindings), so nothing else it puts there, dead-lettered
        # or not, reaches a subscriber. Reads its own queues, `rtw.events` and its dead-letter exchange
        # (binding a queue to an exchange needs read on the exchange).
        dead_letters = dead_letter_exchange_name(name)
        publishing = publish_exchange_name(name)
        queues = rf"{re.escape(name)}\..*"
        users.append(
            BrokerUser(
                role=name,
                name=f"{user_prefix}rtw-{name}",
                # Its own queues only: configuring `rtw.events` would let it delete the exchange
                # (every binding with it) or declare it again as a fanout, which topic
                # permissions do not cover. The setup makes the exchanges; a service declares
                # them passively (ServiceRuntime.declare_topology).
                configure=rf"^{queues}$",
                write=rf"^({queues}|{re.escape(publishing)}|{re.escape(dead_letters)})$",
                read=rf"^({queues}|{re.escape(EVENTS_EXCHANGE)}|{re.escape(dead_letters)})$",
                topic_write="^$",
                topic_read=_exactly([s.event.ROUTING_KEY for s in definition.subscriptions]),
                publish_exchange=publishing,
                publish_keys=_exactly(publish_keys(name)),
            )
        )
    users.append(
        BrokerUser(
            role=DEAD_LETTERS,
            name=f"{user_prefix}rtw-{DEAD_LETTERS}",
            # Reading, purging and taking messages off any dead-letter queue; a replay publishes
            # through the default exchange (its permission name is `amq.default`) to the queue
            # the message failed in. It may declare (or delete) no other queue or exchange.
            configure=r"^.*\.dlq$",
            write=r"^(amq\.default|.*\.dlq)$",
            read=r"^.*\.dlq$",
            topic_write="^$",
        )
    )
    return users


def publish_keys(service: str) -> list[str]:
    """The routing keys `service` publishes (its definition's events, as its contracts name their
    producer): its publishing exchange is bound to `rtw.events` for exactly these."""
    return sorted({event.ROUTING_KEY for event in installed_services()[service].publishes})


def publish_bindings() -> dict[str, list[str]]:
    """Each publishing service's exchange (`rtw.publish.<service>`) and the routing keys it is
    bound to `rtw.events` with."""
    return {
        publish_exchange_name(name): publish_keys(name)
        for name, definition in installed_services().items()
        if definition.publishes
    }


TEAM_USER_PREFIX = "ext-"
"""Every outside team's broker user is `ext-<team>` (under the setup's user prefix)."""


def team_users(teams: list[Team], user_prefix: str = "") -> list[BrokerUser]:
    """One user per outside team: configure nothing (the setup makes its queues; a user that may
    configure a queue may declare it with `x-overflow: reject-publish` and a small length, and then
    every publish routed to it is refused, stalling the platform's relays); bind (write) and read
    only the queues its team's entry names, read its dead-letter queue and the events exchange
    (which binding needs), bind only its granted routing keys, publish nothing (no write on any
    exchange, and no routing key)."""
    users = []
    events = re.escape(EVENTS_EXCHANGE)
    for team in teams:
        own = [re.escape(queue) for queue in team.queue_names()]
        users.append(
            BrokerUser(
                role=team.user_role,
                name=f"{user_prefix}{team.user_role}",
                configure="^$",
                write=rf"^({'|'.join(own)})$",
                read=rf"^({'|'.join([*own, re.escape(team.dead_letter_queue), events])})$",
                topic_write="^$",
                topic_read=_exactly(team.routing_keys()),
            )
        )
    return users
