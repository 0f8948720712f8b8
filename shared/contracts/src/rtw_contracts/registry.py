"""Routing key → event model, and parsing of incoming messages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from rtw_contracts.envelope import Event
from rtw_contracts.events import ALL_EVENTS

__all__ = [
    "EVENTS",
    "ROUTING_KEY_PATTERN",
    "RegistryError",
    "UnknownEventError",
    "build_registry",
    "event_for",
    "parse_event",
]

ROUTING_KEY_PATTERN = re.compile(r"^[a-z]+(\.[a-z-]+)+\.v[0-9]+$")


class UnknownEventError(ValueError):
    """No event model is registered for a routing key."""


class RegistryError(RuntimeError):
    """The event models are inconsistent (checked when the registry is built)."""


def build_registry(events: Iterable[type[Event]]) -> Mapping[str, type[Event]]:
    """Map each event's routing key to its model, checking the metadata.

    Raises :class:`RegistryError` when a routing key is repeated, does not match
    ``<context>.<event-kebab>.v<N>``, does not start with the event's ``CONTEXT`` or does not
    end with ``.v{EVENT_VERSION}``.
    """
    registry: dict[str, type[Event]] = {}
    for event in events:
        key = event.ROUTING_KEY
        if key in registry:
            raise RegistryError(
                f"routing key {key!r} is used by both {registry[key].__name__} and {event.__name__}"
            )
        if not ROUTING_KEY_PATTERN.match(key):
            raise RegistryError(
                f"{event.__name__}: routing key {key!r} does not match {ROUTING_KEY_PATTERN.pattern}"
            )
        if not key.endswith(f".v{event.EVENT_VERSION}"):
            raise RegistryError(
                f"{event.__name__}: routing key {key!r} does not end with "
                f".v{event.EVENT_VERSION} (its EVENT_VERSION)"
            )
        if not key.startswith(f"{event.CONTEXT}."):
            raise RegistryError(
                f"{event.__name__}: routing key {key!r} does not start with its CONTEXT {event.CONTEXT!r}"
            )
        registry[key] = event
    return MappingProxyType(registry)


EVENTS: Mapping[str, type[Event]] = build_registry(ALL_EVENTS)
"""Every current event model by routing key."""


def event_for(routing_key: str) -> type[Event]:
    """Return the event model for ``routing_key``; raise :class:`UnknownEventError` if none."""
    try:
        return EVENTS[routing_key]
    except KeyError:
        raise UnknownEventError(
            f"no event is registered for routing key {routing_key!r}; known: {', '.join(sorted(EVENTS))}"
        ) from None


def parse_event(routing_key: str, body: bytes | str) -> Event:
    """Parse a message body (JSON) as the event registered for ``routing_key``.

    Raises :class:`UnknownEventError` for an unknown routing key and
    :class:`pydantic.ValidationError` (a ``ValueError``) for an invalid body, including one
    whose ``event_type`` or ``event_version`` does not match the routing key's model.
    """
    return event_for(routing_key).model_validate_json(body)
