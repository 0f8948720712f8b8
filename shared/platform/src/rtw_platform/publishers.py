"""Who may have published an event: the broker user of the service its contract names.

Every message the platform publishes carries AMQP `user_id` = the broker user the publishing
service is connected as (RabbitMQ refuses a `user_id` that is not the connection's user, so it
cannot be forged) and `app_id` = the service. A consumer checks `user_id` against the broker
user of the event's producer and dead-letters, with the reason, a message from anyone else.

Which broker user each service publishes as is configuration (`RTW_PUBLISHER_USER`, a template
with `{service}`, e.g. `rtw-{service}` as compose and `rtw broker setup` name them, and
`RTW_PUBLISHER_USERS`, a JSON object of exceptions). Unset, every service is taken to publish as
the broker user this service itself connects as: one user shared by all, as in local runs and
tests (guest). A deployment with a user per service that forgets to set it dead-letters every
event, loudly, rather than believing anyone.

A replayed dead letter arrives as the dead-letter user, with the user it first came from in the
header `x-rtw-published-by`. Anyone who may publish to the dead-letter exchange (every service
user: it is a direct exchange, on which RabbitMQ enforces no routing-key permission) can put a
letter with any headers into any DLQ, so that header is believed only when the replay says
(`x-rtw-dead-letter-user`, the letter's own `user_id`, which RabbitMQ vouched for) that the letter
was put there by this consuming service itself (which recorded the `user_id` it had checked), by
the dead-letter user (a replay the broker dead-lettered again), or by the very user the header
names (the broker dead-lettered the original message, keeping its `user_id`). Otherwise the
letter counts as published by whoever put it in the DLQ, and is dead-lettered with that reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from rtw_contracts import Event

from .consumer_failures import DEAD_LETTER_USER_HEADER, PUBLISHED_BY_HEADER, PermanentFailure

DEFAULT_AMQP_USER = "guest"
"""The user an AMQP URL without one connects as (aio-pika's default)."""

REPLAYER = "dead-letters"
"""The role whose broker user replays dead letters (see broker_users.DEAD_LETTERS)."""


def amqp_user(url: str) -> str:
    """The broker user an AMQP URL connects as."""
    return unquote(urlsplit(url).username or "") or DEFAULT_AMQP_USER


class UnexpectedPublisher(PermanentFailure):
    """The message was not published by the broker user of the event's producer."""


@dataclass(frozen=True)
class PublisherUsers:
    """Each service's broker user: `template` with `{service}` replaced, or an exception."""

    template: str
    exceptions: Mapping[str, str] = field(default_factory=dict)
    own: str | None = None
    """The broker user the consuming service itself connects as (None: not known)."""

    def user_of(self, service: str) -> str:
        """The broker user `service` (or `dead-letters`) publishes as."""
        return self.exceptions.get(service) or self.template.replace("{service}", service)

    def expected(self, event: type[Event]) -> set[str]:
        """The broker users that may publish `event`: its producer's (for an event every
        service publishes, such as `session.ended.v1` of the `platform`, any of theirs)."""
        return {self.user_of(service) for service in producing_services(event)}

    def published_by(self, user_id: str | None, headers: Mapping[str, Any] | None) -> str | None:
        """Who published the message: its `user_id`; for a dead letter the dead-letter user
        replayed, the `user_id` it first arrived with, if whoever put the letter in its DLQ may
        vouch for that (see the module's doc), else whoever put it there."""
        replayer = self.user_of(REPLAYER)
        claimed = _text((headers or {}).get(PUBLISHED_BY_HEADER))
        if user_id != replayer or claimed is None:
            # Not a replay (with one broker user shared by all, the replayer's user publishes
            # everything; only a replay claims a first publisher).
            return user_id
        recorder = _text((headers or {}).get(DEAD_LETTER_USER_HEADER))
        if recorder is not None and recorder in {claimed, replayer, self.own}:
            return claimed
        return recorder

    def check(self, event: type[Event], user_id: str | None, headers: Mapping[str, Any] | None) -> None:
        """Raise UnexpectedPublisher unless the producer's broker user published the message."""
        publisher = self.published_by(user_id, headers)
        expected = self.expected(event)
        if publisher not in expected:
            raise UnexpectedPublisher(
                f"{event.ROUTING_KEY} was published by broker user {publisher or 'unknown (no user_id)'!r}, "
                f"not by its producer's ({', '.join(sorted(expected))})"
            )


def _text(value: Any) -> str | None:
    """A header's text (AMQP may deliver it as bytes), or None when absent or empty."""
    if isinstance(value, bytes):
        value = value.decode(errors="replace")
    return value if isinstance(value, str) and value else None


def producing_services(event: type[Event]) -> set[str]:
    """The services that publish `event`: those whose definition lists it (the broker lets only
    them publish its routing key), else the producer its contract names."""
    from .registry import installed_services

    publishing = {name for name, d in installed_services().items() if event in d.publishes}
    return publishing or {event.PRODUCER}


def publisher_users(template: str, exceptions: Mapping[str, str], own_url: str) -> PublisherUsers:
    """The configured users; with no template, the broker user of `own_url` for every service."""
    own = amqp_user(own_url)
    return PublisherUsers(template or own, dict(exceptions), own=own)
